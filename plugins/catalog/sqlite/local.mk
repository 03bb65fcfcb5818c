# plugins/catalog/sqlite: the service catalog (Backstage model) on the
# state database.  The core sources are shared by the plugin and its unit
# tests, which link them directly with a fake function table that lends
# them the host's YAML reader and option parser (host/libpaved.la).
CATALOG_VALID = \
	plugins/catalog/sqlite/catalog.h \
	plugins/catalog/sqlite/util.c \
	plugins/catalog/sqlite/entity.c \
	plugins/catalog/sqlite/placeholder.c \
	plugins/catalog/sqlite/validate.h \
	plugins/catalog/sqlite/validate.c \
	plugins/catalog/sqlite/valid_format.c \
	plugins/catalog/sqlite/valid_template.c
CATALOG_CORE = $(CATALOG_VALID) \
	plugins/catalog/sqlite/glob.c \
	plugins/catalog/sqlite/relations.c \
	plugins/catalog/sqlite/prep.c \
	plugins/catalog/sqlite/reader.c \
	plugins/catalog/sqlite/schema.c \
	plugins/catalog/sqlite/store.c \
	plugins/catalog/sqlite/query.c \
	plugins/catalog/sqlite/graph.h \
	plugins/catalog/sqlite/graph.c \
	plugins/catalog/sqlite/graph_draw.c \
	plugins/catalog/sqlite/import.c
CATALOG_GLUE = \
	plugins/catalog/sqlite/glue.h \
	plugins/catalog/sqlite/plugin.c \
	plugins/catalog/sqlite/health.c \
	plugins/catalog/sqlite/cli.h \
	plugins/catalog/sqlite/cli.c \
	plugins/catalog/sqlite/cli_write.c \
	plugins/catalog/sqlite/cli_show.c \
	plugins/catalog/sqlite/cli_query.c \
	plugins/catalog/sqlite/cli_help.c

plugin_LTLIBRARIES += plugins/catalog/sqlite/catalog.la
plugins_catalog_sqlite_catalog_la_SOURCES = $(CATALOG_CORE) $(CATALOG_GLUE)
plugins_catalog_sqlite_catalog_la_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)
plugins_catalog_sqlite_catalog_la_CFLAGS = $(AM_CFLAGS) -pthread
plugins_catalog_sqlite_catalog_la_LDFLAGS = $(PLUGIN_LDFLAGS) -pthread
plugins_catalog_sqlite_catalog_la_LIBADD = plugins/common/libpc.la $(JANSSON_LIBS) $(SQLITE_LIBS) -lm
BUILD_PLUGIN_DIRS += plugins/catalog/sqlite/.libs

# Unit tests: the plugin's sources compiled into one Check program.
check_PROGRAMS += plugins/catalog/sqlite/test_catalog
plugins_catalog_sqlite_test_catalog_SOURCES = $(CATALOG_CORE) $(CATALOG_GLUE) \
	plugins/catalog/sqlite/test_catalog.c \
	plugins/catalog/sqlite/test_model.c \
	plugins/catalog/sqlite/test_queries.c \
	plugins/catalog/sqlite/test_import.c \
	plugins/catalog/sqlite/test_validate.c \
	plugins/catalog/sqlite/test_ingest.c \
	plugins/catalog/sqlite/test_health.c \
	plugins/catalog/sqlite/validate_cases.h \
	plugins/catalog/sqlite/test_util.h
plugins_catalog_sqlite_test_catalog_CPPFLAGS = $(AM_CPPFLAGS) \
	$(SQLITE_CFLAGS) $(CHECK_CFLAGS) \
	-DCAT_TESTDATA_DEFAULT='"$(abs_top_srcdir)/../shared/testdata"'
plugins_catalog_sqlite_test_catalog_CFLAGS = $(AM_CFLAGS) -pthread
plugins_catalog_sqlite_test_catalog_LDFLAGS = $(AM_LDFLAGS) -pthread
plugins_catalog_sqlite_test_catalog_LDADD = plugins/common/libpc.la host/libpaved.la $(CHECK_LIBS) \
	$(JANSSON_LIBS) $(SQLITE_LIBS) -lm
TESTS += plugins/catalog/sqlite/test_catalog

# End to end: the real paved binary driving `paved catalog ...`; live
# health from a real runtime driver (the test driver "direct").
TESTS += plugins/catalog/sqlite/test_e2e.sh plugins/catalog/sqlite/test_health_e2e.sh \
	plugins/catalog/sqlite/test_import_kill.sh
EXTRA_DIST += plugins/catalog/sqlite/README.md plugins/catalog/sqlite/test_e2e.sh \
	plugins/catalog/sqlite/test_health_e2e.sh plugins/catalog/sqlite/test_import_kill.sh \
	plugins/catalog/sqlite/bench.sh

# Validation against Backstage's own library: valid_verdicts prints paved's
# verdict per entity; test_backstage_verdicts.sh compares them with
# backstage-verdicts.mjs's (@backstage/catalog-model from npm, pinned in
# node/package.json, installed by scripts/bootstrap).
check_PROGRAMS += plugins/catalog/sqlite/valid_verdicts
plugins_catalog_sqlite_valid_verdicts_SOURCES = plugins/catalog/sqlite/valid_verdicts.c \
	$(CATALOG_VALID) plugins/catalog/sqlite/validate_cases.h
plugins_catalog_sqlite_valid_verdicts_CPPFLAGS = $(AM_CPPFLAGS) $(SQLITE_CFLAGS)
plugins_catalog_sqlite_valid_verdicts_LDADD = plugins/common/libpc.la host/libpaved.la $(JANSSON_LIBS)
TESTS += plugins/catalog/sqlite/test_backstage_verdicts.sh
EXTRA_DIST += plugins/catalog/sqlite/test_backstage_verdicts.sh \
	plugins/catalog/sqlite/backstage-verdicts.mjs \
	plugins/catalog/sqlite/node/package.json plugins/catalog/sqlite/node/package-lock.json \
	plugins/catalog/sqlite/testdata/validate-corpus.yaml \
	plugins/catalog/sqlite/testdata/backstage-upstream
