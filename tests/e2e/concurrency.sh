#!/bin/bash
# End to end (issue #12's standing concurrency check): 8 paveds at once on a
# home that does not exist yet (30 times); then on one PAVED_HOME,
#   - 8 `paved create service` at once (4 with a PostgreSQL database),
#   - then 4 `paved apply` and 4 `paved deploy` at once;
# then every service answers 200 through its front door, exactly one
# HAProxy serves the home, the state database passes integrity_check, and
# no command failed with "database is locked".
. "$(dirname "$0")/lib.sh"

for prog in git node haproxy; do
	command -v "$prog" >/dev/null 2>&1 ||
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
export PAVED_CHECK_SHAPES=1
cd "$work" || exit 99
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }

# the HAProxy processes serving this home (their config is under it)
haproxies() {
	local n=0 p
	for p in $(pgrep -x haproxy); do
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$PAVED_HOME/" && n=$((n + 1))
	done
	echo "$n"
}

# ---- 8 paveds at once on a home that does not exist yet, 30 times: each creates
# the state database or waits for the one that does (switching a new database to
# WAL answers "database is locked" at once, without SQLite's busy handler) -------------
for round in $(seq 1 30); do
	fresh="$tmp/fresh$round"
	for i in 1 2 3 4 5 6 7 8; do
		PAVED_HOME="$fresh" "$PAVED" hooks >/dev/null 2>>"$tmp/fresh.err" &
	done
	wait
	rm -rf "$fresh"
done
locked=$(grep -c . "$tmp/fresh.err")
[ "$locked" -eq 0 ] && pass "240 paveds, 8 at a time on fresh homes: none failed" ||
	fail "$locked of 240 failed: $(sort "$tmp/fresh.err" | uniq -c)"

# ---- 8 creates at once -------------------------------------------------------------------
pids=()
for i in 1 2 3 4 5 6 7 8; do
	db=none
	[ $((i % 2)) -eq 0 ] && db=postgres
	"$PAVED" create service "svc$i" --template node-api --database "$db" --dir "$work/svc$i" \
		>"$tmp/create$i.out" 2>"$tmp/create$i.err" &
	pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do
	wait "${pids[$((i - 1))]}"
	rc=$?
	[ "$rc" -eq 0 ] && pass "create svc$i" || { fail "create svc$i: exit $rc"; tail -5 "$tmp/create$i.err"; }
done
cat "$tmp"/create*.err | grep -qi "database is locked" && fail "a create hit 'database is locked'" ||
	pass "no create hit 'database is locked'"

# ---- 4 applies and 4 deploys at once -----------------------------------------------------
pids=()
for i in 2 4 6 8; do
	"$PAVED" apply "$work/svc$i" >"$tmp/apply$i.out" 2>"$tmp/apply$i.err" &
	pids+=($!)
done
for i in 1 3 5 7; do
	"$PAVED" deploy "svc$i" --env dev >"$tmp/deploy$i.out" 2>"$tmp/deploy$i.err" &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
[ "$failed" -eq 0 ] && pass "4 applies and 4 deploys at once succeed" ||
	{ fail "$failed of the applies and deploys failed"; tail -3 "$tmp"/apply*.err "$tmp"/deploy*.err; }
cat "$tmp"/apply*.err "$tmp"/deploy*.err | grep -qi "database is locked" &&
	fail "an apply or deploy hit 'database is locked'" || pass "no apply or deploy hit 'database is locked'"

# ---- every service answers, one HAProxy, a sound database ------------------------------
for i in 1 2 3 4 5 6 7 8; do
	url=$(sed -n 's/^Your service is live at: //p' "$tmp/create$i.out")
	[ -n "$url" ] && [ "$(code "$url/health")" = 200 ] && pass "svc$i answers 200 at $url" ||
		fail "svc$i: $(code "$url/health") at '$url'"
done
[ "$(haproxies)" -eq 1 ] && pass "exactly one HAProxy serves the home" || fail "$(haproxies) HAProxy processes"
run "$PAVED" --json status
expect_rc 0 "status of every service"
[ "$(json_eval 'j.filter(s => s.state === "running" || s.running).length' "$tmp/stdout")" -ge 8 ] &&
	pass "status says all 8 are running" || { fail "status"; show; }
integrity=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("pragma integrity_check").fetchone()[0])' \
	"$PAVED_HOME/paved.db" 2>&1)
[ "$integrity" = ok ] && pass "pragma integrity_check is ok" || fail "integrity_check: $integrity"

finish
