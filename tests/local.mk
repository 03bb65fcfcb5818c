# tests/: Check unit tests (one per module) and end-to-end tests that drive
# the real paved binary.  Test data comes from $PAVED_TESTDATA (default
# ../shared/testdata beside the source tree); tests skip where it is absent.
TESTDATA_DEFAULT = $(abs_top_srcdir)/../shared/testdata
TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS) \
	-DPV_TESTDATA_DIR='"$(TESTDATA_DEFAULT)"' \
	-DPV_TEST_BUILDDIR='"$(abs_top_builddir)"' \
	-DPV_TEST_SRCDIR='"$(abs_top_srcdir)"'
TEST_LDADD = host/libpaved.la $(CHECK_LIBS) $(JANSSON_LIBS)

AM_TESTS_ENVIRONMENT = \
	PAVED_TESTDATA="$${PAVED_TESTDATA:-$(TESTDATA_DEFAULT)}"; export PAVED_TESTDATA; \
	top_builddir="$(abs_top_builddir)"; export top_builddir; \
	top_srcdir="$(abs_top_srcdir)"; export top_srcdir;

# With --enable-sanitizers, for every test and every process it starts (an
# ASAN_OPTIONS or UBSAN_OPTIONS of the caller comes after, so it wins):
# - print_stacktrace=1: a UBSan report says how the code got there.
# - intercept_tls_get_addr=0 works around GCC 12's libsanitizer (LLVM's
#   before 17): a dynamic TLS block that malloc happens to place 16 bytes
#   into a page is taken for glibc 2.19's, and the ASan chunk header before
#   it is read as the block's bounds; LeakSanitizer's tracer then scans that
#   garbage range at exit and dies ("Tracer caught signal 11 ...
#   LeakSanitizer has encountered a fatal error").  The plugins that link
#   libcurl or libpq bring dynamic TLS (libgnutls, libp11-kit, libcom_err),
#   so any paved process could die, depending on its allocations.  Nothing
#   is lost: with glibc >= 2.25 those blocks were never scanned as TLS
#   ("Can't guess glibc version"); they stay reachable through glibc's DTV.
if SANITIZERS
AM_TESTS_ENVIRONMENT += \
	ASAN_OPTIONS="intercept_tls_get_addr=0$${ASAN_OPTIONS:+:$$ASAN_OPTIONS}"; \
	export ASAN_OPTIONS; \
	UBSAN_OPTIONS="print_stacktrace=1$${UBSAN_OPTIONS:+:$$UBSAN_OPTIONS}"; \
	export UBSAN_OPTIONS;
endif

check_PROGRAMS += tests/test_template
tests_test_template_SOURCES = tests/test_template.c
tests_test_template_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_template_LDADD = $(TEST_LDADD)
TESTS += tests/test_template

# ---- host unit tests (one Check suite per module) ----------------------
# Each links the host library and the shared helpers in tests/lib.
TEST_UNIT_CPPFLAGS = $(TEST_CPPFLAGS) -I$(top_srcdir)/tests/lib
TEST_UNIT_LDADD = $(TEST_LDADD) $(SQLITE_LIBS)
TEST_UNIT_HELPERS = tests/lib/testutil.c tests/lib/testutil.h

check_PROGRAMS += tests/test_registry tests/test_config tests/test_state \
	tests/test_loader tests/test_events tests/test_host tests/test_yaml \
	tests/test_proc tests/test_shapes tests/test_cli_parse tests/test_platform
TESTS += tests/test_registry tests/test_config tests/test_state \
	tests/test_loader tests/test_events tests/test_host tests/test_yaml \
	tests/test_proc tests/test_shapes tests/test_cli_parse tests/test_platform

