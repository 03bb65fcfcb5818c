#!/bin/sh
# test_catalog_client.sh -- paved serve's catalog API driven by Backstage's
# own client, @backstage/catalog-client from npm, unmodified
# (catalog-client.mjs).  Without node or the package it skips; under
# CI=true that is a failure.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/portal/portal-lib.sh"
export PAVED_CHECK_SHAPES=1
NODE_DIR="$top_srcdir/plugins/portal/node"
if ! command -v node >/dev/null || [ ! -f "$NODE_DIR/node_modules/@backstage/catalog-client/package.json" ]; then
	if [ "${CI:-}" = true ]; then echo "FAIL: node or @backstage/catalog-client is missing"; exit 1; fi
	echo "SKIP: node or @backstage/catalog-client is missing (scripts/bootstrap installs it)"; exit 77
fi
T="$top_srcdir/plugins/portal/testdata"
run "$PAVED" catalog import "$T/catalog.yaml"
expect_rc 0 "the test catalog is imported"
run "$PAVED" token create --team team-b
TB=$out
serve_start
node "$top_srcdir/plugins/portal/catalog-client.mjs" "$URL" "$TB" "$T/extra.yaml" "$NODE_DIR" > "$tmp/client" 2>&1
cat "$tmp/client"
checks=$((checks + $(grep -c '^ok:' "$tmp/client") + $(grep -c '^FAIL:' "$tmp/client")))
fails=$((fails + $(grep -c '^FAIL:' "$tmp/client")))
grep -q 'checks, 0 failed' "$tmp/client" || grep -q '^FAIL' "$tmp/client" || fail "catalog-client.mjs did not finish"
serve_stop
finish
