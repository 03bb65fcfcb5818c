#!/bin/sh
# test_backstage_verdicts.sh -- paved's validator against Backstage's own
# library: the same entities, the same accept/reject verdict.
#
# paved's side is valid_verdicts (validate.c); Backstage's is
# backstage-verdicts.mjs running @backstage/catalog-model (the version
# pinned in node/package.json, installed by scripts/bootstrap with npm ci)
# the way catalog-backend runs it on ingestion.  Backstage's side reads
# the JSON paved parsed, so the verdicts, not the YAML parsers, are
# compared.  The corpus:
#   - every entity of $PAVED_TESTDATA/backstage-examples (templates too;
#     the Nunjucks skeleton is a template, not YAML, and is left out);
#   - testdata/validate-corpus.yaml: the review's findings and other
#     tricky cases, including what paved itself registers;
#   - each golden path's skeleton catalog-info.yaml, rendered;
#   - the cases ported from Backstage's unit tests (validate_cases.h),
#     kind "Thing" made known on both sides.
# Skips (77) when node, the npm package or the test data is missing;
# under CI=true that is a failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${PAVED_TESTDATA:=$top_srcdir/../shared/testdata}"
DRIVER="$top_builddir/plugins/catalog/sqlite/valid_verdicts"
NODE_DIR="${BACKSTAGE_NODE_DIR:-$here/node}"
EX="$PAVED_TESTDATA/backstage-examples"

missing() {
	if [ "${CI:-}" = true ]; then echo "FAIL: $* (CI=true: required)"; exit 1; fi
	echo "SKIP: $*"; exit 77
}
command -v node >/dev/null 2>&1 || missing "node is not installed (scripts/bootstrap installs it)"
[ -f "$NODE_DIR/node_modules/@backstage/catalog-model/package.json" ] ||
	missing "@backstage/catalog-model is not installed in $NODE_DIR (run scripts/bootstrap)"
[ -d "$EX" ] || missing "no test data at $EX"
[ -x "$DRIVER" ] || { echo "FAIL: $DRIVER not built"; exit 1; }
want=$(sed -n 's/.*"@backstage\/catalog-model": "\(.*\)".*/\1/p' "$NODE_DIR/package.json")
have=$(sed -n 's/^  "version": "\(.*\)".*/\1/p' \
	"$NODE_DIR/node_modules/@backstage/catalog-model/package.json")
[ "$want" = "$have" ] || { echo "FAIL: @backstage/catalog-model $have installed, $want pinned"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-verdicts.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# paved's verdicts, one line per entity: VERDICT WHERE JSON MESSAGES
find "$EX" -name '*.yaml' ! -path '*/skeleton/*' | LC_ALL=C sort >"$tmp/examples.list"
# shellcheck disable=SC2046
"$DRIVER" -s $(cat "$tmp/examples.list") >"$tmp/examples" || exit 1
for f in "$top_srcdir"/scripts/golden-paths/*/skeleton/catalog-info.yaml; do
	[ -f "$f" ] || continue
	gp=$(basename "$(dirname "$(dirname "$f")")")
	sed -e 's/{{{*name}}}*/shop-api/g; s/{{{*owner}}}*/team-payments/g' \
	    -e 's/{{{*description}}}*/A service/g; s|{{{*forge_url}}}*|file:///srv/forge/shop-api.git|g' \
	    -e '/{{#system}}/,/{{\/system}}/d' "$f" >"$tmp/golden-path-$gp.yaml"
done
"$DRIVER" "$here/testdata/validate-corpus.yaml" "$tmp"/golden-path-*.yaml >"$tmp/corpus" || exit 1
"$DRIVER" -p -k Thing >"$tmp/ported" || exit 1

fails=0
total=0
for set in examples corpus ported; do
	extra=""
	[ "$set" = ported ] && extra="--kind Thing"
	# shellcheck disable=SC2086
	cut -f2,3 "$tmp/$set" | node "$here/backstage-verdicts.mjs" $extra >"$tmp/$set.bs" ||
		{ echo "FAIL: backstage-verdicts.mjs failed on the $set"; exit 1; }
	n=$(wc -l <"$tmp/$set")
	[ "$(wc -l <"$tmp/$set.bs")" -eq "$n" ] ||
		{ echo "FAIL: Backstage gave $(wc -l <"$tmp/$set.bs") verdicts for $n $set"; exit 1; }
	paste "$tmp/$set" "$tmp/$set.bs" | awk -F '\t' -v set="$set" '
		$1 != $5 { printf "DIFFER (%s) %s: paved %s, Backstage %s\n  paved: %s\n  Backstage: %s\n",
		           set, $2, $1, $5, $4, $7; d++ }
		END { exit d > 0 }' || fails=$((fails + $(paste "$tmp/$set" "$tmp/$set.bs" |
		                                          awk -F '\t' '$1 != $5' | wc -l)))
	acc=$(cut -f1 "$tmp/$set" | grep -c '^accept')
	echo "$set: $n entities, $acc accepted and $((n - acc)) refused by paved"
	total=$((total + n))
