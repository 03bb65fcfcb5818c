'use strict';
// Unit tests of the metrics and tracing modules (no server).
const test = require('node:test');
const assert = require('node:assert/strict');
const { createMetrics, BUCKETS, NAME } = require('../src/metrics');
const tracing = require('../src/tracing');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

test('the histogram uses the OTel HTTP server-duration buckets', () => {
  assert.deepEqual(BUCKETS, [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]);
  assert.equal(NAME, 'http_server_request_duration_seconds');
});

test('observe: buckets are cumulative, +Inf counts everything, the sum adds up', () => {
  const m = createMetrics();
  m.observe('GET', 200, '/', 0.003);
  m.observe('GET', 200, '/', 0.08);
  m.observe('GET', 200, '/', 12);
  const text = m.render();
  const labels = 'http_request_method="GET",http_response_status_code="200",http_route="/"';
  const get = (le) => Number(text.match(new RegExp(`^${NAME}_bucket\\{${labels},le="${le.replace('+', '\\+')}"\\} (\\d+)$`, 'm'))[1]);
  assert.equal(get('0.005'), 1);
  assert.equal(get('0.075'), 1);
  assert.equal(get('0.1'), 2);
  assert.equal(get('10'), 2);
  assert.equal(get('+Inf'), 3);
  assert.match(text, new RegExp(`^${NAME}_sum\\{${labels}\\} 12\\.083`, 'm'));
  assert.match(text, new RegExp(`^${NAME}_count\\{${labels}\\} 3$`, 'm'));
});

test('error_type only on 5xx; unknown methods are _OTHER; no route means no http_route', () => {
  const m = createMetrics();
  m.observe('GET', 500, '/', 0.01);
  m.observe('GET', 503, '/health', 0.01);
  m.observe('GET', 404, null, 0.01);
  m.observe('GET', 499, '/', 0.01);
  m.observe('BREW', 200, '/', 0.01);
  const counts = m.render().split('\n').filter((l) => l.startsWith(`${NAME}_count{`));
  assert.deepEqual(counts.sort(), [
    `${NAME}_count{http_request_method="GET",http_response_status_code="404"} 1`,
    `${NAME}_count{http_request_method="GET",http_response_status_code="499",http_route="/"} 1`,
    `${NAME}_count{http_request_method="GET",http_response_status_code="500",http_route="/",error_type="500"} 1`,
    `${NAME}_count{http_request_method="GET",http_response_status_code="503",http_route="/health",error_type="503"} 1`,
    `${NAME}_count{http_request_method="_OTHER",http_response_status_code="200",http_route="/"} 1`,
  ]);
});

test('disabled metrics record nothing and render an empty page', () => {
  const m = createMetrics({ enabled: false });
  m.observe('GET', 200, '/', 0.01);
  assert.equal(m.render(), '');
});

test('parseTraceparent accepts only valid version-00 lowercase headers', () => {
  assert.deepEqual(tracing.parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`),
    { traceId: TRACE_ID, parentId: PARENT_ID, flags: '01' });
  for (const bad of [
    undefined, '', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`, `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`,
    `00-${'0'.repeat(32)}-${PARENT_ID}-01`, `00-${TRACE_ID}-${'0'.repeat(16)}-01`, `ff-${TRACE_ID}-${PARENT_ID}-01`,
    `00-${TRACE_ID}-${PARENT_ID}-1`, `00-${TRACE_ID}-${PARENT_ID}-01-extra`, `00_${TRACE_ID}_${PARENT_ID}_01`,
  ]) {
    assert.equal(tracing.parseTraceparent(bad), null, String(bad));
  }
});

test('startSpan continues a valid parent and starts a sampled trace otherwise', () => {
  const child = tracing.startSpan(`00-${TRACE_ID}-${PARENT_ID}-00`);
  assert.equal(child.traceId, TRACE_ID);
  assert.equal(child.parentSpanId, PARENT_ID);
  assert.equal(tracing.sampled(child), false);
  const root = tracing.startSpan(undefined);
  assert.match(root.traceId, /^[0-9a-f]{32}$/);
  assert.match(root.spanId, /^[0-9a-f]{16}$/);
  assert.equal(root.parentSpanId, null);
  assert.equal(tracing.sampled(root), true);
  assert.equal(tracing.traceparentOf(root), `00-${root.traceId}-${root.spanId}-01`);
});

test('otlpSpan: SERVER kind, HTTP semconv attributes, error status on 5xx only', () => {
  const span = tracing.startSpan(undefined);
  const ok = tracing.otlpSpan(span, { method: 'GET', route: '/', path: '/', status: 200, endNs: span.startNs + 5n });
  assert.equal(ok.kind, 2);
  assert.equal(ok.name, 'GET /');
  assert.equal(ok.status, undefined);
  assert.equal(ok.parentSpanId, undefined);
  assert.equal(BigInt(ok.endTimeUnixNano) - BigInt(ok.startTimeUnixNano), 5n);
  const bad = tracing.otlpSpan(span, { method: 'GET', route: null, path: '/x', status: 502, endNs: span.startNs });
  assert.equal(bad.name, 'GET');
  assert.deepEqual(bad.status, { code: 2 });
  assert.deepEqual(bad.attributes.find((a) => a.key === 'error.type').value, { stringValue: '502' });
  assert.equal(bad.attributes.find((a) => a.key === 'http.route'), undefined);
});

test('tracesEndpoint and resourceAttributes follow the OTel environment spec', () => {
  assert.equal(tracing.tracesEndpoint({}), null);
  assert.equal(tracing.tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }), 'http://c:4318/v1/traces');
  assert.equal(tracing.tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:1/x' }), 'http://t:1/x');
  const attrs = (env) => Object.fromEntries(tracing.resourceAttributes(env, 'svc').map((a) => [a.key, a.value.stringValue]));
  assert.deepEqual(attrs({}), { 'service.name': 'svc' });
  assert.deepEqual(attrs({ OTEL_RESOURCE_ATTRIBUTES: ' service.version = abc123 ,deployment.environment=dev,,bad,=x' }),
    { 'service.version': 'abc123', 'deployment.environment': 'dev', 'service.name': 'svc' });
  assert.equal(attrs({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=a' })['service.name'], 'a');
  assert.equal(attrs({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=a', OTEL_SERVICE_NAME: 'b' })['service.name'], 'b');
});
