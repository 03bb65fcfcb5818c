#!/bin/sh
# test_e2e.sh -- drives `paved catalog ...` end to end on a temporary
# PAVED_HOME: Backstage's example catalog, every command with --help and
# --json, bad input with the exact message and nothing imported.
# Skips (77) when the test data is absent.
set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${PAVED_TESTDATA:=${top_srcdir:-$top_builddir}/../shared/testdata}"
EX="$PAVED_TESTDATA/backstage-examples/catalog"
PAVED="$top_builddir/host/paved"
if [ ! -d "$EX" ]; then
	[ "${CI:-}" = true ] && { echo "FAIL: no test data at $EX (CI=true: a missing data set fails)"; exit 1; }
	echo "SKIP: no test data at $EX"; exit 77
fi
[ -x "$PAVED" ] || { echo "FAIL: $PAVED not built"; exit 1; }

PAVED_HOME=$(mktemp -d "${TMPDIR:-/tmp}/paved-catalog-e2e.XXXXXX")
export PAVED_HOME
PAVED_CHECK_SHAPES=1   # every call checked against sdk/hooks.json
export PAVED_CHECK_SHAPES
trap 'rm -rf "$PAVED_HOME"' EXIT
OUT="$PAVED_HOME/out"
ERR="$PAVED_HOME/err"
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
# run EXPECTED-EXIT ARGS...: run paved catalog, keep stdout/stderr
run() {
	want=$1; shift
	"$PAVED" -q catalog "$@" >"$OUT" 2>"$ERR"
	got=$?
	[ "$got" -eq "$want" ] || { fail "paved catalog $* exited $got, not $want"; cat "$ERR"; }
}
# has FILE TEXT: FILE contains the fixed string TEXT
has() { grep -qF -- "$2" "$1" || { fail "expected '$2' in: $(head -c 2000 "$1")"; }; }
count() { "$PAVED" -q --json catalog list "$@" | grep -c '"apiVersion"'; }

# --- help: every command has a manual page ---------------------------------
for c in import validate export show list deps rdeps graph search cost owners check delete; do
	run 0 "$c" --help
	has "$OUT" "Usage: paved catalog $c"
	has "$OUT" "Options:"
done
run 0 --help
has "$OUT" "Commands:"
[ ! -e "$PAVED_HOME/paved.db" ] || sqlite3 "$PAVED_HOME/paved.db" .tables 2>/dev/null |
	grep -q catalog_ && fail "--help created the catalog tables"
run 2 frobnicate
has "$ERR" "paved catalog: unknown subcommand 'frobnicate' (use import, validate, export,"
has "$ERR" "Try 'paved catalog --help'."
run 2 list --colour red
has "$ERR" "paved catalog: list: unknown option '--colour'"
run 2 deps --depth x artist-lookup
has "$ERR" "paved catalog: deps: option --depth expects a whole number, not 'x'"
run 2 show
has "$ERR" "paved catalog: show: a NAME is required"

# --- import through the Location files ----------------------------------------
run 0 validate "$EX/acme-corp.yaml" "$EX"/all-*.yaml
has "$OUT" "valid: 52 entities in 34 files"
[ "$(count)" -eq 0 ] || fail "validate wrote entities"
run 0 import "$EX/acme-corp.yaml" "$EX"/all-*.yaml "$EX/apis"
has "$OUT" "imported 58 entities (58 new, 0 unchanged) from 42 files"
run 0 import "$EX/acme-corp.yaml" "$EX"/all-*.yaml "$EX/apis"
has "$OUT" "imported 58 entities (0 new, 58 unchanged) from 42 files"
run 1 check
has "$OUT" "dangling: component:default/petstore providesApi api:default/hello-world (no such entity)"
has "$OUT" "problems found: 58 entities, 142 relations"
"$PAVED" -q --json catalog check >"$OUT"
has "$OUT" '"relations": 142'
[ "$(count --kind component)" -eq 13 ] || fail "13 components expected"
[ "$(count --owner team-a --kind Component)" -eq 5 ] || fail "team-a owns 5 components"
[ "$(count --tag java)" -eq 3 ] || fail "3 java entities expected"
[ "$(count --system audio-playback)" -eq 2 ] || fail "audio-playback has 2 parts"
[ "$(count --lifecycle production --kind component)" -eq 9 ] || fail "9 production components"

run 0 show artist-lookup
has "$OUT" "component:default/artist-lookup  (service, experimental)"
has "$OUT" "owner        group:default/team-a  (team-a@example.com)"
has "$OUT" "depends on   resource:default/artists-db"
has "$OUT" "health       not deployed"
run 0 show --json artists-db
has "$OUT" '"dependents": ['
has "$OUT" '"ref": "component:default/artist-lookup"'
run 1 show nosuch
has "$ERR" "paved catalog: show: no entity named 'nosuch' in the catalog"
# the fleet: every component, none deployed here
run 0 list --health
has "$OUT" "component:default/artist-lookup"
has "$OUT" "not deployed"
"$PAVED" -q --json catalog list --health --kind component >"$OUT"
has "$OUT" '"status": "not deployed"'
# words, not parts of words: team-a is not team-b
run 0 search team-a
has "$OUT" "group:default/team-a"
grep -q "team-b" "$OUT" && fail "search team-a found team-b's entities"

run 0 deps artist-lookup
has "$OUT" "component:default/artist-lookup depends on:"
has "$OUT" "  resource:default/artists-db"
run 0 rdeps --transitive artists-db
has "$OUT" "resource:default/artists-db is depended on by:"
run 0 graph --format mermaid
has "$OUT" "graph LR"
run 0 graph artist-lookup
has "$OUT" '"component:default/artist-lookup" -> "resource:default/artists-db" [label="dependsOn"];'
run 0 search wayback archive
has "$OUT" "component:default/wayback-archive"
run 0 owners
has "$OUT" "group:default/team-c  (Team C, team-c@example.com)"
has "$OUT" "  component:default/petstore"

