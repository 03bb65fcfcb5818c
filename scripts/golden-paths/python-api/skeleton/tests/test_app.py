"""End-to-end tests: the server on an ephemeral port, real HTTP requests."""

import http.client
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

from app.server import DB_ENV, DB_KIND, SERVICE_NAME, make_server, parse_db_url

HIST = "http_server_request_duration_seconds"
LE = ["0.005", "0.01", "0.025", "0.05", "0.075", "0.1", "0.25", "0.5", "0.75", "1", "2.5", "5", "7.5", "10", "+Inf"]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
RFC3339_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def samples(text):
    """Samples of a Prometheus page: {"name{labels}": value}."""
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def wait_for(cond, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


class Receiver:
    """A small OTLP/HTTP receiver: records every POST as (path, headers, body).
    answer=False accepts requests and never answers (a slow collector)."""

    def __init__(self, answer=True):
        self.posts = []
        self.release = threading.Event()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.posts.append((self.path, dict(self.headers), body))
                if not answer:
                    receiver.release.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class ServerTest(unittest.TestCase):
    def start(self, env=None):
        """Serve the app on 127.0.0.1:0 with env; self.logs collects the log lines."""
        self.logs = []
        server = make_server(0, "127.0.0.1", env or {},
                             lambda level, msg, **f: self.logs.append(dict(level=level, msg=msg, **f)))
        threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.server = server

    def request(self, path, method="GET", headers=None):
        """(status, headers, text) of one request on a new connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request(method, path, headers=headers or {})
            res = conn.getresponse()
            return res.status, res.headers, res.read().decode()
        finally:
            conn.close()

    def request_logs(self):
        return [log for log in self.logs if log["msg"] == "request"]


class RoutesTest(ServerTest):
    def test_root_returns_hello(self):
        self.start()
        status, headers, text = self.request("/")
        self.assertEqual(status, 200)
        self.assertRegex(headers["Content-Type"], "application/json")
        body = json.loads(text)
        self.assertEqual(body["service"], SERVICE_NAME)
        self.assertIn("hello", body["message"])

    def test_health_without_database_url(self):
        self.start()
        status, _, text = self.request("/health")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(text), {"status": "ok", "service": SERVICE_NAME, "database": {"configured": False}})
{{#has_database}}

    def test_health_unreachable_database_is_degraded(self):
        self.start({DB_ENV: DB_KIND + "://u:p@127.0.0.1:1/db"})
        status, _, text = self.request("/health")
        self.assertEqual(status, 503)
        self.assertEqual(json.loads(text), {
            "status": "degraded", "service": SERVICE_NAME, "database": {"url_set": True, "reachable": False}})
        m = samples(self.request("/metrics")[2])
        self.assertEqual(m[HIST + '_count{http_request_method="GET",http_response_status_code="503",'
                                 'http_route="/health",error_type="503"}'], 1)

    def test_health_reachable_database(self):
        db = socket.create_server(("127.0.0.1", 0))
        self.addCleanup(db.close)
        self.start({DB_ENV: "%s://u:p@127.0.0.1:%d/db" % (DB_KIND, db.getsockname()[1])})
        status, _, text = self.request("/health")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(text), {
            "status": "ok", "service": SERVICE_NAME, "database": {"url_set": True, "reachable": True}})

    def test_parse_db_url(self):
        self.assertEqual(parse_db_url("postgres://u:p@db.internal:6543/app"), ("db.internal", 6543))
        self.assertEqual(parse_db_url("postgres://db/app"), ("db", 5432))
        self.assertEqual(parse_db_url("redis://[::1]/0"), ("::1", 6379))
        self.assertIsNone(parse_db_url("not a url"))
        self.assertIsNone(parse_db_url("postgres://h:99999/x"))
{{/has_database}}
{{^has_database}}

    def test_health_ignores_database_urls_without_a_database(self):
        self.start({"DATABASE_URL": "postgres://u:p@127.0.0.1:1/db", "REDIS_URL": "redis://127.0.0.1:1/0"})
        status, _, text = self.request("/health")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(text)["database"], {"configured": False})
{{/has_database}}

    def test_not_found_and_method_not_allowed(self):
        self.start()
        self.assertEqual(self.request("/no-such-thing")[0], 404)
        status, headers, _ = self.request("/", method="POST")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "GET, HEAD")

    def test_head_has_no_body(self):
        self.start()
        status, headers, text = self.request("/", method="HEAD")
        self.assertEqual(status, 200)
        self.assertEqual(text, "")
        self.assertGreater(int(headers["Content-Length"]), 0)


class MetricsTest(ServerTest):
    def test_histogram_labels_buckets_and_route_templates(self):
        self.start()
        self.request("/")
        self.request("/?page=2")
        self.request("/health")
        self.request("/secret-admin-path")
        self.request("/", method="PURGE")  # not a known method: _OTHER
        self.request("/", method="DELETE")
        status, headers, text = self.request("/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        m = samples(text)

        self.assertRegex(text, "(?m)^# HELP %s .+$" % HIST)
        self.assertRegex(text, "(?m)^# TYPE %s histogram$" % HIST)
        self.assertNotIn("http_requests_total", text)

        root = 'http_request_method="GET",http_response_status_code="200",http_route="/"'
        self.assertEqual(m["%s_count{%s}" % (HIST, root)], 2, "the query string does not change the route")
        self.assertGreater(m["%s_sum{%s}" % (HIST, root)], 0)
        buckets = [(k, v) for k, v in m.items() if k.startswith("%s_bucket{%s," % (HIST, root))]
        self.assertEqual([re.search('le="([^"]+)"', k).group(1) for k, _ in buckets], LE)
        values = [v for _, v in buckets]
        self.assertEqual(values, sorted(values), "buckets are cumulative")
        self.assertEqual(values[-1], 2)

        self.assertEqual(m[HIST + '_count{http_request_method="GET",http_response_status_code="200",'
                                  'http_route="/health"}'], 1)
        # an unmatched path has no http_route label, and never appears in the page
        self.assertEqual(m[HIST + '_count{http_request_method="GET",http_response_status_code="404"}'], 1)
        self.assertNotIn("secret-admin-path", text)
        self.assertEqual(m[HIST + '_count{http_request_method="_OTHER",http_response_status_code="405",'
                                  'http_route="/"}'], 1)
        self.assertEqual(m[HIST + '_count{http_request_method="DELETE",http_response_status_code="405",'
                                  'http_route="/"}'], 1)
        self.assertNotIn("error_type", text, "no 5xx so far")

        again = samples(self.request("/metrics")[2])
        self.assertEqual(again[HIST + '_count{http_request_method="GET",http_response_status_code="200",'
                                      'http_route="/metrics"}'], 1)

    def test_metrics_off_serves_an_empty_page(self):
        self.start({"METRICS": "off"})
        self.request("/")
        status, _, text = self.request("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(text, "")


class TraceTest(ServerTest):
    def test_log_line_per_request(self):
        self.start()
        status, headers, _ = self.request("/health?x=1", headers={"traceparent": "00-%s-%s-01" % (TRACE_ID, PARENT_ID)})
        self.assertEqual(status, 200)
        (line,) = self.request_logs()
        self.assertEqual(line["level"], "info")
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["route"], "/health")
        self.assertEqual(line["path"], "/health")
        self.assertEqual(line["status"], 200)
        self.assertIsInstance(line["duration_ms"], float)
        self.assertEqual(line["trace_id"], TRACE_ID)
        self.assertRegex(line["span_id"], "^[0-9a-f]{16}$")
        self.assertEqual(headers["traceparent"], "00-%s-%s-01" % (TRACE_ID, line["span_id"]))
        self.request("/nope")
        self.assertIsNone(self.request_logs()[-1]["route"])

    def test_log_lines_are_json_with_rfc3339_time(self):
        from app.log import Logger
        import io
        stream = io.StringIO()
        Logger("svc", stream)("info", "hello", n=1)
        line = json.loads(stream.getvalue())
        self.assertRegex(line["time"], "^%s$" % RFC3339_MS.pattern)
        self.assertEqual((line["level"], line["msg"], line["service"], line["n"]), ("info", "hello", "svc", 1))

    def trace_of(self, header):
        status, headers, _ = self.request("/", headers={} if header is None else {"traceparent": header})
        self.assertEqual(status, 200)
        m = re.fullmatch("00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})", headers["traceparent"])
        self.assertIsNotNone(m, headers["traceparent"])
        self.assertEqual(self.request_logs()[-1]["trace_id"], m.group(1), "the log line carries the trace id")
        self.assertEqual(self.request_logs()[-1]["span_id"], m.group(2), "the log line carries the span id")
        return m.groups()

    def test_traceparent_continue_or_restart(self):
        self.start()
        trace_id, span_id, flags = self.trace_of("00-%s-%s-01" % (TRACE_ID, PARENT_ID))
        self.assertEqual(trace_id, TRACE_ID)
        self.assertNotEqual(span_id, PARENT_ID)
        self.assertEqual(self.trace_of("00-%s-%s-00" % (TRACE_ID, PARENT_ID))[2], "00", "flags are kept")
        invalid = {
            "missing": None,
            "uppercase": "00-%s-%s-01" % (TRACE_ID.upper(), PARENT_ID),
            "all-zero trace id": "00-%s-%s-01" % ("0" * 32, PARENT_ID),
            "all-zero parent id": "00-%s-%s-01" % (TRACE_ID, "0" * 16),
            "version ff": "ff-%s-%s-01" % (TRACE_ID, PARENT_ID),
            "too short": "00-%s-%s-01" % (TRACE_ID[1:], PARENT_ID),
            "garbage": "hello",
        }
        seen = set()
        for what, header in invalid.items():
            trace_id = self.trace_of(header)[0]
            self.assertNotEqual(trace_id, TRACE_ID, what)
            self.assertNotEqual(trace_id, "0" * 32, what)
            self.assertNotIn(trace_id, seen, what + ": a fresh trace id")
            seen.add(trace_id)


class ExportTest(ServerTest):
    def test_span_reaches_an_otlp_receiver(self):
        rx = Receiver()
        self.addCleanup(rx.close)
        self.start({
            "OTEL_EXPORTER_OTLP_ENDPOINT": rx.url + "/",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
            "OTEL_RESOURCE_ATTRIBUTES": "service.version=abc123,deployment.environment=dev,team=a%20b",
        })
        status, _, _ = self.request("/health", headers={"traceparent": "00-%s-%s-01" % (TRACE_ID, PARENT_ID)})
        self.assertEqual(status, 200)
        wait_for(lambda: rx.posts, "a span export")
        path, headers, body = rx.posts[0]
        self.assertEqual(path, "/v1/traces")
        self.assertTrue(headers["Content-Type"].startswith("application/json"))

        rs = json.loads(body)["resourceSpans"][0]
        attrs = {a["key"]: a["value"]["stringValue"] for a in rs["resource"]["attributes"]}
        self.assertEqual(attrs["service.name"], SERVICE_NAME)
        self.assertEqual(attrs["service.version"], "abc123")
        self.assertEqual(attrs["deployment.environment"], "dev")
        self.assertEqual(attrs["team"], "a b")

        span = rs["scopeSpans"][0]["spans"][0]
        self.assertEqual(span["traceId"], TRACE_ID)
        self.assertEqual(span["parentSpanId"], PARENT_ID)
        self.assertEqual(span["spanId"], self.request_logs()[0]["span_id"])
        self.assertEqual(span["kind"], 2)
        self.assertEqual(span["name"], "GET /health")
        self.assertRegex(span["startTimeUnixNano"], r"^\d{19}$")
        self.assertGreaterEqual(int(span["endTimeUnixNano"]), int(span["startTimeUnixNano"]))
        sattrs = {a["key"]: a["value"] for a in span["attributes"]}
        self.assertEqual(sattrs["http.request.method"], {"stringValue": "GET"})
        self.assertEqual(sattrs["http.route"], {"stringValue": "/health"})
        self.assertEqual(sattrs["http.response.status_code"], {"intValue": "200"})
        self.assertEqual(sattrs["url.path"], {"stringValue": "/health"})
        wait_for(lambda: self.server.app.exporter.exported == 1, "the export to be counted")

    def test_traces_endpoint_wins_and_service_name(self):
        rx = Receiver()
        self.addCleanup(rx.close)
        self.start({
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": rx.url + "/custom/traces",
            "OTEL_SERVICE_NAME": "renamed",
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored",
            "OTEL_BSP_SCHEDULE_DELAY": "50",
        })
        self.request("/")
        wait_for(lambda: rx.posts, "a span export")
        self.assertEqual(rx.posts[0][0], "/custom/traces")
        attrs = json.loads(rx.posts[0][2])["resourceSpans"][0]["resource"]["attributes"]
        self.assertIn({"key": "service.name", "value": {"stringValue": "renamed"}}, attrs)

    def test_unusable_endpoint_stops_start_up(self):
        for endpoint in ("not a url", "ftp://127.0.0.1:4318"):
            with self.assertRaisesRegex(ValueError, "http"):
                make_server(0, "127.0.0.1", {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, lambda *a, **k: None)

    def test_down_or_slow_collector_never_slows_requests(self):
        slow = Receiver(answer=False)
        self.addCleanup(slow.close)
        for endpoint in ("http://127.0.0.1:1", slow.url):
            with self.subTest(endpoint=endpoint):
                self.start({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_BSP_SCHEDULE_DELAY": "10",
                            "OTEL_BSP_MAX_QUEUE_SIZE": "5"})
                started = time.monotonic()
                for _ in range(40):
                    self.assertEqual(self.request("/")[0], 200)
                elapsed = time.monotonic() - started
                self.assertLess(elapsed, 3, "40 requests took %.2f s" % elapsed)
                exporter = self.server.app.exporter
                wait_for(lambda: exporter.dropped > 0, "dropped spans")
                self.assertEqual(exporter.exported, 0)
                dropped = samples(self.request("/metrics")[2])["otlp_exporter_spans_dropped_total"]
                self.assertGreater(dropped, 0)


class ProcessTest(unittest.TestCase):
    def test_sigterm_exits_cleanly_and_logs_json(self):
        env = dict(os.environ, PORT="0", HOST="127.0.0.1")
        for name in ("METRICS", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
            env.pop(name, None)
        child = subprocess.Popen([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, text=True)
        try:
            first = json.loads(child.stdout.readline())
            self.assertEqual(first["msg"], "listening")
            conn = http.client.HTTPConnection("127.0.0.1", first["port"], timeout=10)
            conn.request("GET", "/health")
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
            child.send_signal(signal.SIGTERM)
            self.assertEqual(child.wait(10), 0)
            lines = [first] + [json.loads(line) for line in child.stdout.read().splitlines()]
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
            child.stdout.close()
        self.assertEqual([line["msg"] for line in lines], ["listening", "request", "shutting down", "stopped"])
        for line in lines:
            self.assertRegex(line["time"], "^%s$" % RFC3339_MS.pattern)
        self.assertRegex(lines[1]["trace_id"], "^[0-9a-f]{32}$")


if __name__ == "__main__":
    unittest.main()
