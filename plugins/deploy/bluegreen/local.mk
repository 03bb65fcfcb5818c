# plugins/deploy/bluegreen: the deploy strategy driver "bluegreen"
# (deploy.driver.bluegreen.run), reached through the front deploy.run.
plugin_LTLIBRARIES += plugins/deploy/bluegreen/deploy_bluegreen.la
plugins_deploy_bluegreen_deploy_bluegreen_la_SOURCES = plugins/deploy/bluegreen/bluegreen.c
plugins_deploy_bluegreen_deploy_bluegreen_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_deploy_bluegreen_deploy_bluegreen_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/deploy/bluegreen/.libs
EXTRA_DIST += plugins/deploy/bluegreen/README.md

# End to end: zero failed requests across the switch, instant rollback.
EXTRA_DIST += plugins/deploy/bluegreen/test_bluegreen_e2e.sh
TESTS += plugins/deploy/bluegreen/test_bluegreen_e2e.sh
