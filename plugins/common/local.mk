# plugins/common: helpers the bundled plugins share (pc.h), linked into
# each as a convenience library.  Not installed, not part of the SDK.
noinst_LTLIBRARIES += plugins/common/libpc.la
plugins_common_libpc_la_SOURCES = plugins/common/pc.c plugins/common/pcio.c \
	plugins/common/pcdaemon.c plugins/common/pctime.c plugins/common/pc.h

check_PROGRAMS += plugins/common/test_pc
plugins_common_test_pc_SOURCES = plugins/common/test_pc.c
plugins_common_test_pc_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS)
plugins_common_test_pc_LDADD = plugins/common/libpc.la $(CHECK_LIBS) $(JANSSON_LIBS)
TESTS += plugins/common/test_pc
