# canary-lib.sh -- sourced by the canary's end-to-end tests and benchmark
# after tests/e2e/lib.sh and plugins/deploy/core/deploy-lib.sh:
#
#   canary_service NAME    a forge repository NAME whose working copy is
#                          $tmp/NAME, running canary-app (error rate and
#                          latency from platform.yaml's variables), deployed
#                          once (rolling, 2 replicas); sets $url
#   canary_yaml NAME STRATEGY VARS YAML   write NAME's platform.yaml
#   canary_version NAME VARS STRATEGY_YAML
#                          write and commit the next version's platform.yaml:
#                          VARS the variables ("ERROR_RATE: \"0.05\""), the
#                          YAML the deploy keys after them (steps, ...)
#   loop_start / loop_stop GET $url/ in the background, 10 at a time; each
#                          answer is a line "EPOCH_MS CODE" in $tmp/loop.log
#   loop_count FROM TO     "requests failed" between two epoch-ms times
#   now_ms                 the time in epoch milliseconds
#   status_is NAME PHASE   paved rollout status says PHASE (for wait_for)
#   canary_replicas NAME   "ID:VERSION:IN_TRAFFIC" of NAME's replicas, sorted
#   controllers NAME       how many rollout controllers of NAME run

APP="$top_builddir/plugins/deploy/canary/testdata/canary-app"

# canary_yaml NAME STRATEGY VARS YAML: the platform.yaml of NAME's working copy.
canary_yaml() {
	cat > "$tmp/$1/platform.yaml" <<EOF
service: $1
deploy:
  run: $APP
  health: /health
  replicas: 2
  strategy: $2
  variables: {$3}
$4
EOF
}

canary_service() {
	mkdir -p "$tmp/$1"
	canary_yaml "$1" rolling 'ERROR_RATE: "0", LATENCY_MS: "2"' ""
	"$PAVED" call forge.create "{\"name\": \"$1\", \"dir\": \"$tmp/$1\"}" >/dev/null || return 1
	"$PAVED" deploy "$1" --dir "$tmp/$1" >/dev/null || return 1
	url=$("$PAVED" --json status "$1" | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].url))')
}

canary_version() {
	canary_yaml "$1" canary "$2" "$3"
	git -C "$tmp/$1" commit -qam "version with $2" || return 1
	git -C "$tmp/$1" rev-parse HEAD | cut -c1-12
}

now_ms() { date +%s%3N; }

loop_start() {
	rm -f "$tmp/loop.log" "$tmp/loop.stop"
	# 10 requests per curl (one connection, one after the other), so the
	# canary gets enough of them at a small weight even on a loaded machine
	( while [ ! -f "$tmp/loop.stop" ]; do
		curl -s -m 5 -w '%{http_code}\n' -o /dev/null "$url/" -o /dev/null "$url/" \
			-o /dev/null "$url/" -o /dev/null "$url/" -o /dev/null "$url/" -o /dev/null "$url/" \
			-o /dev/null "$url/" -o /dev/null "$url/" -o /dev/null "$url/" -o /dev/null "$url/" |
			sed "s/^/$(date +%s%3N) /" >> "$tmp/loop.log"
		sleep 0.01
	  done ) &
	loop=$!
}

loop_stop() {
	touch "$tmp/loop.stop"
	[ -n "$loop" ] && wait "$loop" 2>/dev/null
	loop=
}

loop_count() {
	awk -v a="$1" -v b="$2" '$1 >= a && $1 <= b { n++; if ($2 != 200) f++ }
		END { printf "%d %d\n", n, f }' "$tmp/loop.log"
}

status_is() {
	"$PAVED" --json rollout status "$1" 2>/dev/null | grep -q "\"phase\": \"$2\""
}

canary_replicas() {
	"$PAVED" --json status "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>
		console.log(JSON.parse(s)[0].instances.map(r=>r.id+":"+r.version+":"+r.in_traffic).sort().join(" ")))'
}

controllers() {
	pgrep -f -- "--home $PAVED_HOME rollout _controller $1 " | wc -l
}
