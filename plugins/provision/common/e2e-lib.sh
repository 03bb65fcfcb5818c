# e2e-lib.sh -- sourced by the provision plugins' end-to-end tests.
#
# PostgreSQL refuses to run as root: when the suite runs as root, the test
# re-executes itself as the unprivileged user "postgres" (or $PAVED_TEST_USER)
# with the same environment, or skips (exit 77) if there is none -- unless
# it sets E2E_AS_ROOT=1 before sourcing this file (the tests of what paved
# does as root).  Each test gets a temporary directory (never the source
# tree) and a trap that stops every server it started and removes the
# directory, on success and on failure alike.  Every call is checked
# against sdk/hooks.json (PAVED_CHECK_SHAPES=1).
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"

if [ "$(id -u)" -eq 0 ] && [ "${E2E_AS_ROOT:-0}" != 1 ]; then
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
		CI="${CI:-}" HOME=/nonexistent sh "$0" "$@"
fi

PAVED="$top_builddir/host/paved"
PGBIN=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-provision.XXXXXX") || exit 99
chmod 755 "$tmp"
for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export PAVED_HOME="$tmp/home" PAVED_SYSTEM_CONFIG="$tmp/no-system-config.json"
export PAVED_CHECK_SHAPES=1
unset XDG_DATA_HOME PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE PGSERVICE || true

# cleanup: stop every PostgreSQL cluster and redis-server of the homes
# under $tmp (as root also those in /var/lib/paved), then remove them.
cleanup() {
	# services the golden path deployed: supervisors, replicas, HAProxy
	for h in "$tmp"/*/runtime; do
		[ -d "$h" ] && PAVED_HOME="${h%/runtime}" timeout 30 "$PAVED" stop --all >/dev/null 2>&1
	done
	for d in "$tmp"/*/provision/postgres/data "$tmp"/*/provision/postgres/data.new-*; do
		[ -f "$d/postmaster.pid" ] && "$PGBIN/pg_ctl" stop -D "$d" -m immediate -s >/dev/null 2>&1
	done
	for p in "$tmp"/*/provision/redis/*/redis.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	for p in "$tmp"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	if [ "$(id -u)" -eq 0 ]; then
		for r in /var/lib/paved/pg-*/home /var/lib/paved/redis-*/home; do
			[ -f "$r" ] || continue
			case "$(cat "$r")" in
			"$tmp"/*)
				d=${r%/home}
				[ -f "$d/data/postmaster.pid" ] &&
					runuser -u postgres -- "$PGBIN/pg_ctl" stop -D "$d/data" -m immediate -s >/dev/null 2>&1
				for p in "$d"/*/redis.pid; do
					[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
				done
				rm -rf "$d" ;;
			esac
		done
	fi
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
# expect_eq GOT WANT DESCRIPTION
expect_eq() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3: got '$1', wanted '$2'"; fi; }
# wait_for DESCRIPTION SECONDS CMD...: poll CMD until it succeeds or the
# deadline passes (a condition, never a fixed sleep).
wait_for() {
	what=$1 secs=$2
	shift 2
	end=$(($(date +%s) + secs))
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && { fail "timed out waiting for $what"; return 1; }
		sleep 0.02
	done
	return 0
}
# secret URL|FIELD NAME: a field of resource NAME's stored connection details.
secret() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$PAVED_HOME/secrets/$2.json" "$1"
}
# need PROGRAM...: skip (exit 77) unless each is installed; under CI a
# missing program is a failure.
need() {
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "$p not found: skipped"
			[ "${CI:-}" = true ] && exit 1
			exit 77
		fi
	done
}
# on_tty ANSWER CMD...: run CMD on a pseudo-terminal (stdin, stdout and
# stderr), typing ANSWER when it asks to confirm; prints what it printed,
# returns its exit status.
on_tty() {
	python3 - "$@" <<'PY'
import os, pty, select, sys
answer, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out, sent = b"", False
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    out += data
    if not sent and b"Type its name to confirm: " in out:
        os.write(fd, (answer + "\n").encode())
        sent = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(status))
PY
}
finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ]
	exit $?
}
