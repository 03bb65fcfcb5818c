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
. "${top_srcdir:?run through make check}/plugins/runtime/process/services-lib.sh"
services_setup paved-deploy-e2e
pgbefore=$(ls /var/lib/paved 2>/dev/null || true)
cleanup() {
	[ -f "$tmp/stoploop" ] || touch "$tmp/stoploop" 2>/dev/null || true
	services_stop
	# the PostgreSQL cluster of the c-api + postgres golden path
	timeout 60 "$paved" resources stop >/dev/null 2>&1 || true
	if [ "$(id -u)" = 0 ]; then   # as root the cluster lives in /var/lib/paved/pg-HASH
		for d in $(ls /var/lib/paved 2>/dev/null); do
			echo "$pgbefore" | grep -qx "$d" || rm -rf "/var/lib/paved/$d"
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"

# the node-api golden path, with a PostgreSQL database where one can run
db=""
if { [ "$(id -u)" != 0 ] || { id postgres >/dev/null 2>&1 && command -v runuser >/dev/null 2>&1; }; } &&
   { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; }; then
	db="--database postgres"
else
	echo "node-api: PostgreSQL cannot run here, created without a database"
fi
out=$(timeout 180 "$paved" create service payment-api --template node-api $db </dev/null 2>&1) ||
	fail "create: $out"
echo "$out"
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || fail "no URL printed"
h=$(curl -sf -m 5 "$url/health") || fail "$url/health"
echo "node-api /health: $h"
echo "$h" | grep -q '"status":"ok"' || fail "$url/health: $h"
[ -z "$db" ] || echo "$h" | grep -q '"reachable":true' || fail "node-api database not reachable: $h"

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

# platform.yaml deploy: build (argv, no shell, in the release), run, replicas,
# and a strategy per env
cd payment-api
grep -q '^deploy:' platform.yaml && fail "platform.yaml already has a deploy section; adapt the test"
cp platform.yaml "$tmp/platform.yaml.orig"
printf 'deploy:\n  build: touch built-by-platform-yaml\n  run: node ./src/server.js\n  replicas: 3\n  strategy: {dev: rolling, production: bluegreen}\n' >> platform.yaml
git commit -qam "deploy section"
cd ..
timeout 90 "$paved" deploy payment-api 2>"$tmp/err" || fail "deploy with a deploy: section: $(cat "$tmp/err")"
"$paved" status payment-api --json > "$tmp/st"
[ "$(grep -c '"enabled": true' "$tmp/st")" = 3 ] || fail "deploy.replicas 3: $(cat "$tmp/st")"
grep -q '"run": "node ./src/server.js"' "$tmp/st" || fail "deploy.run not used: $(cat "$tmp/st")"
grep -q '"strategy": "rolling"' "$tmp/st" || fail "deploy.strategy.dev not used: $(cat "$tmp/st")"
rel=$(sed -n 's/.*"release": "\([^"]*\)".*/\1/p' "$tmp/st" | head -1)
[ -f "$rel/built-by-platform-yaml" ] || fail "deploy.build did not run in the release ($rel)"
curl -sf -m 5 "$url/" | grep -q "v2 from" || fail "the deploy: section version does not answer /"

# no free port: the only port allowed is the stable one, which HAProxy holds
port=${url##*:}
st=0; timeout 60 "$paved" -c plugins.runtime_process.ports="$port-$port" deploy payment-api 2>"$tmp/err" || st=$?
[ "$st" = 1 ] || fail "no free port: exit $st, not 1: $(cat "$tmp/err")"
cat "$tmp/err"
grep -q "no free port for a replica of dev/payment-api: every port of plugins.runtime_process.ports ($port-$port)" \
	"$tmp/err" || fail "message: $(cat "$tmp/err")"
curl -sf -m 5 "$url/" | grep -q "v2 from" || fail "the previous version stopped serving (no free port)"

# a build that fails: exit 1, a message naming the command and its last
# stderr line, the previous version keeps serving, the record says failed
cd payment-api
cp "$tmp/platform.yaml.orig" platform.yaml
printf 'deploy:\n  build: ls /nonexistent-build-input\n' >> platform.yaml
sed -i 's/v2 from /v3 from /' src/app.js
git commit -qam "failing build"
cd ..
st=0; timeout 60 "$paved" deploy payment-api 2>"$tmp/err" || st=$?
[ "$st" = 1 ] || fail "a failing build: exit $st, not 1: $(cat "$tmp/err")"
cat "$tmp/err"
grep -q "build command 'ls /nonexistent-build-input' failed" "$tmp/err" || fail "message: $(cat "$tmp/err")"
grep -q "nonexistent-build-input.*No such file" "$tmp/err" || fail "no stderr line: $(cat "$tmp/err")"
curl -sf -m 5 "$url/" | grep -q "v2 from" || fail "the previous version stopped serving"
"$paved" status payment-api --json > "$tmp/st"
sed -n '/"last_attempt"/,/}/p' "$tmp/st" | grep -q '"outcome": "failed"' || fail "record: $(cat "$tmp/st")"
"$paved" status payment-api | grep -q "last attempt: .* failed" || fail "status: $("$paved" status payment-api)"
"$paved" logs payment-api | grep -q listening || fail "logs"
"$paved" stop payment-api | grep -q "stopped dev/payment-api" || fail "stop"

# the c-api golden path with a PostgreSQL database: /health reports it reachable
if [ "$(id -u)" = 0 ] && { ! id postgres >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; }; then
	echo "c-api + postgres: skipped (root without a 'postgres' user or runuser)"
elif ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	echo "c-api + postgres: skipped (PostgreSQL not installed)"
elif ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
	echo "c-api + postgres: skipped (no make or cc)"
else
	out=$(timeout 180 "$paved" create service inventory-api --template c-api --database postgres </dev/null 2>&1) ||
		fail "create c-api --database postgres: $out"
	curl_url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
	[ -n "$curl_url" ] || fail "c-api: no URL printed: $out"
	h=$(curl -sf -m 5 "$curl_url/health") || fail "c-api $curl_url/health"
	echo "c-api + postgres /health: $h"
	echo "$h" | grep -q '"reachable":true' || fail "c-api database not reachable: $h"
	"$paved" stop inventory-api | grep -q "stopped dev/inventory-api" || fail "stop c-api"
	timeout 60 "$paved" resources stop >/dev/null || fail "resources stop"
fi

# HAProxy missing: the deploy step fails with a message naming the package,
# and the golden path undoes what it made
nb="$tmp/bin-without-haproxy"
mkdir -p "$nb"
for t in git node; do ln -s "$(command -v "$t")" "$nb/$t"; done
to=$(command -v timeout)
if out=$(PATH="$nb" PAVED_HOME="$tmp/home-nohap" "$to" 120 "$paved" create service nohap \
	--template node-api --dir "$tmp/nohap" </dev/null 2>&1); then
	fail "create without haproxy succeeded: $out"
fi
echo "$out" | grep -q "package 'haproxy'" || fail "no message naming the haproxy package: $out"
[ ! -e "$tmp/nohap" ] || fail "create without haproxy left $tmp/nohap behind"
echo "haproxy missing: $(echo "$out" | grep "package 'haproxy'" | head -n 1)"
echo ok
