#!/bin/sh
# test_canary_guard_e2e.sh -- the deploy core's day-2 commands while a
# canary runs, as an Argo Rollouts user expects them (the canary's and the
# core's READMEs say why): real HAProxy, replicas of testdata/canary-app,
# the detached controller, under PAVED_CHECK_SHAPES=1.  Waits poll with
# deadlines.
#
#  1. restart and scale during a canary paused at `pause: {}`: refused
#     (exit 1) naming the step and the commands that end it, and nothing
#     changed (replicas, weights, records); the same after kill -9 of the
#     controller; --json; the printed hints `paved promote shop --env dev
#     --full` and `paved abort shop --env dev` are run
#  2. paved rollback during a canary: aborted at once (no request reaches
#     the canary after it), one line, the record says aborted, the canary
#     replicas and the controller are gone
#  3. paved rollback --to an earlier release during a canary whose
#     controller was killed (kill -9): aborted, then that release directly
#  4. paved rollback to a release deployed by canary (nothing in
#     progress): its steps are skipped; it takes seconds, not its 60 s
#     pause (the figure is printed)
#  5. paved deploy of a new version during a canary: the running one is
#     aborted ("superseded by version V"), the new one starts from step 1,
#     one controller; a --strategy rolling deploy during a canary too
#  6. paved stop, paved --json stop --all and paved delete service during
#     a canary (the last after kill -9 of the controller): no controller
#     process left, no replica process, the rollout state ended (stop) or
#     gone (delete)
#  7. paved delete service of a service whose canary ended: its rollout
#     state (rollout.json keeps the variables) is removed too
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/deploy/canary/canary-lib.sh"
deploy_need git node curl haproxy pgrep
deploy_env
loop=
trap 'loop_stop; deploy_cleanup' EXIT
P="$PAVED"
R="$PAVED_HOME/deploy/canary/dev/shop"

canary_service shop || { fail "the service shop could not be made"; finish; }
v1=$(git -C "$tmp/shop" rev-parse HEAD | cut -c1-12)

PAUSED="  steps:
    - setWeight: 25
    - pause: {}
    - setWeight: 100"
# ctl_pid: the pid of shop's controller, as rollout status reports it
ctl_pid() { "$P" --json rollout status shop | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
	console.log(JSON.parse(s).controller.pid))'; }
no_controller() { [ "$(controllers shop)" = 0 ]; }
# snapshot: what must not change when a command is refused
snapshot() {
	canary_replicas shop
	"$P" --json rollout status shop | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{
		const j=JSON.parse(s); console.log(j.phase, j.step, JSON.stringify(j.weights))})'
	"$P" --json releases shop --limit 50 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
		console.log(JSON.parse(s).map(r=>r.id+r.outcome).join(",")))'
}
# out_n: the last stdout, the switch time replaced by N
out_n() { sed 's/(switched in [0-9.]* ms)/(switched in N ms)/' "$tmp/stdout"; }
# no_canary_answers V: ten requests, none answered by version V
no_canary_answers() {
	got=""; for i in 1 2 3 4 5 6 7 8 9 10; do got="$got$(curl -s -m 2 "$url/" | grep -c "v=$1")"; done
	[ "$got" = 0000000000 ]
}
# paused_canary N: commit a version (variable V=N) with PAUSED, deploy it,
# wait until it waits; its version in $pv.  Not in $(...): a fail there
# would be lost with the subshell.
paused_canary() {
	pv=$(canary_version shop "ERROR_RATE: \"0\", V: \"$1\"" "$PAUSED") || fail "commit of version $1"
	"$P" deploy shop --dir "$tmp/shop" >/dev/null 2>&1 || fail "deploy of $pv"
	wait_for 30 status_is shop Paused || fail "$pv does not wait at its pause"
}

