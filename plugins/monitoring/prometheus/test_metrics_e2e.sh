#!/bin/sh
# test_metrics_e2e.sh -- the metrics backend for real: a Prometheus started
# by the test on a free loopback port under a temporary PAVED_HOME (and
# stopped on exit, pass or fail), a service made by the golden path
# (`paved create service shop --template node-api`), traffic to it, then
#   - `paved metrics shop` shows its rate per version, `paved status` and
#     `paved catalog show` the same figures (metrics.red);
#   - Prometheus scrapes the replicas, HAProxy's exporter and paved's own
#     metrics (sink_prometheus); every rule loads and evaluates; a version
#     answering 500 makes the availability page alert fire, its runbook_url
#     naming a section of the generated runbook;
#   - every panel of the generated dashboard parses as PromQL in the
#     running Prometheus; the runbook's commands are real commands;
#   - `paved metrics down` leaves nothing running, status degrades silently,
#     `paved metrics shop` starts it again on demand;
#   - bad input: exit 2 with the message, exit 1 for an unknown service.
# Every hook call is checked against sdk/hooks.json.  Needs prometheus,
# promtool, haproxy, node, git and curl: a skip without them, a failure
# under CI=true (the Debian package of prometheus and promtool: 'prometheus').
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/monitoring/prometheus/metrics-lib.sh"
metrics_need prometheus promtool haproxy node git curl
deploy_env
mkdir -p "$PAVED_HOME" "$tmp/work"
cat >"$PAVED_HOME/config.json" <<'JSON'
{"plugins": {"prometheus": {"scrape_interval": "1s", "timeout_ms": 3000}}}
JSON
cleanup() {
	metrics_stop
	deploy_cleanup
}
trap cleanup EXIT
cd "$tmp/work" || exit 99
P() { run "$PAVED" "$@"; }

ours() { metrics_procs; }
url_of() { "$PAVED" --json metrics status 2>/dev/null | node -e \
	'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).url||""))'; }
# q PROMQL: metrics.query into $out; jget over it
q() { P call metrics.query "$(node -e 'console.log(JSON.stringify({query: process.argv[1]}))' "$1")"; }
# has_value PROMQL: the query answers at least one sample whose value is > 0
has_value() {
	q "$1" && [ "$(jget 'j.result.filter(s => Number(s.value[1]) > 0).length')" -gt 0 ]
}

# ---- the backend on its own ---------------------------------------------------------
P metrics status
expect_rc 0 "status before anything"
expect_out "not running ('paved metrics up' starts it" "status: not running, and what starts it"
[ "$(ours)" = 0 ] && pass "status started nothing" || fail "status started something"
P metrics up
expect_rc 0 "metrics up"
expect_out "(run by paved)" "up: run by paved"
expect_out "; started now" "up: started now"
url=$(url_of)
case $url in
http://127.0.0.1:9090) fail "the embedded Prometheus took 9090 (a system Prometheus's port)" ;;
http://127.0.0.1:[0-9]*) pass "Prometheus on a loopback port: $url" ;;
*) fail "no URL: '$url'" ;;
esac
[ "$(http_code "$url/-/ready")" = 200 ] && pass "it answers /-/ready" || fail "not ready at $url"
[ "$(ours)" = 2 ] && pass "paved-metricsd and one Prometheus run" || fail "$(ours) processes"
P metrics up
expect_rc 0 "up again"
expect_out "; it was running" "up again starts nothing new"
[ "$(ours)" = 2 ] && pass "still one Prometheus" || fail "$(ours) processes after a second up"
P --json metrics status
expect_json "status --json"
[ "$(jget '[j.running, j.managed, j.url].join(" ")')" = "true true $url" ] &&
	pass "status --json: running, managed, its URL" || { fail "status --json"; show; }
if [ "$(id -u)" = 0 ]; then
	user=$(ps -o user= -p "$(cat "$PAVED_HOME/prometheus/prometheus.pid")")
	[ "$user" != root ] && pass "as root Prometheus runs as '$user', not root" || fail "Prometheus runs as root"
fi