# --- rich fields, cost, cycles --------------------------------------------------
cat >"$PAVED_HOME/rich.yaml" <<'YAML'
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: user-service
  annotations:
    paved.dev/oncall: pagerduty.com/team-auth
    paved.dev/repository: github.com/company/user-service
    paved.dev/dashboard: grafana.com/dashboards/user-service
    paved.dev/runbook: wiki.company.com/user-service
    paved.dev/cost-per-month: "$2,400/month"
    paved.dev/tier: "1"
spec:
  type: service
  lifecycle: production
  owner: team-a
  endpoints:
    - url: https://api.company.com/users
      sla: 99.9%
  dependsOn: [resource:users-db, component:auth-service]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: users-db
  annotations: {paved.dev/cost-per-month: "600"}
spec: {type: database, owner: team-a}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: auth-service}
spec: {type: service, lifecycle: production, owner: team-a, dependsOn: [component:user-service]}
YAML
run 0 import "$PAVED_HOME/rich.yaml"
run 0 show user-service
has "$OUT" "oncall       pagerduty.com/team-auth"
has "$OUT" "repository   github.com/company/user-service"
has "$OUT" "endpoints    https://api.company.com/users  (SLA 99.9%)"
has "$OUT" "runbook      wiki.company.com/user-service"
has "$OUT" "cost         \$3000.00/month (own \$2400.00 + resources \$600.00)"
has "$OUT" "dependents   component:default/auth-service"
run 0 cost
has "$OUT" "component:default/user-service"
run 0 cost --by owner
has "$OUT" "group:default/team-a"
run 0 deps --transitive user-service
has "$OUT" "cycle: component:default/user-service -> component:default/auth-service -> component:default/user-service"
run 1 check
has "$OUT" "cycle: "

# --- export round trip -----------------------------------------------------------
run 0 export --format json
cp "$OUT" "$PAVED_HOME/before.json"
run 0 export
cp "$OUT" "$PAVED_HOME/all.yaml"
rm -f "$PAVED_HOME/paved.db" "$PAVED_HOME/paved.db-wal" "$PAVED_HOME/paved.db-shm"
run 1 import "$PAVED_HOME/all.yaml"
has "$ERR" "Location target './acme/org.yaml' does not exist (say presence: optional if that is expected; restoring an export? use --no-follow)"
run 0 import --no-follow "$PAVED_HOME/all.yaml"
run 0 export --format json
cmp -s "$OUT" "$PAVED_HOME/before.json" || fail "YAML export does not round-trip"
rm -f "$PAVED_HOME/paved.db" "$PAVED_HOME/paved.db-wal" "$PAVED_HOME/paved.db-shm"
run 0 import --no-follow "$PAVED_HOME/before.json"
run 0 export --format json
cmp -s "$OUT" "$PAVED_HOME/before.json" || fail "JSON export does not round-trip"

# --- bad input: exact message, nothing imported -----------------------------------
n=$(count)
printf 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: fine}\nspec: {type: service, lifecycle: production, owner: team-a}\n---\nkind: [\n' \
	>"$PAVED_HOME/bad.yaml"
run 1 import --atomic "$PAVED_HOME/bad.yaml"
has "$ERR" "error: $PAVED_HOME/bad.yaml:7:1: did not find expected node content while parsing a flow node (started at line 7)"
has "$ERR" "paved catalog: import: 1 error; nothing was imported"
[ "$(count)" -eq "$n" ] || fail "a failing --atomic import changed the catalog"
run 1 import "$PAVED_HOME/bad.yaml"
has "$ERR" "paved catalog: import: 1 error; the rest was imported"
[ "$(count)" -eq $((n + 1)) ] || fail "the good entity before the syntax error was not imported"
n=$(count)
# an entity another file owns is a conflict: the first owner keeps it
run 1 import "$PAVED_HOME/rich.yaml"
has "$ERR" "rich.yaml:1:1: conflicting entity component:default/user-service: it is already owned by file:"
printf 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: {name: "bad name", tags: [Java]}\n' \
	>"$PAVED_HOME/name.yaml"
run 1 import --atomic "$PAVED_HOME/name.yaml"
# every problem, one line each, naming the field
has "$ERR" "error: $PAVED_HOME/name.yaml:1:1: metadata.name \"bad name\" is not valid; expected a string that is sequences of [a-zA-Z0-9] separated by any of [-_.], at most 63 characters in total"
has "$ERR" "error: $PAVED_HOME/name.yaml:1:1: metadata.tags[0] \"Java\" is not valid; expected a string that is sequences of [a-z0-9:+#] separated by [-], at most 63 characters in total"
has "$ERR" "error: $PAVED_HOME/name.yaml:1:1: spec is required for kind Component"
has "$ERR" "paved catalog: import: 3 errors; nothing was imported"
[ "$(count)" -eq "$n" ] || fail "a failing import changed the catalog"
run 1 delete component:nosuch
has "$ERR" "paved catalog: delete: no entity 'component:default/nosuch' in the catalog"
run 0 delete auth-service
has "$OUT" "deleted component:default/auth-service"

# --- events ---------------------------------------------------------------------
grep -q '"catalog.imported"' "$PAVED_HOME/logs/events.jsonl" 2>/dev/null ||
	sqlite3 "$PAVED_HOME/paved.db" "SELECT name FROM events" 2>/dev/null | grep -q catalog.imported ||
	fail "no catalog.imported event recorded"

[ "$fails" -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "PASS"
