// The package's mapping functions under Node: `applyMappings` and `validateCollection` from the
// second WebAssembly module, loaded on first use; every kind of mapping, the target check, a
// failing formula, collection errors with their paths, and arguments of the wrong shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const { applyMappings, validateCollection } = await import('../pkg/node.js');

const contact = {
  type: 'object',
  properties: {
    email: { type: 'string', format: 'email' },
    name: { type: 'string' },
    country: { type: 'string', enum: ['Germany', 'France', 'Other'] },
    source: { type: 'string' },
    total: { type: 'number' },
  },
  required: ['email'],
};
const recordTypes = [{ name: 'contact', description: 'A person', schema: contact }];
const mappings = [
  { kind: 'field', to: '/email', from: '/Email' },
  { kind: 'static', to: '/source', value: 'shop' },
  { kind: 'translation', to: '/country', from: '/addr/cc', table: { DE: 'Germany', FR: 'France' }, default: 'Other' },
  { kind: 'formula', to: '/name', formula: '.first + " " + .last', overridable: true },
];
const input = { Email: 'ada@example.com', addr: { cc: 'DE' }, first: 'Ada', last: 'Lovelace' };

test('applyMappings: every kind, in order, output checked against the target', async () => {
  const result = await applyMappings(mappings, contact, input);
  assert.deepEqual(result, {
    output: { email: 'ada@example.com', source: 'shop', country: 'Germany', name: 'Ada Lovelace' },
    errors: [],
  });
  // A miss takes the translation's default; a missing field writes nothing.
  const miss = await applyMappings(mappings, null, { addr: { cc: 'US' }, first: 'Grace', last: 'Hopper' });
  assert.deepEqual(miss.output, { source: 'shop', country: 'Other', name: 'Grace Hopper' });
  // Unchecked without a target; checked with one: the missing required email is reported.
  assert.deepEqual(miss.errors, []);
  const checked = await applyMappings(mappings, contact, { addr: { cc: 'FR' }, first: 'A', last: 'B' });
  assert.ok(checked.errors.some((e) => e.path.startsWith('/output') && e.code === 'required'), JSON.stringify(checked.errors));
});

test('applyMappings: a failing formula is reported at its mapping and the rest still run', async () => {
  const broken = [
    { kind: 'static', to: '/source', value: 'shop' },
    { kind: 'formula', to: '/total', formula: '.first + 1' },
    { kind: 'field', to: '/email', from: '/Email' },
  ];
  const result = await applyMappings(broken, undefined, input);
  assert.deepEqual(result.output, { source: 'shop', email: 'ada@example.com' });
  assert.equal(result.errors.length, 1, JSON.stringify(result.errors));
  assert.equal(result.errors[0].path, '/mappings/1');
  assert.equal(result.errors[0].code, 'formula_error');
  // A value of the wrong type for the target.
  const typed = await applyMappings([{ to: '/total', from: '/first' }], contact, input);
  assert.ok(typed.errors.some((e) => e.path === '/output/total' && e.code === 'type'), JSON.stringify(typed.errors));
});

test('applyMappings: a mapping not of the wire form rejects with invalid_argument', async () => {
  await assert.rejects(applyMappings([{ kind: 'static', to: '/x' }], null, {}), (error) => {
    assert.equal(error.name, 'MarketplaceError');
    assert.equal(error.code, 'invalid_argument');
    assert.match(error.message, /mappings/);
    assert.equal(error.errors[0].code, 'invalid');
    return true;
  });
});

test('validateCollection: a good collection is valid; problems come all at once with their paths', async () => {
  const collection = { name: 'contacts_in', record_type: 'contact', direction: 'to', notes: 'Shop contacts', mappings,
    tests: [{ name: 'ada', input, expected: { email: 'ada@example.com', source: 'shop', country: 'Germany', name: 'Ada Lovelace' } }] };
  assert.deepEqual(await validateCollection(collection, recordTypes), { valid: true, errors: [] });

  const bad = { ...collection, mappings: [
    { kind: 'field', to: '/email', from: '/Email' },
    { kind: 'field', to: '/email', from: '/Other' },
    { kind: 'formula', to: '/name', formula: '.first +' },
    { kind: 'static', to: '/nowhere', value: 1 },
    { kind: 'translation', to: '/country', from: '/cc', table: { DE: 'Deutschland' } },
  ] };
  const result = await validateCollection(bad, recordTypes);
  assert.equal(result.valid, false);
  const found = result.errors.map((e) => `${e.path} ${e.code}`);
  for (const expected of ['/mappings/1/to duplicate', '/mappings/3/to unknown_field', '/mappings/4/table/DE option']) {
    assert.ok(found.includes(expected), `${expected} in ${JSON.stringify(found)}`);
  }
  assert.ok(found.some((f) => f.startsWith('/mappings/2') && f.endsWith(' formula_syntax')), JSON.stringify(found));

  const unknown = await validateCollection({ ...collection, record_type: 'invoice' }, recordTypes);
  assert.ok(unknown.errors.some((e) => e.path === '/record_type' && e.code === 'invalid_reference'), JSON.stringify(unknown.errors));
});

test('validateCollection: record types of the wrong shape reject; concurrent first calls share one load', async () => {
  await assert.rejects(validateCollection({}, [{ schema: {} }]), (error) => error.code === 'invalid_argument' && /recordTypes/.test(error.message));
  const [a, b] = await Promise.all([applyMappings(mappings, contact, input), applyMappings(mappings, contact, input)]);
  assert.deepEqual(a, b);
});
