# plugins/analysis: where a canary's measurements come from -- the
# providers haproxy, prometheus, webhook and job (analysis.driver.NAME.*)
# in the plugin "analysis", and the conditions' evaluator in the Lua
# sandbox (analysis_condition.lua, condition.eval).
noinst_LTLIBRARIES += plugins/analysis/libanparse.la
plugins_analysis_libanparse_la_SOURCES = plugins/analysis/parse.c plugins/analysis/parse.h
plugins_analysis_libanparse_la_LIBADD = $(JANSSON_LIBS) -lm

plugin_LTLIBRARIES += plugins/analysis/analysis.la
plugins_analysis_analysis_la_SOURCES = plugins/analysis/analysis.h plugins/analysis/plugin.c \
	plugins/analysis/http.c plugins/analysis/haproxy.c plugins/analysis/prometheus.c \
	plugins/analysis/webhook.c plugins/analysis/job.c
plugins_analysis_analysis_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_analysis_analysis_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_analysis_analysis_la_LIBADD = plugins/analysis/libanparse.la plugins/common/libpc.la \
	plugins/common/libpchttp.la \
	$(CURL_LIBS) $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/analysis/.libs

dist_plugin_DATA += plugins/analysis/analysis_condition.lua
SRC_PLUGIN_DIRS += plugins/analysis
EXTRA_DIST += plugins/analysis/README.md

check_PROGRAMS += plugins/analysis/test_parse
TESTS += plugins/analysis/test_parse
plugins_analysis_test_parse_SOURCES = plugins/analysis/test_parse.c
plugins_analysis_test_parse_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
plugins_analysis_test_parse_LDADD = plugins/analysis/libanparse.la $(CHECK_LIBS) $(JANSSON_LIBS)
