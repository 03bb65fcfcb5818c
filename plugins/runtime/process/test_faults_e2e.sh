#!/bin/sh
# test_faults_e2e.sh -- the process runtime under faults, through the fronts:
#  - kill -9 of a supervisor: its replicas die with it (PR_SET_PDEATHSIG);
#    status stops claiming them; what they forked is adopted: runtime.stop
#    stops it and nothing of the service is left (every recorded pid, and a
#    scan of /proc for processes whose cwd or command line is under the
#    service's dirs); a later start adopts the leftovers too;
#  - a crashing replica is restarted;
#  - bad arguments (a name like "-rf", an empty or non-UTF-8 name, stop with
#    no service and no all) are refused with a clear message and stop
#    nothing.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/runtime/process/rt-lib.sh"

sdir="$PAVED_HOME/runtime/dev/api"
# r1 forks a child that outlives it (no PDEATHSIG of its own): the orphan
# a killed supervisor leaves behind
fork_argv='["sh", "-c", "sleep 1000 & exec python3 httpd.py"]'

# recorded: the supervisor's and every replica's recorded pid
recorded() {
	cat "$sdir/supervisor.pid" 2>/dev/null
	python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["replicas"].values():
    if r["pid"]: print(r["pid"])' "$sdir/state.json" 2>/dev/null
}

up() {
	call runtime.ensure '{"service": "api", "env": "dev"}'
	expect_rc 0 "ensure api"
	url=$(jget 'j["url"]')
	call runtime.start "$(start_json api dev v1 "$fork_argv")"
	expect_rc 0 "start r1 (forks a child)"
	r1=$(jget 'j["id"]')
	call runtime.start "$(start_json api dev v1)"
	expect_rc 0 "start r2"
	r2=$(jget 'j["id"]')
	for id in $r1 $r2; do
		call runtime.wait "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"$id\"}"
		expect_rc 0 "wait $id"
		call runtime.enable "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"$id\"}"
		expect_rc 0 "enable $id"
	done
	[ "$(http_code "$url/")" = 200 ] && pass "api answers" || fail "api does not answer"
}

# ---- kill -9 the supervisor, then stop ---------------------------------------------------
up
pids=$(recorded)
sup=$(cat "$sdir/supervisor.pid")
orphan=$(procs_under "$RT_APP" | awk '$2 == "sleep" {print $1}')
[ -n "$orphan" ] && pass "r1's child runs (pid $orphan)" || fail "no child of r1"
kill -9 "$sup"
replicas_gone() { gone $(echo "$pids" | grep -vx "$sup"); }
until_ok 5 replicas_gone && pass "kill -9 supervisor: its replicas die with it" \
	|| fail "replicas outlived their supervisor: $(procs_under "$RT_APP")"
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget '(j[0]["running"], j[0]["url"], [r["state"] for r in j[0]["replicas"]])')" = \
	'[false, null, ["stopped", "stopped"]]' ] && pass "status: nothing claimed running" || { fail "status"; show; }
gone "$orphan" && fail "the orphan died too: this test proves nothing" || pass "the orphan outlived the supervisor"
[ "$(ps -o ppid= -p "$orphan" | tr -d ' ')" != "$sup" ] && pass "the orphan was reparented" || fail "ppid"
call runtime.stop '{"service": "api", "env": "dev"}'
expect_rc 0 "stop after kill -9"
[ "$(jget 'j["processes"]')" -ge 1 ] && pass "stop found what was left" || { fail "stop found nothing"; show; }
gone $pids "$orphan" && pass "every recorded pid and the orphan are gone" || fail "left: $pids $orphan"
left=$(procs_under "$sdir" "$RT_APP")
[ -z "$left" ] && pass "no process has its cwd or command line under the service's dirs" \
	|| fail "left behind: $left"
[ ! -e "$sdir/supervisor.pid" ] && pass "no stale supervisor.pid" || fail "supervisor.pid remains"

# ---- kill -9 the supervisor, then start: the leftovers are adopted ------------------------
up
orphan=$(procs_under "$RT_APP" | awk '$2 == "sleep" {print $1}')
kill -9 "$(cat "$sdir/supervisor.pid")"
until_ok 5 replicas_gone >/dev/null
call runtime.start "$(start_json api dev v2)"
expect_rc 0 "start after kill -9"
r3=$(jget 'j["id"]')
gone "$orphan" && pass "start stopped what the dead supervisor left" || fail "orphan $orphan survived the start"
sups=$(grep -las "PAVED_RUNTIME_DIR=$sdir" /proc/[0-9]*/environ | cut -d/ -f3 |
	while read -r p; do [ "$(ps -o args= -p "$p")" = "paved-supervisor api dev" ] && echo "$p"; done)
[ "$(echo "$sups" | wc -w)" = 1 ] && pass "exactly one supervisor" || fail "supervisors: $sups"
for id in $r1 $r2 $r3; do
	call runtime.wait "{\"service\": \"api\", \"env\": \"dev\", \"id\": \"$id\"}"
	expect_rc 0 "the new supervisor runs $id"
done
[ "$(http_code "$url/")" = 200 ] && pass "api answers again" || fail "api after restart"

