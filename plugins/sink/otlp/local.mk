# plugins/sink/otlp: paved's events as OTLP logs over OTLP/HTTP JSON
# (links libcurl).  Opt-in like the webhook sink: installed to
# $(pkglibdir)/plugins-available, since an enabled sink without an
# endpoint keeps every event in the outbox.
otlpdir = $(pkglibdir)/plugins-available
otlp_LTLIBRARIES = plugins/sink/otlp/otlp.la
plugins_sink_otlp_otlp_la_SOURCES = plugins/sink/otlp/otlp.c
plugins_sink_otlp_otlp_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_sink_otlp_otlp_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sink_otlp_otlp_la_LIBADD = plugins/common/libpchttp.la $(CURL_LIBS) $(JANSSON_LIBS)
EXTRA_DIST += plugins/sink/otlp/README.md plugins/sink/otlp/test_otlp_e2e.sh \
	plugins/sink/otlp/otlp-receiver.py
TESTS += plugins/sink/otlp/test_otlp_e2e.sh
