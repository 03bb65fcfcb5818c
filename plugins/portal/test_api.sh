#!/bin/sh
# test_api.sh -- `paved serve`'s catalog API, tokens, audit and faults,
# against the real host/paved with PAVED_CHECK_SHAPES=1: Backstage's filter
# semantics, by-name, by-refs, facets, locations (201, 409, dryRun, delete),
# 401 without a token, 403 for another team with nothing changed, bad input
# (malformed JSON, over 1 MiB, unknown routes), 200 concurrent requests, a
# slow client that blocks nobody, and a graceful SIGTERM.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/portal/portal-lib.sh"
export PAVED_CHECK_SHAPES=1
T="$top_srcdir/plugins/portal/testdata"
command -v curl >/dev/null || { echo "SKIP: curl is missing"; exit 77; }

# ---- tokens ------------------------------------------------------------
run "$PAVED" token create
expect_rc 2 "token create without --team is a usage error"
expect_err "create: --team TEAM is required" "it says what is missing"
run "$PAVED" token create --team "Team A"
expect_rc 1 "a team that is not a group name is refused"
run "$PAVED" token create --team team-a --name ci
expect_rc 0 "token create --team team-a"
TA=$out
run "$PAVED" token create --team team-b
TB=$out
run "$PAVED" --json token create --team ops --admin
ADMIN=$(json_eval 'j.token' "$tmp/stdout")
case "$TA$TB$ADMIN" in *pvd_*pvd_*pvd_*) pass "tokens are printed once";; *) fail "tokens: '$TA' '$TB' '$ADMIN'";; esac
if grep -qF "$TA" "$PAVED_HOME/paved.db" "$PAVED_HOME"/paved.db-wal 2>/dev/null; then
	fail "the token is stored in clear"
else
	pass "only the token's hash is stored"
fi
run "$PAVED" --json token list
expect_out '"team": "team-a"' "token list shows the team"
if grep -qF "$TA" "$tmp/stdout"; then fail "token list shows a token"; else pass "token list shows no token"; fi

run "$PAVED" catalog import "$T/catalog.yaml"
expect_rc 0 "the test catalog is imported"

run "$PAVED" serve --listen nowhere
expect_rc 2 "serve --listen without a port is a usage error"
expect_err "expected HOST:PORT" "it says what is expected"

serve_start
pass "paved serve listens on $URL"

# ---- 401 and reading ----------------------------------------------------
api GET "/api/catalog/entities/by-query?filter=kind=component"
expect_code 401 "reading without a token"
expect_jb 'j.error.name' AuthenticationError "the 401 is a JSON error"
api GET "/api/catalog/entities/by-query" pvd_0000000000000000000000000000000000000000
expect_code 401 "an unknown token"

