#!/bin/sh
# test_canary_e2e.sh -- the strategy "canary" for real: replicas of
# testdata/canary-app behind HAProxy (the runtime driver process), the
# analysis providers haproxy and job, conditions in the Lua sandbox, the
# detached controller, under PAVED_CHECK_SHAPES=1.  Every wait polls a
# condition with a deadline.
#
#  1. bad input is refused before anything is deployed, the field named
#     (and its line): an unknown provider, a duplicate metric name, a
#     weight over 100 or below 0, steps that never reach 100
#  2. a good version is promoted through every step (the short form, as
#     the seed article writes it, with the error rate measured by haproxy);
#     the deploy's hint `paved rollout status ... --watch` follows it
#  3. a version answering 5% errors is rolled back automatically; the
#     failed requests of a request loop running throughout stay within the
#     canary's share of the traffic over the analysis
#  4. failureLimit 3 with 0.90, 0.91, 0.99, 0.89, 0.88 against >= 0.95
#     (a job provider reading the values) fails on the fourth failure
#  5. inconclusive pauses the rollout; paved promote continues it
#  6. a pause until promoted; paved abort (traffic to stable at once),
#     paved retry, kill -9 of the controller (the next command resumes),
#     paved promote --full
#  7. a metrics backend that does not answer (a socket that never
#     replies): each measurement times out, the errors pass
#     consecutiveErrorLimit, the rollout is rolled back; never a hang
#  8. --help of every command changes nothing, unknown options exit 2,
#     --json is JSON
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
. "$top_srcdir/plugins/deploy/canary/canary-lib.sh"
deploy_need git node curl haproxy
deploy_env
loop=
bh=
trap 'loop_stop; [ -n "$bh" ] && kill "$bh" 2>/dev/null; deploy_cleanup' EXIT
P="$PAVED"

canary_service shop || { fail "the service shop could not be made"; finish; }
[ -n "$url" ] && pass "shop v1 runs behind HAProxy at $url" || fail "no URL"
v1=$(git -C "$tmp/shop" rev-parse HEAD | cut -c1-12)

# replicas: the ids and versions of shop's replicas, sorted
replicas() { canary_replicas shop; }

# ---- 1. bad input: refused before anything is deployed ----------------------------------------
before=$(replicas)
refuse() {   # refuse DESCRIPTION EXPECTED-MESSAGE YAML
	canary_version shop 'ERROR_RATE: "0"' "$3" >/dev/null
	run "$P" deploy shop --dir "$tmp/shop"
	expect_rc 1 "$1: refused"
	expect_err "$2" "$1: the field is named"
	[ "$(replicas)" = "$before" ] && pass "$1: nothing deployed" || fail "$1: replicas changed: $(replicas)"
	[ ! -f "$PAVED_HOME/deploy/canary/dev/shop/rollout.json" ] && pass "$1: no rollout began" ||
		fail "$1: a rollout state was written"
}
refuse "an unknown provider" \
	"failed: platform.yaml:12:17: deploy.analysis.metrics[0].provider: no analysis provider 'datadog' is installed (installed: " \
"  steps: [{setWeight: 10}, {analysis: {metrics: [rate]}}, {setWeight: 100}]
  analysis:
    metrics:
    - name: rate
      provider: datadog
      query: x"
refuse "a duplicate metric name" \
	"deploy.analysis.metrics[1].name: duplicate metric name 'rate' (deploy.analysis.metrics[0] has it too)" \
"  steps: [{setWeight: 10}, {setWeight: 100}]
  analysis:
    metrics: [{name: rate, query: error_rate}, {name: rate, query: requests}]"
refuse "a weight over 100" \
	"failed: platform.yaml:10:16: deploy.steps[1].setWeight: 150 is not a weight from 0 to 100 (%)" \
"  steps:
  - setWeight: 10
  - setWeight: 150"
refuse "a weight below 0" "deploy.steps[0].deploy: \"-5%\" is not a weight from 0 to 100 (%)" \
"  steps:
  - deploy: -5%
  - deploy: 100%"
