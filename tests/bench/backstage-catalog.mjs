// backstage-catalog.mjs PORT NODE_DIR FILE... -- Backstage's own catalog
// backend (@backstage/backend-defaults + @backstage/plugin-catalog-backend,
// from plugins/portal/node), in memory on better-sqlite3, serving the
// entities of FILE... as file locations on 127.0.0.1:PORT, for the
// comparison in tests/bench/bench_portal.sh.  Prints "ready" once it listens.
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [port, nodeDir, ...files] = process.argv.slice(2);
const require = createRequire(join(nodeDir, 'package.json'));
const dir = mkdtempSync(join(tmpdir(), 'backstage-bench-'));
const config = join(dir, 'app-config.yaml');
writeFileSync(config, `
app:
  baseUrl: http://127.0.0.1:${port}
backend:
  baseUrl: http://127.0.0.1:${port}
  listen: { host: 127.0.0.1, port: ${port} }
  database: { client: better-sqlite3, connection: ':memory:' }
  auth: { dangerouslyDisableDefaultAuthPolicy: true }
catalog:
  rules:
    - allow: [Component, API, System, Domain, Resource, Group, User, Location, Template]
  locations:
${files.map(f => `    - { type: file, target: ${JSON.stringify(f)} }`).join('\n')}
`);
process.argv.push('--config', config);
process.chdir(nodeDir);   // Backstage looks for a package.json upwards from here
const { createBackend } = require('@backstage/backend-defaults');
const backend = createBackend();
backend.add(require('@backstage/plugin-catalog-backend'));
await backend.start();
console.log('ready');