done

# --- the import, not only the validator: Backstage's example directory (the
# shared copy with the upstream files it lacks, testdata/backstage-upstream)
# and some of the monorepo's catalog-info.yaml files, imported whole by
# paved catalog import.  Each entity Backstage refuses must be rejected
# (an error at its FILE:LINE:COL), each it accepts imported.  The Template
# kind counts as registered on both sides, as the scaffolder registers it.
PAVED="$top_builddir/host/paved"
tree="$tmp/tree"
mkdir -p "$tree/templates"
cp -R "$EX/catalog/." "$tree/"
cp -R "$EX/templates/pull-request" "$EX/templates/springboot-grpc-template" "$tree/templates/"
rm -rf "$tree/templates/springboot-grpc-template/skeleton"   # Nunjucks, not YAML
cp -R "$here/testdata/backstage-upstream/examples/." "$here/testdata/backstage-upstream/monorepo" "$tree/"
find "$tree" -name '*.yaml' | LC_ALL=C sort >"$tmp/tree.list"
# shellcheck disable=SC2046
"$DRIVER" -s -t $(cat "$tmp/tree.list") >"$tmp/tree.paved" || exit 1
cut -f2,3 "$tmp/tree.paved" | node "$here/backstage-verdicts.mjs" --kind Template >"$tmp/tree.bs" ||
	{ echo "FAIL: backstage-verdicts.mjs failed on the tree"; exit 1; }
PAVED_HOME="$tmp/home" PAVED_CHECK_SHAPES=1 "$PAVED" -q --json catalog import "$tree" \
	>"$tmp/import.json" 2>"$tmp/import.err"
node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	for (const e of r.errors) console.log(e);' "$tmp/import.json" >"$tmp/import.errors" ||
	{ echo "FAIL: paved catalog import gave no JSON"; cat "$tmp/import.err"; exit 1; }
n=0; bad=0; refused=0
while IFS="$(printf '\t')" read -r verdict where _rest; do
	n=$((n + 1))
	if grep -qF -- "$where: " "$tmp/import.errors"; then got=reject; else got=accept; fi
	[ "$verdict" = reject ] && refused=$((refused + 1))
	if [ "$got" != "$verdict" ]; then
		echo "DIFFER (import) $where: paved's import ${got}s, Backstage ${verdict}s"
		bad=$((bad + 1))
	fi
done <<EOF2
$(paste "$tmp/tree.bs" "$tmp/tree.paved" | awk -F '\t' -v nb="$(head -1 "$tmp/tree.bs" |
	awk -F '\t' '{ print NF }')" '{ print $1 "\t" $(nb + 2) }')
EOF2
# and nothing else went wrong (a Location target, a placeholder, a conflict)
awk -F '\t' '$1 == "reject" { print $2 ": " }' "$tmp/tree.bs" >"$tmp/refused"
others=$(grep -cvF -f "$tmp/refused" "$tmp/import.errors" || true)
[ "$others" -eq 0 ] || { echo "FAIL: the import reported $others other errors:";
	grep -vF -f "$tmp/refused" "$tmp/import.errors" | head -5; bad=$((bad + 1)); }
echo "import of the examples tree: $n entities, Backstage refuses $refused; $bad verdicts differ"
grep -F "invalid-component.yaml" "$tmp/import.errors" | sed 's|^|  |; s|'"$tree"'/||'
total=$((total + n)); fails=$((fails + bad))

echo "paved's own output (golden path skeletons rendered; what provisioning and the golden path register):"
grep -e 'golden-path-' "$tmp/corpus" | cut -f1,2,4 | sed 's|^|  |; s|\t[^\t]*/| |'
awk -F '\t' '$2 ~ /validate-corpus/ && /payment-api-dev|team-payments/ { print "  " $1 " " $2 " " $4 }' "$tmp/corpus" |
	sed 's|\t| |g; s| [^ ]*/validate-corpus| validate-corpus|'

echo "$((total - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
