#!/bin/sh
# test_deploy_e2e.sh -- day 2 for real: the node-api golden path's service
# running as processes behind HAProxy (the runtime plugin), deployed from
# its forge repository, every call checked against sdk/hooks.json.
#
#  1. the developer loop: create the service, clone it from the forge, add
#     /ping, commit, push; /ping answers and `paved releases` shows the push
#  2. `paved deploy --version` of the older commit (/ping is gone again)
#  3. rollback, restart, scale 3 (a scrape target per replica, on its own
#     port), stop then status (stopped, no URL)
#  4. rollback with a runtime call that fails: a failure naming what is in
#     traffic, never "the previous version keeps serving" unless it does
#  5. the next steps `paved create` prints work: `paved deploy NAME --env
#     production`, and after --no-deploy `paved deploy NAME --env dev`
#  6. delete service
#  7. a service with a Redis database: its URL reaches the replicas through
#     platform.yaml's ${resources.cache.url}; delete --with-resources refuses
#     without --yes (no terminal), then destroys the resource
#  and `paved logs` (--json, --tail) from the runtime's own log files.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
deploy_need git node curl haproxy redis-server
deploy_env
trap deploy_cleanup EXIT
P="$PAVED"
code() { http_code "$1"; }

# ---- 1. the developer loop -------------------------------------------------------------------
run "$P" create service payment-api --template node-api --dir "$tmp/payment-api"
expect_rc 0 "paved create service payment-api --template node-api"
url=$(sed -n 's/^Your service is live at: //p' "$tmp/stdout")
[ -n "$url" ] && pass "live at $url" || fail "no URL: $(cat "$tmp/stdout")"
next_deploy=$(sed -n 's/^ *7\. Deploy to production: *//p' "$tmp/stdout")
[ "$(code "$url/health")" = 200 ] && pass "/health answers" || fail "/health: $(code "$url/health")"
[ "$(code "$url/ping")" = 404 ] && pass "no /ping yet" || fail "/ping before the push"
v1=$(git -C "$tmp/payment-api" rev-parse HEAD | cut -c1-12)
git clone -q "file://$PAVED_HOME/forge/payment-api.git" "$tmp/clone"
cd "$tmp/clone" || exit 99
sed -i "s|const ROUTES = \['/', '/health', '/metrics'\];|const ROUTES = ['/', '/health', '/metrics', '/ping'];|" src/app.js
sed -i "s|      if (route === '/health') {|      if (route === '/ping') {\n        return sendJson(200, { pong: true });\n      }\n      if (route === '/health') {|" src/app.js
grep -q "'/ping'" src/app.js && grep -q "pong" src/app.js || fail "the /ping edit did not apply"
git commit -qam "add /ping"
v2=$(git rev-parse HEAD | cut -c1-12)
t0=$(date +%s%N)
git push -q 2>"$tmp/push.err"
t1=$(date +%s%N)
cd "$tmp" || exit 99
echo "git push returned after $(( (t1 - t0) / 1000000 )) ms"
[ $(( (t1 - t0) / 1000000 )) -lt 2000 ] && pass "the push returns at once" || fail "the push waited for the deploy"
grep -q "deploying .* to dev in the background" "$tmp/push.err" && pass "the push says it deploys" ||
	fail "push: $(cat "$tmp/push.err")"
wait_for 60 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -m 2 $url/ping)\" = 200 ]" &&
	pass "/ping answers 200 after the push ($(( ($(date +%s%N) - t0) / 1000000 )) ms)" ||
	fail "/ping never answered: $(cat "$PAVED_HOME/logs/push/payment-api.log")"
