#!/bin/sh
# tests/bench/bench_startup.sh -- start-up of the paved process.
#
#   1. `paved plugins` with every bundled plugin: median wall time of RUNS
#      runs (target < 10 ms), after one run that fills the cache.
#   2. `paved hooks` with and without the libcurl-linked webhook plugin
#      (opt-in, so not among the bundled ones) in the plugin path: the
#      registration cache must make them equal.
#   3. Proof: with the cache warm, `paved hooks` does not load libcurl
#      (LD_DEBUG=files), and host/paved does not link it (ldd).
#
# Usage: bench_startup.sh [RUNS]   (default 50; env top_builddir)
# Wall time per run comes from bash's $EPOCHREALTIME (no fork); without
# bash it falls back to `date +%s%N`, minus the measured cost of the
# timer itself.  hyperfine is not needed.
if [ -z "${BASH_VERSION:-}" ] && command -v bash >/dev/null 2>&1; then
	exec bash "$0" "$@"
fi
set -u
RUNS=${1:-50}
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/../.." && pwd)}
PAVED="$top_builddir/host/paved"
[ -x "$PAVED" ] || { echo "bench_startup: $PAVED not built" >&2; exit 1; }
unset PAVED_PLUGIN_PATH PAVED_CONFIG_plugin_path
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-startup.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

# stamp: sets $_t to microseconds since the epoch.  Under bash this reads
# $EPOCHREALTIME (no fork); elsewhere it forks date, whose cost is
# measured below and subtracted.
if [ -n "${EPOCHREALTIME:-}" ]; then
	stamp() { _t=${EPOCHREALTIME/[.,]/}; }
	timer='bash $EPOCHREALTIME'
else
	stamp() { _t=$(( $(date +%s%N) / 1000 )); }
	timer='date +%s%N'
fi
timer_cost_us=0

# Append to FILE the wall time in us of one run of "$@" (output dropped).
time_into() {
	_f=$1; shift
	stamp; _a=$_t
	"$@" >/dev/null 2>&1
	stamp
	echo $((_t - _a - timer_cost_us)) >> "$_f"
}
# Median of the numbers (us) in FILE, printed in ms.
median_of() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f", m / 1000 }'
}
# Median wall time in ms of RUNS runs of "$@".
median_ms() {
	: > "$tmp/times"
	i=0
	while [ $i -lt "$RUNS" ]; do time_into "$tmp/times" "$@"; i=$((i + 1)); done
	median_of "$tmp/times"
}
# Wall time in ms of one run of "$@".
once_ms() {
	: > "$tmp/once"
	time_into "$tmp/once" "$@"
	median_of "$tmp/once"
}
timer_cost_us=$(median_ms : | awk '{ printf "%d", $1 * 1000 }')

echo "bench_startup: whole-process wall time, median of $RUNS runs ($timer;" \
	"timer cost ${timer_cost_us} us subtracted)"

# 1. `paved plugins` with every bundled plugin (the build tree's).
export PAVED_HOME="$tmp/home-all"
first=$(once_ms "$PAVED" plugins)
med=$(median_ms "$PAVED" plugins)
nplug=$("$PAVED" plugins --json | grep -c '"file"')
verdict=$(awk -v m="$med" 'BEGIN { print (m < 10 ? "met" : "NOT MET") }')
echo "  paved plugins ($nplug bundled plugins)     first run (fills the cache) $first ms"
echo "  paved plugins ($nplug bundled plugins)     cached: $med ms   target < 10 ms: $verdict"

# 2. `paved hooks` with and without the webhook plugin.  A copy of the
# binary outside the build tree searches only PAVED_PLUGIN_PATH (and the
# install directory), so the plugin set is exactly what we link in.
mkdir -p "$tmp/bin" "$tmp/without" "$tmp/with"
cp "$PAVED" "$tmp/bin/paved"
"$PAVED" plugins --json | sed -n 's/.*"file": "\(.*\)",*$/\1/p' > "$tmp/files"
while read -r f; do
	ln -s "$f" "$tmp/with/"
	case "$f" in */webhook.so) ;; *) ln -s "$f" "$tmp/without/" ;; esac
done < "$tmp/files"
webhook="$top_builddir/plugins/sink/webhook/.libs/webhook.so"
[ -f "$webhook" ] || { echo "  $webhook is not built"; exit 1; }
[ -e "$tmp/with/webhook.so" ] || ln -s "$webhook" "$tmp/with/"
installed=$(sed -n 's/^plugindir = //p' "$top_builddir/Makefile" 2>/dev/null)
[ -n "$installed" ] && [ -d "$(eval echo "$installed" 2>/dev/null)" ] &&
	echo "  note: installed plugins found in $installed: they add to both cases"

# Runs alternate between the two plugin sets, so a machine that gets
# busier or quieter during the benchmark moves both medians alike.
with_env() { PAVED_HOME="$tmp/home-$1" PAVED_PLUGIN_PATH="$tmp/$1" "$tmp/bin/paved" hooks; }
wo_first=$(once_ms with_env without)
w_first=$(once_ms with_env with)
: > "$tmp/t-without"; : > "$tmp/t-with"
i=0
while [ $i -lt "$RUNS" ]; do
	time_into "$tmp/t-without" with_env without
	time_into "$tmp/t-with" with_env with
	i=$((i + 1))
done
wo=$(median_of "$tmp/t-without"); w=$(median_of "$tmp/t-with")
echo "  paved hooks without webhook.so           first run $wo_first ms, cached: $wo ms"
echo "  paved hooks with webhook.so (libcurl)    first run $w_first ms, cached: $w ms"
awk -v a="$wo" -v b="$w" 'BEGIN { printf "  difference with - without, cached        %+.2f ms (%+.1f%%)\n", b - a, (b - a) * 100 / a }'

# 3. What the dynamic linker loads: with the cache warm (home-with was
# filled above), `paved hooks` must not open webhook.so or libcurl.
export PAVED_HOME="$tmp/home-with" PAVED_PLUGIN_PATH="$tmp/with"
LD_DEBUG=files "$tmp/bin/paved" hooks 2>"$tmp/ld.warm" >/dev/null
n_curl=$(grep -c 'file=libcurl.*generating link map' "$tmp/ld.warm")
n_hook=$(grep -c 'file=.*webhook.so.*generating link map' "$tmp/ld.warm")
echo "  LD_DEBUG=files paved hooks (cached): libcurl loaded $n_curl time(s), webhook.so $n_hook time(s)"
[ "$n_curl" -eq 0 ] && [ "$n_hook" -eq 0 ] || status=1
rm -rf "$tmp/home-cold"
PAVED_HOME="$tmp/home-cold" LD_DEBUG=files "$tmp/bin/paved" hooks 2>"$tmp/ld.cold" >/dev/null
echo "  (for contrast, first run with an empty cache: libcurl loaded" \
	"$(grep -c 'file=libcurl.*generating link map' "$tmp/ld.cold") time(s))"
n_link=$(ldd "$PAVED" | grep -c curl)
echo "  ldd host/paved | grep -c curl: $n_link"
[ "$n_link" -eq 0 ] || status=1
exit $status
