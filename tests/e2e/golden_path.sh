#!/bin/sh
# golden_path.sh: `paved create service` / `paved new` end to end, through
# the real binary: the good path for node-api and c-api (working copy, forge
# repository, the generated service's own tests), --dry-run, and every bad
# input of issue 3.  Each bad case checks the message and that nothing was
# left behind: no working copy, no $PAVED_HOME/forge/NAME.git, and where a
# run was started, `paved runs --json` shows it failed with its completed
# steps undone.
#
# Needs $top_builddir and $top_srcdir (exported by the test harness).  The
# test recipes come from $top_srcdir/tests/recipes (read only).
set -u

: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"
# A generated service's own `make test` must not inherit make check's variables.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
PAVED="$top_builddir/host/paved"
RECIPES="$top_srcdir/tests/recipes"

if ! command -v git >/dev/null 2>&1; then
	echo "SKIP: git is not installed (the local forge needs it)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-golden.XXXXXX") || exit 99
# stop what the golden path deployed (supervisors, replicas, HAProxy), then remove
trap '[ -d "$tmp/home/runtime" ] && PAVED_HOME="$tmp/home" timeout 30 "$PAVED" stop --all >/dev/null 2>&1;
      chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
work="$tmp/work"
mkdir "$work" || exit 99
cd "$work" || exit 99

export PAVED_HOME="$tmp/home"
unset PAVED_RECIPE_PATH PAVED_PLUGIN_PATH NO_COLOR PAVED_CONFIG_RECIPE_PATH
# Keep git away from the user's configuration.
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com \
	GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# paved ARGS...: run the binary; output in $out / $err, status in $rc.
out="$tmp/out" err="$tmp/err"
paved() {
	"$PAVED" "$@" >"$out" 2>"$err"
	rc=$?
}

show() { echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; echo "---"; }

expect_rc() { # WANT WHAT
	if [ "$rc" -ne "$1" ]; then fail "$2: exit $rc, expected $1"; show; return 1; fi
}

expect_in() { # FILE TEXT WHAT
	if ! grep -F -q -- "$2" "$1"; then fail "$3: missing '$2'"; show; return 1; fi
}

# nothing_left NAME WHAT: no working copy, no forge repository.
nothing_left() {
	if [ -e "$work/$1" ]; then fail "$2: $work/$1 was left behind"; return 1; fi
	if [ -e "$PAVED_HOME/forge/$1.git" ]; then fail "$2: forge/$1.git was left behind"; return 1; fi
	if [ -e "$tmp/ESCAPED.txt" ]; then fail "$2: a file escaped the target"; return 1; fi
	return 0
}

run_count() {
	"$PAVED" runs --json --limit 1000 2>/dev/null | grep -c '"recipe":' || true
}

# last_run: "STATUS step1,step2,..." of the newest run, from `paved runs --json`.
last_run() {
	if command -v jq >/dev/null 2>&1; then
		"$PAVED" runs --json --limit 1 2>/dev/null |
			jq -r '.[0] | .status + " " + ([.steps[].status] | join(","))'
	else   # the same from the text form
		id=$("$PAVED" runs --limit 1 2>/dev/null | sed -n 's/^#\([0-9]*\).*/\1/p')
		"$PAVED" runs show "$id" 2>/dev/null | awk '
			NR == 1 { st = $3; next }
			$1 == "error:" { next }
			{ steps = steps (steps == "" ? "" : ",") $1 }
			END { print st " " steps }'
	fi
}

expect_run() { # "STATUS steps" (a shell pattern) WHAT
	got=$(last_run)
	# shellcheck disable=SC2254
	case $got in
	$1) ;;
	*) fail "$2: last run is '$got', expected '$1'"; return 1 ;;
	esac
}

# Lines of $out in order: expect_order WHAT REGEX...
expect_order() {
	what=$1; shift
	prev=0
	for pat in "$@"; do
		n=$(grep -n -E -- "$pat" "$out" | head -n 1 | cut -d: -f1)
		if [ -z "$n" ] || [ "$n" -le "$prev" ]; then
			fail "$what: '$pat' missing or out of order"; show; return 1
		fi
		prev=$n
	done
}

no_ansi() { # FILE WHAT
	if grep -q "$(printf '\033')" "$1"; then fail "$2: ANSI escapes in output"; return 1; fi
}

# ---- the good path --------------------------------------------------------

