'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { start, createServer, SERVICE_NAME, DB_KIND, DB_ENV, parseDbUrl } = require('../src/app');

const HIST = 'http_server_request_duration_seconds';
const LE = ['0.005', '0.01', '0.025', '0.05', '0.075', '0.1', '0.25', '0.5', '0.75', '1', '2.5', '5', '7.5', '10', '+Inf'];
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

// Start the app on an ephemeral port with env, run fn(request, logs), then
// close everything. request(path, {method, headers}) -> {status, headers, text};
// logs is the array of log objects written so far.
async function withServer(env, fn) {
  const logs = [];
  const log = (level, msg, fields = {}) => logs.push({ time: new Date().toISOString(), level, msg, ...fields });
  const server = await start({ port: 0, host: '127.0.0.1', env, log });
  const port = server.address().port;
  const request = (p, { method = 'GET', headers = {} } = {}) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
  try {
    await fn(request, logs, server);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function listenTcp() {
  return new Promise((resolve) => {
    const srv = net.createServer((sock) => sock.destroy());
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

// A small OTLP/HTTP receiver: records every POST {url, headers, body}.
// answer: false makes it accept requests and never answer (a slow collector).
function otlpReceiver({ answer = true } = {}) {
  const posts = [];
  const srv = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      posts.push({ url: req.url, method: req.method, headers: req.headers, body });
      if (answer) res.end('{}');
    });
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => resolve({ srv, posts, url: `http://127.0.0.1:${srv.address().port}` }));
  });
}

async function waitFor(cond, what, ms = 5000) {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Samples of a Prometheus page: Map "name{labels}" -> number.
function samples(text) {
  const out = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

test('GET / returns a JSON hello', async () => {
  await withServer({}, async (request) => {
    const res = await request('/');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /application\/json/);
    const body = JSON.parse(res.text);
    assert.equal(body.service, SERVICE_NAME);
    assert.match(body.message, /hello/);
  });
});

test('GET /health without a database URL reports configured:false', async () => {
  await withServer({}, async (request) => {
    const res = await request('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), {
      status: 'ok',
      service: SERVICE_NAME,
      database: { configured: false },
    });
  });
});
{{#has_database}}

test('GET /health with an unreachable database URL is degraded (503), error_type on its series', async () => {
  const env = { [DB_ENV]: `${DB_KIND}://u:p@127.0.0.1:1/db` };
  await withServer(env, async (request) => {
    const res = await request('/health');
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), {
      status: 'degraded',
      service: SERVICE_NAME,
      database: { url_set: true, reachable: false },
    });
    const m = samples((await request('/metrics')).text);
    assert.equal(m.get(`${HIST}_count{http_request_method="GET",http_response_status_code="503",http_route="/health",error_type="503"}`), 1);
  });
});

test('GET /health with a reachable database URL is ok', async () => {
  const db = await listenTcp();
  const env = { [DB_ENV]: `${DB_KIND}://u:p@127.0.0.1:${db.address().port}/db` };
  try {
    await withServer(env, async (request) => {
      const res = await request('/health');
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse(res.text), {
        status: 'ok',
        service: SERVICE_NAME,
        database: { url_set: true, reachable: true },
      });
    });
  } finally {
    await new Promise((resolve) => db.close(resolve));
  }
});

test('parseDbUrl extracts host and port, with scheme defaults', () => {
  assert.deepEqual(parseDbUrl('postgres://u:p@db.internal:6543/app'), { host: 'db.internal', port: 6543 });
  assert.deepEqual(parseDbUrl('postgres://db/app'), { host: 'db', port: 5432 });
  assert.deepEqual(parseDbUrl('redis://[::1]/0'), { host: '::1', port: 6379 });
  assert.equal(parseDbUrl('not a url'), null);
});
{{/has_database}}
{{^has_database}}

