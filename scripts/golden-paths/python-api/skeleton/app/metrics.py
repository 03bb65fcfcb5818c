"""RED metrics in the OpenTelemetry shape, served in the Prometheus text format.

One histogram, http_server_request_duration_seconds, with the OTel HTTP
server-duration buckets. Its _count is the request rate and the series with
error_type are the errors, so no separate request counter is kept. Every
label value comes from a fixed set (methods, routes, the status codes this
service sends), so the number of series stays bounded.
"""

import bisect
import threading

NAME = "http_server_request_duration_seconds"
# OTel semantic-conventions buckets for http.server.request.duration, in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)
# Methods kept as they are; any other becomes "_OTHER" (OTel semconv).
METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"))


def method_label(method):
    return method if method in METHODS else "_OTHER"


def series_labels(method, status, route):
    """The label set of one series, in a fixed order. route is a route
    template or None (unmatched path: no http_route label); error_type is
    only set on 5xx responses."""
    labels = 'http_request_method="%s",http_response_status_code="%d"' % (method_label(method), status)
    if route is not None:
        labels += ',http_route="%s"' % route
    if status >= 500:
        labels += ',error_type="%d"' % status
    return labels


class Metrics:
    """observe() records one request, render() returns the exposition.
    Disabled (METRICS=off), both do nothing and render() returns ""."""

    def __init__(self, enabled=True):
        self.enabled = enabled
        self._lock = threading.Lock()
        self._series = {}  # label string -> [count per bucket..., sum, count]

    def observe(self, method, status, route, seconds):
        if not self.enabled:
            return
        key = series_labels(method, status, route)
        i = bisect.bisect_left(BUCKETS, seconds)  # the first bucket with le >= seconds
        with self._lock:
            s = self._series.get(key)
            if s is None:
                s = self._series[key] = [0] * len(BUCKETS) + [0.0, 0]
            if i < len(BUCKETS):  # slower than the last bucket: only +Inf
                s[i] += 1
            s[-2] += seconds
            s[-1] += 1

    def render(self):
        if not self.enabled:
            return ""
        lines = [
            "# HELP %s Duration of HTTP server requests." % NAME,
            "# TYPE %s histogram" % NAME,
        ]
        with self._lock:
            series = [(labels, list(s)) for labels, s in self._series.items()]
        for labels, s in series:
            cumulative = 0
            for le, n in zip(BUCKETS, s):
                cumulative += n
                lines.append('%s_bucket{%s,le="%g"} %d' % (NAME, labels, le, cumulative))
            lines.append('%s_bucket{%s,le="+Inf"} %d' % (NAME, labels, s[-1]))
            lines.append("%s_sum{%s} %r" % (NAME, labels, s[-2]))
            lines.append("%s_count{%s} %d" % (NAME, labels, s[-1]))
        return "\n".join(lines) + "\n"