refuse "steps that do not reach 100" \
	"deploy.steps: the weights must reach 100%: the last weight set is 50% (end with setWeight: 100 or deploy: 100%)" \
"  steps:
  - deploy: 5%
    duration: 10m
  - deploy: 50%"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].outcome + " " + j[0].strategy')" = "failed canary" ] &&
	pass "the refused deploy is recorded as failed" || fail "record: $(cat "$tmp/stdout")"
[ "$(find "$PAVED_HOME/deploy/releases/shop/dev" -mindepth 1 -maxdepth 1 | wc -l)" = 1 ] &&
	pass "no release directory left by the refusals" || fail "release directories left"

# ---- 2. a good version through every step (the seed article's short form) --------------------------
v2=$(canary_version shop 'ERROR_RATE: "0", LATENCY_MS: "2"' "  steps:
    - deploy: 5%
      duration: 3s
      metrics:
        - error_rate_less_than: 1%
    - deploy: 50%
      duration: 1s
    - deploy: 100%
  rollback:
    auto: true
    on:
      - error_rate_greater_than: 2%
  analysis: {measurements: 3, interval: 1s}")
loop_start
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy of a good version with a canary"
expect_out "Rolling out shop version $v2 to dev (canary)" "the deploy says the rollout goes on"
expect_out "Follow it: paved rollout status shop --env dev --watch" "and how to follow it"
run timeout 60 "$P" rollout status shop --env dev --watch
loop_stop
expect_rc 0 "the hint: paved rollout status shop --env dev --watch, until it ends"
expect_out "shop (dev): version $v2 over stable $v1: Healthy" "it ended Healthy"
run "$P" --json rollout status shop
h=$(jget 'j.history.map(h => h.step).join("\n")')
for s in "step 1/5: setWeight 5%" "analysis step-1 Successful" "step 3/5: setWeight 50%" \
         "step 4/5: paused 1 s" "step 5/5: setWeight 100%" "promoted: 2 replicas of version $v2"; do
	echo "$h" | grep -qF "$s" && pass "history: $s" || { fail "history lacks '$s'"; echo "$h"; }
done
[ "$(jget 'j.analysis.find(a => a.name === "step-1").metrics[0].count')" = 3 ] &&
	pass "3 measurements of error_rate (haproxy)" ||
	fail "analysis: $(jget 'JSON.stringify(j.analysis)')"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].outcome + " " + j[0].live + " " + j[0].version')" = "success true $v2" ] &&
	pass "the record: success, live" || fail "record: $(cat "$tmp/stdout")"
[ "$(replicas | tr ' ' '\n' | grep -c ":$v2:true")" = 2 ] && [ "$(replicas | wc -w)" = 2 ] &&
	pass "2 replicas of $v2 in traffic, the stable ones removed" || fail "replicas: $(replicas)"
n=$(awk '$2 != 200' "$tmp/loop.log" | wc -l)
[ "$n" = 0 ] && pass "no failed request during the good rollout ($(wc -l < "$tmp/loop.log") requests)" ||
	fail "$n failed requests during the good rollout"
grep -q '^paved_analysis_metric_phase{service="shop",env="dev",version="'"$v2"'",run="step-1",metric="error_rate",phase="Successful"} 1' \
	"$PAVED_HOME/deploy/canary/dev/shop/analysis.prom" && pass "the analysis is exported as metrics" ||
	fail "analysis.prom: $(cat "$PAVED_HOME/deploy/canary/dev/shop/analysis.prom")"
run "$P" --json events --tail 500
grep -q '"analysis.measured"' "$tmp/stdout" && pass "measurements are events" || fail "no analysis.measured event"

