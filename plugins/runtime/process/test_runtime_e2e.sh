#!/bin/sh
# test_runtime_e2e.sh -- the process runtime end to end through the fronts
# (`paved call runtime.VERB`, shapes checked): the driver's hooks, a
# service's life (ensure, start, wait, enable, weights, logs, remove,
# disable, prune, stop, destroy), what status claims, the supervisor's
# title and session, and the permissions of everything holding secrets.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/runtime/process/rt-lib.sh"

# ---- the driver's hooks: runtime.driver.process.VERB, no global runtime.* ----
run "$PAVED" hooks
for v in ensure start wait enable disable weights remove status stop destroy prune logs; do
	expect_out "runtime.driver.process.$v" "runtime_process provides runtime.driver.process.$v"
done
if grep -E '^runtime\.[a-z]+ ' "$tmp/stdout" | grep -q runtime_process; then
	fail "runtime_process provides a global runtime.* hook"; show
else
	pass "no global runtime.* hook"
fi

# ---- the front door --------------------------------------------------------------
call runtime.ensure '{"service": "api", "env": "dev"}'
expect_rc 0 "ensure"
port=$(jget 'j["port"]')
url=$(jget 'j["url"]')
[ "$url" = "http://127.0.0.1:$port" ] && pass "ensure: url names the port" || fail "ensure: $url / $port"
call runtime.ensure '{"service": "api", "env": "dev"}'
[ "$(jget 'j["port"]')" = "$port" ] && pass "ensure again: the same stable port" || { fail "port moved"; show; }
[ "$(http_code "$url/")" = 503 ] && pass "no replica in traffic: 503" || fail "front door without replicas"

# ---- two replicas, with a secret variable -------------------------------------------
secret="postgres://api:s3cret@127.0.0.1:5432/api"
call runtime.start "$(start_json api dev v1 '["python3", "httpd.py"]' "{\"DATABASE_URL\": \"$secret\"}")"
expect_rc 0 "start r1"
[ "$(jget 'j["id"]')" = r1 ] && pass "first replica is r1" || { fail "id"; show; }
p1=$(jget 'j["port"]')
[ "$(jget 'j["address"]')" = "127.0.0.1:$p1" ] && pass "start: address" || { fail "address"; show; }
call runtime.start "$(start_json api dev v2)"
expect_rc 0 "start r2"
p2=$(jget 'j["port"]')
[ "$p1" != "$p2" ] && [ "$p1" != "$port" ] && pass "every port differs" || fail "ports $port $p1 $p2"
for id in r1 r2; do
	call runtime.wait "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"$id\", \"timeout\": 20}"
	expect_rc 0 "wait $id"
	expect_out '"healthy": true' "$id healthy"
done
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget 'j[0]["running"]')" = true ] && pass "status: running" || { fail "running"; show; }
[ "$(jget 'j[0]["url"]')" = null ] && pass "status: no URL while no replica is in traffic" \
	|| { fail "url claimed with no replica in traffic"; show; }
[ "$(jget '[r["state"] for r in j[0]["replicas"]]')" = '["running", "running"]' ] \
	&& pass "status: both replicas running" || { fail "states"; show; }
[ "$(jget '[r["version"] for r in j[0]["replicas"]]')" = '["v1", "v2"]' ] \
	&& pass "status: versions" || { fail "versions"; show; }

# the supervisor: its own program, titled, in its own session, outliving paved
sdir="$PAVED_HOME/runtime/dev/api"
sup=$(cat "$sdir/supervisor.pid")
[ "$(ps -o args= -p "$sup")" = "paved-supervisor api dev" ] && pass "ps: paved-supervisor api dev" \
	|| fail "supervisor title: '$(ps -o args= -p "$sup")'"
[ "$(ps -o sid= -p "$sup" | tr -d ' ')" != "$(ps -o sid= -p $$ | tr -d ' ')" ] \
	&& pass "the supervisor has its own session" || fail "supervisor shares our session"
[ "$(tr '\0' '\n' < "/proc/$sup/environ" | grep -c "^PAVED_RUNTIME_DIR=$sdir\$")" = 1 ] \
	&& pass "the supervisor carries the service's mark" || fail "no mark on the supervisor"