test('GET /health ignores DATABASE_URL and REDIS_URL when the service has no database', async () => {
  const env = { DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db', REDIS_URL: 'redis://127.0.0.1:1/0' };
  await withServer(env, async (request) => {
    const res = await request('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text).database, { configured: false });
  });
});
{{/has_database}}

test('unknown paths return 404, other methods 405', async () => {
  await withServer({}, async (request) => {
    assert.equal((await request('/no-such-thing')).status, 404);
    const res = await request('/', { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.allow, 'GET, HEAD');
  });
});

test('GET /metrics: the OTel-shaped duration histogram with route templates', async () => {
  await withServer({}, async (request) => {
    await request('/');
    await request('/?page=2');
    await request('/health');
    await request('/secret-admin-path');
    await request('/', { method: 'PURGE' }); // not a known method: _OTHER
    await request('/', { method: 'DELETE' });
    const res = await request('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    const text = res.text;
    const m = samples(text);

    assert.match(text, new RegExp(`^# HELP ${HIST} .+$`, 'm'));
    assert.match(text, new RegExp(`^# TYPE ${HIST} histogram$`, 'm'));
    assert.doesNotMatch(text, /http_requests_total/);

    const root = 'http_request_method="GET",http_response_status_code="200",http_route="/"';
    assert.equal(m.get(`${HIST}_count{${root}}`), 2, 'the query string does not change the route');
    assert.ok(m.get(`${HIST}_sum{${root}}`) > 0);
    // exactly the OTel buckets, cumulative, ending in +Inf == _count
    const buckets = [...m].filter(([k]) => k.startsWith(`${HIST}_bucket{${root},`));
    assert.deepEqual(buckets.map(([k]) => k.match(/le="([^"]+)"/)[1]), LE);
    buckets.forEach(([, v], i) => assert.ok(i === 0 || v >= buckets[i - 1][1]));
    assert.equal(buckets[buckets.length - 1][1], 2);

    assert.equal(m.get(`${HIST}_count{http_request_method="GET",http_response_status_code="200",http_route="/health"}`), 1);
    // an unmatched path has no http_route label, and never appears in the page
    assert.equal(m.get(`${HIST}_count{http_request_method="GET",http_response_status_code="404"}`), 1);
    assert.doesNotMatch(text, /secret-admin-path/);
    assert.equal(m.get(`${HIST}_count{http_request_method="_OTHER",http_response_status_code="405",http_route="/"}`), 1);
    assert.equal(m.get(`${HIST}_count{http_request_method="DELETE",http_response_status_code="405",http_route="/"}`), 1);
    // no 5xx so far: no error_type anywhere
    assert.doesNotMatch(text, /error_type/);

    // the scrape itself is counted once it has been served
    const again = samples((await request('/metrics')).text);
    assert.equal(again.get(`${HIST}_count{http_request_method="GET",http_response_status_code="200",http_route="/metrics"}`), 1);
  });
});

test('METRICS=off: nothing recorded, /metrics is an empty page', async () => {
  await withServer({ METRICS: 'off' }, async (request) => {
    await request('/');
    const res = await request('/metrics');
    assert.equal(res.status, 200);
    assert.equal(res.text, '');
  });
});

test('one JSON log line per request with trace_id and span_id', async () => {
  await withServer({}, async (request, logs) => {
    const res = await request('/health?x=1', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    assert.equal(res.status, 200);
    const lines = logs.filter((l) => l.msg === 'request');
    assert.equal(lines.length, 1);
    const l = lines[0];
    assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(l.level, 'info');
    assert.equal(l.method, 'GET');
    assert.equal(l.route, '/health');
    assert.equal(l.path, '/health');
    assert.equal(l.status, 200);
    assert.equal(typeof l.duration_ms, 'number');
    assert.equal(l.trace_id, TRACE_ID);
    assert.match(l.span_id, /^[0-9a-f]{16}$/);
    assert.equal(res.headers.traceparent, `00-${TRACE_ID}-${l.span_id}-01`);

    await request('/nope');
    assert.equal(logs.at(-1).route, null);
    assert.equal(logs.at(-1).status, 404);
  });
});

test('traceparent: a valid one is continued, a missing or invalid one starts a new trace', async () => {
  await withServer({}, async (request, logs) => {
    const traceOf = async (header) => {
      const res = await request('/', header === undefined ? {} : { headers: { traceparent: header } });
      const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(res.headers.traceparent);
      assert.ok(m, `response traceparent ${res.headers.traceparent}`);
      assert.equal(logs.at(-1).trace_id, m[1], 'the log line carries the trace id');
      assert.equal(logs.at(-1).span_id, m[2], 'the log line carries the span id');
      return { traceId: m[1], spanId: m[2], flags: m[3] };
    };
    const valid = await traceOf(`00-${TRACE_ID}-${PARENT_ID}-01`);
    assert.equal(valid.traceId, TRACE_ID);
    assert.notEqual(valid.spanId, PARENT_ID);
    assert.equal((await traceOf(`00-${TRACE_ID}-${PARENT_ID}-00`)).flags, '00', 'flags are kept');

    const invalid = {
      missing: undefined,
      uppercase: `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`,
      'all-zero trace id': `00-${'0'.repeat(32)}-${PARENT_ID}-01`,
      'all-zero parent id': `00-${TRACE_ID}-${'0'.repeat(16)}-01`,
      'version ff': `ff-${TRACE_ID}-${PARENT_ID}-01`,
      'too short': `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`,
      garbage: 'hello',
    };
    const seen = new Set();
    for (const [what, header] of Object.entries(invalid)) {
      const t = await traceOf(header);
      assert.notEqual(t.traceId, TRACE_ID, what);
      assert.notEqual(t.traceId, '0'.repeat(32), what);
      assert.ok(!seen.has(t.traceId), `${what}: a fresh trace id`);
      seen.add(t.traceId);
    }
  });
});

test('spans reach an OTLP/HTTP receiver as JSON, off the request path', async () => {
  const rx = await otlpReceiver();
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: rx.url + '/',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_RESOURCE_ATTRIBUTES: 'service.version=abc123,deployment.environment=dev,team=a%20b',
  };
  try {
    await withServer(env, async (request, logs, server) => {
      const res = await request('/health', { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
      assert.equal(res.status, 200);
      await waitFor(() => rx.posts.length > 0, 'a span export');
      const post = rx.posts[0];
      assert.equal(post.method, 'POST');
      assert.equal(post.url, '/v1/traces');
      assert.match(post.headers['content-type'], /^application\/json/);

      const body = JSON.parse(post.body);
      const rs = body.resourceSpans[0];
      const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value.stringValue]));
      assert.equal(attrs['service.name'], SERVICE_NAME);
      assert.equal(attrs['service.version'], 'abc123');
      assert.equal(attrs['deployment.environment'], 'dev');
      assert.equal(attrs.team, 'a b');

      const span = rs.scopeSpans[0].spans[0];
      assert.equal(span.traceId, TRACE_ID);
      assert.equal(span.parentSpanId, PARENT_ID);
      assert.equal(span.spanId, logs.find((l) => l.msg === 'request').span_id);
      assert.equal(span.kind, 2);
      assert.equal(span.name, 'GET /health');
      assert.match(span.startTimeUnixNano, /^\d{19}$/);
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
      const sattrs = Object.fromEntries(span.attributes.map((a) => [a.key, a.value]));
      assert.deepEqual(sattrs['http.request.method'], { stringValue: 'GET' });
      assert.deepEqual(sattrs['http.route'], { stringValue: '/health' });
      assert.deepEqual(sattrs['http.response.status_code'], { intValue: '200' });
      assert.deepEqual(sattrs['url.path'], { stringValue: '/health' });
      await waitFor(() => server.exporter.stats.exported === 1, 'the export to be counted');
    });
  } finally {
    rx.srv.closeAllConnections();
    rx.srv.close();
  }
});

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT wins and is used as is; OTEL_SERVICE_NAME names the service', async () => {
  const rx = await otlpReceiver();
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: rx.url + '/custom/traces',
    OTEL_SERVICE_NAME: 'renamed',
    OTEL_RESOURCE_ATTRIBUTES: 'service.name=ignored',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
  try {
    await withServer(env, async (request) => {
      await request('/');
      await waitFor(() => rx.posts.length > 0, 'a span export');
      assert.equal(rx.posts[0].url, '/custom/traces');
      const attrs = JSON.parse(rx.posts[0].body).resourceSpans[0].resource.attributes;
      assert.deepEqual(attrs.find((a) => a.key === 'service.name').value, { stringValue: 'renamed' });
    });
  } finally {
    rx.srv.closeAllConnections();
    rx.srv.close();
  }
});

test('an unusable OTLP endpoint stops start-up with a clear error', () => {
  for (const endpoint of ['not a url', 'ftp://127.0.0.1:4318']) {
    assert.throws(() => createServer({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, log: () => {} }),
      /URL/, endpoint);
  }
});

test('a down or slow collector never slows or fails requests; dropped spans are counted', async () => {
  const slow = await otlpReceiver({ answer: false });
  for (const endpoint of ['http://127.0.0.1:1', slow.url]) {
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_BSP_SCHEDULE_DELAY: '10',
      OTEL_BSP_MAX_QUEUE_SIZE: '5',
    };
    await withServer(env, async (request, logs, server) => {
      const t0 = Date.now();
      for (let i = 0; i < 40; i++) assert.equal((await request('/')).status, 200);
      assert.ok(Date.now() - t0 < 3000, `40 requests took ${Date.now() - t0} ms (${endpoint})`);
      await waitFor(() => server.exporter.stats.dropped > 0, `dropped spans (${endpoint})`);
      assert.equal(server.exporter.stats.exported, 0);
      const dropped = samples((await request('/metrics')).text).get('otlp_exporter_spans_dropped_total');
      assert.ok(dropped > 0, `otlp_exporter_spans_dropped_total ${dropped}`);
    });
  }
  slow.srv.closeAllConnections();
  slow.srv.close();
});

test('server.js logs JSON lines and exits cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'server.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = out.match(/"port":(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', () => reject(new Error(`server exited early: ${out}`)));
  });

  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(res.status, 200);
  await res.text();

  child.kill('SIGTERM');
  assert.deepEqual(await exited, { code: 0, signal: null });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.msg), ['listening', 'request', 'shutting down', 'stopped']);
  for (const l of lines) assert.match(l.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.match(lines[1].trace_id, /^[0-9a-f]{32}$/);
});