tests_test_registry_SOURCES = tests/test_registry.c $(TEST_UNIT_HELPERS)
tests_test_registry_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_registry_LDADD = $(TEST_UNIT_LDADD)
tests_test_config_SOURCES = tests/test_config.c $(TEST_UNIT_HELPERS)
tests_test_config_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_config_LDADD = $(TEST_UNIT_LDADD)
tests_test_state_SOURCES = tests/test_state.c $(TEST_UNIT_HELPERS)
tests_test_state_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_state_LDADD = $(TEST_UNIT_LDADD)
tests_test_loader_SOURCES = tests/test_loader.c $(TEST_UNIT_HELPERS)
tests_test_loader_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_loader_LDADD = $(TEST_UNIT_LDADD)
tests_test_events_SOURCES = tests/test_events.c $(TEST_UNIT_HELPERS)
tests_test_events_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_events_LDADD = $(TEST_UNIT_LDADD)
tests_test_yaml_SOURCES = tests/test_yaml.c $(TEST_UNIT_HELPERS)
tests_test_yaml_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_yaml_LDADD = $(TEST_UNIT_LDADD)
tests_test_proc_SOURCES = tests/test_proc.c $(TEST_UNIT_HELPERS)
tests_test_proc_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_proc_LDADD = $(TEST_UNIT_LDADD)
tests_test_cli_parse_SOURCES = tests/test_cli_parse.c $(TEST_UNIT_HELPERS)
tests_test_cli_parse_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_cli_parse_LDADD = $(TEST_UNIT_LDADD)
tests_test_platform_SOURCES = tests/test_platform.c $(TEST_UNIT_HELPERS)
tests_test_platform_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_platform_LDADD = $(TEST_UNIT_LDADD)
tests_test_shapes_SOURCES = tests/test_shapes.c $(TEST_UNIT_HELPERS)
tests_test_shapes_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_shapes_LDADD = $(TEST_UNIT_LDADD)
tests_test_host_SOURCES = tests/test_host.c $(TEST_UNIT_HELPERS)
tests_test_host_CPPFLAGS = $(TEST_UNIT_CPPFLAGS)
tests_test_host_LDADD = $(TEST_UNIT_LDADD)

# ---- test-only plugins -------------------------------------------------
# Real shared objects in tests/plugins/.libs (the -rpath makes libtool
# build a .so for a check library); never installed.  The unit tests copy
# them into per-test directories.
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere $(SAN_LDFLAGS)
check_LTLIBRARIES += tests/plugins/good.la tests/plugins/badabi.la \
	tests/plugins/nodesc.la tests/plugins/initfail.la tests/plugins/dupa.la \
	tests/plugins/dupb.la tests/plugins/veto.la tests/plugins/failsink.la \
	tests/plugins/twin.la tests/plugins/badsize.la
tests_plugins_good_la_SOURCES = tests/plugins/good.c
tests_plugins_good_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_good_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_badabi_la_SOURCES = tests/plugins/badabi.c
tests_plugins_badabi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_badabi_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_badsize_la_SOURCES = tests/plugins/badsize.c
tests_plugins_badsize_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_nodesc_la_SOURCES = tests/plugins/nodesc.c
tests_plugins_nodesc_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_initfail_la_SOURCES = tests/plugins/initfail.c
tests_plugins_initfail_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_initfail_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_dupa_la_SOURCES = tests/plugins/dupa.c
tests_plugins_dupa_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_dupa_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_dupb_la_SOURCES = tests/plugins/dupb.c
tests_plugins_dupb_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_dupb_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_veto_la_SOURCES = tests/plugins/veto.c
tests_plugins_veto_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_veto_la_LIBADD = $(JANSSON_LIBS)
tests_plugins_failsink_la_SOURCES = tests/plugins/failsink.c
tests_plugins_failsink_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_failsink_la_LIBADD = $(JANSSON_LIBS)

tests_plugins_twin_la_SOURCES = tests/plugins/twin.c
tests_plugins_twin_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_twin_la_LIBADD = $(JANSSON_LIBS)

# rt_direct: a second runtime driver ("direct"), for the driver-shape test
# of plugins/runtime/process.
check_LTLIBRARIES += tests/plugins/rt_direct.la
tests_plugins_rt_direct_la_SOURCES = tests/plugins/rt_direct.c
tests_plugins_rt_direct_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_rt_direct_la_LIBADD = $(JANSSON_LIBS)

# ---- end-to-end tests: drive the real host/paved ------------------------
# A sanitizer report from any process a test starts fails the test
# (san_reports.sh runs every test, the Check programs too).
TEST_EXTENSIONS = .sh
LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/san_reports.sh
SH_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/san_reports.sh $(SHELL)
TESTS += tests/e2e/cli.sh tests/e2e/faults.sh
EXTRA_DIST += tests/e2e/cli.sh tests/e2e/faults.sh tests/e2e/lib.sh tests/san_reports.sh
