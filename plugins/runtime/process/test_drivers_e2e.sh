#!/bin/sh
# test_drivers_e2e.sh -- two runtime drivers side by side, chosen per env by
# configuration: drivers.runtime = {"default": "process", "qa": "direct"}.
# The same small HTTP program (python3 -m http.server) runs in env dev on
# the process driver (supervised, behind HAProxy) and in env qa on the
# test driver "direct" (tests/plugins/rt_direct.c: one process on a stable
# port, no proxy), both started through the fronts (runtime.ensure, start,
# wait, enable), both answering at once; then both are stopped.
. "$top_srcdir/tests/e2e/lib.sh"
. "$top_srcdir/plugins/runtime/process/rt-lib.sh"

RT_PLUGINS=$(plugin_dir rt_direct)
cat >"$PAVED_HOME/config.json" <<'EOF'
{"drivers": {"runtime": {"default": "process", "qa": "direct"}}}
EOF
serve='["sh", "-c", "exec python3 -m http.server --bind 127.0.0.1 \"$PORT\""]'

run "$PAVED" --plugin-path "$RT_PLUGINS" hooks
expect_out "runtime.driver.direct.start" "the direct driver is installed"
expect_out "runtime.driver.process.start" "beside the process driver"

for env in dev qa; do
	site="$tmp/site-$env"
	mkdir -p "$site"
	echo "hello from $env" >"$site/index.html"
	echo ok >"$site/health"
	call runtime.ensure "{\"service\": \"web\", \"env\": \"$env\"}"
	expect_rc 0 "ensure web in $env"
	eval "url_$env=\$(jget 'j[\"url\"]')"
	call runtime.start "{\"service\": \"web\", \"env\": \"$env\", \"version\": \"v1\", \"dir\": \"$site\", \"argv\": $serve}"
	expect_rc 0 "start web in $env"
	id=$(jget 'j["id"]')
	eval "port_$env=\$(jget 'j[\"port\"]')"
	call runtime.wait "{\"service\": \"web\", \"env\": \"$env\", \"id\": \"$id\", \"timeout\": 20}"
	expect_rc 0 "wait web in $env"
	call runtime.enable "{\"service\": \"web\", \"env\": \"$env\", \"id\": \"$id\"}"
	expect_rc 0 "enable web in $env"
done

# the process driver answers through HAProxy, the direct one on its own port
[ "$url_dev" != "http://127.0.0.1:$port_dev" ] && pass "dev: the front door is not the replica's port" \
	|| fail "dev: $url_dev = replica port"
[ "$url_qa" = "http://127.0.0.1:$port_qa" ] && pass "qa: the front door is the process's own port" \
	|| fail "qa: $url_qa vs $port_qa"
[ "$(http "$url_dev/")" = "hello from dev" ] && pass "dev answers (process driver)" || fail "dev: $(http "$url_dev/")"
[ "$(http "$url_qa/")" = "hello from qa" ] && pass "qa answers (direct driver) at the same time" \
	|| fail "qa: $(http "$url_qa/")"
[ "$(http "$url_dev/")" = "hello from dev" ] && pass "dev still answers" || fail "dev after qa"
sup=$(cat "$PAVED_HOME/runtime/dev/web/supervisor.pid")
[ "$(ps -o args= -p "$sup")" = "paved-supervisor web dev" ] && pass "dev runs under paved-supervisor" || fail "no supervisor"
[ ! -e "$PAVED_HOME/runtime/qa" ] && pass "the process driver has nothing of qa" || fail "runtime/qa exists"
[ "$(haproxy_cmd 'show servers state' | grep -c 'be\.qa\.')" = 0 ] && pass "HAProxy has no qa backend" || fail "qa in HAProxy"

call runtime.status '{"env": "dev"}'
[ "$(jget '(j[0]["running"], j[0]["url"])')" = "[true, \"$url_dev\"]" ] && pass "status dev (process)" || { fail "status dev"; show; }
call runtime.status '{"env": "qa"}'
[ "$(jget '(j[0]["running"], j[0]["url"])')" = "[true, \"$url_qa\"]" ] && pass "status qa (direct)" || { fail "status qa"; show; }
call runtime.weights '{"service": "web", "env": "qa", "weights": {"d1": 5}}'
expect_rc 4 "a verb the direct driver lacks"
expect_err "the runtime driver 'direct' (chosen by drivers.runtime) does not implement 'weights'" \
	"the front names the driver and the verb"

# stop both, each through its driver
call runtime.stop '{"service": "web", "env": "dev"}'
expect_rc 0 "stop web in dev"
call runtime.stop '{"service": "web", "env": "qa"}'
expect_rc 0 "stop web in qa"
[ "$(jget 'j["stopped"]')" = 1 ] && pass "the direct driver stopped its service" || { fail "qa stop"; show; }
[ "$(http_code "$url_dev/")" != 200 ] && pass "dev no longer answers" || fail "dev still answers"
[ "$(http_code "$url_qa/")" = 000 ] && pass "qa no longer answers" || fail "qa still answers"
[ -z "$(procs_under "$tmp/site-dev" "$tmp/site-qa")" ] && pass "no process of either is left" \
	|| fail "left: $(procs_under "$tmp/site-dev" "$tmp/site-qa")"
finish
