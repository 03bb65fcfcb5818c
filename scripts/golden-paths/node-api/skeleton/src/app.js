'use strict';
// {{name}}: HTTP service built on plain node:http (no npm dependencies).
//
// Endpoints:
//   GET /         small JSON hello
//   GET /health   liveness + dependency reachability (503 when degraded)
//   GET /metrics  Prometheus text exposition format
//
// Every request is measured (src/metrics.js), traced (src/tracing.js) and
// logged as one JSON line (src/log.js); see "Observability" in README.md.

const http = require('node:http');
const net = require('node:net');
const { createMetrics, methodLabel } = require('./metrics');
const { createLogger } = require('./log');
const tracing = require('./tracing');

const SERVICE_NAME = '{{name}}';
// Backing store this service was generated with: "postgres", "redis" or "none".
const DB_KIND = '{{database}}';
// Environment variable holding the backing store's URL (null: no database).
{{#database_postgres}}
const DB_ENV = 'DATABASE_URL';
{{/database_postgres}}
{{#database_redis}}
const DB_ENV = 'REDIS_URL';
{{/database_redis}}
{{^has_database}}
const DB_ENV = null;
{{/has_database}}
const DEFAULT_DB_PORTS = { postgres: 5432, postgresql: 5432, redis: 6379, rediss: 6379 };
const DB_CHECK_TIMEOUT_MS = 1000;

// Route templates this service serves; any other path matches no route.
const ROUTES = ['/', '/health', '/metrics'];

// Extract host and port from a URL such as postgres://u:p@db:5432/app or
// redis://cache:6379/0. Returns null when the URL cannot be parsed.
function parseDbUrl(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return null;
  }
  const scheme = u.protocol.replace(/:$/, '');
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost';
  const port = u.port ? Number(u.port) : DEFAULT_DB_PORTS[scheme];
  if (!port) return null;
  return { host, port };
}

// Resolve true when a TCP connection to host:port opens within timeoutMs.
function checkTcp(host, port, timeoutMs = DB_CHECK_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (ok) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

async function healthReport(env) {
  const url = DB_ENV ? env[DB_ENV] : undefined;
  if (!url) {
    return { code: 200, body: { status: 'ok', service: SERVICE_NAME, database: { configured: false } } };
  }
  const target = parseDbUrl(url);
  const reachable = target ? await checkTcp(target.host, target.port) : false;
  return {
    code: reachable ? 200 : 503,
    body: {
      status: reachable ? 'ok' : 'degraded',
      service: SERVICE_NAME,
      database: { url_set: true, reachable },
    },
  };
}

// METRICS=off (or false, 0) turns recording off; /metrics is then empty.
function metricsEnabled(env) {
  return !/^(off|false|0)$/i.test(String(env.METRICS || '').trim());
}

// createServer returns an http.Server that is not listening yet.
// options.env: where DATABASE_URL / REDIS_URL, METRICS and OTEL_* are read
//   from (default process.env).
// options.log: log(level, msg, fields) (default: JSON lines on stdout).
function createServer(options = {}) {
  const env = options.env || process.env;
  const log = options.log || createLogger(SERVICE_NAME);
  const metrics = createMetrics({ enabled: metricsEnabled(env) });
  const endpoint = tracing.tracesEndpoint(env);
  const exporter = endpoint ? tracing.createExporter({ endpoint, env, serviceName: SERVICE_NAME, log }) : null;

  // One finished request: its histogram sample, its span, its log line.
  // Called just before the response is written, so a client that got the
  // response always finds it in the next /metrics page.
  function record(method, route, path, status, span) {
    const ns = tracing.elapsedNs(span);
    metrics.observe(method, status, route, Number(ns) / 1e9);
    if (exporter && tracing.sampled(span)) {
      const endNs = span.startNs + ns;
      exporter.add(tracing.otlpSpan(span, { method: methodLabel(method), route, path, status, endNs }));
    }
    log(status >= 500 ? 'error' : 'info', 'request', {
      method, route, path, status,
      duration_ms: Math.round(Number(ns) / 1e3) / 1e3,
      trace_id: span.traceId, span_id: span.spanId,
    });
  }

  const server = http.createServer(async (req, res) => {
    const span = tracing.startSpan(req.headers.traceparent);
    const path = (req.url || '/').split('?')[0];
    const route = ROUTES.includes(path) ? path : null;

    const send = (code, contentType, body, headers = {}) => {
      record(req.method, route, path, code, span);
      res.writeHead(code, {
        'Content-Type': contentType,
        'Content-Length': Buffer.byteLength(body),
        traceparent: tracing.traceparentOf(span),
        ...headers,
      });
      res.end(body);
    };
    const sendJson = (code, obj, headers) => send(code, 'application/json', JSON.stringify(obj) + '\n', headers);

    try {
      if (route !== null && req.method !== 'GET' && req.method !== 'HEAD') {
        return sendJson(405, { error: 'method not allowed' }, { Allow: 'GET, HEAD' });
      }
      if (route === '/') {
        return sendJson(200, { service: SERVICE_NAME, message: `hello from ${SERVICE_NAME}` });
      }
      if (route === '/health') {
        const report = await healthReport(env);
        return sendJson(report.code, report.body);
      }
      if (route === '/metrics') {
        const page = metrics.render() + (metrics.enabled && exporter ? exporter.metricsText() : '');
        return send(200, 'text/plain; version=0.0.4; charset=utf-8', page);
      }
      return sendJson(404, { error: 'not found', path });
    } catch (err) {
      log('error', 'request failed', { error: String(err), trace_id: span.traceId, span_id: span.spanId });
      if (!res.headersSent) sendJson(500, { error: 'internal error' });
      else res.destroy();
    }
  });
  server.metrics = metrics;
  server.exporter = exporter;
  // Send the spans still queued (bounded by OTEL_EXPORTER_OTLP_TIMEOUT).
  server.shutdownTelemetry = () => (exporter ? exporter.shutdown() : Promise.resolve());
  return server;
}

// start({port, host, env}) resolves with a listening server. port 0 picks a free port.
function start(options = {}) {
  const server = createServer(options);
  const port = options.port === undefined ? 8080 : options.port;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

module.exports = { SERVICE_NAME, DB_KIND, DB_ENV, ROUTES, createServer, start, parseDbUrl, checkTcp };
