#!/bin/sh
# test_browser.sh -- the portal in a real browser: headless Chromium
# (Debian's chromium) driven by playwright-core from npm (browser.mjs):
# create a service from the form and watch it go live, open its page and see
# its health and graph, roll back from the page, search the catalog.
# Screenshots of each page are kept in $top_builddir/plugins/portal/screenshots.
# Without chromium, node or the npm packages it skips; under CI=true that
# is a failure.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/portal/portal-lib.sh"
export PAVED_CHECK_SHAPES=1
NODE_DIR="$top_srcdir/plugins/portal/node"
missing=
command -v node >/dev/null || missing="$missing node"
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing="$missing chromium"
[ -f "$NODE_DIR/node_modules/playwright-core/package.json" ] || missing="$missing playwright-core (scripts/bootstrap)"
[ -s "$top_builddir/plugins/portal/static/vendor/cytoscape/LICENSE" ] || missing="$missing vendored-assets"
command -v git >/dev/null && command -v haproxy >/dev/null || missing="$missing git/haproxy"
if [ -n "$missing" ]; then
	if [ "${CI:-}" = true ]; then echo "FAIL: missing:$missing"; exit 1; fi
	echo "SKIP: missing:$missing"; exit 77
fi
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com \
	GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
# stop what the golden path deployed (replicas, HAProxy), then the server
trap '[ -d "$PAVED_HOME/runtime" ] && timeout 30 "$PAVED" stop --all >/dev/null 2>&1; portal_cleanup' EXIT

shots="$top_builddir/plugins/portal/screenshots"
rm -rf "$shots"
mkdir -p "$shots"
run "$PAVED" catalog import "$top_srcdir/plugins/portal/testdata/catalog.yaml"
expect_rc 0 "the test catalog is imported"
run "$PAVED" token create --team team-a
TA=$out
# made-up RED metrics, so the pages draw their graphs without a Prometheus
export PAVED_PLUGIN_PATH="$tmp/plugins"
mkdir -p "$PAVED_PLUGIN_PATH"
cp "$top_srcdir/plugins/portal/testdata/fake-metrics.lua" "$PAVED_PLUGIN_PATH/"
serve_start
node "$top_srcdir/plugins/portal/browser.mjs" "$URL" "$TA" "$shots" "$PAVED_HOME/portal/services" \
	"$PAVED" "$NODE_DIR" > "$tmp/browser" 2>&1
brc=$?
cat "$tmp/browser"
checks=$((checks + $(grep -c '^ok:' "$tmp/browser") + $(grep -c '^FAIL:' "$tmp/browser")))
fails=$((fails + $(grep -c '^FAIL:' "$tmp/browser")))
[ $brc -eq 0 ] || grep -q '^FAIL:' "$tmp/browser" || fail "browser.mjs exited $brc"
for p in login catalog catalog-search create service service-rolled-back component-orders teams catalog-dark; do
	if [ -s "$shots/$p.png" ]; then pass "screenshot $p.png"; else fail "no screenshot $p.png"; fi
done
if grep -q '"action":"deploy.rollback".*"session":true.*"status":200' "$PAVED_HOME/portal/audit.jsonl" ||
   grep -q '"session":true.*"action":"deploy.rollback".*"status":200' "$PAVED_HOME/portal/audit.jsonl"; then
	pass "the rollback from the page is audited"
else
	fail "audit:"; cat "$PAVED_HOME/portal/audit.jsonl"
fi
serve_stop
finish
