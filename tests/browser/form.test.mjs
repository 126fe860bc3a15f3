// The package's generated form in Chromium: a spec with every variable type, both collections
// and the four connection kinds, pre-filled with valid values, reads them back unchanged and
// valid (core's rules, in WebAssembly); typed values become the right JSON; pages turn; errors
// land on their fields. Served by the demo host (the package at /pkg/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './chromium.mjs';
import { startDemo } from '../support/demo-server.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const variable = (key, type, extra = {}) => ({ key, label: key.replace(/_/g, ' '), type, ...extra });

const spec = {
  pages: [
    { title: 'Scalars', elements: [
      { header: 'Text' },
      variable('a_string', 'string', { pattern: '^[A-Z]{3}$', required: true }),
      variable('a_text', 'text'),
      variable('an_integer', 'integer', { min: 1, max: 10 }),
      variable('a_number', 'number'),
      variable('a_boolean', 'boolean'),
      variable('a_picklist', 'picklist', { options: ['eu', 'us'] }),
      variable('a_date', 'date'),
      variable('a_timestamp', 'timestamp'),
      variable('a_schedule', 'schedule'),
      variable('a_url', 'url'),
      variable('an_email', 'email'),
      variable('a_secret', 'secret'),
    ] },
    { title: 'Structured', elements: [
      variable('some_code', 'code', { language: 'xml' }),
      variable('some_json', 'json'),
      variable('a_field_map', 'object_field_map', { fields: ['email', 'name'] }),
      variable('tags', 'string', { collection: 'value_list' }),
      variable('sizes', 'integer', { collection: 'value_list' }),
      variable('regions', 'picklist', { collection: 'value_list', options: ['eu', 'us', 'apac'] }),
      variable('headers', 'string', { collection: 'key_value_list' }),
    ] },
    { title: 'Connections', elements: [
      variable('an_api_key', 'connection', { connection: { kind: 'api_key' } }),
      variable('a_basic', 'connection', { connection: { kind: 'basic' } }),
      variable('client_credentials', 'connection', { connection: { kind: 'oauth2_client_credentials' } }),
      variable('authorization_code', 'connection', { connection: { kind: 'oauth2_authorization_code' } }),
    ] },
  ],
};

const values = {
  a_string: 'ABC', a_text: 'two\nlines', an_integer: 7, a_number: 2.5, a_boolean: true, a_picklist: 'us',
  a_date: '2026-11-22', a_timestamp: '2026-11-22T10:00:00Z', a_schedule: { cron: '*/15 * * * *', timezone: 'Europe/Paris' },
  a_url: 'https://example.com/x', an_email: 'ops@example.com', a_secret: 's3cret',
  some_code: '<a>1</a>', some_json: { nested: [1, 'two', null] }, a_field_map: { email: 'Email', name: 'FullName' },
  tags: ['red', 'blue'], sizes: [1, 2, 3], regions: ['eu', 'apac'], headers: [{ key: 'X-Id', value: '42' }],
  an_api_key: { api_key: 'k-1' }, a_basic: { username: 'ops', password: 'pw' },
  client_credentials: { token_url: 'https://auth.example.com/token', client_id: 'id', client_secret: 'cs', scopes: 'read write' },
  authorization_code: { authorize_url: 'https://auth.example.com/authorize', token_url: 'https://auth.example.com/token', client_id: 'id', client_secret: 'cs' },
};

test('every variable type round-trips through the generated form and stays valid', async () => {
  const page = await browser.newPage();
  await page.goto(`${demo.hostUrl}/js-native-marketplace/index.html#/none`);
  const result = await page.evaluate(async ({ spec, values }) => {
    const pkg = await import('/pkg/index.js');
    await pkg.default();
    const container = document.createElement('div');
    container.id = 'form-under-test';
    document.body.replaceChildren(container);
    window.form = pkg.renderConfigForm(container, spec, { values });
    const read = window.form.read();
    return { read, verdict: new pkg.CompiledSpec(spec).validate(read, 'customer') };
  }, { spec, values });
  assert.deepEqual(result.verdict, { valid: true, errors: [] });
  assert.deepEqual(result.read, values);

  // Labels name every control; one page shows at a time.
  for (const key of ['a string *', 'an integer', 'a schedule']) {
    assert.equal(await page.getByLabel(key, { exact: key.endsWith('*') }).first().isVisible(), true, key);
  }
  assert.equal(await page.getByLabel('tags').isVisible(), false);
  await page.getByRole('button', { name: 'Next' }).click();
  assert.equal(await page.getByLabel('tags').isVisible(), true);
  assert.equal(await page.getByText('Page 2 of 3').isVisible(), true);

  // Typed values become JSON of the right kind; a wrong one is left for the rules to judge.
  await page.getByLabel('sizes').fill('4\n5');
  await page.getByLabel('some json').fill('{"a": [1]}');
  await page.getByLabel('headers').fill('A=1\nB = two');
  const typed = await page.evaluate(() => window.form.read());
  assert.deepEqual(typed.sizes, [4, 5]);
  assert.deepEqual(typed.some_json, { a: [1] });
  assert.deepEqual(typed.headers, [{ key: 'A', value: '1' }, { key: 'B', value: 'two' }]);

  // Errors land on their fields, and the form turns to the first page holding one.
  const shown = await page.evaluate(() => window.form.showErrors([
    { path: '/a_string', code: 'pattern', message: 'must match ^[A-Z]{3}$' },
    { path: '/a_basic/password', code: 'required', message: 'is required' },
  ]));
  assert.equal(shown, 2);
  assert.equal(await page.getByText('Page 1 of 3').isVisible(), true);
  const error = page.locator('.mk-field[data-key="a_string"] .mk-error');
  // Phrased from the code and the variable's pattern (the service's message is the fallback).
  assert.equal(await error.textContent(), 'Must match the pattern ^[A-Z]{3}$.');
  assert.equal(await page.getByLabel('a string *').getAttribute('aria-invalid'), 'true');

  // A service's 422 names paths into the request body: read relative to its config.
  await page.evaluate(() => window.form.showErrors([{ path: '/config/an_integer', code: 'max', message: 'at most 10' }], { prefix: '/config' }));
  assert.equal(await page.locator('.mk-field[data-key="an_integer"] .mk-error').textContent(), 'Must be at most 10.');
  assert.equal(await error.isHidden(), true, 'earlier errors are cleared');
  await page.close();
});

test('masked secrets stay unchanged unless typed', async () => {
  const page = await browser.newPage();
  await page.goto(`${demo.hostUrl}/js-native-marketplace/index.html#/none`);
  const read = await page.evaluate(async ({ spec }) => {
    const pkg = await import('/pkg/index.js');
    await pkg.default();
    const container = document.createElement('div');
    document.body.replaceChildren(container);
    const form = pkg.renderConfigForm(container, spec, {
      values: { a_secret: { set: true }, a_basic: { username: 'ops', password: { set: true } } },
    });
    const before = form.read();
    container.querySelector('#' + CSS.escape(container.querySelector('[data-key="a_secret"] input').id)).value = 'new';
    return { before, after: form.read() };
  }, { spec });
  assert.deepEqual(read.before.a_secret, { set: true });
  assert.deepEqual(read.before.a_basic, { username: 'ops', password: { set: true } });
  assert.equal(read.after.a_secret, 'new');
  await page.close();
});
