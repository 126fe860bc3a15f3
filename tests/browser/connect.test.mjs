// OAuth2 authorization-code connections in Chromium (docs/connections.md), end to end against
// the demo's loopback provider, Orbit CRM (served by the demo host at /demo/oauth/): Globex
// activates "Orbit CRM" in the iframe, clicks Connect, approves in the provider's popup and sees
// `connected` (the host hears CONNECTION_AUTHORIZED); revokes the app's access on the provider's
// account page, a delivery is refused and the refresh gets `invalid_grant`, so the page shows
// `error` with Reconnect; a Deny in the popup reaches the host as CONNECTION_FAILED and leaves the
// status alone; Reconnect and Allow connect again. The native example (the npm package's
// `connectionsPanel`) draws Orbit CRM's form from the customer's view of its spec and connects
// the same way after a disconnect. Screenshots: target/screenshots/connect-*.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { integrationId, root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
let demo;
let browser;
/** Globex's Orbit CRM instance, made by the first test. */
let orbitInstance;

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/** Clicks `button` in the iframe, answers the provider's consent popup with `decision`
 * ('Allow' or 'Deny'), and waits for the popup to close (the callback page closes it). */
async function consent(page, button, decision, shot = null) {
  const [popup] = await Promise.all([page.waitForEvent('popup'), button.click()]);
  await popup.getByRole('heading', { name: /Allow Acme Cloud/ }).waitFor();
  if (shot) await popup.screenshot({ path: join(screenshots, shot) });
  const closed = popup.waitForEvent('close');
  await popup.getByRole('button', { name: decision }).click();
  await closed;
}

/** Triggers the instance's webhook flow and waits for its execution to finish. */
async function deliver(instanceId) {
  const instance = await demo.admin(`/api/v1/instances/${instanceId}`);
  const response = await fetch(instance.webhook_urls[0].url, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'o-1', type: 'order' }),
  });
  assert.equal(response.status, 202);
  const { execution_id: id } = await response.json();
  for (let i = 0; i < 150; i += 1) {
    const found = (await demo.admin('/api/v1/executions?limit=200')).items.find((e) => e.id === id);
    if (found?.finished_at) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`execution ${id} did not finish`);
}

