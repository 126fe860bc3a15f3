// Tests of the built npm package (crates/marketplace-wasm/pkg) under Node: `cargo xtask wasm`
// first, then `node --test crates/marketplace-wasm/tests/*.test.mjs` (the `wasm-pkg` step).
import { test } from 'node:test';
import assert from 'node:assert/strict';

// The package's Node entry point (what its package.json exports to Node).
const wasm = await import('../pkg/node.js');
const { validateConfig, toJsonSchema, deployability, parseSpec } = wasm;

// The example spec of the project (as in core's own tests).
const spec = {pages: [{title: 'Connection', tagline: '...', elements: [{header: 'Endpoint'},
  {key: 'endpoint', label: 'Endpoint URL', type: 'url', required: true},
  {key: 'auth', label: 'API credentials', type: 'connection', connection: {kind: 'api_key'}, required: true},
  {key: 'region', label: 'Region', type: 'picklist', options: ['eu', 'us'], default: 'eu'},
  {key: 'batch_size', label: 'Batch size', type: 'integer', min: 1, max: 500, default: 50},
  {key: 'account_code', label: 'Account code', type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$', required: true},
  {key: 'tenant_token', label: 'Tenant token', type: 'secret', visibility: 'organization', required: true}]}]};

const valid = {endpoint: 'https://example.com/hook', auth: {api_key: 'k-1'}, account_code: 'ABC-1234'};

const byPath = (errors) => Object.fromEntries(errors.map((e) => [e.path, e.code]));

test('valid customer values pass', () => {
  assert.deepEqual(validateConfig(spec, valid, 'customer'), {valid: true, errors: []});
});

test('every problem is reported with its path and code', () => {
  const result = validateConfig(spec,
    {endpoint: 'not a url', region: 'asia', batch_size: 0, account_code: 'abc', nope: 1},
    'customer');
  assert.equal(result.valid, false);
  assert.deepEqual(byPath(result.errors), {
    '/endpoint': 'format',
    '/region': 'option',
    '/batch_size': 'min',
    '/account_code': 'pattern',
    '/nope': 'unknown_key',
    '/auth': 'required',
  });
  for (const error of result.errors) {
    assert.equal(typeof error.message, 'string');
    assert.ok(error.message.length > 0);
  }
});

test('a wrong JSON type is `type`', () => {
  const result = validateConfig(spec, {...valid, batch_size: 'ten'}, 'customer');
  assert.deepEqual(byPath(result.errors), {'/batch_size': 'type'});
});

test('editors: not_editable and required follow visibility', () => {
  const customer = validateConfig(spec, {...valid, tenant_token: 's'}, 'customer');
  assert.deepEqual(byPath(customer.errors), {'/tenant_token': 'not_editable'});

  const embedded = validateConfig(spec, {endpoint: 'https://example.com'}, 'embedded');
  assert.deepEqual(byPath(embedded.errors), {'/endpoint': 'not_editable'});

  // The organization sets anything, and must set every required variable.
  const organization = validateConfig(spec, valid, 'organization');
  assert.deepEqual(byPath(organization.errors), {'/tenant_token': 'required'});
  assert.deepEqual(validateConfig(spec, {...valid, tenant_token: 's'}, 'organization').errors, []);
});

test('parseSpec returns the normalized spec', () => {
  assert.deepEqual(parseSpec(spec), spec);
  const normalized = parseSpec({pages: [{title: 'P', elements: [
    {key: 'a', label: 'A', type: 'string', required: false, visibility: 'customer'}]}]});
  assert.deepEqual(normalized, {pages: [{title: 'P', elements: [{key: 'a', label: 'A', type: 'string'}]}]});
});

test('an invalid spec throws an Error with code invalid_spec and every field error', () => {
  const bad = {pages: [{title: 'P', elements: [
    {key: 'Bad Key', label: 'A', type: 'string'},
    {key: 'n', label: 'N', type: 'nope'}]}]};
  for (const call of [() => parseSpec(bad), () => validateConfig(bad, {}, 'customer'), () => toJsonSchema(bad)]) {
    assert.throws(call, (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, 'MarketplaceError');
      assert.equal(error.code, 'invalid_spec');
      assert.ok(Array.isArray(error.errors));
      const paths = error.errors.map((e) => e.path);
      assert.ok(paths.includes('/pages/0/elements/0/key'), paths.join(', '));
      assert.ok(paths.some((p) => p.startsWith('/pages/0/elements/1')), paths.join(', '));
      assert.match(error.message, /invalid spec/);
      return true;
    });
  }
});

