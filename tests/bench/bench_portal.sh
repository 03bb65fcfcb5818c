#!/bin/sh
# bench_portal.sh [N] [BS_N] [SECONDS] -- the figures of issue 16 (paved serve):
#
#  1. paved on N generated components (default 100,000): the import, the
#     server's index, `GET /entities/by-query?filter=kind=component&limit=20`
#     open-loop at 200 requests/s for SECONDS (default 20) over 16
#     keep-alive connections (target: p99 < 20 ms), and
#     `GET /entities/by-name/...` one after another over one warm connection
#     (target: p99 < 1 ms).
#  2. The same queries, in the same run, on BS_N components (default 2,000,
#     in files of 500) against paved and against Backstage's own catalog
#     backend (@backstage/backend-defaults + @backstage/plugin-catalog-backend,
#     better-sqlite3 in memory: tests/bench/backstage-catalog.mjs), with
#     Backstage's ingestion time, and the ratios.  Backstage needs minutes
#     per 10,000 entities and fails on 100,000 in one file location, so the
#     comparison runs on the smaller catalog.
#
# The same client (bench_http, C) measures both.  Needs node and the npm
# packages of plugins/portal/node (scripts/bootstrap).
set -eu
: "${top_builddir:?run through make bench-portal}" "${top_srcdir:?run through make bench-portal}"
N=${1:-100000} BS_N=${2:-2000} SECONDS_=${3:-20}
PAVED="$top_builddir/host/paved"
HTTP="$top_builddir/tests/bench/bench_http"
NODE_DIR="$top_srcdir/plugins/portal/node"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-portal.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PAVED_SYSTEM_CONFIG="$tmp/none.json"

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# serve HOME: start paved serve on HOME; sets URL_PORT and TOKEN.
serve() {
	PAVED_HOME=$1 "$PAVED" serve --listen 127.0.0.1:0 > "$1.serve" 2>&1 &
	pids="$pids $!"
	SERVE_PID=$!
	until grep -qs "listening on" "$1.serve"; do
		kill -0 "$SERVE_PID" || { cat "$1.serve"; exit 1; }
		sleep 0.2
	done
	URL_PORT=$(sed -n 's/.*listening on http:[^ ]*:\([0-9]*\) .*/\1/p' "$1.serve")
	sed -n 's/.*(\(.*entities indexed in [0-9]* ms\).*/  index: \1/p' "$1.serve"
}

# measure PORT HEADER: the two queries; prints them and sets Q_* and N_*.
measure() {
	q=$("$HTTP" rate "$1" "/api/catalog/entities/by-query?filter=kind=component&limit=20" 200 \
		"$SECONDS_" 16 ${2:+"$2"})
	n=$("$HTTP" seq "$1" "/api/catalog/entities/by-name/component/default/c5" 2000 ${2:+"$2"})
	s=$("$HTTP" seq "$1" "/api/catalog/entities/by-query?filter=kind=component&limit=20" 500 ${2:+"$2"})
	echo "  by-query kind=component limit=20 at 200/s: $q"
	echo "  by-query, one after another, warm:        $s"
	echo "  by-name, one after another, warm:         $n"
	S_P50=$(echo "$s" | sed 's/.*p50=\([^ ]*\).*/\1/') S_P99=$(echo "$s" | sed 's/.*p99=\([^ ]*\).*/\1/')
	S_RATE=$(echo "$s" | sed 's/.*rate=\([^ ]*\).*/\1/')
	Q_P50=$(echo "$q" | sed 's/.*p50=\([^ ]*\).*/\1/') Q_P99=$(echo "$q" | sed 's/.*p99=\([^ ]*\).*/\1/')
	N_P50=$(echo "$n" | sed 's/.*p50=\([^ ]*\).*/\1/') N_P99=$(echo "$n" | sed 's/.*p99=\([^ ]*\).*/\1/')
}

