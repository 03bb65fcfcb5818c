#!/bin/sh
# test_canary_judge_e2e.sh -- the judge mann-whitney for real: a version
# 50% slower (its p99 too) is caught by the judge at 10% of the traffic,
# where the fixed threshold of the same SLO (p99 < 200 ms) lets it pass.
#
# A Prometheus of the test's own (the metrics plugin is not there yet)
# scrapes every replica through the targets the monitoring driver writes
# ($PAVED_HOME/monitoring/targets/*.json) every second; the provider
# prometheus asks it (plugins.analysis.prometheus_url) for the p99 of the
# canary's replicas and of the fresh baseline's, by replica id.  A request
# loop runs throughout.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/deploy/canary/canary-lib.sh"
deploy_need git node curl haproxy prometheus python3
deploy_env
loop= prom=
trap 'loop_stop; [ -n "$prom" ] && kill "$prom" 2>/dev/null; deploy_cleanup' EXIT
P="$PAVED"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$PAVED_HOME/monitoring/targets" "$tmp/prom"
cat > "$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: paved-services
    file_sd_configs: [{files: ['$PAVED_HOME/monitoring/targets/*.json'], refresh_interval: 1s}]
EOF
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prom" \
	--web.listen-address="127.0.0.1:$port" > "$tmp/prometheus.log" 2>&1 &
prom=$!
wait_for 30 curl -sf "http://127.0.0.1:$port/-/ready" && pass "Prometheus is ready on $port" ||
	{ fail "Prometheus did not start: $(tail -3 "$tmp/prometheus.log")"; finish; }
PAVED_CONFIG_PLUGINS__ANALYSIS__PROMETHEUS_URL="http://127.0.0.1:$port"
export PAVED_CONFIG_PLUGINS__ANALYSIS__PROMETHEUS_URL

canary_service api || { fail "the service api could not be made"; finish; }
canary_yaml api rolling 'ERROR_RATE: "0", LATENCY_MS: "20"' ""   # v1: 20 ms
git -C "$tmp/api" commit -qam "v1 at 20 ms"
run "$P" deploy api --dir "$tmp/api"
expect_rc 0 "v1 (20 ms) deployed"
v1=$(git -C "$tmp/api" rev-parse HEAD | cut -c1-12)
url=$("$P" --json status api | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].url))')

# v2: 30 ms, 50% slower at every percentile; the SLO's p99 is 200 ms
v2=$(canary_version api 'ERROR_RATE: "0", LATENCY_MS: "30"' "  steps:
    - deploy: 10%
      duration: 12s
      metrics:
        - latency_p99_less_than: 200ms
    - deploy: 100%
  judge:
    method: mann-whitney
    metrics:
      latency_p99: {direction: increase, critical: true}
  analysis: {measurements: 8, inconclusiveLimit: 4}
slo: {availability: 99.9, latency: {p99_ms: 200}}")
loop_start
run "$P" deploy api --dir "$tmp/api"
expect_rc 0 "v2 (30 ms) rolls out with the judge"
expect_out "Rolling out api version $v2" "it goes on in the background"
wait_for 90 sh -c "'$P' --json rollout status api | grep -q '\"phase\": \"Degraded\"\|\"phase\": \"Healthy\"'"
loop_stop
run "$P" --json rollout status api
[ "$(jget 'j.outcome')" = rolled_back ] && pass "the judge rolled it back" ||
	fail "outcome $(jget 'j.outcome'): $(jget 'j.reason')"
reason=$(jget 'j.reason')
echo "reason: $reason"
case "$reason" in
*"judge mann-whitney (fail): latency_p99 High (canary 0.0"*"critical): score 0 < marginal 75"*)
	pass "the reason is the judge's" ;;
*) fail "reason: $reason" ;;
esac
# the fixed threshold of the same SLO held at every measurement of the canary
m=$(jget 'JSON.stringify(j.analysis.find(a => a.name === "step-1").metrics[0])')
echo "latency_p99 at 10%: $m"
[ "$(jget 'j.analysis.find(a => a.name === "step-1").metrics[0].failed')" = 0 ] &&
	[ "$(jget 'j.analysis.find(a => a.name === "step-1").metrics[0].successful')" -ge 3 ] &&
	pass "the fixed threshold p99 < 200 ms passed every measurement: it misses the slower version" ||
	fail "the threshold: $m"
jd=$(jget 'JSON.stringify(j.analysis.find(a => a.name === "step-1").judge.metrics[0])')
echo "judge: $jd"
[ "$(jget 'j.analysis.find(a => a.name === "step-1").judge.metrics[0].n_baseline > 2')" = true ] &&
	pass "the baseline was measured beside the canary" || fail "baseline samples: $jd"
[ "$(jget 'j.ids.baseline.length + j.ids.canary.length')" = 0 ] &&
	pass "canary and baseline replicas removed" || fail "ids: $(jget 'JSON.stringify(j.ids)')"
run "$P" --json status api
[ "$(jget 'j[0].instances.filter(r => r.in_traffic && r.version === "'"$v1"'").length')" = 2 ] &&
	pass "v1 serves" || fail "status: $(cat "$tmp/stdout")"
n=$(awk '$2 != 200' "$tmp/loop.log" | wc -l)
[ "$n" = 0 ] && pass "no failed request ($(wc -l < "$tmp/loop.log") requests)" || fail "$n failed requests"
finish
