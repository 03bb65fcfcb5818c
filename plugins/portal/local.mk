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
	plugins/portal/tasks.c plugins/portal/services.c plugins/portal/pages.c \
	plugins/portal/page_entity.c
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

# The pages' static assets: portal.css, portal.js and the vendored browser
# libraries with their licences (vendor.sh copies them from the npm
# packages scripts/bootstrap installs in plugins/portal/node), built into
# plugins/portal/static and installed in $(pkgdatadir)/portal/static.  They
# are made again when the npm packages are installed (their lock file).
PORTAL_STATIC = plugins/portal/static
portalstaticdir = $(pkgdatadir)/portal/static
portalstatic_DATA = $(PORTAL_STATIC)/portal.css $(PORTAL_STATIC)/portal.js
portalcytoscapedir = $(portalstaticdir)/vendor/cytoscape
portalcytoscape_DATA = $(PORTAL_STATIC)/vendor/cytoscape/cytoscape.min.js \
	$(PORTAL_STATIC)/vendor/cytoscape/LICENSE $(PORTAL_STATIC)/vendor/cytoscape/VERSION
portalswaggerdir = $(portalstaticdir)/vendor/swagger-ui
portalswagger_DATA = $(PORTAL_STATIC)/vendor/swagger-ui/swagger-ui-bundle.js \
	$(PORTAL_STATIC)/vendor/swagger-ui/swagger-ui.css $(PORTAL_STATIC)/vendor/swagger-ui/LICENSE \
	$(PORTAL_STATIC)/vendor/swagger-ui/NOTICE \
	$(PORTAL_STATIC)/vendor/swagger-ui/swagger-ui-bundle.js.LICENSE.txt \
	$(PORTAL_STATIC)/vendor/swagger-ui/VERSION
portaluplotdir = $(portalstaticdir)/vendor/uplot
portaluplot_DATA = $(PORTAL_STATIC)/vendor/uplot/uPlot.iife.min.js \
	$(PORTAL_STATIC)/vendor/uplot/uPlot.min.css $(PORTAL_STATIC)/vendor/uplot/LICENSE \
	$(PORTAL_STATIC)/vendor/uplot/VERSION
PORTAL_STATIC_FILES = $(portalstatic_DATA) $(portalcytoscape_DATA) $(portalswagger_DATA) \
	$(portaluplot_DATA)
$(PORTAL_STATIC_FILES): $(PORTAL_STATIC)/.stamp
$(PORTAL_STATIC)/.stamp: $(srcdir)/plugins/portal/vendor.sh $(srcdir)/plugins/portal/assets/portal.css \
		$(srcdir)/plugins/portal/assets/portal.js $(srcdir)/plugins/portal/node/package-lock.json \
		$(wildcard $(srcdir)/plugins/portal/node/node_modules/.package-lock.json)
	$(SHELL) $(srcdir)/plugins/portal/vendor.sh $(srcdir)/plugins/portal $(PORTAL_STATIC)
	touch $@
CLEANFILES += $(PORTAL_STATIC_FILES) $(PORTAL_STATIC)/.stamp
EXTRA_DIST += plugins/portal/vendor.sh plugins/portal/assets/portal.css \
	plugins/portal/assets/portal.js plugins/portal/node/package.json \
	plugins/portal/node/package-lock.json

# The pages in headless Chromium (playwright-core); screenshots are kept in
# plugins/portal/screenshots.
EXTRA_DIST += plugins/portal/test_browser.sh plugins/portal/browser.mjs \
	plugins/portal/testdata/fake-metrics.lua
TESTS += plugins/portal/test_browser.sh
CLEANFILES += plugins/portal/screenshots/*.png
EXTRA_DIST += plugins/portal/test_catalog_client.sh plugins/portal/catalog-client.mjs
TESTS += plugins/portal/test_catalog_client.sh
