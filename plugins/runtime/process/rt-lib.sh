# rt-lib.sh -- sourced by the end-to-end tests of plugins/runtime/process,
# after tests/e2e/lib.sh (private PAVED_HOME in $tmp, run/expect_* checks).
#
# Needs haproxy and python3: without them the test is skipped (exit 77),
# or fails under CI=true.  Every paved call is checked against
# sdk/hooks.json (PAVED_CHECK_SHAPES=1).  On exit, pass or fail, every
# process of this home's runtime is stopped (runtime.stop all, then
# SIGKILL to whatever still carries the home's mark) before $tmp goes.

for c in haproxy python3 curl; do
	if ! command -v "$c" >/dev/null 2>&1; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: '$c' is missing (CI=true: a missing tool is a failure)"
			exit 1
		fi
		echo "SKIP: '$c' is missing"
		exit 77
	fi
done

PAVED_CHECK_SHAPES=1
export PAVED_CHECK_SHAPES
# The replicas run testdata/httpd.py from a copy in this test's own
# directory, so a scan of /proc for it cannot see another test's processes.
RT_APP="$tmp/app"
mkdir -p "$PAVED_HOME" "$RT_APP"
cp "$top_srcdir/plugins/runtime/process/testdata/httpd.py" "$RT_APP/" || exit 99

# The pids of this home's runtime processes (mark or haproxy.cfg).
rt_pids() {
	grep -las "PAVED_RUNTIME_DIR=$PAVED_HOME/runtime/" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
	grep -las "RT_DIRECT=$PAVED_HOME/" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
	haproxies
}

rt_cleanup() {
	for e in dev qa; do
		timeout 60 "$PAVED" ${RT_PLUGINS:+--plugin-path "$RT_PLUGINS"} call runtime.stop \
			"{\"all\": true, \"env\": \"$e\"}" >/dev/null 2>&1 || true
	done
	timeout 60 "$PAVED" call runtime.stop '{"all": true}' >/dev/null 2>&1 || true
	for p in $(rt_pids); do
		[ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap rt_cleanup EXIT

# call HOOK JSON: `paved call HOOK JSON` into $out/$err/$rc.
call() {
	run "$PAVED" ${RT_PLUGINS:+--plugin-path "$RT_PLUGINS"} call "$@"
}

# jget EXPR: evaluate a Python expression over the last stdout, bound to j.
jget() {
	python3 -c 'import json, sys; j = json.load(open(sys.argv[2])); v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))' "$1" "$tmp/stdout"
}

# until_ok SECONDS CMD...: run CMD until it succeeds or SECONDS pass
# (polling a condition with a deadline); returns CMD's last status.
until_ok() {
	end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# gone PID...: true when none of the pids is a live (non-zombie) process.
gone() {
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		st=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -c1)
		[ -n "$st" ] && [ "$st" != Z ] && return 1
	done
	return 0
}

# procs_under DIR...: the live processes whose working directory or command
# line lies under one of the DIRs (found by scanning /proc), as "PID CMD"
# lines; the test's own shell and its children are left out.
procs_under() {
	python3 - "$$" "$@" <<'EOF'
import os, sys
me, dirs = sys.argv[1], sys.argv[2:]
skip = {me, str(os.getpid()), str(os.getppid())}
for p in os.listdir("/proc"):
    if not p.isdigit() or p in skip:
        continue
    try:
        with open("/proc/%s/stat" % p) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                continue
        cmd = open("/proc/%s/cmdline" % p, "rb").read().replace(b"\0", b" ").decode(errors="replace")
        cwd = os.readlink("/proc/%s/cwd" % p)
    except OSError:
        continue
    if any(cwd == d or cwd.startswith(d + "/") or d in cmd for d in dirs):
        print(p, cmd.strip())
EOF
}

# http URL: the body of GET URL (empty when nothing answers).
http() {
	curl -s -m 5 "$1" 2>/dev/null
}

# http_code URL: the status of GET URL (000 when nothing answers).
http_code() {
	curl -s -m 5 -o /dev/null -w '%{http_code}' "$1" 2>/dev/null
}

# haproxy_cmd CMD: send one command to this home's HAProxy runtime API.
haproxy_cmd() {
	python3 - "$PAVED_HOME/runtime/haproxy/admin.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
sys.stdout.write(out.decode())
EOF
}

# haproxies: the pids of the live HAProxy processes of this home (grep's
# own command line holds the path too: only processes named haproxy count).
haproxies() {
	for p in $(grep -las -- "$PAVED_HOME/runtime/haproxy/haproxy.cfg" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = haproxy ] && ! gone "$p" && echo "$p"
	done
}

# start_json SERVICE ENV VERSION [ARGV_JSON [VARIABLES_JSON]]: the
# arguments of a runtime.start of testdata/httpd.py.
start_json() {
	printf '{"service": "%s", "env": "%s", "version": "%s", "dir": "%s", "argv": %s, "variables": %s}' \
		"$1" "$2" "$3" "$RT_APP" "${4:-[\"python3\", \"httpd.py\"]}" "${5:-{\}}"
}
