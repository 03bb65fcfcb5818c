#!/bin/sh
# End to end: `make install` into a staging root, then build the example
# plugin and the sdk/README.md example OUT OF TREE with their 5-line
# Makefile and `pkg-config paved-plugin`, and load both into the installed
# paved binary.
set -eu
: "${top_builddir:?run from make check}" "${top_srcdir:?run from make check}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$top_builddir" install \
	DESTDIR="$tmp/root" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "make install"; }
pcfile=$(find "$tmp/root" -name paved-plugin.pc | head -n 1)
[ -n "$pcfile" ] || fail "paved-plugin.pc was not installed"
paved=$(find "$tmp/root" -path '*/bin/paved' | head -n 1)
[ -x "$paved" ] || fail "paved was not installed"
[ -f "$(find "$tmp/root" -path '*/include/paved/plugin.h' | head -n 1)" ] || fail "plugin.h missing"
ls "$(dirname "$pcfile")/../paved/plugins/jsonl.so" >/dev/null || fail "plugins not in \$(pkglibdir)/plugins"
ls "$(dirname "$pcfile")/../paved/plugins/"*.la >/dev/null 2>&1 && fail ".la files installed"
[ -x "$(find "$tmp/root" -path '*/libexec/paved/paved-supervisor' | head -n 1)" ] ||
	fail "paved-supervisor not installed in \$(pkglibexecdir)"
export PKG_CONFIG_PATH="$(dirname "$pcfile")" PKG_CONFIG_SYSROOT_DIR="$tmp/root"
export PAVED_HOME="$tmp/home"

# 1. the example plugin, with the Makefile it ships
mkdir "$tmp/hello"
cp "$top_srcdir/sdk/examples/hello/hello.c" "$top_srcdir/sdk/examples/hello/Makefile" "$tmp/hello/"
[ "$(wc -l < "$tmp/hello/Makefile")" -le 5 ] || fail "the example Makefile is longer than 5 lines"
make -s -C "$tmp/hello" >/dev/null || fail "out-of-tree build of hello"
out=$("$paved" --plugin-path "$tmp/hello" call example.hello '{"name": "ada"}')
echo "$out" | grep -q '"greeting": "hello, ada"' || fail "hello did not answer: $out"
"$paved" --plugin-path "$tmp/hello" --json plugins show hello | grep -q "\"file\": \"$tmp/hello/hello.so\"" \
	|| fail "the out-of-tree hello.so was not the one loaded"

# 2. the complete example of sdk/README.md, built the same way
mkdir "$tmp/greet"
sed -n '/^```c$/,/^```$/p' "$top_srcdir/sdk/README.md" | sed '1d;$d' | \
	awk 'NR==1 || !/^```/' | sed '/^```/,$d' > "$tmp/greet/greet.c"
sed 's/hello/greet/g' "$top_srcdir/sdk/examples/hello/Makefile" > "$tmp/greet/Makefile"
make -s -C "$tmp/greet" >/dev/null 2>"$tmp/greet.err" || { cat "$tmp/greet.err"; fail "README example does not build"; }
out=$("$paved" --plugin-path "$tmp/greet" -c plugins.greet.word=hi call greet.hello '{"name": "ada"}')
echo "$out" | grep -q '"greeting": "hi, ada"' || fail "README example did not answer: $out"
set +e
err=$("$paved" --plugin-path "$tmp/greet" call greet.hello '{"name": "mallory"}' 2>&1 >/dev/null)
rc=$?
set -e
[ $rc -eq 1 ] || fail "veto exit code $rc"
echo "$err" | grep -q "greet: before:greet.hello: we do not greet mallory" || fail "veto message: $err"
echo "1 passed, 0 failed"
