// The host controls of `mountMarketplace` in Chromium, from a host page on the demo host's origin
// (an allowed origin of the demo organization: the iframe host example, its own mount replaced):
// opening straight at one integration, `navigate`, the popover mode (opened and closed by
// `open`/`close`, its close button and Escape, with onOpen/onClose and the focus back where it
// was), the iframe following its content's height (RESIZE), and ERROR when the service refuses
// the host's tokens, fails (5xx) or cannot be reached. Screenshot: target/screenshots/popover.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { integrationId, root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
let demo;
let browser;

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  demo = await startDemo();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

/**
 * Opens the iframe host example as `customer`, replaces its marketplace by one mounted with
 * `options` (plus, for the test, `getToken` from the demo's login stub, or `token` when given,
 * and every event and onOpen/onClose collected in `window.hostEvents`), and adds a button `#open`
 * that calls `open()`. (The example's own page, not one made up by the test: Chromium's local
 * network checks refuse a loopback iframe in a page that came from nowhere.)
 */
async function host(customer, options = {}, { token = null } = {}) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=${customer}`);
  await page.evaluate(async ({ customer, options, token }) => {
    const { mountMarketplace } = await import('/pkg/index.js');
    const config = (await import('/demo/config.js')).default;
    window.marketplace.dispose();
    const button = Object.assign(document.createElement('button'), { type: 'button', id: 'open', textContent: 'Integrations' });
    document.querySelector('main h1').after(button);
    window.hostEvents = [];
    window.mounted = mountMarketplace(document.getElementById('marketplace'), {
      baseUrl: config.baseUrl,
      organizationId: config.organizationId,
      getToken: async () => token ?? (await (await fetch(`/demo/token?customer=${customer}`)).json()).token,
      onEvent: (event) => window.hostEvents.push(event),
      onOpen: () => window.hostEvents.push({ type: 'open' }),
      onClose: () => window.hostEvents.push({ type: 'close' }),
      ...options,
    });
    button.addEventListener('click', () => window.mounted.open());
  }, { customer, options, token });
  return { page, errors };
}

const events = (page, type) => page.evaluate((t) => window.hostEvents.filter((e) => e.type === t), type);
const eventOf = (page, type, count = 1) => page.waitForFunction(([t, n]) => window.hostEvents.filter((e) => e.type === t).length >= n, [type, count]);

test('host controls: opens straight at one integration, navigates, and checks its options', async () => {
  const slack = await integrationId(demo, 'Slack');
  const { page, errors } = await host('deep-link-co', { view: 'integration', integrationId: slack });
  const frame = page.frameLocator('iframe');
  await frame.getByRole('heading', { level: 2, name: 'Slack' }).first().waitFor();
  await frame.getByRole('button', { name: 'Activate' }).waitFor();
  assert.equal(await frame.locator('.mk-card').count(), 0, 'the catalog was shown first');
  const [loaded] = await events(page, 'CONFIGURATION_LOADED');
  assert.deepEqual(loaded.payload, { integration_id: slack });

  await page.evaluate(() => window.mounted.navigate('instances'));
  await frame.getByRole('heading', { level: 2, name: 'My integrations' }).waitFor();
  await page.evaluate(() => window.mounted.navigate('catalog', { filters: { q: 'HubSpot' } }));
  await frame.getByRole('link', { name: 'HubSpot' }).waitFor();
  assert.equal(await frame.locator('.mk-card').count(), 1);
  assert.equal(await frame.locator('#mk-search').inputValue(), 'HubSpot');

  // Options that do not fit are refused before anything is mounted.
  const refused = await page.evaluate(async () => {
    const { mountMarketplace } = await import('/pkg/index.js');
    const base = { baseUrl: location.origin, organizationId: 'org', getToken: () => 'token' };
    const attempts = [
      () => mountMarketplace(document.body, { ...base, view: 'integration' }),
      () => mountMarketplace(document.body, { ...base, view: 'settings' }),
      () => mountMarketplace(document.body, { ...base, mode: 'modal' }),
      () => mountMarketplace(document.body, { ...base, filters: { colour: 'red' } }),
      () => window.mounted.navigate('integration', {}),
    ];
    return attempts.map((attempt) => {
      try {
        attempt();
        return 'mounted';
      } catch (error) {
        return error.name;
      }
    });
  });
  assert.deepEqual(refused, ['TypeError', 'TypeError', 'TypeError', 'TypeError', 'TypeError']);
  assert.equal(await page.locator('iframe').count(), 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('host controls: the popover opens and closes (button, Escape in the host and in the page, close()) with onOpen/onClose', async () => {
  const { page, errors } = await host('popover-co', { mode: 'popover' });
  const dialog = page.locator('dialog.mk-popover');
  const frame = page.frameLocator('dialog iframe');
  const opener = page.getByRole('button', { name: 'Integrations' });
  assert.equal(await dialog.isVisible(), false, 'the popover was open before open()');
  // The page loads while the popover is closed: opening shows it at once.
  await eventOf(page, 'MARKETPLACE_READY');

  await opener.click();
  await eventOf(page, 'open');
  await frame.getByRole('link', { name: 'Slack' }).waitFor();
  assert.equal(await dialog.isVisible(), true);
  assert.equal(await page.evaluate(() => window.mounted.isOpen), true);
  await page.waitForTimeout(300); // the iframe takes its content's height
  await page.screenshot({ path: join(screenshots, 'popover.png') });

  // 1. Escape in the host's dialog (the close button has the focus).
  await page.getByRole('button', { name: 'Close' }).focus();
  await page.keyboard.press('Escape');
  await eventOf(page, 'close');
  assert.equal(await dialog.isVisible(), false);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'open', 'the focus did not come back');

  // 2. Escape typed inside the marketplace page.
  await opener.click();
  await eventOf(page, 'open', 2);
  await frame.locator('#mk-search').click();
  await page.keyboard.press('Escape');
  await eventOf(page, 'close', 2);
  assert.equal(await dialog.isVisible(), false);

  // 3. The close button; 4. open() at a view, then close().
  await opener.click();
  await eventOf(page, 'open', 3);
  await page.getByRole('button', { name: 'Close' }).click();
  await eventOf(page, 'close', 3);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'open');
  await page.evaluate(() => window.mounted.open('instances'));
  await frame.getByRole('heading', { level: 2, name: 'My integrations' }).waitFor();
  await page.evaluate(() => window.mounted.close());
  await eventOf(page, 'close', 4);
  const sequence = (await page.evaluate(() => window.hostEvents)).map((e) => e.type).filter((t) => t === 'open' || t === 'close');
  assert.deepEqual(sequence, ['open', 'close', 'open', 'close', 'open', 'close', 'open', 'close']);
  assert.deepEqual(errors, []);
  await page.close();
});

test('host controls: the iframe follows its content height (RESIZE), unless the host fixes it', async () => {
  const sheets = await integrationId(demo, 'Google Sheets');
  const { page } = await host('resize-co');
  const frame = page.frameLocator('iframe');
  await frame.getByRole('link', { name: 'Slack' }).waitFor();
  /** The iframe's height and its content's, once they agree (a RESIZE came in). */
  const settled = async () => {
    const marketplace = page.frames().find((f) => f.url().includes('/embed/'));
    for (let i = 0; i < 50; i += 1) {
      const content = await marketplace.evaluate(() => Math.ceil(document.documentElement.getBoundingClientRect().height));
      const iframe = await page.evaluate(() => document.querySelector('iframe').getBoundingClientRect().height);
      if (Math.abs(content - iframe) <= 1) return iframe;
      await page.waitForTimeout(100);
    }
    throw new Error('the iframe did not take its content height');
  };
  const catalog = await settled();
  await frame.getByRole('link', { name: 'Google Sheets' }).click();
  await frame.getByLabel('Apps Script web app URL').waitFor();
  const detail = await settled();
  assert.notEqual(catalog, detail, `the iframe kept ${catalog}px from the catalog to the detail`);
  assert.ok(catalog > 150 && detail > 150, `${catalog}px, ${detail}px`);
  const heights = (await events(page, 'RESIZE')).map((e) => e.payload.height);
  assert.ok(heights.includes(Math.round(catalog)) && heights.includes(Math.round(detail)), heights.join());
  assert.equal(await page.evaluate(() => window.mounted.isOpen), true);
  await page.close();

  // A fixed height stays.
  const fixed = await host('resize-co', { height: '400px', view: 'integration', integrationId: sheets });
  await fixed.page.frameLocator('iframe').getByLabel('Apps Script web app URL').waitFor();
  await eventOf(fixed.page, 'RESIZE');
  assert.equal(await fixed.page.evaluate(() => document.querySelector('iframe').getBoundingClientRect().height), 400);
  await fixed.page.close();
});

test('host controls: ERROR {code: token_refused} reaches the host when the service refuses its tokens', async () => {
  const { page } = await host('refused-co', {}, { token: 'refused.by.the.service' });
  await eventOf(page, 'ERROR');
  const [error] = await events(page, 'ERROR');
  assert.equal(error.payload.code, 'token_refused');
  assert.equal(typeof error.payload.message, 'string');
  const types = (await page.evaluate(() => window.hostEvents)).map((e) => e.type).filter((t) => t !== 'RESIZE');
  assert.deepEqual(types, ['MARKETPLACE_READY', 'TOKEN_EXPIRED', 'ERROR']);
  await page.frameLocator('iframe').getByRole('alert').waitFor();
  await page.close();
});

test('host controls: ERROR {code: server_error | network_error} reaches the host when the service fails or cannot be reached', async () => {
  for (const [code, failure] of [['server_error', (route) => route.fulfill({ status: 503, json: { detail: 'down for maintenance' } })],
    ['network_error', (route) => route.abort('connectionrefused')]]) {
    const page = await browser.newPage();
    // The catalog's request fails (the page's requests go through the test's router too).
    await page.route((url) => url.pathname === '/api/v1/embedded/marketplace', failure);
    await page.goto(`${demo.hostUrl}/iframe-host/?customer=failing-co`);
    await page.evaluate(async () => {
      const { mountMarketplace } = await import('/pkg/index.js');
      const config = (await import('/demo/config.js')).default;
      window.marketplace.dispose();
      window.hostEvents = [];
      window.mounted = mountMarketplace(document.getElementById('marketplace'), {
        baseUrl: config.baseUrl,
        organizationId: config.organizationId,
        getToken: async () => (await (await fetch('/demo/token?customer=failing-co')).json()).token,
        onEvent: (event) => window.hostEvents.push(event),
      });
    });
    await eventOf(page, 'ERROR');
    const [error] = await events(page, 'ERROR');
    assert.equal(error.payload.code, code);
    if (code === 'server_error') assert.equal(error.payload.message, 'down for maintenance');
    await page.frameLocator('iframe').getByRole('alert').waitFor();
    await page.close();
  }
});
