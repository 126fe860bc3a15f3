// Marketplaces, tenants and certification tiers in a real browser (Debian's Chromium,
// playwright-core), through the iframe marketplace on the demo host's own origin. Seeded through
// the admin API: a second marketplace with two listings, a tenant whose customers see only what is
// assigned to it (`app_management: tenant`), one of the two assigned, and evidence that makes one
// of them `compatible` (the other has no tier). A tenant-scoped token sees only the assigned
// listing (the other is a 404); a token without tenant sees both; the tier filter narrows the
// catalog (the service filters); the demo's certified integration shows its provider,
// applications, documentation and collections; the native example draws the same badges and
// filter from the npm package (`catalog.js`, one source). Screenshots: target/screenshots/
// (catalog-tenant.png, catalog-tiers.png, detail-certification.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
const MARKETPLACE = 'browser-eu';
const TENANT = 'browser-resellers';
let demo;
let browser;
let assigned;
let unassigned;

/** An integration with one published version (a webhook flow), published to `MARKETPLACE` and
 * listed there customer-deployable. */
async function listedIntegration(name, category) {
  const post = (path, body) => demo.admin(path, { method: 'POST', body: JSON.stringify(body) });
  const integration = await post('/api/v1/integrations', { name, description: `${name}, for the browser test`, category, labels: [] });
  await post(`/api/v1/integrations/${integration.id}/versions`, {
    version: '1.0.0',
    config: { pages: [{ title: 'Setup', elements: [{ key: 'endpoint', label: 'Endpoint', type: 'url', required: true }] }] },
    flows: [{ name: 'events', trigger: 'webhook', deliver: { url: 'endpoint', method: 'POST' } }],
  });
  await post(`/api/v1/integrations/${integration.id}/versions/1.0.0/publish`, { marketplaces: [MARKETPLACE] });
  return integration;
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  const post = (path, body) => demo.admin(path, { method: 'POST', body: JSON.stringify(body) });
  const put = (path, body) => demo.admin(path, { method: 'PUT', body: body === undefined ? undefined : JSON.stringify(body) });
  const marketplace = await post('/api/v1/marketplaces', { key: MARKETPLACE, name: 'Browser EU', front_end_url: 'https://eu.example.com', allowed_origins: [] });
  const tenant = await post('/api/v1/tenants', { key: TENANT, name: 'Browser resellers', app_management: 'tenant' });
  assigned = await listedIntegration('Alpha Orders', 'ERP');
  unassigned = await listedIntegration('Beta Invoices', 'ERP');
  for (const integration of [assigned, unassigned]) {
    await put(`/api/v1/marketplaces/${marketplace.id}/listings/${integration.id}`,
      { version: '1.0.0', overview: `${integration.name}.`, customer_deployable: true, allow_multiple_instances: false });
  }
  await put(`/api/v1/tenants/${tenant.id}/listings/${marketplace.id}/${assigned.id}`);

  // Alpha is `compatible`: its profile, and a registered application version it declares.
  const provider = await post('/api/v1/providers', { name: 'Alpha Systems', url: 'https://alpha.example.com' });
  const application = await post('/api/v1/applications', { provider_id: provider.id, name: 'Alpha ERP' });
  await post(`/api/v1/applications/${application.id}/versions`, { name: '2025.1', released_on: '2025-01-15' });
  await demo.admin(`/api/v1/integrations/${assigned.id}`, { method: 'PATCH', body: JSON.stringify({ profile: {
    event_services: ['webhook'], hosting: ['multitenant_cloud'], api: { kind: 'openapi', url: 'https://alpha.example.com/openapi.json' } } }) });
  await put(`/api/v1/integrations/${assigned.id}/versions/1.0.0/applications`, [{ application_id: application.id, versions: ['2025.1'] }]);
  const report = await demo.admin(`/api/v1/integrations/${assigned.id}/versions/1.0.0/tier`);
  assert.equal(report.tier, 'compatible', JSON.stringify(report.checks.filter((c) => !c.passed)));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** A host page with the iframe marketplace, signed in as `customer` with these token claims. */
async function iframePage(login) {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  await page.goto(`${demo.hostUrl}/iframe-host/?${new URLSearchParams(login)}`);
  const frame = page.frameLocator('iframe');
  await frame.locator('.mk-cards').first().waitFor();
  return { page, frame, failures };
}

/** The names on the catalog's cards. */
const cardNames = (frame) => frame.locator('.mk-card h3').allTextContents();

test('a tenant-scoped token sees only the listing assigned to its tenant; a token without tenant sees both', async () => {
  const scoped = await iframePage({ customer: 'tenant-co', marketplace: MARKETPLACE, tenant: TENANT });
  assert.deepEqual(await cardNames(scoped.frame), ['Alpha Orders']);
  assert.equal(await scoped.frame.locator(`.mk-card[data-integration-id="${unassigned.id}"]`).count(), 0);
  await scoped.page.screenshot({ path: join(screenshots, 'catalog-tenant.png'), fullPage: true });
  // The unassigned listing is not there at all for this customer: a 404, not a disabled card.
  const token = (await (await fetch(`${demo.hostUrl}/demo/token?${new URLSearchParams({ customer: 'tenant-co', marketplace: MARKETPLACE, tenant: TENANT })}`)).json()).token;
  const hidden = await fetch(`${demo.serviceUrl}/api/v1/embedded/marketplace/${unassigned.id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(hidden.status, 404);
  // The token's tenant became the customer's.
  const customers = await demo.admin('/api/v1/customers?external_id=tenant-co');
  assert.ok(customers.items[0].tenant_id, JSON.stringify(customers.items[0]));
  assert.deepEqual(scoped.failures, []);
  await scoped.page.close();

  const open = await iframePage({ customer: 'no-tenant-co', marketplace: MARKETPLACE });
  assert.deepEqual(await cardNames(open.frame), ['Alpha Orders', 'Beta Invoices']);
  assert.deepEqual(open.failures, []);
  await open.page.close();
});

test('the tier filter narrows the catalog to the listings of at least that tier', async () => {
  const { page, frame, failures } = await iframePage({ customer: 'tiers-co', marketplace: MARKETPLACE });
  const badge = frame.locator(`.mk-card[data-integration-id="${assigned.id}"] .mk-tier`);
  assert.equal(await badge.textContent(), 'Compatible');
  assert.equal(await badge.getAttribute('aria-label'), 'Certification tier: Compatible');
  assert.equal(await frame.locator(`.mk-card[data-integration-id="${unassigned.id}"] .mk-tier`).count(), 0);
  const filter = frame.getByLabel('Tier', { exact: true });

  await filter.selectOption({ label: 'Compatible+' });
  await frame.locator(`.mk-card[data-integration-id="${unassigned.id}"]`).waitFor({ state: 'detached' });
  assert.deepEqual(await cardNames(frame), ['Alpha Orders']);
  await filter.selectOption({ label: 'Ready+' });
  await frame.getByText('No integrations match').waitFor();
  await filter.selectOption({ label: 'Any tier' });
  await frame.locator(`.mk-card[data-integration-id="${unassigned.id}"]`).waitFor();
  assert.deepEqual(failures, []);
  await page.close();
});

test('the demo catalog shows tier badges; the certified detail shows provider, applications, documentation and collections', async () => {
  const { page, frame, failures } = await iframePage({ customer: 'certified-co' });
  const tiers = await frame.locator('.mk-card .mk-tier').evaluateAll((badges) => badges.map((b) => b.dataset.tier));
  assert.ok(tiers.includes('one_click') || tiers.includes('certified'), JSON.stringify(tiers));
  assert.ok(tiers.includes('ready') || tiers.includes('compatible'), JSON.stringify(tiers));
  const all = (await cardNames(frame)).length;
  assert.ok(all > tiers.length, 'some demo listings have no tier');
  await page.screenshot({ path: join(screenshots, 'catalog-tiers.png'), fullPage: true });

  // Google Sheets has no tier in the demo: it leaves when the service filters.
  await frame.getByLabel('Tier', { exact: true }).selectOption({ label: 'Certified+' });
  await frame.getByRole('link', { name: 'Google Sheets' }).waitFor({ state: 'detached' });
  const certified = await frame.locator('.mk-card').evaluateAll((cards) => cards.map((c) => c.querySelector('.mk-tier')?.dataset.tier ?? null));
  assert.ok(certified.length > 0 && certified.length < all, JSON.stringify(certified));
  assert.ok(certified.every((t) => t === 'certified' || t === 'one_click'), JSON.stringify(certified));

  await frame.getByRole('link', { name: 'Salesforce' }).click();
  const provider = frame.getByRole('region', { name: 'Provider' });
  await provider.waitFor();
  assert.match(await provider.textContent(), /Salesforce/);
  assert.ok(await provider.getByRole('link').count() > 0, 'the provider links to its site');
  const applications = frame.getByRole('region', { name: 'Supported applications' });
  assert.match(await applications.textContent(), /versions /);
  assert.ok((await frame.getByRole('region', { name: 'Documentation' }).textContent()).length > 20);
  const collections = frame.getByRole('region', { name: 'Data mappings' });
  assert.equal(await collections.locator('tr[data-collection="salesforce_events"]').count(), 1);
  assert.match(await frame.locator('.mk-meta .mk-tier').first().getAttribute('aria-label'), /^Certification tier: (Certified|One-click)$/);
  // The whole detail in the screenshot: a taller iframe in a taller window.
  await page.setViewportSize({ width: 1280, height: 2000 });
  await page.locator('iframe').evaluate((iframe) => { iframe.style.height = '1900px'; });
  await page.screenshot({ path: join(screenshots, 'detail-certification.png'), fullPage: true });
  assert.deepEqual(failures, []);
  await page.close();
});

test('the native example draws the same badges and filter from the npm package; the service filters', async () => {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?${new URLSearchParams({ customer: 'native-tiers-co', marketplace: MARKETPLACE })}#/`);
  const badge = page.locator(`.mk-card[data-integration-id="${assigned.id}"] .mk-tier`);
  await badge.waitFor();
  assert.equal(await badge.getAttribute('aria-label'), 'Certification tier: Compatible');
  assert.equal(await page.locator('.mk-card').count(), 2);
  await page.getByLabel('Tier', { exact: true }).selectOption({ label: 'Compatible+' });
  await page.locator(`.mk-card[data-integration-id="${unassigned.id}"]`).waitFor({ state: 'detached' });
  assert.equal(await page.locator('.mk-card').count(), 1);

  // The package's pieces on their own: an unknown tier (a newer service) reads as sent; no tier, no badge.
  const drawn = await page.evaluate(async () => {
    const pkg = await import('/pkg/index.js');
    return {
      tiers: pkg.TIERS.map((t) => t.tier),
      unknown: pkg.tierBadge('platinum_plus')?.textContent,
      none: pkg.tierBadge(null),
      sections: pkg.certificationSections({ provider: null, applications: [], documentation_html: '', collections: [] }).length,
    };
  });
  assert.deepEqual(drawn, { tiers: ['compatible', 'ready', 'certified', 'one_click'], unknown: 'platinum plus', none: null, sections: 0 });
  assert.deepEqual(failures, []);
  await page.close();
});
