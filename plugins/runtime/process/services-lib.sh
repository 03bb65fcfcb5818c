# services-lib.sh -- sourced by the tests and benchmarks that run services
# behind HAProxy (deploy/rolling, deploy/bluegreen, tests/bench/bench_deploy):
# a private PAVED_HOME, HOME and git identity in a temporary directory, and
# stopping everything the run started, also when it fails.
#
# The caller sets $paved (the paved binary) first, then:
#   services_setup NAME    makes $tmp and exports the environment
#   services_stop          `paved call runtime.stop {"all": true}` (which
#                          stops every supervisor, replica and HAProxy of the
#                          home and checks they are gone), then, should paved
#                          itself have failed, SIGKILL to whatever still
#                          carries this home's PAVED_RUNTIME_DIR mark or runs
#                          this home's haproxy.cfg
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

# The pids of the processes of this home's runtime (by their mark or by
# running this home's haproxy.cfg).
services_pids() {
	grep -las "PAVED_RUNTIME_DIR=$PAVED_HOME/runtime/" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3
	for p in $(grep -las -- "$PAVED_HOME/runtime/haproxy/haproxy.cfg" /proc/[0-9]*/cmdline 2>/dev/null |
	           cut -d/ -f3); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = haproxy ] && echo "$p"   # not grep itself
	done
}

services_stop() {
	timeout 60 "$paved" call runtime.stop '{"all": true}' >/dev/null 2>&1 || true
	for p in $(services_pids); do
		[ "$p" != "$$" ] && kill -9 "$p" 2>/dev/null || true
	done
}

services_cleanup() {
	[ -n "${loop:-}" ] && kill "$loop" 2>/dev/null || true
	services_stop
	rm -rf "$tmp"
}
