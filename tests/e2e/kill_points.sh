#!/bin/bash
# End to end (issue #12's standing fault-injection check): kill -9 `paved
# create`, `paved apply` and `paved deploy` at 10 points each; after each
# kill, the next command leaves nothing half-made.
#   create: killed at ten points spread over its run (with PostgreSQL); the
#     next command reports the run interrupted and `paved runs undo` removes
#     what it made -- no repository, catalog entry, resource record, role,
#     database, working copy or process of the service is left -- or the
#     run had finished and the service is whole.
#   apply: killed at the provisioning fault points (PAVED_TEST_FAULT) and
#     from outside; the next apply converges: one role, one database, one
#     record.
#   deploy: killed at ten points; the next deploy serves the version, and
#     every process of the service is one the runtime knows.
. "$(dirname "$0")/lib.sh"

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
for prog in git node haproxy python3 "$PGBIN/initdb"; do
	command -v "$prog" >/dev/null 2>&1 || [ -x "$prog" ] ||
		{ [ "${CI:-}" = true ] && { echo "FAIL: $prog is missing under CI=true"; exit 1; }
		  echo "SKIP: $prog is not installed"; exit 77; }
done
work="$tmp/work"
mkdir -p "$work"
cleanup() {
	"$PAVED" stop --all >/dev/null 2>&1
	"$PAVED" resources stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$work" || exit 99
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }
su_psql() {
	PGPASSWORD=$(cat "$PAVED_HOME/provision/postgres/superuser-password") "$PGBIN/psql" -X -A -t -q \
		-h 127.0.0.1 -p "$(cat "$PAVED_HOME/provision/postgres/port")" -U paved -d postgres -c "$1"
}
# the pids of every process that belongs to service NAME in dev (the runtime
# marks each one, whatever it forked, with its runtime directory)
service_pids() {
	grep -lzx "PAVED_RUNTIME_DIR=$PAVED_HOME/runtime/dev/$1" /proc/[0-9]*/environ 2>/dev/null |
		sed 's#/proc/\([0-9]*\)/environ#\1#' | sort -n
}
# milliseconds since the epoch
now_ms() { date +%s%3N; }
# kill_after MS CMD...: run CMD in the background, SIGKILL it after MS ms
# (unless it finished first); sets $killed to 1 when the kill landed
kill_after() {
	local ms=$1 start
	shift
	start=$(now_ms)
	"$@" >"$tmp/bg.out" 2>"$tmp/bg.err" &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null && [ $(($(now_ms) - start)) -lt "$ms" ]; do sleep 0.01; done
	killed=0
	kill -KILL "$pid" 2>/dev/null && killed=1
	wait "$pid" 2>/dev/null
}

# nothing_of NAME WHY [archived]: no trace of service NAME (with "archived",
# an archived repository is what `paved delete service` leaves on purpose)
nothing_of() {
	local n=$1 why=$2 left=""
	if "$PAVED" call forge.info "{\"name\": \"$n\"}" >"$tmp/forge.json" 2>/dev/null; then
		[ "${3:-}" = archived ] && grep -q '"archived": true' "$tmp/forge.json" ||
			left="$left repository"
	fi
	"$PAVED" catalog show "component:default/$n" >/dev/null 2>&1 && left="$left catalog"
	"$PAVED" --json resources list 2>/dev/null | grep -q "\"$n-db-dev\"" && left="$left record"
	[ "$(su_psql "select count(*) from pg_roles where rolname = '$n-db-dev'" 2>/dev/null)" = 0 ] ||
		left="$left role"
	[ "$(su_psql "select count(*) from pg_database where datname = '$n-db-dev'" 2>/dev/null)" = 0 ] ||
		left="$left database"
	[ -e "$work/$n" ] && left="$left working-copy"
	[ -n "$(service_pids "$n")" ] && left="$left processes"
	[ -z "$left" ] && pass "$why: nothing of $n is left" || fail "$why: left of $n:$left"
}

# ---- create -------------------------------------------------------------------------------
start=$(now_ms)
"$PAVED" create service probe --template node-api --database postgres --dir "$work/probe" \
	>/dev/null 2>&1 || fail "a create to time"
total=$(($(now_ms) - start))
pass "a whole create takes $total ms"
for i in 1 2 3 4 5 6 7 8 9 10; do
	n="k$i"
	kill_after $((total * i / 11)) "$PAVED" create service "$n" --template node-api \
		--database postgres --dir "$work/$n"
	run "$PAVED" --json runs list --limit 1
	id=$(json_eval 'j[0].id' "$tmp/stdout")
	status=$(json_eval 'j[0].status' "$tmp/stdout")
	if [ "$status" = succeeded ]; then
		url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/bg.out" | tail -n 1)
		[ "$(code "$url/health")" = 200 ] && pass "create $n finished before the kill and is whole" ||
			fail "create $n finished but does not answer"
		"$PAVED" delete service "$n" --with-resources --yes >/dev/null 2>&1
		rm -rf "${work:?}/$n"
		nothing_of "$n" "after deleting the finished $n" archived
		continue
	fi
	[ "$status" = interrupted ] && pass "kill $i ($((total * i / 11)) ms): run $id is interrupted" ||
		fail "kill $i: run $id is $status"
	run "$PAVED" runs undo "$id"
	expect_rc 0 "runs undo $id"
	nothing_of "$n" "kill $i of create, then undo"
