'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { start, SERVICE_NAME, DB_KIND, DB_ENV, parseDbUrl } = require('../src/app');

// Start the app on an ephemeral port, run fn(get), then close everything.
async function withServer(env, fn) {
  const server = await start({ port: 0, host: '127.0.0.1', env });
  const base = `http://127.0.0.1:${server.address().port}`;
  const get = async (p) => {
    const res = await fetch(base + p);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  };
  try {
    await fn(get);
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

test('GET / returns a JSON hello', async () => {
  await withServer({}, async (get) => {
    const res = await get('/');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    const body = JSON.parse(res.text);
    assert.equal(body.service, SERVICE_NAME);
    assert.match(body.message, /hello/);
  });
});

test('GET /health without a database URL reports configured:false', async () => {
  await withServer({}, async (get) => {
    const res = await get('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), {
      status: 'ok',
      service: SERVICE_NAME,
      database: { configured: false },
    });
  });
});
{{#has_database}}

test('GET /health with an unreachable database URL is degraded (503)', async () => {
  const env = { [DB_ENV]: `${DB_KIND}://u:p@127.0.0.1:1/db` };
  await withServer(env, async (get) => {
    const res = await get('/health');
    assert.equal(res.status, 503);
    assert.deepEqual(JSON.parse(res.text), {
      status: 'degraded',
      service: SERVICE_NAME,
      database: { url_set: true, reachable: false },
    });
  });
});

test('GET /health with a reachable database URL is ok', async () => {
  const db = await listenTcp();
  const env = { [DB_ENV]: `${DB_KIND}://u:p@127.0.0.1:${db.address().port}/db` };
  try {
    await withServer(env, async (get) => {
      const res = await get('/health');
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
  await withServer(env, async (get) => {
    const res = await get('/health');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text).database, { configured: false });
  });
});
{{/has_database}}

test('unknown paths return 404', async () => {
  await withServer({}, async (get) => {
    const res = await get('/no-such-thing');
    assert.equal(res.status, 404);
  });
});

test('GET /metrics exposes a request counter and a duration histogram', async () => {
  await withServer({}, async (get) => {
    const counterRe = /^http_requests_total\{method="GET",path="\/",code="200"\} (\d+)$/m;
    const count = (text) => {
      const m = text.match(counterRe);
      return m ? Number(m[1]) : 0;
    };

    await get('/');
    const first = await get('/metrics');
    assert.equal(first.status, 200);
    assert.match(first.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
    await get('/');
    await get('/');
    const second = (await get('/metrics')).text;

    assert.equal(count(first.text), 1);
    assert.equal(count(second), 3);
    assert.match(second, /^# HELP http_requests_total .+$/m);
    assert.match(second, /^# TYPE http_requests_total counter$/m);
    assert.match(second, /^# HELP http_request_duration_seconds .+$/m);
    assert.match(second, /^# TYPE http_request_duration_seconds histogram$/m);
    assert.match(second, /^http_request_duration_seconds_bucket\{path="\/",le="0\.005"\} \d+$/m);
    assert.match(second, /^http_request_duration_seconds_bucket\{path="\/",le="\+Inf"\} 3$/m);
    assert.match(second, /^http_request_duration_seconds_sum\{path="\/"\} [0-9.e+-]+$/m);
    assert.match(second, /^http_request_duration_seconds_count\{path="\/"\} 3$/m);
    // The first scrape is itself counted once it has been served.
    assert.match(second, /^http_requests_total\{method="GET",path="\/metrics",code="200"\} 1$/m);

    // Buckets are cumulative and never exceed _count.
    const buckets = [...second.matchAll(/^http_request_duration_seconds_bucket\{path="\/",le="[^"]+"\} (\d+)$/gm)]
      .map((m) => Number(m[1]));
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i] >= buckets[i - 1]);
    assert.equal(buckets[buckets.length - 1], 3);
  });
});

test('server.js exits cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'src', 'server.js')], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
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
});
