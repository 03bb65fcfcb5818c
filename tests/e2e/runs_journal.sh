#!/bin/bash
# End to end: golden-path runs survive their paved process being stopped.
#   - SIGINT or SIGTERM during a run undoes the completed steps at once;
#   - after kill -9, the next paved command reports the run interrupted, and
#     `paved runs undo ID` removes what it made, or `paved runs resume ID`
#     finishes it; either leaves nothing half-made;
#   - a rerun with the same name works afterwards.
# The recipe is tests/recipes/test-slow: step 2 waits for `sleep 307` (a duration no
# other test uses, so that pgrep and pkill here touch only this test's programs).
. "$(dirname "$0")/lib.sh"
export PAVED_RECIPE_PATH="$top_srcdir/tests/recipes"
work="$tmp/work"
mkdir -p "$work"
cd "$work" || exit 99

# status_of ID: the status of run ID.
status_of() {
	"$PAVED" --json runs show "$1" 2>/dev/null >"$tmp/run.json" && json_eval 'j.status' "$tmp/run.json"
}

# step_status ID SEQ: the status of step SEQ of run ID.
step_status() {
	"$PAVED" --json runs show "$1" 2>/dev/null >"$tmp/run.json" &&
		json_eval "(j.steps.find(s => s.seq === $2) || {}).status" "$tmp/run.json"
}

# step_running ID SEQ / run_is ID STATUS: conditions for wait_for.
step_running() { [ "$(step_status "$1" "$2" 2>/dev/null)" = running ]; }
run_is() { [ "$(status_of "$1")" = "$2" ]; }

# wait_for CMD...: poll until CMD succeeds, at most 20 s.
wait_for() {
	local i
	for i in $(seq 1 400); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# start NAME: `paved new test-slow` in the background; sets $pid and waits
# until step 2 ("Waited") is running.  Prints the run id.
start() {
	"$PAVED" -q new test-slow --name "$1" --seconds 307 --dir "$work/$1" >"$tmp/$1.out" 2>"$tmp/$1.err" &
	pid=$!
	wait_for step_running "$2" 2 ||
		{ fail "$1: step 2 never started"; cat "$tmp/$1.err"; }
}

# nothing_left NAME: no working copy, and no process of the run.
nothing_left() {
	[ ! -e "$work/$1" ] && pass "$1: nothing left behind" || fail "$1: $work/$1 is left"
}

# ---- 1. SIGINT undoes at once ------------------------------------------------
start sigint 1
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 1 ] && pass "SIGINT: paved exits 1" || fail "SIGINT: exit $rc, want 1"
grep -qF "interrupted by a signal during step 'Waited'; the completed steps were undone" "$tmp/sigint.err" &&
	pass "SIGINT: paved says it undid the steps" || { fail "SIGINT message"; cat "$tmp/sigint.err"; }
[ "$(status_of 1)" = failed ] && pass "SIGINT: the run is failed" || fail "SIGINT: status $(status_of 1)"
[ "$(step_status 1 1)" = undone ] && pass "SIGINT: step 1 undone" || fail "SIGINT: step 1 $(step_status 1 1)"
nothing_left sigint
# the program step 2 waited for was stopped too (SIGTERM to its group)
pgrep -f "sleep 307" >/dev/null && fail "SIGINT: the sleep of step 2 still runs" ||
	pass "SIGINT: the step's program was stopped"

# ---- 2. SIGTERM, the same ------------------------------------------------------
start sigterm 2
kill -TERM "$pid"
wait "$pid"
[ "$(status_of 2)" = failed ] && pass "SIGTERM: the run is failed" || fail "SIGTERM: status $(status_of 2)"
nothing_left sigterm

# ---- 3. kill -9, then undo ------------------------------------------------------
start killed 3
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pkill -f "sleep 307" 2>/dev/null   # the orphaned program of step 2 (its own group)
[ -e "$work/killed/one.txt" ] && pass "kill -9: step 1's file is there" || fail "kill -9: no one.txt"
[ -e "$work/killed/waiting" ] && pass "kill -9: step 2's marker is there (its undo must remove it)" ||
	fail "kill -9: no marker"
