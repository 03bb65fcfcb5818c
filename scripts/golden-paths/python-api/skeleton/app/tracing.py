"""Traces: W3C trace context in, one SERVER span per request, spans out over
OTLP/HTTP as JSON. No SDK: the parts of the OTel spec this service uses.

Environment (read once, when the server is created):
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  full URL spans are POSTed to (wins)
  OTEL_EXPORTER_OTLP_ENDPOINT         base URL; spans go to BASE/v1/traces
  OTEL_SERVICE_NAME                   resource service.name (default: this service)
  OTEL_RESOURCE_ATTRIBUTES            key=value,key2=value2 (values percent-decoded)
  OTEL_BSP_SCHEDULE_DELAY             ms between exports (default 5000)
  OTEL_BSP_MAX_QUEUE_SIZE             spans waiting at most (default 2048); more are dropped
  OTEL_EXPORTER_OTLP_TIMEOUT          ms one export may take (default 10000)
Without an endpoint nothing is exported; trace ids still reach the logs.
"""

import collections
import json
import re
import secrets
import threading
import time
import urllib.parse
import urllib.request

MAX_BATCH = 512
# version 00, 32-hex trace id, 16-hex parent id, 2-hex flags, lowercase only
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")


def parse_traceparent(header):
    """(trace_id, parent_id, flags), or None when the header is missing or
    invalid (all-zero ids, uppercase, another version)."""
    m = TRACEPARENT.fullmatch(header or "")
    if m is None or int(m.group(1), 16) == 0 or int(m.group(2), 16) == 0:
        return None
    return m.groups()


def random_id(nbytes):
    while True:
        value = secrets.token_hex(nbytes)
        if int(value, 16) != 0:
            return value


class Span:
    """The context of a request's SERVER span."""

    __slots__ = ("trace_id", "span_id", "parent_span_id", "flags", "start_ns", "start_perf_ns")

    def __init__(self, header):
        """Continue the caller's trace when header (its traceparent) is
        valid, else start a new, sampled one."""
        parent = parse_traceparent(header)
        self.trace_id = parent[0] if parent else random_id(16)
        self.span_id = random_id(8)
        self.parent_span_id = parent[1] if parent else None
        self.flags = parent[2] if parent else "01"
        self.start_ns = time.time_ns()  # wall clock, for the span's start time
        self.start_perf_ns = time.perf_counter_ns()  # monotonic, for its duration

    def elapsed_ns(self):
        return time.perf_counter_ns() - self.start_perf_ns

    def traceparent(self):
        """The traceparent header naming this span (echoed on the response)."""
        return "00-%s-%s-%s" % (self.trace_id, self.span_id, self.flags)

    def sampled(self):
        """Only sampled spans are exported (the OTel default: parent-based, always on)."""
        return int(self.flags, 16) & 1 == 1


def _str(key, value):
    return {"key": key, "value": {"stringValue": str(value)}}


def _int(key, value):
    return {"key": key, "value": {"intValue": str(value)}}


def otlp_span(span, method, route, path, status, end_ns):
    """The OTLP JSON form of a finished request span (HTTP server semconv)."""
    attributes = [_str("http.request.method", method), _str("url.path", path),
                  _int("http.response.status_code", status)]
    if route is not None:
        attributes.append(_str("http.route", route))
    if status >= 500:
        attributes.append(_str("error.type", str(status)))
    if method == "_OTHER":
        name = "HTTP"
    else:
        name = method if route is None else method + " " + route
    out = {
        "traceId": span.trace_id,
        "spanId": span.span_id,
        "name": name,
        "kind": 2,  # SPAN_KIND_SERVER
        "startTimeUnixNano": str(span.start_ns),
        "endTimeUnixNano": str(end_ns),
        "attributes": attributes,
    }
    if span.parent_span_id:
        out["parentSpanId"] = span.parent_span_id
    if status >= 500:
        out["status"] = {"code": 2}  # STATUS_CODE_ERROR; unset otherwise
    return out