pushed() { "$P" --json releases payment-api | node -e '
	const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
	process.exit(j[0].trigger === "push" && j[0].outcome === "success" && j[0].version === process.argv[1] ? 0 : 1)' "$v2"; }
wait_for 60 pushed && pass "paved releases shows the push of $v2" || fail "releases: $("$P" releases payment-api)"
grep -q "Deployed payment-api version $v2" "$PAVED_HOME/logs/push/payment-api.log" &&
	pass "the push's deploy is logged under logs/push" || fail "push log: $(cat "$PAVED_HOME/logs/push/payment-api.log")"

# ---- 2. an older commit, by --version ---------------------------------------------------------
run "$P" deploy payment-api --version "$v1"
expect_rc 0 "deploy --version $v1"
[ "$(code "$url/ping")" = 404 ] && pass "$v1 serves: /ping is gone" || fail "/ping after --version $v1"
run "$P" deploy payment-api --version="$v1"
expect_rc 0 "deploy --version=$v1 again"
expect_out "Nothing to do" "the live version again is a no-op"

# ---- 3. rollback, restart, scale, stop --------------------------------------------------------
run "$P" rollback payment-api
expect_rc 0 "rollback"
expect_out "to version $v2" "rollback goes back to $v2"
[ "$(code "$url/ping")" = 200 ] && pass "/ping answers again after the rollback" || fail "/ping after rollback"
run "$P" restart payment-api
expect_rc 0 "restart"
[ "$(code "$url/ping")" = 200 ] && pass "serving after restart" || fail "after restart"
run "$P" scale payment-api 3
expect_rc 0 "scale payment-api 3"
run "$P" --json status payment-api
[ "$(jget 'j[0].state + " " + j[0].replicas.healthy + "/" + j[0].replicas.total')" = "running 3/3" ] &&
	pass "3/3 replicas healthy" || fail "status: $(cat "$tmp/stdout")"
ports=$(jget 'j[0].instances.map(r => "127.0.0.1:" + r.port).sort().join(" ")')
targets=$(json_eval 'j.map(t => t.targets[0]).sort().join(" ")' "$PAVED_HOME/monitoring/targets/payment-api.dev.json")
[ "$targets" = "$ports" ] && pass "one scrape target per replica, on its own port" ||
	fail "targets '$targets', replicas '$ports'"
case " $targets " in *" 127.0.0.1:${url##*:} "*) fail "a target is HAProxy's port";; *) pass "no target on HAProxy's port";; esac
json_eval "j.every(t => t.labels.version === '$v2' && /^r[0-9]+\$/.test(t.labels.replica))" \
	"$PAVED_HOME/monitoring/targets/payment-api.dev.json" | grep -qx true &&
	pass "targets labelled with version and replica" || fail "target labels"
run "$P" stop payment-api
expect_rc 0 "stop payment-api"
run "$P" --json status payment-api
[ "$(jget 'j[0].state + " " + (j[0].url === undefined)')" = "stopped true" ] &&
	pass "status after stop: stopped, no URL" || fail "status after stop: $(cat "$tmp/stdout")"
[ ! -e "$PAVED_HOME/monitoring/targets/payment-api.dev.json" ] && pass "no scrape target after stop" ||
	fail "targets after stop"
run "$P" status nosuch
expect_rc 1 "status nosuch"
expect_err "no service 'nosuch'" "an unknown service"
run "$P" deploy payment-api
expect_rc 0 "deploy after stop starts it again"
[ "$(code "$url/ping")" = 200 ] && pass "serving again" || fail "after deploy"
run "$P" --json logs payment-api --tail 3
expect_rc 0 "logs --json --tail 3"
[ "$(jget 'j.length > 0 && j.length <= 3 && j.every(l => l.time && l.replica && l.version)')" = true ] &&
	pass "logs: time, replica, version on each line" || fail "logs: $(cat "$tmp/stdout")"
run "$P" logs payment-api --tail 2
[ "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z r[0-9]+ +[0-9a-f]{12} ' "$tmp/stdout")" = 2 ] &&
	pass "logs text: time, replica, version" || fail "logs text: $(cat "$tmp/stdout")"

# ---- 4. rollback with a runtime that fails ----------------------------------------------------
mkdir -p "$tmp/faults"
cat > "$tmp/faults/fault.lua" <<'LUA'
-- refuses the runtime calls named in plugins.fault.fail (test only)
return { name = "fault", version = "1.0.0", summary = "test: injected runtime faults",
  options = { { name = "fail", type = "string", default = "", description = "verbs" } },
  init = function()
    for _, verb in ipairs{ "enable", "weights", "disable", "start", "wait" } do
      paved.observe("before:runtime." .. verb, 10, function()
        for v in string.gmatch(paved.option("fail") or "", "[^,]+") do
          if v == verb then return false, "injected fault: runtime." .. verb .. " refused" end
        end
        return true
      end)
    end
  end }