api GET "/api/catalog/entities/by-query?filter=kind=component" "$TA"
expect_code 200 "by-query with a token"
expect_jb 'j.totalItems' 3 "kind=component: 3 components"
expect_jb 'j.items.map(e => e.metadata.name).sort().join()' billing,orders,web "their names"
expect_jb 'Object.keys(j.pageInfo).length' 0 "one page: no cursor"
expect_jb 'j.items[0].metadata.uid.length' 36 "entities carry a uid"
api GET "/api/catalog/entities/by-query?filter=KIND=Component" "$TA"
expect_jb 'j.totalItems' 3 "keys and values are case-insensitive"
api GET "/api/catalog/entities/by-query?filter=kind=component,spec.owner=team-b" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).sort().join()' billing,web "conditions in one filter are ANDed"
api GET "/api/catalog/entities/by-query?filter=kind=api&filter=kind=system" "$TA"
expect_jb 'j.items.map(e => e.kind).sort().join()' API,System "repeated filters are ORed"
api GET "/api/catalog/entities/by-query?filter=kind=component,kind=api" "$TA"
expect_jb 'j.totalItems' 4 "one key twice in a filter: its values are ORed"
api GET "/api/catalog/entities/by-query?filter=relations.ownedBy=group:default/team-a" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).sort().join()' orders,orders-api,payments "relations.ownedBy=REF"
api GET "/api/catalog/entities/by-query?filter=relations.dependencyof=component:default/web&fields=metadata.name" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).sort().join()' billing,orders "relations.dependencyOf (inverse relations)"
api GET "/api/catalog/entities/by-query?filter=metadata.tags.java" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).join()' orders "an array's string item as a key (metadata.tags.java)"
api GET "/api/catalog/entities/by-query?filter=spec.lifecycle" "$TA"
expect_jb 'j.totalItems' 4 "a key alone: existence"
api GET "/api/catalog/entities/by-query?filter=spec.nosuchfield=x" "$TA"
expect_code 200 "a filter on an unknown field is not an error"
expect_jb 'j.totalItems + "/" + j.items.length' 0/0 "and returns an empty result"
api GET "/api/catalog/entities/by-query?filter=kind=component&fields=metadata.name,kind" "$TA"
expect_jb 'JSON.stringify(Object.keys(j.items[0]).sort()) + Object.keys(j.items[0].metadata).join()' '["kind","metadata"]name' "fields prunes the entities"
api GET "/api/catalog/entities/by-query?filter=kind=component&orderField=metadata.name,desc&fields=metadata.name" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).join()' web,orders,billing "orderField=metadata.name,desc"
api GET "/api/catalog/entities/by-query?orderField=spec.system,asc&fields=metadata.name" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).sort().join()' billing,orders,orders-api "orderField keeps only entities that have the field"
api GET "/api/catalog/entities/by-query?orderField=metadata.name,sideways" "$TA"
expect_code 400 "a bad order is refused"
api GET "/api/catalog/entities/by-query?fullTextFilterTerm=BILL&fullTextFilterFields=metadata.name,metadata.title" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).join()' billing "fullTextFilterTerm over fullTextFilterFields"
api GET "/api/catalog/entities/by-query?filter=kind=component&limit=1&orderField=metadata.name,asc&fields=metadata.name" "$TA"
names=$(jb 'j.items[0].metadata.name')
cursor=$(jb 'j.pageInfo.nextCursor')
api GET "/api/catalog/entities/by-query?cursor=$cursor&limit=1&filter=kind=api&fields=metadata.name" "$TA"
names="$names,$(jb 'j.items[0].metadata.name')"
expect_jb 'j.totalItems' 3 "the cursor overrides filter (kind=api ignored)"
prev=$(jb 'j.pageInfo.prevCursor')
cursor=$(jb 'j.pageInfo.nextCursor')
api GET "/api/catalog/entities/by-query?cursor=$cursor&limit=1" "$TA"
names="$names,$(jb 'j.items[0].metadata.name')"
expect_jb 'j.pageInfo.nextCursor === undefined' true "the last page has no nextCursor"
if [ "$names" = billing,orders,web ]; then pass "cursor paging visits each entity once, in order"; else fail "paging: $names"; fi
api GET "/api/catalog/entities/by-query?cursor=$prev&limit=1&fields=metadata.name" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).join()' billing "prevCursor goes back"
api GET "/api/catalog/entities/by-query?filter=kind=component&limit=2&fields=metadata.name" "$TA"
first=$(jb 'j.items.map(e => e.metadata.name).join()')
api GET "/api/catalog/entities/by-query?cursor=$(jb 'j.pageInfo.nextCursor')&fields=metadata.name" "$TA"
expect_jb 'j.items.length + " " + (j.pageInfo.nextCursor === undefined)' "1 true" "without an order: the next page, then no more"
api GET "/api/catalog/entities/by-query?cursor=$(jb 'j.pageInfo.prevCursor')&limit=2&fields=metadata.name" "$TA"
expect_jb 'j.items.map(e => e.metadata.name).join()' "$first" "and prevCursor brings the first page back"
api GET "/api/catalog/entities/by-query?cursor=notbase64" "$TA"
expect_code 400 "a malformed cursor"
api GET "/api/catalog/entities?filter=kind=group&fields=metadata.name" "$TA"
expect_jb 'j.map(e => e.metadata.name).sort().join()' team-a,team-b "GET /entities (the older list)"

api GET "/api/catalog/entities/by-name/component/default/orders" "$TA"
expect_code 200 "by-name"
expect_jb 'j.relations.filter(r => r.type === "ownedBy")[0].targetRef' group:default/team-a "with its relations"
api GET "/api/catalog/entities/by-name/Component/Default/ORDERS" "$TA"
expect_code 200 "by-name is case-insensitive"
api GET "/api/catalog/entities/by-name/component/default/nope" "$TA"
expect_code 404 "by-name of a missing entity"
expect_jb 'j.error.name + ": " + j.error.message' "NotFoundError: No entity named 'nope' found, with kind 'component' in namespace 'default'" "404 as JSON"

