#!/bin/bash
# skeletons.sh: every golden-path skeleton, rendered for every database
# choice, is a working service that keeps the platform's contracts.
#
# For each template (node-api, c-api, python-api) and database (none,
# postgres, redis):
#   1. `paved create service NAME --template T --database D --no-deploy --dir DIR`
#      renders it through the real binary. The database step is pointed at
#      the Terraform driver with -c: it only writes a module under
#      $PAVED_HOME, so no PostgreSQL or Redis server is started.
#   2. No unrendered {{ tag is left, and every *.yml / *.yaml file parses.
#      YAML is read by yaml2json, a small libyaml program compiled here:
#      libyaml is a build dependency of paved, so it is present wherever
#      paved builds (python3 and node have no YAML parser of their own, and
#      paved has no command that reads an arbitrary YAML file). python3's
#      json module then checks platform.yaml's exact shape (resources, deploy,
#      slo), and `paved call platform.read` (the host's reader of the
#      contract) must read it without a warning.
#   3. The service's own test suite passes (npm test, make test,
#      python3 -m unittest discover -s tests).
#   4. It runs (its platform.yaml deploy.run command, PORT=0): a live
#      /metrics page passes `promtool check metrics` (skipped with a message
#      when promtool is missing; under CI=true that is a failure), every
#      stdout line is a JSON object, and the span of a request carrying a
#      traceparent reaches a local OTLP/HTTP receiver as valid JSON.
# Everything listens on and talks to 127.0.0.1 only.
set -u
. "${top_srcdir:?run through make check}/tests/e2e/lib.sh"

export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.com \
	GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.com
# npm: no update check, audit or funding message (no traffic beyond 127.0.0.1)
export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false
unset PAVED_RECIPE_PATH METRICS OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
	OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES DATABASE_URL REDIS_URL

if ! command -v git >/dev/null 2>&1; then
	echo "SKIP: git is not installed (the local forge needs it)"
	exit 77
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is not installed (the checks and the python-api service need it)"
	exit 77
fi
PROMTOOL=$(command -v promtool || true)
if [ -z "$PROMTOOL" ]; then
	if [ "${CI:-}" = true ]; then
		fail "promtool is not installed (Debian package 'prometheus'; scripts/bootstrap installs it)"
	else
		echo "SKIP (part): promtool is not installed: live /metrics pages are not checked with it"
	fi
fi

# ---- helpers written to $tmp ------------------------------------------------

# yaml2json FILE: the YAML documents of FILE as a JSON array. Scalars stay
# strings; a plain empty, ~ or null scalar is null. Invalid YAML: exit 1
# with FILE:LINE:COLUMN: problem.
cat >"$tmp/yaml2json.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <yaml.h>

static void string(const unsigned char *s, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] < 0x20)
			printf("\\u%04x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

static int node(yaml_document_t *d, yaml_node_t *n)
{
	if (n->type == YAML_SCALAR_NODE) {
		const char *v = (const char *)n->data.scalar.value;
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (!*v || !strcmp(v, "~") || !strcmp(v, "null")))
			fputs("null", stdout);
		else
			string(n->data.scalar.value, n->data.scalar.length);
	} else if (n->type == YAML_SEQUENCE_NODE) {
		putchar('[');
		for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
			if (i != n->data.sequence.items.start)
				putchar(',');
			if (node(d, yaml_document_get_node(d, *i)))
				return 1;
		}
		putchar(']');
	} else if (n->type == YAML_MAPPING_NODE) {
		putchar('{');
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(d, p->key);
			if (k->type != YAML_SCALAR_NODE)
				return 1;
			if (p != n->data.mapping.pairs.start)
				putchar(',');
			string(k->data.scalar.value, k->data.scalar.length);
			putchar(':');
			if (node(d, yaml_document_get_node(d, p->value)))
				return 1;
		}
		putchar('}');
	}
	return 0;
}

int main(int argc, char **argv)
{
	FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
	yaml_parser_t parser;
	if (f == NULL || !yaml_parser_initialize(&parser))
		return 2;
	yaml_parser_set_input_file(&parser, f);
	putchar('[');
	for (int docs = 0;; docs++) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "%s:%zu:%zu: %s\n", argv[1], parser.problem_mark.line + 1,
			        parser.problem_mark.column + 1, parser.problem ? parser.problem : "invalid YAML");
			return 1;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (root == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		if (docs > 0)
			putchar(',');
		if (node(&doc, root)) {
			fprintf(stderr, "%s: a mapping key that is not a scalar\n", argv[1]);
			return 1;
		}
		yaml_document_delete(&doc);
	}
	puts("]");
	return 0;
}
EOF
# shellcheck disable=SC2046
if ! cc -o "$tmp/yaml2json" "$tmp/yaml2json.c" $(pkg-config --cflags --libs yaml-0.1 2>/dev/null || echo -lyaml) \
	2>"$tmp/cc.log"; then
	echo "ERROR: cannot build the YAML checker (cc and libyaml-dev, paved's own build dependencies):"
	cat "$tmp/cc.log"
	exit 99
fi

