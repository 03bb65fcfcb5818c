// portal.js -- what is live on the portal's server-rendered pages: the
// dependency graph (cytoscape), OpenAPI references (swagger-ui), health,
// RED graphs per version (uPlot), releases with rollback, and the create
// form with its steps from the task's event stream.  The libraries are
// vendored under /static/vendor with their licences and loaded on demand.
'use strict';

const csrf = document.querySelector('meta[name="csrf-token"]')?.content;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return e;
}

const loaded = {};
function load(src) {
  if (!loaded[src]) {
    loaded[src] = new Promise((resolve, reject) => {
      const s = el('script', { src });
      s.onload = resolve;
      s.onerror = () => reject(new Error(`cannot load ${src}`));
      document.head.append(s);
    });
  }
  return loaded[src];
}
function css(href) {
  if (!document.querySelector(`link[href="${href}"]`)) document.head.append(el('link', { rel: 'stylesheet', href }));
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.method && options.method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, { ...options, headers, credentials: 'same-origin' });
  let body = null;
  try { body = await res.json(); } catch { /* no body */ }
  return { status: res.status, body };
}

function entityHref(ref) {
  const m = /^([^:]+):(?:([^/]+)\/)?(.+)$/.exec(ref);
  return m ? `/catalog/${encodeURIComponent(m[2] || 'default')}/${encodeURIComponent(m[1])}/${encodeURIComponent(m[3])}` : '#';
}

// ---- the graph -----------------------------------------------------------
async function drawGraph() {
  const box = document.getElementById('graph'), data = document.getElementById('graph-data');
  if (!box || !data) return;
  const g = JSON.parse(data.textContent);
  await load('/static/vendor/cytoscape/cytoscape.min.js');
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  const cy = window.cytoscape({
    container: box,
    elements: [
      ...g.nodes.map(n => ({ data: { id: n.id, label: n.label, kind: n.kind, self: n.self ? 1 : 0 } })),
      ...g.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.label } })),
    ],
    layout: { name: 'breadthfirst', directed: true, padding: 20, spacingFactor: 1.1 },
    maxZoom: 1.6, minZoom: 0.2,
    style: [
      { selector: 'node', style: { label: 'data(label)', 'background-color': dark ? '#6ea2ff' : '#2f6fdd',
        color: dark ? '#e6e9ef' : '#1d2330', 'font-size': 11, 'text-valign': 'bottom', 'text-margin-y': 4 } },
      { selector: 'node[kind = "api"]', style: { shape: 'diamond', 'background-color': '#8250df' } },
      { selector: 'node[self = 1]', style: { 'background-color': '#1a7f37', width: 38, height: 38 } },
      { selector: 'edge', style: { width: 1.5, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle',
        'line-color': '#8c96a8', 'target-arrow-color': '#8c96a8', label: 'data(label)', 'font-size': 9,
        color: dark ? '#9aa4b5' : '#5b6475' } },
    ],
  });
  cy.on('tap', 'node', ev => { if (!ev.target.data('self')) location.href = entityHref(ev.target.id()); });
  box.dataset.nodes = String(g.nodes.length);
  box.dataset.drawn = 'true';
}

// ---- OpenAPI ---------------------------------------------------------------
async function drawApis() {
  const boxes = document.querySelectorAll('.openapi[data-api]');
  if (!boxes.length) return;
  css('/static/vendor/swagger-ui/swagger-ui.css');
  await load('/static/vendor/swagger-ui/swagger-ui-bundle.js');
  for (const box of boxes) {
    window.SwaggerUIBundle({
      url: `/api/paved/entities/api/${encodeURIComponent(box.dataset.api)}/definition`,
      domNode: box, deepLinking: false, supportedSubmitMethods: [], validatorUrl: null,
      onComplete: () => { box.dataset.rendered = 'true'; },
    });
  }
}