# create_ok NAME TEMPLATE: create, then check working copy, forge and run.
create_ok() {
	paved create service "$1" --template "$2"
	expect_rc 0 "create $1 ($2)" || return 1
	expect_in "$out" " ✓ Generated service files" "create $1" || return 1
	expect_in "$out" " ✓ Configured CI/CD pipeline" "create $1" || return 1
	expect_in "$out" "file://$PAVED_HOME/forge/$1.git" "create $1" || return 1
	expect_in "$out" "Next steps:" "create $1" || return 1
	expect_in "$out" "git clone file://$PAVED_HOME/forge/$1.git" "create $1" || return 1
	no_ansi "$out" "create $1 (not a terminal)" || return 1
	for f in README.md Dockerfile catalog-info.yaml platform.yaml .gitlab-ci.yml \
		.github/workflows/ci.yml "docs/$1.md"; do
		[ -f "$work/$1/$f" ] || { fail "create $1: $f missing"; return 1; }
	done
	grep -q '{{' "$work/$1/README.md" && { fail "create $1: unrendered tags in README.md"; return 1; }
	[ -d "$PAVED_HOME/forge/$1.git" ] || { fail "create $1: no forge repository"; return 1; }
	url=$(sed -n "s|.*\(file://$PAVED_HOME/forge/$1.git\).*|\1|p" "$out" | head -n 1)
	git clone -q "$url" "$tmp/clone-$1" >/dev/null 2>&1 || { fail "create $1: git clone $url"; return 1; }
	if ! diff -r -x .git "$tmp/clone-$1" "$work/$1" >"$tmp/diff" 2>&1; then
		fail "create $1: the forge repository differs from the working copy"; cat "$tmp/diff"
		return 1
	fi
	# files, CI, repository done; the database skipped (none asked); the
	# rest done or skipped depending on the plugins installed
	expect_run "succeeded done,done,done,skipped,*" "create $1" || return 1
	expect_in "$out" " – Provisioned development database" "create $1" || return 1
	pass "create service $1 --template $2: working copy, forge repository, run recorded"
}

create_ok shop-api node-api
node_ok=$?
create_ok c-svc c-api
c_ok=$?

# The generated services' own tests.
if [ "$node_ok" -ne 0 ]; then
	:
elif ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node is not installed: not running the node-api service's tests"
elif (cd "$work/shop-api" && node --test) >"$tmp/node.log" 2>&1; then
	pass "node-api service: node --test passes"
else
	fail "node-api service: node --test failed"; cat "$tmp/node.log"
fi
if [ "$c_ok" -ne 0 ]; then
	:
elif ! command -v make >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1 ||
     ! { pkg-config --exists libmicrohttpd 2>/dev/null || [ -f /usr/include/microhttpd.h ]; }; then
	echo "SKIP: make, cc or libmicrohttpd-dev missing: not running the c-api service's tests"
elif (cd "$work/c-svc" && make test) >"$tmp/make.log" 2>&1; then
	pass "c-api service: make test passes"
else
	fail "c-api service: make test failed"; tail -n 30 "$tmp/make.log"
fi

# Colour only on a terminal, and never with NO_COLOR.
if command -v script >/dev/null 2>&1 && script -q -e -c true /dev/null >/dev/null 2>&1; then
	NO_COLOR=1 PAVED_BIN="$PAVED" script -q -e \
		-c '"$PAVED_BIN" create service tty-two --template node-api' /dev/null \
		>"$tmp/tty-nocolor" 2>&1 </dev/null
	if ! grep -F -q "✓ Generated service files" "$tmp/tty-nocolor"; then
		fail "NO_COLOR on a terminal: no step lines"; cat "$tmp/tty-nocolor"
	elif no_ansi "$tmp/tty-nocolor" "NO_COLOR on a terminal"; then
		pass "NO_COLOR: plain ✓/– lines on a terminal"
	fi
	PAVED_BIN="$PAVED" script -q -e -c '"$PAVED_BIN" create service tty-three --template node-api' \
		/dev/null >"$tmp/tty-color" 2>&1 </dev/null
	if grep -q "$(printf '\033')\[32m✓" "$tmp/tty-color"; then
		pass "colour on a terminal without NO_COLOR"
	else
		fail "no colour on a terminal"; cat "$tmp/tty-color"
	fi
else
	echo "SKIP: script(1) unavailable: terminal colour not checked"
fi

# ---- --dry-run --------------------------------------------------------------

