#!/bin/sh
# End to end: the redis-local driver with real redis-servers in a
# temporary PAVED_HOME (stopped on exit, pass or fail): eviction and class
# reach the server (redis-cli CONFIG GET), change in place and survive a
# restart; data needs a confirmation to be destroyed; a kill -9 after the
# server started leaves nothing wedged; bad input is refused with its
# message and leaves nothing behind.
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
need redis-server redis-cli python3
mkdir -p "$tmp/shop"
cd "$tmp/shop" || exit 99

# rcli NAME ARGS...: redis-cli against resource NAME with its password
rcli() {
	name=$1
	shift
	REDISCLI_AUTH=$(secret password "$name") redis-cli -h 127.0.0.1 -p "$(secret port "$name")" "$@" 2>&1
}

# --- the golden path's cache: eviction: lru reaches redis -------------------
cat > platform.yaml <<'EOF'
service: shop
resources:
  cache: {type: redis, class: small, params: {eviction: lru}}
EOF
paved apply
expect_rc 0 "apply"
expect_in "$out" ' +   cache redis "shop-cache-dev"  created (redis-local, small, $0.00/month)' "apply line"
sf="$PAVED_HOME/secrets/shop-cache-dev.json"
expect_eq "$(stat -c %a "$sf")" 600 "secret mode 600"
url=$(secret url shop-cache-dev)
pw=$(secret password shop-cache-dev)
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" allkeys-lru "eviction: lru -> allkeys-lru"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory | tail -n 1)" 67108864 "class small -> 64mb"
expect_eq "$(redis-cli -u "$url" --no-auth-warning PING 2>&1)" PONG "the URL authenticates"
expect_in "$(REDISCLI_AUTH=wrong redis-cli -p "$(secret port shop-cache-dev)" PING 2>&1)" "WRONGPASS" "a wrong password is refused"
expect_not_in "$(ps -eo args)" "$pw" "the password is on no command line"
conf="$PAVED_HOME/provision/redis/shop-cache-dev/redis.conf"
expect_eq "$(stat -c %a "$conf")" 600 "redis.conf mode 600"
paved apply
expect_in "$out" "Nothing to do: 1 resource up to date (env dev)." "idempotent"

# --- changed in place: CONFIG SET and the file -------------------------------
sed -i 's/class: small, params: {eviction: lru}/class: medium, params: {eviction: volatile-ttl, persistence: aof}/' platform.yaml
paved apply --dry-run
expect_rc 2 "pending changes"
expect_in "$out" ' ~   cache redis "shop-cache-dev"  will be updated in place: class: small -> medium, params.eviction: lru -> volatile-ttl, params.persistence: (none) -> aof' "update plan line"
paved apply
expect_rc 0 "update applied"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" volatile-ttl "eviction changed on the running server"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory | tail -n 1)" 268435456 "class medium -> 256mb"
expect_eq "$(rcli shop-cache-dev CONFIG GET appendonly | tail -n 1)" yes "persistence: aof"
expect_in "$(cat "$conf")" "maxmemory-policy volatile-ttl" "and in its configuration file"
paved resources stop
expect_in "$out" "Stopped 1 local server." "stop"
paved resources status shop-cache-dev
expect_in "$out" "shop-cache-dev: stopped" "status stopped"
paved resources start
expect_in "$out" "Started 1 local server." "start again"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" volatile-ttl "the change survived a restart"
expect_eq "$(redis-cli -u "$url" --no-auth-warning PING 2>&1)" PONG "same URL answers after start"

# --- refused changes: the field and both values, nothing changed -----------
sed -i 's/eviction: volatile-ttl/eviction: sometimes/' platform.yaml
paved apply
expect_rc 1 "bad eviction"
expect_in "$err" "resource 'shop-cache-dev': params.eviction: volatile-ttl -> sometimes is not an eviction policy (lru, lfu, random, ttl, none or a Redis policy such as volatile-lru)" "bad eviction message"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" volatile-ttl "unchanged"
sed -i 's/eviction: sometimes/eviction: lru/' platform.yaml

# --- data: destroy asks ------------------------------------------------------
rcli shop-cache-dev SET k v >/dev/null
paved resources status shop-cache-dev
expect_in "$out" "(holds data)" "status: holds data"
paved resources destroy shop-cache-dev < /dev/null
expect_rc 1 "destroy of data refused without a terminal"
expect_in "$err" "refusing to destroy 'shop-cache-dev', which holds data" "refusal"
expect_eq "$(rcli shop-cache-dev GET k)" v "the data is still there"

# --- kill -9 after the server started: the rerun adopts it ------------------
paved resources destroy shop-cache-dev --yes
expect_rc 0 "destroyed with --yes"
[ ! -e "$PAVED_HOME/provision/redis/shop-cache-dev" ] && [ ! -e "$sf" ] && pass "data and secret removed" || fail "left"
PAVED_TEST_FAULT=redis.after_start run "$PAVED" apply
expect_rc 137 "killed after the server started"
olddir="$PAVED_HOME/provision/redis/shop-cache-dev"
oldpid=$(cat "$olddir/redis.pid")
kill -0 "$oldpid" && pass "a server was left running" || fail "no server left"
paved apply
expect_rc 0 "the rerun adopts it"
! kill -0 "$oldpid" 2>/dev/null && pass "the left server was stopped" || fail "the left server still runs"
expect_eq "$(rcli shop-cache-dev PING)" PONG "the new server answers"
newpid=$(cat "$olddir/redis.pid")
[ "$newpid" != "$oldpid" ] && kill -0 "$newpid" && pass "one server of its own, none orphaned" || fail "pids $oldpid $newpid"
expect_eq "$(rcli shop-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" allkeys-lru "as declared"