echo "== paved serve, $N components (load $(cut -d' ' -f1-3 /proc/loadavg))"
sh "$top_srcdir/plugins/catalog/sqlite/bench.sh" --generate "$N" "$tmp/big.yaml" >/dev/null
mkdir -p "$tmp/big"
t=$(date +%s%N)
PAVED_HOME="$tmp/big" "$PAVED" catalog import "$tmp/big.yaml" >/dev/null
echo "  import: $(ms_since "$t") ms"
TOKEN=$(PAVED_HOME="$tmp/big" "$PAVED" token create --team bench 2>/dev/null)
serve "$tmp/big"
measure "$URL_PORT" "Authorization: Bearer $TOKEN"
BIG_Q99=$Q_P99 BIG_N99=$N_P99
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true

echo "== the same queries on $BS_N components: paved, then Backstage (same run, same client)"
sh "$top_srcdir/plugins/catalog/sqlite/bench.sh" --generate "$BS_N" "$tmp/small.yaml" >/dev/null
mkdir -p "$tmp/parts"
awk -v dir="$tmp/parts" 'BEGIN { n = 0; f = sprintf("%s/part-%03d.yaml", dir, 0) }
	/^---$/ { n++; if (n % 500 == 0) { close(f); f = sprintf("%s/part-%03d.yaml", dir, n / 500); next } }
	{ print > f }' "$tmp/small.yaml"
mkdir -p "$tmp/small"
t=$(date +%s%N)
PAVED_HOME="$tmp/small" "$PAVED" catalog import "$tmp/parts" >/dev/null
PAVED_INGEST=$(ms_since "$t")
echo "  paved import of $BS_N ($(ls "$tmp/parts" | wc -l) files): $PAVED_INGEST ms"
TOKEN=$(PAVED_HOME="$tmp/small" "$PAVED" token create --team bench 2>/dev/null)
serve "$tmp/small"
measure "$URL_PORT" "Authorization: Bearer $TOKEN"
PQ50=$Q_P50 PQ99=$Q_P99 PN50=$N_P50 PN99=$N_P99 PS50=$S_P50 PS99=$S_P99 PSR=$S_RATE
kill "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true

BS_PORT=$(free_port)
t=$(date +%s%N)
node "$top_srcdir/tests/bench/backstage-catalog.mjs" "$BS_PORT" "$NODE_DIR" "$tmp"/parts/*.yaml \
	> "$tmp/backstage.log" 2>&1 &
BS_PID=$!
pids="$pids $BS_PID"
until [ "$(curl -s "http://127.0.0.1:$BS_PORT/api/catalog/entities/by-query?filter=kind=component&limit=0" |
	sed -n 's/.*"totalItems":\([0-9]*\).*/\1/p')" = "$BS_N" ]; do
	kill -0 "$BS_PID" || { tail -20 "$tmp/backstage.log"; exit 1; }
	sleep 0.5
done
BS_INGEST=$(ms_since "$t")
echo "  Backstage start and ingestion of $BS_N: $BS_INGEST ms"
measure "$BS_PORT" ""
BQ50=$Q_P50 BQ99=$Q_P99 BN50=$N_P50 BN99=$N_P99 BS50=$S_P50 BS99=$S_P99 BSR=$S_RATE
kill "$BS_PID"; wait "$BS_PID" 2>/dev/null || true

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }
echo "== summary"
echo "  paved, $N components: by-query p99 $BIG_Q99 ms (target < 20), by-name p99 $BIG_N99 ms (target < 1)"
echo "  $BS_N components, Backstage / paved:"
echo "    by-query at 200/s: p50 $BQ50 / $PQ50 ms = $(ratio "$BQ50" "$PQ50")x, p99 $BQ99 / $PQ99 ms = $(ratio "$BQ99" "$PQ99")x"
echo "    by-query one after another: p50 $BS50 / $PS50 ms = $(ratio "$BS50" "$PS50")x, p99 $BS99 / $PS99 ms = $(ratio "$BS99" "$PS99")x; most per second $BSR / $PSR"
echo "    by-name  p50 $BN50 / $PN50 ms = $(ratio "$BN50" "$PN50")x, p99 $BN99 / $PN99 ms = $(ratio "$BN99" "$PN99")x"
echo "    ingestion $BS_INGEST / $PAVED_INGEST ms = $(ratio "$BS_INGEST" "$PAVED_INGEST")x"
exit 0