api POST /api/catalog/entities/by-refs "$TA" '{"entityRefs":["component:default/web","component:default/nope","API:default/orders-api"],"fields":["kind","metadata.name"]}'
expect_code 200 "by-refs"
expect_jb 'JSON.stringify(j.items)' '[{"kind":"Component","metadata":{"name":"web"}},null,{"kind":"API","metadata":{"name":"orders-api"}}]' "same order and length, null for a miss"
api POST /api/catalog/entities/by-refs "$TA" '{"entityRefs": 3}'
expect_code 400 "by-refs without a list"

api GET "/api/catalog/entity-facets?facet=kind&facet=metadata.tags&filter=spec.lifecycle" "$TA"
expect_jb 'JSON.stringify(j.facets.kind)' '[{"value":"Component","count":3},{"value":"API","count":1}]' "entity-facets counts, with the filter"
expect_jb 'j.facets["metadata.tags"].map(f => f.value).sort().join()' go,java,tier-1 "facets of an array"

# ---- observe: a backend that is down is unavailable, not an error, and a page
# view does not start it ------------------------------------------------------------
api GET "/api/paved/services/orders/metrics?env=dev" "$TA"
expect_code 200 "metrics while Prometheus is not running"
expect_jb 'j.red.available + " " + j.red.reason' "false prometheus: metrics.red: metrics unavailable: Prometheus is not running ('paved metrics up' starts it)" "metrics.red is reported unavailable, with the reason"
expect_jb 'j.series.latency_p99_ms.available + " " + j.series.latency_p99_ms.hook' "false metrics.query" "so are the series"
if [ -e "$PAVED_HOME/prometheus" ]; then fail "a GET of the metrics started Prometheus"; else pass "a GET of the metrics started no Prometheus"; fi
api GET "/api/paved/services/orders/health" "$TA"
expect_code 200 "health of a service that never ran"
api GET "/api/paved/services/orders/releases" "$TA"
expect_code 404 "releases of a service that never ran (paved releases: no service)"
api GET "/api/paved/services/Bad_Name/status" "$TA"
expect_code 400 "a service name that cannot be one"
api POST "/api/paved/services/orders/deploy" "$TB" '{}'
expect_code 403 "team-b may not deploy team-a's service"
api POST "/api/paved/services/orders/rollback" "" '{}'
expect_code 401 "rollback without a token"

# ---- locations, ownership, audit ----------------------------------------
api POST /api/catalog/locations "" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 401 "POST /locations without a token"
api POST "/api/catalog/locations?dryRun=true" "$TB" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 201 "a dry run"
expect_jb 'j.exists' false "it does not exist yet"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 404 "the dry run wrote nothing"
api POST /api/catalog/locations "$TB" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 201 "POST /locations"
loc=$(jb 'j.location.id')
expect_jb 'j.entities.map(e => e.metadata.name).join()' extra-svc "it lists the entities it brought"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 200 "the new entity is served at once"
api POST /api/catalog/locations "$TB" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 409 "the same location again"
expect_jb 'j.error.name' ConflictError "409 is a ConflictError"
api GET "/api/catalog/locations/$loc" "$TA"
expect_jb 'j.target' "$T/extra.yaml" "GET /locations/:id"
api POST /api/catalog/locations "$TB" '{"type":"url","target":"https://example.com/x.yaml"}'
expect_code 400 "url locations are refused (paved fetches nothing)"
api DELETE "/api/catalog/locations/$loc" "$TA"
expect_code 403 "another team may not delete team-b's location"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 200 "and nothing changed"
api DELETE "/api/catalog/locations/$loc" "$TB"
expect_code 204 "the owning team deletes it"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 404 "its entity is gone"
api DELETE "/api/catalog/locations/$loc" "$TB"
expect_code 404 "a deleted location is gone"
api POST /api/catalog/locations "$TB" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 201 "the same file, unchanged, as a location again"
loc=$(jb 'j.location.id')
expect_jb 'j.entities.map(e => e.metadata.name).join()' extra-svc "brings its entity back"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 200 "which is served again"
api DELETE "/api/catalog/locations/$loc" "$TB"
expect_code 204 "deleted again"

api GET /api/catalog/entities/by-name/component/default/orders "$TA"
uid=$(jb 'j.metadata.uid')
api DELETE "/api/catalog/entities/by-uid/$uid" "$TB"
expect_code 403 "team-b may not delete team-a's component"
expect_jb 'j.error.name' NotAllowedError "403 is NotAllowedError"
run "$PAVED" --json catalog show orders
expect_rc 0 "the catalog still has it (nothing changed)"
api DELETE "/api/catalog/entities/by-uid/$uid" ""
expect_code 401 "delete without a token"
api GET /api/catalog/entities/by-name/component/default/web "$TA"
api DELETE "/api/catalog/entities/by-uid/$(jb 'j.metadata.uid')" "$ADMIN"
expect_code 204 "an admin token may delete anything"
api GET /api/catalog/entities/by-name/component/default/web "$TA"
expect_code 404 "the deleted entity is gone from the API"