test('connect in a popup, revoke at the provider, see Reconnect, deny, reconnect', async () => {
  const orbit = await integrationId(demo, 'Orbit CRM');
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=globex`);
  const frame = page.frameLocator('iframe');
  const events = (type) => page.evaluate((t) => window.marketplaceEvents.filter((e) => e.type === t), type);
  const eventOf = (type, count = 1) => page.waitForFunction(([t, n]) => window.marketplaceEvents.filter((e) => e.type === t).length >= n, [type, count]);

  await frame.getByRole('link', { name: 'Orbit CRM' }).click();
  // The vendor's app needs no input from the customer: no field for the connection.
  assert.equal(await frame.getByLabel('Orbit CRM account').count(), 0);
  await frame.getByRole('button', { name: 'Activate' }).click();
  await eventOf('INSTANCE_ACTIVATED');
  const [{ payload: { instance_id: instanceId } }] = await events('INSTANCE_ACTIVATED');
  orbitInstance = instanceId;
  assert.equal((await demo.admin(`/api/v1/instances/${instanceId}`)).integration_id, orbit);
  await frame.getByRole('link', { name: 'Manage this instance' }).click();
  const status = frame.locator('.mk-connection-status[data-key="orbit"]');
  await status.and(frame.locator('[data-status="not_connected"]')).waitFor();
  assert.equal((await demo.admin(`/api/v1/instances/${instanceId}`)).status, 'needs_configuration',
    'a required connection not connected keeps the instance waiting');

  // Connect: approve in the popup; the page shows connected, the host hears it.
  await consent(page, frame.getByRole('button', { name: 'Connect', exact: true }), 'Allow', 'connect-consent.png');
  await status.and(frame.locator('[data-status="connected"]')).waitFor();
  await eventOf('CONNECTION_AUTHORIZED');
  const [authorized] = await events('CONNECTION_AUTHORIZED');
  assert.deepEqual(authorized.payload, { instance_id: instanceId, key: 'orbit', status: 'connected' });
  assert.equal((await demo.admin(`/api/v1/instances/${instanceId}`)).status, 'active');
  await page.screenshot({ path: join(screenshots, 'connect-connected.png'), fullPage: true });
  const delivered = await deliver(instanceId);
  assert.equal(delivered.status, 'succeeded', JSON.stringify(delivered));

  // The user revokes the app at the provider: the next delivery is refused (401), the forced
  // refresh gets invalid_grant, and the connection is in error with Reconnect.
  const account = await browser.newPage();
  await account.goto(`${demo.hostUrl}/demo/oauth/`);
  await account.getByRole('button', { name: 'Revoke access' }).click();
  await account.getByText('No connected apps.').waitFor();
  await account.close();
  const refused = await deliver(instanceId);
  assert.equal(refused.status, 'failed', JSON.stringify(refused));
  await page.evaluate(() => window.marketplace.navigate('instances'));
  await frame.getByRole('link', { name: /Orbit CRM/ }).first().click();
  await status.and(frame.locator('[data-status="error"]')).waitFor();
  const reconnect = frame.getByRole('button', { name: 'Reconnect' });
  await reconnect.waitFor();
  await page.screenshot({ path: join(screenshots, 'connect-reconnect.png'), fullPage: true });

  // Deny: the host hears CONNECTION_FAILED, the page says why, the status stays.
  await consent(page, reconnect, 'Deny');
  await eventOf('CONNECTION_FAILED');
  const [failed] = await events('CONNECTION_FAILED');
  assert.equal(failed.payload.error, 'access_denied');
  assert.equal(failed.payload.key, 'orbit');
  await frame.getByRole('alert').filter({ hasText: 'denied access' }).waitFor();
  assert.equal(await status.getAttribute('data-status'), 'error');

  // Reconnect and allow: connected again, and deliveries go through.
  await consent(page, reconnect, 'Allow');
  await status.and(frame.locator('[data-status="connected"]')).waitFor();
  await eventOf('CONNECTION_AUTHORIZED', 2);
  assert.equal((await deliver(instanceId)).status, 'succeeded');
  assert.deepEqual(errors, []);
  await page.close();
});

test('the native example draws the form of the customer\'s view of the spec and connects in a popup, after a disconnect', async () => {
  assert.ok(orbitInstance, 'the first test made the instance');
  const disconnected = await fetch(`${demo.serviceUrl}/api/v1/instances/${orbitInstance}/connections/orbit`, {
    method: 'DELETE', headers: { authorization: `Bearer ${demo.apiKey}` },
  });
  assert.equal(disconnected.status, 204);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  // The detail's spec (the customer's view: the app's organization variables left out)
  // compiles in the package: the form is drawn, with no input for the connection.
  const orbit = await integrationId(demo, 'Orbit CRM');
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?customer=globex#/integration/${orbit}`);
  await page.getByLabel('Pipeline').waitFor();
  assert.equal(await page.getByLabel('Orbit CRM account').count(), 0);
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?customer=globex#/instance/${orbitInstance}`);
  const status = page.locator('.mk-connection-status[data-key="orbit"]');
  await status.and(page.locator('[data-status="not_connected"]')).waitFor();
  await page.getByLabel('Pipeline').waitFor(); // the reconfigure form
  await consent(page, page.getByRole('button', { name: 'Connect', exact: true }), 'Allow');
  await status.and(page.locator('[data-status="connected"]')).waitFor();
  const instance = await demo.admin(`/api/v1/instances/${orbitInstance}`);
  assert.equal(instance.connections[0].status, 'connected');
  await page.screenshot({ path: join(screenshots, 'connect-native.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