// ---- health ------------------------------------------------------------------
async function health() {
  const box = document.getElementById('health');
  if (!box) return;
  const { status, body } = await api(`/api/paved/services/${box.dataset.service}/status`);
  box.replaceChildren();
  const rows = Array.isArray(body) ? body : body ? [body] : [];
  if (status !== 200 || !rows.length) {
    const msg = status === 404 ? 'not deployed yet' : (body?.error?.message || 'unknown');
    box.append(el('span', { class: 'state-unknown', id: 'health-state', 'data-state': 'unknown' }, msg));
    box.dataset.state = 'unknown';
  } else {
    const table = el('table', {}, el('tr', {}, ...['Env', 'State', 'Version', 'Replicas', 'URL'].map(h => el('th', {}, h))));
    for (const r of rows) {
      const state = r.state === 'running' ? 'healthy' : r.state || 'unknown';
      const url = r.url ? el('a', { href: r.url, rel: 'noopener' }, r.url) : '';
      table.append(el('tr', { 'data-env': r.env },
        el('td', {}, r.env), el('td', { class: `state-${state.replace(/ /g, '-')}` }, state),
        el('td', {}, r.version || '-'),
        el('td', {}, r.replicas ? `${r.replicas.healthy}/${r.replicas.total} healthy` : '-'), el('td', {}, url)));
    }
    box.append(table);
    const dev = rows.find(r => r.env === 'dev') || rows[0];
    box.dataset.state = dev.state === 'running' ? 'healthy' : dev.state;
    box.dataset.version = dev.version || '';
  }
  setTimeout(health, 5000);
}

// ---- RED graphs per version -------------------------------------------------------
async function red() {
  const box = document.getElementById('red');
  if (!box) return;
  const { body } = await api(`/api/paved/services/${box.dataset.service}/metrics?env=dev&minutes=30`);
  box.replaceChildren();
  if (!body) { box.append('metrics: no answer'); return; }
  const now = body.red || {};
  if (now.available === false) box.append(el('p', { class: 'note' }, `now: unavailable (${now.hook}: ${now.reason})`));
  else if (now.requests_per_s !== undefined) {
    box.append(el('p', { id: 'red-now' }, `now: ${(+now.requests_per_s).toFixed(2)} req/s, ` +
      `${((+now.error_rate || 0) * 100).toFixed(2)} % errors, p99 ${(+now.latency_p99_ms || 0).toFixed(1)} ms`));
  }
  const charts = el('div', { class: 'charts' });
  box.append(charts);
  const titles = { requests_per_s: 'requests/s', error_rate: 'error rate', latency_p99_ms: 'p99 latency (ms)' };
  let drawn = 0;
  for (const [key, title] of Object.entries(titles)) {
    const s = body.series?.[key];
    if (!s || s.available === false) {
      charts.append(el('div', { class: 'chart note' }, `${title}: unavailable (${s?.reason || 'no data'})`));
      continue;
    }
    const series = s.result || [];
    const times = [...new Set(series.flatMap(x => x.values.map(v => +v[0])))].sort((a, b) => a - b);
    const data = [times, ...series.map(x => {
      const m = new Map(x.values.map(v => [+v[0], +v[1]]));
      return times.map(t => (m.has(t) && Number.isFinite(m.get(t)) ? m.get(t) : null));
    })];
    const div = el('div', { class: 'chart', 'data-series': key });
    charts.append(div);
    if (!times.length) { div.append(`${title}: no samples yet`); continue; }
    await load('/static/vendor/uplot/uPlot.iife.min.js');
    css('/static/vendor/uplot/uPlot.min.css');
    const colors = ['#2f6fdd', '#cf222e', '#1a7f37', '#9a6700', '#8250df'];
    new window.uPlot({
      title, width: 380, height: 200,
      series: [{}, ...series.map((x, i) => ({ label: `version ${x.metric?.version || '?'}`, stroke: colors[i % colors.length], width: 2 }))],
      axes: [{ stroke: '#8c96a8' }, { stroke: '#8c96a8' }],
    }, data, div);
    drawn++;
  }
  box.dataset.charts = String(drawn);
  box.dataset.loaded = 'true';
}