done

# ---- apply ------------------------------------------------------------------------------------
mkdir -p "$work/shop" && cd "$work/shop" || exit 99
printf 'service: shop\nresources:\n  db: {type: postgres}\n  cache: {type: redis}\n' >platform.yaml
state() {
	local r d n
	r=$(su_psql "select count(*) from pg_roles where rolname = 'shop-db-dev'")
	d=$(su_psql "select count(*) from pg_database where datname = 'shop-db-dev'")
	n=$("$PAVED" --json resources list | grep -c '"name": "shop-\(db\|cache\)-dev"')
	echo "$r $d $n"
}
points="provision.after_journal provision.after_create postgres.after_role postgres.after_database
redis.after_dir redis.after_start"
i=0
for point in $points; do
	i=$((i + 1))
	PAVED_TEST_FAULT=$point run "$PAVED" apply
	[ "$rc" -eq 137 ] && pass "apply killed at $point" || fail "apply at $point: exit $rc"
	run "$PAVED" apply
	expect_rc 0 "the apply after the kill at $point"
	[ "$(state)" = "1 1 2" ] && pass "after $point: one role, one database, two records" ||
		fail "after $point: $(state)"
	"$PAVED" resources destroy shop-db-dev --yes >/dev/null 2>&1
	"$PAVED" resources destroy shop-cache-dev --yes >/dev/null 2>&1
done
start=$(now_ms)
"$PAVED" apply >/dev/null 2>&1
total=$(($(now_ms) - start))
"$PAVED" resources destroy shop-db-dev --yes >/dev/null 2>&1
"$PAVED" resources destroy shop-cache-dev --yes >/dev/null 2>&1
for j in 1 2 3 4; do   # and from outside, at points of time
	i=$((i + 1))
	kill_after $((total * j / 5)) "$PAVED" apply
	run "$PAVED" apply
	expect_rc 0 "the apply after kill $i ($((total * j / 5)) ms)"
	[ "$(state)" = "1 1 2" ] && pass "after kill $i: one role, one database, two records" ||
		fail "after kill $i: $(state)"
	"$PAVED" resources destroy shop-db-dev --yes >/dev/null 2>&1
	"$PAVED" resources destroy shop-cache-dev --yes >/dev/null 2>&1
done
cd "$work" || exit 99

# ---- deploy ------------------------------------------------------------------------------------
"$PAVED" create service dep --template node-api --dir "$work/dep" >"$tmp/dep.out" 2>&1 ||
	fail "create dep"
url=$(sed -n 's/^Your service is live at: //p' "$tmp/dep.out")
git -C "$work/dep" commit -q --allow-empty -m "v2" && git -C "$work/dep" push -q 2>/dev/null
v1=$(git -C "$work/dep" rev-parse HEAD~1)
v2=$(git -C "$work/dep" rev-parse HEAD)
settled() { "$PAVED" --json status dep >"$tmp/st.json" 2>/dev/null &&
	[ "$(json_eval 'j[0].version || ""' "$tmp/st.json")" != "" ]; }
for i in $(seq 1 40); do settled && break; sleep 0.1; done
start=$(now_ms)
"$PAVED" deploy dep --version "$v1" >/dev/null 2>&1 || fail "a deploy to time"
total=$(($(now_ms) - start))
want=$v2
for i in 1 2 3 4 5 6 7 8 9 10; do
	kill_after $((total * i / 11)) "$PAVED" deploy dep --version "$want"
	run "$PAVED" deploy dep --version "$want"
	expect_rc 0 "the deploy after kill $i ($((total * i / 11)) ms)"
	[ "$(code "$url/health")" = 200 ] && pass "after kill $i the service answers" || fail "kill $i: no answer"
	run "$PAVED" --json status dep
	live=$(json_eval 'j[0].version' "$tmp/stdout")
	[ "${want#"$live"}" != "$want" ] && pass "after kill $i version ${want:0:12} is live" ||
		fail "after kill $i: live is $live"
	"$PAVED" call runtime.status '{"service": "dep", "env": "dev"}' >"$tmp/rt.json"
	known=$( { json_eval 'j[0].replicas.filter(r => r.pid).map(r => r.pid).join("\n")' "$tmp/rt.json";
	           cat "$PAVED_HOME/runtime/dev/dep/supervisor.pid" 2>/dev/null; echo; } |
	         grep . | sort)
	stray=$(comm -23 <(service_pids dep | sort) <(echo "$known"))
	[ -z "$stray" ] && pass "after kill $i every process of dep is one the runtime knows" ||
		fail "after kill $i stray processes: $stray"
	[ "$want" = "$v2" ] && want=$v1 || want=$v2
done

finish
