// The package's phrase table (`phrases.js`, shared with the service's iframe page) under Node:
// German has every English phrase with the same placeholders; the host's overrides win; an
// unknown language reads English; field errors are phrased from their stable `code` and the
// variable's bounds, in the chosen language, falling back to the service's message for a code
// the table lacks (or a bound it cannot fill); dates, numbers and prices follow the language (an
// amount's decimal text formatted exactly); every cancellation reason of core has a phrase; core's
// field-error codes all have a phrase (the one check against drift from the wire).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const pkg = await import('../pkg/node.js');
const { PHRASES, fieldErrorText, formatDate, formatMoney, formatNumber, rules, language, pickLanguage, problemText, setLanguage, t, validateConfig, valueLabel } = pkg;

afterEach(() => setLanguage('en'));

const placeholders = (phrase) => [...phrase.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('every English phrase exists in German, with the same placeholders, and no German phrase is extra', () => {
  const en = Object.keys(PHRASES.en);
  const de = Object.keys(PHRASES.de);
  assert.deepEqual(en.filter((key) => !de.includes(key)), [], 'missing in de');
  assert.deepEqual(de.filter((key) => !en.includes(key)), [], 'only in de');
  for (const key of en) {
    assert.deepEqual(placeholders(PHRASES.de[key]), placeholders(PHRASES.en[key]), key);
    assert.ok(PHRASES.de[key].length > 0, key);
  }
});

test('the language is picked from a BCP 47 tag; unknown ones read English', () => {
  assert.equal(pickLanguage('de'), 'de');
  assert.equal(pickLanguage('de-AT'), 'de');
  assert.equal(pickLanguage('DE_ch'), 'de');
  assert.equal(pickLanguage('fr'), 'en');
  assert.equal(pickLanguage(undefined), 'en');
  assert.equal(setLanguage('fr-FR'), 'en');
  assert.equal(t('catalog.empty'), 'No integrations match');
  assert.equal(setLanguage('de-DE'), 'de');
  assert.equal(language(), 'de');
  assert.equal(t('catalog.empty'), 'Keine passenden Integrationen');
});

test('parameters fill placeholders; a missing one stays visible; an unknown key reads as itself', () => {
  assert.equal(t('detail.isActive', { name: 'Slack' }), 'Slack is active.');
  assert.equal(t('app.page', { page: 2 }), 'Page 2 of {pages}');
  assert.equal(t('no.such.key'), 'no.such.key');
});

test("the host's overrides win over the table, in any language, and are replaced by the next call", () => {
  setLanguage('de', { 'catalog.title': 'Erweiterungen', 'detail.isActive': '{name} läuft!', ignored: 42 });
  assert.equal(t('catalog.title'), 'Erweiterungen');
  assert.equal(t('detail.isActive', { name: 'Slack' }), 'Slack läuft!');
  assert.equal(t('catalog.search'), 'Suche');
  setLanguage('en', { 'catalog.search': 'Find' });
  assert.equal(t('catalog.search'), 'Find');
  assert.equal(t('catalog.title'), 'Integrations', 'the earlier overrides are gone');
});

test('field errors are phrased from their code and the bounds of their variable', () => {
  const integer = { key: 'batch', type: 'integer', min: 1, max: 1000 };
  assert.equal(fieldErrorText({ path: '/batch', code: 'max', message: 'must be at most 1000' }, integer), 'Must be at most 1,000.');
  assert.equal(fieldErrorText({ path: '/url', code: 'format', message: 'must be an absolute http(s) URL' }, { type: 'url' }), 'Enter an absolute http(s) URL.');
  assert.equal(fieldErrorText({ path: '/when/cron', code: 'format', message: 'must be a cron expression' }, { type: 'schedule' }),
    'Enter a cron expression of five fields.');
  // An error on a part of a value (a connection's input) names the part.
  assert.equal(fieldErrorText({ path: '/auth/client_id', code: 'required', message: 'a value is required' }, { type: 'connection' }),
    'client id: A value is required.');
  setLanguage('de');
  assert.equal(fieldErrorText({ path: '/batch', code: 'max', message: 'must be at most 1000' }, integer), 'Darf höchstens 1.000 sein.');
  assert.equal(fieldErrorText({ path: '/auth/client_id', code: 'required', message: 'a value is required' }, { type: 'connection' }),
    'Client-ID: Ein Wert ist erforderlich.');
});

test("an unknown code, or a bound the variable does not give, falls back to the service's message", () => {
  setLanguage('de');
  assert.equal(fieldErrorText({ path: '/x', code: 'brand_new_code', message: 'something new' }, { type: 'string' }), 'something new');
  assert.equal(fieldErrorText({ path: '/x', code: 'min_length', message: 'the key must not be empty' }, null), 'the key must not be empty');
  assert.equal(fieldErrorText({ path: '/x', code: 'formula_syntax', message: 'unexpected token at 3' }), 'unexpected token at 3');
  setLanguage('de', { 'field_error.brand_new_code': 'Neu!' });
  assert.equal(fieldErrorText({ path: '/x', code: 'brand_new_code', message: 'something new' }), 'Neu!');
});

test("core's errors on a spec's variables all get a phrase, in German too", () => {
  const spec = { pages: [{ title: 'P', elements: [
    { key: 'endpoint', label: 'Endpoint', type: 'url', required: true },
    { key: 'batch_size', label: 'Batch', type: 'integer', min: 1, max: 500 },
    { key: 'code', label: 'Code', type: 'string', pattern: '^[A-Z]{3}$', min_length: 3 },
    { key: 'region', label: 'Region', type: 'picklist', options: ['eu', 'us'] },
  ] }] };
  const variables = Object.fromEntries(spec.pages[0].elements.map((v) => [v.key, v]));
  const { errors } = validateConfig(spec, { batch_size: 0, code: 'a', region: 'asia', nope: 1 }, 'customer');
  assert.ok(errors.length >= 5, JSON.stringify(errors));
  setLanguage('de');
  for (const error of errors) {
    const text = fieldErrorText(error, variables[error.path.split('/')[1]]);
    assert.notEqual(text, error.message, `${error.code} at ${error.path} has no phrase`);
    assert.doesNotMatch(text, /\{(min|max|min_length|max_length|pattern|options)\}/, text);
  }
});

test('dates and numbers follow the language; text that is no date is shown as it is', () => {
  const at = '2026-03-04T10:05:00Z';
  assert.equal(formatDate(at), new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)));
  assert.equal(formatNumber(1234.5), '1,234.5');
  setLanguage('de');
  assert.match(formatDate(at), /^04\.03\.2026/);
  assert.equal(formatNumber(1234.5), '1.234,5');
  assert.equal(formatDate('not a date'), 'not a date');
});

