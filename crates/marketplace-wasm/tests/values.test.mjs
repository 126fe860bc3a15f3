// `CompiledSpec.validate` hands the values to the WebAssembly module encoded by `values.js`,
// without JSON text. These tests hold its answers to those of the JSON path it replaces (the
// module's own `validate`, which `CompiledSpec` extends), value by value, and check which
// values take which path.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const wasm = await import('../pkg/node.js');
const { encodeValues, variableIndex } = await import('../pkg/values.js');
const { CompiledSpec } = wasm;

/** The module's `validate`, through JSON text: the reference. */
const viaJson = Object.getPrototypeOf(CompiledSpec.prototype).validate;

const spec = {pages: [{title: 'Everything', elements: [
  {key: 'code', label: 'Code', type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$', required: true},
  {key: 'name', label: 'Name', type: 'string', min_length: 2, max_length: 8},
  {key: 'notes', label: 'Notes', type: 'text'},
  {key: 'count', label: 'Count', type: 'integer', min: -10, max: 10},
  {key: 'big', label: 'Big', type: 'integer'},
  {key: 'ratio', label: 'Ratio', type: 'number', min: 0, max: 1},
  {key: 'on', label: 'On', type: 'boolean'},
  {key: 'region', label: 'Region', type: 'picklist', options: ['eu', 'us']},
  {key: 'site', label: 'Site', type: 'url'},
  {key: 'mails', label: 'Mails', type: 'email', collection: 'value_list'},
  {key: 'headers', label: 'Headers', type: 'string', collection: 'key_value_list'},
  {key: 'when', label: 'When', type: 'schedule'},
  {key: 'payload', label: 'Payload', type: 'json'},
  {key: 'fields', label: 'Fields', type: 'object_field_map', fields: ['email', 'name']},
  {key: 'auth', label: 'Auth', type: 'connection', connection: {kind: 'basic'}},
  {key: 'secret', label: 'Secret', type: 'secret', visibility: 'organization'},
]}]};
const compiled = new CompiledSpec(spec);
/** What `CompiledSpec` gives `encodeValues`: the spec's variable keys and their index. */
const keys = variableIndex(compiled.variableKeys());

const valid = {
  code: 'ABC-1234', name: 'Ada', notes: 'line\nline', count: 3, big: 2 ** 60, ratio: 0.5, on: true,
  region: 'eu', site: 'https://example.com/a?b=c', mails: ['a@example.com', 'b@example.org'],
  headers: [{key: 'X-Team', value: 'core'}], when: {cron: '*/5 * * * *', timezone: 'Europe/Berlin'},
  payload: {deep: [1, {x: null}], s: 'é'}, fields: {email: 'Email', name: 'Name'},
  auth: {username: 'u', password: 'p'},
};

/** What a call answers or throws (its code and message). */
function outcome(call) {
  try {
    return {answer: call()};
  } catch (error) {
    return {thrown: error.code, message: error.message};
  }
}

/** Asserts that the encoded path answers as the JSON path, and says whether it was taken. */
function sameAnswer(values, editor = 'customer') {
  const expected = outcome(() => viaJson.call(compiled, values, editor));
  assert.deepEqual(outcome(() => compiled.validate(values, editor)), expected, String(values?.name ?? values?.big));
  const encoded = encodeValues(values, keys);
  return encoded !== null && compiled.validateEncoded(encoded[0], encoded[1], editor) !== undefined;
}

test('valid values are read in place, with the JSON path\'s answer', () => {
  assert.equal(sameAnswer(valid), true);
  assert.deepEqual(compiled.validate(valid, 'customer'), {valid: true, errors: []});
});

test('every problem, in the JSON path\'s order, whatever order the members come in', () => {
  const broken = {
    zzz: 1, code: 'abc-12', name: 'A', count: 11, ratio: 2, on: 'yes', region: 'mars', site: 'ftp://x',
    mails: ['a@example.com', 'nope', 3], headers: [{key: '', value: 'v', extra: 1}, {value: 'v'}, 'x'],
    when: {cron: 'every day', tz: 'x'}, fields: {email: 1, phone: 'Phone'}, auth: {username: '', pass: 'x'},
    secret: 's', aaa: null,
  };
  assert.equal(sameAnswer(broken), true);
  const { errors } = compiled.validate(broken, 'customer');
  assert.ok(errors.length >= 20, `${errors.length} errors`);
  // The members reversed: the same errors, in the same order (serde_json's, by name).
  const reversed = Object.fromEntries(Object.entries(broken).reverse());
  assert.equal(sameAnswer(reversed), true);
  assert.deepEqual(compiled.validate(reversed, 'customer'), compiled.validate(broken, 'customer'));
  assert.equal(sameAnswer({}, 'organization'), true);
  assert.equal(sameAnswer({secret: 's', code: 'ABC-1234'}, 'organization'), true);
});

test('numbers read as JSON text would read them', () => {
  for (const n of [0, -0, 3, 3.0, -10, 10, 2 ** 53, 2 ** 53 + 2, 9e15, 9.1e15, 2 ** 63, -(2 ** 63), 2 ** 64, 1e20, 1e21,
    1e300, 0.1, -0.5, 5e-324, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
    assert.equal(sameAnswer({code: 'ABC-1234', big: n}), true, `big: ${n}`);
    assert.equal(sameAnswer({code: 'ABC-1234', count: n, ratio: n}), true, `count, ratio: ${n}`);
  }
});

test('strings of any script, lengths counted in characters', () => {
  for (const name of ['é', 'ééééééééé', '日本語', '😀😀', '😀😀😀😀😀😀😀😀😀', 'a\u0000b', '"\\', 'ǅ\u200d']) {
    assert.equal(sameAnswer({code: 'ABC-1234', name, notes: name, [name]: name}), true, name);
  }
});

test('what JSON would change or refuse goes through JSON', () => {
  const cases = [
    {code: 'ABC-1234', ratio: NaN}, // JSON writes null
    {code: 'ABC-1234', ratio: Infinity},
    {code: 'ABC-1234', notes: undefined}, // JSON leaves the member out
    {code: 'ABC-1234', mails: [undefined, 'a@example.com']}, // JSON writes null
    {code: 'ABC-1234', notes: new Date(0)}, // toJSON
    {code: 'ABC-1234', payload: {toJSON: () => 'x'}},
    {code: 'ABC-1234', payload: new Map()},
    {code: 'ABC-1234', notes: () => 1},
    {code: 'ABC-1234', name: 'lone \ud800 surrogate'}, // JSON escapes it; serde_json refuses it
  ];
  for (const values of cases) {
    assert.equal(sameAnswer(values), false, String(Object.values(values)[1]));
  }
  assert.throws(() => compiled.validate({code: 'ABC-1234', name: 'x\udc00'}, 'customer'), (error) => error.code === 'invalid_argument');
  // U+FFFD itself goes through JSON too: the module cannot tell it from a replaced surrogate.
  assert.equal(sameAnswer({code: 'ABC-1234', name: 'x\ufffd'}), false);
  // Not an object: the JSON path's `type` error at the root, or its refusal of undefined.
  for (const values of [null, [], 'x', 3]) {
    assert.deepEqual(compiled.validate(values, 'customer'), viaJson.call(compiled, values, 'customer'));
  }
  assert.throws(() => compiled.validate(undefined, 'customer'), (error) => error.code === 'invalid_argument');
});

test('nesting: read in place up to the limit, then through JSON', () => {
  const nested = (depth) => {
    let payload = 'leaf';
    for (let i = 0; i < depth; i++) payload = i % 2 ? {x: payload} : [payload];
    return {code: 'ABC-1234', payload};
  };
  assert.equal(sameAnswer(nested(60)), true);
  assert.equal(sameAnswer(nested(100)), false);
  // Deeper than serde_json reads: the JSON path's error, whichever path starts.
  assert.throws(() => compiled.validate(nested(200), 'customer'), (error) => error.code === 'invalid_argument');
});

test('objects without a prototype are read; an enumerable addition to Object.prototype sends all through JSON', () => {
  const bare = Object.assign(Object.create(null), valid);
  assert.equal(sameAnswer(bare), true);
  Object.defineProperty(Object.prototype, 'polluted', {value: 1, enumerable: true, configurable: true});
  try {
    assert.equal(sameAnswer(valid), false);
  } finally {
    delete Object.prototype.polluted;
  }
  assert.equal(sameAnswer(valid), true);
});

test('a variable\'s key goes by its index in the spec, any other name as text', () => {
  assert.deepEqual(compiled.variableKeys(), spec.pages[0].elements.map((element) => element.key));
  const values = {name: 'Ada', other: 1};
  const [text, tape] = encodeValues(values, keys);
  assert.equal(text, 'Adaother');
  assert.deepEqual([...tape.subarray(0, 3)], [6, 2, -2]);
  assert.equal(sameAnswer(values), true);
  // In the spec's order, out of it, with a gap, nested, and each after other values whose
  // names the encoding remembers by position: each key by its own index.
  const names = (values) => {
    const tape = encodeValues(values, keys)[1];
    return [...tape].filter((n) => n < 0).map((n) => -1 - n);
  };
  assert.deepEqual(names({code: 'A', name: 'B', count: 1}), [0, 1, 3]);
  assert.deepEqual(names({count: 1, name: 'B', code: 'A'}), [3, 1, 0]);
  assert.deepEqual(names({name: 'B', count: 1, code: 'A', notes: 'n'}), [1, 3, 0, 2]);
  assert.deepEqual(names({code: 'A', when: {code: 'x'}, name: 'B'}), [0, 11, 0, 1]);
});

test('the module refuses a tape that is not one value; validate then answers through JSON', () => {
  const [text, tape] = encodeValues(valid);
  const numbers = new Float64Array(tape);
  assert.notEqual(compiled.validateEncoded(text, numbers, 'customer'), undefined);
  assert.equal(compiled.validateEncoded(text, numbers.subarray(0, numbers.length - 1), 'customer'), undefined);
  assert.equal(compiled.validateEncoded(text.slice(0, -1), numbers, 'customer'), undefined);
  assert.equal(compiled.validateEncoded(text, Float64Array.of(...numbers, 0), 'customer'), undefined);
  assert.equal(compiled.validateEncoded(text, Float64Array.of(9), 'customer'), undefined);
  assert.throws(() => compiled.validateEncoded(text, numbers, 'nobody'), (error) => error.code === 'invalid_argument');
  // The module's own entry, told of more than its buffers hold.
  const module = Object.getPrototypeOf(CompiledSpec.prototype);
  assert.equal(module.validateEncoded.call(compiled, 1e9, numbers.length, 'customer'), undefined);
  assert.equal(module.validateEncoded.call(compiled, 0, 1e9, 'customer'), undefined);
});

test('values larger than the reused buffers grow them', async () => {
  const mails = Array.from({length: 3000}, (_, i) => (i === 2999 ? 'nope' : `user${i}@example.com`));
  assert.equal(sameAnswer({code: 'ABC-1234', mails, notes: 'x'.repeat(100000)}), true);
  assert.deepEqual(compiled.validate({code: 'ABC-1234', mails}, 'customer').errors.map((e) => e.path), ['/mails/2999']);
  // Smaller values again, in the grown buffers (and the grown memory).
  assert.equal(sameAnswer(valid), true);
  // The module's memory grown by something else (a large value through JSON) between two calls.
  const { moduleMemory } = await import('../pkg/marketplace_wasm.js');
  const pages = () => moduleMemory().buffer.byteLength;
  const before = pages();
  viaJson.call(compiled, {notes: 'x'.repeat(4_000_000)}, 'customer');
  assert.ok(pages() > before, 'the memory grew');
  assert.equal(sameAnswer(valid), true);
  assert.deepEqual(compiled.validate({code: 'ABC-1234', count: 11}, 'customer').errors.map((e) => e.path), ['/count']);
});
