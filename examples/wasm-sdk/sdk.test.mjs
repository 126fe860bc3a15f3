// The Rust SDK compiled to wasm32 (`FetchTransport`, gloo-net) against the real service, under
// Node: `cargo xtask test` (step wasm-pkg) builds it into target/wasm-sdk and runs this file.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root, startDemo } from '../../tests/support/demo-server.mjs';

const sdk = createRequire(import.meta.url)(join(process.env.WASM_SDK_DIR ?? join(root, 'target/wasm-sdk'), 'wasm_sdk_example.js'));

let demo;
before(async () => { demo = await startDemo(); });
after(async () => { await demo?.stop(); });

test('the wasm32 SDK browses, checks locally, activates and pauses over fetch', async () => {
  const token = await demo.token('wasm-co');
  const summary = JSON.parse(await sdk.tour(demo.serviceUrl, token, 'Slack', JSON.stringify({ webhook_url: 'https://hooks.example.com/W' })));
  assert.equal(summary.names.length, 9);
  assert.ok(summary.names.includes('Slack'));
  assert.deepEqual(summary.flows, ['events', 'manual_sync']);
  assert.deepEqual(summary.local_errors.map((e) => [e.path, e.code]).sort(), [['/nope', 'unknown_key'], ['/webhook_url', 'required']]);
  assert.equal(summary.status, 'paused');
  const instance = await demo.admin(`/api/v1/instances/${summary.instance_id}`);
  assert.equal(instance.status, 'paused');
  assert.equal(instance.name, 'From wasm');
});

test('the wasm32 SDK maps refusals and transport failures to its error codes', async () => {
  const refused = await fetch(`${demo.serviceUrl}/api/v1/embedded/marketplace`, { headers: { authorization: 'Bearer not.a.token' } });
  const problem = await refused.json();
  assert.equal(refused.status, 401);
  assert.equal(await sdk.error_code(demo.serviceUrl, 'not.a.token'), problem.code);
  assert.equal(await sdk.error_code('http://127.0.0.1:1', 'not.a.token'), 'transport');
  assert.equal(await sdk.error_code(demo.serviceUrl, await demo.token('wasm-co')), 'ok');
});