LUA
run "$P" --plugin-path "$tmp/faults" -c plugins.fault.fail=enable,weights rollback payment-api
expect_rc 1 "rollback with runtime.enable and runtime.weights refused"
expect_err "rollback of payment-api (dev) to version $v1 failed" "the failure is named"
expect_err "injected fault: runtime." "the runtime's refusal is the reason"
expect_err "in traffic now: version $v2 (2 replicas)" "what serves is what the runtime says"
if grep -q "keeps serving" "$tmp/stderr"; then fail "a 'keeps serving' claim"; else pass "no 'keeps serving' claim"; fi
[ "$(code "$url/ping")" = 200 ] && pass "$v2 does serve" || fail "$v2 not serving after the failed rollback"
run "$P" --json releases payment-api --limit 1
[ "$(jget 'j[0].trigger + " " + j[0].outcome')" = "rollback rolled_back" ] && pass "recorded: rollback, rolled_back" ||
	fail "record: $(cat "$tmp/stdout")"

# ---- 5. the next steps create prints ----------------------------------------------------------
case "$next_deploy" in
"paved deploy payment-api --env production") pass "create prints '$next_deploy'" ;;
*) fail "create's deploy hint: '$next_deploy'" ;;
esac
run "$P" ${next_deploy#paved }
expect_rc 0 "$next_deploy"
purl=$(sed -n 's/.*: \(http:[^ ]*\)$/\1/p' "$tmp/stdout")
[ -n "$purl" ] && [ "$purl" != "$url" ] && [ "$(code "$purl/health")" = 200 ] &&
	pass "production answers on its own URL $purl" || fail "production: $(cat "$tmp/stdout") $(cat "$tmp/stderr")"
run "$P" create service quiet-api --template node-api --no-deploy --dir "$tmp/quiet-api"
expect_rc 0 "create --no-deploy"
hint=$(sed -n "s/.*run '\(paved deploy quiet-api --env dev\)'.*/\1/p" "$tmp/stdout")
[ -n "$hint" ] && pass "--no-deploy hints '$hint'" || fail "no hint: $(cat "$tmp/stdout")"
run "$P" ${hint#paved }
expect_rc 0 "$hint"
qurl=$(sed -n 's/.*: \(http:[^ ]*\)$/\1/p' "$tmp/stdout")
[ "$(code "$qurl/health")" = 200 ] && pass "quiet-api is live" || fail "quiet-api: $(cat "$tmp/stdout")"

# ---- 6. delete service ------------------------------------------------------------------------
run "$P" delete service quiet-api
expect_rc 0 "delete service quiet-api"
expect_out "repository archived (read-only)" "delete archived the repository"
expect_out "monitoring: alert rules and scrape targets" "delete removed the monitoring"
expect_out "catalog: component:default/quiet-api" "delete removed the catalog entry"
[ "$(code "$qurl/health")" = 000 ] && pass "its front door is gone" || fail "quiet-api still answers: $(code "$qurl/health")"
[ ! -e "$PAVED_HOME/monitoring/rules/quiet-api.yml" ] && pass "its alert rules are gone" || fail "rules left"
run "$P" delete service quiet-api
expect_rc 1 "deleting twice"
expect_err "no service 'quiet-api'" "the second delete"
run "$P" --json status
[ "$(jget 'j.filter(r => r.service === "quiet-api").length')" = 0 ] && pass "status no longer lists it" ||
	fail "status: $(cat "$tmp/stdout")"
# ---- 7. a service with a database; delete --with-resources ------------------------------------
run "$P" create service cache-api --template node-api --database redis --dir "$tmp/cache-api"
expect_rc 0 "create cache-api --database redis"
curl_url=$(sed -n 's/^Your service is live at: //p' "$tmp/stdout")
curl -s -m 5 "$curl_url/health" | grep -q '"reachable":true' &&
	pass "REDIS_URL reached the replicas (platform.yaml's \${resources.cache.url})" ||
	fail "health: $(curl -s -m 5 "$curl_url/health")"
run "$P" delete service cache-api --with-resources </dev/null
expect_rc 1 "delete --with-resources, no terminal, no --yes"
expect_err "confirm with --yes" "the refusal says what to do"
[ "$(http_code "$curl_url/health")" = 200 ] && pass "nothing was deleted" || fail "the refused delete deleted"
run "$P" delete service cache-api --with-resources --yes
expect_rc 0 "delete --with-resources --yes"
expect_out "resource destroyed: cache-api-cache-dev (redis, dev)" "the resource is destroyed and named"
run "$P" --json resources list
[ "$(jget 'j.filter(r => r.service === "cache-api").length')" = 0 ] && pass "no resource of cache-api left" ||
	fail "resources: $(cat "$tmp/stdout")"
finish
