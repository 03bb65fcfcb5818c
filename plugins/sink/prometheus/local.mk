# plugins/sink/prometheus: the sink sink_prometheus -- paved's own metrics
# from its events, in Prometheus's text format for paved-metricsd to serve.
plugin_LTLIBRARIES += plugins/sink/prometheus/sink_prometheus.la
plugins_sink_prometheus_sink_prometheus_la_SOURCES = plugins/sink/prometheus/sp.h \
	plugins/sink/prometheus/sink.c plugins/sink/prometheus/expo.c
plugins_sink_prometheus_sink_prometheus_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sink_prometheus_sink_prometheus_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/sink/prometheus/.libs
EXTRA_DIST += plugins/sink/prometheus/README.md

# End to end: events in, the text file out, served and scraped (needs prometheus).
EXTRA_DIST += plugins/sink/prometheus/test_sink_e2e.sh
TESTS += plugins/sink/prometheus/test_sink_e2e.sh
