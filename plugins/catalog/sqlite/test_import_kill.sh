#!/bin/sh
# test_import_kill.sh -- a `paved catalog import` killed with SIGKILL in the
# middle of writing leaves the state database as it was before: the
# previous catalog, the host's own tables, an intact file that the next
# import fills.  Two ways an import writes (import.c, schema.c):
#   - into an empty catalog, a big file goes through a rollback journal
#     (killed once pages are in the database file, the journal is "hot");
#   - into a catalog that holds entities, through the WAL.
# Needs python3 (its sqlite3 module reads the database beside paved).
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
PAVED="$top_builddir/host/paved"
GEN="$top_srcdir/plugins/catalog/sqlite/bench.sh"
[ -x "$PAVED" ] || { echo "FAIL: $PAVED not built"; exit 1; }
if ! command -v python3 >/dev/null; then
	[ "${CI:-}" = true ] && { echo "FAIL: python3 is missing (CI=true)"; exit 1; }
	echo "SKIP: python3 is missing"; exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/paved-catalog-kill.XXXXXX")
PAVED_HOME="$WORK/home"
export PAVED_HOME
PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$WORK"' EXIT
DB="$PAVED_HOME/paved.db"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

# sql QUERY: one value from the database, read by python's sqlite3
sql() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"
}
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# kill_when COND: start the big import, SIGKILL it once COND (shell code)
# holds; fails if the import ends first or COND never holds in 60 s
kill_when() {
	"$PAVED" -q catalog import "$WORK/big.yaml" >"$WORK/out" 2>&1 &
	pid=$!
	deadline=$(($(date +%s) + 60))
	while kill -0 "$pid" 2>/dev/null && ! eval "$1"; do
		[ "$(date +%s)" -lt "$deadline" ] || break
		sleep 0.01   # polling the condition, not waiting for it to happen
	done
	if ! kill -9 "$pid" 2>/dev/null; then
		fail "the import ended before it could be killed ($1): $(cat "$WORK/out")"
	fi
	wait "$pid" 2>/dev/null
	pid=
}

sh "$GEN" --generate 40000 "$WORK/big.yaml"
cat >"$WORK/small.yaml" <<'EOF'
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: {name: team-a}
spec: {type: team, children: []}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: keeper}
spec: {type: service, lifecycle: production, owner: team-a}
EOF

# --- an empty catalog: the rollback journal ---------------------------------
mkdir -p "$PAVED_HOME"
"$PAVED" -q catalog list >/dev/null || fail "catalog list on a new home"
start=$(size "$DB")
events=$(sql "SELECT count(*) FROM events")
# pages are in the database file and the journal that undoes them exists
kill_when "[ -e '$DB-journal' ] && [ \$(size '$DB') -gt $((start + 2000000)) ]"
[ -e "$DB-journal" ] && ok "killed with a hot journal" || fail "no journal left by the kill"
[ "$(sql "SELECT count(*) FROM catalog_entities")" = 0 ] &&
	ok "empty catalog after the kill" || fail "entities left by the killed import"
[ "$(sql "SELECT count(*) FROM catalog_refs") $(sql "SELECT count(*) FROM catalog_fts")" = "0 0" ] ||
	fail "refs or text rows left by the killed import"
[ "$(sql "SELECT count(*) FROM events")" = "$events" ] || fail "the host's events changed"
[ "$(sql "PRAGMA integrity_check")" = ok ] && ok "integrity_check" || fail "integrity_check"
"$PAVED" -q catalog import "$WORK/small.yaml" >"$WORK/out" 2>&1 || fail "import after the kill: $(cat "$WORK/out")"
[ "$(sql "PRAGMA journal_mode")" = wal ] && ok "back in WAL mode" || fail "not back in WAL mode"
[ "$("$PAVED" -q --json catalog list | grep -c '"apiVersion"')" = 2 ] || fail "small import after the kill"

# --- a catalog with entities: the WAL ------------------------------------------
kill_when "[ \$(size '$DB-wal') -gt 4000000 ]"
[ "$("$PAVED" -q --json catalog list | grep -c '"apiVersion"')" = 2 ] &&
	ok "the previous catalog is intact" || fail "the previous catalog changed"
"$PAVED" -q catalog show keeper >/dev/null || fail "keeper is gone"
[ "$(sql "PRAGMA integrity_check")" = ok ] && ok "integrity_check" || fail "integrity_check"

# --- and the big file imports whole after both kills -------------------------
"$PAVED" -q catalog import "$WORK/big.yaml" >"$WORK/out" 2>&1 || fail "big import: $(cat "$WORK/out")"
n=$("$PAVED" -q --json catalog list | grep -c '"apiVersion"')
[ "$n" = 40002 ] && ok "40,002 entities after the kills" || fail "$n entities, not 40002"
[ "$(sql "PRAGMA integrity_check")" = ok ] || fail "integrity_check at the end"

[ "$fails" -eq 0 ] && echo "PASS: test_import_kill.sh" || echo "$fails failures"
[ "$fails" -eq 0 ]
