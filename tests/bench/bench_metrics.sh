#!/bin/sh
# tests/bench/bench_metrics.sh -- the metrics benchmarks (issue 13), run by
# `make bench-metrics`, not by make check.  Fresh PAVED_HOME in a temp dir;
# the node-api golden path's service, 2 replicas behind HAProxy, and the
# embedded Prometheus (scrape interval 5 s) started by the benchmark and
# stopped on exit.
#  1. `paved metrics SERVICE` (RED per version and the sparkline from the
#     running Prometheus), BENCH_RUNS times while traffic flows.  Target:
#     < 100 ms.  For scale: one of its queries with curl, and `paved
#     metrics status`.
#  2. the node-api skeleton's throughput with its metrics on against
#     METRICS=off, under wrk (BENCH_WRK_SECONDS per run, BENCH_ROUNDS
#     rounds, on and off interleaved so load changes hit both alike; one
#     process each, its request log to /dev/null).  Target: on/off >= 0.95.
# Needs prometheus, wrk, node, haproxy, git, curl (a missing one is named
# with its Debian package; under CI=true it is a failure, else a skip).
set -eu
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
paved="$top_builddir/host/paved"
RUNS=${BENCH_RUNS:-30} SECS=${BENCH_WRK_SECONDS:-10} ROUNDS=${BENCH_ROUNDS:-3}
CONNS=${BENCH_CONNS:-16}
for c in prometheus wrk node haproxy git curl bc; do
	if ! command -v $c >/dev/null 2>&1; then
		pkg=$c
		[ "$c" = node ] && pkg=nodejs
		echo "bench_metrics: '$c' is not installed (Debian package '$pkg'; scripts/bootstrap installs it)" >&2
		[ "${CI:-}" = true ] && exit 1
		exit 77
	fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-metrics.XXXXXX")
PAVED="$paved" PAVED_HOME="$tmp/home"
export PAVED_HOME
unset PAVED_PLUGIN_PATH || true
. "$(cd "$(dirname "$0")/../.." && pwd)/plugins/deploy/core/deploy-lib.sh"
deploy_env
unset PAVED_CHECK_SHAPES   # measure paved, not the shape checks
loop= on= off=
cleanup() {
	for p in $loop $on $off; do kill "$p" 2>/dev/null || true; done
	timeout 60 "$paved" metrics down >/dev/null 2>&1 || true
	deploy_cleanup
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$PAVED_HOME"
echo '{"plugins": {"prometheus": {"scrape_interval": "5s"}}}' >"$PAVED_HOME/config.json"
cd "$tmp"
ms() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
pct() { sort -n | awk -v p="$1" '{ a[NR] = $1 } END { i = int(NR * p + 0.999); if (i < 1) i = 1; print a[i] }'; }

"$paved" metrics up >/dev/null
out=$("$paved" create service bench-api --template node-api --dir "$tmp/bench-api") || { echo "$out" >&2; exit 1; }
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || { echo "no URL: $out" >&2; exit 1; }
echo "# paved metrics benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(prometheus --version 2>&1 | head -1 | cut -d' ' -f1-3), node $(node -v))"
echo

# ---- 1. paved metrics SERVICE -----------------------------------------------------------
( while :; do curl -s -o /dev/null "$url/"; sleep 0.02; done ) &
loop=$!
# until Prometheus has two scrapes of the replicas' requests
end=$(($(date +%s) + 60))
until "$paved" --json metrics bench-api --since 1m 2>/dev/null | grep -q '"requests_per_s": [1-9]'; do
	[ "$(date +%s)" -lt "$end" ] || { echo "no metrics after 60 s" >&2; exit 1; }
	sleep 1
done
"$paved" metrics bench-api >/dev/null   # warm: the registration cache, the page cache
: >"$tmp/t.metrics"
: >"$tmp/t.status"
: >"$tmp/t.curl"
prom=$("$paved" --json metrics status | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).url))')
i=0
while [ $i -lt "$RUNS" ]; do
	t0=$(ms); "$paved" metrics bench-api >/dev/null; t1=$(ms)
	echo "($t1 - $t0) / 1000000" | bc -l >>"$tmp/t.metrics"
	t0=$(ms); "$paved" metrics status >/dev/null; t1=$(ms)
	echo "($t1 - $t0) / 1000000" | bc -l >>"$tmp/t.status"
	t0=$(ms)
	curl -s -o /dev/null "$prom/api/v1/query" --data-urlencode \
		'query=histogram_quantile(0.99, sum by (version, le) (rate(http_server_request_duration_seconds_bucket{service="bench-api",env="dev"}[900s])))'
	t1=$(ms)
	echo "($t1 - $t0) / 1000000" | bc -l >>"$tmp/t.curl"
	i=$((i + 1))
