#!/bin/sh
# test_trace_e2e.sh -- W3C trace context through the front door, for real:
# the runtime's HAProxy (its Lua action paved_traceparent), a service
# deployed behind it, paved's Loki and shipper, and an OTLP/HTTP receiver
# the test runs (plugins/sink/otlp/otlp-receiver.py); every call checked
# against sdk/hooks.json.
#
#  1. through the front door of a service that echoes what it got
#     (testdata/chatter.py /headers), case by case: a valid traceparent is
#     forwarded as it came (tracestate too); a missing one, and each
#     invalid one (uppercase hex, version ff, an all-zero trace id, an
#     all-zero parent id, version 00 with more fields, short ids, two
#     headers) is replaced by a new valid one, and tracestate dropped; a
#     later version with more fields is continued
#  2. the node-api golden path with OTEL_EXPORTER_OTLP_ENDPOINT set through
#     platform.yaml's deploy.variables: a request carrying trace id X gives
#     a replica log line with X through `paved logs --json` and in Loki,
#     and a span with trace id X at the receiver
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/logs/logs-lib.sh"
deploy_need git curl haproxy python3 node
deploy_env
recv=
trap '[ -n "$recv" ] && kill "$recv" 2>/dev/null; logs_cleanup' EXIT
P="$PAVED"
logs_loki
logs_config ""
logs_service

# ---- 1. the front door, case by case -------------------------------------------------------
run "$P" deploy chat
expect_rc 0 "deploy chat"
url=$("$P" --json call runtime.ensure '{"service": "chat", "env": "dev"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
T=0af7651916cd43dd8448eb211c80319c
S=b7ad6b7169203331
# got HEADER...: what the replica received, as "TRACEPARENT|TRACESTATE"
got() {
	set -- "$@" -H "tracestate: vendor=kept"
	curl -s -m 10 "$@" "$url/headers" | sed 's/^traceparent=\(.*\) tracestate=\(.*\)$/\1|\2/'
}
continued() {   # DESCRIPTION VALUE
	g=$(got -H "traceparent: $2")
	[ "$g" = "$2|vendor=kept" ] && pass "$1: continued as it came" || fail "$1: the replica got '$g'"
}
restarted() {   # DESCRIPTION CURL-ARGS...
	d=$1; shift
	g=$(got "$@")
	case "$g" in
	00-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-01\|)
		case "$g" in
		*"$T"*|*"$S"*|00-00000000000000000000000000000000-*|*-0000000000000000-01*)
			fail "$d: the new traceparent reuses an id: $g" ;;
		*) pass "$d: a new valid traceparent, tracestate dropped" ;;
		esac ;;
	*) fail "$d: the replica got '$g'" ;;
	esac
}
continued "a valid traceparent" "00-$T-$S-01"
continued "a valid unsampled traceparent" "00-$T-$S-00"
continued "a later version with more fields" "01-$T-$S-01-later"
restarted "no traceparent"
restarted "uppercase hex" -H "traceparent: 00-0AF7651916CD43DD8448EB211C80319C-$S-01"
restarted "version ff" -H "traceparent: ff-$T-$S-01"
restarted "an all-zero trace id" -H "traceparent: 00-00000000000000000000000000000000-$S-01"
restarted "an all-zero parent id" -H "traceparent: 00-$T-0000000000000000-01"
restarted "version 00 with more fields" -H "traceparent: 00-$T-$S-01-extra"
restarted "a short trace id" -H "traceparent: 00-0af7651916cd43dd8448eb211c8031-$S-01"
restarted "not hex" -H "traceparent: 00-0af7651916cd43dd8448eb211c80319g-$S-01"
restarted "two traceparent headers" -H "traceparent: 00-$T-$S-01" -H "traceparent: 00-$T-$S-01"
a=$(got | cut -c4-35); b=$(got | cut -c4-35)
[ "$a" != "$b" ] && pass "each new trace has its own id" || fail "two new traces share $a"