# killed right after its directory was made: `resources destroy` rolls it back
PAVED_TEST_FAULT=redis.after_dir run "$PAVED" provision redis half-cache
expect_rc 137 "killed after the directory"
[ -d "$PAVED_HOME/provision/redis/half-cache" ] && pass "a half-made directory" || fail "no directory"
paved resources destroy half-cache
expect_rc 0 "destroy of the interrupted create"
expect_in "$out" ' ✓ Destroyed "half-cache" (an interrupted create, rolled back)' "rolled back"
[ ! -e "$PAVED_HOME/provision/redis/half-cache" ] && pass "its directory is gone" || fail "directory left"

# --- bad input -------------------------------------------------------------
paved provision redis c2 --param eviction=sometimes
expect_rc 1 "bad eviction (provision)"
expect_in "$err" "resource 'c2': params.eviction 'sometimes' is not an eviction policy (lru, lfu, random, ttl, none or a Redis policy such as volatile-lru)" "bad eviction message"
[ ! -e "$PAVED_HOME/provision/redis/c2" ] && pass "no dir for c2" || fail "c2 dir left"
paved provision redis c3 --class jumbo
expect_rc 1 "invalid class"
expect_in "$err" "resource 'c3': class 'jumbo' is not a known class (small, medium, large)" "invalid class message"
taken=$(secret port shop-cache-dev)
paved -c plugins.provision_redis.port="$taken" provision redis c4
expect_rc 1 "port taken"
expect_in "$err" "port 127.0.0.1:$taken is already in use; stop what listens there or set plugins.provision_redis.port to 0 (a free port)" "port taken message"
[ ! -e "$PAVED_HOME/provision/redis/c4" ] && [ ! -e "$PAVED_HOME/secrets/c4.json" ] && pass "nothing left for c4" || fail "c4 left"
paved -c plugins.provision_redis.redis_server=/nonexistent/redis-server provision redis c5
expect_rc 1 "no redis-server"
expect_in "$err" "cannot run redis-server: cannot run /nonexistent/redis-server: No such file or directory; install it (scripts/bootstrap does) or set plugins.provision_redis.redis_server" "no redis-server message"
[ ! -e "$PAVED_HOME/provision/redis/c5" ] && pass "nothing left for c5" || fail "c5 left"
mkdir -p "$PAVED_HOME/provision/redis/c6" && echo mine > "$PAVED_HOME/provision/redis/c6/notes"
paved provision redis c6
expect_rc 1 "a directory paved did not make"
expect_in "$err" "$PAVED_HOME/provision/redis/c6 already exists and paved did not make it: a redis-server paved does not know about? remove it, then try again" "foreign directory message"
expect_eq "$(cat "$PAVED_HOME/provision/redis/c6/notes")" mine "it is kept"

# --- a path with shell metacharacters: argv only, quoted config -------------
evil="q'\"; \$(touch pwned) \`touch pwned2\` & x"
mkdir -p "$tmp/$evil"
PAVED_HOME="$tmp/$evil/home" run "$PAVED" provision redis evil-cache --param eviction=lfu
expect_rc 0 "a home with metacharacters"
[ ! -e "$tmp/shop/pwned" ] && [ ! -e "$tmp/shop/pwned2" ] && pass "no shell ran the path" || fail "a shell ran"
expect_in "$(PAVED_HOME="$tmp/$evil/home" rcli evil-cache CONFIG GET dir)" "$tmp/$evil/home/provision/redis/evil-cache" "its data dir"
PAVED_HOME="$tmp/$evil/home" run "$PAVED" resources destroy evil-cache --yes
expect_rc 0 "destroy it"
PAVED_HOME="$tmp/$evil/home" run "$PAVED" resources stop

# --- the golden path's skeleton: its platform.yaml's eviction reaches redis -----
if command -v git >/dev/null 2>&1 &&
	[ "$(stat -c %A "$top_srcdir/scripts/golden-paths/node-api/skeleton" | cut -c3)" = w ]; then
	paved create service cart --template node-api --database redis --no-deploy --dir "$tmp/cart"
	expect_rc 0 "golden path with --database redis"
	paved apply "$tmp/cart"
	expect_rc 0 "apply of its platform.yaml"
	expect_in "$out" '"cart-cache-dev"  unchanged (redis-local, small)' "its cache, made by the golden path"
	expect_eq "$(rcli cart-cache-dev CONFIG GET maxmemory-policy | tail -n 1)" allkeys-lru \
		"the skeleton's eviction: lru reaches redis"
else
	echo "git missing or a read-only skeleton: golden path check skipped"
fi

paved --json events --tail 200
expect_in "$out" '"resource.destroyed"' "events"
expect_in "$out" '"resource.updated"' "update events"
if grep -qF "$pw" "$tmp/all-output" "$PAVED_HOME/logs/paved.log" 2>/dev/null; then
	fail "password in an output or the log"
else
	pass "no password in outputs, events or the log"
fi
paved resources stop
finish
