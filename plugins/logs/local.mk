# plugins/logs: replica logs aggregated in Loki -- the plugin (logs.query,
# paved loki, starting paved's Loki and the shipper) and paved-logship,
# the shipper of a home.

# What the plugin and paved-logship share: HTTP through libcurl (on
# plugins/common/libpchttp.la) and the shipper's core.  Uses no paved API.
noinst_LTLIBRARIES += plugins/logs/liblogcore.la
plugins_logs_liblogcore_la_SOURCES = plugins/logs/http.c plugins/logs/http.h \
	plugins/logs/ship.c plugins/logs/ship.h plugins/logs/proc.c plugins/logs/proc.h
plugins_logs_liblogcore_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_logs_liblogcore_la_LIBADD = plugins/common/libpchttp.la $(CURL_LIBS) $(JANSSON_LIBS)

plugin_LTLIBRARIES += plugins/logs/logs.la
plugins_logs_logs_la_SOURCES = plugins/logs/plugin.c plugins/logs/logs.h \
	plugins/logs/backend.c plugins/logs/shipctl.c plugins/logs/query.c
# Where the plugin finds paved-logship: in the build tree when the plugin
# was loaded from it, else where make install put it.
plugins_logs_logs_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) \
	-DLOGS_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DLOGS_BUILD_SHIPPER='"$(abs_top_builddir)/plugins/logs/paved-logship"' \
	-DLOGS_SHIPPER='"$(pkglibexecdir)/paved-logship"'
plugins_logs_logs_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_logs_logs_la_LIBADD = plugins/logs/liblogcore.la plugins/common/libpc.la \
	$(CURL_LIBS) $(JANSSON_LIBS) -ldl
BUILD_PLUGIN_DIRS += plugins/logs/.libs

pkglibexec_PROGRAMS += plugins/logs/paved-logship
plugins_logs_paved_logship_SOURCES = plugins/logs/logship.c
plugins_logs_paved_logship_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_logs_paved_logship_LDADD = plugins/logs/liblogcore.la plugins/common/libpc.la $(CURL_LIBS) $(JANSSON_LIBS)

EXTRA_DIST += plugins/logs/README.md

# End to end through the paved binary (needs haproxy, python3, git, curl;
# Grafana Loki when installed, else the Loki API stand-in).
EXTRA_DIST += plugins/logs/logs-lib.sh plugins/logs/test_logs_e2e.sh plugins/logs/test_trace_e2e.sh \
	plugins/logs/testdata/loki-standin.py plugins/logs/testdata/chatter.py \
	plugins/logs/testdata/check_lines.py
TESTS += plugins/logs/test_logs_e2e.sh plugins/logs/test_trace_e2e.sh

# Unit tests of the shipper's core (against an HTTP server the test forks).
check_PROGRAMS += plugins/logs/test_ship
TESTS += plugins/logs/test_ship
plugins_logs_test_ship_SOURCES = plugins/logs/test_ship.c
plugins_logs_test_ship_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(CURL_CFLAGS)
plugins_logs_test_ship_LDADD = plugins/logs/liblogcore.la plugins/common/libpc.la $(CHECK_LIBS) $(CURL_LIBS) $(JANSSON_LIBS)