# ---- secrets at rest: 0600 files in 0700 dirs ----------------------------------------
grep -q "$secret" "$sdir/spec.json" && pass "spec.json holds DATABASE_URL" || fail "spec.json lacks the variable"
for d in "$PAVED_HOME/runtime" "$PAVED_HOME/runtime/dev" "$sdir" "$sdir/logs" "$PAVED_HOME/runtime/haproxy"; do
	[ "$(stat -c %a "$d")" = 700 ] && pass "0700 ${d#$PAVED_HOME/}" || fail "${d#$PAVED_HOME/} is $(stat -c %a "$d")"
done
for f in "$sdir/spec.json" "$sdir/state.json" "$sdir/supervisor.log" "$sdir/logs/r1.log" \
	"$PAVED_HOME/runtime/haproxy/services.json" "$PAVED_HOME/runtime/haproxy/haproxy.cfg"; do
	[ "$(stat -c %a "$f")" = 600 ] && pass "0600 ${f#$PAVED_HOME/}" || fail "${f#$PAVED_HOME/} is $(stat -c %a "$f")"
done
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
	chmod 755 "$tmp" "$PAVED_HOME"
	if runuser -u nobody -- cat "$sdir/spec.json" >/dev/null 2>&1; then
		fail "nobody can read spec.json"
	else
		pass "another user cannot read spec.json"
	fi
	chmod 700 "$tmp"
fi

# ---- traffic: enable with weights, then one batch of weights ---------------------------
call runtime.enable '{"service": "api", "env": "dev", "id": "r1", "weight": 10}'
expect_rc 0 "enable r1 at weight 10"
call runtime.enable '{"service": "api", "env": "dev", "id": "r2"}'
expect_rc 0 "enable r2 (default weight)"
case "$(http "$url/")" in "hello from r"*) pass "the front door answers";; *) fail "front door: $(http "$url/")";; esac
w=$(haproxy_cmd "get weight be.dev.api/s0" | head -1)
[ "${w%% *}" = 10 ] && pass "HAProxy: r1 weight 10" || fail "r1 weight: $w"
w=$(haproxy_cmd "get weight be.dev.api/s1" | head -1)
[ "${w%% *}" = 100 ] && pass "HAProxy: r2 weight 100" || fail "r2 weight: $w"
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget 'j[0]["url"]')" = "$url" ] && pass "status: the URL once a replica is in traffic" || { fail "url"; show; }
call runtime.weights '{"service": "api", "env": "dev", "weights": {"r1": 0, "r2": 50}}'
expect_rc 0 "weights r1=0 r2=50"
w=$(haproxy_cmd "get weight be.dev.api/s1" | head -1)
[ "${w%% *}" = 50 ] && pass "HAProxy: r2 weight 50" || fail "r2 weight: $w"
state=$(haproxy_cmd "show servers state be.dev.api" | awk '$4 == "s0" {print $7}')
[ $((state & 1)) = 1 ] && pass "HAProxy: r1 in maintenance (weight 0)" || fail "r1 admin state $state"
bad=0
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ "$(http "$url/")" = "hello from r2 v2" ] || bad=$((bad + 1))
done
[ $bad = 0 ] && pass "only r2 serves after weights" || fail "$bad of 10 answers not from r2"
call runtime.weights '{"service": "api", "env": "dev", "weights": {"r2": 60, "r9": 1}}'
expect_rc 1 "weights naming an unknown replica"
expect_err "no replica 'r9' of dev/api" "weights: unknown replica named"
w=$(haproxy_cmd "get weight be.dev.api/s1" | head -1)
[ "${w%% *}" = 50 ] && pass "a refused batch changes nothing" || fail "r2 weight after refused batch: $w"
call runtime.weights '{"service": "api", "env": "dev", "weights": {"r1": 300}}'
expect_rc 1 "weight 300"
expect_err "the weight of r1 must be a whole number from 0 (out of traffic) to 256" "weight range"

