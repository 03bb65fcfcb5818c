# plugins/sink/jsonl: writes every event as one JSON line.
plugin_LTLIBRARIES += plugins/sink/jsonl/jsonl.la
plugins_sink_jsonl_jsonl_la_SOURCES = plugins/sink/jsonl/jsonl.c
plugins_sink_jsonl_jsonl_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_sink_jsonl_jsonl_la_LIBADD = $(JANSSON_LIBS)
BUILD_PLUGIN_DIRS += plugins/sink/jsonl/.libs
EXTRA_DIST += plugins/sink/jsonl/README.md
