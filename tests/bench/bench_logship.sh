#!/bin/sh
# tests/bench/bench_logship.sh -- log shipping (issue 13), run by `make
# bench-logs`, not by make check.  Fresh PAVED_HOME; one replica
# (plugins/logs/testdata/chatter.py) started with runtime.start; paved's
# Loki (Grafana Loki when installed, else the Loki API stand-in: said so).
#  1. plain file writing: the replica prints BENCH_N lines as fast as it
#     can, no shipper: lines/s until the last one is in its log file
#  2. 50,000 lines/s for BENCH_SECONDS from one replica with the shipper
#     running: none dropped (each line in Loki exactly once, in order),
#     the rate the replica reached, the lag of the last line
#  3. BENCH_N lines as fast as possible with the shipper running: lines/s
#     until the last one is in Loki; its ratio to plain file writing (1.);
#     the shipper's CPU seconds per 100,000 lines
#  4. the shipper alone: the same against a receiver that reads each push
#     and answers 204 without storing it (plugins.logs.url), so Loki's own
#     ingestion (the stand-in's, in Python, when no Grafana Loki is
#     installed) is out of the figure
# Env: BENCH_N (200000), BENCH_SECONDS (5), BENCH_RATE (50000).
set -eu
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
N=${BENCH_N:-200000} SECS=${BENCH_SECONDS:-5} RATE=${BENCH_RATE:-50000}
for c in haproxy curl git python3; do
	command -v $c >/dev/null 2>&1 || { echo "bench_logship: '$c' is missing" >&2; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-logs.XXXXXX")
PAVED="$top_builddir/host/paved" PAVED_HOME="$tmp/home"
export PAVED_HOME
unset PAVED_PLUGIN_PATH || true
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/logs/logs-lib.sh"
deploy_env
unset PAVED_CHECK_SHAPES   # measure paved, not the shape checks
trap logs_cleanup EXIT
trap 'exit 1' INT TERM
logs_loki
logs_config '"plugins_unused": {}'
# the shipper starts only when asked (paved loki up); default rotation (1 MiB, 3 kept)
python3 - "$PAVED_HOME/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.pop("plugins_unused", None)
c["plugins"]["logs"]["auto"] = False
c["plugins"].pop("runtime_process")
json.dump(c, open(sys.argv[1], "w"))
PY
mkdir -p "$tmp/app"
cp "$top_srcdir/plugins/logs/testdata/chatter.py" "$tmp/app/"
"$PAVED" call runtime.start "{\"service\": \"chat\", \"env\": \"dev\", \"version\": \"v1\", \"dir\": \"$tmp/app\", \"argv\": [\"python3\", \"chatter.py\"]}" > "$tmp/start.json"
addr=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["address"])' "$tmp/start.json")
"$PAVED" call runtime.wait '{"service": "chat", "env": "dev", "id": "r1"}' >/dev/null
LOGDIR="$PAVED_HOME/runtime/dev/chat/logs"
now() { date +%s.%N; }
# seq of the last line in the replica's log file
last_seq() { python3 -c 'import json, os, sys
p = sys.argv[1]
with open(p, "rb") as f:
    f.seek(max(0, os.path.getsize(p) - 65536)); t = f.read().splitlines()
print(json.loads(t[-1])["seq"] if t else 0)' "$LOGDIR/r1.log"; }
# seq of the last line Loki accepted (the shipper's checkpoint)
ckpt() { cat "$LOGDIR/r1.shipped" 2>/dev/null || echo 0; }
until_ge() {   # CMD WANT: poll until CMD prints >= WANT (120 s at most)
	end=$(( $(date +%s) + 120 ))
	while [ "$($1)" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$end" ] || { echo "bench_logship: timed out waiting for $1 >= $2" >&2; exit 1; }
		sleep 0.02
	done
}
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
echo "Loki: $LOKI_KIND ($LOKI_BIN); $(nproc) cores"

# ---- 1. plain file writing ----
base=$(last_seq)
t0=$(now)
curl -s -m 300 "http://$addr/burst?n=$N&tag=f" >/dev/null
until_ge last_seq $((base + N))
t1=$(now)
file_rate=$(echo "$N / ($t1 - $t0)" | bc -l)
printf '1. plain file writing: %d lines in %.2f s = %.0f lines/s\n' "$N" "$(echo "$t1 - $t0" | bc -l)" "$file_rate"

# ---- 2. 50,000 lines/s with the shipper ----
"$PAVED" loki up >/dev/null
LOKI=$(loki_url)
until_ge ckpt "$(last_seq)"   # what the rotation kept of 1. (no shipper: not protected)
M=$((RATE * SECS))
p0=$(last_seq)
t0=$(now)
took=$(curl -s -m 300 "http://$addr/paced?n=$M&rate=$RATE&tag=p" | awk '{print $3}')
tw=$(now)
until_ge ckpt $((p0 + M))
t1=$(now)
printf '2. %d lines at %d lines/s target: the replica wrote them in %.2f s (%.0f lines/s); the last reached Loki %.0f ms after the write ended\n' \
	"$M" "$RATE" "$took" "$(echo "$M / $took" | bc -l)" "$(echo "($t1 - $tw) * 1000" | bc -l)"
python3 "$top_srcdir/plugins/logs/testdata/check_lines.py" "$LOKI" chat dev p "$M" | sed 's/^/   /'

# ---- 3. as fast as possible, with the shipper ----
pid=$(cat "$PAVED_HOME/logs/shipper/shipper.pid")
c0=$(cpu "$pid")
b0=$(last_seq)
t0=$(now)
curl -s -m 300 "http://$addr/burst?n=$N&tag=g" >/dev/null
until_ge last_seq $((b0 + N))
tf=$(now)
until_ge ckpt $((b0 + N))
t1=$(now)
c1=$(cpu "$pid")
ship_rate=$(echo "$N / ($t1 - $t0)" | bc -l)
wrate=$(echo "$N / ($tf - $t0)" | bc -l)
printf '3. %d lines as fast as possible with the shipper: in the file at %.0f lines/s (%.2f of plain), in Loki at %.0f lines/s\n' \
	"$N" "$wrate" "$(echo "$wrate / $file_rate" | bc -l)" "$ship_rate"
printf '   ratio of shipping to plain file writing: %.2f (target: shipping keeps up with 50,000 lines/s, none dropped)\n' \
	"$(echo "$ship_rate / $file_rate" | bc -l)"
printf '   shipper CPU: %.2f s per 100,000 lines\n' "$(echo "($c1 - $c0) / $(getconf CLK_TCK) * 100000 / $N" | bc -l)"
python3 "$top_srcdir/plugins/logs/testdata/check_lines.py" "$LOKI" chat dev g "$N" | sed 's/^/   /'

# ---- 4. the shipper alone ----
cat > "$tmp/sink.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", "6"); self.end_headers()
        self.wfile.write(b"ready\n")
s = ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_address[1]))
s.serve_forever()
PY
python3 "$tmp/sink.py" "$tmp/sink.port" &
sink=$!
trap 'kill $sink 2>/dev/null; logs_cleanup' EXIT
end=$(( $(date +%s) + 10 )); while [ ! -s "$tmp/sink.port" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.05; done
"$PAVED" -c "plugins.logs.url=http://127.0.0.1:$(cat "$tmp/sink.port")" loki up >/dev/null
until_ge ckpt "$(last_seq)"
c0=$(cpu "$pid")
b0=$(last_seq)
t0=$(now)
curl -s -m 300 "http://$addr/burst?n=$N&tag=h" >/dev/null
until_ge ckpt $((b0 + N))
t1=$(now)
c1=$(cpu "$pid")
printf '4. the shipper alone: %d lines read, batched and POSTed at %.0f lines/s (%.2f of plain file writing); %.2f CPU s per 100,000 lines\n' \
	"$N" "$(echo "$N / ($t1 - $t0)" | bc -l)" "$(echo "$N / ($t1 - $t0) / $file_rate" | bc -l)" \
	"$(echo "($c1 - $c0) / $(getconf CLK_TCK) * 100000 / $N" | bc -l)"
echo "   (load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores while measuring)"
