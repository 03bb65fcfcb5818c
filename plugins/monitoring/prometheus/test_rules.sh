#!/bin/sh
# test_rules.sh -- the rules the monitoring driver generates, checked by
# promtool: `paved call monitoring.register` for a service "shop" with
# platform.yaml's slo {availability: 99.9, latency: {p99_ms: 200},
# window: 30d}, then
#   - promtool check rules on its rules file, promtool check config on the
#     monitoring directory's prometheus.yml;
#   - promtool test rules with testdata/slo_test.yml and
#     slo_test_long.yml: each alert fires at its burn rate and not below;
# and a bad slo through the same call: refused with the field named,
# nothing written; what platform.read refuses, the generator refuses too.
# Every call is checked against sdk/hooks.json.  Needs promtool (Debian
# package 'prometheus'): a skip without it, a failure under CI=true.
. "$top_srcdir/tests/e2e/lib.sh"

. "$top_srcdir/plugins/monitoring/prometheus/metrics-lib.sh"
metrics_need promtool
PROMTOOL=$(command -v promtool)
PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
mkdir -p "$PAVED_HOME"
mon="$tmp/mon"
P() { run "$PAVED" -c plugins.prometheus.dir="$mon" -c plugins.prometheus.autostart=false "$@"; }

slo='{"availability": 99.9, "latency": {"p99_ms": 200}, "window": "30d"}'
P call monitoring.register "{\"service\": \"shop\", \"owner\": \"team-a\", \"env\": \"dev\", \"slo\": $slo}"
expect_rc 0 "register shop with an SLO"
expect_out '"summary": "6 alert rules (SLO burn rates from platform.yaml), 20 recording rules' "the summary counts the rules"
expect_out "$mon/dashboards/shop.json (Grafana uid paved-shop; in a terminal: paved metrics shop)" "the dashboard's file and uid"
for f in rules/shop.yml runbooks/shop.md dashboards/shop.json services/shop.json prometheus.yml; do
	[ -s "$mon/$f" ] && pass "wrote $f" || fail "no $f"
done

run "$PROMTOOL" check rules "$mon/rules/shop.yml"
expect_rc 0 "promtool check rules"
expect_out "SUCCESS: 26 rules found" "26 rules (6 RED, 14 SLIs, 6 alerts)"
run "$PROMTOOL" check config "$mon/prometheus.yml"
expect_rc 0 "promtool check config of the monitoring directory's prometheus.yml"

# the unit tests run against this very file
mkdir "$tmp/t"
cp "$mon/rules/shop.yml" "$tmp/t/rules.yml"
for t in slo_test slo_test_long; do
	sed "s|@DIR@|$mon|g" "$top_srcdir/plugins/monitoring/prometheus/testdata/$t.yml" >"$tmp/t/$t.yml"
	run "$PROMTOOL" test rules "$tmp/t/$t.yml"
	expect_rc 0 "promtool test rules $t.yml"
	expect_out "SUCCESS" "$t.yml: every alert fires at its burn rate, not below"
done
# the tests can fail: a page threshold moved from 14.4x to 15.5x
sed -i 's/> 0.0144$/> 0.0155/' "$tmp/t/rules.yml"   # (SLI lines end in the threshold)
run "$PROMTOOL" test rules "$tmp/t/slo_test.yml"
[ "$rc" -ne 0 ] && grep -q "alertname: AvailabilitySLOPage" "$tmp/stdout" "$tmp/stderr" &&
	pass "a wrong burn-rate threshold fails the unit tests" || { fail "a wrong threshold passed"; show; }

# ---- a bad slo: the field named, nothing written ---------------------------------
bad() { # SLO-JSON MESSAGE
	rm -rf "$mon.bad"
	run "$PAVED" -c plugins.prometheus.dir="$mon.bad" -c plugins.prometheus.autostart=false \
		call monitoring.register "{\"service\": \"shop\", \"slo\": $1}"
	expect_rc 1 "slo $1 refused"
	expect_err "paved: prometheus: monitoring.driver.prometheus.register: $2" "slo $1: the message names the field"
	[ ! -e "$mon.bad" ] && pass "slo $1: nothing written" || { fail "slo $1 left $(ls -R "$mon.bad")"; }
}
bad '{"availability": 100}' "slo.availability: 100 leaves no error budget to alert on: use a percentage below 100, such as 99.9"
bad '{"availability": 0}' "slo.availability: must be a percentage above 0, such as 99.9 (not 0)"
bad '{"availability": -1}' "slo.availability: must be a percentage above 0, such as 99.9 (not -1)"
bad '{"availability": 99.9, "window": "7d"}' "slo.window: '7d' is not a window the alert generator knows: its burn-rate alerts (the SRE workbook's: 2% of the error budget in 1h, 5% in 6h, 10% in 1d and in 3d) need 28d to 90d"
bad '{"window": "1 month"}' "slo.window: '1 month' is not a window the alert generator knows: use a number of days from 28d to 90d, such as 30d"
bad '{"latency": {"p99_ms": 0}}' "slo.latency.p99_ms: must be a whole number of milliseconds above 0, such as 200"
bad '{"latency": 200}' "slo.latency: must be a mapping {p99_ms: N}"

# a rules file that exists stays as it was when a new register is refused
cp "$mon/rules/shop.yml" "$tmp/before.yml"
P call monitoring.register '{"service": "shop", "slo": {"availability": 100}}'
expect_rc 1 "a refused re-register"
cmp -s "$tmp/before.yml" "$mon/rules/shop.yml" && pass "the rules of the last good register stay" ||
	fail "a refused register changed the rules"

# ---- platform.read and the generator agree -------------------------------------------
mkdir -p "$tmp/svc"
plat() { # SLO-YAML
	printf 'service: shop\ndeploy: {run: node s.js, port: 8080}\nslo: %s\n' "$1" >"$tmp/svc/platform.yaml"
	run "$PAVED" call platform.read "{\"dir\": \"$tmp/svc\"}"
}
plat '{availability: 100, window: 30d}'
expect_rc 1 "platform.read refuses availability 100"
expect_err "slo.availability: must be a percentage above 0 and below 100" "platform.read names slo.availability"
plat '{availability: 0}'
expect_rc 1 "platform.read refuses availability 0"
expect_err "slo.availability" "platform.read names slo.availability for 0"
plat '{window: 30x}'
expect_rc 1 "platform.read refuses window 30x"
expect_err "slo.window" "platform.read names slo.window"
# what platform.read lets through for a shorter window, the generator refuses by name
plat '{availability: 99.9, window: 7d}'
expect_rc 0 "platform.read takes a 7d window"
P call monitoring.register '{"service": "shop", "slo": {"availability": 99.9, "window": "7d"}}'
expect_rc 1 "the generator refuses the 7d window"
expect_err "slo.window: '7d' is not a window the alert generator knows" "and names slo.window"

# ---- bad names (the driver's own checks: shapes unchecked) ---------------------------
run env PAVED_CHECK_SHAPES=0 "$PAVED" -c plugins.prometheus.dir="$mon" call monitoring.register '{"service": "-rf"}'
expect_rc 1 "a bad service name"
expect_err "invalid service name '-rf'" "named"
P call monitoring.register '{"service": "shop", "owner": "a b"}'
expect_rc 1 "a bad owner"
expect_err "invalid owner 'a b'" "named"
finish
