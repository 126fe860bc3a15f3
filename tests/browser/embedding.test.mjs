// The embedding surfaces in a real browser (Debian's Chromium, driven by playwright-core), with
// the host pages on another origin than the service, as in real life: the native JavaScript
// marketplace (inline errors with no request, activate, deactivate, checked through the admin
// API) and the iframe marketplace (activate through the iframe, the host receives the event,
// messages from a foreign origin are ignored both ways). Screenshots: target/screenshots/
// (iframe-host.png, iframe-host-dark.png, js-native-marketplace.png).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { freePort, integrationId, root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
let demo;
let browser;
let foreign;
let foreignUrl;

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  browser = await launchChromium();
  // A third origin, allowed nowhere: a page that tries to talk to the marketplace.
  const port = await freePort();
  foreign = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>foreign</title><p>foreign origin</p>');
  });
  await new Promise((resolve) => foreign.listen(port, '127.0.0.1', resolve));
  foreignUrl = `http://127.0.0.1:${port}/`;
});

after(async () => {
  await browser?.close();
  foreign?.close();
  await demo?.stop();
});

/** Collects the page's console errors and uncaught exceptions (every frame): CSP violations,
 * script errors, failed requests. */
function watchErrors(page) {
  const errors = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('response', (response) => { if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`); });
  return errors;
}

/** The customer the admin API knows by this external id. */
async function customerId(externalId) {
  const customers = await demo.admin(`/api/v1/customers?external_id=${encodeURIComponent(externalId)}`);
  assert.equal(customers.items.length, 1, `customer ${externalId}`);
  return customers.items[0].id;
}

test('native JS marketplace: inline error with no request, activate, reconfigure, deactivate', async () => {
  const page = await browser.newPage();
  const consoleErrors = watchErrors(page);
  const serviceRequests = [];
  page.on('request', (request) => {
    if (request.url().startsWith(demo.serviceUrl)) serviceRequests.push(`${request.method()} ${request.url()}`);
  });
  const sheets = await integrationId(demo, 'Google Sheets');
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?customer=native-co#/`);
  await page.getByRole('link', { name: 'Google Sheets' }).click();
  const url = page.getByLabel('Apps Script web app URL');
  await url.waitFor();

  const before = serviceRequests.length;
  await url.fill('not a url');
  await url.blur();
  const error = page.locator('.mk-field[data-key="sheet_url"] .mk-error');
  await error.waitFor({ state: 'visible' });
  assert.match(await error.textContent(), /url/i);
  assert.equal(await error.getAttribute('data-code'), 'format');
  assert.equal(await url.getAttribute('aria-invalid'), 'true');
  assert.deepEqual(serviceRequests.slice(before), [], 'the inline error needed no request');
  // Submitting the invalid form sends nothing either.
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.waitForTimeout(200);
  assert.deepEqual(serviceRequests.slice(before), [], 'an invalid form was sent');

  await url.fill('https://script.example.com/macros/s/abc/exec');
  await page.getByRole('button', { name: 'Activate' }).click();
  const notice = page.getByRole('status');
  await notice.waitFor();
  assert.match(await notice.textContent(), /is active/);
  assert.match(await notice.textContent(), /\/webhooks\//);
  await page.screenshot({ path: join(screenshots, 'js-native-marketplace.png'), fullPage: true });

  const customer = await customerId('native-co');
  const instances = await demo.admin(`/api/v1/instances?customer_id=${customer}`);
  assert.equal(instances.items.length, 1);
  const [instance] = instances.items;
  assert.equal(instance.integration_id, sheets);
  assert.equal(instance.status, 'active');
  assert.equal(instance.config.sheet_url, 'https://script.example.com/macros/s/abc/exec');
  assert.equal(instance.config.sheet_name, 'Orders');

  await page.getByRole('link', { name: 'Manage it' }).click();
  await page.getByRole('heading', { name: 'Configuration' }).waitFor();
  // Reconfigure: a bad value is refused locally, a good one saved.
  const sheetName = page.getByLabel('Sheet name');
  await sheetName.fill('');
  await page.getByLabel('Apps Script web app URL').fill('ftp://nope');
  const sent = serviceRequests.length;
  await page.getByRole('button', { name: 'Save' }).click();
  await page.locator('.mk-field[data-key="sheet_url"] .mk-error').waitFor({ state: 'visible' });
  assert.ok(!serviceRequests.slice(sent).some((r) => r.startsWith('PATCH')), 'an invalid reconfiguration was sent');
  await page.getByLabel('Apps Script web app URL').fill('https://script.example.com/v2');
  await sheetName.fill('Refunds');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  const saved = await demo.admin(`/api/v1/instances/${instance.id}`);
  assert.equal(saved.config.sheet_name, 'Refunds');
  assert.equal(saved.config.sheet_url, 'https://script.example.com/v2');
  // Deactivation asks why (the package's reason picker), and the reason is recorded.
  await page.getByRole('button', { name: 'Deactivate' }).click();
  await page.getByLabel('Why are you deactivating it?').selectOption('not_working');
  await page.getByRole('button', { name: 'Yes, deactivate' }).click();
  await page.getByText(/· deactivated ·/).waitFor();
  const after = await demo.admin(`/api/v1/instances/${instance.id}`);
  assert.equal(after.status, 'deactivated');
  const [ended] = (await demo.admin(`/api/v1/subscriptions?customer_id=${after.customer_id}`)).items;
  assert.deepEqual([ended.cancelled_by, ended.cancellation?.reason], ['customer', 'not_working']);
  assert.deepEqual(consoleErrors, []);
  await page.close();
});

test('iframe marketplace: activate, pause, resume, reconfigure and deactivate through the iframe; the host receives each event', async () => {
  const page = await browser.newPage();
  const consoleErrors = watchErrors(page);
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=iframe-co`);
  const frame = page.frameLocator('iframe');
  await frame.getByRole('link', { name: 'Slack' }).waitFor();
  await frame.getByRole('link', { name: 'HubSpot' }).click();
  await frame.getByLabel('Portal ID').fill('7654321');
  await frame.getByLabel('Private app token').fill('pat-secret-2');
  await frame.getByRole('button', { name: 'Activate' }).click();
  await frame.getByRole('status').waitFor();
  await page.waitForFunction(() => window.marketplaceEvents.some((e) => e.type === 'INSTANCE_ACTIVATED'));
  const events = await page.evaluate(() => window.marketplaceEvents);
  const types = events.map((e) => e.type);
  assert.ok(types.includes('MARKETPLACE_READY'), types.join());
  assert.ok(types.includes('CONFIGURATION_LOADED'), types.join());
  const activated = events.find((e) => e.type === 'INSTANCE_ACTIVATED').payload;
  const instance = await demo.admin(`/api/v1/instances/${activated.instance_id}`);
  assert.equal(instance.customer_id, await customerId('iframe-co'));
  assert.equal(instance.integration_id, activated.integration_id);
  assert.equal(instance.version, activated.version);
  assert.equal(instance.status, 'active');
  await page.screenshot({ path: join(screenshots, 'iframe-host.png'), fullPage: true });

  // Manage it in the iframe: pause, resume, reconfigure (the secret kept), deactivate.
  const eventOf = (type) => page.waitForFunction((t) => window.marketplaceEvents.some((e) => e.type === t), type);
  await frame.getByRole('link', { name: 'Manage this instance' }).click();
  await frame.getByRole('button', { name: 'Pause' }).click();
  await eventOf('INSTANCE_PAUSED');
  assert.equal((await demo.admin(`/api/v1/instances/${activated.instance_id}`)).status, 'paused');
  await frame.getByRole('button', { name: 'Resume' }).click();
  await eventOf('INSTANCE_RESUMED');
  await frame.getByRole('button', { name: 'Pause' }).waitFor(); // the view shows the resumed instance
  await frame.getByLabel('Portal ID').fill('1111111');
  await frame.getByRole('button', { name: 'Save' }).click();
  await eventOf('INSTANCE_RECONFIGURED');
  const reconfigured = await demo.admin(`/api/v1/instances/${activated.instance_id}`);
  assert.equal(reconfigured.config.portal_id, '1111111');
  assert.deepEqual(reconfigured.config.api_key, { api_key: { set: true } }, 'the stored secret was kept');
  await frame.getByRole('button', { name: 'Deactivate' }).click();
  await frame.getByLabel('Why are you deactivating it?').selectOption('not_needed');
  await frame.getByRole('button', { name: 'Yes, deactivate' }).click();
  await eventOf('INSTANCE_DEACTIVATED');
  assert.equal((await demo.admin(`/api/v1/instances/${activated.instance_id}`)).status, 'deactivated');
  const last = (await page.evaluate(() => window.marketplaceEvents)).at(-1);
  assert.deepEqual(last.payload, { instance_id: activated.instance_id, integration_id: activated.integration_id, version: activated.version });
  assert.deepEqual(consoleErrors, [], 'no script error, CSP violation or failed request');
  await page.close();
});

test('iframe marketplace: a refused token makes the page ask for a fresh one (TOKEN_EXPIRED)', async () => {
  const page = await browser.newPage();
  let served = 0;
  // The host's backend first hands out a token the service refuses, then real ones.
  await page.route('**/demo/token*', async (route) => {
    served += 1;
    if (served === 1) {
      await route.fulfill({ json: { token: 'expired.or.revoked' } });
    } else {
      await route.continue();
    }
  });
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=refresh-co`);
  await page.frameLocator('iframe').getByRole('link', { name: 'Slack' }).waitFor();
  const types = (await page.evaluate(() => window.marketplaceEvents)).map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['MARKETPLACE_READY', 'TOKEN_EXPIRED']);
  assert.equal(served, 2);
  await page.close();
});

