# plugins/portal: `paved serve` (the developer portal and its HTTP API:
# Backstage's catalog API, golden paths as scaffolder tasks, deploys) and
# `paved token`.  libmicrohttpd serves; nettle hashes tokens and encodes
# cursors.
plugin_LTLIBRARIES += plugins/portal/portal.la
plugins_portal_portal_la_SOURCES = plugins/portal/portal.h \
	plugins/portal/plugin.c plugins/portal/server.c plugins/portal/http.c \
	plugins/portal/routes.c plugins/portal/index.c plugins/portal/search.c \
	plugins/portal/filter.c plugins/portal/query.c plugins/portal/api_catalog.c \
	plugins/portal/auth.c plugins/portal/sync.c plugins/portal/job.c \
	plugins/portal/tasks.c plugins/portal/services.c plugins/portal/stubs.c
plugins_portal_portal_la_CPPFLAGS = $(AM_CPPFLAGS) $(MHD_CFLAGS) $(NETTLE_CFLAGS) \
	-DPORTAL_STATIC_DIR='"$(pkgdatadir)/portal/static"'
plugins_portal_portal_la_LDFLAGS = $(PLUGIN_LDFLAGS)
plugins_portal_portal_la_LIBADD = plugins/common/libpc.la $(MHD_LIBS) $(NETTLE_LIBS) \
	$(JANSSON_LIBS) -lpthread
BUILD_PLUGIN_DIRS += plugins/portal/.libs
EXTRA_DIST += plugins/portal/README.md

# End to end: the API against the real paved (test_api.sh).
EXTRA_DIST += plugins/portal/portal-lib.sh plugins/portal/test_api.sh \
	plugins/portal/testdata/catalog.yaml plugins/portal/testdata/extra.yaml
TESTS += plugins/portal/test_api.sh
EXTRA_DIST += plugins/portal/test_scaffolder.sh plugins/portal/sse-client.mjs
TESTS += plugins/portal/test_scaffolder.sh
