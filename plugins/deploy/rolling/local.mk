# plugins/deploy/rolling: the deploy strategy driver "rolling"
# (deploy.driver.rolling.run), reached through the front deploy.run.
plugin_LTLIBRARIES += plugins/deploy/rolling/deploy_rolling.la
plugins_deploy_rolling_deploy_rolling_la_SOURCES = plugins/deploy/rolling/rolling.c
plugins_deploy_rolling_deploy_rolling_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_deploy_rolling_deploy_rolling_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/deploy/rolling/.libs
EXTRA_DIST += plugins/deploy/rolling/README.md
