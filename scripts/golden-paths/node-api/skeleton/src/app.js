'use strict';
// {{name}}: HTTP service built on plain node:http (no npm dependencies).
//
// Endpoints:
//   GET /         small JSON hello
//   GET /health   liveness + dependency reachability (503 when degraded)
//   GET /metrics  Prometheus text exposition format

const http = require('node:http');
const net = require('node:net');

const SERVICE_NAME = '{{name}}';
// Backing store this service was generated with: "postgres", "redis" or "none".
const DB_KIND = '{{database}}';
// Environment variable holding the backing store's URL (null: no database).
{{#db_postgres}}
const DB_ENV = 'DATABASE_URL';
{{/db_postgres}}
{{#db_redis}}
const DB_ENV = 'REDIS_URL';
{{/db_redis}}
{{^has_database}}
const DB_ENV = null;
{{/has_database}}
const DEFAULT_DB_PORTS = { postgres: 5432, postgresql: 5432, redis: 6379, rediss: 6379 };
const DB_CHECK_TIMEOUT_MS = 1000;

// Histogram buckets, in seconds.
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const ROUTES = ['/', '/health', '/metrics'];
const OTHER_ROUTE = 'other';
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

function createMetrics() {
  const counters = new Map(); // "method path code" -> { method, path, code, value }
  const histograms = new Map(); // path -> { buckets: number[], sum, count }
  for (const path of [...ROUTES, OTHER_ROUTE]) {
    histograms.set(path, { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 });
  }

  function observe(method, path, code, seconds) {
    const key = `${method} ${path} ${code}`;
    const c = counters.get(key);
    if (c) c.value += 1;
    else counters.set(key, { method, path, code, value: 1 });

    const h = histograms.get(path);
    BUCKETS.forEach((le, i) => {
      if (seconds <= le) h.buckets[i] += 1;
    });
    h.sum += seconds;
    h.count += 1;
  }

  function render() {
    const lines = [
      '# HELP http_requests_total Total number of HTTP requests handled.',
      '# TYPE http_requests_total counter',
    ];
    for (const c of counters.values()) {
      lines.push(`http_requests_total{method="${c.method}",path="${c.path}",code="${c.code}"} ${c.value}`);
    }
    lines.push('# HELP http_request_duration_seconds HTTP request duration in seconds.');
    lines.push('# TYPE http_request_duration_seconds histogram');
    for (const [path, h] of histograms) {
      BUCKETS.forEach((le, i) => {
        lines.push(`http_request_duration_seconds_bucket{path="${path}",le="${le}"} ${h.buckets[i]}`);
      });
      lines.push(`http_request_duration_seconds_bucket{path="${path}",le="+Inf"} ${h.count}`);
      lines.push(`http_request_duration_seconds_sum{path="${path}"} ${h.sum}`);
      lines.push(`http_request_duration_seconds_count{path="${path}"} ${h.count}`);
    }
    return lines.join('\n') + '\n';
  }

  return { observe, render };
}

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

// createServer returns an http.Server that is not listening yet.
// options.env: where DATABASE_URL / REDIS_URL are read from (default process.env).
function createServer(options = {}) {
  const env = options.env || process.env;
  const metrics = createMetrics();

  const server = http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url || '/').split('?')[0];
    const route = ROUTES.includes(path) ? path : OTHER_ROUTE;
    const method = METHODS.has(req.method) ? req.method : 'OTHER';

    const send = (code, contentType, body, headers = {}) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observe(method, route, code, seconds);
      res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    const sendJson = (code, obj, headers) => send(code, 'application/json', JSON.stringify(obj) + '\n', headers);

    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
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
        return send(200, 'text/plain; version=0.0.4; charset=utf-8', metrics.render());
      }
      return sendJson(404, { error: 'not found', path });
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', msg: 'request failed', error: String(err) }));
      if (!res.headersSent) sendJson(500, { error: 'internal error' });
      else res.destroy();
    }
  });
  server.metrics = metrics;
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

module.exports = { SERVICE_NAME, DB_KIND, DB_ENV, createServer, start, parseDbUrl, checkTcp };