audit="$PAVED_HOME/portal/audit.jsonl"
if grep -q '"action":"location.add".*"status":201' "$audit" &&
   grep -q '"team":"team-a".*"target":"component:default/orders".*"status":403\|"team":"team-b".*"target":"component:default/orders".*"status":403' "$audit" &&
   grep -q '"who":"anonymous".*"status":401' "$audit" &&
   grep -q '"admin":true.*"action":"catalog.delete".*"status":204' "$audit"; then
	pass "the audit log has who, what, when and the outcome, refusals included"
else
	fail "audit log:"; cat "$audit"
fi
if grep -q '"time":"20' "$audit"; then pass "audit lines are timed"; else fail "no time in the audit log"; fi

# ---- pages: sign-in, session cookie, CSRF ------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/catalog")
case $code in "303 $URL/login?next=%2Fcatalog") pass "a page without a session redirects to /login";; *) fail "page redirect: $code";; esac
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-urlencode "token=pvd_nope" "$URL/login")
[ "$code" = 401 ] && pass "signing in with an unknown token is refused" || fail "bad sign-in: $code"
curl -s -o /dev/null -c "$tmp/jar" -X POST -H "Origin: $URL" --data-urlencode "token=$TB" \
	--data-urlencode "next=/catalog" "$URL/login"
if grep -q "paved_session" "$tmp/jar" && grep -q "#HttpOnly_127.0.0.1" "$tmp/jar"; then pass "signing in sets an HttpOnly session cookie"; else fail "no session cookie"; cat "$tmp/jar"; fi
curl -s -b "$tmp/jar" "$URL/catalog" > "$tmp/page"
csrf=$(sed -n 's/.*<meta name="csrf-token" content="\([0-9a-f]*\)".*/\1/p' "$tmp/page")
if grep -q '<table id="entities">' "$tmp/page" && [ ${#csrf} -eq 64 ]; then pass "the catalog page, with its CSRF token"; else fail "catalog page"; fi
body="{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -X POST -H 'Content-Type: application/json' \
	--data-binary "$body" "$URL/api/catalog/locations")
[ "$code" = 403 ] && grep -q "CSRF" "$tmp/body" && pass "a session write without the CSRF token is refused (403)" || fail "CSRF: $code $(cat "$tmp/body")"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -X POST -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $csrf" -H "Origin: http://evil.example" --data-binary "$body" "$URL/api/catalog/locations")
[ "$code" = 403 ] && pass "a foreign Origin is refused (403)" || fail "origin: $code"
api GET /api/catalog/entities/by-name/component/default/extra-svc "$TB"
expect_code 404 "and nothing was written"
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -b "$tmp/jar" -X POST -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $csrf" --data-binary "$body" "$URL/api/catalog/locations")
[ "$code" = 201 ] && pass "with the CSRF token the session may write" || fail "session write: $code $(cat "$tmp/body")"
loc2=$(json_eval 'j.location.id' "$tmp/body")
api DELETE "/api/catalog/locations/$loc2" "$TB"
expect_code 204 "(cleaned up)"
for page in /catalog/default/component/orders /catalog/default/api/orders-api /teams /create /create/node-api; do
	code=$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/jar" "$URL$page")
	[ "$code" = 200 ] && pass "page $page" || fail "page $page: $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$tmp/jar" "$URL/catalog/default/component/nope")
[ "$code" = 404 ] && pass "the page of a missing entity is 404" || fail "missing page: $code"
code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$URL/static/../paved.db")
[ "$code" = 404 ] && pass "no path outside the static directory" || fail "static traversal: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/static/vendor/cytoscape/LICENSE")
[ "$code" = 200 ] && pass "the vendored libraries' licences are served beside them" || fail "licence: $code"