run "$PAVED" runs
expect_rc 0 "paved runs after the kill"
expect_err "paved: run #3 (test-slow for killed) was interrupted: its paved process" \
	"the next command reports the dead run"
expect_err "'paved runs undo 3' removes what it made; 'paved runs resume 3' finishes it" \
	"and says what to do"
[ "$(status_of 3)" = interrupted ] && pass "the run is marked interrupted" ||
	fail "status $(status_of 3), want interrupted"
run "$PAVED" runs
[ -z "$err" ] && pass "the notice is given once" || { fail "the notice is repeated"; show; }
run "$PAVED" runs resume 1
expect_rc 1 "resume of a failed run"
expect_err "run 1 is failed; only an interrupted run can be resumed" "resume names the status"
run "$PAVED" runs undo 3
expect_rc 0 "paved runs undo 3"
expect_out "Undoing run 3 (test-slow)" "undo says what it does"
[ "$(status_of 3)" = undone ] && pass "the run is undone" || fail "status $(status_of 3)"
nothing_left killed
run "$PAVED" runs undo 3
expect_rc 1 "a second undo"
expect_err "run 3 is undone; only an interrupted run can be undone" "the second undo is refused"
run "$PAVED" runs undo 99
expect_rc 1 "undo of an unknown run"
expect_err "no run 99" "the unknown run is named"
run "$PAVED" runs undo abc
expect_rc 2 "undo of a bad id"

# ---- 4. kill -9, then resume ------------------------------------------------------
"$PAVED" -q new test-slow --name resumed --seconds 307 --dir "$work/resumed" >/dev/null 2>&1 &
pid=$!
wait_for step_running 4 2 || fail "resume: step 2 never started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pkill -f "sleep 307" 2>/dev/null
"$PAVED" runs >/dev/null 2>&1    # the next command marks it interrupted
# resume reruns step 2 (30 s as recorded); meanwhile the run is claimed
"$PAVED" runs resume 4 >"$tmp/resume.out" 2>"$tmp/resume.err" &
rpid=$!
wait_for run_is 4 resuming && wait_for step_running 4 2 || fail "resume: step 2 not rerun"
[ "$(status_of 4)" = resuming ] && pass "the resumed run is claimed" || fail "status $(status_of 4)"
run "$PAVED" runs undo 4
expect_rc 1 "undo while another paved resumes it"
expect_err "run 4 is resuming; only an interrupted run can be undone" "the claim holds"
pkill -f "sleep 307" 2>/dev/null   # step 2's program dies: the step fails, resume undoes all
wait "$rpid"
[ "$(status_of 4)" = failed ] && pass "a resume whose step fails leaves the run failed" ||
	fail "status $(status_of 4)"
nothing_left resumed

"$PAVED" -q new test-slow --name finished --seconds 3 --dir "$work/finished" >/dev/null 2>&1 &
pid=$!
wait_for step_running 5 2 || fail "resume 2: step 2 never started"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
"$PAVED" runs >/dev/null 2>&1
run "$PAVED" runs resume 5
expect_rc 0 "paved runs resume 5"
[ "$(status_of 5)" = succeeded ] && pass "the resumed run succeeded" || fail "status $(status_of 5)"
[ -e "$work/finished/one.txt" ] && [ -e "$work/finished/two.txt" ] &&
	pass "every step's work is there" || fail "resume left files missing"
[ "$(step_status 5 3)" = done ] && pass "step 3 ran with step 2's ctx" || fail "step 3 $(step_status 5 3)"

# ---- 5. a rerun of an undone name works -------------------------------------------
run "$PAVED" -q new test-slow --name killed --seconds 0 --dir "$work/killed"
expect_rc 0 "a rerun after undo"
[ -e "$work/killed/two.txt" ] && pass "the rerun made everything" || fail "the rerun is incomplete"

finish
