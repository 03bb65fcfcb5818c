#!/bin/sh
# faults.sh -- end-to-end test of the "bad input and faults" cases through
# the real binary: malformed config, a plugin that fails to load (one line
# on stderr, shown by `paved plugins`, fatal with --strict), a vetoing
# observer, a failing sink whose event is delivered on a later run, and an
# unusable PAVED_HOME.
. "$top_srcdir/tests/e2e/lib.sh"

# ---- malformed config ------------------------------------------------------------
mkdir -p "$PAVED_HOME"
printf '{\n  "a": 1,\n  "b": ,\n}\n' >"$PAVED_HOME/config.json"
run "$PAVED" plugins
expect_rc 2 "malformed config.json"
expect_err "paved: $PAVED_HOME/config.json:3:8: invalid JSON: " "config error names file:line:col"
printf '[1]\n' >"$PAVED_HOME/config.json"
run "$PAVED" hooks
expect_rc 2 "non-object config.json"
expect_err "$PAVED_HOME/config.json:1:1: config must be a JSON object" "non-object config is named"
rm -f "$PAVED_HOME/config.json"
printf '{"plugins": }' >"$tmp/system.json"
run env PAVED_SYSTEM_CONFIG="$tmp/system.json" "$PAVED" hooks
expect_rc 2 "malformed system config"
expect_err "$tmp/system.json:1:" "system config error names the file"
run "$PAVED" -c novalue hooks
expect_rc 2 "-c without KEY=VALUE"
expect_err "-c: expected KEY=VALUE, got 'novalue'" "-c error"

# ---- a plugin that fails to load ------------------------------------------------------
pd=$(plugin_dir veto)
printf 'This text file is named like a plugin, but it is not a shared object.\n' >"$pd/notso.so"
run "$PAVED" --plugin-path "$pd" plugins
expect_rc 0 "plugins with a broken plugin file (not strict)"
line="paved: plugin $pd/notso.so: not a loadable shared object: invalid ELF header"
expect_err "$line" "one line names the file and the reason"
n=$(grep -c 'notso' "$tmp/stderr")
[ "$n" -eq 1 ] && pass "exactly one line about it" || fail "$n lines about notso"
expect_out "notso" "paved plugins lists the failed plugin"
expect_out "failed  (c)  $pd/notso.so" "paved plugins shows its status"
expect_out "error: not a loadable shared object: invalid ELF header" "paved plugins shows its reason"
expect_out "veto 1.0.0  loaded" "the other plugins still load"
run "$PAVED" --plugin-path "$pd" plugins --json
expect_json "plugins --json with a failed plugin"
cp "$tmp/stdout" "$tmp/p.json"
st=$(json_eval 'j.find(p => p.file.endsWith("/notso.so")).status + ": " + j.find(p => p.file.endsWith("/notso.so")).error' "$tmp/p.json")
[ "$st" = "failed: not a loadable shared object: invalid ELF header" ] \
	&& pass "plugins --json shows the failure" || fail "plugins --json: '$st'"
run "$PAVED" --strict --plugin-path "$pd" plugins
expect_rc 3 "--strict makes it fatal"
expect_err "plugin $pd/notso.so: not a loadable shared object: invalid ELF header (--strict)" \
	"--strict names the plugin"
run "$PAVED" --plugin-path "$pd" call example.hello '{"name":"ada"}'
expect_rc 0 "other plugins work beside a failed one"

# a plugin for another ABI, and one whose init fails
pd2=$(plugin_dir badabi initfail)
run "$PAVED" --plugin-path "$pd2" plugins
expect_err "paved: plugin $pd2/badabi.so: built for plugin ABI 1, but this paved" "ABI mismatch"
expect_err "provides ABI 2" "ABI mismatch names both versions"
expect_err "paved: plugin $pd2/initfail.so: init failed: cannot reach the frobnicator at 10.0.0.1" \
	"init failure in the plugin's words"
run "$PAVED" --plugin-path "$pd2" call test.initfail
expect_rc 4 "a failed plugin's hooks are gone"

# ---- an observer that vetoes --------------------------------------------------------------
pd3=$(plugin_dir veto)
run "$PAVED" --plugin-path "$pd3" call example.hello '{"name":"mallory"}'
expect_rc 1 "a vetoed call"
[ "$err" = "paved: veto: before:example.hello: policy forbids greeting mallory (ticket SEC-42)" ] \
	&& pass "the veto reason reaches the user verbatim" || { fail "veto message"; show; }
