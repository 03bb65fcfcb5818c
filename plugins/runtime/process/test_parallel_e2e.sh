#!/bin/sh
# test_parallel_e2e.sh -- one HAProxy per home under concurrency: 8 services
# ensured, started and weighted in parallel on one PAVED_HOME (each ensure
# rewrites the config and reloads HAProxy while the others change weights).
# Then: exactly one HAProxy for the home, every service answers 200 through
# its front door, HAProxy holds the weights each job set (a reload re-applies
# them), a reload for a ninth service keeps them, a killed HAProxy comes
# back with them, HAProxy runs as nobody when paved is root with its admin
# socket 0600, and `runtime.stop {"all": true}` leaves no HAProxy.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/runtime/process/rt-lib.sh"

N=8
job() {
	s=svc$1
	"$PAVED" call runtime.ensure "{\"service\": \"$s\", \"env\": \"dev\"}" >"$tmp/$s.url" || exit 1
	for i in 1 2; do
		"$PAVED" call runtime.start "$(start_json "$s" dev v1)" >/dev/null || exit 2
	done
	for id in r1 r2; do
		"$PAVED" call runtime.wait "{\"service\": \"$s\", \"env\": \"dev\", \"id\": \"$id\"}" >/dev/null || exit 3
	done
	"$PAVED" call runtime.weights "{\"service\": \"$s\", \"env\": \"dev\", \"weights\": {\"r1\": $((10 + $1)), \"r2\": $((100 + $1))}}" \
		>/dev/null || exit 4
}
pids=
for n in $(seq 1 $N); do
	job "$n" >"$tmp/job$n.out" 2>"$tmp/job$n.err" &
	pids="$pids $!"
done
bad=0
for p in $pids; do
	wait "$p" || bad=$((bad + 1))
done
[ $bad = 0 ] && pass "$N parallel ensure/start/wait/weights all succeed" \
	|| { fail "$bad jobs failed"; cat "$tmp"/job*.err; }

one_haproxy() { [ "$(haproxies | wc -l)" = 1 ]; }
until_ok 15 one_haproxy && pass "exactly one HAProxy for the home" || fail "HAProxies: $(haproxies | tr '\n' ' ')"

# every front door answers 200, and HAProxy holds each job's weights
check_all() {
	what=$1
	ok=0
	for n in $(seq 1 $N); do
		port=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$tmp/svc$n.url")
		code=$(http_code "http://127.0.0.1:$port/")
		w0=$(haproxy_cmd "get weight be.dev.svc$n/s0" | head -1)
		w1=$(haproxy_cmd "get weight be.dev.svc$n/s1" | head -1)
		if [ "$code" = 200 ] && [ "${w0%% *}" = $((10 + n)) ] && [ "${w1%% *}" = $((100 + n)) ]; then
			ok=$((ok + 1))
		else
			echo "  svc$n: HTTP $code, weights '$w0' '$w1'"
		fi
	done
	[ $ok = $N ] && pass "$what: all $N services answer 200 with their weights" || fail "$what: $ok of $N"
}
check_all "after the parallel run"

# a reload (a ninth front door) re-applies every weight
call runtime.ensure '{"service": "ninth", "env": "dev"}'
expect_rc 0 "ensure a ninth service"
until_ok 15 one_haproxy && pass "after the reload: one HAProxy" || fail "HAProxies: $(haproxies | tr '\n' ' ')"
check_all "after a reload"

# a killed HAProxy comes back with the weights on the next change
kill -9 "$(haproxies)"
no_haproxy() { [ -z "$(haproxies)" ]; }
until_ok 5 no_haproxy && pass "HAProxy killed" || fail "HAProxy survived kill -9"
call runtime.enable '{"service": "svc1", "env": "dev", "id": "r1", "weight": 11}'
expect_rc 0 "enable after HAProxy was killed"
until_ok 15 one_haproxy && pass "HAProxy restarted: one" || fail "HAProxies: $(haproxies | tr '\n' ' ')"
check_all "after HAProxy was killed"

# privileges
h=$(haproxies)
if [ "$(id -u)" = 0 ]; then
	[ "$(ps -o user= -p "$h")" = nobody ] && pass "HAProxy runs as nobody" || fail "HAProxy runs as $(ps -o user= -p "$h")"
	grep -q "^  chroot $PAVED_HOME/runtime/haproxy/empty\$" "$PAVED_HOME/runtime/haproxy/haproxy.cfg" \
		&& pass "HAProxy is chrooted" || fail "no chroot"
fi
sock="$PAVED_HOME/runtime/haproxy/admin.sock"
[ "$(stat -c '%a %U' "$sock")" = "600 $(id -un)" ] && pass "admin.sock is 0600, ours" || fail "admin.sock: $(stat -c '%a %U' "$sock")"

# stop all: nothing left, HAProxy included
call runtime.stop '{"all": true}'
expect_rc 0 "stop all"
[ "$(jget 'j["stopped"]')" = $((N + 1)) ] && pass "stop all: $((N + 1)) services" || { fail "stopped"; show; }
[ -z "$(haproxies)" ] && pass "stop all: no HAProxy left" || fail "HAProxy left: $(haproxies)"
[ -z "$(procs_under "$PAVED_HOME/runtime" "$RT_APP")" ] && pass "stop all: no supervisor or replica left" \
	|| fail "left: $(procs_under "$PAVED_HOME/runtime" "$RT_APP")"
finish