# ---- 1. restart and scale are refused; nothing changes ------------------------------------------
paused_canary 2; v2=$pv
[ "$(controllers shop)" = 1 ] && pass "one controller drives the canary of $v2" || fail "controllers: $(controllers shop)"
guard="shop (dev) has a canary rollout in progress: version $v2 at step 2/3: pause (until promoted) (Paused);"
ends="so nothing was changed. End the rollout first: 'paved promote shop --env dev --full' or 'paved abort shop --env dev'"
s0=$(snapshot)
run "$P" restart shop
expect_rc 1 "restart during a canary"
expect_err "$guard restart would change its replicas under it, $ends" "restart: the step and the commands that end it"
run "$P" scale shop 3
expect_rc 1 "scale during a canary"
expect_err "$guard scale would change its replicas under it, $ends" "scale: the same refusal"
run "$P" --json scale shop 3 --env dev
expect_rc 1 "scale --json during a canary"
[ "$(jget 'j.refused + " " + j.rollout.version + " " + j.rollout.phase + " " + j.rollout.strategy')" = "scale $v2 Paused canary" ] &&
	pass "--json: what was refused and the rollout" || fail "json: $(cat "$tmp/stdout")"
[ "$(snapshot)" = "$s0" ] && pass "nothing changed: replicas, weights, step, records" ||
	{ fail "the refusals changed something"; echo "$s0"; snapshot; }
pid=$(ctl_pid)
kill -9 "$pid" && wait_for 10 sh -c "! kill -0 $pid" && pass "kill -9 of the controller ($pid)" || fail "no controller to kill"
run "$P" restart shop --env dev
expect_rc 1 "restart after kill -9 of the controller"
expect_err "$guard restart would change its replicas under it, $ends" "still refused, with the same words"
[ "$(snapshot)" = "$s0" ] && pass "nothing changed after kill -9 and the refusal" || fail "changed after kill -9"
[ "$(controllers shop)" = 1 ] && pass "a new controller resumed the rollout" || fail "controllers: $(controllers shop)"
run "$P" promote shop --env dev --full
expect_rc 0 "the hint: paved promote shop --env dev --full"
wait_for 30 status_is shop Healthy && pass "promoted in full: Healthy" || fail "not Healthy"
run "$P" restart shop
expect_rc 0 "restart once the rollout ended"
paused_canary 3; v3=$pv
run "$P" scale shop 1
expect_rc 1 "scale during the next canary"
run "$P" abort shop --env dev
expect_rc 0 "the hint: paved abort shop --env dev"
wait_for 20 no_controller &&
	pass "the aborted rollout's controller ended" || fail "a controller still runs"

# ---- 2. rollback during a canary: aborted at once ----------------------------------------------------
paused_canary 31; v3=$pv
loop_start
wait_for 20 sh -c "grep -q ' 200' '$tmp/loop.log'" || fail "the request loop got no answer"
run "$P" rollback shop
tr=$(now_ms)
expect_rc 0 "paved rollback during a canary"
[ "$(out_n)" = "Rolled back shop (dev): the canary rollout of version $v3 was aborted at step 2/3: pause (until promoted) (Paused): all traffic on stable version $v2 (switched in N ms), its replicas removed and its controller stopped" ] &&
	pass "one line: aborted, the stable release serves, what is gone" || { fail "rollback's words"; show; }
wait_for 20 sh -c "[ \$(awk -v a=$tr '\$1 > a' '$tmp/loop.log' | wc -l) -ge 20 ]"
loop_stop
set -- $(loop_count "$tr" 99999999999999)
[ "$1" -ge 20 ] && [ "$2" = 0 ] && pass "$1 requests after the rollback, none failed" || fail "after the rollback: $1 requests, $2 failed"
no_canary_answers "$v3" && pass "no request reaches the canary" || fail "canary answers: $got"
[ "$(controllers shop)" = 0 ] && pass "no controller process left" || fail "controllers: $(controllers shop)"
[ "$(canary_replicas shop | tr ' ' '\n' | grep -c ":$v2:true")" = 2 ] && [ "$(canary_replicas shop | grep -c "$v3")" = 0 ] &&
	pass "2 replicas of $v2 serve; the canary replicas are removed" || fail "replicas: $(canary_replicas shop)"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].version + " " + j[0].outcome')" = "$v3 aborted" ] && pass "the canary's record: aborted" || fail "record: $(cat "$tmp/stdout")"
