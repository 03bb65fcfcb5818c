# portal-lib.sh -- sourced by the portal's tests after tests/e2e/lib.sh:
# start and stop `paved serve` on a free loopback port, and call its API.
# The server is stopped on exit, pass or fail.

SERVE_PID=
portal_cleanup() {
	if [ -n "$SERVE_PID" ] && kill -0 "$SERVE_PID" 2>/dev/null; then
		kill -TERM "$SERVE_PID" 2>/dev/null
		wait "$SERVE_PID" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap portal_cleanup EXIT

# serve_start [ARGS...]: start paved serve on 127.0.0.1, port 0; sets URL
# and SERVE_PID once it listens (deadline 120 s).
serve_start() {
	"$PAVED" serve --listen 127.0.0.1:0 "$@" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	SERVE_PID=$!
	deadline=$(($(date +%s) + 120))
	until grep -q "listening on" "$tmp/serve.out" 2>/dev/null; do
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			echo "FAIL: paved serve exited:"; cat "$tmp/serve.out" "$tmp/serve.err"; exit 1
		fi
		[ "$(date +%s)" -lt "$deadline" ] || { echo "FAIL: paved serve never listened"; exit 1; }
		sleep 0.05
	done
	URL=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/serve.out")
	PORT=${URL##*:}
}

# serve_stop: SIGTERM and wait; sets stop_rc.
serve_stop() {
	kill -TERM "$SERVE_PID"
	wait "$SERVE_PID"
	stop_rc=$?
	SERVE_PID=
}

# api METHOD PATH [TOKEN [BODY|@FILE]]: call the API; sets $code, the body
# in $tmp/body, the headers in $tmp/headers.
api() {
	set -- "$@" "" ""
	m=$1 p=$2 tok=$3 data=$4
	set -- -s -X "$m" -D "$tmp/headers" -o "$tmp/body" -w '%{http_code}'
	[ -n "$tok" ] && set -- "$@" -H "Authorization: Bearer $tok"
	[ -n "$data" ] && set -- "$@" -H 'Content-Type: application/json' --data-binary "$data"
	code=$(curl "$@" "$URL$p")
}

# jb EXPR: a JavaScript expression over the last body (bound to j).
jb() { json_eval "$1" "$tmp/body"; }

# expect_code WANT DESCRIPTION
expect_code() {
	if [ "$code" = "$1" ]; then pass "$2 ($1)"; else fail "$2: HTTP $code, want $1"; head -c 600 "$tmp/body"; echo; fi
}

# expect_jb EXPR WANT DESCRIPTION
expect_jb() {
	got=$(jb "$1" 2>&1)
	if [ "$got" = "$2" ]; then pass "$3"; else fail "$3: $1 is '$got', want '$2'"; fi
}
