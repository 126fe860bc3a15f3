// The package's `Marketplace` client under Node against the real service (`marketplace-server
// demo` on loopback ports, started here): every method, local validation before any request,
// token refresh after a 401, and the service's problems as `MarketplaceError`s.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { integrationId, startDemo } from '../../../tests/support/demo-server.mjs';

const { Marketplace, tokenExpiry } = await import('../pkg/node.js');

let demo;
before(async () => { demo = await startDemo(); });
after(async () => { await demo?.stop(); });

/** A fetch wrapper counting the requests sent to the service. */
function countingFetch() {
  const sent = [];
  const original = globalThis.fetch;
  globalThis.fetch = (url, init) => {
    sent.push(`${init?.method ?? 'GET'} ${url}`);
    return original(url, init);
  };
  return { sent, restore: () => { globalThis.fetch = original; } };
}

test('every method, end to end, with the token from getToken', async () => {
  const client = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-client-co') });
  const catalog = await client.catalog();
  assert.equal(catalog.items.length, 9);
  const filtered = await client.catalog({ category: 'crm', limit: 1 });
  assert.equal(filtered.items.length, 1);
  assert.equal(filtered.items[0].category, 'crm');
  assert.ok(filtered.next_cursor);
  const second = await client.catalog({ category: 'crm', limit: 1, cursor: filtered.next_cursor });
  assert.notEqual(second.items[0].integration_id, filtered.items[0].integration_id);

  const slack = await integrationId(demo, 'Slack');
  const detail = await client.integration(slack);
  assert.equal(detail.name, 'Slack');
  assert.ok(detail.overview_html.includes('<'));
  assert.deepEqual(detail.flows, ['events', 'manual_sync']);
  assert.deepEqual(await client.validate(slack, { webhook_url: 'nope' }),
    { valid: false, errors: [{ path: '/webhook_url', code: 'format', message: (await client.validate(slack, { webhook_url: 'nope' })).errors[0].message }] });

  const config = { webhook_url: 'https://hooks.example.com/T1', channel: '#orders' };
  const instance = await client.activate(slack, config, { name: 'Orders to Slack', idempotencyKey: 'js-1' });
  assert.equal(instance.name, 'Orders to Slack');
  assert.equal(instance.status, 'active');
  assert.deepEqual(instance.webhook_urls.map((w) => w.flow), ['events']);
  assert.match(instance.webhook_urls[0].url, new RegExp(`^${demo.serviceUrl}/webhooks/`));
  const replay = await client.activate(slack, config, { name: 'Orders to Slack', idempotencyKey: 'js-1' });
  assert.equal(replay.id, instance.id);

  assert.deepEqual((await client.instances()).items.map((i) => i.id), [instance.id]);
  assert.equal((await client.instance(instance.id)).id, instance.id);
  const renamed = await client.reconfigure(instance.id, { name: 'Renamed', config: { ...config, channel: '#sales' } });
  assert.equal(renamed.name, 'Renamed');
  assert.equal(renamed.config.channel, '#sales');
  assert.equal((await client.pause(instance.id)).status, 'paused');
  assert.equal((await client.resume(instance.id)).status, 'active');
  const execution = await client.test(instance.id, { flow: 'manual_sync', input: { id: 1 } });
  assert.equal(execution.instance_id, instance.id);
  assert.equal(execution.trigger, 'test');
  assert.ok((await client.executions(instance.id)).items.some((e) => e.id === execution.id));
  const logs = await client.logs(instance.id, { limit: 1 });
  assert.equal(logs.items.length, 1);
  assert.ok(logs.next_cursor);
  assert.equal((await client.deactivate(instance.id)).status, 'deactivated');
});