# ---- bad input and faults -----------------------------------------------
api POST /api/catalog/entities/by-refs "$TA" '{"entityRefs": ['
expect_code 400 "malformed JSON"
expect_jb 'j.error.name' InputError "is a JSON InputError"
head -c 1100000 /dev/zero | tr '\0' 'a' > "$tmp/big"
api POST /api/catalog/entities/by-refs "$TA" "@$tmp/big"
expect_code 413 "a body over 1 MiB"
expect_jb 'j.error.name' PayloadTooLargeError "is a JSON error"
api GET /api/catalog/nope "$TA"
expect_code 404 "an unknown catalog route"
expect_jb 'j.error.name' NotFoundError "404 as JSON"
api GET /api/nothing/here "$TA"
expect_code 404 "an unknown API route"
api GET "/api/catalog/entities/by-query" "$TA"
for h in "Content-Security-Policy: default-src 'self'" "X-Content-Type-Options: nosniff" \
         "X-Frame-Options: DENY" "Referrer-Policy: same-origin"; do
	if grep -qi "^$h" "$tmp/headers"; then pass "header $h"; else fail "missing header $h"; cat "$tmp/headers"; fi
done

# a slow client: a request that never ends its headers, and one that
# never sends its body, block nobody
node -e '
const net = require("net"), http = require("http");
const [port, token] = process.argv.slice(1);
let stalled = 0;
const go = () => { if (++stalled === 2) ask(); };
const a = net.connect(+port, "127.0.0.1", () => a.write("GET /api/catalog/entities HTTP/1.1\r\nHost: x\r\n", go));
const b = net.connect(+port, "127.0.0.1", () => b.write("POST /api/catalog/entities/by-refs HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"ent", go));
function ask() {
  const t0 = Date.now();
  http.get({ port: +port, host: "127.0.0.1", path: "/api/catalog/entities/by-name/component/default/orders",
             headers: { Authorization: "Bearer " + token } }, res => {
    res.resume();
    res.on("end", () => { console.log(res.statusCode, Date.now() - t0); a.destroy(); b.destroy(); });
  }).setTimeout(5000, () => { console.log("timeout"); process.exit(0); });
}
' "$PORT" "$TA" > "$tmp/slow"
read -r code ms < "$tmp/slow"
if [ "$code" = 200 ] && [ "$ms" -lt 2000 ]; then pass "two stalled clients block nobody (${ms} ms)"; else fail "with stalled clients: $(cat "$tmp/slow")"; fi

# 200 concurrent requests, none failed
: > "$tmp/urls"
i=0
while [ $i -lt 200 ]; do
	printf 'url = "%s"\noutput = "/dev/null"\n' \
		"$URL/api/catalog/entities/by-query?filter=kind=component&limit=$((i % 5 + 1))" >> "$tmp/urls"
	i=$((i + 1))
done
curl -s --parallel --parallel-immediate --parallel-max 200 -H "Authorization: Bearer $TA" \
	-K "$tmp/urls" -w '%{http_code}\n' > "$tmp/codes" 2>&1
ok=$(grep -c '^200$' "$tmp/codes")
if [ "$ok" -eq 200 ]; then pass "200 concurrent requests: 200 succeeded"; else fail "200 concurrent: $ok succeeded"; sort "$tmp/codes" | uniq -c | cut -c1-200; fi

if grep -q '"GET /api/catalog/entities/by-name/component/default/orders" 200' "$PAVED_HOME/logs/portal-access.log"; then
	pass "the access log has each request"
else
	fail "access log:"; tail -5 "$PAVED_HOME/logs/portal-access.log"
fi

serve_stop
if [ "$stop_rc" -eq 0 ] && grep -q "paved serve: stopped" "$tmp/serve.out"; then
	pass "SIGTERM stops it gracefully (exit 0)"
else
	fail "SIGTERM: exit $stop_rc"; cat "$tmp/serve.out" "$tmp/serve.err"
fi

# ---- anonymous read -----------------------------------------------------
echo '{"serve": {"anonymous_read": "yes"}}' > "$PAVED_HOME/config.json"
run "$PAVED" serve --listen 127.0.0.1:0
expect_rc 1 "a serve.anonymous_read that is not a boolean"
expect_err "serve.anonymous_read must be true or false" "names the key"
echo '{"serve": {"anonymous_read": true}}' > "$PAVED_HOME/config.json"
serve_start
api GET "/api/catalog/entities/by-query?filter=kind=group"
expect_code 200 "serve.anonymous_read: reading without a token"
code=$(curl -s -o "$tmp/page" -w '%{http_code}' "$URL/catalog")
[ "$code" = 200 ] && grep -q '<a href="/login">Sign in</a>' "$tmp/page" && pass "the pages work without a login" || fail "anonymous page: $code"
api POST /api/catalog/locations "" "{\"type\":\"file\",\"target\":\"$T/extra.yaml\"}"
expect_code 401 "writing still needs a token"
api GET /api/catalog/entities/by-query pvd_0000000000000000000000000000000000000000
expect_code 401 "a wrong token is still refused"
serve_stop

finish