def traces_endpoint(env):
    """Where spans go: the traces endpoint as is, else BASE/v1/traces, else None."""
    if env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    if env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return env["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
    return None


def resource_attributes(env, service_name):
    """OTEL_RESOURCE_ATTRIBUTES, then service.name from OTEL_SERVICE_NAME
    (which wins), else from the list, else service_name."""
    attrs = {}
    for pair in env.get("OTEL_RESOURCE_ATTRIBUTES", "").split(","):
        key, eq, value = pair.partition("=")
        if eq and key.strip():
            attrs[key.strip()] = urllib.parse.unquote(value.strip())
    attrs["service.name"] = env.get("OTEL_SERVICE_NAME") or attrs.get("service.name") or service_name
    return [_str(k, v) for k, v in attrs.items()]


def _env_int(env, name, default):
    try:
        value = int(env.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


class Exporter:
    """A batching span processor + OTLP/HTTP JSON exporter. add() only
    queues (never blocks on the network); a background thread sends batches
    one request at a time. A full queue or a failed export drops spans and
    counts them in .dropped."""

    def __init__(self, endpoint, env, service_name, log):
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("OTLP endpoint must be an http(s) URL: %r" % endpoint)
        self.url = endpoint
        # for logs: no credentials, no query
        self.endpoint = "%s://%s%s" % (url.scheme, url.netloc.rpartition("@")[2], url.path)
        self._log = log
        self._delay = _env_int(env, "OTEL_BSP_SCHEDULE_DELAY", 5000) / 1000
        self._max_queue = _env_int(env, "OTEL_BSP_MAX_QUEUE_SIZE", 2048)
        self._timeout = _env_int(env, "OTEL_EXPORTER_OTLP_TIMEOUT", 10000) / 1000
        self._resource = {"attributes": resource_attributes(env, service_name)}
        self._scope = {"name": service_name}
        # the collector is reached directly, never through http_proxy
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._queue = collections.deque()
        self._cond = threading.Condition()
        self._stopping = False
        self.exported = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._run, name="otlp-exporter", daemon=True)
        self._thread.start()

    def add(self, span):
        with self._cond:
            if len(self._queue) >= self._max_queue:
                self.dropped += 1
                return
            self._queue.append(span)
            if len(self._queue) >= MAX_BATCH:
                self._cond.notify()

    def _run(self):
        while True:
            with self._cond:
                if not self._stopping and len(self._queue) < MAX_BATCH:
                    self._cond.wait(self._delay)
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
                done = self._stopping and not self._queue
            if batch:
                self._send(batch)
            if done:
                return

    def _send(self, batch):
        body = json.dumps({"resourceSpans": [{
            "resource": self._resource,
            "scopeSpans": [{"scope": self._scope, "spans": batch}],
        }]}, separators=(",", ":")).encode()
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        error = None
        try:
            with self._opener.open(request, timeout=self._timeout) as response:
                response.read()
        except (OSError, ValueError) as err:  # URLError, HTTPError, timeouts
            error = str(err)
        with self._cond:
            if error is None:
                self.exported += len(batch)
                return
            self.dropped += len(batch)
            dropped = self.dropped
        self._log("warn", "span export failed", endpoint=self.endpoint, error=error,
                  spans=len(batch), dropped_total=dropped)

    def metrics_text(self):
        """The drop counter in the Prometheus text format (appended to /metrics)."""
        return ("# HELP otlp_exporter_spans_dropped_total Spans dropped because the queue was full"
                " or the export failed.\n"
                "# TYPE otlp_exporter_spans_dropped_total counter\n"
                "otlp_exporter_spans_dropped_total %d\n" % self.dropped)

    def shutdown(self):
        """Send what is queued, waiting at most OTEL_EXPORTER_OTLP_TIMEOUT."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(self._timeout)
