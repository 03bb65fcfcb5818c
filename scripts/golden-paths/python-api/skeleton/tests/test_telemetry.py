"""Unit tests of the metrics and tracing modules (no server)."""

import re
import unittest

from app import tracing
from app.metrics import BUCKETS, NAME, Metrics

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


class MetricsTest(unittest.TestCase):
    def test_otel_buckets(self):
        self.assertEqual(NAME, "http_server_request_duration_seconds")
        self.assertEqual(BUCKETS, (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10))

    def test_buckets_are_cumulative(self):
        m = Metrics()
        for seconds in (0.003, 0.08, 12):
            m.observe("GET", 200, "/", seconds)
        text = m.render()
        labels = 'http_request_method="GET",http_response_status_code="200",http_route="/"'

        def bucket(le):
            pattern = r'^%s_bucket\{%s,le="%s"\} (\d+)$' % (NAME, re.escape(labels), re.escape(le))
            return int(re.search(pattern, text, re.M).group(1))

        self.assertEqual([bucket(le) for le in ("0.005", "0.075", "0.1", "10", "+Inf")], [1, 1, 2, 2, 3])
        self.assertRegex(text, r"(?m)^%s_sum\{%s\} 12\.083" % (NAME, re.escape(labels)))
        self.assertRegex(text, r"(?m)^%s_count\{%s\} 3$" % (NAME, re.escape(labels)))

    def test_error_type_only_on_5xx_other_method_and_no_route(self):
        m = Metrics()
        m.observe("GET", 500, "/", 0.01)
        m.observe("GET", 503, "/health", 0.01)
        m.observe("GET", 404, None, 0.01)
        m.observe("GET", 499, "/", 0.01)
        m.observe("BREW", 200, "/", 0.01)
        counts = sorted(line for line in m.render().splitlines() if line.startswith(NAME + "_count{"))
        self.assertEqual(counts, [
            NAME + '_count{http_request_method="GET",http_response_status_code="404"} 1',
            NAME + '_count{http_request_method="GET",http_response_status_code="499",http_route="/"} 1',
            NAME + '_count{http_request_method="GET",http_response_status_code="500",http_route="/",error_type="500"} 1',
            NAME + '_count{http_request_method="GET",http_response_status_code="503",http_route="/health",'
                   'error_type="503"} 1',
            NAME + '_count{http_request_method="_OTHER",http_response_status_code="200",http_route="/"} 1',
        ])

    def test_disabled_records_nothing(self):
        m = Metrics(enabled=False)
        m.observe("GET", 200, "/", 0.01)
        self.assertEqual(m.render(), "")


class TracingTest(unittest.TestCase):
    def test_parse_traceparent(self):
        self.assertEqual(tracing.parse_traceparent("00-%s-%s-01" % (TRACE_ID, PARENT_ID)), (TRACE_ID, PARENT_ID, "01"))
        for bad in (None, "", "00-%s-%s-01" % (TRACE_ID.upper(), PARENT_ID),
                    "00-%s-%s-01" % (TRACE_ID, PARENT_ID.upper()), "00-%s-%s-01" % ("0" * 32, PARENT_ID),
                    "00-%s-%s-01" % (TRACE_ID, "0" * 16), "ff-%s-%s-01" % (TRACE_ID, PARENT_ID),
                    "00-%s-%s-1" % (TRACE_ID, PARENT_ID), "00-%s-%s-01-extra" % (TRACE_ID, PARENT_ID),
                    "00-%s-%s-01\n" % (TRACE_ID, PARENT_ID)):
            self.assertIsNone(tracing.parse_traceparent(bad), repr(bad))

    def test_span_continues_or_starts_a_trace(self):
        child = tracing.Span("00-%s-%s-00" % (TRACE_ID, PARENT_ID))
        self.assertEqual((child.trace_id, child.parent_span_id, child.sampled()), (TRACE_ID, PARENT_ID, False))
        root = tracing.Span(None)
        self.assertRegex(root.trace_id, "^[0-9a-f]{32}$")
        self.assertRegex(root.span_id, "^[0-9a-f]{16}$")
        self.assertIsNone(root.parent_span_id)
        self.assertTrue(root.sampled())
        self.assertEqual(root.traceparent(), "00-%s-%s-01" % (root.trace_id, root.span_id))

    def test_otlp_span(self):
        span = tracing.Span(None)
        ok = tracing.otlp_span(span, "GET", "/", "/", 200, span.start_ns + 5)
        self.assertEqual((ok["kind"], ok["name"]), (2, "GET /"))
        self.assertNotIn("status", ok)
        self.assertNotIn("parentSpanId", ok)
        self.assertEqual(int(ok["endTimeUnixNano"]) - int(ok["startTimeUnixNano"]), 5)
        bad = tracing.otlp_span(span, "GET", None, "/x", 502, span.start_ns)
        self.assertEqual(bad["name"], "GET")
        self.assertEqual(bad["status"], {"code": 2})
        attrs = {a["key"]: a["value"] for a in bad["attributes"]}
        self.assertEqual(attrs["error.type"], {"stringValue": "502"})
        self.assertNotIn("http.route", attrs)

    def test_environment(self):
        self.assertIsNone(tracing.traces_endpoint({}))
        self.assertEqual(tracing.traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318/"}),
                         "http://c:4318/v1/traces")
        self.assertEqual(tracing.traces_endpoint({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
                                                  "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://t:1/x"}), "http://t:1/x")

        def attrs(env):
            return {a["key"]: a["value"]["stringValue"] for a in tracing.resource_attributes(env, "svc")}

        self.assertEqual(attrs({}), {"service.name": "svc"})
        self.assertEqual(attrs({"OTEL_RESOURCE_ATTRIBUTES": " service.version = abc123 ,deployment.environment=dev,,bad,=x"}),
                         {"service.version": "abc123", "deployment.environment": "dev", "service.name": "svc"})
        self.assertEqual(attrs({"OTEL_RESOURCE_ATTRIBUTES": "service.name=a"})["service.name"], "a")
        self.assertEqual(attrs({"OTEL_RESOURCE_ATTRIBUTES": "service.name=a", "OTEL_SERVICE_NAME": "b"})["service.name"], "b")


if __name__ == "__main__":
    unittest.main()
