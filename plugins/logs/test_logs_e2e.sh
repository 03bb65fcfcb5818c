#!/bin/sh
# test_logs_e2e.sh -- the log backend for real: paved's Loki on a free
# loopback port, paved-logship, a service deployed behind HAProxy, `paved
# logs` through logs.query, every call checked against sdk/hooks.json.
#
#  1. Loki not installed: paved loki up names what to install; deploys and
#     `paved logs` still work from the files, with a note
#  2. a 'loki' that is not Grafana Loki (Debian's package) is told apart
#  3. up: lines reach Loki labelled service, env, version, replica, stream;
#     `paved logs` (text, --json, --tail) reads Loki, logs.query filters
#  4. Loki killed (-9), lines written (rotating past log_keep), `paved logs`
#     degrades to the files with a note; Loki back: every line in Loki
#     exactly once, in the files' order (Loki queried directly, line by line)
#  5. `paved loki down` (shipper too), lines written, `paved loki up`: the same
#  6. `paved logs -f` follows Loki
#  7. bad input: paved loki without or with a wrong subcommand, --help,
#     logs.query with a bad cursor or query
#  8. a Loki that accepts connections and never answers: `paved logs` is
#     back from the files within the timeout, no hang
#  9. a home removed without `paved loki down`: its shipper exits and stops
#     its Loki
# Under CI=true a missing tool is a failure.  Without a Grafana Loki the
# test runs against the Loki API stand-in (logs-lib.sh says so).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/logs/logs-lib.sh"
deploy_need git curl haproxy python3
deploy_env
trap logs_cleanup EXIT
P="$PAVED"
CHECK="$top_srcdir/plugins/logs/testdata/check_lines.py"
logs_loki
logs_service
LOGDIR="$PAVED_HOME/runtime/dev/chat/logs"

# ---- 1. Loki not installed ---------------------------------------------------------------
printf '{"plugins": {"logs": {"binary": "%s"}, "runtime_process": {"log_max_bytes": 65536, "log_keep": 1}}}\n' \
	"$tmp/no/such/loki" > "$PAVED_HOME/config.json"
run "$P" loki up
expect_rc 1 "paved loki up without Loki"
expect_err "Loki is not installed: no program at '$tmp/no/such/loki'" "the message says Loki is not installed"
expect_err "Debian 12 has no Grafana Loki package (its package 'loki' is an unrelated program" \
	"the message names the Debian package and what it is"
run "$P" deploy chat
expect_rc 0 "paved deploy works without Loki"
url=$("$P" --json call runtime.ensure '{"service": "chat", "env": "dev"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
[ "$(curl -s -m 10 "$url/burst?n=20&tag=z")" = "done 20" ] && pass "the replica prints 20 lines" || fail "burst z"
wait_for 10 grep -q '"z 20"' "$LOGDIR/r1.log" || fail "z 20 never reached the file"
run "$P" logs chat
expect_rc 0 "paved logs without Loki"
expect_err "paved logs: note: logs: logs.query: Loki is not installed" "a note says why the files are read"
expect_err "reading the replicas' log files instead" "the note says the files are read"
expect_out "z 20" "the lines come from the files"
run "$P" loki status
expect_rc 0 "paved loki status without Loki"
expect_out "Loki: not running" "status: not running"
[ ! -e "$PAVED_HOME/logs/shipper/shipper.pid" ] && pass "no shipper started" || fail "a shipper runs without Loki"

# ---- 2. Debian's 'loki' is not Grafana Loki ------------------------------------------------
mkdir -p "$tmp/bin"
printf '#!/bin/sh\necho "LOKI version 2.4.7.4 (MCMC linkage analysis): unknown option $1" >&2\nexit 1\n' > "$tmp/bin/loki"
chmod 755 "$tmp/bin/loki"
printf '{"plugins": {"runtime_process": {"log_max_bytes": 65536, "log_keep": 1}}}\n' > "$PAVED_HOME/config.json"
run env PATH="$tmp/bin:$PATH" "$P" loki up
expect_rc 1 "paved loki up with a 'loki' that is not Grafana Loki"
expect_err "'loki' is not Grafana Loki: 'loki -version' printed 'LOKI version 2.4.7.4 (MCMC linkage analysis): unknown option -version'" \
	"the message quotes what it printed"
expect_err "Debian's package 'loki' is an unrelated program" "and says what Debian's package is"

# ---- 3. up: lines in Loki, paved logs reads it -----------------------------------------------
logs_config ""
run "$P" loki up
expect_rc 0 "paved loki up ($LOKI_KIND)"
expect_out "Loki ready at http://127.0.0.1:" "Loki listens on loopback"
expect_out "Log shipper running (pid" "the shipper runs"
LOKI=$(loki_url)
shipper=$(cat "$PAVED_HOME/logs/shipper/shipper.pid")
ps -o args= -p "$shipper" | grep -qx "paved-logship $PAVED_HOME" && pass "ps shows 'paved-logship HOME'" ||
	fail "shipper title: $(ps -o args= -p "$shipper")"
[ "$(curl -s -m 10 "$url/burst?n=2000&tag=a")" = "done 2000" ] || fail "burst a"
wait_for 30 shipped 2020 && pass "the shipper shipped the lines" || fail "not shipped: $(cat "$PAVED_HOME/logs/shipper/status.json")"
run python3 "$CHECK" "$LOKI" chat dev z 20 "$LOGDIR"
expect_rc 0 "the lines written before Loki ran arrived once, in order"
run python3 "$CHECK" "$LOKI" chat dev a 2000 "$LOGDIR"
expect_rc 0 "2000 lines in Loki exactly once, in the files' order"
labels=$(curl -s -m 10 -G "$LOKI/loki/api/v1/query_range" --data-urlencode 'query={service="chat", env="dev"} |= "a 1999"' \
	--data-urlencode "start=$(( $(date +%s) - 3600 ))000000000" --data-urlencode limit=5 |
	python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(" ".join("%s=%s" % kv for kv in sorted(r[0]["stream"].items())))')
case "$labels" in
"env=dev replica=r1 service=chat stream=stdout version="????????????) pass "labels: $labels" ;;
*) fail "labels: $labels" ;;
esac
run "$P" logs chat --tail 3
expect_rc 0 "paved logs --tail 3 (Loki)"
[ -z "$err" ] && pass "no note while Loki runs" || fail "stderr: $err"
[ "$(wc -l < "$tmp/stdout")" -eq 3 ] && pass "three lines" || fail "--tail 3: $out"
run "$P" --json logs chat --since 10m
expect_rc 0 "paved --json logs --since 10m (Loki)"
python3 -c 'import json,sys
l = json.load(open(sys.argv[1]))
a = [x["line"] for x in l if x["line"].startswith("a ")]
assert len(a) == 2000 and all(set(x) >= {"time", "replica", "version", "stream", "line"} for x in l), len(a)' \
	"$tmp/stdout" && pass "--json: 2000 lines with time, replica, version, stream" || fail "--json: $(head -c 300 "$tmp/stdout")"
