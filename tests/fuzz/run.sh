#!/bin/sh
# tests/fuzz/run.sh: run each libFuzzer target of tests/fuzz over its
# corpus for a while; fail on any crash, sanitizer report, leak, timeout
# or memory blow-up, naming the input that caused it.
#
# Usage: run.sh [--seconds N] [NAME...]      (NAME: template, platform, ...)
#   From `make check` (no --seconds): 60 s each under CI=true, else a smoke
#   run of FUZZ_SMOKE_SECONDS (3) each.  From `make fuzz`: FUZZ_SECONDS.
#
# Bugs listed in tests/fuzz/known-bugs are stepped around (FUZZ_KNOWN=
# steps around none).  The targets must be built (make fuzz-build).  Without them the test is
# skipped, or fails under CI=true.  The corpora in the source tree are
# only read: what a run finds goes to a temporary directory, or with
# --seconds (make fuzz) to tests/fuzz/out/NAME/corpus in the build tree,
# kept for the next run.  A crashing input is saved as
# tests/fuzz/out/NAME/crash-* (or leak-, timeout-, oom-) in the build tree
# and printed in base64.
set -u

here=$(cd "$(dirname "$0")" && pwd)
srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
builddir=${top_builddir:-$srcdir}

seconds=""
if [ "${1:-}" = "--seconds" ]; then
	seconds=$2
	shift 2
fi
keep=0
if [ -n "$seconds" ]; then
	keep=1
elif [ "${CI:-}" = "true" ]; then
	seconds=60
else
	seconds=${FUZZ_SMOKE_SECONDS:-3}
fi
names=${*:-template platform config params catalog}
# one input may take this long (the slowest seed takes well under 1 s)
timeout=${FUZZ_TIMEOUT:-10}

missing=""
for n in $names; do
	[ -x "$builddir/tests/fuzz/fuzz_$n" ] || missing="$missing fuzz_$n"
done
if [ -n "$missing" ]; then
	msg="tests/fuzz:$missing not built: they need clang with libFuzzer and the sanitizers;"
	msg="$msg on Debian: apt-get install clang libclang-rt-dev llvm (scripts/bootstrap installs them)"
	if [ "${CI:-}" = "true" ]; then
		echo "FAIL: $msg" >&2
		exit 1
	fi
	echo "SKIP: $msg" >&2
	exit 77
fi

# tmpfs when there is one: the targets write a file or two per input
tmp=${TMPDIR:-}
if [ -z "$tmp" ]; then
	tmp=/tmp
	[ -d /dev/shm ] && [ -w /dev/shm ] && tmp=/dev/shm
fi
work=$(mktemp -d "$tmp/paved-fuzz-run.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM HUP

# Known bugs, not fixed yet, that the targets step around (known-bugs).
if [ -z "${FUZZ_KNOWN+set}" ]; then
	FUZZ_KNOWN=$(sed -e '/^#/d' -e '/^[[:space:]]*$/d' -e 's/[[:space:]].*//' \
		"$srcdir/tests/fuzz/known-bugs" | tr '\n' ' ')
fi
export FUZZ_KNOWN
[ -n "$FUZZ_KNOWN" ] && echo "known bugs stepped around (tests/fuzz/known-bugs): $FUZZ_KNOWN"

# Symbolized stacks when llvm-symbolizer is there; leaks count.
if [ -z "${ASAN_SYMBOLIZER_PATH:-}" ] && ! command -v llvm-symbolizer >/dev/null 2>&1; then
	for s in /usr/lib/llvm-*/bin/llvm-symbolizer; do
		[ -x "$s" ] && ASAN_SYMBOLIZER_PATH=$s && export ASAN_SYMBOLIZER_PATH
	done
fi
# The caller's options come after these defaults (make check's sanitizer
# options, or yours), so they win; a report stays in the target's log,
# which this script reads, even when make check sets a log_path.
ASAN_OPTIONS="detect_leaks=1:strict_string_checks=1:check_initialization_order=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}:log_path=stderr"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}:log_path=stderr"
export ASAN_OPTIONS UBSAN_OPTIONS

# The dictionaries of each target (tests/fuzz/dict/*.dict).
dicts() {
	case $1 in
	template) echo mustache json ;;
	platform) echo yaml platform ;;
	config)   echo config json ;;
	params)   echo params json ;;
	catalog)  echo yaml catalog ;;
	esac
}

failed=0
for n in $names; do
	bin=$builddir/tests/fuzz/fuzz_$n
	seeds=$srcdir/tests/fuzz/corpus/$n
	out=$builddir/tests/fuzz/out/$n
	if [ $keep = 1 ]; then corpus=$out/corpus; else corpus=$work/$n/corpus; fi
	log=$work/$n.log
	mkdir -p "$corpus" "$out" "$work/$n/tmp" || exit 1
	set -- -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/"
	dict=$work/$n.dict
	for d in $(dicts "$n"); do cat "$srcdir/tests/fuzz/dict/$d.dict"; done >"$dict"
	[ -s "$dict" ] && set -- "$@" -dict="$dict"
	start=$(date +%s)
	# the target's own temporary files live under $work, removed even after a crash
	TMPDIR=$work/$n/tmp "$bin" "$@" "$corpus" "$seeds" >"$log" 2>&1
	rc=$?
	took=$(( $(date +%s) - start ))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ $rc -eq 0 ]; then
		echo "PASS: fuzz_$n: ${runs:-?} runs in ${took} s (${rate:-?}/s), $cov"
		continue
	fi
	failed=1
	echo "FAIL: fuzz_$n exited $rc after ${took} s; the end of its log:"
	tail -n 80 "$log" | cut -c1-2000
	input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	if [ -n "$input" ] && [ -f "$input" ]; then
		echo "crashing input: $input ($(wc -c <"$input") bytes); reproduce with:"
		echo "  $bin $input"
		echo "the input in base64 (base64 -d > crash):"
		head -c 65536 "$input" | base64
	fi
done
exit $failed
