# plugins/provision/core: the provision plugin (platform.yaml's resources,
# planned and applied through the provision drivers; secrets, records, the
# journal; commands apply/provision/resources).
plugin_LTLIBRARIES += plugins/provision/core/provision.la
plugins_provision_core_provision_la_SOURCES = \
	plugins/provision/core/provision.h plugins/provision/core/plugin.c \
	plugins/provision/core/drivers.c plugins/provision/core/resource.c \
	plugins/provision/core/journal.c plugins/provision/core/platform.c \
	plugins/provision/core/plan.c plugins/provision/core/apply.c \
	plugins/provision/core/named.c plugins/provision/core/secrets.c \
	plugins/provision/core/lock.c plugins/provision/core/catalog.c \
	plugins/provision/core/cli_apply.c plugins/provision/core/cli_resources.c
plugins_provision_core_provision_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_provision_core_provision_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/provision/core/.libs
EXTRA_DIST += plugins/provision/core/README.md

# Unit tests: a host on a temporary PAVED_HOME with a driver written in Lua.
check_PROGRAMS += plugins/provision/core/test_provision
plugins_provision_core_test_provision_SOURCES = plugins/provision/core/test_provision.c \
	$(TEST_UNIT_HELPERS)
plugins_provision_core_test_provision_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS) \
	-I$(top_srcdir)/tests/lib -DPV_TEST_BUILDDIR='"$(abs_top_builddir)"' \
	-DPR_TEST_PLUGIN_DIR='"$(abs_top_srcdir)/plugins/provision/core/testdata"'
plugins_provision_core_test_provision_LDADD = host/libpaved.la $(CHECK_LIBS) $(JANSSON_LIBS) $(SQLITE_LIBS)
TESTS += plugins/provision/core/test_provision
EXTRA_DIST += plugins/provision/core/testdata/fake_driver.lua

# As root: where the local servers live, whom they run as, hostile homes.
EXTRA_DIST += plugins/provision/core/test_root_e2e.sh
TESTS += plugins/provision/core/test_root_e2e.sh