done
kill "$loop" 2>/dev/null || true
loop=
med=$(median <"$tmp/t.metrics") p90=$(pct 0.9 <"$tmp/t.metrics")
verdict=$(echo "$med < 100" | bc -l)
echo "## 1. \`paved metrics bench-api\` against the running Prometheus ($RUNS runs, traffic flowing)"
echo
printf '| figure | median | p90 | target |\n| --- | --- | --- | --- |\n'
printf '| `paved metrics bench-api` (4 queries, the targets and a range query side by side; the table, the sparkline) | **%.1f ms** | %.1f ms | < 100 ms: %s |\n' \
	"$med" "$p90" "$([ "$verdict" = 1 ] && echo met || echo '**not met**')"
printf '| for scale: `paved metrics status` (3 queries) | %.1f ms | %.1f ms | |\n' \
	"$(median <"$tmp/t.status")" "$(pct 0.9 <"$tmp/t.status")"
printf '| for scale: one of its queries with curl (p99 per version over 15m) | %.1f ms | %.1f ms | |\n' \
	"$(median <"$tmp/t.curl")" "$(pct 0.9 <"$tmp/t.curl")"
echo

# ---- 2. node-api throughput, metrics on against off ----------------------------------------
port_on=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
port_off=$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
( cd "$tmp/bench-api" && PORT=$port_on HOST=127.0.0.1 exec node src/server.js >/dev/null 2>&1 ) &
on=$!
( cd "$tmp/bench-api" && METRICS=off PORT=$port_off HOST=127.0.0.1 exec node src/server.js >/dev/null 2>&1 ) &
off=$!
for p in $port_on $port_off; do
	end=$(($(date +%s) + 20))
	until curl -s -o /dev/null "http://127.0.0.1:$p/"; do
		[ "$(date +%s)" -lt "$end" ] || { echo "node did not start on $p" >&2; exit 1; }
		sleep 0.1
	done
done
curl -s "http://127.0.0.1:$port_on/metrics" | grep -q '^http_server_request_duration_seconds_count' ||
	{ echo "metrics are not on at $port_on" >&2; exit 1; }
[ -z "$(curl -s "http://127.0.0.1:$port_off/metrics")" ] || { echo "METRICS=off still records" >&2; exit 1; }
rps() { wrk -t1 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$1/" | awk '/^Requests\/sec:/ { print $2 }'; }
wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port_on/" >/dev/null   # warm both up (JIT)
wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port_off/" >/dev/null
: >"$tmp/on" ; : >"$tmp/off"
r=0
while [ $r -lt "$ROUNDS" ]; do
	rps "$port_on" >>"$tmp/on"
	rps "$port_off" >>"$tmp/off"
	r=$((r + 1))
done
mon=$(median <"$tmp/on") moff=$(median <"$tmp/off")
ratio=$(echo "$mon / $moff" | bc -l)
echo "## 2. node-api throughput, metrics on against METRICS=off (wrk -t1 -c$CONNS -d${SECS}s, $ROUNDS rounds interleaved)"
echo
printf '| metrics on (req/s) | METRICS=off (req/s) | on/off | target |\n| --- | --- | --- | --- |\n'
printf '| %.0f (%s) | %.0f (%s) | **%.3f** | >= 0.95: %s |\n' "$mon" "$(tr '\n' ' ' <"$tmp/on" | sed 's/ $//')" \
	"$moff" "$(tr '\n' ' ' <"$tmp/off" | sed 's/ $//')" "$ratio" \
	"$([ "$(echo "$ratio >= 0.95" | bc -l)" = 1 ] && echo met || echo '**not met**')"
