#!/bin/sh
# test_scaffolder.sh -- golden paths over HTTP (/api/scaffolder/v2): 400
# with every invalid parameter and nothing made, 201 and an event stream of
# one event per step closed by `completion`, the new service in the catalog
# API at once, a cancel that undoes the completed steps, 403 for another
# team, and a server that keeps answering while a task runs.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/portal/portal-lib.sh"
export PAVED_CHECK_SHAPES=1
command -v curl >/dev/null && command -v node >/dev/null && command -v git >/dev/null ||
	{ echo "SKIP: curl, node and git are needed"; exit 77; }
export PAVED_RECIPE_PATH="$top_srcdir/tests/recipes"
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com \
	GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
SSE="node $top_srcdir/plugins/portal/sse-client.mjs"
T="$top_srcdir/plugins/portal/testdata"
TASKS=/api/scaffolder/v2/tasks
# stop what the deploy started (replicas, HAProxy), then the server
trap '[ -d "$PAVED_HOME/runtime" ] && timeout 30 "$PAVED" stop --all >/dev/null 2>&1; portal_cleanup' EXIT

run "$PAVED" token create --team team-a
TA=$out
run "$PAVED" token create --team team-b
TB=$out
run "$PAVED" catalog import "$T/catalog.yaml"
serve_start
work="$PAVED_HOME/portal/services"

api POST $TASKS "" '{"templateRef":"template:default/node-api","values":{"name":"x"}}'
expect_code 401 "creating without a token"
api POST $TASKS "$TA" '{"templateRef":"template:default/node-api","values":{"name":"Bad_Name","port":70000,"bogus":1}}'
expect_code 400 "invalid parameters"
expect_jb 'j.errors.map(e => e.path).join()' name,port,bogus "every invalid parameter is listed"
expect_jb 'j.errors[1].message' "port: 70000 is above the maximum 65535" "with the recipe's message"
if [ ! -e "$work/Bad_Name" ] && [ ! -e "$PAVED_HOME/forge/Bad_Name.git" ]; then pass "nothing was made"; else fail "invalid parameters left something"; fi
api POST $TASKS "$TA" '{"templateRef":"template:default/no-such","values":{}}'
expect_code 400 "an unknown template"
expect_jb 'j.errors[0].path' templateRef "names templateRef"
api POST $TASKS "$TA" '{"templateRef":"template:default/node-api","values":{"name":"theirs","owner":"team-b"}}'
expect_code 403 "a team may not create a service for another team"
api POST $TASKS "$TA" '{"templateRef": 7'
expect_code 400 "malformed JSON"

api GET /api/scaffolder/v2/templates/default/template/node-api/parameter-schema "$TA"
expect_jb 'Object.keys(j.steps[0].schema.properties).slice(0, 3).join()' name,owner,database "parameter-schema from the recipe's declared params"

# ---- a run, step by step ---------------------------------------------------
api POST $TASKS "$TA" '{"templateRef":"template:default/node-api","values":{"name":"hello-svc","deploy":false}}'
expect_code 201 "POST /tasks"
id=$(jb 'j.id')
$SSE "$URL$TASKS/$id/eventstream" "$TA" > "$tmp/events"
steps=$(grep -c '"event":"log"' "$tmp/events")
if [ "$steps" -eq 7 ] && tail -2 "$tmp/events" | head -1 | grep -q '"event":"completion".*"status":"completed"' &&
   tail -1 "$tmp/events" | grep -qx END; then
	pass "one event per step (7), closed by a completion event"
else
	fail "event stream:"; cat "$tmp/events"
fi
if grep -q '"step":"Registered in catalog","detail":"owner team-a"' "$tmp/events"; then pass "step events carry the step and its detail"; else fail "step details"; fi
api GET /api/catalog/entities/by-name/component/default/hello-svc "$TA"
expect_code 200 "the new service is in the catalog API once the task completes"
expect_jb 'j.spec.owner' team-a "owned by the token's team"
api GET "$TASKS/$id" "$TA"
expect_jb 'j.status + " " + j.spec.templateRef' "completed node-api" "GET /tasks/:id"
api GET "$TASKS/$id/events?after=7" "$TA"
expect_jb 'j.map(e => e.type).join()' completion "GET /tasks/:id/events?after=N"
$SSE "$URL$TASKS/$id/eventstream" "$TA" > "$tmp/again"
if [ "$(wc -l < "$tmp/again")" -eq 9 ]; then pass "the stream of a finished task replays and closes"; else fail "replay:"; cat "$tmp/again"; fi
api POST "$TASKS/$id/cancel" "$TA"
expect_code 409 "a completed task cannot be cancelled"

