// A confirm activation in the iframe marketplace, in a real browser: the vendor's endpoint (a
// Node server here) answers 202, so the instance the customer activates is `pending`, with only
// "Deactivate" offered; the vendor then refuses it through the vendor API (inbound client token,
// `POST /api/v1/vendor/events/{id}/result`), and the page, which re-reads a pending instance on
// screen, shows it `failed` with the vendor's message and posts INSTANCE_STATUS_CHANGED to the
// host. Screenshot: target/screenshots/iframe-failed.png. (The "Open" button needs the launch
// endpoint of single sign-on, absent here: the second test stubs it in the browser.)
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
let vendor;
const received = [];

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  browser = await launchChromium();
  // The vendor's endpoint: takes every event, answers later (202).
  const port = await freePort();
  vendor = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      received.push({ id: request.headers['webhook-id'], body });
      response.writeHead(202).end();
    });
  });
  await new Promise((resolve) => vendor.listen(port, '127.0.0.1', resolve));
  vendor.url = `http://127.0.0.1:${port}/hook`;
});

after(async () => {
  await browser?.close();
  vendor?.close();
  await demo?.stop();
});

/** Polls `read` every 100 ms until `done(value)`, for up to 20 s; returns the value. */
async function until(read, done, what) {
  let last;
  for (let i = 0; i < 200; i += 1) {
    last = await read();
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: still ${JSON.stringify(last)}`);
}

/** Links a published `confirm` event configuration to `integration`; returns the inbound
 * client's credentials (what the vendor signs in with). */
async function confirmActivations(integration) {
  const post = (path, body) => demo.admin(path, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  const configuration = await post('/api/v1/event-configurations', {
    name: 'Vendor', working: { url: vendor.url, event_types: ['instance.activated'], activation: 'confirm' },
  });
  await post(`/api/v1/event-configurations/${configuration.id}/publish`);
  await demo.admin(`/api/v1/integrations/${integration}/event-configuration`, { method: 'PUT', body: JSON.stringify({ event_configuration_id: configuration.id }) });
  return post(`/api/v1/event-configurations/${configuration.id}/inbound-client`);
}

/** The vendor's answer to an event, through the vendor API with a client-credentials token. */
async function vendorResult({ client_id: id, client_secret: secret }, eventId, result) {
  const granted = await fetch(`${demo.serviceUrl}/api/v1/vendor/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa(`${id}:${secret}`)}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  assert.equal(granted.status, 200);
  const { access_token: token } = await granted.json();
  const answered = await fetch(`${demo.serviceUrl}/api/v1/vendor/events/${eventId}/result`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(result),
  });
  assert.equal(answered.status, 204, await answered.text());
}