// ---- releases and rollback -------------------------------------------------------
async function releases() {
  const box = document.getElementById('releases');
  if (!box) return;
  const svc = box.dataset.service;
  const { status, body } = await api(`/api/paved/services/${svc}/releases?env=dev`);
  box.replaceChildren();
  if (status !== 200 || !Array.isArray(body) || !body.length) {
    box.append(el('p', { class: 'note' }, status === 200 ? 'no releases yet' : (body?.error?.message || 'unknown')));
    box.dataset.loaded = 'true';
    return;
  }
  const table = el('table', { id: 'release-table' }, el('tr', {}, ...['', 'Version', 'Deployed', 'Trigger', 'Strategy', 'Outcome', ''].map(h => el('th', {}, h))));
  for (const r of body) {
    const action = r.live ? el('strong', {}, 'live') :
      r.outcome === 'success' ? el('button', { class: 'rollback', 'data-version': r.version,
        onclick: () => rollback(svc, r.version) }, `Roll back to ${r.version}`) : '';
    table.append(el('tr', { 'data-version': r.version, class: r.live ? 'live' : '' },
      el('td', {}, r.live ? '*' : ''), el('td', {}, r.version), el('td', {}, r.end || r.start || ''),
      el('td', {}, r.trigger || ''), el('td', {}, r.strategy || ''), el('td', {}, r.outcome || ''), el('td', {}, action)));
  }
  box.append(table, el('p', { id: 'release-result' }));
  box.dataset.loaded = 'true';
  box.dataset.live = body.find(r => r.live)?.version || '';
}

async function rollback(svc, version) {
  const out = document.getElementById('release-result');
  for (const b of document.querySelectorAll('button.rollback')) b.disabled = true;
  out.textContent = `rolling back to ${version}…`;
  const { status, body } = await api(`/api/paved/services/${svc}/rollback`, {
    method: 'POST', body: JSON.stringify({ env: 'dev', to: version }) });
  await releases();
  document.getElementById('release-result').textContent = status === 200 ?
    `rolled back: ${body.version} is live (${body.outcome})` : `rollback failed: ${body?.error?.message || status}`;
  document.getElementById('releases').dataset.result = status === 200 ? 'ok' : 'failed';
  health();
}

// ---- the create form ------------------------------------------------------------------
function createForm() {
  const form = document.getElementById('create');
  if (!form) return;
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    for (const p of form.querySelectorAll('.problem')) p.textContent = '';
    const values = {};
    for (const input of form.querySelectorAll('[name]')) {
      const t = input.dataset.type;
      if (t === 'bool') values[input.name] = input.checked;
      else if (t === 'int') { if (input.value !== '') values[input.name] = Number(input.value); }
      else if (input.value !== '' || input.name === 'system') values[input.name] = input.value;
    }
    form.querySelector('button[type=submit]').disabled = true;
    const { status, body } = await api('/api/scaffolder/v2/tasks', {
      method: 'POST', body: JSON.stringify({ templateRef: `template:default/${form.dataset.template}`, values }) });
    if (status !== 201) {
      for (const e of body?.errors || [{ message: body?.error?.message || `HTTP ${status}` }]) {
        const slot = document.getElementById(`problem-${e.path}`) || document.getElementById('outcome');
        slot.textContent = e.message;
      }
      document.getElementById('progress').hidden = !document.getElementById('outcome').textContent;
      form.querySelector('button[type=submit]').disabled = false;
      return;
    }
    const progress = document.getElementById('progress');
    progress.hidden = false;
    progress.dataset.task = body.id;
    const es = new EventSource(`/api/scaffolder/v2/tasks/${body.id}/eventstream`);
    es.addEventListener('log', m => {
      const e = JSON.parse(m.data).body;
      const li = document.querySelector(`#steps li[data-step="${e.stepId}"]`);
      if (!li) return;
      li.className = e.status;
      li.querySelector('.detail').textContent = e.detail ? `— ${e.detail}` : '';
    });
    es.addEventListener('completion', m => {
      es.close();
      const e = JSON.parse(m.data).body;
      const out = document.getElementById('outcome');
      out.replaceChildren(`${e.status}. `);
      out.dataset.status = e.status;
      if (e.status === 'completed' && values.name) {
        out.append(el('a', { id: 'service-link', href: `/catalog/default/component/${encodeURIComponent(values.name)}` }, `Open ${values.name}`));
      } else if (e.error) out.append(e.error);
    });
    es.onerror = () => { if (es.readyState === EventSource.CLOSED) return; };
  });
}

for (const f of [drawGraph, drawApis, health, red, releases, createForm]) {
  document.addEventListener('DOMContentLoaded', () => Promise.resolve().then(f).catch(e => console.error(f.name, e)));
}
