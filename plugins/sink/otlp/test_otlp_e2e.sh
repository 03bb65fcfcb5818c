#!/bin/sh
# test_otlp_e2e.sh -- the otlp sink against a real OTLP/HTTP receiver
# (otlp-receiver.py, python3), through the real paved binary:
#  1. it loads with every symbol bound;
#  2. an event arrives as one OTLP log record at /v1/logs (resource
#     service.name, body the event's name, attributes event.name,
#     paved.event.id, paved.source, paved.data.*; times in nanoseconds);
#  3. the receiver down: the command succeeds, the event waits in the
#     outbox with the error; a 503 and an unset endpoint keep it there;
#  4. the receiver back: `paved events flush` delivers what waited, in order.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "FAIL: python3 is missing (CI=true)"; exit 1; }
	echo "SKIP: python3 is missing"; exit 77
fi
PAVED_PLUGIN_PATH="$top_builddir/plugins/sink/otlp/.libs"
PAVED_CHECK_SHAPES=1
export PAVED_PLUGIN_PATH PAVED_CHECK_SHAPES
RECV="$top_srcdir/plugins/sink/otlp/otlp-receiver.py"
server=
stop_server() { [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null; server=; }
trap 'stop_server; rm -rf "$tmp"' EXIT
start_server() {
	rm -f "$tmp/port"
	python3 "$RECV" "$tmp/requests" "$tmp/port" &
	server=$!
	i=0
	while [ ! -s "$tmp/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -s "$tmp/port" ] || { echo "FAIL: the OTLP receiver did not start"; exit 1; }
	endpoint="http://127.0.0.1:$(cat "$tmp/port")"
}
rows() { "$PAVED" events outbox 2>/dev/null | grep -c ' -> otlp '; }
# pyq EXPR: EXPR over the JSON lines of the requests (r: the list)
pyq() { python3 -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[2])]
print(eval(sys.argv[1]))' "$1" "$tmp/requests"; }

# 1. loads
run env LD_BIND_NOW=1 "$PAVED" --strict plugins
expect_rc 0 "paved --strict plugins with otlp.so"
expect_out "otlp 1.0.0  loaded" "otlp.so loads with every symbol bound"

# 2. delivered
start_server
run "$PAVED" -c "plugins.otlp.endpoint=$endpoint" call example.hello '{"name":"ada"}'
expect_rc 0 "an event with the receiver up"
rec='r[0]["body"]["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]'
[ "$(pyq 'r[0]["path"] + " " + r[0]["content_type"]')" = "/v1/logs application/json" ] &&
	pass "POST /v1/logs, application/json" || fail "request: $(cat "$tmp/requests")"
[ "$(pyq "$rec[\"body\"][\"stringValue\"]")" = example.greeted ] &&
	pass "the record's body is the event's name" || fail "body: $(cat "$tmp/requests")"
attrs=$(pyq "sorted(a[\"key\"] + \"=\" + json.dumps(a[\"value\"], sort_keys=True) for a in $rec[\"attributes\"])")
case "$attrs" in
*"event.name={\"stringValue\": \"example.greeted\"}"*"paved.data.greeting={\"stringValue\": \"hello, ada\"}"*"paved.event.id={\"intValue\": \"1\"}"*"paved.source={\"stringValue\": \"hello\"}"*)
	pass "attributes event.name, paved.data.greeting, paved.event.id, paved.source" ;;
*) fail "attributes: $attrs" ;;
esac
pyq "$rec[\"timeUnixNano\"].isdigit() and len($rec[\"timeUnixNano\"]) == 19 and $rec[\"severityNumber\"] == 9" |
	grep -qx True && pass "timeUnixNano in nanoseconds, severity INFO" || fail "record: $(cat "$tmp/requests")"
[ "$(pyq 'r[0]["body"]["resourceLogs"][0]["resource"]["attributes"][0]["value"]["stringValue"]')" = paved ] &&
	pass "resource service.name paved" || fail "resource: $(cat "$tmp/requests")"
[ "$(rows)" -eq 0 ] && pass "outbox empty after delivery" || fail "outbox: $("$PAVED" events outbox)"

# 3. down, 503, unset
stop_server
run "$PAVED" -c "plugins.otlp.endpoint=$endpoint" call example.hello '{"name":"grace"}'
expect_rc 0 "the command succeeds with the receiver down"
expect_err "POST $endpoint/v1/logs failed" "the warning names the URL"
run "$PAVED" events outbox
expect_out "-> otlp" "event 2 waits in the outbox"
start_server
touch "$tmp/requests.fail"
run "$PAVED" -c "plugins.otlp.endpoint=$endpoint" events flush
expect_rc 1 "flush against a 503"
expect_err "POST $endpoint/v1/logs answered HTTP 503: unavailable" "the 503 is reported"
rm -f "$tmp/requests.fail"
run "$PAVED" call example.hello '{"name":"linus"}'
expect_rc 0 "an event with no endpoint set"
run "$PAVED" events outbox
expect_out "plugins.otlp.endpoint is not set" "the outbox says the endpoint is unset"
[ "$(rows)" -eq 2 ] && pass "events 2 and 3 wait" || fail "waiting: $(rows)"

# 4. flushed in order
n=$(wc -l < "$tmp/requests")
run "$PAVED" -c "plugins.otlp.endpoint=$endpoint/" events flush
expect_rc 0 "flush with the receiver back (endpoint with a trailing slash)"
[ "$(rows)" -eq 0 ] && pass "outbox empty after flush" || fail "outbox: $("$PAVED" events outbox)"
ids=$(pyq "[ [a['value']['intValue'] for a in x['body']['resourceLogs'][0]['scopeLogs'][0]['logRecords'][0]['attributes'] if a['key'] == 'paved.event.id'][0] for x in r[$n:]]")
[ "$ids" = "['2', '3']" ] && pass "events 2 and 3 delivered in order" || fail "delivered: $ids"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
