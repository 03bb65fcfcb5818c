# deploy-lib.sh -- sourced by the deploy tests and benchmark
# (plugins/deploy/*/test_*.sh, tests/bench/bench_deploy.sh) after
# tests/e2e/lib.sh (or after setting $tmp, $PAVED and $PAVED_HOME):
#
#   deploy_need CMD... fail (exit 1) unless every CMD is installed
#   deploy_env         a HOME with no git configuration, a git identity, and
#                      every hook call checked against sdk/hooks.json
#   deploy_cleanup     for trap EXIT: `paved stop --all`, `paved resources stop`
#                      (and, as root, the servers' directories registered with
#                      this home), then any process that still carries this
#                      PAVED_HOME (supervisors, replicas, HAProxy, a background
#                      deploy started by a push), then remove $tmp (archived
#                      repositories are read-only)
#   jget EXPR          EXPR (JavaScript over `j`) of the JSON in the last stdout
#   wait_for SECS CMD  run CMD until it succeeds, SECS seconds at most
#   http_code URL      the HTTP status of GET URL (000: no answer)

deploy_need() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 ||
			{ echo "FAIL: $_c is needed (scripts/bootstrap installs it)"; exit 1; }
	done
}

deploy_env() {
	HOME="$tmp" XDG_CONFIG_HOME="$tmp" GIT_CONFIG_NOSYSTEM=1 PAVED_CHECK_SHAPES=1
	GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.org GIT_COMMITTER_NAME=Dev
	GIT_COMMITTER_EMAIL=dev@example.org
	export HOME XDG_CONFIG_HOME GIT_CONFIG_NOSYSTEM PAVED_CHECK_SHAPES GIT_AUTHOR_NAME \
		GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
}

deploy_cleanup() {
	if [ -n "${loop:-}" ]; then kill "$loop" 2>/dev/null || true; fi
	timeout 30 "$PAVED" stop --all >/dev/null 2>&1 || true
	# servers of the resources (as root they live in /var/lib/paved/KIND-HASH,
	# registered with this home in a file "home")
	timeout 60 "$PAVED" resources stop >/dev/null 2>&1 || true
	for d in /var/lib/paved/*/; do
		[ -f "$d/home" ] && [ "$(cat "$d/home" 2>/dev/null)" = "$PAVED_HOME" ] && rm -rf "$d"
	done
	for e in /proc/[0-9]*/environ; do
		pid=${e#/proc/}; pid=${pid%/environ}
		[ "$pid" = $$ ] && continue
		if { tr '\0' '\n' < "$e"; } 2>/dev/null | grep -qx "PAVED_HOME=$PAVED_HOME"; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}

jget() { cp "$tmp/stdout" "$tmp/j.json"; json_eval "$1" "$tmp/j.json"; }

wait_for() {
	_end=$(($(date +%s) + $1)); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.1
	done
}

http_code() { curl -s -o /dev/null -w '%{http_code}' -m 5 "$1"; }