case "$(jget 'j[0].reason')" in
"rolled back ('paved rollback'): version $v3 aborted at step 2/3: pause (until promoted) (Paused); the stable release serves") pass "the record's reason" ;;
*) fail "reason: $(jget 'j[0].reason')" ;;
esac
run "$P" --json rollout status shop
[ "$(jget 'j.phase + " " + j.outcome + " " + j.controller.running')" = "Degraded aborted false" ] &&
	pass "rollout status: Degraded, aborted, no controller" || fail "status: $(jget 'j.phase + " " + j.outcome')"
run "$P" restart shop
expect_rc 0 "restart once the canary is aborted"
# --json of a rollback that aborts
paused_canary 32; v3=$pv
run "$P" --json rollback shop
expect_rc 0 "paved --json rollback during a canary"
[ "$(jget 'j.outcome + " " + j.version + " " + j.from_version + " " + j.aborted.version + " " + j.aborted.removed.canary')" = "aborted $v2 $v3 $v3 1" ] &&
	pass "--json: outcome aborted, the stable version, the canary removed" || fail "json: $(cat "$tmp/stdout")"

# ---- 3. rollback --to an earlier release during a canary, its controller killed -------------------
paused_canary 33; v3=$pv
run "$P" rollback shop --to nosuch
expect_rc 1 "rollback --to a version that does not exist"
expect_err "no successful release of shop (dev) is version 'nosuch'" "named"
wait_for 10 status_is shop Paused && pass "the refused rollback left the canary as it was" || fail "the canary changed"
pid=$(ctl_pid)
kill -9 "$pid" && wait_for 10 sh -c "! kill -0 $pid" || fail "no controller to kill"
t0=$(now_ms)
run "$P" rollback shop --to "$v1"
t1=$(now_ms)
expect_rc 0 "rollback --to $v1 during a canary whose controller was killed"
[ "$(out_n | head -1)" = "First, the canary rollout of version $v3 was aborted at step 2/3: pause (until promoted) (Paused): all traffic on stable version $v2 (switched in N ms), its replicas removed and its controller stopped" ] &&
	pass "first the abort" || { fail "the abort's words"; show; }
expect_out "Rolled back shop (dev) from $v2 to version $v1 (direct: the canary steps and analysis skipped, every replica at once, one switch (no rebuild), " "then the release, directly"
[ "$(wc -l < "$tmp/stdout")" = 2 ] && pass "two lines" || { fail "$(wc -l < "$tmp/stdout") lines"; show; }
[ "$(canary_replicas shop | tr ' ' '\n' | grep -c ":$v1:true")" = 2 ] && [ "$(canary_replicas shop | grep -c ":$v3:")" = 0 ] &&
	pass "2 replicas of $v1 serve, none of $v3 ($((t1 - t0)) ms)" || fail "replicas: $(canary_replicas shop)"
[ "$(controllers shop)" = 0 ] && pass "no controller process left" || fail "controllers: $(controllers shop)"

# ---- 4. rollback to a release deployed by canary: no steps -------------------------------------------
SLOW="  steps:
    - setWeight: 20
    - pause: {duration: 60s}
    - setWeight: 100"
# promoted_canary NAME N: commit a version of NAME (variable V=N) with SLOW,
# deploy it, promote it in full, wait until it is Healthy; its version in $pv
promoted_canary() {
	pv=$(canary_version "$1" "ERROR_RATE: \"0\", V: \"$2\"" "$SLOW") || fail "commit of $1 version $2"
	run "$P" deploy "$1" --dir "$tmp/$1"
	expect_rc 0 "deploy of $1 $pv (canary)"
	run "$P" promote "$1" --full
	expect_rc 0 "promote $1 $pv --full"
	wait_for 30 status_is "$1" Healthy || fail "$1 $pv not promoted"
}
promoted_canary shop 4; v4=$pv
promoted_canary shop 5; v5=$pv
t0=$(now_ms)
run "$P" rollback shop
t1=$(now_ms)
expect_rc 0 "rollback of $v5 to $v4, both deployed by canary"
expect_out "Rolled back shop (dev) from $v5 to version $v4 (direct: the canary steps and analysis skipped, every replica at once, one switch (no rebuild)" "direct, said"
echo "rollback of a canary release (steps: 20%, pause 60 s, 100%): $((t1 - t0)) ms"
[ $((t1 - t0)) -lt 10000 ] && pass "the rollback took $((t1 - t0)) ms, not the canary's 60 s pause" || fail "rollback took $((t1 - t0)) ms"
[ "$(canary_replicas shop | tr ' ' '\n' | grep -c ":$v4:true")" = 2 ] && pass "2 replicas of $v4 serve" || fail "replicas: $(canary_replicas shop)"
[ "$(controllers shop)" = 0 ] && pass "no controller: no canary ran" || fail "controllers: $(controllers shop)"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].version + " " + j[0].trigger + " " + j[0].strategy + " " + j[0].outcome + " " + j[0].live')" = "$v4 rollback bluegreen success true" ] &&
	pass "the record: rollback, bluegreen (no steps), live" || fail "record: $(cat "$tmp/stdout")"
