'use strict';
// Traces: W3C trace context in, one SERVER span per request, spans out over
// OTLP/HTTP as JSON. No SDK: the parts of the OTel spec this service uses.
//
// Environment (read once, when the server is created):
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  full URL spans are POSTed to (wins)
//   OTEL_EXPORTER_OTLP_ENDPOINT         base URL; spans go to BASE/v1/traces
//   OTEL_SERVICE_NAME                   resource service.name (default: this service)
//   OTEL_RESOURCE_ATTRIBUTES            key=value,key2=value2 (values percent-decoded)
//   OTEL_BSP_SCHEDULE_DELAY             ms between exports (default 5000)
//   OTEL_BSP_MAX_QUEUE_SIZE             spans waiting at most (default 2048); more are dropped
//   OTEL_EXPORTER_OTLP_TIMEOUT          ms one export may take (default 10000)
// Without an endpoint nothing is exported; trace ids still reach the logs.

const crypto = require('node:crypto');
const http = require('node:http');
const https = require('node:https');

const MAX_BATCH = 512;
// version 00, 32-hex trace id, 16-hex parent id, 2-hex flags, lowercase only
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

// parseTraceparent(header) -> {traceId, parentId, flags} or null when the
// header is missing or invalid (all-zero ids, uppercase, another version).
function parseTraceparent(header) {
  if (typeof header !== 'string') return null;
  const m = TRACEPARENT.exec(header);
  if (!m || ALL_ZERO.test(m[1]) || ALL_ZERO.test(m[2])) return null;
  return { traceId: m[1], parentId: m[2], flags: m[3] };
}

function randomId(bytes) {
  for (;;) {
    const id = crypto.randomBytes(bytes).toString('hex');
    if (!ALL_ZERO.test(id)) return id;
  }
}

// Wall-clock time in unix nanoseconds (BigInt), sub-millisecond resolution.
function nowNs() {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

// startSpan(header): the context of a request's SERVER span. It continues
// the caller's trace when the traceparent header is valid, else starts one.
function startSpan(header) {
  const parent = parseTraceparent(header);
  return {
    traceId: parent ? parent.traceId : randomId(16),
    spanId: randomId(8),
    parentSpanId: parent ? parent.parentId : null,
    flags: parent ? parent.flags : '01', // a new trace is sampled
    startNs: nowNs(), // wall clock, for the span's start time
    startHr: process.hrtime.bigint(), // monotonic, for its duration
  };
}

// The traceparent header naming this span (echoed on the response).
function traceparentOf(span) {
  return `00-${span.traceId}-${span.spanId}-${span.flags}`;
}

// Nanoseconds since startSpan (monotonic clock).
function elapsedNs(span) {
  return process.hrtime.bigint() - span.startHr;
}

// Only sampled spans are exported (the OTel default: parent-based, always on).
function sampled(span) {
  return (parseInt(span.flags, 16) & 1) === 1;
}

const str = (key, value) => ({ key, value: { stringValue: String(value) } });
const int = (key, value) => ({ key, value: { intValue: String(value) } });

// The OTLP JSON form of a finished request span (HTTP server semconv).
function otlpSpan(span, { method, route, path, status, endNs }) {
  const attributes = [str('http.request.method', method), str('url.path', path), int('http.response.status_code', status)];
  if (route !== null) attributes.push(str('http.route', route));
  if (status >= 500) attributes.push(str('error.type', String(status)));
  const out = {
    traceId: span.traceId,
    spanId: span.spanId,
    name: method === '_OTHER' ? 'HTTP' : route === null ? method : `${method} ${route}`,
    kind: 2, // SPAN_KIND_SERVER
    startTimeUnixNano: String(span.startNs),
    endTimeUnixNano: String(endNs),
    attributes,
  };
  if (span.parentSpanId) out.parentSpanId = span.parentSpanId;
  if (status >= 500) out.status = { code: 2 }; // STATUS_CODE_ERROR; unset otherwise
  return out;
}

// Where spans go: the traces endpoint as is, else BASE/v1/traces, else null.
function tracesEndpoint(env) {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '') + '/v1/traces';
  return null;
}

