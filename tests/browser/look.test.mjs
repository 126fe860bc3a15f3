// The catalog's look and feedback in Chromium, in the iframe page (and the native example, which
// is drawn by the same pieces): listing icons drawn (their initials when an icon fails), category
// chips filtering, the empty state clearing its filters, arrow keys moving between cards and
// Enter opening one, the detail's overview beside its form on a wide screen, German strings and
// formats with `?lang=de`, and a Retry after a failed load. Screenshots in target/screenshots/:
// look-catalog.png, look-catalog-dark.png, look-catalog-de.png, look-detail.png,
// look-native.png.
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

/** The host page with the iframe marketplace for `customer`, wide enough for the detail's two
 * columns; `lang` is added to the iframe's URL (as `mountMarketplace` does with its option). */
async function host(customer, { lang = null, setup = null } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  // CSP violations too (an icon's size set as a `style` attribute would be one).
  page.on('console', (message) => { if (message.type() === 'error' && /Content Security Policy/.test(message.text())) failures.push(message.text()); });
  await setup?.(page);
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=${customer}`);
  if (lang) {
    await page.evaluate((lang) => {
      const iframe = document.querySelector('iframe');
      const src = new URL(iframe.src);
      src.searchParams.set('lang', lang);
      iframe.src = src.href;
    }, lang);
  }
  await page.locator('iframe').evaluate((iframe) => { iframe.style.height = '860px'; });
  const frame = page.frameLocator('iframe');
  return { page, frame, failures };
}

const cardNames = (frame) => frame.locator('.mk-card h3').allTextContents();

test('catalog: icons drawn (initials when one fails), chips filter, the empty state clears the filters', async () => {
  // Slack's icon (uploaded by the demo, served by the service) fails to load here: its card shows
  // its initials instead.
  const slackIntegration = await demo.admin(`/api/v1/integrations/${await integrationId(demo, 'Slack')}`);
  assert.match(slackIntegration.icon_url, /\/icons\/[0-9a-f]{64}\.svg$/);
  const { page, frame, failures } = await host('look-co', {
    setup: (page) => page.route(slackIntegration.icon_url, (route) => route.abort()),
  });
  const cards = frame.locator('.mk-card');
  await cards.first().waitFor();
  const all = await cardNames(frame);
  assert.ok(all.length >= 8, all.join());

  const sheets = frame.locator('.mk-card', { hasText: 'Google Sheets' }).locator('img.mk-icon');
  await sheets.waitFor();
  assert.equal(await sheets.getAttribute('alt'), 'Google Sheets icon');
  assert.equal(await sheets.getAttribute('loading'), 'lazy');
  await frame.locator('.mk-card', { hasText: 'Google Sheets' }).locator('img.mk-icon').evaluate((img) => img.complete || new Promise((resolve) => img.addEventListener('load', resolve)));
  assert.ok(await sheets.evaluate((img) => img.naturalWidth > 0), 'the icon was drawn');
  const box = await sheets.boundingBox();
  assert.equal(Math.round(box.width), 40);
  const slack = frame.locator('.mk-card', { hasText: 'Slack' }).locator('.mk-icon-initials');
  await slack.waitFor();
  assert.equal(await slack.textContent(), 'S');
  await page.screenshot({ path: join(screenshots, 'look-catalog.png'), fullPage: true });

  // The chips: the catalog's categories, one pressed at a time; a click filters.
  const chips = frame.locator('.mk-chip');
  const categories = await chips.evaluateAll((nodes) => nodes.map((n) => n.dataset.category));
  assert.equal(categories[0], '', '"All" comes first');
  assert.ok(categories.includes('crm'), categories.join());
  await frame.locator('.mk-chip[data-category="crm"]').click();
  await frame.locator('.mk-chip[data-category="crm"][aria-pressed="true"]').waitFor();
  const crm = await cards.locator('.mk-tag').allTextContents();
  assert.ok(crm.length > 0 && crm.length < all.length, crm.join());
  assert.ok(crm.every((c) => c === 'crm'), crm.join());
  await frame.getByRole('button', { name: 'All', exact: true }).click();
  await frame.locator('.mk-chip[data-category=""][aria-pressed="true"]').waitFor();
  await cards.nth(all.length - 1).waitFor();

  // Nothing matches: the empty state, whose button clears the filters.
  await frame.getByLabel('Search').fill('no such integration');
  await frame.getByRole('button', { name: 'Filter', exact: true }).click();
  await frame.getByText('No integrations match').waitFor();
  assert.equal(await cards.count(), 0);
  await frame.getByRole('button', { name: 'Clear filters' }).click();
  await cards.nth(all.length - 1).waitFor();
  assert.equal(await frame.getByLabel('Search').inputValue(), '');

  // The dark theme, from the host.
  await page.evaluate(() => window.marketplace.setTheme({ theme: 'dark' }));
  await page.frames().find((f) => f.url().includes('/embed/')).waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.screenshot({ path: join(screenshots, 'look-catalog-dark.png'), fullPage: true });
  assert.deepEqual(failures, []);
  await page.close();
});

test('catalog: arrow keys move between cards, Enter opens one; the detail puts the overview beside the form', async () => {
  const { page, frame, failures } = await host('keys-co');
  const cards = frame.locator('.mk-card');
  await cards.first().waitFor();
  const ids = await cards.evaluateAll((nodes) => nodes.map((n) => n.dataset.integrationId));
  const focused = () => frame.locator('.mk-card:focus').getAttribute('data-integration-id');
  // One card in the tab order: the first.
  assert.deepEqual(await cards.evaluateAll((nodes) => nodes.map((n) => n.tabIndex)), ids.map((_, i) => (i === 0 ? 0 : -1)));
  await cards.first().focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), ids[1]);
  await page.keyboard.press('ArrowRight');
  assert.equal(await focused(), ids[2]);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await focused(), ids[1]);
  // Down: the card below, a row of the grid further.
  const columns = await cards.evaluateAll((nodes) => nodes.filter((n) => n.offsetTop === nodes[0].offsetTop).length);
  assert.ok(columns > 1, `${columns} columns`);
  await page.keyboard.press('ArrowDown');
  assert.equal(await focused(), ids[Math.min(1 + columns, ids.length - 1)]);
  await page.keyboard.press('End');
  assert.equal(await focused(), ids[ids.length - 1]);
  await page.keyboard.press('Home');
  assert.equal(await focused(), ids[0]);
  assert.equal(await cards.first().getAttribute('tabindex'), '0');
  const name = await cards.first().locator('h3').textContent();
  await page.keyboard.press('Enter');
  await frame.locator('.mk-detail-head').getByRole('heading', { level: 2, name }).waitFor();

  // The detail: the overview and the form side by side.
  const main = await frame.locator('.mk-detail-main').boundingBox();
  const side = await frame.locator('.mk-detail-side').boundingBox();
  assert.ok(side.x >= main.x + main.width - 1, `form beside the overview: ${JSON.stringify({ main, side })}`);
  assert.ok(Math.abs(side.y - main.y) < 2, 'both columns start together');
  assert.ok(await frame.locator('.mk-detail-main .mk-overview').count() === 1);
  assert.ok(await frame.locator('.mk-detail-side form.mk-activate').count() === 1);
  await frame.locator('.mk-detail-head .mk-icon').waitFor();
  await page.screenshot({ path: join(screenshots, 'look-detail.png'), fullPage: true });
  assert.deepEqual(failures, []);
  await page.close();
});

test('German strings, dates and field errors with ?lang=de', async () => {
  const { page, frame, failures } = await host('de-co', { lang: 'de' });
  await frame.getByRole('heading', { name: 'Integrationen' }).waitFor();
  assert.equal(await frame.locator('html').getAttribute('lang'), 'de');
  await frame.getByRole('link', { name: 'Meine Integrationen' }).waitFor();
  await frame.getByRole('button', { name: 'Filtern', exact: true }).waitFor();
  assert.equal(await frame.locator('.mk-chip[data-category=""]').textContent(), 'Alle');
  assert.equal(await frame.getByLabel('Stufe', { exact: true }).locator('option').first().textContent(), 'Jede Stufe');
  await page.screenshot({ path: join(screenshots, 'look-catalog-de.png'), fullPage: true });

  await frame.getByLabel('Suche').fill('nichts dergleichen');
  await frame.getByRole('button', { name: 'Filtern', exact: true }).click();
  await frame.getByText('Keine passenden Integrationen').waitFor();
  await frame.getByRole('button', { name: 'Filter zurücksetzen' }).click();

  // A field error from the service, phrased in German from its code.
  await frame.getByRole('link', { name: 'Google Sheets' }).click();
  const url = frame.getByLabel('Apps Script web app URL');
  await url.fill('keine url');
  await url.blur();
  const error = frame.locator('.mk-field[data-key="sheet_url"] .mk-error');
  await error.waitFor({ state: 'visible' });
  assert.equal(await error.textContent(), 'Geben Sie eine absolute http(s)-URL ein.');
  assert.equal(await frame.locator('.mk-detail-side > form.mk-activate > button[type="submit"]').textContent(), 'Aktivieren');
  assert.deepEqual(failures, []);
  await page.close();
});

test('a failed load shows the error inline with a Retry that loads it again; "Show more" too', async () => {
  let failing = true;
  const { page, frame, failures } = await host('retry-co', {
    setup: (page) => page.route((url) => url.pathname === '/api/v1/embedded/marketplace', (route) => {
      const url = new URL(route.request().url());
      if (failing) return route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Unavailable', status: 503, detail: 'the catalog is resting' }) });
      // Pages of 3, to page with "Show more"; the second page fails once.
      url.searchParams.set('limit', '3');
      if (url.searchParams.has('cursor') && !page.failedMore) {
        page.failedMore = true;
        return route.fulfill({ status: 503, contentType: 'application/problem+json', body: JSON.stringify({ title: 'Unavailable', status: 503, detail: 'the next page is resting' }) });
      }
      return route.continue({ url: url.href });
    }),
  });
  const alert = frame.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.textContent(), /Something went wrong\. the catalog is resting/);
  failing = false;
  await alert.getByRole('button', { name: 'Retry' }).click();
  const cards = frame.locator('.mk-card');
  await cards.first().waitFor();
  assert.equal(await cards.count(), 3);

  const more = frame.getByRole('button', { name: 'Show more' });
  await more.click();
  const moreError = frame.locator('.mk-more').getByRole('alert');
  await moreError.waitFor();
  assert.match(await moreError.textContent(), /the next page is resting/);
  assert.equal(await more.isEnabled(), true, 'the button is back once the request ended');
  await moreError.getByRole('button', { name: 'Retry' }).click();
  await cards.nth(5).waitFor();
  assert.equal(await moreError.count(), 0);
  assert.deepEqual(failures, []);
  await page.close();
});

test('a button waits for its request: disabled and busy while it runs', async () => {
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  const { page, frame, failures } = await host('busy-co', {
    setup: (page) => page.route((url) => url.pathname === '/api/v1/embedded/instances', async (route) => {
      if (route.request().method() === 'POST') await held;
      return route.continue();
    }),
  });
  await frame.getByRole('link', { name: 'HubSpot' }).click();
  await frame.getByLabel('Portal ID').fill('7654321');
  await frame.getByLabel('Private app token').fill('pat-secret-3');
  const activate = frame.locator('.mk-detail-side > form.mk-activate > button[type="submit"]');
  await activate.click();
  await frame.locator('.mk-detail-side > form.mk-activate > button[type="submit"][aria-busy="true"]').waitFor();
  assert.equal(await activate.isDisabled(), true);
  assert.equal(await activate.textContent(), 'Activating…');
  release();
  await frame.getByRole('status').filter({ hasText: 'is active' }).waitFor();
  assert.equal(await activate.isDisabled(), true, 'activated: not twice');
  assert.equal(await activate.textContent(), 'Activate');
  assert.deepEqual(failures, []);
  await page.close();
});

test('the native example is drawn by the same pieces and stylesheet', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?customer=native-look-co#/`);
  await page.locator('.mk-card img.mk-icon').first().waitFor();
  assert.equal(await page.locator('.mk-chip[data-category=""]').getAttribute('aria-pressed'), 'true');
  const accent = await page.locator('.mk-root').evaluate((node) => getComputedStyle(node).getPropertyValue('--mk-accent').trim());
  assert.equal(accent, '#7c3aed', "the host's theme of the package's stylesheet");
  await page.locator('.mk-chip[data-category="crm"]').click();
  await page.locator('.mk-chip[data-category="crm"][aria-pressed="true"]').waitFor();
  assert.ok((await page.locator('.mk-card .mk-tag').allTextContents()).every((c) => c === 'crm'));
  await page.screenshot({ path: join(screenshots, 'look-native.png'), fullPage: true });
  await page.goto(`${demo.hostUrl}/js-native-marketplace/?customer=native-look-co&lang=de#/`);
  await page.getByRole('heading', { name: 'Integrationen' }).waitFor();
  await page.getByRole('link', { name: 'Meine Integrationen' }).waitFor();
  assert.deepEqual(failures, []);
  await page.close();
});
