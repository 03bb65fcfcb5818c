# lib.sh -- sourced by the end-to-end tests in tests/e2e.
#
# Drives the real paved binary of the build tree ($top_builddir/host/paved;
# make check exports top_builddir and top_srcdir) with a private PAVED_HOME
# in a temporary directory that is removed on exit, pass or fail.  Nothing
# from the caller's environment (PAVED_*, /etc/paved) leaks in.

: "${top_builddir:?top_builddir is not set: run this through make check}"
: "${top_srcdir:?top_srcdir is not set: run this through make check}"

PAVED="$top_builddir/host/paved"
TEST_PLUGINS="$top_builddir/tests/plugins/.libs"
if [ ! -x "$PAVED" ]; then
	echo "ERROR: $PAVED is not built" >&2
	exit 99
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-e2e.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done
# Builds the tests run (a generated service's own `make test`) must not
# inherit the variables of the `make check` that runs this script.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
PAVED_HOME="$tmp/home"
PAVED_SYSTEM_CONFIG="$tmp/no-system-config.json"
export PAVED_HOME PAVED_SYSTEM_CONFIG
unset XDG_DATA_HOME

fails=0
checks=0

# fail MSG / pass MSG: record one check.
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
pass() { checks=$((checks + 1)); echo "ok: $*"; }

# run CMD...: run it, capturing $out (stdout), $err (stderr) and $rc.
run() {
	"$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	out=$(cat "$tmp/stdout")
	err=$(cat "$tmp/stderr")
}

# show: print the last command's output (after a failure).
show() {
	echo "  exit status: $rc"
	sed 's/^/  stdout: /' "$tmp/stdout"
	sed 's/^/  stderr: /' "$tmp/stderr"
}

# expect_rc WANT DESCRIPTION: check the last exit status.
expect_rc() {
	if [ "$rc" -eq "$1" ]; then pass "$2 (exit $1)"; else fail "$2: exit $rc, want $1"; show; fi
}

# expect_out TEXT DESCRIPTION / expect_err TEXT DESCRIPTION: fixed-string
# search in the last stdout / stderr.
expect_out() {
	if grep -qF -- "$1" "$tmp/stdout"; then pass "$2"; else fail "$2: stdout lacks '$1'"; show; fi
}
expect_err() {
	if grep -qF -- "$1" "$tmp/stderr"; then pass "$2"; else fail "$2: stderr lacks '$1'"; show; fi
}

# json_valid FILE: does FILE hold one valid JSON text?
json_valid() {
	if command -v node >/dev/null 2>&1; then
		node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1" 2>/dev/null
	elif command -v python3 >/dev/null 2>&1; then
		python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
	else
		jq -e . "$1" >/dev/null 2>&1
	fi
}

# expect_json DESCRIPTION: the last stdout is valid JSON.
expect_json() {
	if json_valid "$tmp/stdout"; then pass "$1 is valid JSON"; else fail "$1: invalid JSON"; show; fi
}

# json_eval JS_EXPR FILE: print the value of a JavaScript expression over
# the JSON in FILE, bound to `j` (needs node; python3 is the fallback for
# the simple expressions used here).
json_eval() {
	node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
		const v = eval(process.argv[1]); console.log(typeof v === "string" ? v : JSON.stringify(v));' \
		"$1" "$2"
}

# plugin_dir NAME...: a fresh plugin directory holding the named test
# plugins; prints its path.
plugin_dir() {
	d=$(mktemp -d "$tmp/plugins.XXXXXX") || exit 99
	chmod 755 "$d"
	for n in "$@"; do
		cp "$TEST_PLUGINS/$n.so" "$d/$n.so" || exit 99
	done
	echo "$d"
}

# finish: exit with the result of all checks.
finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}