test('prices follow the language and keep every digit of their decimal text', () => {
  assert.equal(formatMoney('29.00', 'USD'), '$29.00');
  assert.equal(formatMoney('12345678901234567.89', 'USD'), '$12,345,678,901,234,567.89', 'a float would round it');
  assert.equal(formatMoney('1.500', 'BHD'), 'BHD\u00a01.500');
  setLanguage('de');
  assert.equal(formatMoney('9.90', 'EUR'), '9,90\u00a0€');
});

test("core's cancellation reasons all have a phrase, in German too", () => {
  const reasons = rules().cancellation_reasons;
  assert.ok(reasons.length > 0);
  for (const lang of ['en', 'de']) {
    for (const reason of reasons) assert.ok(Object.hasOwn(PHRASES[lang], `cancel.reason.${reason}`), `${lang}: ${reason}`);
  }
});

test('wire values read through the table, unknown ones as sent; problems by code, else their message', () => {
  setLanguage('de');
  assert.equal(valueLabel('status', 'needs_configuration'), 'Konfiguration nötig');
  assert.equal(valueLabel('status', 'brand_new'), 'brand new');
  assert.equal(problemText({ code: 'not_found', message: 'integration not found' }), t('problem.not_found'));
  assert.equal(problemText({ code: 'teapot', message: "I'm a teapot" }), "I'm a teapot");
});

test('the shared page scripts draw no hard-coded English: every visible string is a phrase', () => {
  // A rough guard: the catalog's pieces hold no capitalised string literal given as text.
  const source = readFileSync(new URL('../pkg/catalog.js', import.meta.url), 'utf8');
  assert.deepEqual(source.match(/text: '[A-Z][^']*'/g) ?? [], []);
});
