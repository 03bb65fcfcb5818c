#!/bin/sh
# test_health_e2e.sh -- `paved catalog show` and `list --health` with a
# real runtime: a small HTTP program (python3 -m http.server) started
# through the runtime fronts on the test driver "direct" (one process on a
# stable port, tests/plugins/rt_direct.c), so the catalog's live health
# comes from runtime.status of a process that answers, then does not, then
# is stopped.  Every call is checked against sdk/hooks.json.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/runtime/process/rt-lib.sh"

PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
RT_PLUGINS=$(plugin_dir rt_direct)
cat >"$PAVED_HOME/config.json" <<'JSON'
{"drivers": {"runtime": {"default": "direct"}}}
JSON
cat >"$tmp/catalog.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: web, annotations: {paved.dev/health-url: "http://web.example/health"}}
spec: {type: service, lifecycle: production, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: idle}
spec: {type: service, lifecycle: production, owner: team-a}
YAML
catalog() { run "$PAVED" --plugin-path "$RT_PLUGINS" catalog "$@"; }

catalog import "$tmp/catalog.yaml"
expect_rc 0 "import"
catalog show web
expect_rc 0 "show before any deploy"
expect_out "health       not deployed  http://web.example/health" "not deployed, the declared URL"

site="$tmp/site"
mkdir -p "$site"
echo ok >"$site/health"
serve='["sh", "-c", "exec python3 -m http.server --bind 127.0.0.1 \"$PORT\""]'
call runtime.ensure '{"service": "web", "env": "dev"}'
expect_rc 0 "ensure"
url=$(jget 'j["url"]')
call runtime.start "{\"service\": \"web\", \"env\": \"dev\", \"version\": \"v1\", \"dir\": \"$site\", \"argv\": $serve}"
expect_rc 0 "start"
id=$(jget 'j["id"]')
call runtime.wait "{\"service\": \"web\", \"env\": \"dev\", \"id\": \"$id\", \"timeout\": 20}"
expect_rc 0 "wait"
call runtime.enable "{\"service\": \"web\", \"env\": \"dev\", \"id\": \"$id\"}"
expect_rc 0 "enable"

catalog show web
expect_rc 0 "show a live service"
expect_out "health       healthy (dev, 1/1 replicas in traffic healthy)  $url" "healthy, with its URL"
expect_out "version      v1" "the live version"
expect_out "error rate and latency: prometheus: metrics.red: metrics unavailable: Prometheus is not running ('paved metrics up' starts it)" "no metrics backend running: said"
run "$PAVED" --plugin-path "$RT_PLUGINS" --json catalog show web
expect_json "show --json"
[ "$(jget '[j["health"]["status"], j["health"]["envs"][0]["url"], j["health"]["envs"][0]["version"]]')" = \
	"[\"healthy\", \"$url\", \"v1\"]" ] && pass "show --json: status, URL, version" ||
	{ fail "show --json health"; show; }
catalog list --health
expect_rc 0 "the fleet view"
expect_out "component:default/web" "web in the fleet"
cp "$tmp/stdout" "$tmp/fleet"
grep 'component:default/web ' "$tmp/fleet" | grep -q ' healthy ' &&
	grep 'component:default/idle ' "$tmp/fleet" | grep -q 'not deployed' &&
	pass "web healthy, idle not deployed, in one table" || { fail "the fleet table"; command cat "$tmp/fleet"; }

# the health check fails: down
rm "$site/health"
catalog show web
expect_out "health       down (dev, 0/1 replicas in traffic healthy)" "a failing health check is down"
# stopped
call runtime.stop '{"service": "web", "env": "dev"}'
expect_rc 0 "stop"
catalog show web
expect_out "health       stopped (dev" "a stopped service"
finish
