# sdk/: the plugin ABI header, pkg-config file and the example plugin.
pkginclude_HEADERS = sdk/include/paved/plugin.h

plugin_LTLIBRARIES += sdk/examples/hello/hello.la
sdk_examples_hello_hello_la_SOURCES = sdk/examples/hello/hello.c
sdk_examples_hello_hello_la_LDFLAGS = $(PLUGIN_LDFLAGS)
sdk_examples_hello_hello_la_LIBADD = $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += sdk/examples/hello/.libs

EXTRA_DIST += sdk/README.md sdk/examples/hello/Makefile sdk/paved-plugin.pc.in \
	sdk/examples/lua/naming-policy.lua