# ---- 2. the node-api golden path, its logs and spans -----------------------------------------
python3 "$top_srcdir/plugins/sink/otlp/otlp-receiver.py" "$tmp/otlp" "$tmp/otlp.port" &
recv=$!
wait_for 10 test -s "$tmp/otlp.port" || fail "the OTLP receiver did not start"
endpoint="http://127.0.0.1:$(cat "$tmp/otlp.port")"
run "$P" create service tr-api --template node-api --dir "$tmp/tr-api" --no-deploy
expect_rc 0 "paved create service tr-api --template node-api (not deployed yet)"
python3 - "$tmp/tr-api/platform.yaml" "$endpoint" <<'PY'
import re, sys
p, ep = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r"  replicas: \d+", "  replicas: 1", s)
s = re.sub(r"  variables: \{\}[^\n]*", "  variables:\n    OTEL_EXPORTER_OTLP_ENDPOINT: %s\n"
           "    OTEL_BSP_SCHEDULE_DELAY: \"200\"" % ep, s)
open(p, "w").write(s)
PY
grep -q "OTEL_EXPORTER_OTLP_ENDPOINT: $endpoint" "$tmp/tr-api/platform.yaml" &&
	pass "platform.yaml's deploy.variables name the receiver" || fail "platform.yaml: $(cat "$tmp/tr-api/platform.yaml")"
git -C "$tmp/tr-api" commit -qam "traces to the test's receiver"
run "$P" deploy tr-api --dir "$tmp/tr-api"
expect_rc 0 "paved deploy tr-api --dir"
turl=$("$P" --json call runtime.ensure '{"service": "tr-api", "env": "dev"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
X=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 -H "traceparent: 00-$X-$S-01" "$turl/")
[ "$code" = 200 ] && pass "GET / with trace id $X through the front door" || fail "GET /: $code"
has_x() { "$P" --json logs tr-api 2>/dev/null | python3 -c 'import json,sys
l = json.load(sys.stdin)
sys.exit(0 if any(x.get("trace_id") == sys.argv[1] and sys.argv[1] in x["line"] for x in l) else 1)' "$X"; }
wait_for 30 has_x && pass "paved logs --json: a replica log line with trace_id $X (from Loki)" ||
	fail "no line with $X: $("$P" --json logs tr-api --tail 3)"
run "$P" --json logs tr-api
[ -z "$err" ] && pass "paved logs read Loki (no note)" || fail "stderr: $err"
LOKI=$(loki_url)
inloki=$(curl -s -m 10 -G "$LOKI/loki/api/v1/query_range" \
	--data-urlencode "query={service=\"tr-api\", env=\"dev\"} |= \"$X\"" \
	--data-urlencode "start=$(( $(date +%s) - 3600 ))000000000" --data-urlencode limit=10 |
	python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(sum(1 for s in r for v in s["values"] if json.loads(v[1]).get("trace_id") == sys.argv[1]))' "$X")
[ "$inloki" = 1 ] && pass "Loki holds the request's line with trace_id $X (queried directly)" ||
	fail "Loki holds $inloki lines with $X"
span() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["path"] != "/v1/traces": continue
    for rs in r["body"]["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                if s["traceId"] == sys.argv[2] and s.get("parentSpanId") == sys.argv[3]:
                    sys.exit(0)
sys.exit(1)' "$tmp/otlp" "$X" "$S"; }
wait_for 30 span && pass "the receiver got a span with trace id $X, child of $S" ||
	fail "no span with $X: $(tail -c 600 "$tmp/otlp" 2>/dev/null)"
# the files say the same when Loki is down
run "$P" loki down
run "$P" --json logs tr-api
expect_err "reading the replicas' log files instead" "Loki down: paved logs reads the files"
grep -q "\"trace_id\":\"$X\"" "$tmp/stdout" || grep -q "$X" "$tmp/stdout" &&
	pass "the files hold the line with $X too" || fail "files: $(head -c 300 "$tmp/stdout")"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
