# san_reports.sh [SHELL] TEST [ARGS...]: run TEST (make check's log compiler
# for every test: a Check program, or a shell test run by SHELL) so that a
# sanitizer report from any process it starts fails it.
#
# The e2e tests run host/paved, and paved starts programs that outlive the
# command (paved-supervisor, paved-logship) or whose stderr goes to a log
# file nobody reads; a paved run expected to fail exits 1, as ASan does
# after a report.  In a build with --enable-sanitizers such reports would
# be lost, so every process writes its report to a file in a fresh
# directory (log_path; the runtime adds .PID), and after the test any such
# file is printed and the test fails.  In a build without sanitizers
# nothing reads these options and no file appears.
dir=$(mktemp -d "${TMPDIR:-/tmp}/paved-san.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' HUP INT TERM
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$dir/asan"
UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$dir/ubsan"
export ASAN_OPTIONS UBSAN_OPTIONS

"$@"
rc=$?

for f in "$dir"/*; do
	[ -e "$f" ] || continue
	echo "FAIL: a process this test started wrote a sanitizer report (${f##*/}: TOOL.PID):"
	cat "$f"
	rc=1
done
exit $rc
