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

# The HTTP client (pchttp.h) of the plugins that link libcurl.  A library
# of its own, not part of libpc.la: only what links $(CURL_LIBS) already
# links it, so nothing that runs without libcurl today starts to load it.
noinst_LTLIBRARIES += plugins/common/libpchttp.la
plugins_common_libpchttp_la_SOURCES = plugins/common/pchttp.c plugins/common/pchttp.h
plugins_common_libpchttp_la_CPPFLAGS = $(AM_CPPFLAGS) $(CURL_CFLAGS)
plugins_common_libpchttp_la_LIBADD = $(CURL_LIBS)

# Against a loopback HTTP server the test runs in a thread.
check_PROGRAMS += plugins/common/test_pchttp
plugins_common_test_pchttp_SOURCES = plugins/common/test_pchttp.c
plugins_common_test_pchttp_CPPFLAGS = $(AM_CPPFLAGS) $(CHECK_CFLAGS) $(CURL_CFLAGS)
plugins_common_test_pchttp_LDADD = plugins/common/libpchttp.la $(CHECK_LIBS) $(CURL_LIBS) -lpthread
TESTS += plugins/common/test_pchttp
