# plugins/runtime/process: replicas as supervised local processes behind HAProxy.
plugin_LTLIBRARIES += plugins/runtime/process/runtime_process.la
plugins_runtime_process_runtime_process_la_SOURCES = plugins/runtime/process/plugin.c \
	plugins/runtime/process/runtime.h plugins/runtime/process/supervisor.c \
	plugins/runtime/process/haproxy.c plugins/runtime/process/util.c \
	plugins/runtime/process/util.h
plugins_runtime_process_runtime_process_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_runtime_process_runtime_process_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/runtime/process/.libs
EXTRA_DIST += plugins/runtime/process/README.md plugins/runtime/process/services-lib.sh
