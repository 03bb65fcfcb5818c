#!/bin/sh
# tests/bench/bench_create.sh -- `paved create service NAME --template
# node-api --database none` end to end (issue 3): files, CI check, the
# repository in the local forge, catalog and monitoring; no deploy (no
# deploy plugin exists, so that step is skipped).
#
# Usage: bench_create.sh [RUNS]   (default 20; env top_builddir)
#
#   1. Median wall time of RUNS creates (target < 150 ms), after one
#      untimed warm-up.  Every run gets a fresh PAVED_HOME, a fresh working
#      directory and its own service name; all are removed after the run,
#      untimed.  Plugins come from the build tree, as `host/paved` finds
#      them; the environment's PAVED_* variables are cleared.
#      Then the same with one PAVED_HOME kept for all runs (schemas made).
#   2. The processes one create starts, counted with strace -f -e execve
#      (successful execve calls, by program), if strace is installed; and
#      the git share of the wall time, from the forge plugin's debug log.
#   3. For scale, on this machine: `git init` + 20 files + `git add` +
#      `git commit` (3 git processes), and `git init --bare` + a local
#      `git push` into it.
#
# Wall time comes from bash's $EPOCHREALTIME (no fork), else `date +%s%N`.
# hyperfine is not needed.
if [ -z "${BASH_VERSION:-}" ] && command -v bash >/dev/null 2>&1; then
	exec bash "$0" "$@"
fi
set -u
RUNS=${1:-20}
here=$(cd "$(dirname "$0")" && pwd)
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
PAVED="$top_builddir/host/paved"
[ -x "$PAVED" ] || { echo "bench_create: $PAVED not built" >&2; exit 1; }
for v in $(env | sed -n 's/^\(PAVED_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$v"; done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-create.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

if [ -n "${EPOCHREALTIME:-}" ]; then
	stamp() { _t=${EPOCHREALTIME/[.,]/}; }
else
	stamp() { _t=$(( $(date +%s%N) / 1000 )); }
fi
# stats FILE: "median min max" of the numbers (us) in FILE, in ms.
stats() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.1f %.1f %.1f", m / 1000, v[1] / 1000, v[NR] / 1000 }'
}

# create I [PAVED OPTIONS...]: one create of service svc-I in $tmp/runI,
# with PAVED_HOME $tmp/runI/home.  Output goes to $tmp/runI.log.
create() {
	_i=$1; shift
	mkdir "$tmp/run$_i" &&
	(cd "$tmp/run$_i" && PAVED_HOME="$tmp/run$_i/home" \
		"$PAVED" "$@" create service "svc-$_i" --template node-api --database none --no-deploy \
		> "$tmp/run$_i.log" 2>&1)
}
# child_cpu_us: user + system CPU time of all waited-for children so far,
# in us, into $_c (from the `times` builtin, run in this shell).
child_cpu_us() {
	{ times; } > "$tmp/cpu"
	_c=$(awk 'NR == 2 { n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/);
		n += a[1] * 60e6 + a[2] * 1e6 } printf "%d", n }' "$tmp/cpu")
}
fail() {
	echo "bench_create: paved create failed:" >&2
	sed 's/^/  /' "$tmp/run$1.log" >&2
	exit 1
}

echo "paved create service NAME --template node-api --database none --no-deploy"
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), "\
"load average $(cut -d' ' -f1-3 /proc/loadavg); $(git --version)"
echo

# ---- 1. wall time --------------------------------------------------------------
create warm || fail warm
steps=$(grep -c '^ ✓' "$tmp/runwarm.log")
files=$(find "$tmp/runwarm/svc-warm" -path '*/.git' -prune -o -type f -print | wc -l)
[ -d "$tmp/runwarm/home/forge/svc-warm.git" ] || { echo "bench_create: no repository made" >&2; exit 1; }
rm -rf "$tmp/runwarm" "$tmp/runwarm.log"
: > "$tmp/times"
: > "$tmp/cputimes"
i=0
while [ $i -lt "$RUNS" ]; do
	child_cpu_us; c=$_c
	stamp; a=$_t
	create $i || fail $i
	stamp
	echo $((_t - a)) >> "$tmp/times"
	child_cpu_us
	echo $((_c - c)) >> "$tmp/cputimes"
	rm -rf "$tmp/run$i" "$tmp/run$i.log"
	i=$((i + 1))
done
set -- $(stats "$tmp/times")
create_med=$1
create_min=$2
echo "create, fresh PAVED_HOME, median of $RUNS: $1 ms   (min $2, max $3; target < 150 ms)"
set -- $(stats "$tmp/cputimes")
echo "  CPU time (user + sys, paved and its git processes), median: $1 ms"
echo "  $steps steps done, $files files in the service, repository in the forge"
awk -v m="$create_med" 'BEGIN { exit !(m >= 150) }' && echo "  ABOVE TARGET"

# The same with one PAVED_HOME for all runs (state DB and catalog schema
# already made, as on a developer's machine after the first create).
mkdir "$tmp/shared" && (cd "$tmp/shared" && PAVED_HOME="$tmp/shared/home" "$PAVED" create \
	service svc-sw --template node-api --database none --no-deploy > "$tmp/shared.log" 2>&1) ||
	{ sed 's/^/  /' "$tmp/shared.log" >&2; exit 1; }