before=$(run_count)
paved create service dry-svc --template node-api --dry-run
if expect_rc 0 "dry run" && expect_in "$out" "Plan for node-api (dry run: nothing is created)" "dry run" &&
   expect_in "$out" " 3. Created repository" "dry run" && nothing_left dry-svc "dry run"; then
	if [ "$(run_count)" -ne "$before" ]; then fail "dry run: a run was recorded"
	else pass "--dry-run prints the plan and touches nothing"; fi
fi

# ---- --no-deploy -------------------------------------------------------------

paved create service nodeploy-svc --template node-api --no-deploy --dir "$tmp/nodeploy-svc"
if expect_rc 0 "--no-deploy" &&
   expect_in "$out" "Deployed to development environment  skipped: not deployed (--no-deploy)" "--no-deploy" &&
   expect_in "$out" "run 'paved deploy nodeploy-svc --env dev' when you want it live" "--no-deploy"; then
	pass "--no-deploy stops before the deploy step"
fi

# ---- bad input ------------------------------------------------------------

# An unknown template.
before=$(run_count)
paved create service some-svc --template nope
expect_rc 2 "unknown template" &&
expect_in "$err" "paved create: unknown template 'nope'; available: c-api, node-api, python-api" "unknown template" &&
nothing_left some-svc "unknown template" &&
{ [ "$(run_count)" -eq "$before" ] || fail "unknown template: a run was recorded"; } &&
pass "unknown template: exit 2, lists the available ones"

# Invalid names: exit 2, the reason, no run, nothing created.
hint="does not match ^[a-z][a-z0-9%-]*$ — use lowercase letters, digits and '-', starting with a letter and not ending with '-'"
long=$(printf '%0200d' 0 | tr 0 a)
for name in "../x" "Payment API" "$long"; do
	case $name in
	"$long") why="name: 200 characters, at most 63 allowed" ;;
	*) why="name: '$name' $hint" ;;
	esac
	before=$(run_count)
	paved create service "$name" --template node-api
	expect_rc 2 "name '$name'" &&
	expect_in "$err" "invalid parameters for recipe 'node-api':" "name '$name'" &&
	expect_in "$err" "  $why" "name '$name'" &&
	{ [ "$(run_count)" -eq "$before" ] || fail "name '$name': a run was recorded"; } &&
	{ [ -z "$(ls -A "$work" | grep -v -e '^shop-api$' -e '^c-svc$' -e '^tty-')" ] ||
	  fail "name '$name': files left in $work"; } &&
	pass "invalid name '$(printf %.20s "$name")': exit 2, nothing created"
done
[ -e "$tmp/x" ] && fail "'../x' created $tmp/x"

# Several bad params: every problem listed at once.
paved create service "Payment API" --template node-api --database mysql --set port=eighty \
	--set colour=red
expect_rc 2 "several bad params" &&
expect_in "$err" "  name: 'Payment API' $hint" "several bad params" &&
expect_in "$err" "  database: 'mysql' is not one of: none, postgres, redis" "several bad params" &&
expect_in "$err" "  port: 'eighty' is not a whole number" "several bad params" &&
expect_in "$err" "  colour: unknown parameter (see 'paved recipes show node-api')" "several bad params" &&
pass "several bad params: all listed at once"

export PAVED_RECIPE_PATH="$RECIPES"

# A step that fails midway: the completed steps are undone in reverse.
paved new test-fail --set name=mid-svc
expect_rc 1 "failing step" &&
expect_in "$err" "paved: step 'Broke on purpose' failed: the disk is full (simulated)" "failing step" &&
expect_order "failing step" "^ ✓ Created the directory" "^ ✓ Wrote the second file" \
	"^ ✗ Broke on purpose" "undone: +Wrote the second file" "undone: +Created the directory" &&
{ ! grep -F -q "Never reached" "$out" || fail "failing step: ran the step after the failure"; } &&
no_ansi "$out" "failing step" &&
nothing_left mid-svc "failing step" &&
expect_run "failed undone,undone,failed" "failing step" &&
pass "a step failing midway: undone in reverse, nothing left, run failed/undone"

# A recipe with a Lua syntax error.
before=$(run_count)
paved new test-syntax --set name=syn-svc
expect_rc 1 "syntax error" &&
# (Lua shortens a long chunk name from the left: match its tail)
expect_in "$err" "paved: recipe 'test-syntax': " "syntax error" &&
expect_in "$err" "test-syntax/recipe.lua:6: '}' expected" "syntax error" &&
nothing_left syn-svc "syntax error" &&
{ [ "$(run_count)" -eq "$before" ] || fail "syntax error: a run was recorded"; } &&
pass "a recipe with a syntax error: recipe.lua:6 named"