# check_platform.py JSON TEMPLATE DATABASE NAME: platform.yaml (as yaml2json
# printed it) has the contract's shape. Prints each problem; exit 1 if any.
cat >"$tmp/check_platform.py" <<'EOF'
import json, sys
path, template, db, name = sys.argv[1:5]
(doc,) = json.load(open(path))
resources = {
    "none": {},
    "postgres": {"db": {"type": "postgres", "class": "small", "params": {"backups": "daily"}}},
    "redis": {"cache": {"type": "redis", "class": "small", "params": {"eviction": "lru"}}},
}[db]
variables = {
    "none": {},
    "postgres": {"DATABASE_URL": "${resources.db.url}"},
    "redis": {"REDIS_URL": "${resources.cache.url}"},
}[db]
build, run = {
    "node-api": ("", "node src/server.js"),
    "c-api": ("make", "./build/" + name),
    "python-api": ("", "python3 -m app"),
}[template]
want = {
    "service": name,
    "resources": resources,
    "deploy": {"build": build, "run": run, "port": "8080", "health": "/health", "replicas": "2",
               "strategy": "rolling", "variables": variables,
               "steps": [{"deploy": "20%", "duration": "1m",
                          "metrics": [{"error_rate_less_than": "1%"}]},
                         {"deploy": "100%"}]},
    "slo": {"availability": "99.9", "latency": {"p99_ms": "200"}, "window": "30d"},
}
problems = [f"{k}: {doc.get(k)!r}, want {v!r}" for k, v in want.items() if doc.get(k) != v]
problems += [f"unexpected key {k!r}" for k in doc if k not in want]
for p in problems:
    print("  platform.yaml " + p)
sys.exit(1 if problems else 0)
EOF

# live.py DIR RUN METRICS_OUT DB: run the service (RUN: platform.yaml's
# deploy.run) on a free port with spans going to a local OTLP receiver,
# send a few requests, save /metrics to METRICS_OUT, stop it with SIGTERM.
# Checks the log lines, the span export and the exit status.
cat >"$tmp/live.py" <<'EOF'
import http.client, http.server, json, os, signal, subprocess, sys, threading, time
directory, run, metrics_out, db = sys.argv[1:5]
TRACE_ID, PARENT_ID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
problems = []
posts = []

class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        posts.append((self.path, self.headers.get("Content-Type"), self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass

rx = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=rx.serve_forever, args=(0.05,), daemon=True).start()
env = dict(os.environ, PORT="0", HOST="127.0.0.1", OTEL_BSP_SCHEDULE_DELAY="100",
           OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % rx.server_address[1],
           OTEL_RESOURCE_ATTRIBUTES="deployment.environment=e2e")
if db != "none":  # an unreachable database: /health answers 503
    env["DATABASE_URL" if db == "postgres" else "REDIS_URL"] = db + "://u:p@127.0.0.1:1/x"
child = subprocess.Popen(run.split(" "), cwd=directory, env=env, stdout=subprocess.PIPE, text=True)
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
try:
    first = child.stdout.readline()
    port = json.loads(first)["port"]
    def request(method, path, headers={}):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request(method, path, headers=headers)
        res = conn.getresponse()
        body = res.read()
        conn.close()
        return res.status, body
    for method, path in (("GET", "/"), ("GET", "/health"), ("GET", "/nope"), ("PURGE", "/")):
        request(method, path)
    request("GET", "/", {"traceparent": "00-%s-%s-01" % (TRACE_ID, PARENT_ID)})
    status, page = request("GET", "/metrics")
    open(metrics_out, "wb").write(page)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(TRACE_ID.encode() in body for _, _, body in posts):
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    code = child.wait(15)
    lines = [first] + child.stdout.read().splitlines()
finally:
    if child.poll() is None:
        child.kill()
        child.wait()
    rx.shutdown()

if code != 0:
    problems.append("exit status %s after SIGTERM, not 0" % code)
logs = []
for line in lines:
    try:
        logs.append(json.loads(line))
    except ValueError:
        problems.append("stdout line is not JSON: %r" % line)
for log in logs:
    if not {"time", "level", "msg"} <= set(log):
        problems.append("log line without time, level or msg: %r" % log)
requests = [log for log in logs if log.get("msg") == "request"]
if len(requests) != 6 or any(not {"method", "route", "status", "duration_ms", "trace_id", "span_id"} <= set(r) for r in requests):
    problems.append("want 6 request log lines with method, route, status, duration_ms, trace_id, span_id: %r" % requests)
if not any(r.get("trace_id") == TRACE_ID for r in requests):
    problems.append("no request log line carries the incoming trace id")
spans = []
for path, ctype, body in posts:
    if path != "/v1/traces" or not (ctype or "").startswith("application/json"):
        problems.append("export to %s with Content-Type %s" % (path, ctype))
    try:
        for rs in json.loads(body)["resourceSpans"]:
            attrs = {a["key"]: a["value"]["stringValue"] for a in rs["resource"]["attributes"]}
            if attrs.get("deployment.environment") != "e2e" or not attrs.get("service.name"):
                problems.append("resource attributes %r" % attrs)
            for ss in rs["scopeSpans"]:
                spans += ss["spans"]
    except (ValueError, KeyError, TypeError) as err:
        problems.append("export body is not OTLP JSON (%r): %r" % (err, body[:300]))
mine = [s for s in spans if s.get("traceId") == TRACE_ID]
if len(mine) != 1 or mine[0].get("parentSpanId") != PARENT_ID or mine[0].get("kind") != 2:
    problems.append("want one SERVER span continuing the traceparent, got %r" % mine)
for p in problems:
    print("  " + p)
sys.exit(1 if problems else 0)
EOF

# ---- the tools each service needs -------------------------------------------

# can_test TEMPLATE: 0 when its test suite can run here, else prints why not.
can_test() {
	case $1 in
	node-api) command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || {
		echo "node and npm"; return 1; } ;;
	c-api) command -v make >/dev/null 2>&1 && command -v cc >/dev/null 2>&1 &&
		{ pkg-config --exists libmicrohttpd 2>/dev/null || [ -f /usr/include/microhttpd.h ]; } || {
		echo "make, cc and libmicrohttpd-dev"; return 1; } ;;
	python-api) : ;;
	esac
}

