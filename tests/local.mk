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

check_PROGRAMS += tests/test_template
tests_test_template_SOURCES = tests/test_template.c
tests_test_template_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_template_LDADD = $(TEST_LDADD)
TESTS += tests/test_template
