#!/bin/sh
# tests/bench/bench_render.sh -- rendering the node-api skeleton: paved's
# Mustache renderer against cookiecutter and node + mustache.js (issue 3).
#
# Usage: bench_render.sh [RENDERS] [PROCESS_RUNS]   (defaults 200 and 20)
#        env: top_srcdir, top_builddir (default: this file's ../..)
#
# All three render the same thing: scripts/golden-paths/node-api/skeleton
# (file names and contents) with the same values, into a directory that
# does not exist yet.  The cookiecutter template is generated here from
# that skeleton ({{x}} -> {{cookiecutter.x}}, {{#x}}..{{/x}} ->
# {% if cookiecutter.x %}..{% endif %}, standalone section lines removed
# as Mustache removes them), and each renderer's output is compared with
# paved's (diff -r) before anything is timed: the outputs must be equal.
#
# Two measurements per renderer, each reported as the median:
#   in-process     one render, timed inside a process that renders RENDERS
#                  times (paved: pv_render_tree() in tests/bench/bench_render;
#                  node: Mustache.render with its template cache cleared;
#                  cookiecutter: cookiecutter.main.cookiecutter()).
#   whole process  wall time of one command that renders once, start-up
#                  included, PROCESS_RUNS times (bench_render -n 0 -k DIR,
#                  `node render.js`, `cookiecutter --no-input`).
# Output directories are removed between runs, untimed.
#
# cookiecutter: used if installed; else installed with apt-get when run
# as root; else that comparison is skipped with a message.  mustache.js:
# `npm install --no-save mustache@4` into a temporary directory; if that
# fails (no network) the comparison is skipped with a message.
# hyperfine is not used: one timer for every renderer keeps them
# comparable, and the scripts need nothing beyond sh, awk and date.
if [ -z "${BASH_VERSION:-}" ] && command -v bash >/dev/null 2>&1; then
	exec bash "$0" "$@"
fi
set -u
RENDERS=${1:-200}
PRUNS=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$(cd "$here/../.." && pwd)}
SKEL="$top_srcdir/scripts/golden-paths/node-api/skeleton"
BR="$top_builddir/tests/bench/bench_render"
[ -d "$SKEL" ] || { echo "bench_render: no skeleton at $SKEL" >&2; exit 1; }
[ -x "$BR" ] || { echo "bench_render: $BR not built (make tests/bench/bench_render)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/paved-bench-render.XXXXXX")
if [ -n "${BENCH_KEEP_TMP:-}" ]; then
	echo "(keeping $tmp)"
else
	trap 'rm -rf "$tmp"' EXIT
fi
status=0

# ---- timing ---------------------------------------------------------------
if [ -n "${EPOCHREALTIME:-}" ]; then
	stamp() { _t=${EPOCHREALTIME/[.,]/}; }
else
	stamp() { _t=$(( $(date +%s%N) / 1000 )); }
fi
# median_of FILE: median of the numbers (us) in FILE, printed in ms.
median_of() {
	sort -n "$1" | awk '{ v[NR] = $1 } END {
		m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%.2f", m / 1000 }'
}
min_of() { sort -n "$1" | awk 'NR == 1 { printf "%.2f", $1 / 1000 }'; }
# process_median FUNC: run FUNC OUTDIR (renders once into OUTDIR, which
# does not exist) PRUNS times after one untimed warm-up; print the median
# wall time in ms.  The output is removed after each run, untimed.
process_median() {
	: > "$tmp/times"
	i=0
	"$1" "$tmp/proc-warm" >/dev/null 2>&1 || return 1
	rm -rf "$tmp/proc-warm"
	while [ $i -lt "$PRUNS" ]; do
		stamp; _a=$_t
		"$1" "$tmp/proc-$i" >/dev/null 2>&1 || return 1
		stamp
		echo $((_t - _a)) >> "$tmp/times"
		rm -rf "$tmp/proc-$i"
		i=$((i + 1))
	done
	median_of "$tmp/times"
	printf ' '
	min_of "$tmp/times"
}
# field KEY LINE: the value of KEY=... in LINE.
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "?" }'; }