// Resource attributes: OTEL_RESOURCE_ATTRIBUTES, then service.name from
// OTEL_SERVICE_NAME (which wins), else from the list, else serviceName.
function resourceAttributes(env, serviceName) {
  const attrs = new Map();
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES || '').split(',')) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, eq).trim();
    if (eq < 0 || !key) continue;
    try {
      attrs.set(key, decodeURIComponent(pair.slice(eq + 1).trim()));
    } catch {
      // a malformed percent-encoding: skip the entry
    }
  }
  attrs.set('service.name', env.OTEL_SERVICE_NAME || attrs.get('service.name') || serviceName);
  return [...attrs].map(([key, value]) => str(key, value));
}

function envInt(env, name, fallback) {
  const v = Number(env[name]);
  return Number.isInteger(v) && v > 0 ? v : fallback;
}

// createExporter(...): a batching span processor + OTLP/HTTP JSON exporter.
// add() only queues (O(1), never blocks); a timer sends batches, one request
// at a time. A full queue or a failed export drops spans and counts them.
function createExporter({ endpoint, env, serviceName, log }) {
  const url = new URL(endpoint); // throws on a malformed URL: start-up fails
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`OTLP endpoint must be an http(s) URL: ${endpoint}`);
  }
  const shown = url.origin + url.pathname; // for logs: no credentials, no query
  const client = url.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 1 });
  const delayMs = envInt(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000);
  const maxQueue = envInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  const timeoutMs = envInt(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10000);
  const resource = { attributes: resourceAttributes(env, serviceName) };
  const scope = { name: serviceName };
  const queue = [];
  const stats = { exported: 0, dropped: 0 };
  let inFlight = null; // the Promise of the export being sent

  // POST one body; resolves true on a 2xx answer, false on anything else.
  function post(body) {
    return new Promise((resolve) => {
      const req = client.request(url, {
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode >= 200 && res.statusCode < 300));
        res.once('error', () => resolve(false));
      });
      req.once('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.once('error', () => resolve(false));
      req.end(body);
    });
  }

  // Send up to MAX_BATCH queued spans unless an export is already running.
  function exportBatch() {
    if (inFlight || queue.length === 0) return inFlight || Promise.resolve();
    const batch = queue.splice(0, MAX_BATCH);
    const body = JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans: batch }] }] });
    inFlight = post(body).then((ok) => {
      inFlight = null;
      if (ok) {
        stats.exported += batch.length;
      } else {
        stats.dropped += batch.length;
        log('warn', 'span export failed', { endpoint: shown, spans: batch.length, dropped_total: stats.dropped });
      }
    });
    return inFlight;
  }

  const timer = setInterval(exportBatch, delayMs);
  timer.unref();

  function add(span) {
    if (queue.length >= maxQueue) {
      stats.dropped += 1;
      return;
    }
    queue.push(span);
    if (queue.length >= MAX_BATCH) setImmediate(exportBatch);
  }

  // Send what is queued, for at most timeoutMs, then stop the timer.
  async function shutdown() {
    clearInterval(timer);
    const deadline = Date.now() + timeoutMs;
    while ((queue.length > 0 || inFlight) && Date.now() < deadline) {
      await Promise.race([exportBatch(), new Promise((r) => setTimeout(r, deadline - Date.now()).unref())]);
    }
    agent.destroy();
  }

  // The drop counter in the Prometheus text format (appended to /metrics).
  function metricsText() {
    return '# HELP otlp_exporter_spans_dropped_total Spans dropped because the queue was full or the export failed.\n'
      + '# TYPE otlp_exporter_spans_dropped_total counter\n'
      + `otlp_exporter_spans_dropped_total ${stats.dropped}\n`;
  }

  return { endpoint: shown, stats, add, exportBatch, shutdown, metricsText };
}

module.exports = {
  parseTraceparent, startSpan, elapsedNs, traceparentOf, sampled, otlpSpan,
  tracesEndpoint, resourceAttributes, createExporter,
};
