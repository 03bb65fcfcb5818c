// backstage-verdicts.mjs -- Backstage's own verdict on entities, for the
// differential test of paved's validator (test_backstage_verdicts.sh).
//
//   node backstage-verdicts.mjs [--kind KIND]... < LINES
//
// Each input line is "WHERE<TAB>ENTITY-JSON" (as valid_verdicts prints);
// each output line "accept|reject<TAB>WHERE<TAB>Backstage's message".
// --kind makes KIND (any apiVersion) recognised, as a custom processor
// would; paved's counterpart is cat_valid_kind_add.
//
// The checks are @backstage/catalog-model's, run in the order
// @backstage/plugin-catalog-backend (4.0.5, which depends on the pinned
// catalog-model 1.10.3) runs them on an entity read from a file:
//   ProcessorOutputCollector   entityEnvelopeSchemaValidator; a falsy
//                              metadata.annotations becomes {}, a list is
//                              refused; location annotations are added
//   DefaultCatalogProcessingOrchestrator
//     envelope again; preProcess (PlaceholderProcessor: $text/$json/$yaml)
//     policies (CatalogBuilder.buildEntityPolicy's defaults):
//       SchemaValidEntityPolicy, DefaultNamespaceEntityPolicy,
//       NoForeignRootFieldsEntityPolicy, FieldFormatEntityPolicy(makeValidator())
//     entitySchemaValidator; BuiltinKindsEntityProcessor's eight kind
//     validators ("No processor recognized the entity ..." when none does)
//     postProcess: BuiltinKindsEntityProcessor's relations, each target
//     through parseEntityRef with the field's default kind.
// Placeholders are read from files next to WHERE; one that cannot be read
// here (a URL) stands for text that was read, as paved assumes too.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const nodeDir = process.env.BACKSTAGE_NODE_DIR ||
  new URL('./node/', import.meta.url).pathname;
const require = createRequire(path.join(nodeDir, 'package.json'));
const model = require('@backstage/catalog-model');
const YAML = require('yaml');

const extraKinds = [];
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--kind' && i + 1 < process.argv.length) extraKinds.push(process.argv[++i]);
  else { console.error(`usage: backstage-verdicts.mjs [--kind KIND]...`); process.exit(2); }
}

const validateEntityEnvelope = model.entityEnvelopeSchemaValidator();
const validateEntity = model.entitySchemaValidator();
const policy = model.EntityPolicies.allOf([
  new model.SchemaValidEntityPolicy(),
  new model.DefaultNamespaceEntityPolicy(),
  new model.NoForeignRootFieldsEntityPolicy(),
  new model.FieldFormatEntityPolicy(model.makeValidator()),
]);
const kindValidators = [
  model.apiEntityV1alpha1Validator, model.componentEntityV1alpha1Validator,
  model.resourceEntityV1alpha1Validator, model.groupEntityV1alpha1Validator,
  model.locationEntityV1alpha1Validator, model.userEntityV1alpha1Validator,
  model.systemEntityV1alpha1Validator, model.domainEntityV1alpha1Validator,
];

// BuiltinKindsEntityProcessor.postProcessEntity: kind -> [field, defaultKind]
const relationFields = {
  Component: [['owner', 'Group'], ['subcomponentOf', 'Component'], ['providesApis', 'API'],
    ['consumesApis', 'API'], ['dependsOn', undefined], ['dependencyOf', undefined],
    ['system', 'System']],
  API: [['owner', 'Group'], ['system', 'System']],
  Resource: [['owner', 'Group'], ['dependsOn', undefined], ['dependencyOf', undefined],
    ['system', 'System']],
  User: [['memberOf', 'Group']],
  Group: [['parent', 'Group'], ['children', 'Group'], ['members', 'User']],
  System: [['owner', 'Group'], ['domain', 'Domain']],
  Domain: [['owner', 'Group'], ['subdomainOf', 'Domain']],
};

const isObject = v => typeof v === 'object' && v !== null && !Array.isArray(v);

// PlaceholderProcessor.preProcessEntity with files read next to WHERE.
function placeholders(data, where) {
  if (!data || !(data instanceof Object)) return data;
  if (Array.isArray(data)) return data.map(x => placeholders(x, where));
  const keys = Object.keys(data);
  if (!keys.some(k => k.startsWith('$'))) {
    return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, placeholders(v, where)]));
  }
  if (keys.length !== 1) return data;
  const key = keys[0].substring(1), value = data[keys[0]];
  if (!['text', 'json', 'yaml'].includes(key)) return data;
  if (typeof value !== 'string') throw new Error(`Placeholder $${key} could not read location ${value}`);
  let content;
  const file = path.resolve(path.dirname(where.replace(/:\d+:\d+$/, '')), value);
  if (!/^[a-z][a-z0-9+.-]*:/i.test(value) && fs.existsSync(file)) content = fs.readFileSync(file, 'utf8');
  else if (key === 'text') return `(text of ${value}, not read here)`;
  else throw new Error(`Placeholder $${key} could not read location ${value}`);
  if (key === 'text') return content;
  if (key === 'json') return JSON.parse(content);
  const docs = YAML.parseAllDocuments(content, { merge: false }).filter(d => d);
  if (docs.length !== 1) throw new Error(`Placeholder $${key} expected to find exactly one document`);
  return docs[0].toJSON();
}

async function verdict(entity, where) {
  if (!isObject(entity)) throw new Error(`Expected object at root, got ${JSON.stringify(entity)}`);
  // ProcessorOutputCollector.receive
  entity = validateEntityEnvelope(entity);
  const annotations = entity.metadata.annotations || {};
  if (typeof annotations !== 'object' || Array.isArray(annotations)) {
    throw new Error('metadata.annotations must be a valid object');
  }
  const location = `file:${where}`;
  entity = { ...entity, metadata: { ...entity.metadata, annotations: { ...annotations,
    'backstage.io/managed-by-origin-location': location, 'backstage.io/managed-by-location': location } } };
  // DefaultCatalogProcessingOrchestrator.processSingleEntity
  validateEntityEnvelope(entity);
  entity = placeholders(entity, where);
  entity = await policy.enforce(entity);
  validateEntity(entity);
  let valid = extraKinds.includes(entity.kind);
  for (const validator of kindValidators) {
    if (await validator.check(entity)) valid = true;
  }
  if (!valid) {
    throw new Error(`No processor recognized the entity ${model.stringifyEntityRef(entity)} as ` +
      'valid, possibly caused by a foreign kind or apiVersion');
  }
  const self = model.getCompoundEntityRef(entity);
  for (const [field, defaultKind] of relationFields[entity.kind] ?? []) {
    const targets = entity.spec[field];
    if (!targets) continue;
    for (const target of [targets].flat()) {
      model.parseEntityRef(target, { defaultKind, defaultNamespace: self.namespace });
    }
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line) continue;
  const tab = line.indexOf('\t');
  const where = line.slice(0, tab), entity = JSON.parse(line.slice(tab + 1));
  try {
    await verdict(entity, where);
    console.log(`accept\t${where}\t`);
  } catch (e) {
    console.log(`reject\t${where}\t${String(e.message).replace(/\s+/g, ' ')}`);
  }
}
