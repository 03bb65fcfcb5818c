# plugins/provision/core: the provision plugin (intent, drivers by
# (type, env), secrets, records, commands apply/provision/resources).
plugin_LTLIBRARIES += plugins/provision/core/provision.la
plugins_provision_core_provision_la_SOURCES = \
	plugins/provision/core/provision.h plugins/provision/core/plugin.c \
	plugins/provision/core/resource.c plugins/provision/core/secrets.c \
	plugins/provision/core/lock.c plugins/provision/core/intent.c \
	plugins/provision/core/apply.c plugins/provision/core/cli.c \
	plugins/provision/core/catalog.c \
	plugins/provision/common/prutil.c plugins/provision/common/prutil.h
plugins_provision_core_provision_la_CPPFLAGS = $(AM_CPPFLAGS) $(YAML_CFLAGS)
plugins_provision_core_provision_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_provision_core_provision_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS) $(YAML_LIBS)
BUILD_PLUGIN_DIRS += plugins/provision/core/.libs
EXTRA_DIST += plugins/provision/core/README.md

# Unit tests: a host on a temporary PAVED_HOME with a driver written in Lua.
check_PROGRAMS += plugins/provision/core/test_provision
plugins_provision_core_test_provision_SOURCES = plugins/provision/core/test_provision.c
plugins_provision_core_test_provision_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS) \
	-DPR_TEST_PLUGIN_DIR='"$(abs_top_srcdir)/plugins/provision/core/testdata"'
plugins_provision_core_test_provision_LDADD = host/libpaved.la $(CHECK_LIBS) $(JANSSON_LIBS)
TESTS += plugins/provision/core/test_provision
EXTRA_DIST += plugins/provision/core/testdata/fake_driver.lua