# ---- 3. 5% errors: rolled back automatically ------------------------------------------------------
v3=$(canary_version shop 'ERROR_RATE: "0.05", LATENCY_MS: "2"' "  steps:
    - deploy: 20%
      duration: 8s
      metrics:
        - error_rate_less_than: 1%
    - deploy: 100%
  analysis: {measurements: 4}")
loop_start
t0=$(now_ms)
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy of a version with 5% errors starts"
wait_for 30 status_is shop Degraded && pass "rolled back automatically" || fail "not rolled back"
t1=$(now_ms)
wait_for 10 sh -c "[ \$(wc -l < '$tmp/loop.log') -gt \$(( $(wc -l < "$tmp/loop.log") + 20 )) ]"
loop_stop
run "$P" --json rollout status shop
[ "$(jget 'j.outcome')" = rolled_back ] && pass "outcome rolled_back" || fail "outcome: $(jget 'j.outcome')"
reason=$(jget 'j.reason')
case "$reason" in
*"error_rate 0."*"(wants result < 0.01), failed (1) > failureLimit (0)"*) pass "reason: $reason" ;;
*) fail "reason: $reason" ;;
esac
set -- $(loop_count "$t0" "$t1")
echo "requests during the analysis: $1, failed: $2"
# the canary had 20% of the traffic and fails 5% of it: at most 20% of the
# requests may fail (its share), and in fact about 1%
[ "$2" -le $(( $1 * 20 / 100 )) ] && pass "failed requests ($2 of $1) within the canary's share (20%)" ||
	fail "failed requests ($2 of $1) exceed the canary's share"
set -- $(loop_count "$t1" 99999999999999)
[ "$2" = 0 ] && pass "no failed request after the rollback ($1 requests)" || fail "$2 failed after the rollback"
[ "$(replicas | tr ' ' '\n' | grep -c ":$v2:true")" = 2 ] && [ "$(replicas | grep -c "$v3")" = 0 ] &&
	pass "the stable version serves, the canary is gone" || fail "replicas: $(replicas)"
run "$P" --json releases shop --limit 2
[ "$(jget 'j[0].outcome + " " + j[1].live')" = "rolled_back true" ] &&
	pass "the record: rolled_back; $v2 still live" || fail "records: $(cat "$tmp/stdout")"
[ "$(jget 'j[0].reason')" = "$reason" ] && pass "the record carries the reason" || fail "record reason: $(jget 'j[0].reason')"

# ---- 4. failureLimit 3 over 0.90 0.91 0.99 0.89 0.88 ----------------------------------------------
printf '0.90\n0.91\n0.99\n0.89\n0.88\n0.99\n0.99\n' > "$tmp/values"
v4=$(canary_version shop 'ERROR_RATE: "0"' "  steps:
    - setWeight: 10
    - analysis: {metrics: [success-rate]}
    - setWeight: 100
  analysis:
    metrics:
      - name: success-rate
        provider: job
        command: [sh, -c, 'head -n 1 $tmp/values; sed -i 1d $tmp/values']
        interval: 0.2s
        count: 7
        successCondition: tonumber(result.output) >= 0.95
        failureLimit: 3")
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy with the failureLimit 3 metric"
wait_for 30 status_is shop Degraded && pass "rolled back" || fail "not rolled back"
run "$P" --json rollout status shop
[ "$(jget 'j.analysis[0].metrics[0].count + " " + j.analysis[0].metrics[0].failed')" = "5 4" ] &&
	pass "failed on the fourth failure, the fifth measurement" ||
	fail "measurements: $(jget 'JSON.stringify(j.analysis[0].metrics[0])')"
case "$(jget 'j.reason')" in
*'success-rate {"ok":true,"status":0,"timed_out":false,"output":"0.88"} (wants tonumber(result.output) >= 0.95), failed (4) > failureLimit (3)'*)
	pass "reason names the value and the limit" ;;
*) fail "reason: $(jget 'j.reason')" ;;
esac

