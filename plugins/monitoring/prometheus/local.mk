# plugins/monitoring/prometheus: the plugin "prometheus" -- the monitoring
# driver `prometheus` and the metrics backend (an embedded Prometheus run
# by paved-metricsd), metrics.status/query/red and `paved metrics`.

# What is generated for a service (rules, dashboard, runbook, SLO): pure
# functions, no paved API, shared by the plugin and its unit test.
noinst_LTLIBRARIES += plugins/monitoring/prometheus/libpmgen.la
plugins_monitoring_prometheus_libpmgen_la_SOURCES = plugins/monitoring/prometheus/gen.h \
	plugins/monitoring/prometheus/slo.c plugins/monitoring/prometheus/rules.c \
	plugins/monitoring/prometheus/dashboard.c plugins/monitoring/prometheus/runbook.c

plugin_LTLIBRARIES += plugins/monitoring/prometheus/prometheus.la
plugins_monitoring_prometheus_prometheus_la_SOURCES = plugins/monitoring/prometheus/pm.h \
	plugins/monitoring/prometheus/plugin.c plugins/monitoring/prometheus/driver.c \
	plugins/monitoring/prometheus/files.c plugins/monitoring/prometheus/backend.c \
	plugins/monitoring/prometheus/control.c plugins/monitoring/prometheus/http.c \
	plugins/monitoring/prometheus/query.c plugins/monitoring/prometheus/cli.c
# Where the plugin finds paved-metricsd: in the build tree when the plugin
# was loaded from it, else where make install put it.
plugins_monitoring_prometheus_prometheus_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS) \
	-DPM_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DPM_BUILD_METRICSD='"$(abs_top_builddir)/plugins/monitoring/prometheus/paved-metricsd"' \
	-DPM_METRICSD='"$(pkglibexecdir)/paved-metricsd"'
plugins_monitoring_prometheus_prometheus_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_monitoring_prometheus_prometheus_la_LIBADD = plugins/monitoring/prometheus/libpmgen.la \
	plugins/common/libpc.la plugins/common/libpchttp.la $(JANSSON_LIBS) $(CURL_LIBS) -lm
BUILD_PLUGIN_DIRS += plugins/monitoring/prometheus/.libs

pkglibexec_PROGRAMS += plugins/monitoring/prometheus/paved-metricsd
plugins_monitoring_prometheus_paved_metricsd_SOURCES = plugins/monitoring/prometheus/metricsd.c
plugins_monitoring_prometheus_paved_metricsd_LDADD = plugins/common/libpc.la $(JANSSON_LIBS)

EXTRA_DIST += plugins/monitoring/prometheus/README.md

# The generators, directly (Check).
check_PROGRAMS += plugins/monitoring/prometheus/test_gen
plugins_monitoring_prometheus_test_gen_SOURCES = plugins/monitoring/prometheus/test_gen.c
plugins_monitoring_prometheus_test_gen_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
plugins_monitoring_prometheus_test_gen_LDADD = plugins/monitoring/prometheus/libpmgen.la \
	$(CHECK_LIBS) $(JANSSON_LIBS) -lm
TESTS += plugins/monitoring/prometheus/test_gen

# End to end through the paved binary.  test_rules.sh: the generated rules
# under promtool (check and unit tests in testdata/).
# test_metrics_e2e.sh: a real Prometheus, a golden-path service, traffic,
# paved metrics, alerts, the dashboard's PromQL.  test_metrics_faults.sh:
# missing programs, a backend down or hanging, kill -9, a malformed page.
EXTRA_DIST += plugins/monitoring/prometheus/metrics-lib.sh \
	plugins/monitoring/prometheus/test_rules.sh \
	plugins/monitoring/prometheus/testdata/slo_test.yml \
	plugins/monitoring/prometheus/testdata/slo_test_long.yml \
	plugins/monitoring/prometheus/test_metrics_e2e.sh \
	plugins/monitoring/prometheus/test_metrics_faults.sh
TESTS += plugins/monitoring/prometheus/test_rules.sh \
	plugins/monitoring/prometheus/test_metrics_e2e.sh \
	plugins/monitoring/prometheus/test_metrics_faults.sh