# ---- the context, for Mustache and for cookiecutter -------------------------
# A context that takes every section's "true" branch somewhere (postgres,
# a system) and puts characters that HTML escaping would change into the
# raw {{{description}}}.
cat > "$tmp/ctx.json" <<'EOF'
{"name": "payment-api", "owner": "team-payments",
 "description": "Takes payments: cards & wallets <fast>",
 "database": "postgres", "db_postgres": true, "db_redis": false,
 "has_database": true, "system": "payments", "port": 8080,
 "forge_url": "file:///srv/paved/forge/payment-api.git"}
EOF
# cookiecutter turns every value into a string ("False" is true in Jinja),
# so false is "" and true is "true": the same truth values.
cat > "$tmp/cookiecutter.json" <<'EOF'
{"name": "payment-api", "owner": "team-payments",
 "description": "Takes payments: cards & wallets <fast>",
 "database": "postgres", "db_postgres": "true", "db_redis": "",
 "has_database": "true", "system": "payments", "port": "8080",
 "forge_url": "file:///srv/paved/forge/payment-api.git"}
EOF

nfiles=$(find "$SKEL" -type f | wc -l)
nbytes=$(find "$SKEL" -type f -exec cat {} + | wc -c)
echo "Rendering the node-api skeleton ($nfiles files, $nbytes bytes): median of"
echo "$RENDERS in-process renders and of $PRUNS whole-process runs."
echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), "\
"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# ---- paved ------------------------------------------------------------------
"$BR" -n 0 -k "$tmp/paved-out" "$SKEL" "$tmp/ctx.json" "$tmp" >/dev/null || exit 1
line=$("$BR" -n "$RENDERS" "$SKEL" "$tmp/ctx.json" "$tmp") || exit 1
paved_in=$(field median_ms "$line"); paved_in_min=$(field min_ms "$line")
paved_files=$(field files "$line")
run_paved() { "$BR" -n 0 -k "$1" "$SKEL" "$tmp/ctx.json" "$tmp"; }
pm=$(process_median run_paved) || { echo "bench_render: paved failed" >&2; exit 1; }
set -- $pm; paved_proc=$1 paved_proc_min=$2
echo "median (min) in ms:"
row() { printf '%-36s %9s (%s)   %9s (%s)\n' "$@"; }
printf '%-36s %20s   %20s\n' "renderer" "in-process" "whole process"
row "paved (C, pv_render_tree)" "$paved_in" "$paved_in_min" "$paved_proc" "$paved_proc_min"

# ---- node + mustache.js -----------------------------------------------------
node_in=; node_proc=; node_ver=; mustache_ver=
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "skip node + mustache: node or npm is not installed"
elif ! (mkdir -p "$tmp/npm" && cd "$tmp/npm" && echo '{"private": true}' > package.json &&
        npm install --no-save --no-audit --no-fund --silent mustache@4 >"$tmp/npm.log" 2>&1); then
	echo "skip node + mustache: npm install mustache@4 failed:"
	sed 's/^/  /' "$tmp/npm.log" | tail -5
else
	node_ver=$(node --version)
	mustache_ver=$(node -p "require('$tmp/npm/node_modules/mustache/package.json').version")
	cat > "$tmp/render.js" <<'EOF'