run "$P" --json rollout status shop
[ "$(jget 'j.version + " " + j.phase')" = "$v5 Healthy" ] && pass "no new canary rollout was started" || fail "rollout: $(jget 'j.version + " " + j.phase')"
run "$P" rollback --help
expect_out "rollbackWindow" "rollback --help says why the steps are skipped"

# ---- 5. deploy during a canary: the new version supersedes it ---------------------------------------
paused_canary 6; v6=$pv
v7=$(canary_version shop 'ERROR_RATE: "0", V: "7"' "$PAUSED") || fail "commit of version 7"
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy of $v7 during the canary of $v6"
expect_out "Superseded the rollout of shop version $v6 in progress: aborted, its replicas removed" "the deploy says so"
expect_out "Rolling out shop version $v7 to dev (canary)" "and rolls the new version out"
wait_for 30 status_is shop Paused && pass "$v7 waits at its pause" || fail "$v7 not paused"
run "$P" --json rollout status shop
[ "$(jget 'j.version + " " + j.stable_version + " " + j.step')" = "$v7 $v4 1" ] &&
	pass "the new rollout started from step 1 over stable $v4" || fail "status: $(jget 'j.version + " " + j.stable_version + " " + j.step')"
[ "$(canary_replicas shop | grep -c ":$v6:")" = 0 ] && [ "$(canary_replicas shop | tr ' ' '\n' | grep -c ":$v7:true")" = 1 ] &&
	pass "the canary of $v6 is gone, one of $v7 runs" || fail "replicas: $(canary_replicas shop)"
[ "$(controllers shop)" = 1 ] && pass "one controller" || fail "controllers: $(controllers shop)"
run "$P" --json releases shop --limit 2
[ "$(jget 'j[1].version + " " + j[1].outcome + ": " + j[1].reason')" = "$v6 aborted: superseded by version $v7 ('paved deploy')" ] &&
	pass "the superseded record: aborted" || fail "records: $(cat "$tmp/stdout")"
run "$P" deploy shop --dir "$tmp/shop" --strategy rolling
expect_rc 0 "a rolling deploy of $v7 during its canary"
expect_out "Superseded the rollout of shop version $v7 in progress" "supersedes it too"
wait_for 20 no_controller &&
	pass "no controller left after the rolling deploy" || fail "controllers: $(controllers shop)"
[ "$(canary_replicas shop | tr ' ' '\n' | grep -c ":$v7:true")" = 2 ] && [ "$(canary_replicas shop | wc -w)" = 2 ] &&
	pass "2 replicas of $v7 (rolling)" || fail "replicas: $(canary_replicas shop)"