test('iframe marketplace: a pending activation shows its state, allows only deactivation, and turns failed with the vendor\'s message', async () => {
  const hubspot = await integrationId(demo, 'HubSpot');
  const client = await confirmActivations(hubspot);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('response', (response) => { if (response.status() >= 400) errors.push(`${response.status()} ${response.url()}`); });
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=pending-co`);
  const frame = page.frameLocator('iframe');
  await frame.getByRole('link', { name: 'HubSpot' }).click();
  await frame.getByLabel('Portal ID').fill('7654321');
  await frame.getByLabel('Private app token').fill('pat-secret-3');
  await frame.getByRole('button', { name: 'Activate' }).click();
  const notice = frame.getByRole('status');
  await notice.getByText('Waiting for the vendor to confirm').waitFor();
  assert.match(await notice.locator('.mk-badge').textContent(), /^pending$/);
  await page.waitForFunction(() => window.marketplaceEvents.some((e) => e.type === 'INSTANCE_ACTIVATED'));
  const activated = (await page.evaluate(() => window.marketplaceEvents)).find((e) => e.type === 'INSTANCE_ACTIVATED').payload;
  assert.equal((await demo.admin(`/api/v1/instances/${activated.instance_id}`)).status, 'pending');

  // The instance's page: pending, and nothing but "Deactivate".
  await frame.getByRole('link', { name: 'Manage this instance' }).click();
  await frame.getByRole('button', { name: 'Deactivate' }).waitFor();
  await frame.getByText('Waiting for the vendor to confirm').waitFor();
  for (const name of ['Pause', 'Resume', 'Save', 'Open']) assert.equal(await frame.getByRole('button', { name, exact: true }).count(), 0, name);

  // The vendor got the event (and answered 202); it refuses the activation later.
  const [delivery] = await until(
    async () => (await demo.admin(`/api/v1/deliveries?instance_id=${activated.instance_id}`)).items,
    (items) => items.length === 1 && items[0].status === 'succeeded', 'the delivery');
  assert.ok(received.some((r) => r.id === delivery.event_id), 'the vendor endpoint got the event');
  const changed = page.waitForFunction(() => window.marketplaceEvents.find((e) => e.type === 'INSTANCE_STATUS_CHANGED'), null, { timeout: 15000 });
  await vendorResult(client, delivery.event_id, { success: false, message: 'No seats left' });

  const event = await (await changed).jsonValue();
  assert.deepEqual(event.payload, { ...activated, status: 'failed', message: 'No seats left' });
  const status = frame.locator('.mk-meta .mk-status');
  await status.getByText('No seats left').waitFor();
  assert.equal(await status.locator('.mk-badge').textContent(), 'failed');
  await frame.getByRole('button', { name: 'Deactivate' }).waitFor();
  assert.equal(await frame.getByRole('button', { name: 'Pause' }).count(), 0);
  assert.equal(await frame.getByRole('heading', { name: 'Configuration' }).count(), 0);
  await page.screenshot({ path: join(screenshots, 'iframe-failed.png'), fullPage: true });

  // The list shows it failed too; the event was posted once.
  await frame.getByRole('link', { name: 'My integrations' }).click();
  const row = frame.locator('tbody tr').filter({ hasText: 'No seats left' });
  await row.waitFor();
  assert.equal(await row.locator('.mk-badge').textContent(), 'failed');
  const changes = (await page.evaluate(() => window.marketplaceEvents)).filter((e) => e.type === 'INSTANCE_STATUS_CHANGED');
  assert.equal(changes.length, 1);

  // A failed instance can still be deactivated.
  await frame.getByRole('link', { name: 'HubSpot' }).click();
  await frame.getByRole('button', { name: 'Deactivate' }).click();
  await frame.getByLabel('Why are you deactivating it?').selectOption('not_working');
  await frame.getByRole('button', { name: 'Yes, deactivate' }).click();
  await page.waitForFunction(() => window.marketplaceEvents.some((e) => e.type === 'INSTANCE_DEACTIVATED'));
  assert.equal((await demo.admin(`/api/v1/instances/${activated.instance_id}`)).status, 'deactivated');
  assert.deepEqual(errors, [], 'no script error or failed request');
  await page.close();
});

test('iframe marketplace: "Open" asks the launch endpoint for a link and opens it in a new tab', async () => {
  // The launch endpoint (single sign-on) is the service's; here the page's side of it, with the
  // instance list and the launch answer stubbed in the browser.
  const page = await browser.newPage();
  const opened = `${demo.hostUrl}/iframe-host/?opened=1`;
  const instance = { id: 'ins_open', customer_id: 'cus_x', integration_id: 'int_x', version: '1.0.0', name: 'Vendor app',
    status: 'active', status_message: null, account_identifier: 'acct-1', launch_url: 'https://vendor.example/launch',
    connections: [], config: {}, webhook_urls: [], created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z' };
  await page.route((url) => url.pathname === '/api/v1/embedded/instances', (route) => route.fulfill({ json: { items: [instance, { ...instance, id: 'ins_wait', name: 'Waiting app', status: 'pending' }] } }));
  const launches = [];
  await page.route('**/api/v1/embedded/instances/ins_open/launch', (route) => {
    launches.push({ method: route.request().method(), authorization: route.request().headers().authorization });
    return route.fulfill({ json: { url: opened } });
  });
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=open-co`);
  const frame = page.frameLocator('iframe');
  await frame.getByRole('link', { name: 'My integrations' }).click();
  await frame.getByRole('link', { name: 'Waiting app' }).waitFor();
  assert.equal(await frame.getByRole('button', { name: 'Open Waiting app' }).count(), 0, 'a pending instance offers Open');
  const tab = page.context().waitForEvent('page');
  await frame.getByRole('button', { name: 'Open Vendor app' }).click();
  const newTab = await tab;
  await newTab.waitForURL(opened);
  assert.equal(launches.length, 1);
  assert.equal(launches[0].method, 'POST');
  assert.match(launches[0].authorization, /^Bearer /);
  assert.equal(await newTab.evaluate(() => window.opener), null, 'the new tab has no opener');
  await page.close();
});
