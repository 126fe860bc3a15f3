// The package's `tier` and `visible` under Node: core's certification tiers and catalog
// visibility from the second WebAssembly module, loaded on first use. Full evidence is
// `one_click`; none is no tier with every check failing and its next action; a stale connection
// test fails `connection_test`; a tenant-scoped tenant sees only its assigned listings; another
// marketplace and a delisted listing are never visible; arguments of the wrong shape reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const { tier, visible } = await import('../pkg/node.js');

const DAY = 24 * 3600 * 1000;
const now = Date.UTC(2025, 5, 1);

/** Evidence passing every check of every tier at `now`. */
const full = () => ({
  profile: { event_services: ['webhook'], hosting: ['multitenant_cloud'], api: { kind: 'openapi', url: 'https://api.example.com/openapi.json' } },
  supported: [{ application_id: 'app_shop', versions: ['2024.1'] }],
  applications: [{
    id: 'app_shop', provider_id: 'prv_acme', name: 'Shop', product_url: 'https://acme.example.com/shop',
    logo_url: 'https://acme.example.com/shop.png', versions: [{ name: '2024.1', released_on: '2024-01-15' }],
  }],
  providers: [{
    id: 'prv_acme', name: 'Acme', url: 'https://acme.example.com', logo_url: 'https://acme.example.com/logo.png',
    support: { email: 'support@acme.example.com' },
  }],
  connection_test: 'ping',
  last_connection_test: { passed: true, at: now - DAY },
  documentation: '# Shop\nConnects the shop.',
  collections: [{ name: 'orders_in', valid: true, tests: 2, tests_pass: true, has_notes: true }],
  reviewer_approved: true,
  approved_templates: 1,
});

const CODES = [
  'event_services', 'hosting_model', 'application_versioning', 'api_description',
  'provider_profile', 'application_profile', 'connection_test',
  'mapping_collections', 'mapping_tests', 'documentation', 'reviewer_approval',
  'workflow_template',
];

test('tier: full evidence is one_click, every check passing without a next action', async () => {
  const report = await tier(full(), now);
  assert.equal(report.tier, 'one_click');
  assert.deepEqual(report.checks.map((c) => c.code), CODES);
  for (const check of report.checks) {
    assert.equal(check.passed, true, check.code);
    assert.equal(check.next_action, null, check.code);
  }
  assert.deepEqual([...new Set(report.checks.map((c) => c.tier))], ['compatible', 'ready', 'certified', 'one_click']);
});

test('tier: empty evidence has no tier and 12 failing checks, each with a next action', async () => {
  const report = await tier({}, now);
  assert.equal(report.tier, null);
  assert.equal(report.checks.length, 12);
  assert.deepEqual(report.checks.map((c) => c.code), CODES);
  for (const check of report.checks) {
    assert.equal(check.passed, false, check.code);
    assert.equal(typeof check.next_action, 'string', check.code);
    assert.ok(check.next_action.length > 0, check.code);
  }
});

test('tier: a connection test 31 days old fails connection_test, leaving compatible', async () => {
  const stale = { ...full(), last_connection_test: { passed: true, at: now - 31 * DAY } };
  const report = await tier(stale, now);
  assert.equal(report.tier, 'compatible');
  const failing = report.checks.filter((c) => !c.passed);
  assert.deepEqual(failing.map((c) => c.code), ['connection_test']);
  assert.match(failing[0].next_action, /connection-test/);
  // The same run 29 days old still counts.
  assert.equal((await tier({ ...full(), last_connection_test: { passed: true, at: now - 29 * DAY } }, now)).tier, 'one_click');
});

test('tier: evidence of the wrong shape or a non-integer time rejects with invalid_argument', async () => {
  await assert.rejects(tier({ profile: { hosting: ['moon'] } }, now), (error) => {
    assert.equal(error.name, 'MarketplaceError');
    assert.equal(error.code, 'invalid_argument');
    assert.match(error.message, /evidence/);
    assert.equal(error.errors[0].path, '');
    return true;
  });
  await assert.rejects(tier({}, 'yesterday'), (error) => error.code === 'invalid_argument' && /now/.test(error.message));
});

const listing = (integration, marketplace = 'mkt_main', visibility = 'visible') => ({
  marketplace_id: marketplace, integration_id: integration, version: '1.0.0',
  customer_deployable: true, allow_multiple_instances: false, visibility,
});

test('visible: a tenant-scoped tenant sees only its assigned listings; a tenant of `all` and no tenant see every one', async () => {
  const scoped = { app_management: 'tenant', assigned: ['orders'] };
  assert.equal(await visible(listing('orders'), 'mkt_main', scoped), true);
  assert.equal(await visible(listing('invoices'), 'mkt_main', scoped), false);
  assert.equal(await visible(listing('invoices'), 'mkt_main', { app_management: 'tenant' }), false);
  for (const tenant of [{ app_management: 'all' }, null, undefined]) {
    assert.equal(await visible(listing('invoices'), 'mkt_main', tenant), true, JSON.stringify(tenant));
  }
  // Hidden from external search is still visible in the embedded catalog.
  assert.equal(await visible(listing('orders', 'mkt_main', 'hidden_from_external_search'), 'mkt_main', scoped), true);
});

test('visible: a listing of another marketplace never, a delisted listing never', async () => {
  for (const tenant of [null, { app_management: 'all' }, { app_management: 'tenant', assigned: ['orders'] }]) {
    assert.equal(await visible(listing('orders', 'mkt_other'), 'mkt_main', tenant), false, JSON.stringify(tenant));
    assert.equal(await visible(listing('orders', 'mkt_main', 'delisted'), 'mkt_main', tenant), false, JSON.stringify(tenant));
  }
});

test('visible: a listing or tenant of the wrong shape rejects with invalid_argument', async () => {
  const { marketplace_id: _, ...noMarketplace } = listing('orders');
  await assert.rejects(visible(noMarketplace, 'mkt_main', null), (error) => error.code === 'invalid_argument' && /listing/.test(error.message));
  await assert.rejects(visible(listing('orders'), 'mkt_main', { app_management: 'some' }),
    (error) => error.code === 'invalid_argument' && /tenant/.test(error.message));
});

test('the declarations type visible, tier and score, exported by both entries, without any', async () => {
  const { readFile } = await import('node:fs/promises');
  const read = (file) => readFile(new URL(`../pkg/${file}`, import.meta.url), 'utf8');
  const mappings = await read('mappings.d.ts');
  assert.match(mappings, /export function visible\(listing: Listing, marketplaceId: string, tenant\?: TenantAccess \| null\): Promise<boolean>;/);
  assert.match(mappings, /export function tier\(evidence: Evidence, now\?: number\): Promise<TierReport>;/);
  assert.match(mappings, /export function score\(facts: ScoreFacts, policy: ScoringPolicy, now\?: number\): Promise<ScoreReport>;/);
  assert.doesNotMatch(mappings, /\bany\b/);
  const generated = (await read('marketplace_wasm_mappings.d.ts')).replace(/export interface InitOutput \{[^}]*\}/, '');
  for (const name of ['interface Listing', 'interface TenantAccess', 'interface Evidence', 'interface TierReport', 'interface Check', 'type Tier ']) {
    assert.ok(generated.includes(name), name);
  }
  for (const entry of ['index.d.ts', 'node.d.ts', 'index.js', 'node.js']) {
    assert.match(await read(entry), /applyMappings, visible, tier, score \} from '\.\/mappings\.js'/, entry);
  }
});