test('subscriptions, reviews and a deactivation with its reason', async () => {
  const client = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-commerce-co') });
  const salesforce = await integrationId(demo, 'Salesforce');
  const config = { instance_url: 'https://acme.my.salesforce.com', auth: { token_url: 'https://login.example.com/token', client_id: 'id', client_secret: 'cs' } };
  const first = await client.activate(salesforce, config);
  assert.equal((await client.integration(salesforce)).review_prompt, 'review');
  const review = await client.review(salesforce, { rating: 4, text: 'Works well' });
  assert.equal(review.mine, true);
  assert.deepEqual((await client.reviews(salesforce)).items.map((r) => [r.id, r.mine]), [[review.id, true]]);

  await assert.rejects(client.deactivate(first.id, { reason: 'bored' }),
    (error) => error.status === 422 && error.errors[0].path === '/reason' && error.errors[0].code === 'option');
  assert.equal((await client.deactivate(first.id, { reason: 'missing_features', comment: 'No leads' })).status, 'deactivated');
  const [ended] = (await client.subscriptions()).items;
  assert.equal(ended.status, 'cancelled');
  assert.deepEqual(ended.cancellation, { reason: 'missing_features', comment: 'No leads' });
  assert.deepEqual(ended.pricing, { currency: 'USD', up_front: '0.00', monthly: '29.00' });

  await client.activate(salesforce, config);
  assert.equal((await client.integration(salesforce)).review_prompt, 'follow_up');
  const edited = await client.editReview(review.id, { follow_up: 'Leads came' });
  assert.equal(edited.follow_up, 'Leads came');
  assert.equal((await client.integration(salesforce)).review_prompt, null);
  assert.deepEqual((await client.subscriptions()).items.map((s) => s.returning), [false, true]);
});

test('invalid values fail locally: a MarketplaceError and no write sent', async () => {
  const client = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-local-co') });
  const slack = await integrationId(demo, 'Slack');
  await client.integration(slack);
  const counter = countingFetch();
  try {
    await assert.rejects(client.activate(slack, { webhook_url: 'not a url', mention_here: 'yes' }), (error) => {
      assert.equal(error.name, 'MarketplaceError');
      assert.equal(error.code, 'validation_failed');
      assert.equal(error.status, 0);
      assert.deepEqual(error.errors.map((e) => [e.path, e.code]).sort(), [['/mention_here', 'type'], ['/webhook_url', 'format']]);
      return true;
    });
  } finally {
    counter.restore();
  }
  assert.ok(!counter.sent.some((line) => line.startsWith('POST')), counter.sent.join('\n'));

  // A reconfiguration is checked against the stored values merged with the change.
  const instance = await client.activate(slack, { webhook_url: 'https://hooks.example.com/L' });
  const patches = countingFetch();
  try {
    await assert.rejects(client.reconfigure(instance.id, { config: { webhook_url: 'ftp://x' } }),
      (error) => error.code === 'validation_failed' && error.errors[0].path === '/webhook_url');
  } finally {
    patches.restore();
  }
  assert.ok(!patches.sent.some((line) => line.startsWith('PATCH')), patches.sent.join('\n'));
  // The update replaces the customer's values (only secrets are kept when omitted), by core's
  // rule of reconfiguration, as the service: an omitted required value is missing.
  await assert.rejects(client.reconfigure(instance.id, { config: { channel: '#ops' } }),
    (error) => error.code === 'validation_failed' && error.errors.some((e) => e.path === '/webhook_url' && e.code === 'required'));
  const changed = await client.reconfigure(instance.id, { config: { webhook_url: 'https://hooks.example.com/M', channel: '#ops' } });
  assert.equal(changed.config.webhook_url, 'https://hooks.example.com/M');
  assert.equal(changed.config.channel, '#ops');
});

