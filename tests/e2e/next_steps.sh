#!/bin/bash
# End to end: every command the golden path prints as a hint works as
# printed, run as a developer runs them, in order:
#   python-api with PostgreSQL: create, /health reports the database, then
#   each "Next steps" line (clone, test, change and push, status and logs,
#   releases, rollback, plan production), "Run it locally" and the
#   database line; node-api without a database: its production deploy hint,
#   then the README loop's last line, a canary into production from the golden
#   path's own deploy.steps (status, then abort);
#   and --no-deploy's hint.
# Needs git, python3, node, haproxy and PostgreSQL (as the golden path does).
. "$(dirname "$0")/lib.sh"

for prog in git python3 node haproxy initdb pg_ctl; do
	command -v "$prog" >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/"$prog" >/dev/null 2>&1 ||
		{ [ "${CI:-}" = true ] && { echo "FAIL: $prog is missing under CI=true"; exit 1; }
		  echo "SKIP: $prog is not installed"; exit 77; }
done
work="$tmp/work"
mkdir -p "$work"
cleanup() {
	"$PAVED" stop --all >/dev/null 2>&1
	"$PAVED" resources stop >/dev/null 2>&1
	[ -n "${local_pid:-}" ] && kill "$local_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export PAVED_CHECK_SHAPES=1
export GIT_AUTHOR_NAME=dev GIT_AUTHOR_EMAIL=dev@example.test
export GIT_COMMITTER_NAME=dev GIT_COMMITTER_EMAIL=dev@example.test

code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$1"; }

# hint LABEL: the command printed after "LABEL:" in the last create output.
hint() {
	sed -n "s/^ *[0-9]*\.\{0,1\} *$1: *//p" "$tmp/create.out" | sed 's/   (.*)$//' | head -n 1
}

# step LABEL DIR: run the hint LABEL in DIR with bash, as a user would type it.
step() {
	local cmd
	cmd=$(hint "$1")
	[ -n "$cmd" ] || { fail "no '$1' hint"; return 1; }
	(cd "$2" && PATH="$top_builddir/host:$PATH" bash -c "paved() { \"$PAVED\" \"\$@\"; }; $cmd") \
		>"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	out=$(cat "$tmp/stdout")
	if [ "$rc" -eq 0 ]; then pass "'$1' works as printed: $cmd"; else fail "'$1' ($cmd): exit $rc"; show; fi
}

# wait_for CMD...: poll until CMD succeeds, at most 30 s.
wait_for() {
	local i
	for i in $(seq 1 300); do "$@" && return 0; sleep 0.1; done
	return 1
}

# ---- python-api with PostgreSQL --------------------------------------------------------
cd "$work" || exit 99
"$PAVED" create service shop --template python-api --database postgres --dir "$work/shop-wc" \
	>"$tmp/create.out" 2>"$tmp/create.err"
rc=$?
[ "$rc" -eq 0 ] && pass "create python-api with postgres" || { fail "create: exit $rc"; cat "$tmp/create.err"; finish; }
url=$(sed -n 's/^Your service is live at: //p' "$tmp/create.out")
curl -s --max-time 5 "$url/health" >"$tmp/health.json"
[ "$(json_eval 'j.database.reachable' "$tmp/health.json")" = true ] &&
	pass "python-api's /health reaches its database" || fail "health: $(cat "$tmp/health.json")"

step "Clone the repository" "$work"
[ -d "$work/shop/.git" ] && pass "the clone is there" || fail "no clone"
step "Run the tests" "$work"
grep -q "^OK" "$tmp/stderr" && pass "the service's own tests pass" || fail "tests: $(tail -3 "$tmp/stderr")"

# a change, then the push hint (it deploys to dev in the background)
before=$("$PAVED" --json releases shop | json_eval 'j.length' /dev/stdin)
sed -i 's/"message"/"message_v2"/' "$work/shop/app/server.py" 2>/dev/null || echo "# v2" >>"$work/shop/README.md"
step "Ship a change" "$work/shop"
pushed=$(git -C "$work/shop" rev-parse HEAD | cut -c1-12)
live_is_pushed() { "$PAVED" --json status shop >"$tmp/st.json" 2>/dev/null &&
	[ "$(json_eval 'j[0].version || (j[0].envs && j[0].envs[0].version) || ""' "$tmp/st.json" | cut -c1-12)" = "$pushed" ]; }
released() { [ "$("$PAVED" --json releases shop | json_eval 'j.length' /dev/stdin)" -gt "$before" ]; }
wait_for released && pass "the push made a release" || fail "no release after the push"
wait_for live_is_pushed && pass "the pushed version is live" || { fail "the push did not go live"; cat "$tmp/st.json"; }
[ "$(code "$url/health")" = 200 ] && pass "the service still answers at $url" || fail "no answer after the push"

step "Watch it" "$work/shop"
grep -q "running" "$tmp/stdout" && pass "status says running" || fail "status: $out"
step "See its releases" "$work/shop"
grep -q "push" "$tmp/stdout" && pass "releases lists the push" || fail "releases: $out"
step "Roll back" "$work/shop"
[ "$(code "$url/health")" = 200 ] && pass "the rolled-back version answers" || fail "no answer after rollback"
step "Plan production" "$work/shop"
grep -q 'shop-db-production' "$tmp/stdout" && pass "production's database is planned" || fail "apply: $out"

# "Run it locally: cd DIR && python3 -m app" -- start it, see it answer, stop it
cmd=$(sed -n 's/^Run it locally: //p' "$tmp/create.out")
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(PORT=$port bash -c "$cmd" >"$tmp/local.log" 2>&1) &
local_pid=$!
local_up() { [ "$(code "http://127.0.0.1:$port/")" = 200 ]; }
wait_for local_up && pass "'Run it locally' serves: $cmd" ||
	{ fail "'Run it locally' ($cmd)"; cat "$tmp/local.log"; }
pkill -P "$local_pid" 2>/dev/null; kill "$local_pid" 2>/dev/null; wait "$local_pid" 2>/dev/null
local_pid=

# "Database: ...: 'paved resources show NAME --show-secrets'"
cmd=$(sed -n "s/^Database: .*'\(paved resources show [^']*\)'.*/\1/p" "$tmp/create.out")
run bash -c "${cmd/paved/\"$PAVED\"}"
expect_rc 0 "the database hint: $cmd"
expect_out "postgresql://" "it shows the URL"

# ---- node-api without a database: the production deploy hint ---------------------------
"$PAVED" create service web --template node-api --dir "$work/web-wc" >"$tmp/create.out" 2>&1 ||
	fail "create node-api"
step "Deploy to production" "$work"
purl=$(sed -n 's/.*: \(http:[^ ]*\)$/\1/p' "$tmp/stdout" | tail -n 1)
[ -n "$purl" ] && [ "$(code "$purl/health")" = 200 ] && pass "production answers at $purl" ||
	fail "production: $out"

# ---- the README's loop ends with a canary into production, from the golden path's own steps
git clone -q "file://$PAVED_HOME/forge/web.git" "$work/web-clone" || fail "clone web"
sed -i 's/message: `hello from/message: `canary from/' "$work/web-clone/src/app.js"
git -C "$work/web-clone" commit -qam 'Say canary' && git -C "$work/web-clone" push -q 2>/dev/null ||
	fail "push web"
run "$PAVED" deploy web --env production --strategy canary
expect_rc 0 "paved deploy web --env production --strategy canary"
expect_out "to production (canary): the canary runs beside version" "a canary beside the stable version"
run "$PAVED" --json rollout status web --env production
expect_rc 0 "rollout status of the canary"
cp "$tmp/stdout" "$tmp/rollout.json"
[ "$(json_eval 'j.steps.map(s => s.setWeight || (s.analysis ? "analysis" : "")).join()' "$tmp/rollout.json")" = "20,analysis,100" ] &&
	pass "the golden path's steps: 20%, analysis, 100% (platform.yaml deploy.steps)" ||
	fail "rollout steps: $(cat "$tmp/rollout.json")"
[ "$(code "$purl/health")" = 200 ] && pass "production keeps answering during the canary" ||
	fail "production does not answer during the canary"
run "$PAVED" abort web --env production
expect_rc 0 "paved abort web --env production"
expect_out "all traffic on stable version" "all traffic back on stable"
curl -s --max-time 5 "$purl/" | grep -q '"hello from web"' && pass "the stable version serves again" ||
	fail "after the abort: $(curl -s --max-time 5 "$purl/")"

# ---- --no-deploy: its hint deploys -------------------------------------------------------
"$PAVED" create service later --template c-api --no-deploy --dir "$work/later-wc" >"$tmp/create.out" 2>&1 ||
	fail "create --no-deploy"
cmd=$(sed -n "s/.*run '\(paved deploy later --env dev\)'.*/\1/p" "$tmp/create.out")
[ -n "$cmd" ] && pass "--no-deploy prints '$cmd'" || fail "no deploy hint: $(cat "$tmp/create.out")"
run bash -c "${cmd/paved/\"$PAVED\"}"
expect_rc 0 "$cmd"

finish
