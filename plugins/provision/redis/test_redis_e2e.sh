#!/bin/sh
# End to end: the redis local driver with real redis-servers in a
# temporary PAVED_HOME (stopped on exit, pass or fail).
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
command -v redis-server >/dev/null 2>&1 || { echo "redis-server not found: skipped"; exit 77; }
cd "$tmp"

# ping URL: AUTH + PING through the URL's port and password (no redis-cli needed)
rping() {
	python3 - "$1" "$2" <<'PY'
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), 2)
cmd = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else "PING"
s.sendall(("AUTH %s\r\n%s\r\n" % (u.password, cmd)).encode())
data = b""
while data.count(b"\r\n") < 2 and not data.startswith(b"-"):
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.decode().replace("\r\n", " ").strip())
PY
}

paved provision redis cache-dev --set eviction=lru --service payment-api
expect_rc 0 "provision redis"
expect_in "$out" 'Provisioned redis "cache-dev" (env dev, driver local, size small, $0.00/month)' "provision line"
sf="$PAVED_HOME/secrets/cache-dev.env"
[ "$(stat -c %a "$sf")" = 600 ] && pass "secret mode 600" || fail "secret mode"
url=$(sed -n 's/^REDIS_URL=//p' "$sf")
pw=$(echo "$url" | sed 's|^redis://default:\([^@]*\)@.*|\1|')
expect_in "$(rping "$url" PING)" "+OK +PONG" "the URL authenticates"
expect_in "$(rping "$url" "CONFIG GET maxmemory-policy")" "allkeys-lru" "eviction lru -> allkeys-lru"
expect_in "$(rping "$url" "CONFIG GET maxmemory")" "67108864" "size small -> 64mb"
nopw=$(echo "$url" | sed "s|$pw|wrong|")
expect_in "$(rping "$nopw" PING)" "WRONGPASS" "a wrong password is refused"
expect_not_in "$(ps -eo args)" "$pw" "the password is on no command line"
[ "$(stat -c %a "$PAVED_HOME/provision/redis/cache-dev/redis.conf")" = 600 ] &&
	pass "redis.conf mode 600" || fail "redis.conf mode"

paved provision redis cache-dev --set eviction=lru --service payment-api
expect_in "$out" 'Already provisioned redis "cache-dev"' "idempotent"

# --- bad input -------------------------------------------------------------
paved provision redis c2 --set eviction=sometimes
expect_rc 1 "bad eviction"
expect_in "$err" "invalid eviction 'sometimes': use lru, lfu, random, ttl, none or a Redis policy such as volatile-lru" "bad eviction message"
[ ! -e "$PAVED_HOME/provision/redis/c2" ] && pass "no dir for c2" || fail "c2 dir left"
paved provision redis c3 --size jumbo
expect_rc 1 "invalid size"
expect_in "$err" "invalid size 'jumbo' for redis: use small, medium or large" "invalid size message"
taken=$(sed 's|.*:\([0-9]*\)/0$|\1|' "$sf")
paved -c plugins.provision_redis.port="$taken" provision redis c4
expect_rc 1 "port taken"
expect_in "$err" "port 127.0.0.1:$taken is already in use; stop what listens there or set plugins.provision_redis.port to 0 (a free port)" "port taken message"
[ ! -e "$PAVED_HOME/provision/redis/c4" ] && [ ! -e "$PAVED_HOME/secrets/c4.env" ] && pass "nothing left for c4" || fail "c4 left"
paved -c plugins.provision_redis.redis_server=/nonexistent/redis-server provision redis c5
expect_rc 1 "no redis-server"
expect_in "$err" "cannot run redis-server: cannot run /nonexistent/redis-server: No such file or directory; install it (scripts/bootstrap does) or set plugins.provision_redis.redis_server" "no redis-server message"
[ ! -e "$PAVED_HOME/provision/redis/c5" ] && pass "nothing left for c5" || fail "c5 left"

# --- a name with shell metacharacters: argv only, quoted config -----------
evil="q'\"; \$(touch pwned) \`touch pwned2\` & x"
paved provision redis "$evil" --set eviction=lfu
expect_rc 0 "metacharacter name"
[ ! -e "$tmp/pwned" ] && [ ! -e "$tmp/pwned2" ] && pass "no shell ran the name" || fail "a shell ran"
eurl=$(sed -n 's/^REDIS_URL=//p' "$PAVED_HOME/secrets/$evil.env")
expect_in "$(rping "$eurl" "CONFIG GET dir")" "$PAVED_HOME/provision/redis/$evil" "its data dir"
paved resources destroy "$evil"
expect_rc 0 "destroy it"
[ ! -e "$PAVED_HOME/provision/redis/$evil" ] && pass "its data removed" || fail "data left"

# --- stop, destroy --------------------------------------------------------
paved resources stop
expect_in "$out" "Stopped 1 local server." "stop"
paved resources status cache-dev
expect_in "$out" "cache-dev: stopped" "status stopped"
paved resources start
expect_in "$out" "Started 1 local server." "start again"
expect_in "$(rping "$url" PING)" "+OK +PONG" "same URL answers after start"
paved resources destroy cache-dev
expect_rc 0 "destroy"
[ ! -e "$PAVED_HOME/provision/redis/cache-dev" ] && [ ! -e "$sf" ] && pass "data and secret removed" || fail "left"

paved --json events --tail 200
expect_in "$out" '"resource.destroyed"' "events"
if grep -qF "$pw" "$tmp/all-output" "$PAVED_HOME/logs/paved.log" 2>/dev/null; then
	fail "password in an output or the log"
else
	pass "no password in outputs, events or the log"
fi
finish
