"""{{name}}: HTTP service on the Python standard library (http.server).

Endpoints:
  GET /         small JSON hello
  GET /health   liveness + dependency reachability (503 when degraded)
  GET /metrics  Prometheus text exposition format

Every request is measured (app/metrics.py), traced (app/tracing.py) and
logged as one JSON line (app/log.py); see "Observability" in README.md.
"""

import json
import os
import re
import socket
import socketserver
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from app import tracing
from app.log import Logger
from app.metrics import Metrics, method_label

SERVICE_NAME = "{{name}}"
# Backing store this service was generated with: "postgres", "redis" or "none".
DB_KIND = "{{database}}"
# Environment variable holding the backing store's URL (None: no database).
{{#database_postgres}}
DB_ENV = "DATABASE_URL"
{{/database_postgres}}
{{#database_redis}}
DB_ENV = "REDIS_URL"
{{/database_redis}}
{{^has_database}}
DB_ENV = None
{{/has_database}}
DEFAULT_DB_PORTS = {"postgres": 5432, "postgresql": 5432, "redis": 6379, "rediss": 6379}
DB_CHECK_TIMEOUT_S = 1.0

# Route templates this service serves; any other path matches no route.
ROUTES = ("/", "/health", "/metrics")
MAX_DISCARDED_BODY = 1 << 20  # request bodies are read and ignored up to 1 MiB


def parse_db_url(raw):
    """(host, port) from a URL such as postgres://u:p@db:5432/app or
    redis://cache:6379/0; None when it cannot be parsed."""
    try:
        url = urllib.parse.urlsplit(raw)
        port = url.port
    except ValueError:
        return None
    if not url.scheme or not raw.startswith(url.scheme + "://"):
        return None
    port = port or DEFAULT_DB_PORTS.get(url.scheme)
    if not port:
        return None
    return (url.hostname or "localhost", port)


def check_tcp(host, port, timeout=DB_CHECK_TIMEOUT_S):
    """True when a TCP connection to host:port opens within timeout seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def health_report(env):
    """(HTTP status, body) of /health."""
    url = env.get(DB_ENV) if DB_ENV else None
    if not url:
        return 200, {"status": "ok", "service": SERVICE_NAME, "database": {"configured": False}}
    target = parse_db_url(url)
    reachable = bool(target) and check_tcp(*target)
    return (200 if reachable else 503), {
        "status": "ok" if reachable else "degraded",
        "service": SERVICE_NAME,
        "database": {"url_set": True, "reachable": reachable},
    }


def metrics_enabled(env):
    """METRICS=off (or false, 0) turns recording off; /metrics is then empty."""
    return env.get("METRICS", "").strip().lower() not in ("off", "false", "0")


def json_body(obj):
    return (json.dumps(obj, separators=(",", ":")) + "\n").encode()


class App:
    """Routes and telemetry, independent of the HTTP server.
    env: where DATABASE_URL / REDIS_URL, METRICS and OTEL_* are read from.
    log: log(level, msg, **fields)."""

    def __init__(self, env, log):
        self.env = env
        self.log = log
        self.metrics = Metrics(enabled=metrics_enabled(env))
        endpoint = tracing.traces_endpoint(env)
        self.exporter = tracing.Exporter(endpoint, env, SERVICE_NAME, log) if endpoint else None

    def respond(self, method, route, path):
        """(status, content type, body bytes, extra headers) of one request."""
        if route is not None and method not in ("GET", "HEAD"):
            return 405, "application/json", json_body({"error": "method not allowed"}), {"Allow": "GET, HEAD"}
        if route == "/":
            hello = {"service": SERVICE_NAME, "message": "hello from " + SERVICE_NAME}
            return 200, "application/json", json_body(hello), {}
        if route == "/health":
            status, body = health_report(self.env)
            return status, "application/json", json_body(body), {}
        if route == "/metrics":
            page = self.metrics.render()
            if self.metrics.enabled and self.exporter:
                page += self.exporter.metrics_text()
            return 200, "text/plain; version=0.0.4; charset=utf-8", page.encode(), {}
        return 404, "application/json", json_body({"error": "not found", "path": path}), {}

    def record(self, method, route, path, status, span):
        """One finished request: its histogram sample, its span, its log line.
        Called just before the response is written, so a client that got the
        response always finds it in the next /metrics page."""
        ns = span.elapsed_ns()
        self.metrics.observe(method, status, route, ns / 1e9)
        if self.exporter and span.sampled():
            self.exporter.add(tracing.otlp_span(span, method_label(method), route, path, status,
                                                span.start_ns + ns))
        self.log("error" if status >= 500 else "info", "request",
                 method=method, route=route, path=path, status=status,
                 duration_ms=round(ns / 1e6, 3), trace_id=span.trace_id, span_id=span.span_id)

    def shutdown_telemetry(self):
        """Send the spans still queued (bounded by OTEL_EXPORTER_OTLP_TIMEOUT)."""
        if self.exporter:
            self.exporter.shutdown()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    timeout = 30  # an idle connection is closed after 30 s
    server_version = SERVICE_NAME

    def __getattr__(self, name):
        # http.server calls do_<METHOD>; every method goes to one handler.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass  # the JSON request log replaces http.server's access log

    def _discard_body(self):
        """Read the request body (ignored) so the connection can be reused."""
        length = self.headers.get("Content-Length", "0")
        if "Transfer-Encoding" in self.headers or not re.fullmatch(r"[0-9]+", length) \
                or int(length) > MAX_DISCARDED_BODY:
            self.close_connection = True
        elif int(length) > 0:
            self.rfile.read(int(length))

    def _handle(self):
        app = self.server.app
        self.server.request_started()
        try:
            headers = self.headers.get_all("traceparent") or []
            span = tracing.Span(headers[0] if len(headers) == 1 else None)
            path = self.path.split("?", 1)[0]
            route = path if path in ROUTES else None
            self._discard_body()
            try:
                status, content_type, body, extra = app.respond(self.command, route, path)
            except Exception as err:  # any bug: a 500, logged with the trace id
                app.log("error", "request failed", error=repr(err), trace_id=span.trace_id, span_id=span.span_id)
                status, content_type, body, extra = 500, "application/json", json_body({"error": "internal error"}), {}
            app.record(self.command, route, path, status, span)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("traceparent", span.traceparent())
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except ConnectionError:
            self.close_connection = True  # the client went away
        finally:
            self.server.request_finished()


class Server(ThreadingHTTPServer):
    """A thread per connection. Without a host it listens on every address,
    IPv6 and IPv4 (like node's default), else on host."""

    daemon_threads = True  # idle keep-alive connections never block exit
    request_queue_size = 128

    def __init__(self, port, host, app):
        self.app = app
        self._inflight = 0  # requests being handled, for drain()
        self._idle = threading.Condition()
        self._dual_stack = host is None and socket.has_dualstack_ipv6()
        if self._dual_stack:
            self.address_family = socket.AF_INET6
            host = "::"
        super().__init__((host if host is not None else "0.0.0.0", port), Handler)

    def server_bind(self):
        if self._dual_stack:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        # TCPServer's bind: HTTPServer's would also look up the host's FQDN.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    @property
    def port(self):
        return self.server_address[1]

    def request_started(self):
        with self._idle:
            self._inflight += 1

    def request_finished(self):
        with self._idle:
            self._inflight -= 1
            self._idle.notify_all()

    def drain(self, timeout):
        """Wait until no request is being handled, at most timeout seconds."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._inflight > 0 and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())


def make_server(port=8080, host=None, env=None, log=None):
    """A bound, not yet serving Server (port 0 picks a free port)."""
    env = os.environ if env is None else env
    log = log or Logger(SERVICE_NAME)
    return Server(port, host, App(env, log))