# ---- a service from the golden path, traffic ------------------------------------------
P create service shop --template node-api
expect_rc 0 "create service shop"
expect_out " ✓ Set up monitoring and alerting       6 alert rules (SLO burn rates from platform.yaml), 20 recording rules; Prometheus scrapes each running replica" "the monitoring step says what it set up"
expect_out "Dashboard: $PAVED_HOME/monitoring/dashboards/shop.json (Grafana uid paved-shop; in a terminal: paved metrics shop)" "the dashboard line"
svc_url=$(sed -n 's/^Your service is live at: //p' "$tmp/stdout")
[ -n "$svc_url" ] && pass "live at $svc_url" || fail "no URL"
# traffic N: N requests to the service (a new series counts from its
# second scrape, so the checks below send some while they poll)
traffic() {
	_i=0
	while [ $_i -lt "$1" ]; do curl -s -o /dev/null "$svc_url/"; _i=$((_i + 1)); done
}
traffic 200
curl -s -o /dev/null "$svc_url/no-such-page"
scraped() { traffic 10; has_value 'sum(rate(http_server_request_duration_seconds_count{service="shop",env="dev"}[1m]))'; }
wait_for 30 scraped &&
	pass "Prometheus scraped the replicas' requests" || fail "no request rate in Prometheus"

