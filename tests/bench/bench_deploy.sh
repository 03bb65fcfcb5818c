#!/bin/sh
# tests/bench/bench_deploy.sh -- the deploy benchmarks of issue 6 (run by
# `make bench-deploy`, not by make check).  Fresh PAVED_HOME in a temp dir.
#  1. A rolling deploy of a new node-api version with 2 replicas: total time
#     of `paved deploy`, and the failed requests of a loop (curl, GET / every
#     20 ms through the stable port) running during it.  Target: zero.
#  2. The HAProxy path's overhead: requests/s through the stable port against
#     directly to one replica, with wrk (installed with apt-get when missing
#     and root) or else a keep-alive curl loop; the ratio.
# Env: BENCH_DEPLOYS (3) rolling deploys measured, BENCH_SECONDS (10) per wrk
# run, BENCH_CONNS (16) wrk connections, BENCH_CURL_N (2000) requests per curl run.
set -eu
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
paved="$top_builddir/host/paved"
DEPLOYS=${BENCH_DEPLOYS:-3} SECS=${BENCH_SECONDS:-10} CONNS=${BENCH_CONNS:-16} CURLN=${BENCH_CURL_N:-2000}
for c in haproxy node curl git; do
	command -v $c >/dev/null 2>&1 || { echo "bench_deploy: '$c' is missing" >&2; exit 1; }
done
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "bench_deploy: installing wrk (apt-get install -y wrk)" >&2
	apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || true
fi
. "$(cd "$(dirname "$0")/../.." && pwd)/plugins/runtime/process/services-lib.sh"
services_setup paved-bench-deploy
loop=
trap services_cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp"
now() { date +%s.%N; }

out=$(timeout 120 "$paved" create service bench-api --template node-api) || { echo "$out" >&2; exit 1; }
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || { echo "no URL: $out" >&2; exit 1; }
echo "# paved deploy benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(haproxy -v | head -1 | cut -d' ' -f1-3), node $(node -v))"
echo
echo "## 1. Rolling deploy of a new node-api version, 2 replicas ($DEPLOYS deploys)"
echo
echo "| deploy | total s | requests in loop | failed |"
echo "|---|---|---|---|"
tf=0
for i in $(seq 1 "$DEPLOYS"); do
	(cd bench-api && sed -i "s/hello from [^\`]*\${/hello from v$i \${/; s/hello from \${/hello from v$i \${/" src/app.js &&
	 git commit -qam "v$i" --allow-empty)
	rm -f "$tmp/stoploop"
	( f=0; n=0; end=$(($(date +%s) + 120))
	  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
		n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.02
	  done; echo "$n $f" > "$tmp/loop" ) &
	loop=$!
	sleep 0.3
	t0=$(now)
	timeout 120 "$paved" deploy bench-api --strategy rolling >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
	t1=$(now)
	sleep 0.3; touch "$tmp/stoploop"; wait "$loop"; loop=
	set -- $(cat "$tmp/loop")
	tf=$((tf + $2))
	printf '| v%d | %.2f | %d | %d |\n' "$i" "$(echo "$t1 - $t0" | bc -l)" "$1" "$2"
done
curl -sf -m 5 "$url/" | grep -q "hello from v$DEPLOYS" || { echo "the last version does not serve" >&2; exit 1; }
echo
echo "Failed requests in total: $tf (target 0)."
echo
"$paved" status bench-api --json > "$tmp/st"
set -- $(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1]))[0];
  const r = s.replicas.filter(x => x.enabled); console.log(s.port, r[0].port, r[0].id, r[1].id)' "$tmp/st")
sport=$1 rport=$2 keep=$3 other=$4
echo "## 2. HAProxy path overhead (GET /, stable port $sport vs replica port $rport)"
echo
if command -v wrk >/dev/null 2>&1; then
	tool="wrk -t2 -c$CONNS -d${SECS}s"
	rps() { wrk -t2 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$1/" | awk '/^Requests\/sec/ {print $2}'; }
else
	tool="curl, $CURLN sequential keep-alive requests in one process"
	rps() {
		: > "$tmp/urls"; k=0
		while [ $k -lt "$CURLN" ]; do echo "url = \"http://127.0.0.1:$1/\"" >> "$tmp/urls"; echo "output = /dev/null" >> "$tmp/urls"; k=$((k + 1)); done
		a=$(now); curl -s -K "$tmp/urls"; b=$(now)
		echo "$CURLN / ($b - $a)" | bc -l | xargs printf '%.0f\n'
	}
fi
rps "$rport" >/dev/null; rps "$sport" >/dev/null   # warm up
direct=$(rps "$rport"); proxied2=$(rps "$sport")
# the same single replica behind HAProxy: the other one out of traffic (runtime API)
"$paved" call runtime.disable "{\"service\": \"bench-api\", \"env\": \"dev\", \"id\": \"$other\"}" >/dev/null
proxied1=$(rps "$sport")
"$paved" call runtime.enable "{\"service\": \"bench-api\", \"env\": \"dev\", \"id\": \"$other\"}" >/dev/null
echo "Tool: $tool."
echo
echo "| path | requests/s |"
echo "|---|---|"
echo "| direct to replica $keep | $direct |"
echo "| through HAProxy, only replica $keep in traffic | $proxied1 |"
echo "| through HAProxy, 2 replicas | $proxied2 |"
echo
printf 'Ratio HAProxy / direct (same single replica): %.2f\n' "$(echo "$proxied1 / $direct" | bc -l)"
printf 'Ratio HAProxy with 2 replicas / direct to 1: %.2f\n' "$(echo "$proxied2 / $direct" | bc -l)"
