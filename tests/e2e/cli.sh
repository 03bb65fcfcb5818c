#!/bin/sh
# cli.sh -- end-to-end test of the paved command line: help, version,
# every bundled plugin loading under --strict, JSON output, a call with its
# event in `paved events` and events.jsonl, and the exit codes of a call
# to a missing hook and of bad arguments.
. "$top_srcdir/tests/e2e/lib.sh"

# ---- help and version -------------------------------------------------------
run "$PAVED" --help
expect_rc 0 "paved --help"
expect_out "Exit status:" "--help documents exit codes"
for code in 0 1 2 3 4; do
	expect_out "  $code  " "--help documents exit code $code"
done

cmds=$(sed -n '/^Commands:/,/^$/{/^  [a-z]/s/^  \([a-z][a-z0-9_-]*\).*/\1/p}' "$tmp/stdout")
[ -n "$cmds" ] && pass "--help lists commands: $(echo $cmds)" || fail "--help lists no commands"
for c in $cmds; do
	run "$PAVED" "$c" --help
	expect_rc 0 "paved $c --help"
	expect_out "paved $c" "paved $c --help shows its usage"
	run "$PAVED" help "$c"
	expect_rc 0 "paved help $c"
done

run "$PAVED" --version
expect_rc 0 "paved --version"
expect_out "paved " "--version names paved"
expect_out "(plugin ABI 2)" "--version names the plugin ABI"
run "$PAVED" --version --json
expect_json "--version --json"

run "$PAVED"
expect_rc 2 "paved without a command"
expect_err "Usage: paved" "no command prints the usage"
run "$PAVED" no-such-command
expect_rc 2 "unknown command"
expect_err "unknown command 'no-such-command'" "unknown command is named"
run "$PAVED" plugins --bogus
expect_rc 2 "unknown argument to plugins"

