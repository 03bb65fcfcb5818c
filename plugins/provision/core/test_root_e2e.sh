#!/bin/sh
# End to end as root (skipped otherwise): where the local servers live and
# whom they run as, and secrets in hostile homes.
#   - PostgreSQL runs as postgres and redis-server as redis (never root),
#     in /var/lib/paved/KIND-HASH keyed on the home's real path: "/x/" and
#     "/x" are one home with one cluster; the home links to it;
#   - after the home is removed, `paved resources stop` still finds and
#     stops them;
#   - a home other users may write is repaired with a warning; a secrets
#     directory another user made is refused before anything is made; a
#     file another user planted in a once world-writable secrets directory
#     is never written through; no other user can read a secret.
E2E_AS_ROOT=1
. "$top_srcdir/plugins/provision/common/e2e-lib.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "not root: skipped"
	exit 77
fi
need "$PGBIN/initdb" redis-server redis-cli python3
mkdir -p "$tmp/svc" "$tmp/x"
cd "$tmp/svc" || exit 99
printf 'service: svc\nresources:\n  db: {type: postgres}\n  cache: {type: redis, params: {eviction: lru}}\n' > platform.yaml

# registered KIND HOME: the /var/lib/paved/KIND-* directories naming HOME
registered() {
	for r in /var/lib/paved/"$1"-*/home; do
		[ -f "$r" ] && [ "$(cat "$r")" = "$2" ] && echo "${r%/home}"
	done
}
owner_of_pid() { ps -o user= -p "$1" | tr -d ' '; }

# --- one home however it is typed, servers as unprivileged users ---------
PAVED_HOME="$tmp/x/" run "$PAVED" apply
expect_rc 0 "apply with PAVED_HOME=$tmp/x/"
PAVED_HOME="$tmp/x" run "$PAVED" apply
expect_rc 0 "apply with PAVED_HOME=$tmp/x"
expect_in "$out" "Nothing to do: 2 resources up to date (env dev)." "the same resources"
pg=$(registered pg "$tmp/x")
expect_eq "$(echo "$pg" | grep -c .)" 1 "one cluster for the home"
expect_eq "$(echo "$(registered redis "$tmp/x")" | grep -c .)" 1 "one redis directory for the home"
expect_eq "$(readlink "$tmp/x/provision/postgres")" "$pg" "the home records where its cluster is"
expect_eq "$(owner_of_pid "$(head -n 1 "$pg/data/postmaster.pid")")" postgres "PostgreSQL runs as postgres"
rpid=$(cat "$tmp/x/provision/redis/svc-cache-dev/redis.pid")
expect_eq "$(owner_of_pid "$rpid")" redis "redis-server runs as redis, not root"
export PAVED_HOME="$tmp/x"
expect_eq "$(REDISCLI_AUTH=$(secret password svc-cache-dev) redis-cli -p "$(secret port svc-cache-dev)" CONFIG GET maxmemory-policy | tail -n 1)" \
	allkeys-lru "eviction reaches the server"
expect_eq "$("$PGBIN/psql" -X -A -t -q "$(secret url svc-db-dev)" -c "select current_user")" svc-db-dev "the URL connects"

# --- a home other users may write: repaired, with a warning --------------
chmod 0777 "$tmp/x"
printf 'service: svc\nresources:\n  db: {type: postgres, class: medium}\n  cache: {type: redis, params: {eviction: lru}}\n' > platform.yaml
paved apply
expect_rc 0 "apply in a world-writable home"
expect_in "$err" "the home (PAVED_HOME) $tmp/x had mode 0777 (other users could write it); it is now 0755" "warning"
expect_eq "$(stat -c %a "$tmp/x")" 755 "repaired"
for f in "$tmp"/x/secrets/*.json; do
	expect_eq "$(stat -c '%U %a' "$f")" "root 600" "$(basename "$f"): root's, 0600"
	runuser -u nobody -- cat "$f" >/dev/null 2>&1 && fail "nobody reads $f" || pass "nobody cannot read $(basename "$f")"
done

# --- a secrets directory another user made: refused, nothing made ---------
mkdir -p "$tmp/y/secrets" && chown nobody "$tmp/y/secrets"
PAVED_HOME="$tmp/y" run "$PAVED" apply
expect_rc 1 "secrets directory of another user"
expect_in "$err" "paved apply: cannot keep secrets in $tmp/y/secrets: the secrets directory belongs to uid 65534, not to you (uid 0); another user may have made it: remove it (paved makes it again)" "refusal message"
expect_eq "$(registered pg "$tmp/y")$(registered redis "$tmp/y")" "" "no server made for it"

# --- a once world-writable secrets directory with a planted file ---------
mkdir -p "$tmp/z/secrets" && chmod 0777 "$tmp/z/secrets"
runuser -u nobody -- sh -c "umask 0; touch '$tmp/z/secrets/svc-db-dev.json.tmp.1' && ln -s '$tmp/z/stolen' '$tmp/z/secrets/svc-db-dev.json'"
PAVED_HOME="$tmp/z" run "$PAVED" apply
expect_rc 0 "apply with a planted file and link"
expect_in "$err" "the secrets directory $tmp/z/secrets had mode 0777 (other users could write it); it is now 0700" "secrets directory repaired"
expect_eq "$(stat -c '%U %a %F' "$tmp/z/secrets/svc-db-dev.json")" "root 600 regular file" "the link was replaced by root's own file"
[ ! -e "$tmp/z/stolen" ] && pass "nothing written through the link" || fail "written through the link"
expect_eq "$(stat -c '%U %s' "$tmp/z/secrets/svc-db-dev.json.tmp.1")" "nobody 0" "the planted file got nothing"
PAVED_HOME="$tmp/z" run "$PAVED" resources stop

# --- the home is removed: stop still finds its servers --------------------
rm -rf "$tmp/x"
paved resources stop
expect_rc 0 "stop for a removed home"
expect_in "$out" "Stopped 2 local servers." "both servers found"
[ ! -e "$pg/data/postmaster.pid" ] && pass "the cluster stopped" || fail "the cluster still runs"
! kill -0 "$rpid" 2>/dev/null && pass "redis-server stopped" || fail "redis-server still runs"
finish
