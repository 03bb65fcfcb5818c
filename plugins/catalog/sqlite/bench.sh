#!/bin/sh
# bench.sh -- catalog benchmarks on generated data (not part of make check).
#   top_builddir=BUILD sh plugins/catalog/sqlite/bench.sh [N]
# Generates N components (default 100000) with 3 dependsOn edges each, a
# chain of 1000 dependents onto c0 for rdeps, imports it, then times show
# and rdeps --transitive against the same recursive query in sqlite3.
set -eu
N=${1:-100000}
: "${top_builddir:=.}"
PAVED="$top_builddir/host/paved"
PAVED_HOME=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench.XXXXXX"); export PAVED_HOME
trap 'rm -rf "$PAVED_HOME"' EXIT
F="$PAVED_HOME/big.yaml"
awk -v n="$N" 'BEGIN {
  for (i = 0; i < n; i++) {
    # c(i) depends on three earlier components; c1..c1000 form a chain onto c0
    a = (i <= 1000 && i > 0) ? i - 1 : (i * 7 + 1) % n
    printf "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c%d\n", i
    printf "  description: generated component %d\nspec:\n  type: service\n  lifecycle: production\n", i
    printf "  owner: team-%d\n  dependsOn: [component:c%d, component:c%d, component:c%d]\n---\n", i % 50, a, (i * 13 + 5) % n, (i * 31 + 11) % n
  } }' >"$F"
t() { /usr/bin/time -f "%e s, %M KB max RSS" "$@"; }
echo "import of $N components, $((3 * N)) dependsOn edges:"
t "$PAVED" -q catalog import "$F" >/dev/null
echo "show (10 runs, whole process):"
for i in 1 2 3 4 5 6 7 8 9 10; do
  s=$(date +%s%N); "$PAVED" -q catalog show c500 >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
done | sort -n | awk '{a[NR]=$1} END {print "  median " a[int((NR+1)/2)] " ms"}'
echo "rdeps --transitive c0 (whole process):"
s=$(date +%s%N); "$PAVED" -q catalog rdeps --transitive c0 | wc -l; e=$(date +%s%N)
echo "  $(( (e - s) / 1000000 )) ms"
echo "same recursive query in sqlite3 (whole process):"
s=$(date +%s%N)
sqlite3 "$PAVED_HOME/paved.db" "WITH RECURSIVE r(ref) AS (SELECT 'component:default/c0' UNION
  SELECT x.source FROM catalog_relations x JOIN r ON x.target = r.ref WHERE x.type = 'dependsOn')
  SELECT count(*) - 1 FROM r"
e=$(date +%s%N)
echo "  $(( (e - s) / 1000000 )) ms"
