# plugins/deploy/canary: the deploy strategy driver "canary"
# (deploy.driver.canary.*), its controller and commands, and the judge.

# What needs no paved API: the statistics, the judge, Argo's analysis
# semantics, the platform.yaml spec and the weights; tested on their own.
noinst_LTLIBRARIES += plugins/deploy/canary/libcanary.la
plugins_deploy_canary_libcanary_la_SOURCES = \
	plugins/deploy/canary/stats.c plugins/deploy/canary/stats.h \
	plugins/deploy/canary/judge.c plugins/deploy/canary/judge.h \
	plugins/deploy/canary/analysis.c plugins/deploy/canary/analysis.h \
	plugins/deploy/canary/spec.c plugins/deploy/canary/spec_metrics.c \
	plugins/deploy/canary/spec_int.h plugins/deploy/canary/spec.h \
	plugins/deploy/canary/units.c \
	plugins/deploy/canary/weights.c plugins/deploy/canary/weights.h
plugins_deploy_canary_libcanary_la_LIBADD = $(JANSSON_LIBS) -lm

plugin_LTLIBRARIES += plugins/deploy/canary/deploy_canary.la
plugins_deploy_canary_deploy_canary_la_SOURCES = plugins/deploy/canary/canary.h \
	plugins/deploy/canary/plugin.c plugins/deploy/canary/driver.c \
	plugins/deploy/canary/rollout.c plugins/deploy/canary/state.c \
	plugins/deploy/canary/traffic.c plugins/deploy/canary/control.c \
	plugins/deploy/canary/measure.c plugins/deploy/canary/cli.c
# Where the plugin finds paved-canary-detach and paved: in the build tree
# when the plugin was loaded from it, else where make install put them.
plugins_deploy_canary_deploy_canary_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCN_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DCN_BUILD_DETACH='"$(abs_top_builddir)/plugins/deploy/canary/paved-canary-detach"' \
	-DCN_DETACH='"$(pkglibexecdir)/paved-canary-detach"' \
	-DCN_BUILD_PAVED='"$(abs_top_builddir)/host/paved"' -DCN_PAVED='"$(bindir)/paved"'
plugins_deploy_canary_deploy_canary_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_deploy_canary_deploy_canary_la_LIBADD = plugins/deploy/canary/libcanary.la \
	plugins/common/libpc.la $(JANSSON_LIBS) -lm
BUILD_PLUGIN_DIRS += plugins/deploy/canary/.libs
EXTRA_DIST += plugins/deploy/canary/README.md

pkglibexec_PROGRAMS += plugins/deploy/canary/paved-canary-detach
plugins_deploy_canary_paved_canary_detach_SOURCES = plugins/deploy/canary/detach.c

CANARY_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/lib
CANARY_TEST_LDADD = plugins/deploy/canary/libcanary.la $(CHECK_LIBS) $(JANSSON_LIBS) -lm
check_PROGRAMS += plugins/deploy/canary/test_stats plugins/deploy/canary/test_judge \
	plugins/deploy/canary/test_analysis plugins/deploy/canary/test_spec \
	plugins/deploy/canary/test_weights
TESTS += plugins/deploy/canary/test_stats plugins/deploy/canary/test_judge \
	plugins/deploy/canary/test_analysis plugins/deploy/canary/test_spec \
	plugins/deploy/canary/test_weights
plugins_deploy_canary_test_stats_SOURCES = plugins/deploy/canary/test_stats.c tests/lib/check_main.h
plugins_deploy_canary_test_stats_CPPFLAGS = $(CANARY_TEST_CPPFLAGS)
plugins_deploy_canary_test_stats_LDADD = $(CANARY_TEST_LDADD)
plugins_deploy_canary_test_judge_SOURCES = plugins/deploy/canary/test_judge.c
plugins_deploy_canary_test_judge_CPPFLAGS = $(CANARY_TEST_CPPFLAGS)
plugins_deploy_canary_test_judge_LDADD = $(CANARY_TEST_LDADD)
plugins_deploy_canary_test_analysis_SOURCES = plugins/deploy/canary/test_analysis.c
plugins_deploy_canary_test_analysis_CPPFLAGS = $(CANARY_TEST_CPPFLAGS)
plugins_deploy_canary_test_analysis_LDADD = $(CANARY_TEST_LDADD)
plugins_deploy_canary_test_spec_SOURCES = plugins/deploy/canary/test_spec.c
plugins_deploy_canary_test_spec_CPPFLAGS = $(CANARY_TEST_CPPFLAGS)
plugins_deploy_canary_test_spec_LDADD = $(CANARY_TEST_LDADD)
plugins_deploy_canary_test_weights_SOURCES = plugins/deploy/canary/test_weights.c
plugins_deploy_canary_test_weights_CPPFLAGS = $(CANARY_TEST_CPPFLAGS)
plugins_deploy_canary_test_weights_LDADD = $(CANARY_TEST_LDADD)

# The service the end-to-end tests deploy: its error rate and latency are
# its environment's (testdata/canary-app.c).
check_PROGRAMS += plugins/deploy/canary/testdata/canary-app
plugins_deploy_canary_testdata_canary_app_SOURCES = plugins/deploy/canary/testdata/canary-app.c
plugins_deploy_canary_testdata_canary_app_LDADD = -lpthread -lm

# End to end, behind HAProxy; the judge with a Prometheus of its own.
EXTRA_DIST += plugins/deploy/canary/canary-lib.sh plugins/deploy/canary/test_canary_e2e.sh \
	plugins/deploy/canary/test_canary_guard_e2e.sh \
	plugins/deploy/canary/test_canary_judge_e2e.sh
TESTS += plugins/deploy/canary/test_canary_e2e.sh plugins/deploy/canary/test_canary_judge_e2e.sh \
	plugins/deploy/canary/test_canary_guard_e2e.sh