# ---- 6. stop and delete during a canary --------------------------------------------------------------
# replica_procs: how many canary-app processes of this PAVED_HOME run
replica_procs() {
	_n=0
	for p in $(pgrep -f -- "$APP"); do
		case "$(readlink "/proc/$p/cwd" 2>/dev/null)" in "$PAVED_HOME"/*) _n=$((_n + 1)) ;; esac
	done
	echo "$_n"
}
paused_canary 8; v8=$pv
[ "$(replica_procs)" = 3 ] && pass "3 replica processes: 2 stable, 1 canary" || fail "replica processes: $(replica_procs)"
run "$P" stop shop
expect_rc 0 "paved stop during a canary"
[ "$(out_n)" = "shop (dev): the canary rollout of version $v8 was aborted at step 2/3: pause (until promoted) (Paused): all traffic on stable version $v7 (switched in N ms), its replicas removed and its controller stopped
Stopped shop (dev)
3 processes stopped" ] && pass "stop says the rollout was aborted, then stops" || { fail "stop's words"; show; }
[ "$(controllers shop)" = 0 ] && pass "stop: no controller process left" || fail "controllers: $(controllers shop)"
[ "$(replica_procs)" = 0 ] && pass "stop: no replica process left" || fail "replica processes: $(replica_procs)"
run "$P" --json rollout status shop
[ "$(jget 'j.outcome + " " + j.reason + " " + j.controller.running')" = "aborted stopped ('paved stop') false" ] &&
	pass "stop: the rollout ended aborted" || fail "status: $(cat "$tmp/stdout")"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].version + " " + j[0].outcome')" = "$v8 aborted" ] && pass "stop: the canary's record says aborted" || fail "record: $(cat "$tmp/stdout")"
run "$P" deploy shop
expect_rc 0 "deploy after the stop"
# stop --all: every service's rollout ends first
paused_canary 9; v9=$pv
run "$P" --json stop --all
expect_rc 0 "paved --json stop --all during a canary"
[ "$(jget 'j.aborted.map(a => a.service + " " + a.env + " " + a.version + " " + a.reason).join(",")')" = "shop dev $v9 stopped ('paved stop --all')" ] &&
	pass "stop --all --json: the rollout it aborted" || fail "json: $(cat "$tmp/stdout")"
[ "$(controllers shop)" = 0 ] && [ "$(replica_procs)" = 0 ] && pass "stop --all: no controller, no replica left" ||
	fail "stop --all left $(controllers shop) controllers, $(replica_procs) replicas"
run "$P" deploy shop
expect_rc 0 "deploy after stop --all"
paused_canary 10; v10=$pv
pid=$(ctl_pid)
kill -9 "$pid" && wait_for 10 sh -c "! kill -0 $pid" || fail "no controller to kill"
[ "$(replica_procs)" -gt 0 ] && pass "replicas of shop run before the delete" || fail "no replica of shop runs"
[ -e "$R/rollout.json" ] && pass "the rollout state is there before the delete" || fail "no rollout state in $R"
run "$P" delete service shop
expect_rc 0 "paved delete service during a canary whose controller was killed"
expect_out " - rollout in progress: version $v10 aborted, all traffic on stable, its replicas and controller gone (dev)" "delete says so"
[ "$(controllers shop)" = 0 ] && pass "delete: no controller process left" || fail "controllers: $(controllers shop)"
[ ! -e "$R" ] && pass "delete: the rollout state is gone" || fail "left: $(ls "$R")"
[ "$(replica_procs)" = 0 ] && pass "no replica of shop left" || fail "$(replica_procs) replicas of shop still run"

# ---- 7. delete of a service whose canary ended: its state goes too ---------------------------------
C="$PAVED_HOME/deploy/canary/dev/cart"
canary_service cart || fail "the service cart could not be made"
promoted_canary cart 1
no_controller_of() { [ "$(controllers "$1")" = 0 ]; }
wait_for 20 no_controller_of cart && pass "cart's rollout ended, its controller with it" || fail "cart: controllers $(controllers cart)"
[ -e "$C/rollout.json" ] && pass "the ended rollout's state is there before the delete" || fail "no state in $C"
run "$P" delete service cart
expect_rc 0 "paved delete service cart (its canary ended)"
grep -q "rollout in progress" "$tmp/stdout" && fail "delete reported a rollout in progress" || pass "no rollout in progress reported"
[ ! -e "$C" ] && pass "delete: the ended rollout's state is gone" || fail "left: $(ls "$C")"
[ "$(replica_procs)" = 0 ] && pass "no replica of cart left" || fail "$(replica_procs) replicas still run"
finish
