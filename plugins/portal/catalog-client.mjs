// catalog-client.mjs URL TOKEN EXTRA_YAML NODEDIR -- drive paved serve's
// catalog API with Backstage's own client, @backstage/catalog-client from
// npm, unmodified.  Prints one line per check and exits 1 on a failure.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [url, token, extra, nodeDir] = process.argv.slice(2);
const require = createRequire(join(nodeDir, 'package.json'));
const { CatalogClient } = require('@backstage/catalog-client');
let checks = 0, fails = 0;
const ok = (cond, what, detail = '') => {
  checks++;
  if (cond) console.log(`ok: ${what}`);
  else { fails++; console.log(`FAIL: ${what}${detail ? `: ${detail}` : ''}`); }
};
const discoveryApi = { getBaseUrl: async () => `${url}/api/catalog` };
const client = new CatalogClient({ discoveryApi });
const opts = { token };
const names = items => items.map(e => e?.metadata.name ?? 'undefined').join();

try {
  const all = await client.getEntities({ filter: { kind: 'Component' }, fields: ['metadata.name'] }, opts);
  ok(names(all.items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) === 'billing,orders,web',
    'getEntities({filter: {kind}})', names(all.items));

  const q = await client.queryEntities({ filter: { kind: 'component', 'spec.owner': 'team-b' },
    orderFields: { field: 'metadata.name', order: 'asc' }, limit: 1 }, opts);
  ok(q.totalItems === 2 && names(q.items) === 'billing' && q.pageInfo.nextCursor,
    'queryEntities: filter, order, limit, totalItems, nextCursor', JSON.stringify(q).slice(0, 200));
  const q2 = await client.queryEntities({ cursor: q.pageInfo.nextCursor, limit: 1 }, opts);
  ok(names(q2.items) === 'web' && !q2.pageInfo.nextCursor && q2.pageInfo.prevCursor,
    'queryEntities with the cursor: the next page, and a prevCursor');
  const or = await client.queryEntities({ filter: [{ kind: 'api' }, { kind: 'system' }] }, opts);
  ok(or.totalItems === 2, 'queryEntities: a list of filters is ORed');
  const text = await client.queryEntities({ fullTextFilter: { term: 'BILL', fields: ['metadata.name'] } }, opts);
  ok(names(text.items) === 'billing', 'queryEntities: fullTextFilter');

  const orders = await client.getEntityByRef('component:default/orders', opts);
  ok(orders?.spec?.owner === 'team-a' && orders.relations.some(r => r.type === 'ownedBy'),
    'getEntityByRef, with relations');
  ok(await client.getEntityByRef('component:default/nope', opts) === undefined,
    'getEntityByRef of a missing entity is undefined (404)');
  const byRefs = await client.getEntitiesByRefs({ entityRefs: ['component:default/web',
    'component:default/nope', 'api:default/orders-api'], fields: ['kind', 'metadata.name'] }, opts);
  ok(names(byRefs.items) === 'web,undefined,orders-api', 'getEntitiesByRefs: same order, a miss is undefined');
  const facets = await client.getEntityFacets({ facets: ['kind'] }, opts);
  const kinds = Object.fromEntries(facets.facets.kind.map(f => [f.value, f.count]));
  ok(kinds.Component === 3 && kinds.Group === 2, 'getEntityFacets', JSON.stringify(kinds));

  const dry = await client.addLocation({ type: 'file', target: extra, dryRun: true }, opts);
  ok(dry.exists === false && names(dry.entities) === 'extra-svc', 'addLocation dryRun');
  ok(await client.getEntityByRef('component:default/extra-svc', opts) === undefined, 'the dry run wrote nothing');
  const added = await client.addLocation({ type: 'file', target: extra }, opts);
  ok(added.location.target === extra && names(added.entities) === 'extra-svc', 'addLocation');
  ok((await client.getEntityByRef('component:default/extra-svc', opts))?.metadata.name === 'extra-svc',
    'its entity is there at once');
  let conflict = null;
  try { await client.addLocation({ type: 'file', target: extra }, opts); } catch (e) { conflict = e; }
  ok(conflict?.name === 'ConflictError' || conflict?.response?.status === 409,
    'addLocation of an existing location is a ConflictError (409)', String(conflict));
  const loc = await client.getLocationById(added.location.id, opts);
  ok(loc?.target === extra, 'getLocationById');
  await client.removeLocationById(added.location.id, opts);
  ok(await client.getEntityByRef('component:default/extra-svc', opts) === undefined,
    'removeLocationById removes its entities');

  let denied = null;
  try { await client.getEntities({}, {}); } catch (e) { denied = e; }
  ok(denied?.response?.status === 401 || denied?.statusCode === 401 || /401/.test(String(denied)),
    'without a token: 401', String(denied));
} catch (e) {
  ok(false, 'catalog-client threw', String(e.stack || e));
}
console.log(`${checks} checks, ${fails} failed`);
process.exit(fails ? 1 : 0);