test('known specs and instances: valid writes are checked locally with no read', async () => {
  const client = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-cached-co') });
  const slack = await integrationId(demo, 'Slack');
  // The methods of the requests sent to the embedded API (the demo's token requests aside).
  const methods = (sent) => sent.filter((line) => line.includes('/api/v1/embedded/')).map((line) => line.split(' ')[0]);
  // The first check reads the listed spec once; the catalog alone does not carry it.
  const first = countingFetch();
  try {
    assert.deepEqual(await client.check(slack, { webhook_url: 'https://hooks.example.com/A' }), []);
    assert.deepEqual(await client.check(slack, { webhook_url: 'nope' }).then((e) => e.map((x) => x.path)), ['/webhook_url']);
  } finally {
    first.restore();
  }
  assert.deepEqual(methods(first.sent), ['GET']);
  const writes = countingFetch();
  let instance;
  try {
    instance = await client.activate(slack, { webhook_url: 'https://hooks.example.com/A' });
    await client.reconfigure(instance.id, { config: { webhook_url: 'https://hooks.example.com/B', channel: '#ops' } });
  } finally {
    writes.restore();
  }
  assert.deepEqual(methods(writes.sent), ['POST', 'PATCH'], writes.sent.join('\n'));
  // An instance seen in a list is known too.
  const other = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-cached-co') });
  await other.instances();
  await other.integration(slack);
  const patch = countingFetch();
  try {
    await other.reconfigure(instance.id, { config: { webhook_url: 'https://hooks.example.com/C' } });
  } finally {
    patch.restore();
  }
  assert.deepEqual(methods(patch.sent), ['PATCH'], patch.sent.join('\n'));
});

test('the service\'s refusals come back as MarketplaceErrors with status, code and reasons', async () => {
  const client = new Marketplace({ baseUrl: demo.serviceUrl, getToken: () => demo.token('js-refused-co') });
  await assert.rejects(client.instance('ins_missing'), (error) => error.status === 404 && error.code === 'not_found'
    && typeof error.requestId === 'string' && error.requestId.length > 0);
  const netsuite = await integrationId(demo, 'NetSuite');
  const detail = await client.integration(netsuite);
  assert.equal(detail.deployability.status, 'contact_vendor');
  const config = { endpoint: 'https://erp.example.com', auth: { username: 'u', password: 'p' }, account_code: 'ABC-1234' };
  await assert.rejects(client.activate(netsuite, config), (error) => {
    assert.ok([403, 409].includes(error.status), String(error.status));
    assert.ok(error.reasons.length > 0);
    return true;
  });
  const fixed = new Marketplace({ baseUrl: demo.serviceUrl, token: 'not-a-token' });
  await assert.rejects(fixed.catalog(), (error) => error.status === 401);
});

test('a token refused with 401 is replaced once through getToken', async () => {
  let calls = 0;
  const client = new Marketplace({
    baseUrl: demo.serviceUrl,
    getToken: async () => (++calls === 1 ? 'stale.token.value' : demo.token('js-refresh-co')),
  });
  assert.equal((await client.catalog()).items.length, 9);
  assert.equal(calls, 2);
  const now = Math.floor(Date.now() / 1000);
  const exp = tokenExpiry(await demo.token('js-refresh-co'));
  assert.ok(exp > now + 60 && exp <= now + 601, String(exp));
  assert.equal(tokenExpiry('not a jwt'), null);
});

test('bad options are refused at construction', () => {
  assert.throws(() => new Marketplace({ getToken: () => 't' }), (error) => error.code === 'invalid_argument');
  assert.throws(() => new Marketplace({ baseUrl: demo.serviceUrl }), (error) => error.code === 'invalid_argument');
});

test('launchInstance posts to the instance\'s launch endpoint and resolves to {url}', async () => {
  // The service side of single sign-on is tested with the service; here, the request sent.
  const original = globalThis.fetch;
  const sent = [];
  globalThis.fetch = async (url, init) => {
    sent.push({ url: String(url), method: init.method, authorization: init.headers.authorization });
    return new Response(JSON.stringify({ url: 'https://vendor.example/sso?ticket=t1' }), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  try {
    const client = new Marketplace({ baseUrl: 'http://service.invalid/', token: 'tok' });
    assert.deepEqual(await client.launchInstance('ins_1/x'), { url: 'https://vendor.example/sso?ticket=t1' });
  } finally {
    globalThis.fetch = original;
  }
  assert.deepEqual(sent, [{ url: 'http://service.invalid/api/v1/embedded/instances/ins_1%2Fx/launch', method: 'POST', authorization: 'Bearer tok' }]);
});
