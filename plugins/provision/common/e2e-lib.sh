# e2e-lib.sh -- sourced by the provision plugins' end-to-end tests.
#
# PostgreSQL refuses to run as root: when the suite runs as root, the test
# re-executes itself as the unprivileged user "postgres" (or $PAVED_TEST_USER)
# with the same environment, or skips (exit 77) if there is none.  Each
# test gets a temporary directory (never the source tree) and a trap that
# stops every server it started and removes the directory, on success and
# on failure alike.
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

if [ "$(id -u)" -eq 0 ]; then
	u=${PAVED_TEST_USER:-postgres}
	if ! id "$u" >/dev/null 2>&1 || ! command -v runuser >/dev/null 2>&1; then
		echo "running as root and no user '$u' to run servers as: skipped"
		exit 77
	fi
	if ! runuser -u "$u" -- test -r "$0" -a -x "$top_builddir/host/paved" 2>/dev/null; then
		echo "running as root and user '$u' cannot read the build tree: skipped"
		exit 77
	fi
	exec runuser -u "$u" -- env top_builddir="$top_builddir" top_srcdir="$top_srcdir" \
		PATH="$PATH" TMPDIR="${TMPDIR:-/tmp}" PAVED_TESTDATA="${PAVED_TESTDATA:-}" \
		HOME=/nonexistent sh "$0" "$@"
fi

PAVED="$top_builddir/host/paved"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-provision.XXXXXX") || exit 99
chmod 755 "$tmp"
for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PAVED_HOME="$tmp/home" PAVED_SYSTEM_CONFIG="$tmp/no-system-config.json"
unset XDG_DATA_HOME PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE || true

# cleanup: stop every PostgreSQL cluster and redis-server under $tmp.
cleanup() {
	# services the golden path deployed: supervisors, replicas, HAProxy
	for h in "$tmp"/*/runtime; do
		[ -d "$h" ] && PAVED_HOME="${h%/runtime}" timeout 30 "$top_builddir/host/paved" stop >/dev/null 2>&1
	done
	for d in "$tmp"/*/provision/postgres/data; do
		[ -f "$d/postmaster.pid" ] && "$PGBIN/pg_ctl" stop -D "$d" -m immediate -s >/dev/null 2>&1
	done
	for p in "$tmp"/*/provision/redis/*/redis.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in "$tmp"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

fails=0
checks=0
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
pass() { checks=$((checks + 1)); echo "ok: $*"; }
# All output of every command, for the secret leak check at the end.
: > "$tmp/all-output"
# run CMD...: capture $out, $err, $rc (and append both to all-output).
run() {
	"$@" >"$tmp/stdout" 2>"$tmp/stderr"
	rc=$?
	out=$(cat "$tmp/stdout")
	err=$(cat "$tmp/stderr")
	cat "$tmp/stdout" "$tmp/stderr" >> "$tmp/all-output"
	return 0
}
paved() { run "$PAVED" "$@"; }
expect_rc() { if [ "$rc" -eq "$1" ]; then pass "$2"; else fail "$2: exit $rc, wanted $1; stdout: $out; stderr: $err"; fi; }
expect_in() {
	case "$1" in
	*"$2"*) pass "$3" ;;
	*) fail "$3: '$2' not in: $1" ;;
	esac
}
expect_not_in() {
	case "$1" in
	*"$2"*) fail "$3: '$2' found in: $1" ;;
	*) pass "$3" ;;
	esac
}
finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}