# ---- 5. inconclusive pauses; promote continues ------------------------------------------------------
v5=$(canary_version shop 'ERROR_RATE: "0"' "  steps:
    - setWeight: 10
    - analysis: {metrics: [middling]}
    - setWeight: 100
  analysis:
    metrics:
      - name: middling
        provider: job
        command: [echo, '0.5']
        successCondition: tonumber(result.output) < 0.1
        failureCondition: tonumber(result.output) > 0.9")
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy with an inconclusive metric"
wait_for 30 status_is shop Paused && pass "inconclusive pauses the rollout" || fail "not paused"
run "$P" rollout status shop
expect_out "Paused:     analysis step-2 Inconclusive: middling" "status says why it waits"
run "$P" promote shop
expect_rc 0 "paved promote"
expect_out "shop: promoted: past the current step" "promote says what it did"
wait_for 30 status_is shop Healthy && pass "promote continues it to the end" || fail "not Healthy after promote"
[ "$(replicas | tr ' ' '\n' | grep -c ":$v5:true")" = 2 ] && pass "v5 serves" || fail "replicas: $(replicas)"

# ---- 6. pause until promoted: abort, retry, kill -9, promote --full -----------------------------------
v6=$(canary_version shop 'ERROR_RATE: "0", V: "6"' "  steps:
    - setWeight: 25
    - pause: {}
    - setWeight: 60
    - pause: {duration: 2s}
    - setWeight: 100")
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy with an indefinite pause"
wait_for 30 status_is shop Paused && pass "it waits at the pause" || fail "not paused"
loop_start
wait_for 20 sh -c "grep -q ' 200' '$tmp/loop.log'"
run "$P" abort shop
ta=$(now_ms)
expect_rc 0 "paved abort"
expect_out "Aborted the rollout of shop version $v6 in dev: all traffic on stable version $v5" "abort says so"
expect_out "Start it again: paved retry shop --env dev" "and prints the hint"
wait_for 20 sh -c "[ \$(awk -v a=$ta '\$1 > a' '$tmp/loop.log' | wc -l) -ge 20 ]"
loop_stop
# every answer after the abort comes from the stable version
n_after=$(awk -v a="$ta" '$1 > a' "$tmp/loop.log" | wc -l)
[ "$n_after" -ge 20 ] && pass "$n_after requests after the abort" || fail "the loop stalled"
got=""; for i in 1 2 3 4 5 6 7 8 9 10; do got="$got$(curl -s -m 2 "$url/" | grep -c "v=$v6")"; done
[ "$got" = 0000000000 ] && pass "no request reaches the canary after the abort" || fail "canary answers: $got"
wait_for 20 sh -c "! '$P' --json rollout status shop | grep -q '\"running\": true'" &&
	pass "the controller ended" || fail "the controller still runs"
[ "$(replicas | grep -c "$v6")" = 0 ] && pass "the canary replicas are removed" || fail "replicas: $(replicas)"
run "$P" --json releases shop --limit 1
[ "$(jget 'j[0].outcome + " " + j[0].reason')" = "aborted aborted by hand ('paved abort')" ] &&
	pass "the record: aborted" || fail "record: $(cat "$tmp/stdout")"
run "$P" retry shop --env dev
expect_rc 0 "the hint: paved retry shop --env dev"
expect_out "Retrying the rollout of shop version $v6 in dev from its first step" "retry says so"
wait_for 30 status_is shop Paused && pass "the retried rollout waits at its pause again" || fail "retry did not run"
pid=$("$P" --json rollout status shop | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).controller.pid))')
[ "$pid" -gt 0 ] 2>/dev/null && kill -9 "$pid" && pass "kill -9 of the controller ($pid)" || fail "no controller pid"
wait_for 10 sh -c "! kill -0 $pid 2>/dev/null"
run "$P" rollout status shop
expect_out "restarted now: the last one had died" "the next command starts a new controller"
run "$P" --json rollout status shop
[ "$(jget 'j.controller.running')" = true ] && [ "$(jget 'j.controller.pid')" != "$pid" ] &&
	pass "a new controller runs" || fail "controller: $(jget 'JSON.stringify(j.controller)')"
