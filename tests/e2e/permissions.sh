#!/bin/bash
# End to end (issue #12's standing permissions check), as root with a second,
# unprivileged user (nobody):
#   - after a golden path with a PostgreSQL database, nobody can read no
#     secret, no URL and no state: not the secrets, not the runtime's specs
#     (they hold DATABASE_URL), not the state database, not through paved;
#   - nobody cannot plant a plugin: a plugin nobody owns, or one in a
#     directory nobody can write, is refused and never runs.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v runuser >/dev/null 2>&1; then
	[ "${CI:-}" = true ] && { echo "FAIL: this check runs as root with runuser under CI=true"; exit 1; }
	echo "SKIP: needs root and runuser"; exit 77
fi
for prog in git node haproxy; do
	command -v "$prog" >/dev/null 2>&1 ||
		{ [ "${CI:-}" = true ] && { echo "FAIL: $prog is missing under CI=true"; exit 1; }
		  echo "SKIP: $prog is not installed"; exit 77; }
done
cleanup() {
	"$PAVED" stop --all >/dev/null 2>&1
	"$PAVED" resources stop >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
chmod 755 "$tmp"            # nobody may look around, as on a shared machine
as_nobody() { runuser -u nobody -- "$@"; }

cd "$tmp" || exit 99
run "$PAVED" create service vault --template node-api --database postgres --dir "$tmp/vault"
expect_rc 0 "a service with a database"
run "$PAVED" resources show vault-db-dev --show-secrets
secret=$(printf '%s\n' "$out" | grep -o 'postgresql://[^ ]*' | head -n 1)
password=$(printf '%s' "$secret" | sed -n 's#postgresql://[^:]*:\([^@]*\)@.*#\1#p')
[ -n "$password" ] && pass "root sees the URL (and its password)" || { fail "no URL for root"; show; }

# every file under PAVED_HOME that holds the password, and the state database
holders=$(grep -rlF -- "$password" "$PAVED_HOME" 2>/dev/null)
[ -n "$holders" ] && pass "the password is kept in $(echo "$holders" | wc -l) file(s)" || fail "no file holds it?"
for f in $holders "$PAVED_HOME/paved.db" $(find "$PAVED_HOME/runtime" -name spec.json 2>/dev/null); do
	if as_nobody cat "$f" >/dev/null 2>&1; then
		fail "nobody can read $f"
	else
		pass "nobody cannot read ${f#$PAVED_HOME/}"
	fi
done
if as_nobody grep -rqF -- "$password" "$PAVED_HOME" 2>/dev/null; then
	fail "nobody finds the password somewhere under PAVED_HOME"
else
	pass "nobody finds the password nowhere under PAVED_HOME"
fi
run as_nobody env PAVED_HOME="$PAVED_HOME" "$PAVED" resources show vault-db-dev --show-secrets
[ "$rc" -ne 0 ] && ! grep -qF -- "$password" "$tmp/stdout" "$tmp/stderr" &&
	pass "paved run by nobody on root's home shows no secret (exit $rc)" || { fail "paved gave nobody the secret"; show; }
# the process environments hold it too: nobody must not read them
rep=$(pgrep -f "paved-supervisor vault dev" | head -n 1)
if [ -n "$rep" ]; then
	for p in $(pgrep -P "$rep"); do
		as_nobody cat "/proc/$p/environ" >/dev/null 2>&1 && fail "nobody reads replica $p's environment" ||
			pass "nobody cannot read replica $p's environment"
	done
fi

# ---- nobody cannot plant a plugin ---------------------------------------------------------
evil="$tmp/evil"
mkdir "$evil" && chown nobody "$evil"
as_nobody sh -c "cat > '$evil/evil.lua'" <<LUA
return { name = "evil", version = "1", summary = "planted",
  init = function() paved.provide("evil.run", function() return {} end) end }
LUA
run env PAVED_PLUGIN_PATH="$evil" "$PAVED" --json plugins show evil
expect_rc 0 "root lists the planted plugin"
expect_out '"status": "failed"' "it is refused"
expect_out "is owned by another user" "because nobody owns it"
run env PAVED_PLUGIN_PATH="$evil" "$PAVED" call evil.run
expect_rc 4 "its hook is not there"

# a plugin root owns, in a directory everyone may write: refused too
open="$tmp/open"
mkdir "$open" && chmod 1777 "$open"
cp "$evil/evil.lua" "$open/evil2.lua" && sed -i 's/"evil"/"evil2"/; s/evil.run/evil2.run/' "$open/evil2.lua"
chown root "$open/evil2.lua"
run env PAVED_PLUGIN_PATH="$open" "$PAVED" --json plugins show evil2
expect_out "is writable by other users" "a plugin in a world-writable directory is refused"
# and nobody cannot write into the directories paved loads plugins from
for d in $("$PAVED" config path | sed -n 's/^plugin path: //p' | tr ':' ' '); do
	[ -d "$d" ] || continue
	if as_nobody touch "$d/.planted" 2>/dev/null; then
		fail "nobody can write into the plugin directory $d"; rm -f "$d/.planted"
	else
		pass "nobody cannot write into $d"
	fi
done

finish
