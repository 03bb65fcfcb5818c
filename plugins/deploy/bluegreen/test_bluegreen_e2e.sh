#!/bin/sh
# End to end: a blue-green deploy chosen by platform.yaml switches traffic
# with zero failed requests in a loop running across it; paved rollback
# switches back instantly (the old colour is still up); with --strategy
# bluegreen (over platform.yaml's rolling) a never-healthy colour never goes
# live and no request fails.  Fresh PAVED_HOME.
set -eu
: "${top_builddir:?run through make check}"
paved="$top_builddir/host/paved"
fail() { echo "FAIL: $*" >&2; [ -f "${tmp:-/nonexistent}/err" ] && cat "$tmp/err" >&2; exit 1; }
command -v haproxy >/dev/null 2>&1 ||
	fail "haproxy not found: install the Debian package 'haproxy' (scripts/bootstrap does)"
command -v node >/dev/null 2>&1 || fail "node not found (scripts/bootstrap installs it)"
command -v curl >/dev/null 2>&1 || { echo "curl not found: skipped"; exit 77; }
. "${top_srcdir:?run through make check}/plugins/runtime/process/services-lib.sh"
services_setup paved-bg-e2e
loop=
trap services_cleanup EXIT
trap 'exit 1' INT TERM
cd "$tmp"

# start_loop SECONDS: GET / through the stable port until stopped or SECONDS pass
start_loop() {
	rm -f "$tmp/loop" "$tmp/stoploop"
	( f=0; n=0; end=$(($(date +%s) + $1))
	  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
		n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.02
	  done; echo "$n $f" > "$tmp/loop" ) &
	loop=$!
}
stop_loop() {
	sleep 0.5; touch "$tmp/stoploop"; wait "$loop" || true; loop=
	echo "request loop ($1; requests failed): $(cat "$tmp/loop")"
	[ "$(cut -d' ' -f2 "$tmp/loop")" = 0 ] || fail "requests failed during $1"
}

out=$(timeout 120 "$paved" create service shop-api --template node-api) || fail "create: $out"
url=$(echo "$out" | sed -n 's/^Your service is live at: //p')
[ -n "$url" ] || fail "no URL printed: $out"
curl -sf -m 5 "$url/" | grep -q "hello from" || fail "v1 does not answer /"

# v2: a marker on /, and the strategy from platform.yaml
cd shop-api
sed -i 's/hello from /v2 from /' src/app.js
if [ -f platform.yaml ] && grep -q '^deploy:' platform.yaml; then
	fail "platform.yaml already has a deploy section; adapt the test"
fi
printf 'deploy:\n  strategy: {dev: bluegreen, production: rolling}\n' >> platform.yaml
git add -A && git commit -qm "v2 marker, blue-green"
cd ..
start_loop 60
timeout 90 "$paved" deploy shop-api --dir "$tmp/shop-api" 2>"$tmp/err" || fail "bluegreen deploy"
stop_loop "the blue-green switch"
curl -sf -m 5 "$url/" | grep -q "v2 from" || fail "v2 not serving after the switch"
"$paved" status shop-api --json > "$tmp/st"
grep -q '"strategy": "bluegreen"' "$tmp/st" || fail "record strategy: $(cat "$tmp/st")"
[ "$(grep -c '"enabled": false' "$tmp/st")" = 2 ] || fail "old colour not kept: $(cat "$tmp/st")"

# rollback: instant switch back to the kept colour, no failed request
start_loop 60
timeout 30 "$paved" rollback shop-api > "$tmp/rb" 2>"$tmp/err" || fail "rollback"
stop_loop "the rollback"
cat "$tmp/rb"
grep -q "instant switch" "$tmp/rb" || fail "rollback was not instant: $(cat "$tmp/rb")"
curl -sf -m 5 "$url/" | grep -q "hello from" || fail "v1 not serving after rollback"
"$paved" status shop-api --json > "$tmp/st"
grep -q '"enabled": false' "$tmp/st" && fail "rolled-back colour still running"
timeout 10 "$paved" rollback shop-api >/dev/null 2>&1 && fail "a second rollback had a target" || true

# --strategy bluegreen with a new colour that never becomes healthy: the live
# colour never leaves traffic, no request fails, the new colour is gone
cd shop-api
sed -i 's|^async function main() {|async function main() {\n  if (!process.env.NEVER) { setInterval(() => {}, 1000); return; }|' src/server.js
printf 'deploy:\n  strategy: rolling\n' > platform.yaml.new && sed '/^deploy:/,$d' platform.yaml >> platform.yaml.new
mv platform.yaml.new platform.yaml
git commit -qam "never healthy"
cd ..
start_loop 60
if timeout 60 "$paved" -c plugins.deploy_rolling.health_timeout=3 deploy shop-api --strategy bluegreen \
	--dir "$tmp/shop-api" 2>"$tmp/err"; then
	fail "a never-healthy colour went live"
fi
stop_loop "a failed blue-green deploy"
grep -q "rolled back" "$tmp/err" || fail "message: $(cat "$tmp/err")"
curl -sf -m 5 "$url/" | grep -q "hello from" || fail "v1 not serving after the failed deploy"
"$paved" status shop-api --json > "$tmp/st"
[ "$(grep -c '"enabled": true' "$tmp/st")" = 2 ] && ! grep -q '"enabled": false' "$tmp/st" ||
	fail "replicas after the failed deploy: $(cat "$tmp/st")"
"$paved" stop shop-api | grep -q "stopped dev/shop-api" || fail "stop"
echo ok