run "$P" promote shop --full
expect_rc 0 "paved promote --full"
wait_for 30 status_is shop Healthy && pass "promote --full: straight to 100%" || fail "not Healthy"
run "$P" --json rollout status shop
jget 'j.history.map(h => h.step).join("\n")' | grep -q "setWeight 60%" &&
	fail "promote --full still went through setWeight 60%" || pass "the remaining steps were skipped"
[ "$(replicas | tr ' ' '\n' | grep -c ":$v6:true")" = 2 ] && pass "v6 serves" || fail "replicas: $(replicas)"

# ---- 7. a metrics backend that does not answer ----------------------------------------------------------
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1])); time.sleep(600)' "$tmp/bh.port" &
bh=$!
wait_for 10 test -s "$tmp/bh.port" || fail "the silent server did not start"
v7=$(canary_version shop 'ERROR_RATE: "0", V: "7"' "  steps:
    - setWeight: 10
    - analysis: {metrics: [p99]}
    - setWeight: 100
  analysis:
    metrics:
      - name: p99
        provider: prometheus
        address: http://127.0.0.1:$(cat "$tmp/bh.port")
        query: histogram_quantile(0.99, rate(x[1m]))
        timeout: 1s
        interval: 0.5s
        count: 5
        successCondition: result < 0.2
        consecutiveErrorLimit: 2")
t0=$(now_ms)
run "$P" deploy shop --dir "$tmp/shop"
expect_rc 0 "deploy with a metrics backend that never answers"
t1=$(now_ms)
run timeout 5 "$P" rollout status shop
expect_rc 0 "rollout status answers while a measurement waits"
wait_for 30 status_is shop Degraded && pass "rolled back after the errors" || fail "not rolled back"
echo "from the deploy to the rollback: $(( $(now_ms) - t0 )) ms"
run "$P" --json rollout status shop
case "$(jget 'j.reason')" in
*"p99: http://127.0.0.1:"*"timed out after 1 s, consecutive errors (3) > consecutiveErrorLimit (2)"*)
	pass "reason: the timeouts and the limit" ;;
*) fail "reason: $(jget 'j.reason')" ;;
esac
[ "$(jget 'j.analysis[0].metrics[0].count + " " + j.analysis[0].metrics[0].error')" = "0 3" ] &&
	pass "errors do not count as measurements (count 0, 3 errors)" ||
	fail "metric: $(jget 'JSON.stringify(j.analysis[0].metrics[0])')"
[ "$(replicas | tr ' ' '\n' | grep -c ":$v6:true")" = 2 ] && [ "$(replicas | grep -c "$v7")" = 0 ] &&
	pass "v6 serves, the canary is gone" || fail "replicas: $(replicas)"
kill "$bh" 2>/dev/null; bh=

# ---- 8. --help, strict options, --json -------------------------------------------------------------
snap() { find "$PAVED_HOME/deploy" -type f | sort | xargs cat 2>/dev/null | cksum; }
s0=$(snap)
for c in "rollout status shop" "promote shop" "abort shop" "retry shop" "rollout"; do
	run "$P" $c --help
	expect_rc 0 "paved $c --help"
	expect_out "Usage: paved" "paved $c --help prints the usage"
done
[ "$(snap)" = "$s0" ] && pass "--help changed nothing" || fail "--help changed the state"
run "$P" promote shop --ful
expect_rc 2 "an unknown option"
expect_err "unknown option '--ful' (did you mean '--full'?)" "the closest option is named"
run "$P" rollout stats shop
expect_rc 2 "an unknown subcommand"
run "$P" abort 'Shop!'
expect_rc 2 "a bad service name"
run "$P" abort shop
expect_rc 1 "abort with no rollout in progress"
expect_err "the rollout of shop version $v7 in dev is not in progress: it ended Degraded" "abort says why not"
run "$P" --json rollout status shop
expect_json "rollout status --json"
run "$P" rollout status nosuch
expect_rc 1 "status of a service without a rollout"
expect_err "nosuch has no canary rollout in dev" "says so"
finish
