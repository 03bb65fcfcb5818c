# plugins/deploy/core: the deploy core (plugin "deploy"): releases built from
# the repository, their records, the commands and deploy.service/destroy.
plugin_LTLIBRARIES += plugins/deploy/core/deploy.la
plugins_deploy_core_deploy_la_SOURCES = plugins/deploy/core/deploy.h \
	plugins/deploy/core/plugin.c plugins/deploy/core/platform.c plugins/deploy/core/source.c \
	plugins/deploy/core/build.c plugins/deploy/core/deploy.c plugins/deploy/core/records.c \
	plugins/deploy/core/lock.c plugins/deploy/core/live.c plugins/deploy/core/lifecycle.c \
	plugins/deploy/core/cli.c plugins/deploy/core/cli_deploy.c plugins/deploy/core/cli_life.c \
	plugins/deploy/core/cli_status.c plugins/deploy/core/cli_delete.c \
	plugins/deploy/core/progress.c
plugins_deploy_core_deploy_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_deploy_core_deploy_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/deploy/core/.libs
EXTRA_DIST += plugins/deploy/core/README.md

# End to end: against a fake runtime driver (testdata/runtime_process.lua,
# fast, faults injected per verb), and for real behind HAProxy.
EXTRA_DIST += plugins/deploy/core/testdata/runtime_process.lua \
	plugins/deploy/core/test_deploy_core.sh plugins/deploy/core/test_deploy_e2e.sh
TESTS += plugins/deploy/core/test_deploy_core.sh plugins/deploy/core/test_deploy_e2e.sh
EXTRA_DIST += plugins/deploy/core/deploy-lib.sh