# ---- deploy and observe over HTTP, as the CLI ------------------------------------
if command -v haproxy >/dev/null; then
	api POST /api/paved/services/hello-svc/deploy "$TB" '{"env":"dev"}'
	expect_code 403 "another team may not deploy hello-svc"
	api POST /api/paved/services/hello-svc/deploy "$TA" '{"env":"dev"}'
	expect_code 200 "the owning team deploys it"
	expect_jb 'j.outcome + " " + j.env' "success dev" "with the CLI's result"
	v=$(jb 'j.version')
	api GET "/api/paved/services/hello-svc/releases?env=dev" "$TA"
	expect_jb 'j.length + " " + j[0].live + " " + j[0].version' "1 true $v" "releases: the one live release"
	api GET "/api/paved/services/hello-svc/status?env=dev" "$TA"
	expect_jb 'JSON.stringify(j).includes("\"state\":\"running\"")' true "status: running"
	api POST /api/paved/services/hello-svc/deploy "$TA" '{"env":"dev"}'
	expect_jb 'j.outcome' noop "the same version again is a no-op, as on the CLI"
	api POST /api/paved/services/hello-svc/rollback "$TA" '{"env":"dev"}'
	expect_code 500 "a rollback with no earlier release fails"
	expect_jb 'j.error.message.length > 0' true "with the CLI's message"
	if grep -q '"action":"deploy.deploy".*"status":403' "$PAVED_HOME/portal/audit.jsonl" &&
	   grep -q '"action":"deploy.deploy".*"status":200.*"outcome":"success"' "$PAVED_HOME/portal/audit.jsonl"; then
		pass "deploys are audited with their outcome"
	else
		fail "deploy audit:"; grep deploy "$PAVED_HOME/portal/audit.jsonl"
	fi
else
	echo "SKIP: haproxy is missing: no deploy over HTTP"
	[ "${CI:-}" != true ] || fail "haproxy is missing under CI"
fi

# ---- cancel: the completed steps are undone ---------------------------------
api POST $TASKS "$TA" '{"templateRef":"template:default/test-slow","values":{"name":"slow-one","seconds":120}}'
expect_code 201 "a slow task starts"
slow=$(jb 'j.id')
api POST "$TASKS/$slow/cancel" "$TB"
expect_code 403 "another team may not cancel it"
start=$(date +%s%N)
api GET "/api/catalog/entities/by-query?filter=kind=component&limit=1" "$TA"
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$code" = 200 ] && [ "$ms" -lt 1000 ]; then pass "the server answers while a task runs (${ms} ms)"; else fail "during a task: $code in $ms ms"; fi
$SSE "$URL$TASKS/$slow/eventstream" "$TA" "$URL$TASKS/$slow/cancel" "$TA" > "$tmp/slow"
if grep -q '"cancel":200' "$tmp/slow" && grep -q '"status":"undone"' "$tmp/slow" &&
   grep -q '"event":"completion".*"status":"cancelled"' "$tmp/slow"; then
	pass "cancel stops the run and undoes the completed steps"
else
	fail "cancel:"; cat "$tmp/slow"
fi
if [ ! -e "$work/slow-one" ]; then pass "nothing of the cancelled run is left"; else fail "left: $(ls -R "$work/slow-one")"; fi
run "$PAVED" --json runs list
if json_eval 'j.filter(r => r.recipe === "test-slow")[0].status' "$tmp/stdout" | grep -qx failed; then
	pass "the run journal records it"
else
	fail "runs: $(cat "$tmp/stdout" | head -c 400)"
fi

audit="$PAVED_HOME/portal/audit.jsonl"
if grep -q '"action":"scaffolder.create".*"status":201' "$audit" &&
   grep -q '"action":"scaffolder.cancel".*"status":403' "$audit" &&
   grep -q '"action":"scaffolder.create".*"status":400' "$audit"; then
	pass "creations and cancels are audited"
else
	fail "audit:"; cat "$audit"
fi
# ---- SIGTERM while a task runs: streams end, the server stops, the run finishes
api POST $TASKS "$TA" '{"templateRef":"template:default/test-slow","values":{"name":"slow-two","seconds":3}}'
expect_code 201 "a short slow task starts"
two=$(jb 'j.id')
$SSE "$URL$TASKS/$two/eventstream" "$TA" > "$tmp/two" &
sse_pid=$!
deadline=$(($(date +%s) + 30))
until grep -q '"event":"log"' "$tmp/two" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.05; done
start=$(date +%s%N)
serve_stop
ms=$((($(date +%s%N) - start) / 1000000))
wait "$sse_pid"
if [ "$stop_rc" -eq 0 ] && tail -1 "$tmp/two" | grep -qx END; then
	pass "SIGTERM during a task: the stream ends and the server exits 0 (${ms} ms)"
else
	fail "SIGTERM during a task: exit $stop_rc"; cat "$tmp/two" "$tmp/serve.out"
fi
grep -q "child paved processes still running finish on their own" "$tmp/serve.out" &&
	pass "it says the child runs on" || fail "no word of the child: $(cat "$tmp/serve.out")"
deadline=$(($(date +%s) + 60))
until [ -f "$work/slow-two/two.txt" ] || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.1; done
[ -f "$work/slow-two/two.txt" ] && pass "the run finished on its own after the server stopped" ||
	fail "the orphaned run did not finish"
finish
