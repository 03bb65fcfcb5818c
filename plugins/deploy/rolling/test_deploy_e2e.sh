#!/bin/sh
# End to end: the node-api golden path deploys for real behind HAProxy, a
# SIGKILLed replica is restarted, a version that never becomes healthy is
# rolled back while a request loop sees no failure.  Fresh PAVED_HOME.
set -eu
: "${top_builddir:?run through make check}"
paved="$top_builddir/host/paved"
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v haproxy >/dev/null 2>&1 ||
	fail "haproxy not found: install the Debian package 'haproxy' (scripts/bootstrap does)"
command -v node >/dev/null 2>&1 || fail "node not found (scripts/bootstrap installs it)"
command -v curl >/dev/null 2>&1 || { echo "curl not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-deploy-e2e.XXXXXX")
export HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1 PAVED_HOME="$tmp/home"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
unset PAVED_PLUGIN_PATH || true
cleanup() {
	[ -f "$tmp/stoploop" ] || touch "$tmp/stoploop" 2>/dev/null || true
	timeout 30 "$paved" stop >/dev/null 2>&1 || true
	# what paved stop left behind: supervisors (TERM stops their replicas), haproxy
	for f in "$PAVED_HOME"/runtime/*/*/supervisor.pid "$PAVED_HOME"/runtime/haproxy/haproxy.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	sleep 0.5
	for f in "$PAVED_HOME"/runtime/*/*/state.json; do
		[ -f "$f" ] || continue
		for p in $(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$f"); do kill -9 "$p" 2>/dev/null || true; done
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

out=$(timeout 120 "$paved" create service payment-api --template node-api) || fail "create: $out"
echo "$out"
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || fail "no URL printed"
curl -sf -m 5 "$url/health" | grep -q '"status":"ok"' || fail "$url/health"

# a replica killed with SIGKILL is restarted and status shows it
pid=$("$paved" status payment-api --json | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' | head -1)
[ -n "$pid" ] || fail "no replica pid in status"
kill -9 "$pid"
i=0
until "$paved" status payment-api | grep -q "restarts 1"; do
	i=$((i + 1)); [ $i -lt 50 ] || fail "replica not restarted"; sleep 0.2
done
curl -sf -m 5 "$url/health" >/dev/null || fail "health after restart"

# a version that never becomes healthy is rolled back; no request fails
cd payment-api
sed -i 's|^async function main() {|async function main() {\n  if (!process.env.NEVER) { setInterval(() => {}, 1000); return; }|' src/server.js
git commit -qam "never healthy"
cd ..
( f=0; n=0; end=$(($(date +%s) + 6))
  while [ "$(date +%s)" -lt "$end" ]; do
	n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/health" || f=$((f + 1)); sleep 0.05
  done; echo "$n $f" > "$tmp/loop" ) &
loop=$!
if timeout 60 "$paved" -c plugins.deploy_rolling.health_timeout=3 deploy payment-api --env dev 2>"$tmp/err"; then
	fail "a never-healthy version deployed"
fi
grep -q "rolled back" "$tmp/err" || fail "message: $(cat "$tmp/err")"
wait $loop
echo "request loop (requests failed): $(cat "$tmp/loop")"
[ "$(cut -d' ' -f2 "$tmp/loop")" = 0 ] || fail "requests failed during the rollback"
"$paved" status payment-api --json | grep -q '"outcome": "success"' || fail "current deployment"
curl -sf -m 5 "$url/health" >/dev/null || fail "old version not serving"

# v2 (a marker on /) deploys; paved rollback brings v1 back from its kept release
curl -sf -m 5 "$url/" | grep -q "hello from" || fail "v1 does not answer /"
cd payment-api
git checkout -q HEAD~1 -- src/server.js
sed -i 's/hello from /v2 from /' src/app.js
git commit -qam "v2 marker"
cd ..
# v2 with maxSurge 0 / maxUnavailable 1: one replica out at a time, never zero in traffic
rm -f "$tmp/stoploop"
( f=0; n=0; end=$(($(date +%s) + 60))
  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
	n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.05
  done; echo "$n $f" > "$tmp/loop" ) &
loop=$!
timeout 90 "$paved" -c plugins.deploy_rolling.max_surge=0 -c plugins.deploy_rolling.max_unavailable=1 \
	deploy payment-api 2>"$tmp/err" || { touch "$tmp/stoploop"; fail "v2 deploy: $(cat "$tmp/err")"; }
sleep 0.5; touch "$tmp/stoploop"; wait $loop
echo "request loop during the v2 deploy, maxSurge 0 maxUnavailable 1 (requests failed): $(cat "$tmp/loop")"
[ "$(cut -d' ' -f2 "$tmp/loop")" = 0 ] || fail "requests failed during the v2 deploy"
curl -sf -m 5 "$url/" | grep -q "v2 from" || fail "v2 not serving"
[ "$("$paved" status payment-api --json | grep -c '"version": "'"$(git -C payment-api rev-parse HEAD)"'"')" -ge 2 ] ||
	fail "v2 replicas: $("$paved" status payment-api)"
rm -f "$tmp/stoploop"
( f=0; n=0; end=$(($(date +%s) + 60))
  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
	n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.05
  done; echo "$n $f" > "$tmp/loop" ) &
loop=$!
timeout 90 "$paved" rollback payment-api >"$tmp/rb" 2>"$tmp/err" || { touch "$tmp/stoploop"; fail "rollback: $(cat "$tmp/err")"; }
sleep 0.5; touch "$tmp/stoploop"; wait $loop
cat "$tmp/rb"
echo "request loop during the rollback (requests failed): $(cat "$tmp/loop")"
[ "$(cut -d' ' -f2 "$tmp/loop")" = 0 ] || fail "requests failed during paved rollback"
curl -sf -m 5 "$url/" | grep -q "hello from" || fail "v1 not serving after rollback"
"$paved" events 2>/dev/null | grep -q "deploy.rolled_back" || fail "no deploy.rolled_back event"
"$paved" status payment-api --json | grep -q '"restored_at"' || fail "current is not the restored deployment"
if timeout 30 "$paved" rollback payment-api 2>"$tmp/err"; then fail "a second rollback had a target"; fi
grep -q "nothing to roll back to" "$tmp/err" || fail "message: $(cat "$tmp/err")"
"$paved" logs payment-api | grep -q listening || fail "logs"
"$paved" stop payment-api | grep -q "stopped dev/payment-api" || fail "stop"
echo ok