run "$P" call logs.query '{"service": "chat", "env": "dev", "query": "|= \"a 1999\""}'
expect_rc 0 "logs.query with a LogQL line filter"
[ "$(python3 -c 'import json,sys; print([l["line"] for l in json.load(open(sys.argv[1]))["lines"]])' "$tmp/stdout")" = "['a 1999']" ] &&
	pass "the filter keeps the one line" || fail "filter: $out"

# ---- 4. Loki killed, lines written, Loki back ------------------------------------------------
lpid=$("$P" --json loki status | python3 -c 'import json,sys; print(json.load(sys.stdin)["loki"].get("pid", 0))')
kill -9 "$lpid" && pass "Loki killed (-9)" || fail "no Loki pid: $lpid"
[ "$(curl -s -m 30 "$url/burst?n=3000&tag=b")" = "done 3000" ] || fail "burst b"
wait_for 10 sh -c "cat '$LOGDIR'/r1.log* | grep -q '\"b 3000\"'" || fail "b 3000 never reached the files"
kept=$(ls "$LOGDIR" | grep -c '^r1\.log\.[0-9]*$')
[ "$kept" -gt 1 ] && pass "rotation kept $kept files (log_keep 1): lines not shipped yet" ||
	fail "rotation kept $kept files: $(ls "$LOGDIR")"
run "$P" logs chat --since 10m
expect_rc 0 "paved logs with Loki down"
expect_err "paved logs: note: logs: logs.query: Loki at $LOKI does not answer" "a note says Loki does not answer"
expect_out "b 3000" "the lines come from the files (rotated ones too)"
wait_for 10 sh -c "grep -q '\"failures\":[1-9]' '$PAVED_HOME/logs/shipper/status.json'" &&
	pass "the shipper saw the failure" || fail "status: $(cat "$PAVED_HOME/logs/shipper/status.json")"
