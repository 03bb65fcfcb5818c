#!/bin/sh
# tests/bench/bench_canary.sh -- the canary benchmarks (issue 14), run by
# `make bench-canary`, not by make check.  A fresh PAVED_HOME in a temp
# dir; the service runs plugins/deploy/canary/testdata/canary-app, 2
# replicas behind HAProxy (the runtime driver process).
#  1. `paved abort` to 0% canary traffic: a canary waiting at a pause
#     (25% of the traffic) is aborted BENCH_ABORTS times; measured: the
#     whole command (paved start-up included) until it exits, and the
#     switch itself as the command reports it (marker, then one
#     runtime.weights batch); after each, HAProxy's stats socket must show
#     the canary's servers at weight 0.  Target: < 100 ms.
#  2. a 10-step canary with 1 s intervals (setWeight 10%, pause 1s, ...,
#     setWeight 100%, pause 1s; a background analysis measuring the
#     error rate every second), BENCH_SCHEDULES times: from the
#     controller's first step to Healthy, and from `paved deploy` to
#     Healthy.  Target: within 5% of the 10 s schedule (10.5 s).
set -eu
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
ABORTS=${BENCH_ABORTS:-10} SCHEDULES=${BENCH_SCHEDULES:-3}
for c in haproxy node curl git python3; do
	command -v $c >/dev/null 2>&1 || { echo "bench_canary: '$c' is missing" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-canary.XXXXXX")
PAVED="$top_builddir/host/paved" PAVED_HOME="$tmp/home"
export PAVED_HOME
unset PAVED_PLUGIN_PATH || true
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/deploy/canary/canary-lib.sh"
deploy_env
unset PAVED_CHECK_SHAPES   # measure paved, not the shape checks
loop=
trap deploy_cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp"
pass() { :; }
fail() { echo "bench_canary: $*" >&2; exit 1; }
# median and max of the numbers on stdin
stats() { sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
	printf "median %.2f, max %.2f, min %.2f (%d runs)\n", m, v[NR], v[1], NR }'; }
# the weights HAProxy has for the servers of be.dev.bench (name:weight:status)
haproxy_weights() {
	python3 - "$PAVED_HOME/runtime/haproxy/admin.sock" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
d = b""
while True:
    c = s.recv(65536)
    if not c: break
    d += c
lines = d.decode().splitlines(); h = lines[0][2:].split(",")
for l in lines[1:]:
    f = l.split(",")
    if len(f) > 10 and f[0] == "be.dev.bench" and f[1].startswith("s"):
        r = dict(zip(h, f)); print("%s:%s:%s" % (r["addr"], r["weight"], r["status"]))
EOF
}

canary_service bench || fail "the service could not be made"
echo "bench_canary: $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"

# ---- 1. abort ---------------------------------------------------------------------------------
: > "$tmp/abort.wall"; : > "$tmp/abort.switch"
i=0
while [ $i -lt "$ABORTS" ]; do
	i=$((i + 1))
	canary_version bench "ERROR_RATE: \"0\", RUN: \"$i\"" "  steps:
    - setWeight: 25
    - pause: {}
    - setWeight: 100" >/dev/null
	"$PAVED" deploy bench --dir "$tmp/bench" >/dev/null || fail "deploy $i failed"
	wait_for 30 status_is bench Paused || fail "run $i: the canary did not reach its pause"
	port=$("$PAVED" --json rollout status bench | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).ids.canary[0].port))')
	t0=$(date +%s%N)
	"$PAVED" --json abort bench > "$tmp/abort.json" || fail "abort $i failed"
	t1=$(date +%s%N)
	echo "scale=3; ($t1 - $t0) / 1000000" | bc >> "$tmp/abort.wall"
	node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).ms)' "$tmp/abort.json" \
		>> "$tmp/abort.switch"
	w=$(haproxy_weights | grep "127.0.0.1:$port:" || true)
	case "$w" in
	"" | *":0:"* | *MAINT*) ;;
	*) fail "run $i: after the abort HAProxy still gives the canary $w" ;;
	esac
	wait_for 30 sh -c "! '$PAVED' --json rollout status bench | grep -q '\"running\": true'" ||
		fail "run $i: the controller did not end"
done
echo "1. paved abort to 0% canary traffic (target < 100 ms):"
echo "   whole command, start-up included: $(stats < "$tmp/abort.wall") ms"
echo "   the switch (marker + one weights batch): $(stats < "$tmp/abort.switch") ms"

# ---- 2. a 10-step canary with 1 s intervals ---------------------------------------------------------
steps=""
for k in 1 2 3 4 5 6 7 8 9 10; do
	steps="$steps
    - setWeight: $((k * 10))
    - pause: {duration: 1s}"
done
: > "$tmp/sched.ctl"; : > "$tmp/sched.all"
i=0
loop_start
while [ $i -lt "$SCHEDULES" ]; do
	i=$((i + 1))
	canary_version bench "ERROR_RATE: \"0\", SCHED: \"$i\"" "  steps:$steps
  rollback: {on: [{error_rate_greater_than: 5%}]}
  analysis: {interval: 1s}" >/dev/null
	t0=$(date +%s%N)
	"$PAVED" deploy bench --dir "$tmp/bench" >/dev/null || fail "deploy $i failed"
	wait_for 60 status_is bench Healthy || fail "schedule run $i did not end Healthy"
	t1=$(date +%s%N)
	"$PAVED" --json rollout status bench > "$tmp/sched.json"
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1]));
		console.log((j.finished - j.started).toFixed(3))' "$tmp/sched.json" >> "$tmp/sched.ctl"
	echo "scale=3; ($t1 - $t0) / 1000000000" | bc >> "$tmp/sched.all"
done
loop_stop
echo "2. a 10-step canary with 1 s intervals (target: within 5% of 10 s, <= 10.5 s):"
echo "   first step to Healthy (the controller's schedule): $(stats < "$tmp/sched.ctl") s"
echo "   paved deploy to Healthy (build, first replica, controller start): $(stats < "$tmp/sched.all") s"
echo "   requests during the schedules: $(wc -l < "$tmp/loop.log"), failed: $(awk '$2 != 200' "$tmp/loop.log" | wc -l)"
