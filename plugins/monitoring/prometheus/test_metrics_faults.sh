#!/bin/sh
# test_metrics_faults.sh -- the metrics backend when things go wrong, each
# with the message a user sees and nothing left running:
#   - Prometheus not installed: the message names the Debian package; what
#     needs no Prometheus still works (register, status); promtool missing:
#     test_rules.sh skips naming the package (fails under CI=true);
#   - a Prometheus of yours that is down, or hangs: every request ends at
#     plugins.prometheus.timeout_ms with a clear note, no hang;
#   - kill -9 of Prometheus, of paved-metricsd; the home removed: nothing
#     of it keeps running;
#   - a replica whose /metrics is malformed: marked DOWN with Prometheus's
#     reason (up == 0), ReplicaDown pending, no crash;
#   - the configured port taken; three `paved metrics up` at once (one
#     Prometheus); bad metrics.query arguments.
# Needs prometheus, promtool and python3 (a skip without them, a failure
# under CI=true).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/monitoring/prometheus/metrics-lib.sh"
metrics_need prometheus promtool python3 node curl
PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
mkdir -p "$PAVED_HOME"
echo '{"plugins": {"prometheus": {"scrape_interval": "1s", "timeout_ms": 1000}}}' >"$PAVED_HOME/config.json"
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	metrics_stop "$PAVED_HOME"
	metrics_stop "$tmp/home2"
	rm -rf "$tmp"
}
trap cleanup EXIT
P() { run "$PAVED" "$@"; }
ours() { metrics_procs "$@"; }
# until_n N SECONDS [HOME]: until exactly N processes of the backend run
until_n() {
	_end=$(($(date +%s) + $2))
	while [ "$(ours "${3:-}")" != "$1" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ---- Prometheus and promtool not installed -------------------------------------------------
mkdir -p "$tmp/nobin"
for c in sh env mktemp rm cat sed chmod; do ln -s "$(command -v $c)" "$tmp/nobin/$c"; done
run env PATH="$tmp/nobin" "$PAVED" metrics up
expect_rc 1 "up without Prometheus"
expect_err "paved metrics: Prometheus is not installed: 'prometheus' is not in PATH; install the Debian package 'prometheus' (apt-get install prometheus, or scripts/bootstrap), or name a Prometheus of yours in plugins.prometheus.url" "names the Debian package"
run env PATH="$tmp/nobin" "$PAVED" call monitoring.register '{"service": "shop", "slo": {"availability": 99.9}}'
expect_rc 0 "register still works without Prometheus"
expect_out "metrics are not collected: Prometheus is not installed" "and says metrics are not collected"
[ -s "$PAVED_HOME/monitoring/rules/shop.yml" ] && pass "its rules are written" || fail "no rules"
[ ! -e "$PAVED_HOME/prometheus" ] && pass "nothing made for a Prometheus that is not there" ||
	fail "$PAVED_HOME/prometheus was made"
run env PATH="$tmp/nobin" "$PAVED" metrics status
expect_rc 0 "status without Prometheus"
expect_out "not running" "says not running"
run env PATH="$tmp/nobin" "$PAVED" metrics shop
expect_rc 1 "metrics SERVICE without Prometheus"
expect_err "install the Debian package 'prometheus'" "names the package"
[ "$(ours)" = 0 ] && pass "nothing runs" || fail "$(ours) processes"
run env -u CI PATH="$tmp/nobin" top_builddir="$top_builddir" top_srcdir="$top_srcdir" sh "$top_srcdir/plugins/monitoring/prometheus/test_rules.sh"
expect_rc 77 "test_rules.sh skips without promtool"
expect_out "SKIP: promtool is not installed (Debian package 'prometheus'; scripts/bootstrap installs it)" "naming the package"
run env PATH="$tmp/nobin" CI=true top_builddir="$top_builddir" top_srcdir="$top_srcdir" sh "$top_srcdir/plugins/monitoring/prometheus/test_rules.sh"
expect_rc 1 "under CI=true a missing promtool fails"

# ---- a Prometheus of yours, down or hanging: a timeout, a clear note, no hang ------------
closed=$(free_port)
t0=$(now_ms)
P -c plugins.prometheus.url=http://127.0.0.1:$closed metrics shop
expect_rc 1 "metrics SERVICE with the backend down"
expect_err "paved metrics: the Prometheus at http://127.0.0.1:$closed (plugins.prometheus.url) does not answer: " "says it does not answer"
P -c plugins.prometheus.url=http://127.0.0.1:$closed metrics status
expect_rc 0 "status with the backend down"
expect_out "does not answer" "status says so"
P -c plugins.prometheus.url=http://127.0.0.1:$closed metrics down
expect_rc 0 "down with a Prometheus of yours"
expect_out "paved does not run the Prometheus at http://127.0.0.1:$closed (plugins.prometheus.url): nothing to stop." "nothing to stop"
P -c plugins.prometheus.url=http://127.0.0.1:$closed call metrics.red '{"service": "shop", "env": "dev"}'
expect_rc 1 "metrics.red with the backend down"
expect_err "Prometheus does not answer: " "metrics.red says so"
[ $(($(now_ms) - t0)) -lt 8000 ] && pass "refused connections cost no time" || fail "$(($(now_ms) - t0)) ms"

cat >"$tmp/hang.py" <<'PY'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
print(s.getsockname()[1], flush=True)
held = []
while True:                      # accept, read nothing, answer nothing
    c, _ = s.accept()
    held.append(c)
PY
python3 "$tmp/hang.py" >"$tmp/hang.port" &
pids="$pids $!"
until [ -s "$tmp/hang.port" ]; do sleep 0.05; done
hang=$(cat "$tmp/hang.port")
t0=$(now_ms)
P -c plugins.prometheus.url=http://127.0.0.1:$hang call metrics.red '{"service": "shop", "env": "dev"}'
ms=$(($(now_ms) - t0))
expect_rc 1 "metrics.red against a Prometheus that hangs"
expect_err "Prometheus does not answer: Operation timed out after" "ends at the timeout with a clear note"
[ "$ms" -lt 5000 ] && pass "within the 1000 ms timeout ($ms ms in all)" || fail "took $ms ms"
t0=$(now_ms)
P -c plugins.prometheus.url=http://127.0.0.1:$hang metrics status
ms=$(($(now_ms) - t0))
expect_rc 0 "status against a Prometheus that hangs"
expect_out "does not answer: Operation timed out" "says it timed out"
[ "$ms" -lt 5000 ] && pass "status within the timeout ($ms ms)" || fail "status took $ms ms"
P -c plugins.prometheus.url=http://127.0.0.1:$hang call metrics.query '{"query": "up"}'
expect_rc 1 "metrics.query against a Prometheus that hangs"
expect_err "does not answer: Operation timed out" "metrics.query says so"

# ---- the embedded one: kill -9, the home removed -----------------------------------------
P metrics up
expect_rc 0 "up"
until_n 2 10 && pass "paved-metricsd and Prometheus run" || fail "$(ours) processes"
kill -9 "$(cat "$PAVED_HOME/prometheus/prometheus.pid")"
until_n 0 30 && pass "kill -9 of Prometheus: paved-metricsd exits too" || fail "$(ours) left after kill -9"
P metrics status
expect_out "not running" "status: not running"
P call metrics.red '{"service": "shop", "env": "dev"}'
expect_rc 1 "metrics.red"
expect_err "metrics unavailable: Prometheus is not running ('paved metrics up' starts it)" "says why"
P metrics up
expect_rc 0 "up again after the crash"
kill -9 "$(cat "$PAVED_HOME/prometheus/metricsd.pid")"
until_n 0 30 && pass "kill -9 of paved-metricsd: Prometheus dies with it" || fail "$(ours) left"

mkdir -p "$tmp/home2"
PAVED_HOME="$tmp/home2" run "$PAVED" metrics up
expect_rc 0 "up in a second home"
until_n 2 10 "$tmp/home2" && pass "it runs" || fail "$(ours "$tmp/home2") processes"
real2=$(readlink -f "$tmp/home2/prometheus")
rm -rf "$tmp/home2.gone" && mv "$tmp/home2" "$tmp/home2.gone" && rm -rf "$tmp/home2.gone"
cnt() { n=0; for f in /proc/[0-9]*/cmdline; do
	{ tr '\0' '\n' <"$f"; } 2>/dev/null | grep -qx -e "$real2" -e "--config.file=$real2/etc/prometheus.yml" && n=$((n + 1))
	done; echo $n; }
end=$(($(date +%s) + 30))
while [ "$(cnt)" != 0 ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
[ "$(cnt)" = 0 ] && pass "the home removed: its Prometheus stops by itself" || fail "$(cnt) processes of a removed home"
if [ "$(id -u)" = 0 ]; then
	end=$(($(date +%s) + 10))
	while [ -n "$(ls -A "$real2" 2>/dev/null)" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
	[ -z "$(ls -A "$real2" 2>/dev/null)" ] && pass "as root its directory $real2 is emptied (data too)" ||
		fail "left in $real2: $(ls -A "$real2")"
	rm -rf "$real2"
fi

# ---- a replica whose /metrics is malformed ------------------------------------------------
mkdir -p "$tmp/bad"
printf 'this is { not the text format\n' >"$tmp/bad/metrics"
bport=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$tmp/bad" "$bport" >/dev/null 2>&1 &
pids="$pids $!"
until curl -s -o /dev/null "http://127.0.0.1:$bport/metrics"; do sleep 0.05; done
P call monitoring.register '{"service": "bad", "owner": "team-a"}'
expect_rc 0 "register bad"
P call monitoring.targets "{\"service\": \"bad\", \"env\": \"dev\", \"targets\": [{\"address\": \"127.0.0.1:$bport\", \"labels\": {\"version\": \"v1\", \"replica\": \"r1\"}}]}"
expect_rc 0 "a scrape target serving a malformed page"
P metrics up
down() { run "$PAVED" --json metrics bad && [ "$(jget 'j.replicas.length && j.replicas[0].health')" = down ]; }
jget() { json_eval "$1" "$tmp/stdout"; }
end=$(($(date +%s) + 30))
until down || [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
down && pass "the replica is down (up == 0)" || { fail "not marked down"; show; }
[ "$(jget 'j.targets.up + "/" + j.targets.total')" = 0/1 ] && pass "0 of 1 up" || fail "targets"
P metrics bad
expect_rc 0 "paved metrics bad: no crash"
expect_out "replicas scraped: 0 of 1 up" "says 0 of 1"
grep -q "^  r1     version v1  *127.0.0.1:$bport  *DOWN: .*" "$tmp/stdout" &&
	pass "r1 marked DOWN with Prometheus's reason" || { fail "no DOWN line"; show; }
pending() { run "$PAVED" call metrics.query '{"query": "ALERTS{alertname=\"ReplicaDown\",service=\"bad\"}"}' &&
	[ "$(jget 'j.result.length')" = 1 ]; }
end=$(($(date +%s) + 30))
until pending || [ "$(date +%s)" -ge "$end" ]; do sleep 0.2; done
pending && pass "ReplicaDown is pending (it fires after 5 minutes)" || fail "no ReplicaDown"

# ---- bad metrics.query arguments; a range query --------------------------------------------
P call metrics.query '{"query": "up", "start": 1}'
expect_rc 1 "a range query without end and step"
expect_err "a range query needs all of 'start', 'end' and 'step' (unix seconds, seconds)" "names them"
now=$(date +%s)
P call metrics.query "{\"query\": \"up\", \"start\": $((now - 60)), \"end\": $now, \"step\": 0}"
expect_rc 1 "step 0"
expect_err "argument 'step' must be above 0 seconds" "says so"
P call metrics.query "{\"query\": \"up\", \"start\": $((now - 60)), \"end\": $now, \"step\": 15}"
expect_rc 0 "a range query"
[ "$(jget 'j.result_type')" = matrix ] && pass "answers a matrix" || fail "range result"
P call metrics.query '{"query": "1 + 1"}'
[ "$(jget 'j.result_type + " " + j.result[1]')" = "scalar 2" ] && pass "a scalar query" || { fail "scalar"; show; }
P metrics down
expect_rc 0 "down"
[ "$(ours)" = 0 ] && pass "nothing left" || fail "$(ours) left"

# ---- the configured port taken; three ups at once -----------------------------------------
P -c plugins.prometheus.port="$bport" metrics up
expect_rc 1 "a configured port that is taken"
expect_err "port 127.0.0.1:$bport is in use; stop what listens there or set plugins.prometheus.port to another port (0 picks a free one)" "names the option"
[ "$(ours)" = 0 ] && pass "nothing started" || fail "$(ours) started"
ups=
for i in 1 2 3; do "$PAVED" metrics up >"$tmp/up$i" 2>&1 & ups="$ups $!"; done
wait $ups    # (not the servers started above)
grep -l "started now" "$tmp/up1" "$tmp/up2" "$tmp/up3" | wc -l | grep -qx 1 &&
	pass "three ups at once: one started it" || { fail "ups"; cat "$tmp/up1" "$tmp/up2" "$tmp/up3"; }
[ "$(ours)" = 2 ] && pass "one Prometheus" || fail "$(ours) processes"
P metrics down
[ "$(ours)" = 0 ] && pass "down: nothing left" || fail "$(ours) left"
finish