# ---- every bundled plugin loads (fresh PAVED_HOME: nothing cached) -----------
# LD_BIND_NOW makes dlopen resolve every symbol, so a plugin with a missing
# symbol fails here rather than in front of a user.
run env LD_BIND_NOW=1 PAVED_HOME="$tmp/fresh-home" "$PAVED" --strict plugins --json
expect_rc 0 "LD_BIND_NOW=1 paved --strict plugins"
expect_json "plugins --json"
cp "$tmp/stdout" "$tmp/plugins.json"
bad=$(json_eval 'j.filter(p => p.status !== "loaded").map(p => p.file + ": " + p.status + " " + (p.error || "")).join("\n")' "$tmp/plugins.json")
[ -z "$bad" ] && pass "every bundled plugin loaded" || fail "plugins not loaded: $bad"
# every plugin file in the build tree's search path is listed...
run "$PAVED" --json config path
cp "$tmp/stdout" "$tmp/path.json"
search=$(json_eval 'j.plugin_path' "$tmp/path.json")
found=0
old_ifs=$IFS; IFS=:
for d in $search; do
	IFS=$old_ifs
	for f in "$d"/*.so "$d"/*.lua; do
		[ -f "$f" ] || continue
		found=$((found + 1))
		if grep -qF "\"$f\"" "$tmp/plugins.json"; then
			pass "bundled plugin $f is listed"
		else
			fail "bundled plugin $f is not listed by paved plugins"
		fi
	done
done
IFS=$old_ifs
[ "$found" -ge 2 ] && pass "found $found bundled plugins" || fail "found only $found bundled plugins"
# ...and every plugin built in the tree loads, opt-in ones too (given
# with --plugin-path, as a user enables them)
for so in $(find "$top_builddir/plugins" "$top_builddir/sdk" -path '*/.libs/*.so' | sort); do
	run env LD_BIND_NOW=1 PAVED_HOME="$tmp/optin-home" "$PAVED" --strict \
		--plugin-path "$(dirname "$so")" plugins
	expect_rc 0 "LD_BIND_NOW=1 paved --strict --plugin-path $(dirname "$so") plugins"
done

# a second run knows them from the cache: status ready, still strict-clean
run env PAVED_HOME="$tmp/fresh-home" "$PAVED" --strict plugins --json
expect_rc 0 "second paved --strict plugins"
cp "$tmp/stdout" "$tmp/plugins2.json"
notready=$(json_eval 'j.filter(p => p.status !== "ready").map(p => p.name + ":" + p.status).join(" ")' "$tmp/plugins2.json")
[ -z "$notready" ] && pass "second run serves every plugin from the cache" \
	|| fail "second run: not from the cache: $notready"

run "$PAVED" plugins
expect_rc 0 "paved plugins"
expect_out "hello 1.0.0  ready" "plugins shows hello as ready"
expect_out "provides example.hello" "plugins shows what hello provides"

run "$PAVED" hooks --json
expect_rc 0 "paved hooks --json"
expect_json "hooks --json"
cp "$tmp/stdout" "$tmp/hooks.json"
prov=$(json_eval 'j.find(h => h.hook === "example.hello").provider' "$tmp/hooks.json")
[ "$prov" = hello ] && pass "hooks: example.hello provided by hello" || fail "hooks: provider '$prov'"
run "$PAVED" hooks
expect_out "example.hello" "hooks lists example.hello"

# ---- a call, its event in the log and the jsonl sink ---------------------------
run "$PAVED" call example.hello '{"name":"ada"}'
expect_rc 0 "paved call example.hello"
expect_out '"greeting": "hello, ada"' "call prints the greeting"
run "$PAVED" events
expect_rc 0 "paved events"
expect_out "example.greeted" "the event is in paved events"
expect_out '"hello, ada"' "paved events shows the event's data"
run "$PAVED" events --json --tail 5
expect_rc 0 "paved events --json"
expect_json "events --json"
cp "$tmp/stdout" "$tmp/events.json"
ev=$(json_eval 'j[j.length - 1].event + " " + j[j.length - 1].data.greeting' "$tmp/events.json")
[ "$ev" = "example.greeted hello, ada" ] && pass "events --json has the event" || fail "events --json: '$ev'"
jl="$PAVED_HOME/logs/events.jsonl"
if [ -f "$jl" ] && grep -q '"event":"example.greeted"' "$jl" && grep -qF 'hello, ada' "$jl"; then
	pass "the event is in events.jsonl"
else
	fail "the event is not in $jl"
fi
tail -n 1 "$jl" >"$tmp/line.json"
json_valid "$tmp/line.json" && pass "events.jsonl line is JSON" || fail "events.jsonl line is not JSON"
run "$PAVED" --json events outbox
expect_json "events outbox --json"
cp "$tmp/stdout" "$tmp/outbox.json"
waiting=$(json_eval 'j.filter(r => r.sink.startsWith("jsonl ")).length' "$tmp/outbox.json")
[ "$waiting" = 0 ] && pass "nothing waits in the outbox for jsonl" || fail "$waiting events wait for jsonl"
run "$PAVED" events --tail x
expect_rc 2 "events --tail x"

echo '{"name": "bob"}' >"$tmp/args.json"
run sh -c '"$1" call example.hello - <"$2"' sh "$PAVED" "$tmp/args.json"
expect_rc 0 "call with JSON from stdin"
expect_out "hello, bob" "stdin argument reaches the plugin"

run "$PAVED" -c plugins.hello.greeting=howdy call example.hello '{"name":"ada"}'
expect_out "howdy, ada" "-c sets a plugin option"

# ---- errors a user meets --------------------------------------------------------
run "$PAVED" call nope
expect_rc 4 "call of a hook nobody provides"
expect_err "no plugin provides 'nope'" "missing hook is named"
expect_err "loaded plugins: " "loaded plugins are listed"
expect_err "hello" "the list names hello"

run "$PAVED" call example.hello '{"name":'
expect_rc 2 "call with bad JSON"
expect_err "invalid JSON argument" "bad JSON is reported"

run "$PAVED" call example.hello '{}'
expect_rc 1 "call failing in the plugin"
expect_err "paved: hello: example.hello: argument 'name' (a non-empty string) is required" \
	"plugin error reaches the user prefixed with plugin and hook"

run "$PAVED" call
expect_rc 2 "call without a hook"

run "$PAVED" --json config get plugin_path
expect_rc 1 "config get of an unset key"

finish
