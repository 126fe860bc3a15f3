// The package's `applyMappings` and the service's collection preview agree: one core function
// behind both. Against the real service (`marketplace-server demo`, started here): a record type,
// a draft version with several collections (fields, statics, translations, formulas, defaults,
// both directions), then a deterministic corpus of generated inputs, each previewed by the
// service (`POST .../collections/{name}/preview`) and applied by the npm package, compared whole
// (output and errors, with their paths, codes and messages).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo } from '../../../tests/support/demo-server.mjs';

const { applyMappings, validateCollection } = await import('../pkg/node.js');

/** Inputs per collection (4 collections: 320 in all). */
const PER_COLLECTION = 80;

const order = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string', format: 'email' },
    name: { type: 'string' },
    country: { type: 'string', enum: ['Germany', 'France', 'Spain', 'Other'] },
    source: { type: 'string' },
    total: { type: 'number' },
    items: { type: 'integer' },
    tier: { type: 'string', enum: ['gold', 'standard'] },
    tags: { type: 'string' },
    shipping: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } } },
  },
  required: ['id'],
};
const shopOrder = {
  type: 'object',
  properties: {
    OrderId: { type: 'string' },
    Mail: { type: 'string' },
    Land: { type: 'string', enum: ['DE', 'FR', 'ES', 'XX'] },
    Amount: { type: 'number' },
    Label: { type: 'string' },
  },
};

const collections = [
  { name: 'orders_basic', record_type: 'order', direction: 'to', notes: 'Fields, statics and translations', mappings: [
    { kind: 'field', to: '/id', from: '/order/id' },
    { kind: 'field', to: '/email', from: '/customer/email', default: 'unknown@example.com' },
    { kind: 'static', to: '/source', value: 'shop' },
    { kind: 'translation', to: '/country', from: '/customer/cc', table: { DE: 'Germany', FR: 'France', ES: 'Spain' }, default: 'Other' },
    { kind: 'field', to: '/shipping/city', from: '/address/city' },
    { kind: 'field', to: '/shipping/zip', from: '/address/zip' },
  ] },
  { name: 'orders_formulas', record_type: 'order', direction: 'to', notes: 'Formulas', mappings: [
    { kind: 'field', to: '/id', from: '/order/id' },
    { kind: 'formula', to: '/name', formula: '(.customer.first // "") + " " + (.customer.last // "")', overridable: true },
    { kind: 'formula', to: '/total', formula: '[(.lines // [])[] | (.price | tonumber) * (.qty | tonumber)] | add' },
    { kind: 'formula', to: '/items', formula: '.lines | length' },
    { kind: 'formula', to: '/tier', formula: 'if (.customer.vip == true) then "gold" else "standard" end' },
    { kind: 'formula', to: '/tags', formula: '.tags | join(",")' },
  ] },
  { name: 'orders_mixed', record_type: 'order', direction: 'to', notes: 'Translations of numbers and booleans, formulas over them', mappings: [
    { kind: 'formula', to: '/id', formula: '.order.id | tostring' },
    { kind: 'translation', to: '/tier', from: '/customer/vip', table: { true: 'gold', false: 'standard' } },
    { kind: 'translation', to: '/country', from: '/customer/cc', table: { DE: 'Germany', FR: 'France' } },
    { kind: 'formula', to: '/total', formula: '.order.amount + 1' },
    { kind: 'field', to: '/email', from: '/customer/email' },
  ] },
  { name: 'orders_out', record_type: 'order', direction: 'from', foreign_schema: shopOrder, notes: 'Back to the shop', mappings: [
    { kind: 'field', to: '/OrderId', from: '/id' },
    { kind: 'field', to: '/Mail', from: '/email' },
    { kind: 'translation', to: '/Land', from: '/country', table: { Germany: 'DE', France: 'FR', Spain: 'ES' }, default: 'XX' },
    { kind: 'field', to: '/Amount', from: '/total' },
    { kind: 'formula', to: '/Label', formula: '(.name // "?") + " <" + (.email // "?") + ">"' },
  ] },
];

/** A deterministic generator (mulberry32). */
function generator(seed) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (list) => list[int(list.length)];
  const maybe = (value, p = 0.8) => (next() < p ? value : undefined);
  const word = () => pick(['ada', 'grace', 'alan', 'Émile', '李', '', 'o\'brien', 'x'.repeat(1 + int(40))]);
  return { next, int, pick, maybe, word };
}

