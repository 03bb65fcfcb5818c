#!/bin/sh
# tests/bench/bench_deploy.sh -- the deploy benchmarks (issues 6 and 11), run
# by `make bench-deploy`, not by make check.  Fresh PAVED_HOME in a temp dir;
# the node-api golden path's service, 2 replicas behind HAProxy.
#  1. push to deploy: `git push` of a new version until it serves (GET /
#     shows the new text), BENCH_PUSHES times.  Target: < 3 s.
#  2. re-deploy of the live version (`paved deploy SERVICE`, a no-op),
#     BENCH_NOOPS times.  Target: < 50 ms.
#  3. a rolling deploy (`paved deploy --dir`) under a request loop (curl GET /
#     every 20 ms through the stable port): its time, failed requests (target 0).
#  4. HAProxy's overhead: requests/s through the stable port against directly
#     to one replica (wrk, installed with apt-get when missing and root, else a
#     keep-alive curl loop).
# Env: BENCH_PUSHES (5), BENCH_NOOPS (20), BENCH_DEPLOYS (3), BENCH_SECONDS (10)
# per wrk run, BENCH_CONNS (16), BENCH_CURL_N (2000).
set -eu
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
paved="$top_builddir/host/paved"
PUSHES=${BENCH_PUSHES:-5} NOOPS=${BENCH_NOOPS:-20} DEPLOYS=${BENCH_DEPLOYS:-3}
SECS=${BENCH_SECONDS:-10} CONNS=${BENCH_CONNS:-16} CURLN=${BENCH_CURL_N:-2000}
for c in haproxy node curl git bc; do
	command -v $c >/dev/null 2>&1 || { echo "bench_deploy: '$c' is missing" >&2; exit 1; }
done
if ! command -v wrk >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "bench_deploy: installing wrk (apt-get install -y wrk)" >&2
	apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1) || true
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-deploy.XXXXXX")
PAVED="$paved" PAVED_HOME="$tmp/home"
export PAVED_HOME
unset PAVED_PLUGIN_PATH || true
. "$(cd "$(dirname "$0")/../.." && pwd)/plugins/deploy/core/deploy-lib.sh"
deploy_env
unset PAVED_CHECK_SHAPES   # measure paved, not the shape checks
loop=
trap deploy_cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp"
now() { date +%s.%N; }
# median of the numbers on stdin
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

out=$("$paved" create service bench-api --template node-api --dir "$tmp/bench-api") || { echo "$out" >&2; exit 1; }
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || { echo "no URL: $out" >&2; exit 1; }
echo "# paved deploy benchmarks ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, $(haproxy -v | head -1 | cut -d' ' -f1-3), node $(node -v), $(git --version))"
echo

echo "## 1. git push of a new node-api version until it serves ($PUSHES pushes, 2 replicas)"
echo
echo "| push | push returned (s) | serving after (s) |"
echo "|---|---|---|"
git clone -q "file://$PAVED_HOME/forge/bench-api.git" "$tmp/clone"
: > "$tmp/push.times"
for i in $(seq 1 "$PUSHES"); do
	(cd "$tmp/clone" && sed -i "s/message: \`[a-z0-9 ]*from /message: \`p$i from /" src/app.js &&
	 git commit -qam "p$i")
	t0=$(now)
	git -C "$tmp/clone" push -q 2>/dev/null
	t1=$(now)
	end=$(($(date +%s) + 60))
	until curl -sf -m 2 "$url/" | grep -q "p$i from"; do
		[ "$(date +%s)" -lt "$end" ] || { echo "push p$i never served" >&2; cat "$PAVED_HOME/logs/push/bench-api.log" >&2; exit 1; }
		sleep 0.02
	done
	t2=$(now)
	echo "$t2 - $t0" | bc -l >> "$tmp/push.times"
	printf '| p%d | %.3f | %.3f |\n' "$i" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t0" | bc -l)"
	# the next push after this one's deploy has finished (it records success)
	end=$(($(date +%s) + 60))
	until "$paved" --json releases bench-api --limit 1 | grep -q '"outcome": "success"'; do
		[ "$(date +%s)" -lt "$end" ] || break
		sleep 0.05
	done
done
echo
printf 'Push to serving: median %.2f s, max %.2f s (target < 3 s).\n' \
	"$(median < "$tmp/push.times")" "$(sort -n "$tmp/push.times" | tail -1)"
echo

echo "## 2. Re-deploy of the live version: 'paved deploy bench-api' ($NOOPS runs)"
echo
: > "$tmp/noop.times"
for i in $(seq 1 "$NOOPS"); do
	t0=$(now)
	"$paved" deploy bench-api > "$tmp/noop.out"
	t1=$(now)
	grep -q "Nothing to do" "$tmp/noop.out" || { cat "$tmp/noop.out" >&2; exit 1; }
	echo "($t1 - $t0) * 1000" | bc -l >> "$tmp/noop.times"
done
printf 'No-op re-deploy, whole command: median %.1f ms, max %.1f ms (target < 50 ms).\n' \
	"$(median < "$tmp/noop.times")" "$(sort -n "$tmp/noop.times" | tail -1)"
echo "Output: $(cat "$tmp/noop.out")"
echo

echo "## 3. Rolling deploy of a new version under a request loop ($DEPLOYS deploys)"
echo
echo "| deploy | total s | requests in loop | failed |"
echo "|---|---|---|---|"
tf=0
for i in $(seq 1 "$DEPLOYS"); do
	(cd "$tmp/clone" && sed -i "s/message: \`[a-z0-9 ]*from /message: \`r$i from /" src/app.js &&
	 git commit -qam "r$i")
	rm -f "$tmp/stoploop"
	( f=0; n=0; end=$(($(date +%s) + 120))
	  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
		n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.02
	  done; echo "$n $f" > "$tmp/loop" ) &
	loop=$!
	sleep 0.3
	t0=$(now)
	timeout 120 "$paved" deploy bench-api --dir "$tmp/clone" --strategy rolling >/dev/null 2>"$tmp/err" ||
		{ cat "$tmp/err" >&2; exit 1; }
	t1=$(now)
	sleep 0.3; touch "$tmp/stoploop"; wait "$loop"; loop=
	set -- $(cat "$tmp/loop")
	tf=$((tf + $2))
	printf '| r%d | %.2f | %d | %d |\n' "$i" "$(echo "$t1 - $t0" | bc -l)" "$1" "$2"
done
curl -sf -m 5 "$url/" | grep -q "r$DEPLOYS from" || { echo "the last version does not serve" >&2; exit 1; }
echo
echo "Failed requests in total: $tf (target 0)."
echo

"$paved" status bench-api --json > "$tmp/st"
set -- $(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1]))[0];
  const r = s.instances.filter(x => x.in_traffic);
  console.log(s.url.replace(/.*:/, ""), r[0].port, r[0].id, r[1].id)' "$tmp/st")
sport=$1 rport=$2 keep=$3 other=$4
echo "## 4. HAProxy path overhead (GET /, stable port $sport vs replica port $rport)"
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
# the same single replica behind HAProxy: the other one out of traffic
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
