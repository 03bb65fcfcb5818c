#!/bin/bash
# tests/bench/bench_create_live.sh -- issue #11's figure: `paved create
# service NAME --template node-api --database postgres` with the PostgreSQL
# cluster already running, to a live URL (target < 1.0 s).
#
# Usage: bench_create_live.sh [RUNS]   (default 9; env top_builddir)
#
# One PAVED_HOME for all runs; an untimed first create starts the cluster
# and HAProxy.  Each timed run creates a new service with its own database,
# repository, catalog entry, monitoring and two replicas behind HAProxy, and
# ends when paved exits with the URL live; the URL's /health must answer 200
# (with the database reachable) at once, or the run does not count.  For
# comparison, in the same run: the same create with --no-deploy, and a
# deploy of that service on its own.
set -u
RUNS=${1:-9}
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
PAVED="$top_builddir/host/paved"
[ -x "$PAVED" ] || { echo "bench_create_live: $PAVED not built" >&2; exit 1; }
for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-live.XXXXXX")
export PAVED_HOME="$tmp/home"
cleanup() {
	"$PAVED" stop --all >/dev/null 2>&1
	"$PAVED" resources stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1

ms() { echo $((${EPOCHREALTIME/[.,]/} / 1000)); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

"$PAVED" create service warm --template node-api --database postgres --dir "$tmp/warm" \
	>/dev/null 2>&1 || { echo "bench_create_live: the warm-up create failed" >&2; exit 1; }

live=() quiet=() deploy=()
for i in $(seq 1 "$RUNS"); do
	t0=$(ms)
	out=$("$PAVED" create service "live$i" --template node-api --database postgres \
		--dir "$tmp/live$i" 2>&1) || { echo "run $i failed: $out" >&2; exit 1; }
	t1=$(ms)
	url=$(printf '%s\n' "$out" | sed -n 's/^Your service is live at: //p')
	health=$(curl -s --max-time 2 "$url/health")
	case "$health" in
	*'"reachable":true'*) live+=($((t1 - t0))) ;;
	*) echo "run $i: $url/health said '$health'" >&2; exit 1 ;;
	esac
	t0=$(ms)
	"$PAVED" create service "quiet$i" --template node-api --database postgres --no-deploy \
		--dir "$tmp/quiet$i" >/dev/null 2>&1 || exit 1
	t1=$(ms)
	quiet+=($((t1 - t0)))
	t0=$(ms)
	"$PAVED" deploy "quiet$i" >/dev/null 2>&1 || exit 1
	t1=$(ms)
	deploy+=($((t1 - t0)))
done
m=$(printf '%s\n' "${live[@]}" | median)
echo "bench_create_live: create service --template node-api --database postgres, cluster running (median of $RUNS)"
echo "  to a live URL (/health reaches the database)   $m ms   target < 1000 ms: $([ "${m%.*}" -lt 1000 ] && echo met || echo NOT MET)"
echo "  the same with --no-deploy                       $(printf '%s\n' "${quiet[@]}" | median) ms"
echo "  a first deploy of it on its own                 $(printf '%s\n' "${deploy[@]}" | median) ms"
echo "  all runs, live: ${live[*]} ms"
