# services-lib.sh -- sourced by the tests and benchmarks that run services
# behind HAProxy (deploy/rolling, deploy/bluegreen, tests/bench/bench_deploy):
# a private PAVED_HOME, HOME and git identity in a temporary directory, and
# stopping everything the run started, also when it fails.
#
# The caller sets $paved (the paved binary) first, then:
#   services_setup NAME    makes $tmp and exports the environment
#   services_stop          paved stop, then whatever it left: supervisors
#                          (TERM stops their replicas), HAProxy, and any
#                          replica still alive by the pids in state.json
#   services_cleanup       for trap EXIT: kill the background request loop
#                          ($loop, when set), services_stop, remove $tmp

services_setup() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1 PAVED_HOME="$tmp/home"
	GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
	export HOME XDG_CONFIG_HOME GIT_CONFIG_NOSYSTEM PAVED_HOME
	export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
	unset PAVED_PLUGIN_PATH || true
}

services_stop() {
	timeout 30 "$paved" stop >/dev/null 2>&1 || true
	for f in "$PAVED_HOME"/runtime/*/*/supervisor.pid "$PAVED_HOME"/runtime/haproxy/haproxy.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
	done
	sleep 0.5
	for f in "$PAVED_HOME"/runtime/*/*/state.json; do
		[ -f "$f" ] || continue
		for p in $(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$f"); do kill -9 "$p" 2>/dev/null || true; done
	done
}

services_cleanup() {
	[ -n "${loop:-}" ] && kill "$loop" 2>/dev/null || true
	services_stop
	rm -rf "$tmp"
}
