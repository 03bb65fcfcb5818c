'use strict';
// RED metrics in the OpenTelemetry shape, served in the Prometheus text format.
//
// One histogram, http_server_request_duration_seconds, with the OTel HTTP
// server-duration buckets. Its _count is the request rate, and the series
// with error_type are the errors, so no separate request counter is kept.
// Every label value comes from a fixed set (methods, routes, status codes
// this service sends), so the number of series stays bounded.

const NAME = 'http_server_request_duration_seconds';
// OTel semantic-conventions buckets for http.server.request.duration, in seconds.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
// Methods kept as they are; any other becomes "_OTHER" (OTel semconv).
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE']);

function methodLabel(method) {
  return METHODS.has(method) ? method : '_OTHER';
}

// The label set of one series, in a fixed order. route is a route template
// or null (unmatched path: no http_route label); error_type only on 5xx.
function seriesLabels(method, status, route) {
  let labels = `http_request_method="${methodLabel(method)}",http_response_status_code="${status}"`;
  if (route !== null) labels += `,http_route="${route}"`;
  if (status >= 500) labels += `,error_type="${status}"`;
  return labels;
}

// createMetrics({enabled}): observe() records one request, render() returns
// the exposition. Disabled (METRICS=off), both do nothing: render() is ''.
function createMetrics({ enabled = true } = {}) {
  const series = new Map(); // label string -> { counts (per bucket), sum, count }

  function observe(method, status, route, seconds) {
    if (!enabled) return;
    const key = seriesLabels(method, status, route);
    let s = series.get(key);
    if (!s) {
      s = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      series.set(key, s);
    }
    const i = BUCKETS.findIndex((le) => seconds <= le);
    if (i >= 0) s.counts[i] += 1; // slower than the last bucket: only +Inf
    s.sum += seconds;
    s.count += 1;
  }

  function render() {
    if (!enabled) return '';
    const lines = [
      `# HELP ${NAME} Duration of HTTP server requests.`,
      `# TYPE ${NAME} histogram`,
    ];
    for (const [labels, s] of series) {
      let cumulative = 0;
      BUCKETS.forEach((le, i) => {
        cumulative += s.counts[i];
        lines.push(`${NAME}_bucket{${labels},le="${le}"} ${cumulative}`);
      });
      lines.push(`${NAME}_bucket{${labels},le="+Inf"} ${s.count}`);
      lines.push(`${NAME}_sum{${labels}} ${s.sum}`);
      lines.push(`${NAME}_count{${labels}} ${s.count}`);
    }
    return lines.join('\n') + '\n';
  }

  return { enabled, observe, render };
}

module.exports = { NAME, BUCKETS, createMetrics, methodLabel };
