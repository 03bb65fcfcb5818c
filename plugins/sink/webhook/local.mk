# plugins/sink/webhook: POSTs every event as JSON over HTTP (links libcurl).
#
# Opt-in: it is installed to $(pkglibdir)/plugins-available, not to the
# default plugin directory, and the build tree's paved does not find it
# unless asked (--plugin-path plugins/sink/webhook/.libs).  An enabled but
# unconfigured webhook keeps every event in the outbox (by design: a sink
# never drops an event), so it must not be on by default.  To make it a
# default plugin, change webhookdir to $(plugindir) and add
#   BUILD_PLUGIN_DIRS += plugins/sink/webhook/.libs
webhookdir = $(pkglibdir)/plugins-available
webhook_LTLIBRARIES = plugins/sink/webhook/webhook.la
plugins_sink_webhook_webhook_la_SOURCES = plugins/sink/webhook/webhook.c
plugins_sink_webhook_webhook_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_sink_webhook_webhook_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sink_webhook_webhook_la_LIBADD = plugins/common/libpchttp.la $(CURL_LIBS) $(JANSSON_LIBS)
EXTRA_DIST += plugins/sink/webhook/README.md
