# logs-lib.sh -- sourced by the logs tests and benchmark after
# tests/e2e/lib.sh and plugins/deploy/core/deploy-lib.sh.
#
#   logs_loki      pick the Loki program: $PAVED_TEST_LOKI, else a Grafana
#                  Loki `loki` in PATH, else the Loki API stand-in
#                  (testdata/loki-standin.py, copied where an unprivileged
#                  user can run it); sets LOKI_BIN and LOKI_KIND (grafana or
#                  standin) and says which
#   logs_config J  write $PAVED_HOME/config.json: J (a JSON object's
#                  members, may be empty) plus plugins.logs.binary
#   logs_service   a service "chat" in the forge: testdata/chatter.py, one
#                  replica (runtime log files of 64 KiB, one rotated kept)
#   logs_cleanup   for trap EXIT: paved loki down, then deploy_cleanup
#   loki_url       the URL of the running Loki (paved loki status)
#   shipped N      true once the shipper's status says >= N lines shipped

logs_loki() {
	LOKI_BIN=${PAVED_TEST_LOKI:-}
	if [ -z "$LOKI_BIN" ] && command -v loki >/dev/null 2>&1 &&
	   loki -version 2>&1 </dev/null | grep -q "loki, version"; then
		LOKI_BIN=$(command -v loki)
	fi
	if [ -n "$LOKI_BIN" ]; then
		LOKI_KIND=grafana
		echo "NOTE: Grafana Loki: $LOKI_BIN"
	else
		LOKI_KIND=standin
		# as root, paved runs Loki as nobody, who cannot enter $tmp
		standin_dir=$(mktemp -d /tmp/paved-loki-standin.XXXXXX) || exit 99
		chmod 755 "$standin_dir"
		cp "$top_srcdir/plugins/logs/testdata/loki-standin.py" "$standin_dir/" || exit 99
		chmod 755 "$standin_dir/loki-standin.py"
		LOKI_BIN="$standin_dir/loki-standin.py"
		echo "NOTE: no Grafana Loki is installed (Debian 12 has none: its package 'loki' is an"
		echo "NOTE: unrelated program); this test runs against the Loki API stand-in $LOKI_BIN"
		echo "NOTE: (set PAVED_TEST_LOKI=/path/to/grafana/loki to run it against a real Loki)"
	fi
}

logs_config() {
	mkdir -p "$PAVED_HOME"
	printf '{%s%s"plugins": {"logs": {"binary": "%s"}, "runtime_process": {"log_max_bytes": 65536, "log_keep": 1}}}\n' \
		"$1" "${1:+, }" "$LOKI_BIN" > "$PAVED_HOME/config.json"
}

logs_service() {
	mkdir -p "$tmp/src"
	cp "$top_srcdir/plugins/logs/testdata/chatter.py" "$tmp/src/"
	printf 'service: chat\ndeploy:\n  run: python3 chatter.py\n  health: /health\n  replicas: 1\n' \
		> "$tmp/src/platform.yaml"
	"$PAVED" call forge.create "{\"name\": \"chat\", \"dir\": \"$tmp/src\"}" >/dev/null ||
		{ echo "FAIL: forge.create chat"; exit 1; }
}

logs_cleanup() {
	timeout 30 "$PAVED" loki down >/dev/null 2>&1 || true
	deploy_cleanup
	[ -n "${standin_dir:-}" ] && rm -rf "$standin_dir"
}

loki_url() {
	"$PAVED" --json loki status 2>/dev/null | python3 -c 'import json, sys
print(json.load(sys.stdin)["loki"]["url"] or "")'
}

shipped() {
	[ "$(python3 -c 'import json, sys
print(json.load(open(sys.argv[1])).get("shipped", 0))' "$PAVED_HOME/logs/shipper/status.json" 2>/dev/null || echo 0)" -ge "$1" ]
}
