// Commerce in a real browser (Debian's Chromium, driven by playwright-core): the catalog's
// cards show each listing's price; a customer of the iframe marketplace activates a paid
// listing, is asked for a review and posts one, is refused a deactivation without a reason and
// deactivates with one, comes back (a second subscription), and is asked for a follow-up, which
// it posts. Every step is checked through the admin API. Screenshot:
// target/screenshots/detail-reviews.png.
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

/** Subscribes through the iframe: Salesforce's detail, its form filled, Activate. */
async function activateSalesforce(frame) {
  await frame.getByRole('link', { name: 'Marketplace', exact: true }).click();
  await frame.getByRole('link', { name: 'Salesforce', exact: true }).click();
  await frame.getByLabel('Instance URL').fill('https://acme.my.salesforce.com');
  await frame.getByLabel('token URL').fill('https://login.example.com/token');
  await frame.getByLabel('client id').fill('sf-client');
  await frame.getByLabel('client secret').fill('sf-secret');
  await frame.getByRole('button', { name: 'Activate', exact: true }).click();
  await frame.getByText('Salesforce is active.').waitFor();
}

/** Salesforce's detail, opened again from the catalog. */
async function openSalesforce(frame) {
  await frame.getByRole('link', { name: 'Marketplace', exact: true }).click();
  await frame.getByRole('link', { name: 'Salesforce', exact: true }).click();
  await frame.getByRole('region', { name: 'Reviews' }).waitFor();
}

test('iframe: prices on the cards; a customer reviews, cancels with a reason, re-subscribes and is prompted for a follow-up', async () => {
  const page = await browser.newPage();
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  page.on('response', (response) => { if (response.status() >= 400) failures.push(`${response.status()} ${response.url()}`); });
  const salesforce = await integrationId(demo, 'Salesforce');
  const sap = await integrationId(demo, 'SAP S/4HANA');
  const slack = await integrationId(demo, 'Slack');
  await page.goto(`${demo.hostUrl}/iframe-host/?customer=review-co`);
  const frame = page.frameLocator('iframe');
  const price = (id) => frame.locator(`.mk-card[data-integration-id="${id}"] .mk-price`).textContent();
  await frame.locator(`.mk-card[data-integration-id="${salesforce}"]`).waitFor();
  assert.equal(await price(salesforce), '$29.00 / month');
  assert.equal(await price(sap), '€99.50 / month + €499.00 once');
  assert.equal(await price(slack), 'Free');

  // Subscribed: the detail asks for a review, which is posted.
  await activateSalesforce(frame);
  await openSalesforce(frame);
  const form = frame.getByRole('form', { name: /how is it going/ });
  await form.waitFor();
  await form.getByLabel('2 ★').check();
  await form.getByLabel('Your review').fill('The nightly sync stalls.');
  await form.getByRole('button', { name: 'Post review' }).click();
  const own = frame.locator('.mk-review', { hasText: 'By you' });
  await own.waitFor();
  assert.equal(await own.locator('.mk-stars').getAttribute('aria-label'), '2 out of 5 stars');
  assert.equal(await frame.locator('.mk-review-form').count(), 0, 'no prompt once reviewed');
  const reviews = (await demo.admin(`/api/v1/reviews?integration_id=${salesforce}`)).items;
  assert.equal(reviews.length, 1);
  const customer = reviews[0].customer_id;
  assert.deepEqual([reviews[0].rating, reviews[0].text, reviews[0].negative], [2, 'The nightly sync stalls.', true]);

  // Deactivation: refused without a reason (the service's field error beside the picker),
  // then done with one.
  await frame.getByRole('link', { name: 'My integrations' }).click();
  await frame.getByRole('link', { name: 'Salesforce', exact: true }).click();
  await frame.getByRole('button', { name: 'Deactivate' }).click();
  await frame.getByRole('button', { name: 'Yes, deactivate' }).click();
  const refused = frame.locator('.mk-cancellation .mk-errors li[data-path="/reason"]');
  await refused.waitFor();
  assert.equal(await refused.getAttribute('data-code'), 'required');
  await frame.getByLabel('Why are you deactivating it?').selectOption('too_expensive');
  await frame.getByLabel('Anything to add? (optional)').fill('Over our budget this year');
  await frame.getByRole('button', { name: 'Yes, deactivate' }).click();
  await page.waitForFunction(() => window.marketplaceEvents.some((e) => e.type === 'INSTANCE_DEACTIVATED'));
  let subscriptions = (await demo.admin(`/api/v1/subscriptions?customer_id=${customer}`)).items;
  assert.equal(subscriptions.length, 1);
  assert.equal(subscriptions[0].status, 'cancelled');
  assert.equal(subscriptions[0].cancelled_by, 'customer');
  assert.deepEqual(subscriptions[0].cancellation, { reason: 'too_expensive', comment: 'Over our budget this year' });
  assert.deepEqual(subscriptions[0].pricing, { currency: 'USD', up_front: '0.00', monthly: '29.00' });

  // Back again: a returning subscription, and the detail asks for a follow-up.
  await activateSalesforce(frame);
  subscriptions = (await demo.admin(`/api/v1/subscriptions?customer_id=${customer}`)).items;
  assert.deepEqual(subscriptions.map((s) => [s.status, s.returning]), [['cancelled', false], ['active', true]]);
  await openSalesforce(frame);
  const followUp = frame.getByRole('form', { name: /Welcome back/ });
  await followUp.waitFor();
  await followUp.getByLabel('What changed since you came back?').fill('Fixed by their support.');
  await followUp.getByRole('button', { name: 'Post follow-up' }).click();
  await own.filter({ hasText: 'Fixed by their support.' }).waitFor();
  const [review] = (await demo.admin(`/api/v1/reviews?integration_id=${salesforce}`)).items;
  assert.deepEqual([review.returned, review.follow_up], [true, 'Fixed by their support.']);
  assert.equal(await frame.locator('.mk-review-form').count(), 0, 'no prompt after the follow-up');

  await page.setViewportSize({ width: 1280, height: 2000 });
  await page.screenshot({ path: join(screenshots, 'detail-reviews.png'), fullPage: true });
  // The one refusal the test asked for is the only failed request.
  assert.deepEqual(failures.filter((f) => !/^422 .*\/deactivate$/.test(f)), []);
  assert.equal(failures.length, 1, failures.join('\n'));
  await page.close();
});