P metrics shop
expect_rc 0 "paved metrics shop"
expect_out "shop (dev), last 15m, from Prometheus at $url" "the heading"
expect_out "VERSION           REQ/S      5XX       P50       P99  REQUESTS/S OVER TIME" "the columns"
version=$("$PAVED" --json status shop | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].version))')
grep -q "^${version%"${version#????????????}"}  *[0-9][0-9.]*  *0.00%  *[0-9.]* ms  *[0-9.]* ms" "$tmp/stdout" &&
	pass "a row for the live version: rate, 0.00% 5xx, p50, p99" || { fail "no row for $version"; show; }
expect_out "replicas scraped: 2 of 2 up" "both replicas scraped"
P --json metrics shop --since 5m
expect_json "metrics shop --json"
[ "$(jget 'j.requests_per_s > 0 && j.error_rate === 0 && j.latency_p50_ms > 0 && j.versions.length === 1 && j.versions[0].spark.length > 0')" = true ] &&
	pass "--json: rate, no 5xx, latency, one version with a sparkline" || { fail "metrics --json"; show; }
P status shop
expect_rc 0 "paved status shop"
expect_out "  metrics (5m): " "status shows the metrics line"
expect_out "2/2 replicas scraped" "with the scrapes"
P --json status shop
[ "$(jget 'j[0].metrics.requests_per_s > 0')" = true ] && pass "status --json carries metrics.red" ||
	{ fail "status --json metrics"; show; }
P --json catalog show shop
[ "$(jget 'JSON.stringify(j).includes("requests_per_s")')" = true ] &&
	pass "catalog show reads metrics.red" || { fail "catalog show: no metrics"; show; }
[ "$(jget 'j.entity.metadata.annotations["grafana/overview-dashboard"] + " " + j.entity.metadata.annotations["grafana/dashboard-selector"]')" = \
	"http://localhost:3000/d/paved-shop/shop?orgId=1&kiosk paved-shop" ] &&
	pass "catalog-info.yaml links the dashboard in the Grafana plugin's annotations" ||
	fail "grafana annotations: $(jget 'JSON.stringify(j.entity.metadata.annotations)')"
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
	process.exit(d.uid === "paved-shop" && d.tags.includes("paved-shop") ? 0 : 1)' \
	"$PAVED_HOME/monitoring/dashboards/shop.json" &&
	pass "the annotations name the generated dashboard's uid and tag" || fail "uid or tag differs"
P call metrics.red '{"service": "shop", "env": "dev", "window": 120}'
expect_rc 0 "metrics.red"
[ "$(jget 'j.requests_per_s > 0 && j.window === 120')" = true ] && pass "metrics.red: a rate over 120 s" ||
	{ fail "metrics.red"; show; }

# ---- what Prometheus scrapes and evaluates -----------------------------------------------
wait_for 30 has_value 'up{job="haproxy"}' && pass "HAProxy's exporter is scraped" || fail "no HAProxy target up"
wait_for 30 has_value 'haproxy_frontend_http_requests_total{proxy="fe.dev.shop"}' &&
	pass "HAProxy counts the front door's requests" || fail "no HAProxy frontend counter"
wait_for 30 has_value 'paved_deploys_total{service="shop",env="dev",outcome="success"}' &&
	pass "paved's own metrics: a successful deploy of shop" || fail "no paved_deploys_total"
wait_for 30 has_value 'paved_golden_path_runs_total{recipe="node-api",status="succeeded"}' &&
	pass "paved's own metrics: a golden-path run" || fail "no paved_golden_path_runs_total"
wait_for 30 has_value 'paved_deploy_duration_seconds_count{service="shop"}' &&
	pass "paved's own metrics: the deploy's duration" || fail "no paved_deploy_duration_seconds"
wait_for 30 has_value 'service_version:http_server_requests:rate5m{service="shop"}' &&
	pass "a recording rule evaluated (requests per version)" || fail "no recorded RED"
curl -s "$url/api/v1/rules" >"$tmp/rules.json"
node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const r = j.data.groups.flatMap(g => g.rules);
	const bad = r.filter(x => x.health !== "ok" && x.health !== "unknown");
	if (r.length < 26 || bad.length) { console.log(r.length, JSON.stringify(bad)); process.exit(1); }' "$tmp/rules.json" &&
	pass "all 26 rules of shop loaded, none unhealthy" || fail "rules: $(head -c 400 "$tmp/rules.json")"

# a version that answers 500: the availability page fires
sed -i 's/return sendJson(200, { service: SERVICE_NAME, message:/return sendJson(500, { service: SERVICE_NAME, message:/' shop/src/app.js
git -C shop commit -qam "answer 500" || fail "commit"
P deploy shop --dir shop
expect_rc 0 "deploy the failing version"
firing() { traffic 20; q 'ALERTS{alertname="AvailabilitySLOPage",alertstate="firing",service="shop",env="dev"}' &&
	[ "$(jget 'j.result.length')" = 1 ]; }
wait_for 60 firing && pass "AvailabilitySLOPage fires (an alert rule evaluated)" ||
	{ fail "no page alert: GET / answers $(http_code "$svc_url/")"; curl -s "$url/api/v1/alerts"; echo; }
curl -s "$url/api/v1/alerts" >"$tmp/alerts.json"
rb=$(node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const a = j.data.alerts.find(x => x.labels.alertname === "AvailabilitySLOPage");
	console.log(a ? [a.labels.severity, a.annotations.runbook_url, a.annotations.dashboard_url].join(" ") : "none")' "$tmp/alerts.json")
[ "$rb" = "page file://$PAVED_HOME/monitoring/runbooks/shop.md#availabilityslopage http://localhost:3000/d/paved-shop/shop?orgId=1&var-env=dev" ] &&
	pass "the alert: severity page, runbook_url, dashboard_url" || fail "alert annotations: $rb"
grep -q '^<a id="availabilityslopage"></a>$' "$PAVED_HOME/monitoring/runbooks/shop.md" &&
	pass "the runbook has the alert's section" || fail "no runbook section"
traffic 50
P metrics shop --since 2m
expect_out "%" "metrics after the failing deploy"
[ "$("$PAVED" --json metrics shop --since 1m | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);console.log(j.versions.some(v=>v.error_rate>0.5))})')" = true ] &&
	pass "metrics shows the new version's errors" || fail "no error rate per version"

# ---- the dashboard: Grafana's model, PromQL that parses ------------------------------------
dash="$PAVED_HOME/monitoring/dashboards/shop.json"
node -e 'const d = JSON.parse(require("fs").readFileSync(process.argv[1]));
	const ok = d.id === null && d.uid === "paved-shop" && typeof d.title === "string" &&
		Number.isInteger(d.schemaVersion) && Array.isArray(d.panels) && d.panels.length >= 7 &&
		d.tags.includes("paved-shop") && d.templating.list.some(v => v.name === "env") &&
		d.panels.every(p => Number.isInteger(p.id) && p.type && p.gridPos && p.targets.every(t => t.refId && t.expr));
	if (!ok) process.exit(1);
	for (const p of d.panels) for (const t of p.targets) console.log(t.expr);
	for (const a of d.annotations.list) if (a.expr) console.log(a.expr);' "$dash" >"$tmp/exprs" &&
	pass "the dashboard has Grafana's required fields (id null, uid, title, schemaVersion, panels)" ||
	fail "dashboard shape"
n=0 bad=0
while IFS= read -r e; do
	e=$(printf '%s' "$e" | sed 's/\$env/dev/g')
	n=$((n + 1))
	q "$e" || { bad=$((bad + 1)); echo "  does not parse: $e: $err"; }
done <"$tmp/exprs"
[ "$n" -ge 14 ] && [ "$bad" = 0 ] && pass "all $n PromQL expressions of the dashboard parse in Prometheus" ||
	fail "$bad of $n dashboard expressions refused"
q 'sum(rate(nope[5m]'
expect_rc 1 "broken PromQL is refused"
expect_err "Prometheus refused the query: bad_data: " "with Prometheus's reason"

# ---- the runbook's commands are real ----------------------------------------------------
grep -o '`paved [^`]*`' "$PAVED_HOME/monitoring/runbooks/shop.md" | tr -d '`' | sort -u |
	sed 's/ENV/dev/g' >"$tmp/cmds"
n=0
while IFS= read -r c; do
	n=$((n + 1))
	set -- $c
	shift
	case "$1" in
	metrics|status|logs|releases|resources) run "$PAVED" "$@" ;;
	*) run "$PAVED" "$@" --help ;;   # rollback, restart, scale, deploy: their help
	esac
	[ "$rc" = 0 ] || { fail "runbook command '$c': exit $rc"; show; }