test('bad arguments throw invalid_argument', () => {
  assert.throws(() => validateConfig(spec, valid, 'admin'),
    (error) => error instanceof Error && error.code === 'invalid_argument' && error.errors.length === 1);
  assert.throws(() => parseSpec(undefined), (error) => error.code === 'invalid_argument');
  assert.throws(() => deployability({listing: {}}), (error) => error.code === 'invalid_argument');
});

test('a config that is not an object is a `type` error at the root', () => {
  assert.deepEqual(validateConfig(spec, [1], 'customer').errors.map((e) => [e.path, e.code]), [['', 'type']]);
});

test('toJsonSchema exports the customer-visible variables', () => {
  const schema = toJsonSchema(spec);
  assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  assert.equal(schema.type, 'object');
  assert.deepEqual(Object.keys(schema.properties).sort(),
    ['account_code', 'auth', 'batch_size', 'endpoint', 'region']);
  assert.ok(!('tenant_token' in schema.properties));
  assert.deepEqual([...schema.required].sort(), ['account_code', 'auth', 'endpoint']);
  assert.equal(schema.properties.account_code.pattern, '^[A-Z]{3}-[0-9]{4}$');
  assert.deepEqual(schema.properties.region.enum, ['eu', 'us']);
  assert.equal(schema.properties.batch_size.minimum, 1);
  assert.equal(schema.additionalProperties, false);
});

const listing = (customerDeployable, allowMultiple) => ({
  integration_id: 'orders', version: '1.0.0', customer_deployable: customerDeployable,
  allow_multiple_instances: allowMultiple,
});
const version = (state) => ({version: '1.0.0', state, config: spec});

test('deployability: deployable once the vendor set the organization variable', () => {
  const answer = deployability({listing: listing(true, false), version: version('published'),
    liveInstances: 0, vendorValues: {tenant_token: 's'}});
  assert.deepEqual(answer, {status: 'deployable', reasons: []});
});

test('deployability: contact_vendor with missing_default and the variables to set', () => {
  const answer = deployability({listing: listing(true, false), version: version('published')});
  assert.equal(answer.status, 'contact_vendor');
  assert.deepEqual(answer.reasons.map((r) => [r.code, r.variables]), [['missing_default', ['tenant_token']]]);
  assert.equal(typeof answer.reasons[0].message, 'string');

  const vendorOnly = deployability({listing: listing(false, true), version: version('published'),
    vendorValues: {tenant_token: 's'}, embeddedValues: null});
  assert.equal(vendorOnly.status, 'contact_vendor');
  assert.deepEqual(vendorOnly.reasons.map((r) => r.code), ['listing_not_customer_deployable']);
});

test('deployability: not_deployable for an existing instance or an unpublished version', () => {
  const exists = deployability({listing: listing(true, false), version: version('published'),
    liveInstances: 1, vendorValues: {tenant_token: 's'}});
  assert.equal(exists.status, 'not_deployable');
  assert.deepEqual(exists.reasons.map((r) => r.code), ['instance_exists']);

  const draft = deployability({listing: listing(true, true), version: version('draft'),
    liveInstances: 3, vendorValues: {tenant_token: 's'}});
  assert.equal(draft.status, 'not_deployable');
  assert.deepEqual(draft.reasons.map((r) => r.code), ['version_not_published']);
});

test('deployability: a version with an invalid spec throws with paths under /version/config', () => {
  assert.throws(() => deployability({listing: listing(true, true),
    version: {version: '1.0.0', state: 'published', config: {pages: [{title: 'P', elements: [{key: '1', label: 'x', type: 'string'}]}]}}}),
  (error) => error.code === 'invalid_spec' && error.errors[0].path.startsWith('/version/config/pages/0'));
});