suite() { # TEMPLATE: the service's own test command
	case $1 in
	node-api) npm test ;;
	c-api) make test CFLAGS="-O2 -g -Werror" ;; # as its CI does
	python-api) python3 -m unittest discover -s tests ;;
	esac
}

# ---- the matrix ----------------------------------------------------------------

drivers='plugins.provision.drivers={"postgres":{"dev":"terraform"},"redis":{"dev":"terraform"}}'
for template in node-api c-api python-api; do
	missing=$(can_test "$template")
	for db in none postgres redis; do
		name="sk-${template%-api}-$db"
		dir="$tmp/$name"
		what="$template --database $db"

		run "$PAVED" -c "$drivers" create service "$name" --template "$template" --database "$db" \
			--no-deploy --dir "$dir"
		if [ "$rc" -ne 0 ]; then
			fail "$what: paved create failed"; show; continue
		fi
		pass "$what: rendered"

		if grep -rn --exclude-dir=.git -F '{{' "$dir" >"$tmp/tags"; then
			fail "$what: unrendered tags"; cat "$tmp/tags"
		fi
		bad=0
		while IFS= read -r f; do
			if ! "$tmp/yaml2json" "$f" >"$tmp/yaml.json" 2>"$tmp/yaml.err"; then
				fail "$what: ${f#"$dir"/} is not valid YAML: $(cat "$tmp/yaml.err")"; bad=1
			elif [ "${f##*/}" = platform.yaml ] &&
			     ! python3 "$tmp/check_platform.py" "$tmp/yaml.json" "$template" "$db" "$name"; then
				fail "$what: platform.yaml does not have the contract's shape"; bad=1
			fi
		done < <(find "$dir" -path "$dir/.git" -prune -o \( -name '*.yml' -o -name '*.yaml' \) -print)
		[ "$bad" -eq 0 ] && pass "$what: every YAML file parses; platform.yaml has the contract's shape"
		# and paved's own reader of the contract takes it without a warning
		run "$PAVED" call platform.read "{\"file\": \"$dir/platform.yaml\"}"
		if [ "$rc" -eq 0 ] && grep -q '"warnings": \[\]' "$tmp/stdout"; then
			pass "$what: paved call platform.read reads platform.yaml without a warning"
		else
			fail "$what: paved call platform.read refused platform.yaml or warned"; show
		fi

		if [ -n "$missing" ]; then
			echo "SKIP (part): $missing missing: not running the $template service"
			continue
		fi
		if (cd "$dir" && suite "$template") >"$tmp/suite.log" 2>&1; then
			pass "$what: its own test suite passes"
		else
			fail "$what: its own test suite failed"; tail -n 40 "$tmp/suite.log"; continue
		fi

		runcmd=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["deploy"]["run"])' \
			<("$tmp/yaml2json" "$dir/platform.yaml"))
		if python3 "$tmp/live.py" "$dir" "$runcmd" "$tmp/metrics.txt" "$db"; then
			pass "$what: runs ($runcmd): JSON logs, span exported over OTLP/HTTP, exit 0 on SIGTERM"
		else
			fail "$what: the running service broke its contract"
		fi
		if ! grep -q '^http_server_request_duration_seconds_bucket{' "$tmp/metrics.txt"; then
			fail "$what: /metrics has no duration histogram"; cat "$tmp/metrics.txt"
		elif [ "$db" != none ] && ! grep -q 'error_type="503"' "$tmp/metrics.txt"; then
			fail "$what: the 503 of /health has no error_type series"
		elif [ -n "$PROMTOOL" ]; then
			if "$PROMTOOL" check metrics <"$tmp/metrics.txt" >"$tmp/promtool.log" 2>&1; then
				pass "$what: promtool check metrics accepts the live /metrics page"
			else
				fail "$what: promtool check metrics"; cat "$tmp/promtool.log"
			fi
		fi
	done
done

finish
