#!/bin/sh
# test_deploy_core.sh -- the deploy core end to end through the paved
# binary, against the fake runtime driver of testdata/runtime_process.lua
# (no HAProxy, no process: every runtime call is a record, faults can be
# injected per verb), the real forge and the real platform.read, with every
# call checked against sdk/hooks.json.  The repository is built here.
#
# Covered: --help of every command changes nothing; unknown options exit 2
# naming the closest option; deploy from the repository, the no-op of the
# live version, --version=SHA and --version SHA; a platform.yaml without
# deploy.run; --dir (uncommitted changes refused, listed); a 63-character
# name deployed twice (two ids, two records, two release directories);
# rollback with a runtime that refuses enable and weights (reported as a
# failure with what is really in traffic); a rollout whose old replica
# cannot go back in (failed, not "rolled back"); restart; scale 3 and the
# next deploy going back to platform.yaml; stop, then status; status of an
# unknown service; logs --json, --tail, -f; push to deploy (in order, the
# later push winning, deploy.auto false); delete service (twice).
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
deploy_need git node
deploy_env
PAVED_PLUGIN_PATH="$top_srcdir/plugins/deploy/core/testdata"
PAVED_CONFIG_DRIVERS__RUNTIME=fake
export PAVED_PLUGIN_PATH PAVED_CONFIG_DRIVERS__RUNTIME
trap deploy_cleanup EXIT
P="$PAVED"

# state: a digest of everything a command could change.
state() {
	{ find "$PAVED_HOME/fake-runtime" "$PAVED_HOME/deploy" "$PAVED_HOME/forge" \
		"$PAVED_HOME/monitoring" -type f 2>/dev/null | sort | xargs cat 2>/dev/null
	  "$P" --json releases svc 2>/dev/null; "$P" --json status 2>/dev/null; } | cksum
}
# commit DIR MESSAGE FILE TEXT: commit one file change in DIR.
commit() { printf '%s\n' "$4" > "$1/$3" && git -C "$1" add -A && git -C "$1" commit -qm "$2"; }

# ---- a service repository in the forge ----------------------------------------
mkdir -p "$tmp/src"
cat > "$tmp/src/platform.yaml" <<'EOF'
service: svc
deploy:
  run: ./app --serve
  health: /health
  replicas: 2
EOF
echo v1 > "$tmp/src/app"
run "$P" call forge.create "{\"name\": \"svc\", \"dir\": \"$tmp/src\"}"
expect_rc 0 "forge.create svc"
v1=$(git -C "$tmp/src" rev-parse HEAD | cut -c1-12)

# ---- --help changes nothing, unknown options exit 2 -------------------------------
before=$(state)
for c in "deploy svc" "releases svc" "rollback svc" "restart svc" "scale svc 3" "status" \
         "logs svc" "stop svc" "stop --all" "delete service svc --yes"; do
	run "$P" $c --help
	expect_rc 0 "paved $c --help"
	expect_out "Usage: paved ${c%% *}" "paved $c --help prints the usage"