// render.js SKELETON CTX.json OUTDIR          render once into OUTDIR
// render.js SKELETON CTX.json WORKDIR N       time N renders, print the median
// The same job as pv_render_tree: names rendered unescaped, contents as
// Mustache; binary files (a NUL in the first 8 KiB) copied; modes kept.
'use strict';
const fs = require('fs'), path = require('path');
const Mustache = require(process.env.MUSTACHE_PATH);
const [skel, ctxfile, out, nstr] = process.argv.slice(2);
const view = JSON.parse(fs.readFileSync(ctxfile, 'utf8'));
const raw = { escape: (s) => String(s) };
function renderTree(src, dst) {
  let count = 0;
  fs.mkdirSync(dst, { mode: 0o755 });
  (function walk(sdir, ddir) {
    for (const nm of fs.readdirSync(sdir).sort()) {
      const sp = path.join(sdir, nm), st = fs.lstatSync(sp);
      const dn = Mustache.render(nm, view, {}, raw);
      if (!dn || dn === '.' || dn === '..' || dn.includes('/')) throw new Error('bad name ' + nm);
      const dp = path.join(ddir, dn), mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        fs.mkdirSync(dp, { mode });
        walk(sp, dp);
      } else {
        const buf = fs.readFileSync(sp);
        const data = buf.subarray(0, 8192).includes(0) ? buf
          : Mustache.render(buf.toString('utf8'), view);
        fs.writeFileSync(dp, data, { mode, flag: 'wx' });
        fs.chmodSync(dp, mode);
        count++;
      }
    }
  })(src, dst);
  return count;
}
if (nstr === undefined) {
  renderTree(skel, out);
} else {
  const n = +nstr, t = [];
  let files = 0;
  for (let i = -1; i < n; i++) {           // i = -1: untimed warm-up
    const dst = path.join(out, 'n' + i);
    Mustache.clearCache();                 // paved parses every time too
    const t0 = process.hrtime.bigint();
    files = renderTree(skel, dst);
    const t1 = process.hrtime.bigint();
    if (i >= 0) t.push(Number(t1 - t0) / 1e6);
    fs.rmSync(dst, { recursive: true });
  }
  t.sort((a, b) => a - b);
  const med = n % 2 ? t[(n - 1) / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
  console.log(`node-mustache files=${files} runs=${n} median_ms=${med.toFixed(3)} min_ms=${t[0].toFixed(3)}`);
}
EOF
	export MUSTACHE_PATH="$tmp/npm/node_modules/mustache"
	node "$tmp/render.js" "$SKEL" "$tmp/ctx.json" "$tmp/node-out" || exit 1
	if diff -r "$tmp/paved-out" "$tmp/node-out" > "$tmp/node.diff"; then
		line=$(node "$tmp/render.js" "$SKEL" "$tmp/ctx.json" "$tmp" "$RENDERS") || exit 1
		node_in=$(field median_ms "$line"); node_in_min=$(field min_ms "$line")
		run_node() { node "$tmp/render.js" "$SKEL" "$tmp/ctx.json" "$1"; }
		pm=$(process_median run_node) || { echo "node render.js failed" >&2; exit 1; }
		set -- $pm; node_proc=$1
		row "node $node_ver + mustache.js $mustache_ver" "$node_in" "$node_in_min" "$1" "$2"
	else
		echo "FAIL node + mustache: output differs from paved's:"
		head -40 "$tmp/node.diff" | sed 's/^/  /'
		status=1
	fi
fi

# ---- cookiecutter -----------------------------------------------------------
cc_in=; cc_in_min=; cc_proc=; cc_ver=
if ! command -v cookiecutter >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "(installing cookiecutter: apt-get install -y cookiecutter)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y cookiecutter \
			>"$tmp/apt.log" 2>&1 || tail -5 "$tmp/apt.log"
	fi
fi
if ! command -v cookiecutter >/dev/null 2>&1; then
	echo "skip cookiecutter: not installed (as root: apt-get install -y cookiecutter)"
else
	cc_ver=$(cookiecutter --version 2>/dev/null | awk '{ print $2 }')
	# The Python that runs cookiecutter (its #! line), for the in-process loop.
	ccpy=$(sed -n '1s/^#![[:space:]]*//p' "$(command -v cookiecutter)" | awk '{ print $1 }')
	# The template: cookiecutter.json plus {{cookiecutter.name}}/, a copy
	# of the skeleton with names and contents translated to Jinja2.
	tpl="$tmp/cc-template"
	mkdir -p "$tpl" && cp "$tmp/cookiecutter.json" "$tpl/"
	cp -Rp "$SKEL" "$tpl/{{cookiecutter.name}}"
	find "$tpl/{{cookiecutter.name}}" -mindepth 1 -depth -name '*{{*' | while IFS= read -r p; do
		d=$(dirname "$p") b=$(basename "$p")
		mv "$p" "$d/$(printf '%s' "$b" | sed 's/{{{*[[:space:]]*\([A-Za-z0-9_]*\)[[:space:]]*}}}*/{{cookiecutter.\1}}/g')"
	done
	find "$tpl/{{cookiecutter.name}}" -type f -exec perl -0777 -pi -e '
		# standalone section lines: the tag alone on its line (Mustache
		# drops the whole line, so Jinja gets the tag without it)
		s/^[ \t]*\{\{([#^\/])\s*(\w+)\s*\}\}[ \t]*(?:\r?\n|\z)/"\x00$1$2\x00"/gme;
		s/\{\{([#^\/])\s*(\w+)\s*\}\}/"\x00$1$2\x00"/ge;
		s/\{\{!.*?\}\}//gs;
		s/\{\{\{\s*(\w+)\s*\}\}\}/{{cookiecutter.$1}}/g;
		s/\{\{&\s*(\w+)\s*\}\}/{{cookiecutter.$1}}/g;
		s/\{\{\s*(\w+)\s*\}\}/{{cookiecutter.$1}}/g;
		s/\x00#(\w+)\x00/{% if cookiecutter.$1 %}/g;
		s/\x00\^(\w+)\x00/{% if not cookiecutter.$1 %}/g;
		s/\x00\/(\w+)\x00/{% endif %}/g;
	' {} +
	# Keep cookiecutter's replay files and clones out of $HOME.
	printf 'cookiecutters_dir: "%s"\nreplay_dir: "%s"\n' "$tmp/cc-dir" "$tmp/cc-replay" \
		> "$tmp/cc-config.yaml"
	run_cc() { cookiecutter --no-input --config-file "$tmp/cc-config.yaml" -o "$1" "$tpl"; }
	if ! run_cc "$tmp/cc-out" >"$tmp/cc.log" 2>&1; then
		echo "FAIL cookiecutter could not render the generated template:"
		tail -20 "$tmp/cc.log" | sed 's/^/  /'
		status=1
	elif ! diff -r "$tmp/paved-out" "$tmp/cc-out/payment-api" > "$tmp/cc.diff"; then
		echo "FAIL cookiecutter: output differs from paved's:"
		head -40 "$tmp/cc.diff" | sed 's/^/  /'
		status=1
	else
		cat > "$tmp/cc_loop.py" <<'EOF'
import os, shutil, statistics, sys, time
from cookiecutter.main import cookiecutter
tpl, work, n, cfg = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t = []
for i in range(-1, n):                       # i = -1: untimed warm-up
    out = os.path.join(work, "c%d" % i)
    t0 = time.perf_counter()
    cookiecutter(tpl, no_input=True, output_dir=out, config_file=cfg)
    t1 = time.perf_counter()
    if i >= 0:
        t.append((t1 - t0) * 1000)
    shutil.rmtree(out)
print("cookiecutter runs=%d median_ms=%.3f min_ms=%.3f" % (n, statistics.median(t), min(t)))
EOF
		if [ -n "$ccpy" ] && line=$("$ccpy" "$tmp/cc_loop.py" "$tpl" "$tmp" "$RENDERS" \
				"$tmp/cc-config.yaml" 2>"$tmp/cc-loop.log"); then
			cc_in=$(field median_ms "$line"); cc_in_min=$(field min_ms "$line")
		else
			echo "(cookiecutter in-process loop failed; whole-process figure only)"
			tail -3 "$tmp/cc-loop.log" | sed 's/^/  /'
		fi
		pm=$(process_median run_cc) || { echo "cookiecutter failed" >&2; exit 1; }
		set -- $pm; cc_proc=$1
		row "cookiecutter $cc_ver (--no-input)" "${cc_in:-?}" "${cc_in_min:-?}" "$1" "$2"
	fi
fi

# ---- summary ----------------------------------------------------------------
echo
same() { if [ -n "$1" ]; then echo "identical to paved's"; else echo "not compared"; fi; }
echo "outputs ($paved_files files) compared with diff -r: node + mustache.js $(same "$node_proc"),"\
" cookiecutter $(same "$cc_proc")"
if [ -n "$cc_proc" ]; then
	r=$(ratio "$cc_proc" "$paved_in")
	echo "paved in-process vs cookiecutter --no-input: ${r}x faster (target >= 20x)"
	[ "$r" != "?" ] && [ "$r" -lt 20 ] && echo "  BELOW TARGET"
	echo "paved process vs cookiecutter process:       $(ratio "$cc_proc" "$paved_proc")x faster"
	[ -n "$cc_in" ] && echo "paved vs cookiecutter, both in-process:      $(ratio "$cc_in" "$paved_in")x faster"
fi
if [ -n "$node_proc" ]; then
	echo "paved in-process vs node + mustache process: $(ratio "$node_proc" "$paved_in")x faster"
	echo "paved process vs node + mustache process:    $(ratio "$node_proc" "$paved_proc")x faster"
	echo "paved vs mustache.js, both in-process:       $(ratio "$node_in" "$paved_in")x faster"
fi
exit $status
