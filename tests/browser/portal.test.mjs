// The customer portal in a real browser, with real email: the vendor invites a customer user
// through the admin API; the service sends the invitation over SMTP to aiosmtpd (a real SMTP
// server on loopback, from the Python tools that `cargo xtask test` installs); the test reads
// the link from the received message and opens it in Chromium: set a password, land in the
// catalog signed in, activate an integration, invite a colleague (emailed too), upload and
// download an attachment, sign out, sign in again; then five wrong passwords lock the email and the page says so. Screenshots:
// target/screenshots/portal-{set-password,users,attachments,sign-in,locked}.png.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from './chromium.mjs';
import { freePort, root, startDemo } from '../support/demo-server.mjs';

const screenshots = join(root, 'target/screenshots');
const PASSWORD = 'correct horse battery staple';
let demo;
let browser;
let smtp;

/** aiosmtpd on a free loopback port, storing messages in a Maildir. */
async function startSmtp() {
  const venv = process.env.MARKETPLACE_TEST_SMTP_PY;
  assert.ok(venv, 'MARKETPLACE_TEST_SMTP_PY names the Python tools (cargo xtask test sets it)');
  const dir = mkdtempSync(join(tmpdir(), 'marketplace-smtp-'));
  const port = await freePort();
  const child = spawn(join(venv, 'bin/python3'), ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', join(dir, 'maildir')], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; ; i += 1) {
    const up = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    if (i > 100) throw new Error('aiosmtpd did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  /** The raw messages received so far. */
  const messages = () => {
    const folder = join(dir, 'maildir/new');
    try {
      return readdirSync(folder).map((name) => readFileSync(join(folder, name), 'utf8'));
    } catch {
      return [];
    }
  };
  const stop = () => { child.kill(); rmSync(dir, { recursive: true, force: true }); };
  return { url: `smtp://127.0.0.1:${port}`, messages, stop };
}

/** The text of a message's body, undoing quoted-printable soft line breaks and escapes. */
function bodyText(raw) {
  const body = raw.slice(raw.indexOf('\n\n') + 2 || raw.indexOf('\r\n\r\n') + 4);
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(raw)) return body;
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  smtp = await startSmtp();
  demo = await startDemo({ env: { MARKETPLACE_SMTP_URL: smtp.url, MARKETPLACE_SMTP_FROM: 'Demo Vendor <vendor@example.com>' } });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  smtp?.stop();
});

/** Fails the test on any console error of the page. */
function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => { if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) errors.push(message.text()); });
  return errors;
}

test('portal: an emailed invitation sets a password, the user activates, sees users and attachments, signs out and in; wrong passwords lock', async () => {
  const customer = await demo.admin('/api/v1/customers', { method: 'POST', body: JSON.stringify({ name: 'Portal Co', external_id: 'portal-co' }) });
  const email = 'ada@portal-co.example';
  const invitation = await demo.admin(`/api/v1/customers/${customer.id}/invitations`, { method: 'POST', body: JSON.stringify({ email, name: 'Ada', role: 'admin' }) });
  assert.match(invitation.accept_url, new RegExp(`/portal/${demo.organizationId}/accept#token=`));

  // The email arrives over SMTP with the same link.
  let raw;
  for (let i = 0; i < 100 && !raw; i += 1) {
    raw = smtp.messages().find((m) => m.includes(email));
    if (!raw) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(raw, 'the invitation email reached the SMTP server');
  const link = bodyText(raw).match(/https?:\/\/\S+accept#token=[\w-]+/)?.[0];
  assert.equal(link, invitation.accept_url);

  const page = await browser.newPage();
  const errors = watchErrors(page);
  try {
    await journey(page, link, email, customer);
  } catch (error) {
    await page.screenshot({ path: join(screenshots, 'portal-failure.png'), fullPage: true }).catch(() => null);
    throw new Error(`${error.message}\npage errors: ${errors.join(' | ')}\npage text: ${await page.locator('main').innerText().catch(() => '?')}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

/** The customer's journey in the portal, from the emailed link to the lockout. */
async function journey(page, link, email, customer) {
  await page.goto(link);
  await page.getByRole('heading', { name: 'Set your password' }).waitFor();
  assert.ok(!page.url().includes('token='), `the token left the address bar: ${page.url()}`);
  await page.getByLabel('Password', { exact: true }).fill('too short');
  await page.getByLabel('Repeat the password').fill('too short');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /12/ }).waitFor();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.screenshot({ path: join(screenshots, 'portal-set-password.png'), fullPage: true });
  await page.getByRole('button', { name: 'Set password and sign in' }).click();

  // Signed in: the catalog, with the account bar; activate HubSpot.
  await page.getByRole('link', { name: 'HubSpot' }).waitFor();
  await page.getByText('Ada · Portal Co').waitFor();
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === 'mp_session');
  assert.ok(session && session.httpOnly && session.secure && session.sameSite === 'Strict', JSON.stringify(cookies));
  await page.getByRole('link', { name: 'HubSpot' }).click();
  await page.getByLabel('Portal ID').fill('7654321');
  await page.getByLabel('Private app token').fill('pat-portal');
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByRole('status').filter({ hasText: 'is active' }).waitFor();
  const instances = await demo.admin(`/api/v1/instances?customer_id=${customer.id}`);
  assert.equal(instances.items.length, 1);
  assert.equal(instances.items[0].status, 'active');

  // Users: Ada, with her last sign-in.
  await page.getByRole('link', { name: 'Users' }).click();
  await page.getByRole('cell', { name: email }).waitFor();
  // Ada (an admin) invites Bob from the portal: the email goes out too.
  const bob = 'bob@portal-co.example';
  await page.getByLabel('Email', { exact: true }).fill(bob);
  await page.getByLabel('Name', { exact: true }).fill('Bob');
  await page.getByRole('button', { name: 'Invite' }).click();
  await page.getByRole('status').filter({ hasText: `Invitation sent to ${bob}.` }).waitFor();
  await page.getByRole('cell', { name: bob, exact: true }).waitFor();
  for (let i = 0; i < 100 && !smtp.messages().some((m) => m.includes(bob)); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(smtp.messages().some((m) => m.includes(bob)), "Bob's invitation email reached the SMTP server");
  await page.screenshot({ path: join(screenshots, 'portal-users.png'), fullPage: true });

  // Attachments: upload a CSV, find it, download it.
  await page.getByRole('link', { name: 'Attachments' }).click();
  await page.getByRole('heading', { name: 'Attachments' }).waitFor();
  await page.getByLabel('File to upload', { exact: true }).setInputFiles({ name: 'orders.csv', mimeType: 'text/csv', buffer: Buffer.from('id,total\n1,42\n') });
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.getByRole('button', { name: 'Download orders.csv' }).waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download orders.csv' }).click()]);
  assert.equal(download.suggestedFilename(), 'orders.csv');
  await page.screenshot({ path: join(screenshots, 'portal-attachments.png'), fullPage: true });

  // Sign out, then in again.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.ok(!(await page.context().cookies()).some((c) => c.name === 'mp_session' && c.value), 'the cookie is cleared');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.screenshot({ path: join(screenshots, 'portal-sign-in.png'), fullPage: true });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'My integrations' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();

  // Five wrong passwords, then the lockout message, even with the right one.
  for (let i = 0; i < 5; i += 1) {
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Password', { exact: true }).fill(`wrong password ${i}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();
  }
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: /Too many failed sign-ins. Try again in 1[45] minutes./ }).waitFor();
  await page.screenshot({ path: join(screenshots, 'portal-locked.png'), fullPage: true });
}
