#!/bin/sh
# End to end: the forge through the paved binary (paved call of the fronts
# forge.VERB, checked against sdk/hooks.json), on a temporary PAVED_HOME and
# a HOME with no git configuration.
set -eu
: "${top_builddir:?run through make check}"
paved="$top_builddir/host/paved"
command -v git >/dev/null 2>&1 || { echo "git not found: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-forge-e2e.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1 PAVED_HOME="$tmp/home"
unset EMAIL PAVED_PLUGIN_PATH || true
export PAVED_CHECK_SHAPES=1
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$tmp/svc/src"
i=0
while [ $i -lt 20 ]; do echo "file $i" > "$tmp/svc/src/f$i.txt"; i=$((i + 1)); done

out=$("$paved" --json call forge.create "{\"name\": \"payment-api\", \"dir\": \"$tmp/svc\"}")
echo "$out"
echo "$out" | grep -q "\"url\": *\"file://$PAVED_HOME/forge/payment-api.git\"" || fail "url in $out"
# paved itself created it: the post-receive hook runs this very binary
echo "$out" | grep -q '"push_deploys": true' || fail "no push hook: $out"
grep -qF "paved='$(cd "$(dirname "$paved")" && pwd)/paved'" "$PAVED_HOME/forge/payment-api.git/hooks/post-receive" ||
	fail "hook: $(cat "$PAVED_HOME/forge/payment-api.git/hooks/post-receive")"
"$paved" --json call forge.resolve '{"name": "payment-api"}' | grep -q "\"sha\": *\"$(git -C "$tmp/svc" rev-parse HEAD)\"" ||
	fail "resolve"
git clone -q "file://$PAVED_HOME/forge/payment-api.git" "$tmp/clone"
[ "$(ls "$tmp/clone/src" | wc -l)" -eq 20 ] || fail "clone has not 20 files"
[ "$(git -C "$tmp/svc" rev-parse '@{u}')" = "$(git -C "$tmp/clone" rev-parse HEAD)" ] ||
	fail "upstream differs from the clone"

# the same name again: refused, the second working copy untouched
mkdir "$tmp/svc2"; echo x > "$tmp/svc2/x"
if err=$("$paved" call forge.create "{\"name\": \"payment-api\", \"dir\": \"$tmp/svc2\"}" 2>&1); then
	fail "existing name accepted"
fi
echo "$err" | grep -qF "repository 'payment-api' already exists at $PAVED_HOME/forge/payment-api.git" ||
	fail "message: $err"
[ ! -e "$tmp/svc2/.git" ] || fail "svc2/.git left behind"

"$paved" --json call forge.list | grep -q '"name": *"payment-api"' || fail "list"
"$paved" call forge.delete '{"name": "payment-api"}' >/dev/null
[ ! -e "$PAVED_HOME/forge/payment-api.git" ] || fail "not deleted"
if err=$("$paved" call forge.delete '{"name": "payment-api"}' 2>&1); then
	fail "deleting a missing repository succeeded"
fi
echo "$err" | grep -qF "no repository 'payment-api'" || fail "message: $err"
echo "ok"