done <"$tmp/cmds"
[ "$n" -ge 8 ] && pass "the runbook's $n commands run" || fail "only $n runbook commands"

# ---- bad input ----------------------------------------------------------------------------
P metrics
expect_rc 2 "no argument"
expect_err "paved metrics: name a SERVICE, or up, down or status" "says what it wants"
P metrics shop --since 5x
expect_rc 2 "a bad --since"
expect_err "--since takes an age from 10s to 90d such as 30s, 15m, 2h or 1d, not '5x'" "names the option"
P metrics shop --env 'Bad Env'
expect_rc 2 "a bad --env"
P metrics up --env dev
expect_rc 2 "up takes no --env"
P metrics shop extra
expect_rc 2 "an extra argument"
P metrics shop --frobnicate
expect_rc 2 "an unknown option"
P metrics nosuch
expect_rc 1 "an unknown service"
expect_err "no metrics for 'nosuch' in dev: it has no alert rules and no scrape targets" "says why"
for sub in "" up down status; do
	P metrics $sub --help
	expect_rc 0 "metrics $sub --help"
done
[ "$(ours)" = 2 ] && pass "--help changed nothing (down --help stopped nothing)" || fail "help changed the backend"

# ---- down: nothing left; status degrades; on demand again -------------------------------
P metrics down
expect_rc 0 "metrics down"
expect_out "Stopped Prometheus (2 processes)." "down says what it stopped"
[ "$(ours)" = 0 ] && pass "nothing of it is left running" || fail "$(ours) processes left"
[ "$(http_code "$url/-/ready")" = 000 ] && pass "nothing answers at $url" || fail "still answers"
P metrics down
expect_out "Prometheus was not running." "down again"
P status shop
expect_rc 0 "status without the backend"
grep -q "metrics" "$tmp/stdout" && fail "status printed metrics without a backend" || pass "status degrades silently"
P call metrics.red '{"service": "shop", "env": "dev"}'
expect_rc 1 "metrics.red without a backend"
expect_err "metrics unavailable: Prometheus is not running ('paved metrics up' starts it)" "says so"
P metrics shop
expect_rc 0 "metrics shop starts it on demand"
expect_err "Prometheus was not running: started it at http://127.0.0.1:" "and says so"
[ "$(ours)" = 2 ] && pass "running again" || fail "$(ours) processes after on-demand start"
P metrics down
[ "$(ours)" = 0 ] && pass "down again: nothing left" || fail "left running"
finish
