# plugins/deploy/rolling: deploy.service, the rolling strategy and the
# commands deploy, status, stop and logs.
plugin_LTLIBRARIES += plugins/deploy/rolling/deploy_rolling.la
plugins_deploy_rolling_deploy_rolling_la_SOURCES = plugins/deploy/rolling/rolling.c \
	plugins/runtime/process/util.c plugins/runtime/process/util.h
EXTRA_DIST += plugins/deploy/rolling/cli.c plugins/deploy/rolling/rollback.c \
	plugins/deploy/rolling/README.md
plugins_deploy_rolling_deploy_rolling_la_CFLAGS = $(AM_CFLAGS) $(YAML_CFLAGS)
plugins_deploy_rolling_deploy_rolling_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_deploy_rolling_deploy_rolling_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS) $(YAML_LIBS)
BUILD_PLUGIN_DIRS += plugins/deploy/rolling/.libs

# End to end through the golden path (needs haproxy and node).
EXTRA_DIST += plugins/deploy/rolling/test_deploy_e2e.sh
TESTS += plugins/deploy/rolling/test_deploy_e2e.sh

# The blue-green strategy plugin lives beside this one.
include $(top_srcdir)/plugins/deploy/bluegreen/local.mk
