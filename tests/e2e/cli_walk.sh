#!/bin/bash
# End to end: walk every command that `paved --help` lists, and every
# subcommand that command's help names, as a user exploring the CLI would:
#   - `paved CMD [SUB] --help` exits 0, prints a Usage line, and changes
#     nothing in PAVED_HOME (no event, no run, no file);
#   - an unknown option exits 2, names the option and says how to get help;
#   - a near miss of --help is answered with a suggestion.
. "$(dirname "$0")/lib.sh"

# Every file under PAVED_HOME with its checksum, but paved's own log.
snapshot() {
	(cd "$PAVED_HOME" && find . -type f ! -name paved.log -print0 | sort -z |
		xargs -0 -r sha256sum)
}

# Warm up: the first run creates the home, the state database and the
# plugin registration cache; after that, --help must not change a byte.
"$PAVED" plugins >/dev/null 2>&1
"$PAVED" hooks >/dev/null 2>&1

run "$PAVED" --help
expect_rc 0 "paved --help"
commands=$(sed -n '/^Commands:/,/^$/p' "$tmp/stdout" | awk 'NF && $1 != "Commands:" {print $1}')
[ -n "$commands" ] && pass "paved --help lists commands" || fail "no commands in paved --help"

# The subcommands named in CMD's help: words after "paved CMD" on its
# usage lines that are lowercase words (or a [default] one, or choices
# a|b|c), not options or placeholders.
subcommands() {
	"$PAVED" "$1" --help 2>/dev/null |
		sed -n "s/^ *\(Usage: \)\{0,1\}paved $1 \([^ ]*\).*/\2/p" | tr '|' '\n' |
		sed -n 's/^\[\{0,1\}\([a-z][a-z-]*\)\]\{0,1\}$/\1/p' | sort -u
}

walk() {
	local what="paved $*" before after
	before=$(snapshot)
	run "$PAVED" "$@" --help
	after=$(snapshot)
	if [ "$rc" -eq 0 ] && grep -qi "usage:" "$tmp/stdout"; then
		pass "$what --help"
	else
		fail "$what --help: exit $rc or no Usage line"; show
	fi
	[ "$before" = "$after" ] && pass "$what --help changes nothing" ||
		{ fail "$what --help changed PAVED_HOME"; diff <(echo "$before") <(echo "$after") | head -5; }
	before=$(snapshot)
	run "$PAVED" "$@" --no-such-option-xyz
	after=$(snapshot)
	expect_rc 2 "$what --no-such-option-xyz"
	expect_err "unknown option '--no-such-option-xyz'" "$what names the unknown option"
	expect_err "--help" "$what says how to get help"
	[ "$before" = "$after" ] && pass "$what with a bad option changes nothing" ||
		fail "$what with a bad option changed PAVED_HOME"
	run "$PAVED" "$@" --hlep
	expect_rc 2 "$what --hlep"
	expect_err "did you mean '--help'?" "$what suggests --help for --hlep"
}

nsubs=0
for c in $commands; do
	walk "$c"
	for s in $(subcommands "$c"); do
		walk "$c" "$s"
		nsubs=$((nsubs + 1))
	done
done
[ "$nsubs" -gt 10 ] && pass "walked $nsubs subcommands" || fail "only $nsubs subcommands found"

# Unknown commands and subcommands.
run "$PAVED" nosuchcommand
expect_rc 2 "an unknown command"
expect_err "unknown command 'nosuchcommand'" "the unknown command is named"
run "$PAVED" events nosuchsub
expect_rc 2 "an unknown subcommand"
expect_err "unknown subcommand 'nosuchsub' (use list, outbox or flush)" "the subcommands are listed"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ]
