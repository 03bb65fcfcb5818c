#!/bin/sh
# test_bluegreen_e2e.sh -- the strategy driver "bluegreen" for real (the
# node-api golden path behind HAProxy), with a request loop running across
# each step that must see zero failed requests:
#  1. a deploy whose strategy comes from platform.yaml's environments.dev
#     override switches traffic to the new colour; the old colour is kept,
#     out of traffic
#  2. paved rollback switches back to the kept colour at once
#  3. --strategy bluegreen (over platform.yaml's rolling) with a colour that
#     never becomes healthy: the live colour never leaves traffic, the new
#     one is removed, the outcome is rolled_back
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/deploy/core/deploy-lib.sh"
deploy_need git node curl haproxy
deploy_env
loop=
trap deploy_cleanup EXIT
P="$PAVED"

# start_loop: GET / through the stable port every 20 ms until stop_loop;
# the counts ("requests failed") are in $tmp/loop after every request.  It
# returns once 10 requests went through, stop_loop after 10 more: each
# operation is surrounded by traffic.
start_loop() {
	rm -f "$tmp/loop" "$tmp/stoploop"
	( f=0; n=0; end=$(($(date +%s) + 120))
	  while [ "$(date +%s)" -lt "$end" ] && [ ! -f "$tmp/stoploop" ]; do
		n=$((n + 1)); curl -sf -m 2 -o /dev/null "$url/" || f=$((f + 1)); sleep 0.02
		echo "$n $f" > "$tmp/loop.new"; mv "$tmp/loop.new" "$tmp/loop"
	  done ) &
	loop=$!
	loop_reaches 10
}
# loop_reaches N: wait (30 s at most) until the loop has made N requests.
loop_reaches() {
	_end=$(($(date +%s) + 30))
	until [ "$(cut -d' ' -f1 "$tmp/loop" 2>/dev/null || echo 0)" -ge "$1" ]; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}
stop_loop() {
	loop_reaches $(( $(cut -d' ' -f1 "$tmp/loop") + 10 ))
	touch "$tmp/stoploop"; wait "$loop" || true; loop=
	echo "request loop during $1 (requests, failed): $(cat "$tmp/loop")"
	[ "$(cut -d' ' -f2 "$tmp/loop")" = 0 ] && pass "no failed request during $1" ||
		fail "requests failed during $1"
}

run "$P" create service shop-api --template node-api --dir "$tmp/shop-api"
expect_rc 0 "create shop-api"
url=$(sed -n 's/^Your service is live at: //p' "$tmp/stdout")
curl -sf -m 5 "$url/" | grep -q "hello from" && pass "v1 answers /" || fail "v1 does not answer /"
v1=$(git -C "$tmp/shop-api" rev-parse HEAD | cut -c1-12)

# ---- 1. blue-green from platform.yaml (environments.dev) ----------------------------------------
cd "$tmp/shop-api" || exit 99
sed -i 's/hello from /v2 from /' src/app.js
printf 'environments:\n  dev:\n    deploy: {strategy: bluegreen}\n' >> platform.yaml
git commit -qam "v2 marker, blue-green in dev"
v2=$(git rev-parse HEAD | cut -c1-12)
cd "$tmp" || exit 99
start_loop
run "$P" deploy shop-api --dir "$tmp/shop-api"
stop_loop "the blue-green switch"
expect_rc 0 "blue-green deploy"
expect_out "Deployed shop-api version $v2 to dev (bluegreen, 2 replicas" "the strategy came from environments.dev"
curl -sf -m 5 "$url/" | grep -q "v2 from" && pass "v2 serves after the switch" || fail "v2 not serving"
run "$P" --json status shop-api
[ "$(jget 'j[0].instances.filter(r => !r.in_traffic && r.version === "'"$v1"'").length')" = 2 ] &&
	pass "the old colour is kept, out of traffic" || fail "old colour: $(cat "$tmp/stdout")"

# ---- 2. rollback: an instant switch back ---------------------------------------------------------
start_loop
run "$P" rollback shop-api
stop_loop "the rollback"
expect_rc 0 "rollback"
expect_out "instant switch to the replicas kept out of traffic" "the rollback switched back to the kept colour"
curl -sf -m 5 "$url/" | grep -q "hello from" && pass "v1 serves after the rollback" || fail "v1 not serving"
run "$P" --json releases shop-api --limit 1
[ "$(jget 'j[0].trigger + " " + j[0].strategy + " " + j[0].version')" = "rollback bluegreen $v1" ] &&
	pass "recorded: a bluegreen rollback to $v1" || fail "record: $(cat "$tmp/stdout")"

# ---- 3. --strategy bluegreen with a colour that never becomes healthy ------------------------------
cd "$tmp/shop-api" || exit 99
sed -i 's|^async function main() {|async function main() {\n  if (!process.env.NEVER) { setInterval(() => {}, 1000); return; }|' src/server.js
sed -i 's/strategy: bluegreen/strategy: rolling/' platform.yaml
git commit -qam "never healthy"
cd "$tmp" || exit 99
start_loop
run "$P" -c plugins.deploy.health_timeout=3 deploy shop-api --strategy bluegreen --dir "$tmp/shop-api"
stop_loop "a failed blue-green deploy"
expect_rc 1 "a colour that never becomes healthy"
expect_err "the live colour never left traffic" "the reason"
expect_err "in traffic now: version $v1 (2 replicas)" "v1 still in traffic, as the runtime says"
curl -sf -m 5 "$url/" | grep -q "hello from" && pass "v1 serves" || fail "v1 not serving after the failed deploy"
run "$P" --json status shop-api
[ "$(jget 'j[0].instances.filter(r => r.in_traffic).length + " " + j[0].instances.filter(r => r.version !== "'"$v1"'").length')" = "2 0" ] &&
	pass "two v1 replicas in traffic, the new colour gone" || fail "replicas: $(cat "$tmp/stdout")"
run "$P" --json releases shop-api --limit 1
[ "$(jget 'j[0].outcome + " " + j[0].strategy')" = "rolled_back bluegreen" ] &&
	pass "recorded: rolled_back" || fail "record: $(cat "$tmp/stdout")"
finish
