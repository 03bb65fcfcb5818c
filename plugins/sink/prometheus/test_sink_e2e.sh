#!/bin/sh
# test_sink_e2e.sh -- the sink sink_prometheus through the paved binary:
# events emitted by a test plugin (emit.lua: test.emit {event, data}) become
# counters and histograms in paved.prom, in Prometheus's text format
# (promtool check metrics); an event delivered again (it waited in the
# outbox after a failed write) counts once; two paved processes emitting at
# once lose nothing; with the embedded Prometheus running, paved-metricsd
# serves the file and Prometheus scrapes it as the job "paved".  Needs
# prometheus and promtool (Debian package 'prometheus'): a skip without
# them, a failure under CI=true.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/monitoring/prometheus/metrics-lib.sh"
metrics_need prometheus promtool node
PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
mkdir -p "$PAVED_HOME" "$tmp/plugins"
echo '{"plugins": {"prometheus": {"scrape_interval": "1s"}}}' >"$PAVED_HOME/config.json"
cleanup() {
	metrics_stop
	rm -rf "$tmp"
}
trap cleanup EXIT
cat >"$tmp/plugins/emit.lua" <<'LUA'
return {
  name = "emit", version = "1.0.0", summary = "test: emits the event it is given",
  init = function()
    paved.provide("test.emit", function(args)
      paved.emit(args.event, args.data or {})
      return {}
    end)
  end,
}
LUA
emit() { # EVENT DATA-JSON
	run "$PAVED" --plugin-path "$tmp/plugins" call test.emit "{\"event\": \"$1\", \"data\": $2}"
	[ "$rc" = 0 ] || { fail "emit $1"; show; }
}
prom="$PAVED_HOME/prometheus/textfile/paved.prom"
state="$PAVED_HOME/sink-prometheus/state.json"

# ---- no backend yet: counted, no text file (the sink never makes the backend's directory)
emit deploy.started '{"id": "d1", "service": "shop", "env": "dev"}'
[ -s "$state" ] && pass "the state is kept" || fail "no state"
[ ! -e "$PAVED_HOME/prometheus" ] && pass "the sink did not make the backend's directory" ||
	fail "the sink made $PAVED_HOME/prometheus"

# ---- the backend is set up: its start event writes the file at once
run "$PAVED" metrics up
expect_rc 0 "metrics up"
[ -s "$prom" ] && pass "paved.prom written at the backend's start" || fail "no $prom"
grep -q '^paved_events_total{event="metrics.backend.started"} 1$' "$prom" &&
	pass "the start counted" || { fail "no start event"; cat "$prom"; }

emit deploy.succeeded '{"id": "d1", "service": "shop", "env": "dev", "outcome": "success"}'
emit deploy.started '{"id": "d2", "service": "shop", "env": "dev"}'
emit deploy.rolled_back '{"id": "d2", "service": "shop", "env": "dev", "outcome": "rolled_back"}'
emit deploy.failed '{"id": "d3", "service": "cart", "env": "production"}'
emit recipe.run.succeeded '{"run_id": 1, "recipe": "node-api", "params": {}}'
emit recipe.run.failed '{"run_id": 2, "recipe": "node-api", "params": {}}'
emit resource.provisioned '{"name": "shop-db", "type": "postgres", "driver": "postgres-local", "duration_ms": 1500}'
emit resource.failed '{"name": "x", "type": "redis", "driver": "redis-local", "error": "boom"}'
want() { grep -qxF -- "$1" "$prom" && pass "$2" || { fail "$2: no line '$1'"; grep -v '^#' "$prom"; }; }
want 'paved_deploys_total{env="dev",outcome="success",service="shop"} 1' "a successful deploy"
want 'paved_deploys_total{env="dev",outcome="rolled_back",service="shop"} 1' "a rolled-back deploy"
want 'paved_deploys_total{env="production",outcome="failed",service="cart"} 1' "a failed deploy"
want 'paved_deploy_duration_seconds_count{env="dev",service="shop"} 2' "two deploy durations (started to outcome)"
want 'paved_deploy_duration_seconds_bucket{env="dev",service="shop",le="+Inf"} 2' "in the +Inf bucket"
grep -q 'paved_deploy_duration_seconds_count{env="production"' "$prom" &&
	fail "a deploy without its start has a duration" || pass "no duration without a start"
want 'paved_golden_path_runs_total{recipe="node-api",status="succeeded"} 1' "a golden-path run"
want 'paved_golden_path_runs_total{recipe="node-api",status="failed"} 1' "a failed golden-path run"
want 'paved_provision_duration_seconds_bucket{driver="postgres-local",type="postgres",le="1"} 0' "1.5 s is not under 1 s"
want 'paved_provision_duration_seconds_bucket{driver="postgres-local",type="postgres",le="2.5"} 1' "1.5 s is under 2.5 s"
want 'paved_provision_duration_seconds_sum{driver="postgres-local",type="postgres"} 1.500000' "the sum in seconds"
want 'paved_resources_total{driver="redis-local",outcome="failed",type="redis"} 1' "a failed resource"
run promtool check metrics <"$prom"
expect_rc 0 "promtool check metrics accepts paved.prom"

# ---- a failed write: the event waits in the outbox, and counts once when delivered again
mkdir -p "$tmp/blocked/paved.prom"     # a directory where the file should go
run "$PAVED" --plugin-path "$tmp/plugins" -c plugins.sink_prometheus.path="$tmp/blocked/paved.prom" \
	call test.emit '{"event": "deploy.started", "data": {"id": "d9", "service": "again", "env": "dev"}}'
expect_rc 0 "a failing sink does not fail the command"
run "$PAVED" events outbox
expect_out "sink_prometheus" "the event waits in the outbox"
run "$PAVED" events flush
expect_rc 0 "delivered again"
run "$PAVED" events outbox
grep -q sink_prometheus "$tmp/stdout" && fail "still in the outbox" || pass "the outbox is empty"
want 'paved_events_total{event="deploy.started"} 3' "delivered twice, counted once"

# ---- two paved processes at once lose nothing
for k in a b; do
	( i=0; while [ $i -lt 15 ]; do
		"$PAVED" --plugin-path "$tmp/plugins" call test.emit \
			"{\"event\": \"recipe.run.succeeded\", \"data\": {\"recipe\": \"par-$k\"}}" >/dev/null 2>&1
		i=$((i + 1))
	done ) &
done
wait
want 'paved_golden_path_runs_total{recipe="par-a",status="succeeded"} 15' "15 runs of one process"
want 'paved_golden_path_runs_total{recipe="par-b",status="succeeded"} 15' "15 runs of the other"

# ---- Prometheus scrapes it as the job "paved"
url=$("$PAVED" --json metrics status | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).url))')
deadline=$(($(date +%s) + 30))
got=
while [ "$(date +%s)" -lt "$deadline" ]; do
	got=$(curl -s "$url/api/v1/query" --data-urlencode 'query=paved_deploys_total{job="paved",service="shop",outcome="success"}' |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.result;console.log(r.length?r[0].value[1]:"")})')
	[ "$got" = 1 ] && break
	sleep 0.2
done
[ "$got" = 1 ] && pass "Prometheus scraped paved_deploys_total from paved-metricsd" || fail "not scraped: '$got'"
exporter=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).exporter_port)' \
	"$PAVED_HOME/prometheus/metricsd.json")
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$exporter/nope")" = 404 ] &&
	pass "paved-metricsd answers 404 off /metrics" || fail "no 404"
finish