# ---- a crashing replica is restarted --------------------------------------------------------
call runtime.status '{"service": "api", "env": "dev"}'
port=$(jget "[r['port'] for r in j[0]['replicas'] if r['id'] == '$r2'][0]")
old=$(jget "[r['pid'] for r in j[0]['replicas'] if r['id'] == '$r2'][0]")
http "127.0.0.1:$port/crash" >/dev/null
back() {
	call runtime.status '{"service": "api", "env": "dev"}'
	[ "$(jget "[(r['restarts'] >= 1, r.get('healthy'), r.get('pid') != $old) for r in j[0]['replicas'] if r['id'] == '$r2'][0]")" \
		= '[true, true, true]' ]
}
until_ok 15 back && pass "the crashed replica is restarted and healthy" || { fail "not restarted"; show; }

# ---- bad arguments stop nothing ------------------------------------------------------------------
before=$(recorded | sort)
# check_nothing_stopped WHAT: the recorded pids are those of before, all
# alive, and the front door still answers.
check_nothing_stopped() {
	ok=1
	[ "$(recorded | sort)" = "$before" ] || ok=0
	for p in $before; do gone "$p" && ok=0; done
	[ "$(http_code "$url/")" = 200 ] || ok=0
	[ $ok = 1 ] && pass "$1: nothing was stopped" || fail "$1: something was stopped or changed"
}
call runtime.stop '{"service": "-rf", "env": "dev"}'
expect_rc 1 "stop -rf"
expect_err 'args.service "-rf" does not match ^[a-z][a-z0-9-]{0,62}$' "stop -rf: the shape check names it"
check_nothing_stopped "stop -rf"
run env PAVED_CHECK_SHAPES=0 "$PAVED" call runtime.stop '{"service": "-rf", "env": "dev"}'
expect_rc 1 "stop -rf (driver check)"
expect_err "runtime.driver.process.stop: invalid service name '-rf': 1 to 63 lowercase letters, digits and '-', starting with a letter" \
	"stop -rf: the driver's message"
check_nothing_stopped "stop -rf (driver check)"
run env PAVED_CHECK_SHAPES=0 "$PAVED" call runtime.stop '{"service": ""}'
expect_rc 1 "stop ''"
expect_err "argument 'service' is empty: name a service" "stop '': message"
check_nothing_stopped "stop ''"
run env PAVED_CHECK_SHAPES=0 "$PAVED" call runtime.stop '{"service": "\u00ff\u00fe"}'
expect_rc 1 "stop with a non-ASCII name"
expect_err "invalid service name '????'" "stop: a non-ASCII name is shown safely"
check_nothing_stopped "stop non-ASCII"
printf '{"service": "\377"}' >"$tmp/bad.json"
run "$PAVED" call runtime.stop - <"$tmp/bad.json"
expect_rc 2 "stop with non-UTF-8 JSON"
expect_err "invalid JSON argument" "non-UTF-8 is refused before any driver"
check_nothing_stopped "stop non-UTF-8"
for args in '{}' '{"env": "dev"}' '{"all": false}'; do
	call runtime.stop "$args"
	expect_rc 1 "stop $args"
	expect_err "name a 'service' to stop, or pass \"all\": true to stop every service" "stop $args: message"
	expect_err "nothing was stopped" "stop $args: says nothing was stopped"
	check_nothing_stopped "stop $args"
done
call runtime.stop '{"service": "nosuch", "env": "dev"}'
expect_rc 1 "stop an unknown service"
expect_err "no service dev/nosuch in the process runtime; nothing was stopped" "stop nosuch: message"
check_nothing_stopped "stop nosuch"
call runtime.enable '{"service": "api", "env": "dev", "id": "r99"}'
expect_rc 1 "enable an unknown replica"
expect_err "no replica 'r99' of dev/api" "enable r99: message"
call runtime.start '{"service": "api", "env": "dev", "version": "v9", "dir": "/nonexistent", "argv": ["x"]}'
expect_rc 1 "start in a missing dir"
expect_err "argument 'dir': /nonexistent is not a directory" "start: missing dir named"
call runtime.start "{\"service\": \"api\", \"env\": \"dev\", \"version\": \"v9\", \"dir\": \"$RT_APP\", \"argv\": [\"x\"], \"variables\": {\"BAD-NAME\": \"1\"}}"
expect_rc 1 "start with a bad variable name"
expect_err "invalid variable name 'BAD-NAME'" "start: bad variable named"
call runtime.status '{"service": "api", "env": "dev"}'
[ "$(jget 'len(j[0]["replicas"])')" = 3 ] && pass "refused starts added no replica" || { fail "replicas"; show; }
run env PAVED_CHECK_SHAPES=0 "$PAVED" call runtime.start "{\"service\": \"api\", \"env\": \"haproxy\", \"version\": \"v\", \"dir\": \"$RT_APP\", \"argv\": [\"x\"]}"
expect_rc 1 "env haproxy"
expect_err "env 'haproxy' is reserved by the process runtime" "env haproxy: message"
[ ! -e "$PAVED_HOME/runtime/haproxy/api" ] && pass "env haproxy: nothing made" || fail "runtime/haproxy/api made"
check_nothing_stopped "the refused calls"

call runtime.stop '{"all": true}'
expect_rc 0 "stop all"
gone $(recorded) && [ -z "$(procs_under "$sdir" "$RT_APP")" ] && [ -z "$(haproxies)" ] \
	&& pass "stop all: no replica, supervisor or HAProxy left" || fail "left after stop all"
finish