# ---- logs: timestamped, merged by time, tail, cursor -----------------------------------
[ "$(http "127.0.0.1:$p1/say?from-r1-first")" = said ] || fail "say r1"
[ "$(http "127.0.0.1:$p2/say?from-r2-second")" = said ] || fail "say r2"
[ "$(http "127.0.0.1:$p1/say?from-r1-third")" = said ] || fail "say r1 again"
got_lines() {
	call runtime.logs '{"service": "api", "env": "dev"}'
	jget '" ".join(l["line"] for l in j["lines"] if l["stream"] == "stdout" and l["line"].startswith("from-"))' \
		> "$tmp/said"
	[ "$(cat "$tmp/said")" = "from-r1-first from-r2-second from-r1-third" ]
}
until_ok 10 got_lines && pass "logs: both replicas' lines, merged by time" || fail "logs: $(cat "$tmp/said")"
jget 'all(__import__("re").fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", l["time"]) for l in j["lines"])' \
	| grep -qx true && pass "logs: RFC 3339 UTC times with milliseconds" || fail "log times"
jget '[l["time"] for l in j["lines"]] == sorted(l["time"] for l in j["lines"])' | grep -qx true \
	&& pass "logs: in time order" || fail "logs out of order"
jget '[(l["replica"], l["version"]) for l in j["lines"] if l["line"] == "from-r2-second"]' \
	| grep -qF '[["r2", "v2"]]' && pass "logs: replica and version on each line" || fail "replica/version"
jget '[l["line"] for l in j["lines"] if l["stream"] == "supervisor"][0]' | grep -q '^started pid ' \
	&& pass "logs: the supervisor's notes" || fail "no supervisor note"
cursor=$(jget 'j["cursor"]')
call runtime.logs '{"service": "api", "env": "dev", "tail": 1}'
[ "$(jget 'len(j["lines"])')" = 1 ] && pass "logs: tail 1" || { fail "tail"; show; }
call runtime.logs "{\"service\": \"api\", \"env\": \"dev\", \"cursor\": \"$cursor\"}"
[ "$(jget 'len(j["lines"])')" = 0 ] && pass "logs: nothing after the cursor yet" || { fail "cursor"; show; }
http "127.0.0.1:$p2/say?after-the-cursor" >/dev/null
follow() {
	call runtime.logs "{\"service\": \"api\", \"env\": \"dev\", \"cursor\": \"$cursor\"}"
	jget '[l["line"] for l in j["lines"] if l["stream"] == "stdout"]' > "$tmp/new"
	[ "$(cat "$tmp/new")" = '["after-the-cursor"]' ]
}
until_ok 10 follow && pass "logs: following by cursor gives only the new line" || fail "follow: $(cat "$tmp/new")"
call runtime.logs '{"service": "api", "env": "dev"}'
all=$(jget 'len(j["lines"])')
call runtime.logs '{"service": "api", "env": "dev", "since": 3600}'
[ "$(jget 'len(j["lines"])')" = "$all" ] && [ "$all" -gt 5 ] && pass "logs: since 3600 s: all $all lines" \
	|| { fail "since 3600 (all: $all)"; show; }
call runtime.logs '{"service": "api", "env": "dev", "since": 0}'
[ "$(jget 'len(j["lines"])')" = 0 ] && pass "logs: since 0 s: none" || { fail "since 0"; show; }
call runtime.logs '{"service": "api", "env": "dev", "since": -1}'
expect_rc 1 "since -1"
expect_err "argument 'since' must be a number of seconds (>= 0)" "since: message"
call runtime.logs '{"service": "api", "env": "dev", "cursor": "garbage"}'
expect_rc 1 "a malformed cursor"
expect_err "invalid cursor 'garbage': pass back the cursor a previous call returned" "cursor message"

# ---- a crashed replica is restarted ---------------------------------------------------
call runtime.status '{"service": "api", "env": "dev"}'
old=$(jget '[r["pid"] for r in j[0]["replicas"] if r["id"] == "r2"][0]')
http "127.0.0.1:$p2/crash" >/dev/null
restarted() {
	call runtime.status '{"service": "api", "env": "dev"}'
	[ "$(jget '[(r["restarts"], r["state"], r.get("healthy"), r.get("pid") != '"$old"') for r in j[0]["replicas"] if r["id"] == "r2"][0]')" = '[1, "running", true, true]' ]
}
until_ok 15 restarted && pass "r2 crashed and was restarted (new pid, healthy)" || { fail "no restart"; show; }
gone "$old" && pass "the crashed pid is gone" || fail "old pid $old alive"
call runtime.logs '{"service": "api", "env": "dev"}'
jget '[l["line"] for l in j["lines"] if l["stream"] == "supervisor" and l["replica"] == "r2"]' \
	| grep -q 'exited (exit status 3)' && pass "logs: the crash is noted" || fail "crash not in logs"

