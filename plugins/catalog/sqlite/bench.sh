#!/bin/sh
# bench.sh -- generated catalog data for the benchmarks (not part of make
# check).  The full benchmark is tests/bench/bench_catalog.sh (make
# bench-catalog); this script writes its data and runs a quick version.
#   sh plugins/catalog/sqlite/bench.sh --generate N FILE
#   top_builddir=BUILD sh plugins/catalog/sqlite/bench.sh [N]
#
# N components (default 100000) with 3 dependsOn edges each (3N edges), in
# clusters of 1000.  In a cluster every component depends on 3 others of
# it, at least one earlier, so each reaches the cluster's first component;
# the first component of cluster k depends on 3 of cluster k+1 (the last
# cluster's on 3 of its own, closing cycles).  Hence c0 has exactly 999
# transitive dependents (its cluster), c1000 1999, c(N-1000) all N-1.
# Each component has what a real catalog-info.yaml tends to have: a title,
# a description, an owner, two tags, a link and two annotations (cost,
# source location).
set -eu
generate() {
  awk -v n="$1" 'BEGIN {
    S = 1000
    for (i = 0; i < n; i++) {
      k = int(i / S); base = k * S; o = i - base
      if (o == 0) {
        if (base + S < n) {
          nb = base + S; ns = (nb + S <= n) ? S : n - nb
          a = nb + 1 + (i * 7) % (ns - 1); b = nb + 1 + (i * 7 + 1) % (ns - 1)
          c = nb + 1 + (i * 7 + 2) % (ns - 1)
        } else { a = base + 1; b = base + 2; c = base + 3 }
      } else if (o < 3) { a = base + o - 1; b = base + o + 1; c = base + o + 2 }
      else {
        x = (i * 7 + 1) % o; y = (x + 1 + (i * 13 + 5) % (o - 1)) % o
        z = (y + 1) % o; while (z == x || z == y) z = (z + 1) % o
        a = base + x; b = base + y; c = base + z
      }
      printf "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: c%d\n", i
      printf "  title: Component %d\n", i
      printf "  description: generated component %d\n  annotations:\n", i
      printf "    paved.dev/cost-per-month: \"%d\"\n", 100 + i % 900
      printf "    backstage.io/source-location: url:https://git.example.com/org/c%d/\n", i
      printf "  tags: [tier-%d, %s]\n", i % 3 + 1, (i % 2) ? "java" : "go"
      printf "  links:\n    - url: https://dash.example.com/c%d\n      title: Dashboard\n", i
      printf "spec:\n  type: service\n  lifecycle: production\n  owner: team-%d\n", i % 50
      printf "  dependsOn: [component:c%d, component:c%d, component:c%d]\n---\n", a, b, c
    } }'
}
if [ "${1:-}" = --generate ]; then
  [ $# -eq 3 ] || { echo "usage: bench.sh --generate N FILE" >&2; exit 2; }
  generate "$2" >"$3"
  exit 0
fi
N=${1:-100000}
: "${top_builddir:=.}"
PAVED="$top_builddir/host/paved"
PAVED_HOME=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench.XXXXXX"); export PAVED_HOME
trap 'rm -rf "$PAVED_HOME"' EXIT
F="$PAVED_HOME/big.yaml"
generate "$N" >"$F"
echo "import of $N components, $((3 * N)) dependsOn edges:"
/usr/bin/time -f "  %e s, %M KB max RSS" "$PAVED" -q catalog import "$F" >/dev/null
echo "show c500 (11 runs, whole process):"
for i in 1 2 3 4 5 6 7 8 9 10 11; do
  s=$(date +%s%N); "$PAVED" -q catalog show c500 >/dev/null; e=$(date +%s%N)
  echo $(( (e - s) / 1000 ))
done | sort -n | awk '{a[NR]=$1} END {printf "  median %.1f ms\n", a[int((NR+1)/2)] / 1000}'
echo "rdeps --transitive c0 (whole process):"
s=$(date +%s%N); n=$("$PAVED" -q catalog --json rdeps --transitive c0 | grep -c '"depth"'); e=$(date +%s%N)
echo "  $n dependents, $(( (e - s) / 1000000 )) ms"
echo "same recursive query in sqlite3 (whole process):"
s=$(date +%s%N)
sqlite3 "$PAVED_HOME/paved.db" "WITH RECURSIVE r(id) AS (SELECT id FROM catalog_refs
  WHERE ref = 'component:default/c0' UNION SELECT x.source FROM catalog_edges x
  JOIN r ON x.target = r.id WHERE x.type = 2) SELECT count(*) - 1 FROM r"
e=$(date +%s%N)
echo "  $(( (e - s) / 1000000 )) ms"
