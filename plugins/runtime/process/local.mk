# plugins/runtime/process: the runtime driver "process" (replicas as
# supervised local processes behind one HAProxy per home) and its
# supervisor, the program paved-supervisor.

# What the plugin and paved-supervisor share: private files, /proc, the
# runtime's paths, the JSON-lines logs.  Uses no paved API.
noinst_LTLIBRARIES += plugins/runtime/process/librtcore.la
plugins_runtime_process_librtcore_la_SOURCES = \
	plugins/runtime/process/files.c plugins/runtime/process/files.h \
	plugins/runtime/process/procs.c plugins/runtime/process/procs.h \
	plugins/runtime/process/paths.c plugins/runtime/process/paths.h \
	plugins/runtime/process/logfile.c plugins/runtime/process/logfile.h

plugin_LTLIBRARIES += plugins/runtime/process/runtime_process.la
plugins_runtime_process_runtime_process_la_SOURCES = \
	plugins/runtime/process/plugin.c plugins/runtime/process/runtime.h \
	plugins/runtime/process/verbs.c plugins/runtime/process/report.c \
	plugins/runtime/process/spec.c plugins/runtime/process/spec.h \
	plugins/runtime/process/control.c plugins/runtime/process/control.h \
	plugins/runtime/process/haproxy.c plugins/runtime/process/haproxy.h \
	plugins/runtime/process/traceparent.c \
	plugins/runtime/process/net.c plugins/runtime/process/net.h
# Where the plugin finds paved-supervisor: in the build tree when the
# plugin was loaded from it, else where make install put it.
plugins_runtime_process_runtime_process_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DRT_ABS_BUILDDIR='"$(abs_top_builddir)"' \
	-DRT_BUILD_SUPERVISOR='"$(abs_top_builddir)/plugins/runtime/process/paved-supervisor"' \
	-DRT_SUPERVISOR='"$(pkglibexecdir)/paved-supervisor"'
plugins_runtime_process_runtime_process_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_runtime_process_runtime_process_la_LIBADD = \
	plugins/runtime/process/librtcore.la plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/runtime/process/.libs

pkglibexec_PROGRAMS += plugins/runtime/process/paved-supervisor
plugins_runtime_process_paved_supervisor_SOURCES = \
	plugins/runtime/process/supervisor.c plugins/runtime/process/sup.h \
	plugins/runtime/process/sup_replicas.c
plugins_runtime_process_paved_supervisor_LDADD = \
	plugins/runtime/process/librtcore.la plugins/common/libpc.la $(JANSSON_LIBS)

EXTRA_DIST += plugins/runtime/process/README.md plugins/runtime/process/services-lib.sh

# Unit tests of the shared modules, one per module.
RT_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests/lib
RT_TEST_LDADD = plugins/runtime/process/librtcore.la plugins/common/libpc.la $(CHECK_LIBS) $(JANSSON_LIBS)
check_PROGRAMS += plugins/runtime/process/test_files plugins/runtime/process/test_procs \
	plugins/runtime/process/test_paths plugins/runtime/process/test_logfile
TESTS += plugins/runtime/process/test_files plugins/runtime/process/test_procs \
	plugins/runtime/process/test_paths plugins/runtime/process/test_logfile
RT_TEST_MAIN = tests/lib/check_main.h
plugins_runtime_process_test_files_SOURCES = plugins/runtime/process/test_files.c $(RT_TEST_MAIN)
plugins_runtime_process_test_files_CPPFLAGS = $(RT_TEST_CPPFLAGS)
plugins_runtime_process_test_files_LDADD = $(RT_TEST_LDADD)
plugins_runtime_process_test_procs_SOURCES = plugins/runtime/process/test_procs.c $(RT_TEST_MAIN)
plugins_runtime_process_test_procs_CPPFLAGS = $(RT_TEST_CPPFLAGS)
plugins_runtime_process_test_procs_LDADD = $(RT_TEST_LDADD)
plugins_runtime_process_test_paths_SOURCES = plugins/runtime/process/test_paths.c $(RT_TEST_MAIN)
plugins_runtime_process_test_paths_CPPFLAGS = $(RT_TEST_CPPFLAGS)
plugins_runtime_process_test_paths_LDADD = $(RT_TEST_LDADD)
plugins_runtime_process_test_logfile_SOURCES = plugins/runtime/process/test_logfile.c $(RT_TEST_MAIN)
plugins_runtime_process_test_logfile_CPPFLAGS = $(RT_TEST_CPPFLAGS)
plugins_runtime_process_test_logfile_LDADD = $(RT_TEST_LDADD)

# End to end through the paved binary (needs haproxy and python3).
EXTRA_DIST += plugins/runtime/process/rt-lib.sh plugins/runtime/process/testdata/httpd.py \
	plugins/runtime/process/test_runtime_e2e.sh plugins/runtime/process/test_faults_e2e.sh \
	plugins/runtime/process/test_parallel_e2e.sh plugins/runtime/process/test_drivers_e2e.sh
TESTS += plugins/runtime/process/test_runtime_e2e.sh plugins/runtime/process/test_faults_e2e.sh \
	plugins/runtime/process/test_parallel_e2e.sh plugins/runtime/process/test_drivers_e2e.sh

# Tests of the plugin's modules through a real host on a temporary
# PAVED_HOME (test_rt.c opens it), one per module.
RT_HOST_TEST_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(SQLITE_CFLAGS) -I$(top_srcdir)/tests/lib \
	-DRT_TEST_PLUGIN_DIR='"$(abs_top_builddir)/plugins/runtime/process/.libs"'
RT_HOST_TEST_LDADD = host/libpaved.la $(CHECK_LIBS) $(JANSSON_LIBS)
RT_HOST_TEST_HELPERS = plugins/runtime/process/test_rt.c plugins/runtime/process/test_rt.h \
	tests/lib/check_main.h
check_PROGRAMS += plugins/runtime/process/test_spec plugins/runtime/process/test_net \
	plugins/runtime/process/test_haproxy
TESTS += plugins/runtime/process/test_spec plugins/runtime/process/test_net \
	plugins/runtime/process/test_haproxy
plugins_runtime_process_test_spec_SOURCES = plugins/runtime/process/test_spec.c $(RT_HOST_TEST_HELPERS)
plugins_runtime_process_test_spec_CPPFLAGS = $(RT_HOST_TEST_CPPFLAGS)
plugins_runtime_process_test_spec_LDADD = $(RT_HOST_TEST_LDADD)
plugins_runtime_process_test_net_SOURCES = plugins/runtime/process/test_net.c $(RT_HOST_TEST_HELPERS)
plugins_runtime_process_test_net_CPPFLAGS = $(RT_HOST_TEST_CPPFLAGS)
plugins_runtime_process_test_net_LDADD = $(RT_HOST_TEST_LDADD)
plugins_runtime_process_test_haproxy_SOURCES = plugins/runtime/process/test_haproxy.c $(RT_HOST_TEST_HELPERS)
plugins_runtime_process_test_haproxy_CPPFLAGS = $(RT_HOST_TEST_CPPFLAGS)
plugins_runtime_process_test_haproxy_LDADD = $(RT_HOST_TEST_LDADD)