test('the TypeScript declarations name every export and have no `any`', async () => {
  const { readFile } = await import('node:fs/promises');
  const read = (file) => readFile(new URL(`../pkg/${file}`, import.meta.url), 'utf8');
  const dts = await read('marketplace_wasm.d.ts');
  for (const name of ['validateConfig', 'toJsonSchema', 'deployability', 'parseSpec',
    'type ConfigSpec', 'type Variable', 'type FieldError',
    'interface ValidationResult', 'type Editor', 'type Deployability', 'interface DeployabilityInput',
    'type CatalogEntry', 'type Instance', 'interface MarketplaceOptions',
    'rules', 'interface Rules', 'interface ConnectionInput']) {
    assert.ok(dts.includes(name), name);
  }
  // `InitOutput` lists the module's raw ABI exports, generated by wasm-bindgen with `any` for
  // externref parameters; it is not the package's API.
  const api = dts.replace(/export interface InitOutput \{[^}]*\}/, '');
  assert.doesNotMatch(api, /\bany\b/, 'a public signature uses any');
  for (const file of ['client.d.ts', 'mount.d.ts', 'index.d.ts', 'node.d.ts']) {
    assert.doesNotMatch(await read(file), /\bany\b/, `${file} uses any`);
  }
  // The API's types, generated from the service's OpenAPI document (its comments may say "any").
  const wire = await read('api.d.ts');
  const code = wire.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  assert.doesNotMatch(code, /\bany\b/, 'api.d.ts types something as any');
  for (const schema of ['MarketplaceEntry', 'MarketplaceDetail', 'InstanceView', 'ExecutionView', 'LogView']) {
    assert.match(wire, new RegExp(`^ {8}${schema}: `, "m"), `api.d.ts: ${schema}`);
  }
  const client = await read('client.d.ts');
  for (const method of ['catalog', 'integration', 'validate', 'activate', 'instances', 'instance',
    'reconfigure', 'pause', 'resume', 'deactivate', 'test', 'logs', 'executions']) {
    assert.match(client, new RegExp(`\\b${method}\\(`), `client.d.ts: ${method}`);
  }
});

test('the browser entry loads as an ES module once initialized', async () => {
  const { readFile } = await import('node:fs/promises');
  const web = await import('../pkg/index.js');
  const bytes = await readFile(new URL('../pkg/marketplace_wasm_bg.wasm', import.meta.url));
  await web.default({module_or_path: bytes});
  assert.deepEqual(web.validateConfig(spec, valid, 'customer'), {valid: true, errors: []});
  assert.equal(typeof web.mountMarketplace, 'function');
  assert.equal(typeof web.Marketplace, 'function');
});

test('CompiledSpec gives validateConfig\'s verdicts without compiling again', async () => {
  const { CompiledSpec } = wasm;
  const compiled = new CompiledSpec(spec);
  for (const values of [valid, {}, {endpoint: 'nope', auth: {api_key: ''}, region: 'mars', batch_size: 0}]) {
    for (const editor of ['customer', 'organization']) {
      assert.deepEqual(compiled.validate(values, editor), validateConfig(spec, values, editor));
    }
  }
  assert.equal(compiled.validate({endpoint: 'nope'}, 'customer').valid, false);
  assert.throws(() => new CompiledSpec({pages: [{title: 'P', elements: [{key: 'Bad', label: 'x', type: 'string'}]}]}),
    (error) => error.code === 'invalid_spec' && error.errors.length > 0);
  assert.throws(() => compiled.validate(valid, 'nobody'), (error) => error.code === 'invalid_argument');
});

test('rules() gives core\'s data for forms: connection inputs, the masked placeholder, themes', () => {
  const data = wasm.rules();
  assert.deepEqual(data.masked, { set: true });
  assert.deepEqual(data.connection_inputs.basic.map((i) => [i.name, i.secret]), [['username', false], ['password', true]]);
  assert.deepEqual(Object.keys(data.connection_inputs).sort(),
    ['api_key', 'basic', 'oauth2_authorization_code', 'oauth2_client_credentials']);
  assert.deepEqual(data.theme_names, ['light', 'dark']);
  const accent = new RegExp(data.accent_pattern);
  assert.ok(accent.test('#4f46e5') && !accent.test('red') && !accent.test('#4f46e5x'));
});

test('CompiledSpec.validateUpdate keeps masked secrets for the service to judge', () => {
  const { CompiledSpec } = wasm;
  const compiled = new CompiledSpec(spec);
  const stored = {endpoint: 'https://example.com/hook', auth: {api_key: {set: true}}, account_code: 'ABC-1234'};
  assert.deepEqual(compiled.validateUpdate(stored, {endpoint: 'https://example.com/v2', account_code: 'XYZ-9999'}, 'customer'),
    {valid: true, errors: []});
  const result = compiled.validateUpdate(stored, {endpoint: 'nope'}, 'customer');
  assert.deepEqual(result.errors.map((e) => [e.path, e.code]).sort(), [['/account_code', 'required'], ['/endpoint', 'format']]);
});