[ -z "$out" ] && pass "a vetoed call prints no result" || fail "a vetoed call printed '$out'"
run "$PAVED" --plugin-path "$pd3" call example.hello '{"name":"ada"}'
expect_rc 0 "an allowed call"
run "$PAVED" --plugin-path "$pd3" hooks
expect_out "before:example.hello" "hooks shows the before: observer"
expect_out "observed by veto (priority 10)" "hooks shows who observes"

# ---- a sink that fails, delivered on a later run -----------------------------------------
export PAVED_HOME="$tmp/home-sink"
pd4=$(plugin_dir failsink)
run "$PAVED" --plugin-path "$pd4" -c plugins.failsink.fail=true call example.hello '{"name":"ada"}'
expect_rc 0 "the command succeeds although a sink fails"
expect_out "hello, ada" "the result is printed"
# other bundled sinks may wait too (say, one not configured): look at ours
failsink_row() {
	run "$PAVED" --plugin-path "$pd4" --json events outbox
	cp "$tmp/stdout" "$tmp/outbox.json"
	json_eval 'j.filter(r => r.sink === "failsink event:*").map(r => r.event_id + " " + r.event + " " + r.attempts + " " + r.last_error).join("|")' "$tmp/outbox.json"
}
row=$(failsink_row)
[ "$row" = "1 example.greeted 1 failsink: event:*: sink is down (plugins.failsink.fail is true)" ] \
	&& pass "the event waits in the outbox with attempts and the error" || fail "outbox row: '$row'"
run "$PAVED" --plugin-path "$pd4" events outbox
expect_out "-> failsink event:* (attempts 1): failsink: event:*: sink is down" "events outbox shows it"
run "$PAVED" --plugin-path "$pd4" -c plugins.failsink.fail=true events flush
expect_rc 1 "flush while the sink is down"
expect_out "delivered 0, still pending " "nothing delivered while down"
[ ! -e "$PAVED_HOME/failsink.log" ] && pass "the sink got nothing yet" || fail "the sink got something"
row=$(failsink_row)
[ "${row%% *}" = "1" ] && pass "the event still waits" || fail "outbox row: '$row'"
run "$PAVED" --plugin-path "$pd4" events flush
expect_out "delivered 1, still pending " "the waiting event is delivered on a later run"
row=$(failsink_row)
[ -z "$row" ] && pass "the outbox no longer holds it for failsink" || fail "outbox row: '$row'"
[ "$(cat "$PAVED_HOME/failsink.log" 2>/dev/null)" = "1 example.greeted" ] \
	&& pass "the sink received the event" || fail "failsink.log: $(cat "$PAVED_HOME/failsink.log" 2>&1)"
grep -q '"event":"example.greeted"' "$PAVED_HOME/logs/events.jsonl" \
	&& pass "the healthy jsonl sink got it at once" || fail "events.jsonl lacks the event"

# ---- PAVED_HOME not usable ----------------------------------------------------------------
: >"$tmp/afile"
run env PAVED_HOME="$tmp/afile/home" "$PAVED" plugins
expect_rc 2 "PAVED_HOME under a regular file"
expect_err "PAVED_HOME $tmp/afile/home is not usable: " "unusable PAVED_HOME is named"
mkdir "$tmp/ro" && chmod 555 "$tmp/ro" && chmod 755 "$tmp"
if [ "$(id -u)" -ne 0 ]; then
	run env PAVED_HOME="$tmp/ro" "$PAVED" plugins
elif command -v setpriv >/dev/null 2>&1; then
	# root ignores file modes: run paved as nobody
	run setpriv --reuid=65534 --regid=65534 --clear-groups env PAVED_HOME="$tmp/ro" "$PAVED" plugins
else
	rc=2; printf 'PAVED_HOME %s is not writable: skipped (root, no setpriv)\n' "$tmp/ro" >"$tmp/stderr"
fi
expect_rc 2 "PAVED_HOME not writable"
expect_err "PAVED_HOME $tmp/ro is not writable" "not-writable PAVED_HOME is named"

finish