/** An `order`-shaped source record for the `to` collections: fields sometimes missing or of another type. */
function shopInput(g) {
  const lines = Array.from({ length: g.int(5) }, () => ({ price: g.pick([1, 2.5, 10, 0, 99.99]), qty: g.int(4) }));
  const record = {
    order: g.maybe({ id: g.pick([`ord_${g.int(1e6)}`, `ord_${g.int(1e6)}`, `ord_${g.int(1e6)}`, g.int(1e6), null]), amount: g.pick([g.int(500), g.int(500) / 4, g.int(500), 'twelve', null]) }, 0.9),
    customer: g.maybe({
      email: g.maybe(g.pick([`${g.word()}@example.com`, `${g.word()}@example.com`, 'not an email', 42]), 0.9),
      cc: g.maybe(g.pick(['DE', 'FR', 'ES', 'DE', 'FR', 'US', 'de', 7, true])),
      first: g.maybe(g.word()), last: g.maybe(g.word()), vip: g.maybe(g.pick([true, false, 'yes'])),
    }),
    address: g.maybe({ city: g.maybe(g.pick(['Berlin', 'Paris', 'Madrid', 3])), zip: g.maybe(`${g.int(99999)}`) }),
    lines: g.maybe(lines),
    tags: g.maybe(Array.from({ length: g.int(4) }, () => g.word())),
  };
  return JSON.parse(JSON.stringify(record)); // drops the undefined fields
}

/** An `order` record for the `from` collection. */
function orderInput(g) {
  return JSON.parse(JSON.stringify({
    id: g.maybe(`ord_${g.int(1e6)}`), email: g.maybe(g.pick([`${g.word()}@example.com`, 5])),
    name: g.maybe(g.word()), country: g.maybe(g.pick(['Germany', 'France', 'Spain', 'Other'])),
    total: g.maybe(g.pick([g.int(1000), 12.5, g.int(1000), '12'])),
  }));
}

let demo;
let base;
before(async () => {
  demo = await startDemo();
  await demo.admin('/api/v1/record-types/order', { method: 'PUT', body: JSON.stringify({ description: 'A shop order', schema: order }) });
  const integration = await demo.admin('/api/v1/integrations', { method: 'POST', body: JSON.stringify({
    name: 'Mapping agreement', description: 'Collections previewed by the service and applied by the npm package', category: 'Testing', labels: [] }) });
  await demo.admin(`/api/v1/integrations/${integration.id}/versions`, { method: 'POST', body: JSON.stringify({
    version: '1.0.0', config: { pages: [{ title: 'Settings', elements: [{ key: 'region', label: 'Region', type: 'string' }] }] }, flows: [] }) });
  base = `/api/v1/integrations/${integration.id}/versions/1.0.0/collections`;
  for (const collection of collections) {
    await demo.admin(`${base}/${collection.name}`, { method: 'PUT', body: JSON.stringify(collection) });
  }
});
after(async () => { await demo?.stop(); });

test('the collections are valid for the package as for the service', async () => {
  const recordTypes = [{ name: 'order', description: 'A shop order', schema: order }];
  for (const collection of collections) {
    assert.deepEqual(await validateCollection(collection, recordTypes), { valid: true, errors: [] }, collection.name);
  }
});

test('applyMappings and the service preview agree on a generated corpus', async () => {
  const g = generator(20260430);
  let compared = 0;
  let withErrors = 0;
  for (const collection of collections) {
    const target = collection.direction === 'to' ? order : collection.foreign_schema;
    for (let i = 0; i < PER_COLLECTION; i++) {
      const input = collection.direction === 'to' ? shopInput(g) : orderInput(g);
      const served = await demo.admin(`${base}/${collection.name}/preview`, { method: 'POST', body: JSON.stringify({ input }) });
      const local = await applyMappings(collection.mappings, target, input);
      assert.deepEqual(local, served, `${collection.name}, input ${JSON.stringify(input)}`);
      compared += 1;
      if (local.errors.length) withErrors += 1;
    }
  }
  assert.equal(compared, collections.length * PER_COLLECTION);
  // The corpus exercises failures too (formula errors, values of the wrong type), not only successes.
  assert.ok(withErrors > 20 && withErrors < compared - 20, `${withErrors} of ${compared} inputs gave errors`);
});