done
[ "$(state)" = "$before" ] && pass "--help changed nothing" || fail "--help changed the state"
for c in "deploy svc --stratgy=bluegreen:--strategy" "releases svc --limt 3:--limit" \
         "rollback svc --too v:--to" "restart svc --envv dev:--env" \
         "scale svc 3 --envv dev:--env" "status --envv dev:--env" "logs svc --tial 3:--tail" \
         "stop svc --al:--all" "delete service svc --yess:--yes" "deploy svc --bogus:"; do
	args=${c%%:*} hint=${c##*:}
	opt=$(echo "$args" | tr ' ' '\n' | grep -- '^--' | head -1 | cut -d= -f1)
	run "$P" $args
	expect_rc 2 "paved $args"
	expect_err "unknown option '$opt'" "paved $args names $opt"
	[ -z "$hint" ] || expect_err "(did you mean '$hint'?)" "paved $args suggests $hint"
done
run "$P" stop
expect_rc 2 "paved stop without a service or --all"
expect_err "name a SERVICE to stop, or --all" "paved stop says what it needs"
run "$P" stop -rf
expect_rc 2 "paved stop -rf"
expect_err "unknown option '-r'" "paved stop -rf names -r"
run "$P" deploy 'Bad Name'
expect_rc 2 "an invalid service name"
run "$P" scale svc 99
expect_rc 2 "scale to 99"
expect_err "N must be a whole number from 1 to 8, not '99'" "scale's range"
[ "$(state)" = "$before" ] && pass "usage errors changed nothing" || fail "a usage error changed the state"

# ---- deploy from the repository; the live version again is a no-op --------------------
run "$P" deploy svc
expect_rc 0 "deploy svc"
expect_out "Deployed svc version $v1 to dev (rolling, 2 replicas" "deploy prints what it deployed"
run "$P" --json status svc
expect_rc 0 "status svc"
[ "$(jget 'j[0].state + " " + j[0].version + " " + j[0].replicas.healthy')" = "running $v1 2" ] &&
	pass "status: running $v1, 2 healthy" || fail "status: $(cat "$tmp/stdout")"
ports=$(jget 'j[0].instances.map(r => "127.0.0.1:" + r.port).sort().join(" ")')
targets=$(json_eval 'j.map(t => t.targets[0]).sort().join(" ")' "$PAVED_HOME/monitoring/targets/svc.dev.json")
[ "$targets" = "$ports" ] && pass "one scrape target per replica, its own port ($targets)" ||
	fail "targets '$targets' are not the replicas '$ports'"
json_eval 'j.every(t => t.labels.version && t.labels.replica && t.labels.env === "dev" && t.labels.service === "svc")' \
	"$PAVED_HOME/monitoring/targets/svc.dev.json" | grep -qx true &&
	pass "targets labelled service, env, version, replica" || fail "target labels"
run "$P" deploy svc
expect_rc 0 "deploy of the live version"
expect_out "Nothing to do: svc (dev): version $v1 is already live (2/2 replicas healthy)" "the no-op says so"
run "$P" --json releases svc
[ "$(jget 'j.length')" = 1 ] && pass "the no-op recorded no release" || fail "releases: $(cat "$tmp/stdout")"
[ "$(jget 'j[0].trigger + " " + j[0].outcome + " " + j[0].author + " " + !!j[0].commit_time')" = \
  "cli success paved <paved@localhost> true" ] && pass "the record: trigger, outcome, author, commit time" ||
	fail "record: $(cat "$tmp/stdout")"

# ---- --version=SHA and --version SHA ------------------------------------------------------
commit "$tmp/src" "v2" app v2
git -C "$tmp/src" push -q origin main 2>/dev/null   # the hook deploys it in the background
v2=$(git -C "$tmp/src" rev-parse HEAD | cut -c1-12)
wait_for 20 sh -c "\"$P\" --json status svc | grep -q '\"version\": \"$v2\"'" &&
	pass "the push deployed $v2" || fail "push: $("$P" releases svc)"
run "$P" deploy svc --version="$v1"
expect_rc 0 "deploy --version=$v1"
expect_out "Deployed svc version $v1" "--version=SHA deploys that commit"
run "$P" deploy svc --version "$v2"
expect_rc 0 "deploy --version $v2"
expect_out "Deployed svc version $v2" "--version SHA deploys that commit"
run "$P" deploy svc --version nosuch
expect_rc 1 "deploy --version nosuch"
expect_err "no commit 'nosuch' in repository 'svc'" "an unknown version is named"

# ---- a platform.yaml without deploy.run: an error naming the file, never a guess ----------
printf 'service: svc\ndeploy:\n  replicas: 2\n' > "$tmp/src/platform.yaml"
git -C "$tmp/src" commit -qam "no run"
run "$P" deploy svc --dir "$tmp/src"
expect_rc 1 "deploy without deploy.run"
expect_err "svc version $(git -C "$tmp/src" rev-parse HEAD | cut -c1-12): deploy.run is missing" "the message names the file's version"
expect_err "in traffic now: version $v2 (2 replicas)" "and says what still serves"
git -C "$tmp/src" reset -q --hard HEAD~1

# ---- variables: a placeholder whose resource is not provisioned is an error --------------------
printf 'service: svc\nresources:\n  db: {type: postgres}\ndeploy:\n  run: ./app\n  variables:\n    DATABASE_URL: ${resources.db.url}\n' \
	> "$tmp/src/platform.yaml"
git -C "$tmp/src" commit -qam "needs a database"
run "$P" deploy svc --dir "$tmp/src"
expect_rc 1 "deploy with an unprovisioned resource"
expect_err "deploy.variables.DATABASE_URL needs \${resources.db.url}, but svc has no resource 'db' with a url in dev; provision it first ('paved apply --env dev')" \
	"the missing resource is named, with what to do"
git -C "$tmp/src" reset -q --hard HEAD~1

# ---- --dir: a working copy's commit; uncommitted changes refused, listed ---------------------
echo dirty >> "$tmp/src/app"; echo new > "$tmp/src/notes.txt"
before=$(state)
run "$P" deploy svc --dir "$tmp/src"
expect_rc 1 "deploy --dir with uncommitted changes"
expect_err "has uncommitted changes ( M app, ?? notes.txt)" "the changes are listed"
[ "$(state)" = "$before" ] && pass "a refused deploy changed nothing" || fail "a refused deploy changed the state"
git -C "$tmp/src" checkout -q app; rm "$tmp/src/notes.txt"
commit "$tmp/src" "v3, not pushed" app v3
v3=$(git -C "$tmp/src" rev-parse HEAD | cut -c1-12)
run "$P" deploy svc --dir "$tmp/src"
expect_rc 0 "deploy --dir (clean, an unpushed commit)"
expect_out "Deployed svc version $v3" "--dir deploys the working copy's HEAD"

# ---- rollback with a runtime that refuses: a failure, with the truth -------------------------
run "$P" -c plugins.runtime_process.fail=enable,weights rollback svc
expect_rc 1 "rollback with runtime.enable and runtime.weights refused"
expect_err "rollback of svc (dev) to version $v2 failed" "the rollback failure is named"
expect_err "in traffic now: version $v3 (2 replicas)" "what serves is what the runtime says"
if grep -q "keeps serving" "$tmp/stderr"; then fail "claims something keeps serving"; else pass "no 'keeps serving' claim"; fi
run "$P" --json status svc
[ "$(jget 'j[0].version + " " + j[0].last_failed.trigger + " " + j[0].last_failed.outcome')" = \
  "$v3 rollback rolled_back" ] && pass "status: $v3 live, the failed rollback shown" || fail "status: $(cat "$tmp/stdout")"
# max_unavailable 1: an old replica leaves first; when it cannot go back, the outcome is failed
printf 'service: svc\ndeploy:\n  run: ./app\n  replicas: 2\n  max_unavailable: 1\n  max_surge: 0\n' > "$tmp/src/platform.yaml"
git -C "$tmp/src" commit -qam "v4"
run "$P" -c plugins.runtime_process.fail=enable deploy svc --dir "$tmp/src"
expect_rc 1 "a rollout whose old replica cannot go back"
expect_err "could not be put back in traffic" "the failed undo is reported"
expect_err "in traffic now: version $v3 (1 replica)" "one replica serves, as the runtime says"
if grep -q "keeps serving" "$tmp/stderr"; then fail "claims the old version keeps serving"; else pass "no false claim"; fi
run "$P" --json releases svc --limit 1
[ "$(jget 'j[0].outcome')" = failed ] && pass "recorded as failed" || fail "outcome: $(cat "$tmp/stdout")"
git -C "$tmp/src" reset -q --hard HEAD~1

# ---- rollback, restart, scale -------------------------------------------------------------------
run "$P" deploy svc --dir "$tmp/src"   # back to 2 healthy replicas of v3
run "$P" rollback svc
expect_rc 0 "rollback"
expect_out "Rolled back svc (dev) from $v3 to version $v2" "rollback goes to the previous success"
run "$P" rollback svc --to "$v1"
expect_rc 0 "rollback --to $v1"
run "$P" --json releases svc --limit 1
[ "$(jget 'j[0].trigger + " " + j[0].version + " " + j[0].live')" = "rollback $v1 true" ] &&
	pass "releases: the rollback, live" || fail "releases: $(cat "$tmp/stdout")"
for c in "rollback svc --to $v2" "restart svc" "scale svc 2" "deploy svc --version $v1" "releases svc" \
         "status svc" "logs svc"; do
	run "$P" --json $c
	expect_rc 0 "paved --json $c"
	expect_json "paved --json $c"
done
run "$P" rollback svc --to nosuch
expect_rc 1 "rollback --to an unknown version"
expect_err "no successful release of svc (dev) is version 'nosuch'" "rollback --to nosuch"
"$P" --json status svc > "$tmp/st0"
run "$P" restart svc
expect_rc 0 "restart"
expect_out "Restarted svc (dev) version $v1: 2 replicas replaced one at a time" "restart says what it did"
"$P" --json status svc > "$tmp/st1"
[ "$(json_eval 'j[0].instances.map(r => r.id).join()' "$tmp/st0")" != "$(json_eval 'j[0].instances.map(r => r.id).join()' "$tmp/st1")" ] &&
	pass "restart replaced the replicas" || fail "same replicas after restart"
run "$P" scale svc 3
expect_rc 0 "scale svc 3"
run "$P" --json status svc
[ "$(jget 'j[0].replicas.healthy + "/" + j[0].replicas.total')" = 3/3 ] && pass "3 replicas" || fail "scale: $(cat "$tmp/stdout")"
[ "$(json_eval 'j.length' "$PAVED_HOME/monitoring/targets/svc.dev.json")" = 3 ] && pass "3 scrape targets" || fail "targets after scale"
run "$P" deploy svc --version "$v1"
expect_rc 0 "deploy of the scaled live version"
expect_out "Deployed svc version $v1" "not a no-op: the replicas differ from platform.yaml's"
run "$P" --json status svc
[ "$(jget 'j[0].replicas.total')" = 2 ] && pass "the next deploy went back to platform.yaml's 2" || fail "replicas: $(cat "$tmp/stdout")"

# ---- stop, then status: stopped, no URL; unknown services ------------------------------------
run "$P" stop svc
expect_rc 0 "stop svc"
expect_out "Stopped svc (dev)" "stop says what it stopped"
run "$P" --json status svc
[ "$(jget 'j[0].state + " " + (j[0].url === undefined) + " " + j[0].replicas.total')" = "stopped true 0" ] &&
	pass "status after stop: stopped, no URL" || fail "status after stop: $(cat "$tmp/stdout")"
[ ! -e "$PAVED_HOME/monitoring/targets/svc.dev.json" ] && pass "no scrape target for a stopped service" ||
	fail "targets left after stop"
run "$P" status svc
expect_out "svc (dev)  stopped  version $v1  0/0 replicas healthy" "status text after stop"
run "$P" status nosuch
expect_rc 1 "status nosuch"
expect_err "no service 'nosuch'" "status of an unknown service"
for c in "deploy nosuch" "releases nosuch" "rollback nosuch" "logs nosuch" "stop nosuch" "delete service nosuch"; do
	run "$P" $c
	expect_rc 1 "paved $c"
	expect_err "no service 'nosuch'" "paved $c names the service"
done

# ---- logs: --json, --tail, -f ----------------------------------------------------------------------
run "$P" deploy svc
run "$P" --json logs svc
expect_rc 0 "logs --json"
expect_json "logs --json"
[ "$(jget 'j.length > 0 && j.every(l => l.time && l.replica && l.version && l.line !== undefined)')" = true ] &&
	pass "every line has a time, a replica and a version" || fail "logs: $(cat "$tmp/stdout")"
run "$P" --json logs svc --tail 1
[ "$(jget 'j.length')" = 1 ] && pass "--tail 1: one line" || fail "--tail: $(cat "$tmp/stdout")"
run "$P" logs svc --tail 2
[ "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z r[0-9]+ +[0-9a-f]{12} ' "$tmp/stdout")" = 2 ] &&
	pass "text lines: time, replica, version" || fail "logs text: $(cat "$tmp/stdout")"
run "$P" logs svc --since 10x
expect_rc 2 "--since 10x"
"$P" logs svc -f --tail 0 > "$tmp/follow" 2>&1 &
fpid=$!
"$P" restart svc >/dev/null 2>&1
wait_for 10 grep -q "listening on" "$tmp/follow" && pass "logs -f shows new lines" || fail "logs -f: $(cat "$tmp/follow")"
kill "$fpid"; wait "$fpid" 2>/dev/null || true

# ---- a 63-character name deployed twice: two ids, two records, two releases ---------------------
long=$(printf 'a%.0s' $(seq 1 62))z
mkdir -p "$tmp/long"
printf 'deploy:\n  run: ./app\n  replicas: 1\n' > "$tmp/long/platform.yaml"; echo 1 > "$tmp/long/app"
run "$P" call forge.create "{\"name\": \"$long\", \"dir\": \"$tmp/long\"}"
expect_rc 0 "a 63-character repository"
git -C "$tmp/long" config receive.denyCurrentBranch ignore
mv "$PAVED_HOME/forge/$long.git/hooks/post-receive" "$tmp/hook.off"   # deploys by hand here
run "$P" deploy "$long"
expect_rc 0 "first deploy of the 63-character service"
commit "$tmp/long" "two" app 2
git -C "$tmp/long" push -q origin main
run "$P" deploy "$long"
expect_rc 0 "second deploy of the 63-character service"
run "$P" --json releases "$long"
[ "$(jget 'j.length + " " + new Set(j.map(r => r.id)).size')" = "2 2" ] && pass "two records, two ids" ||
	fail "releases: $(cat "$tmp/stdout")"
[ "$(ls "$PAVED_HOME/deploy/releases/$long/dev" | wc -l)" = 2 ] && pass "two release directories" ||
	fail "release dirs: $(ls "$PAVED_HOME/deploy/releases/$long/dev")"

# ---- push to deploy: in order, the later push wins; deploy.auto false --------------------------
git clone -q "file://$PAVED_HOME/forge/svc.git" "$tmp/clone"
commit "$tmp/clone" "push a" app a
git -C "$tmp/clone" push -q 2>"$tmp/push.err"
grep -q "deploying .* to dev in the background" "$tmp/push.err" && pass "the push says it deploys" ||
	fail "push output: $(cat "$tmp/push.err")"
commit "$tmp/clone" "push b" app b
git -C "$tmp/clone" push -q 2>/dev/null
b=$(git -C "$tmp/clone" rev-parse HEAD | cut -c1-12)
done_pushes() { "$P" --json releases svc | node -e '
	const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
	const p = j.filter(r => r.trigger === "push" && (r.subject === "push a" || r.subject === "push b"));
	process.exit(p.length === 2 && p.every(r => r.outcome !== "running") ? 0 : 1)'; }
wait_for 30 done_pushes && pass "both pushes are in releases" || fail "pushes: $("$P" releases svc)"
run "$P" --json status svc
[ "$(jget 'j[0].version')" = "$b" ] && pass "the later push ($b) is live" || fail "live: $(cat "$tmp/stdout")"
test -s "$PAVED_HOME/logs/push/svc.log" && pass "pushes are logged under logs/push" || fail "no push log"
printf 'service: svc\ndeploy:\n  run: ./app\n  auto: false\n' > "$tmp/clone/platform.yaml"
git -C "$tmp/clone" commit -qam "auto off"
git -C "$tmp/clone" push -q 2>/dev/null
wait_for 20 sh -c "\"$P\" releases svc | grep -q ' skipped '" && pass "deploy.auto false: the push is recorded as skipped" ||
	fail "auto false: $("$P" releases svc)"
run "$P" --json status svc
[ "$(jget 'j[0].version')" = "$b" ] && pass "deploy.auto false deployed nothing" || fail "live: $(cat "$tmp/stdout")"

# ---- delete service ---------------------------------------------------------------------------------
run "$P" delete service svc --with-resources </dev/null
expect_rc 1 "delete --with-resources without a terminal or --yes"
expect_err "confirm with --yes" "it asks for --yes"
run "$P" --json status svc
[ "$(jget 'j[0].state')" = running ] && pass "a refused delete deleted nothing" || fail "after refused delete: $(cat "$tmp/stdout")"
run "$P" delete service svc
expect_rc 0 "delete service svc"
expect_out "runtime: replicas stopped, front door removed (dev)" "delete names the runtime"
expect_out "monitoring: alert rules and scrape targets" "delete names monitoring"
expect_out "repository archived (read-only): $PAVED_HOME/forge/archive/svc." "delete names the archive"
expect_out "release directories: $PAVED_HOME/deploy/releases/svc" "delete names the releases"
[ ! -e "$PAVED_HOME/forge/svc.git" ] && [ ! -e "$PAVED_HOME/fake-runtime/dev.svc.json" ] &&
	[ ! -e "$PAVED_HOME/deploy/releases/svc" ] && pass "repository, replicas, releases gone" || fail "delete left things"
run "$P" status svc
expect_rc 1 "status of a deleted service"
run "$P" delete service svc
expect_rc 1 "deleting twice"
expect_err "no service 'svc'" "the second delete says so"
run "$P" delete svc nope
expect_rc 2 "delete without 'service'"
chmod -R u+w "$PAVED_HOME/forge/archive" 2>/dev/null
finish
