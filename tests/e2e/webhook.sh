#!/bin/sh
# tests/e2e/webhook.sh -- the webhook sink against a real HTTP server.
#
# Starts a local HTTP server (python3 http.server) that records every
# request, then drives the real paved binary: an event is POSTed as JSON;
# with the server down the command still succeeds and the event waits in
# the outbox; a 5xx answer and an unset url keep it there too; with the
# server back, `paved events flush` delivers what waited, in order.
# Exit 77 (skip) without python3.
set -u

top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PAVED="$top_builddir/host/paved"
# The webhook is opt-in (not in the default plugin path): point at it.
PAVED_PLUGIN_PATH="$top_builddir/plugins/sink/webhook/.libs"; export PAVED_PLUGIN_PATH
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 not found"; exit 77; }
[ -x "$PAVED" ] || { echo "FAIL: $PAVED not built"; exit 1; }
[ -f "$PAVED_PLUGIN_PATH/webhook.so" ] || { echo "FAIL: webhook.so not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-webhook.XXXXXX")
server_pid=
stop_server() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
		server_pid=
	fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
PAVED_HOME="$tmp/home"; export PAVED_HOME

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok()   { echo "ok: $*"; }

# The server: answers 200 on any path except /fail (503), appends one JSON
# line {path, content_type, event_id, body} per request to $tmp/requests,
# and writes the port it bound (0 = any free port) to $tmp/port.
SERVER='
import http.server, json, sys
out, portfile = sys.argv[1], sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with open(out, "a") as f:
            f.write(json.dumps({"path": self.path,
                                "content_type": self.headers.get("Content-Type"),
                                "event_id": self.headers.get("X-Paved-Event-Id"),
                                "body": body}) + "\n")
        code = 503 if self.path == "/fail" else 200
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"down for maintenance" if code == 503 else b"ok")
    def log_message(self, *a):
        pass
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
'
start_server() {
	rm -f "$tmp/port"
	python3 -c "$SERVER" "$tmp/requests" "$tmp/port" &
	server_pid=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$tmp/port" ] || { echo "FAIL: the test HTTP server did not start"; exit 1; }
	port=$(cat "$tmp/port")
	url="http://127.0.0.1:$port/hook"
}
requests() { [ -f "$tmp/requests" ] && wc -l < "$tmp/requests" || echo 0; }
webhook_rows() { "$PAVED" events outbox 2>/dev/null | grep -c ' -> webhook '; }

# 0. It loads with every symbol bound (opt-in, so tests/e2e/cli.sh's
# load-everything check does not see it: this one does).
LD_BIND_NOW=1 "$PAVED" --strict plugins >"$tmp/plugins" 2>"$tmp/err" &&
	grep -q '^webhook 1.0.0  loaded' "$tmp/plugins" && ok "webhook.so loads (LD_BIND_NOW)" ||
	fail "webhook.so does not load: $(cat "$tmp/plugins" "$tmp/err")"

# 1. Delivered: the event's JSON arrives as the POST body.
start_server
out=$("$PAVED" -c "plugins.webhook.url=$url" call example.hello '{"name":"ada"}' 2>"$tmp/err")
rc=$?
[ $rc -eq 0 ] && echo "$out" | grep -q 'hello, ada' && ok "call succeeds" ||
	fail "call: rc=$rc out=$out err=$(cat "$tmp/err")"
if grep -q '\\"event\\":\\"example.greeted\\"' "$tmp/requests" 2>/dev/null &&
   grep -q 'hello, ada' "$tmp/requests" &&
   grep -q '"content_type": "application/json"' "$tmp/requests" &&
   grep -q '"event_id": "1"' "$tmp/requests"; then
	ok "event 1 POSTed as JSON"
else
	fail "event body not received: $(cat "$tmp/requests" 2>/dev/null)"
fi
[ "$(webhook_rows)" -eq 0 ] && ok "outbox empty" || fail "outbox not empty after delivery"

# 2. Server down: the command still succeeds, the event waits.
stop_server
down_url=$url
before=$(requests)
"$PAVED" -c "plugins.webhook.url=$down_url" call example.hello '{"name":"grace"}' \
	>/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "call succeeds with the server down" || fail "call failed with server down: rc=$rc"
grep -q "POST $down_url failed" "$tmp/err" && ok "warning names the URL" ||
	fail "no warning naming the URL: $(cat "$tmp/err")"
"$PAVED" events outbox >"$tmp/outbox" 2>&1
grep -q '^#2 .*example.greeted.*-> webhook .*POST http://127.0.0.1:.*/hook failed' "$tmp/outbox" &&
	ok "outbox lists event 2 with the error" || fail "outbox: $(cat "$tmp/outbox")"

# 3. A 5xx answer and an unset url also keep events in the outbox.
start_server
"$PAVED" -c "plugins.webhook.url=http://127.0.0.1:$port/fail" events flush >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "POST http://127.0.0.1:$port/fail answered HTTP 503: down for maintenance" \
	"$tmp/err" && ok "HTTP 503 reported, flush exits 1" || fail "503: rc=$rc $(cat "$tmp/err")"
"$PAVED" call example.hello '{"name":"linus"}' >/dev/null 2>"$tmp/err" ||
	fail "call without url failed"
"$PAVED" events outbox >"$tmp/outbox" 2>&1
# Events go out in order: event 2 is retried (and fails on the unset url),
# event 3 waits behind it untried.
grep -q '^#2 .*-> webhook .*plugins.webhook.url is not set' "$tmp/outbox" &&
	grep -q '^#3 .*example.greeted.*-> webhook ' "$tmp/outbox" &&
	ok "unset url: events 2 and 3 wait" || fail "unset url: $(cat "$tmp/outbox")"
[ "$(webhook_rows)" -eq 2 ] || fail "expected 2 waiting events, got $(webhook_rows)"
"$PAVED" -c plugins.webhook.timeout_ms='"slow"' events flush >/dev/null 2>"$tmp/err"
grep -q 'plugins.webhook.timeout_ms must be of type int' "$tmp/err" &&
	ok "a mistyped option is refused" || fail "mistyped option: $(cat "$tmp/err")"

# 4. Server up: flush delivers what waited, in order.
n=$(grep -c '"path": "/hook"' "$tmp/requests")
"$PAVED" -c "plugins.webhook.url=$url" events flush >"$tmp/flush" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && ok "flush succeeds" || fail "flush: rc=$rc $(cat "$tmp/flush" "$tmp/err")"
[ "$(webhook_rows)" -eq 0 ] && ok "outbox empty after flush" || fail "outbox after flush not empty"
ids=$(grep '"path": "/hook"' "$tmp/requests" | tail -n +$((n + 1)) |
	sed 's/.*"event_id": "\([0-9]*\)".*/\1/' | tr '\n' ' ')
[ "$ids" = "2 3 " ] && ok "events 2 and 3 delivered in order" || fail "delivered ids: '$ids'"
grep -q 'grace' "$tmp/requests" && grep -q 'linus' "$tmp/requests" ||
	fail "bodies of events 2 and 3 missing"

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "all webhook checks passed"
