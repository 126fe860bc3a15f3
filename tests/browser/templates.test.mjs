// Workflow templates and mapping previews in a real browser (Debian's Chromium, playwright-core),
// through the iframe marketplace on the demo host's own origin. Seeded through the admin API: a
// record type, an integration whose version has a collection (a formula mapping the customer may
// override) used by one of its three flows, and a workflow template of that one flow approved by
// a reviewer API key. One-click activation asks only for the template's connection and creates
// an instance whose webhook URLs are the template's flows only; the instance screen previews the
// collection with an edited formula, shows the service's output, and saves the override.
// Screenshots: target/screenshots/ (template-activation.png, mapping-preview.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
let demo;
let browser;
let integration;
let template;

const contact = {
  type: 'object',
  properties: { email: { type: 'string' }, name: { type: 'string' }, source: { type: 'string' } },
  required: ['email'],
};

/** Calls the admin API with another API key than the demo's. */
async function as(secret, path, body) {
  const response = await fetch(demo.serviceUrl + path, { method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' } });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  const post = (path, body) => demo.admin(path, { method: 'POST', body: JSON.stringify(body) });
  await demo.admin('/api/v1/record-types/contact', { method: 'PUT', body: JSON.stringify({ description: 'A person', schema: contact }) });
  integration = await post('/api/v1/integrations', { name: 'Contact Sync', description: 'Contacts into your CRM', category: 'CRM', labels: [] });
  const deliver = { url: 'endpoint', method: 'POST', connection: 'crm' };
  await post(`/api/v1/integrations/${integration.id}/versions`, {
    version: '1.0.0',
    config: { pages: [{ title: 'Setup', elements: [
      { key: 'crm', label: 'CRM token', type: 'connection', connection: { kind: 'api_key' }, required: true },
      { key: 'endpoint', label: 'CRM endpoint', type: 'url', required: true },
      { key: 'region', label: 'Region', type: 'picklist', options: ['eu', 'us'], default: 'eu' },
    ] }] },
    collections: [{ name: 'contacts_in', record_type: 'contact', direction: 'to', notes: 'Shop contacts into the CRM',
      mappings: [
        { kind: 'field', to: '/email', from: '/Email' },
        { kind: 'static', to: '/source', value: 'shop' },
        { kind: 'formula', to: '/name', formula: '.first + " " + .last', overridable: true, notes: 'How names are written' },
      ],
      tests: [{ name: 'ada', input: { Email: 'ada@example.com', first: 'Ada', last: 'Lovelace' },
        expected: { email: 'ada@example.com', source: 'shop', name: 'Ada Lovelace' } }] }],
    flows: [
      { name: 'contacts', trigger: 'webhook', map: { collection: 'contacts_in' }, deliver },
      { name: 'orders', trigger: 'webhook', deliver },
      { name: 'resync', trigger: 'manual', deliver },
    ],
  });
  await post(`/api/v1/integrations/${integration.id}/versions/1.0.0/publish`, {});
  await demo.admin(`/api/v1/marketplace/listings/${integration.id}`, { method: 'PUT', body: JSON.stringify({
    version: '1.0.0', overview: 'Contacts into your CRM.', customer_deployable: true, allow_multiple_instances: true }) });
  template = await post(`/api/v1/integrations/${integration.id}/versions/1.0.0/workflow-templates`, {
    name: 'Contacts only', description: 'New shop contacts, sent to the EU endpoint',
    config: { endpoint: 'https://crm.example.com/hook', region: 'eu' }, flows: ['contacts'] });
  assert.equal(template.status, 'pending');
  const reviewer = await post('/api/v1/api-keys', { name: 'Reviewer', role: 'reviewer' });
  const decided = await as(reviewer.secret, `/api/v1/workflow-templates/${template.id}/decision`, { decision: 'approve', notes: 'Checked' });
  assert.equal(decided.status, 'approved');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('one-click activation asks only for the connection; the instance has only the template flows; its mapping preview shows the output', async () => {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=templates-co`);
  const frame = page.frameLocator('iframe');
  await frame.getByRole('link', { name: 'Contact Sync' }).click();
  const setups = frame.getByRole('region', { name: 'Ready-made setups' });
  await setups.getByRole('heading', { name: 'Contacts only' }).waitFor();
  await setups.getByRole('button', { name: 'Activate Contacts only' }).click();

  // The template's form holds its connection, nothing else.
  const form = frame.getByRole('form', { name: 'Connect Contacts only' });
  await form.getByLabel('CRM token').waitFor();
  assert.deepEqual(await form.locator('.mk-field').evaluateAll((fields) => fields.map((f) => f.dataset.key)), ['crm']);
  assert.equal(await form.getByLabel('CRM endpoint').count(), 0);
  assert.equal(await form.getByLabel('Region').count(), 0);
  await form.getByLabel('CRM token').fill('crm-secret-1');
  await form.getByRole('button', { name: 'Activate Contacts only' }).click();
  const notice = frame.getByRole('status').filter({ hasText: 'is active' });
  await notice.waitFor();
  assert.match(await notice.textContent(), /contacts: /);
  assert.doesNotMatch(await notice.textContent(), /orders: /);
  await page.screenshot({ path: join(screenshots, 'template-activation.png'), fullPage: true });

  const instances = await demo.admin(`/api/v1/instances?integration_id=${integration.id}`);
  const instance = instances.items.find((i) => i.template_id === template.id);
  assert.ok(instance, JSON.stringify(instances.items));
  assert.deepEqual(instance.webhook_urls.map((w) => w.flow), ['contacts']);
  assert.deepEqual(instance.enabled_flows, ['contacts']);
  assert.equal(instance.config.endpoint, 'https://crm.example.com/hook');
  assert.equal(instance.config.region, 'eu');

  // The instance screen: the collection's mappings, the formula editable, the others read-only.
  await notice.getByRole('link', { name: 'Manage this instance' }).click();
  const panel = frame.getByRole('region', { name: 'Mappings of contacts_in' });
  await panel.waitFor();
  assert.equal(await panel.locator('tr[data-to="/email"] input, tr[data-to="/email"] textarea').count(), 0);
  const formula = panel.locator('tr[data-to="/name"] textarea');
  await formula.fill('.last + ", " + .first');
  await panel.getByLabel('Sample input (JSON)').fill(JSON.stringify({ Email: 'ada@example.com', first: 'Ada', last: 'Lovelace' }));
  await panel.getByRole('button', { name: 'Preview' }).click();
  const output = panel.locator('.mk-output');
  await output.waitFor();
  assert.deepEqual(JSON.parse(await output.textContent()), { email: 'ada@example.com', source: 'shop', name: 'Lovelace, Ada' });
  await page.screenshot({ path: join(screenshots, 'mapping-preview.png'), fullPage: true });

  // An input the target refuses: the errors come with their paths.
  await panel.getByLabel('Sample input (JSON)').fill(JSON.stringify({ first: 'Ada', last: 'Lovelace' }));
  await panel.getByRole('button', { name: 'Preview' }).click();
  await panel.locator('.mk-errors li[data-code="required"]').waitFor();
  assert.match(await panel.locator('.mk-errors').textContent(), /\/output/);

  await panel.getByRole('button', { name: 'Save mappings' }).click();
  await panel.getByRole('status').filter({ hasText: 'Mappings saved.' }).waitFor();
  const saved = await demo.admin(`/api/v1/instances/${instance.id}/mappings/contacts_in`);
  assert.deepEqual(saved.overrides.map((m) => [m.to, m.formula]), [['/name', '.last + ", " + .first']]);
  assert.deepEqual(failures, []);
  await page.close();
});
