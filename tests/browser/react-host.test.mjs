// The React host example (`examples/react-host`, bundled by the browser step) in Chromium against
// the demo: the marketplace inline through `useMarketplace`, the side panel drawn from the
// embedded API through `useMarketplaceClient`, and a listing of that panel opened in the
// popover. Screenshot: target/screenshots/react-host.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { root, startDemo } from '../support/demo-server.mjs';

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

test('React host: the catalog inline (useMarketplace), the client panel (useMarketplaceClient), a listing in the popover', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(`${demo.hostUrl}/react-host/?customer=react-co`);
  const inline = page.frameLocator('.marketplace iframe');
  await inline.getByRole('link', { name: 'Slack' }).waitFor();
  await inline.getByRole('link', { name: 'HubSpot' }).waitFor();
  // The client's catalog, drawn by React.
  const setUp = page.getByRole('button', { name: 'Set up HubSpot' });
  await setUp.waitFor();
  await page.getByRole('list', { name: 'Events' }).getByText('MARKETPLACE_READY').first().waitFor();
  await page.screenshot({ path: join(screenshots, 'react-host.png'), fullPage: true });

  await setUp.click();
  const dialog = page.locator('dialog.mk-popover');
  await dialog.waitFor({ state: 'visible' });
  const popover = page.frameLocator('dialog iframe');
  await popover.getByRole('heading', { level: 2, name: 'HubSpot' }).first().waitFor();
  await popover.getByLabel('Portal ID').waitFor();
  await page.getByRole('list', { name: 'Events' }).getByText('CONFIGURATION_LOADED').waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.deepEqual(errors, []);
  await page.close();
});
