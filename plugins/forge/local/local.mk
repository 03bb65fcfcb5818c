# plugins/forge/local: the forge driver "local", a git forge on the local
# disk ($PAVED_HOME/forge).
plugin_LTLIBRARIES += plugins/forge/local/forge_local.la
plugins_forge_local_forge_local_la_SOURCES = plugins/forge/local/plugin.c \
	plugins/forge/local/forge_local.h plugins/forge/local/args.c \
	plugins/forge/local/git.c plugins/forge/local/create.c plugins/forge/local/repos.c \
	plugins/forge/local/commits.c plugins/forge/local/hook.c plugins/forge/local/fs.c
plugins_forge_local_forge_local_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_forge_local_forge_local_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/forge/local/.libs
EXTRA_DIST += plugins/forge/local/README.md

# Unit tests: a host opened on a temporary PAVED_HOME calls the hooks.
check_PROGRAMS += plugins/forge/local/test_forge
plugins_forge_local_test_forge_SOURCES = plugins/forge/local/test_forge.c
plugins_forge_local_test_forge_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS) \
	-DFL_TEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/forge/local/.libs"'
plugins_forge_local_test_forge_LDADD = host/libpaved.la $(CHECK_LIBS) $(JANSSON_LIBS)
TESTS += plugins/forge/local/test_forge

# End to end through the paved binary.
EXTRA_DIST += plugins/forge/local/test_forge_e2e.sh
TESTS += plugins/forge/local/test_forge_e2e.sh