# A recipe that loops forever: the (default) instruction limit stops it.
paved new test-loop --set name=loop-svc
expect_rc 1 "endless loop" &&
expect_in "$err" "paved: step 'Looped forever' failed: " "endless loop" &&
expect_in "$err" "instruction limit of 50000000 exceeded (lua.max_instructions)" "endless loop" &&
expect_in "$out" "undone:" "endless loop" &&
nothing_left loop-svc "endless loop" &&
expect_run "failed undone,failed" "endless loop" &&
pass "an endless loop: stopped by the instruction limit, undone"

# A recipe that allocates without end: the memory limit stops it.
paved -c lua.max_memory_mb=16 new test-hog --set name=hog-svc
expect_rc 1 "endless allocation" &&
expect_in "$err" "paved: step 'Allocated without end' failed: memory limit of 16 MiB exceeded (lua.max_memory_mb)" \
	"endless allocation" &&
expect_in "$out" "undone:" "endless allocation" &&
nothing_left hog-svc "endless allocation" &&
expect_run "failed undone,failed" "endless allocation" &&
pass "endless allocation: stopped by the memory limit, undone"

# A skeleton with an unclosed tag.
paved new test-unclosed --set name=tag-svc
expect_rc 1 "unclosed tag" &&
expect_in "$err" "paved: step 'Generated files' failed: skeleton/README.md:3:10: unclosed tag" "unclosed tag" &&
nothing_left tag-svc "unclosed tag" &&
expect_run "failed failed" "unclosed tag" &&
pass "a template with an unclosed tag: FILE:LINE:COL, nothing left"

# A template variable that would make a path escape the target.
paved new test-escape --set name=esc-svc --set dest=..
expect_rc 1 "escaping path" &&
expect_in "$err" "skeleton/{{dest}}: the name renders to '..', which would escape the target directory" \
	"escaping path" &&
nothing_left esc-svc "escaping path" &&
expect_run "failed failed" "escaping path" &&
pass "a variable escaping the target: refused, nothing left"

unset PAVED_RECIPE_PATH

# A service name that already exists: the second create fails, the first
# service is untouched.
if [ "$node_ok" -eq 0 ]; then
	sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs cat | cksum); }
	wc_before=$(sum "$work/shop-api") forge_before=$(sum "$PAVED_HOME/forge/shop-api.git")
	paved create service shop-api --template node-api
	expect_rc 1 "existing name" &&
	expect_in "$err" "paved: step 'Generated service files' failed: service 'shop-api' already exists in the forge" \
		"existing name" &&
	expect_run "failed failed" "existing name" &&
	{ [ "$(sum "$work/shop-api")" = "$wc_before" ] || fail "existing name: working copy changed"; } &&
	{ [ "$(sum "$PAVED_HOME/forge/shop-api.git")" = "$forge_before" ] ||
	  fail "existing name: forge repository changed"; } &&
	pass "an existing service name: refused, the first service untouched"
	# in another directory the forge still knows the name
	mkdir "$tmp/elsewhere"
	(cd "$tmp/elsewhere" && "$PAVED" create service shop-api --template c-api) >"$out" 2>"$err"
	rc=$?
	expect_rc 1 "existing name elsewhere" &&
	expect_in "$err" "service 'shop-api' already exists in the forge" "existing name elsewhere" &&
	{ [ -z "$(ls -A "$tmp/elsewhere")" ] || fail "existing name elsewhere: files left"; } &&
	pass "an existing service name from another directory: refused"
fi
# A working copy directory that already exists (not in the forge).
mkdir "$work/taken" && echo mine >"$work/taken/keep.txt"
paved create service taken --template node-api
expect_rc 1 "existing directory" &&
expect_in "$err" "$work/taken already exists; choose another name or --dir" "existing directory" &&
{ [ "$(ls -A "$work/taken")" = keep.txt ] || fail "existing directory: its contents changed"; } &&
{ [ ! -e "$PAVED_HOME/forge/taken.git" ] || fail "existing directory: forge repository created"; } &&
pass "an existing directory: refused, untouched"

if [ "$failures" -ne 0 ]; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all golden path checks passed"
exit 0