run "$P" loki up
expect_rc 0 "paved loki up brings Loki back"
wait_for 60 shipped 5020 && pass "the waiting lines were shipped" || fail "not shipped: $(cat "$PAVED_HOME/logs/shipper/status.json")"
run python3 "$CHECK" "$LOKI" chat dev b 3000 "$LOGDIR"
expect_rc 0 "3000 lines written while Loki was down: in Loki exactly once, in the files' order"
if [ "$LOKI_KIND" = standin ]; then
	dups=$(curl -s -m 10 "$LOKI/standin/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["duplicates"])')
	[ "$dups" = 0 ] && pass "no line was sent twice" || fail "$dups lines were sent twice"
fi

# ---- 5. the whole backend down, lines written, up ------------------------------------------
run "$P" loki down
expect_rc 0 "paved loki down"
expect_out "Stopped the log shipper and paved's Loki." "down stops both"
[ "$(curl -s -m 30 "$url/burst?n=2500&tag=d")" = "done 2500" ] || fail "burst d"
run "$P" loki status
expect_out "Shipper: not running" "status after down: no shipper"
run "$P" loki up
expect_rc 0 "paved loki up after down"
wait_for 60 sh -c "python3 '$CHECK' '$LOKI' chat dev d 2500 >/dev/null" || true
run python3 "$CHECK" "$LOKI" chat dev d 2500 "$LOGDIR"
expect_rc 0 "2500 lines written while the backend was down: in Loki exactly once, in order"

# ---- 6. paved logs -f follows Loki --------------------------------------------------------------
"$P" --json logs chat -f --tail 0 > "$tmp/follow" 2>"$tmp/follow.err" &
follower=$!
wait_for 10 sh -c "[ -e '$tmp/follow' ]"
[ "$(curl -s -m 10 "$url/burst?n=50&tag=e")" = "done 50" ] || fail "burst e"
wait_for 30 grep -q '"e 50"' "$tmp/follow" && pass "paved logs -f printed the new lines" ||
	fail "follow: $(tail -3 "$tmp/follow") $(cat "$tmp/follow.err")"
kill "$follower" 2>/dev/null; wait "$follower" 2>/dev/null
n=$(grep -c '"line": *"e [0-9]*"' "$tmp/follow")
[ "$n" -eq 50 ] && pass "each of the 50 lines once" || fail "-f printed $n e-lines"
[ ! -s "$tmp/follow.err" ] && pass "-f read Loki (no note)" || fail "follow stderr: $(cat "$tmp/follow.err")"

# ---- 7. bad input ----------------------------------------------------------------------------
run "$P" loki
expect_rc 2 "paved loki without a subcommand"
expect_err "paved loki: a subcommand is needed: up, down or status" "says which subcommands exist"
run "$P" loki start
expect_rc 2 "paved loki start"
expect_err "unknown subcommand 'start' (up, down, status)" "names the wrong subcommand"
run "$P" loki up now
expect_rc 2 "paved loki up now"
expect_err "'up' takes no argument" "an extra argument is refused"
before=$(ls -R "$PAVED_HOME/logs" | cksum)
run "$P" loki down --help
expect_rc 0 "paved loki down --help"
expect_out "Usage: paved loki up|down|status" "prints the usage"
[ "$(ls -R "$PAVED_HOME/logs" | cksum)" = "$before" ] && kill -0 "$(cat "$PAVED_HOME/logs/shipper/shipper.pid")" &&
	pass "--help stopped nothing" || fail "--help changed something"
run "$P" call logs.query '{"service": "chat", "env": "dev", "cursor": "r1=12"}'
expect_rc 1 "logs.query with a bad cursor"
expect_err "invalid cursor 'r1=12': pass back the cursor a previous call returned" "the cursor is refused"
run "$P" call logs.query '{"service": "chat", "env": "dev", "query": "error"}'
expect_rc 1 "logs.query with a query that is no pipeline"
expect_err "query must be a LogQL pipeline that follows the selector, such as '|= \"error\"', not 'error'" \
	"the query is refused"

# ---- 8. a Loki that never answers: no hang --------------------------------------------------
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
while True:
    c, _ = s.accept(); conns.append(c)' "$tmp/mute.port" &
mute=$!
wait_for 10 test -s "$tmp/mute.port"
t0=$(date +%s%N)
run "$P" -c "plugins.logs.url=http://127.0.0.1:$(cat "$tmp/mute.port")" -c plugins.logs.timeout_ms=700 logs chat --tail 2
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
kill "$mute" 2>/dev/null; wait "$mute" 2>/dev/null
expect_rc 0 "paved logs against a Loki that never answers"
expect_err "does not answer: Operation timed out" "the note says it timed out"
[ "$ms" -lt 5000 ] && pass "back from the files in $ms ms (timeout 700 ms)" || fail "took $ms ms"

# ---- 9. a home removed without paved loki down: nothing left running ------------------------
home2="$tmp/home2"
mkdir -p "$home2"
cp "$PAVED_HOME/config.json" "$home2/"
run env PAVED_HOME="$home2" "$P" loki up
expect_rc 0 "paved loki up in a second home"
l2=$(PAVED_HOME="$home2" "$P" --json loki status | python3 -c 'import json,sys; print(json.load(sys.stdin)["loki"].get("pid", 0))')
s2=$(cat "$home2/logs/shipper/shipper.pid")
base2=$(readlink "$home2/logs/loki" || true)
rm -rf "$home2"
gone() { ! kill -0 "$l2" 2>/dev/null && ! kill -0 "$s2" 2>/dev/null ||
	{ grep -q '^State:.*Z' "/proc/$l2/status" 2>/dev/null && grep -q '^State:.*Z' "/proc/$s2/status" 2>/dev/null; }; }
wait_for 15 gone && pass "its shipper exited and stopped its Loki" || fail "still running: $(ps -o pid,args= -p "$l2,$s2")"
[ -n "$base2" ] && rm -rf "$base2"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