: > "$tmp/times2"
i=0
while [ $i -lt "$RUNS" ]; do
	stamp; a=$_t
	(cd "$tmp/shared" && PAVED_HOME="$tmp/shared/home" "$PAVED" create service "svc-s$i" \
		--template node-api --database none --no-deploy > "$tmp/shared.log" 2>&1) ||
		{ sed 's/^/  /' "$tmp/shared.log" >&2; exit 1; }
	stamp
	echo $((_t - a)) >> "$tmp/times2"
	rm -rf "$tmp/shared/svc-s$i"
	i=$((i + 1))
done
set -- $(stats "$tmp/times2")
echo "create, one PAVED_HOME, median: $1 ms   (min $2, max $3; after its first create)"
rm -rf "$tmp/shared"

# ---- 2. processes and the git share --------------------------------------------
if command -v strace >/dev/null 2>&1; then
	mkdir "$tmp/runst"
	if (cd "$tmp/runst" && PAVED_HOME="$tmp/runst/home" strace -f -qq -e trace=execve \
			-o "$tmp/strace.log" "$PAVED" create service svc-st --template node-api \
			--database none --no-deploy > "$tmp/runst.log" 2>&1); then
		# successful execve lines: PID execve("/usr/bin/git", ["git", ...
		grep 'execve(' "$tmp/strace.log" | grep -v '= -1 ' |
			sed 's/^[0-9]* *execve("\([^"]*\)".*/\1/' | sed 's|.*/||' |
			sort | uniq -c | sort -rn > "$tmp/procs"
		ngit=$(awk '$2 ~ /^git/ { n += $1 } END { print n + 0 }' "$tmp/procs")
		nall=$(awk '{ n += $1 } END { print n + 0 }' "$tmp/procs")
		echo "processes one create starts: $((nall - 1)) besides paved, $ngit of them git" \
			"($(awk '$2 != "paved" { printf "%s%s x%d", s, $2, $1; s = ", " }' "$tmp/procs"))"
		grep 'execve(' "$tmp/strace.log" | grep -v '= -1 ' | grep -v 'execve("[^"]*/paved"' |
			sed 's/^[0-9]* *execve("[^"]*", \[\(.*\)\], 0x.*/\1/' | cut -c1-110 |
			sed 's/^/    /'
	else
		echo "(strace could not trace paved here; process count skipped)"
	fi
	rm -rf "$tmp/runst"
else
	echo "(strace not installed: process count skipped)"
fi
: > "$tmp/gitms"
for i in 1 2 3 4 5; do
	create "g$i" -v -v || fail "g$i"
	sed -n 's/.*forge.local: svc-g[0-9]*: \([0-9]*\) git processes, \([0-9.]*\) ms.*/\2/p' \
		"$tmp/rung$i.log" | awk '{ printf "%d\n", $1 * 1000 }' >> "$tmp/gitms"
	rm -rf "$tmp/rung$i" "$tmp/rung$i.log"
done
if [ -s "$tmp/gitms" ]; then
	set -- $(stats "$tmp/gitms")
	echo "git inside one create (forge.local's debug log), median of 5: $1 ms"
fi

# ---- 3. git alone, for scale ------------------------------------------------------
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# init + 20 files + add + commit: 3 git processes.
git_commit() {
	git init -q -b main "$1" &&
	for f in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
		printf 'file %s\nline two\n' "$f" > "$1/f$f.txt"
	done &&
	git -C "$1" add -A &&
	git -C "$1" -c commit.gpgsign=false commit -q -m "initial"
}
: > "$tmp/t-commit"
: > "$tmp/t-push"
git_commit "$tmp/gwarm" >/dev/null 2>&1 || { echo "bench_create: git does not work here" >&2; exit 1; }
git init -q --bare "$tmp/gwarm.git" && git -C "$tmp/gwarm" push -q "$tmp/gwarm.git" main 2>/dev/null
rm -rf "$tmp/gwarm" "$tmp/gwarm.git"
i=0
while [ $i -lt "$RUNS" ]; do
	stamp; a=$_t
	git_commit "$tmp/g$i" >/dev/null 2>&1
	stamp
	echo $((_t - a)) >> "$tmp/t-commit"
	# init --bare + push from the repository just made: 2 git commands
	# (the push starts git-receive-pack, and pack-objects on both sides).
	stamp; a=$_t
	git init -q --bare "$tmp/g$i.git" && git -C "$tmp/g$i" push -q "$tmp/g$i.git" main 2>/dev/null
	stamp
	echo $((_t - a)) >> "$tmp/t-push"
	rm -rf "$tmp/g$i" "$tmp/g$i.git"
	i=$((i + 1))
done
set -- $(stats "$tmp/t-commit")
echo "for scale: git init + 20 files + add + commit: $1 ms  (median of $RUNS)"
set -- $(stats "$tmp/t-push")
echo "for scale: git init --bare + local git push:   $1 ms  (median of $RUNS)"
exit $status