# ---- remove, disable, prune ---------------------------------------------------------------
call runtime.status '{"service": "api", "env": "dev"}'
r2pid=$(jget '[r["pid"] for r in j[0]["replicas"] if r["id"] == "r2"][0]')
call runtime.remove '{"service": "api", "env": "dev", "id": "r2"}'
expect_rc 0 "remove r2"
gone "$r2pid" && pass "remove: r2's process is gone when it returns" || fail "r2 pid $r2pid alive"
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget '[r["id"] for r in j[0]["replicas"]]')" = '["r1"]' ] && pass "status: r2 forgotten" || { fail "after remove"; show; }
call runtime.remove '{"service": "api", "env": "dev", "id": "r2"}'
expect_rc 1 "remove r2 twice"
expect_err "no replica 'r2' of dev/api" "remove: unknown replica"
call runtime.enable '{"service": "api", "env": "dev", "id": "r1"}'
call runtime.disable '{"service": "api", "env": "dev", "id": "r1"}'
expect_rc 0 "disable r1"
[ "$(http_code "$url/")" = 503 ] && pass "nothing in traffic: 503" || fail "front door after disable"
call runtime.prune '{"service": "api", "env": "dev"}'
[ "$(jget 'j["removed"]')" = '[]' ] && pass "prune keeps r1 within keep_seconds" || { fail "pruned early"; show; }
run "$PAVED" -c plugins.runtime_process.keep_seconds=0 call runtime.disable '{"service": "api", "env": "dev", "id": "r1"}'
run "$PAVED" call runtime.prune '{"service": "api", "env": "dev"}'
[ "$(jget 'j["removed"]')" = '["dev/api/r1"]' ] && pass "prune removes r1 past its keep time" || { fail "prune"; show; }

# ---- stop and destroy -------------------------------------------------------------------
call runtime.start "$(start_json api dev v3)"
id=$(jget 'j["id"]')
[ "$id" = r3 ] && pass "ids are not reused" || fail "id after prune: $id"
call runtime.wait "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"$id\"}"
expect_rc 0 "wait r3"
sup=$(cat "$sdir/supervisor.pid")
call runtime.stop '{"service": "api", "env": "dev"}'
expect_rc 0 "stop api"
[ "$(jget '(j["stopped"], j["services"])')" = '[1, ["dev/api"]]' ] && pass "stop: one service" || { fail "stop result"; show; }
[ "$(jget 'j["processes"]')" = 2 ] && pass "stop: the supervisor and r3" || { fail "processes"; show; }
gone "$sup" && pass "stop: supervisor gone" || fail "supervisor $sup alive"
[ -z "$(procs_under "$sdir" "$RT_APP")" ] && pass "stop: no process of the service is left" || fail "left: $(procs_under "$sdir" "$RT_APP")"
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget '(j[0]["running"], j[0]["url"], j[0]["replicas"])')" = '[false, null, []]' ] \
	&& pass "status after stop: not running, no URL" || { fail "status after stop"; show; }
call runtime.destroy '{"service": "api", "env": "dev"}'
expect_rc 0 "destroy api"
[ ! -e "$sdir" ] && pass "destroy: the runtime dir is gone" || fail "$sdir remains"
grep -q dev/api "$PAVED_HOME/runtime/haproxy/services.json" && fail "front door kept" || pass "destroy: front door gone"
[ -z "$(haproxies)" ] && pass "no front door left: no HAProxy" || fail "HAProxy left: $(haproxies)"
call runtime.destroy '{"service": "api", "env": "dev"}'
expect_rc 0 "destroy again: already gone is fine"
call runtime.status '{}'
[ "$(cat "$tmp/stdout")" = "[]" ] && pass "status: nothing left" || { fail "status"; show; }

finish
