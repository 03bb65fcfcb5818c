#!/bin/sh
# sandbox.sh -- end-to-end test of the Lua sandbox through the real binary
# (issue 12, items 6 and 7): `paved recipes show` lists what a recipe
# declares (requires, env, reads) and warns about a declared shell, in
# text and --json; recipes whose steps leave a looping finalizer, keep C
# code busy or reach outside their target fail with a clear line, are
# undone, and never hang `paved new` (each run is under `timeout`, so a
# regression fails here instead of hanging the suite).
. "$top_srcdir/tests/e2e/lib.sh"

PAVED_RECIPE_PATH="$top_srcdir/tests/recipes"
export PAVED_RECIPE_PATH
work="$tmp/work"
mkdir -p "$work" || exit 99
cd "$work" || exit 99

# ---- recipes show ------------------------------------------------------------
run "$PAVED" recipes show test-shell
expect_rc 0 "recipes show test-shell"
expect_out "Access (the sandbox allows nothing else):" "the access block"
expect_out "  programs    git, sh" "declared programs"
expect_out "  env         HOME, LANG" "declared variables"
expect_out "  also reads  /usr/share" "declared directories"
expect_out "  warning: requires 'sh', which runs any command: paved.run's confinement does not hold for this recipe" \
	"the shell warning"
run "$PAVED" recipes show test-shell --json
expect_rc 0 "recipes show test-shell --json"
expect_json "recipes show --json"
if command -v node >/dev/null 2>&1; then
	got=$(json_eval '[j.requires.join(","), j.env.join(","), j.reads.join(","), j.warnings.length].join(" ")' \
		"$tmp/stdout")
	[ "$got" = "git,sh HOME,LANG /usr/share 1" ] && pass "--json has requires, env, reads, warnings" ||
		fail "--json declarations: $got"
else
	expect_out '"requires": [' "--json has requires"
fi
run "$PAVED" recipes show test-fail
expect_out "  programs    none" "a recipe that declares nothing runs nothing"
run "$PAVED" recipes show test-baddecl
expect_rc 1 "a malformed declaration"
expect_err "paved: recipe 'test-baddecl': 'requires' must be a list of strings, as in requires = { \"...\" }" \
	"the malformed declaration is named"

# ---- runs that hung or escaped before ----------------------------------------------
# paved_new NAME HOW: run a test recipe with a hard timeout; $rc, $out, $err
paved_new() {
	run timeout 60 "$PAVED" -c lua.max_seconds=2 -c lua.max_instructions=1000000000000 \
		new "$1" --name svc --how "$2"
	if [ "$rc" -eq 124 ]; then fail "paved new $1 --how $2 hung (killed after 60 s)"; fi
}

for how in at-close collect stop; do
	paved_new test-gc "$how"
	expect_rc 1 "test-gc --how $how"
	expect_out " ✓ Created the directory" "test-gc --how $how: step 1 ran"
	[ ! -e "$work/svc" ] && pass "test-gc --how $how: undone" || fail "test-gc --how $how: svc left behind"
done
expect_err "paved: step 'Left a finalizer behind' failed: " "the failing step is named"
paved_new test-gc late
expect_rc 0 "test-gc --how late: a __gc added after setmetatable is inert"
rm -rf "$work/svc"

for how in pattern move utf8 json render loop; do
	paved_new test-limits "$how"
	expect_rc 1 "test-limits --how $how"
	[ ! -e "$work/svc" ] && pass "test-limits --how $how: undone" || fail "test-limits --how $how: left behind"
done
paved_new test-limits loop
expect_err "time limit of 2 s exceeded (lua.max_seconds)" "the wall clock names its config key"
paved_new test-limits pattern
expect_err "pattern too complex: more than 10000000 matching steps (lua.max_pattern_steps)" \
	"the pattern budget names its config key"

for how in read write remove sh; do
	paved_new test-confine "$how"
	expect_rc 1 "test-confine --how $how"
	[ ! -e "$work/svc" ] && pass "test-confine --how $how: undone" || fail "test-confine --how $how: left behind"
done
expect_err "paved.run: 'sh' is not declared: add \"sh\" to requires = { ... } in the recipe's table" \
	"an undeclared program names the declaration to add"
[ -d "$PAVED_HOME" ] && pass "PAVED_HOME survived --how remove" || fail "PAVED_HOME was removed"
PAVED_TEST_DECLARED=yes run timeout 60 "$PAVED" new test-confine --name svc --how fine
expect_rc 0 "test-confine --how fine: what a recipe may do"

finish