test('iframe marketplace: long lists page with "Show more"', async () => {
  const page = await browser.newPage();
  // Pages of 4 instead of the service's default 50, to page through the 9 demo integrations.
  await page.route((url) => url.pathname === '/api/v1/embedded/marketplace', (route) => {
    const url = new URL(route.request().url());
    url.searchParams.set('limit', '4');
    return route.continue({ url: url.href });
  });
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=paging-co`);
  const frame = page.frameLocator('iframe');
  const cards = frame.locator('.mk-card');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 4);
  const more = frame.getByRole('button', { name: 'Show more' });
  await more.click();
  await frame.locator('.mk-card').nth(7).waitFor();
  await more.click();
  await frame.locator('.mk-card').nth(8).waitFor();
  assert.equal(await cards.count(), 9);
  assert.equal(await more.isHidden(), true);
  const names = await cards.locator('h3').allTextContents();
  assert.equal(new Set(names).size, 9, names.join());
  await page.close();
});

test('iframe marketplace: messages from a foreign origin are ignored, both ways', async () => {
  const page = await browser.newPage();
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=foreign-co`);
  const marketplaceFrame = () => page.frames().find((f) => f.url().includes('/embed/'));
  await page.frameLocator('iframe').getByRole('link', { name: 'Slack' }).waitFor();
  const theme = () => marketplaceFrame().evaluate(() => document.documentElement.dataset.theme);
  assert.equal(await theme(), 'light');

  // A sibling frame from a foreign origin posts to the marketplace page and to the host.
  await page.evaluate((url) => new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.src = url;
    frame.id = 'foreign';
    frame.onload = resolve;
    document.body.append(frame);
  }), foreignUrl);
  const foreignFrame = page.frames().find((f) => f.url() === foreignUrl);
  await foreignFrame.evaluate(() => {
    const marketplace = window.parent.frames[0];
    marketplace.postMessage({ type: 'SET_THEME', payload: { theme: 'dark' } }, '*');
    marketplace.postMessage({ type: 'SET_TOKEN', payload: { token: 'forged' } }, '*');
    window.parent.postMessage({ type: 'INSTANCE_ACTIVATED', payload: { instance_id: 'forged' } }, '*');
  });
  await page.waitForTimeout(500);
  assert.equal(await theme(), 'light', 'the page took a theme from a foreign origin');
  const events = await page.evaluate(() => window.marketplaceEvents);
  assert.ok(!events.some((e) => e.payload?.instance_id === 'forged'), 'the host took an event from a foreign origin');
  // The page still works with the host's token: the forged one was not taken.
  const marketplace = page.frameLocator('iframe:not(#foreign)');
  await marketplace.getByRole('link', { name: 'My integrations' }).click();
  await marketplace.getByRole('heading', { name: 'My integrations' }).waitFor();
  assert.ok(!events.some((e) => e.type === 'TOKEN_EXPIRED'));

  // The same message from the host's origin is taken: the check above can fail.
  await page.evaluate(() => window.marketplace.setTheme({ theme: 'dark' }));
  await marketplaceFrame().waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.evaluate(() => document.getElementById('foreign').remove());
  await page.screenshot({ path: join(screenshots, 'iframe-host-dark.png'), fullPage: true });
  await page.close();
});

test('the iframe page refuses framing by other origins (CSP frame-ancestors)', async () => {
  const response = await fetch(`${demo.serviceUrl}/embed/${demo.organizationId}/marketplace`);
  const policy = response.headers.get('content-security-policy');
  assert.match(policy, new RegExp(`frame-ancestors ${demo.hostUrl.replace(/[.]/g, '\\.')}( |;|$)`));
  assert.ok(!policy.includes(foreignUrl.replace(/\/$/, '')));
  const page = await browser.newPage();
  await page.goto(foreignUrl);
  await page.evaluate((src) => { const f = document.createElement('iframe'); f.src = src; document.body.append(f); },
    `${demo.serviceUrl}/embed/${demo.organizationId}/marketplace`);
  await page.waitForTimeout(1000);
  const embedded = page.frames().find((f) => f.url().includes('/embed/'));
  const loaded = embedded ? await embedded.evaluate(() => document.getElementById('app') !== null).catch(() => false) : false;
  assert.equal(loaded, false, 'a foreign origin framed the marketplace');
  await page.close();
});
