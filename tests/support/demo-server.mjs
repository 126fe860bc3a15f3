// Starts the real service in demo mode for JavaScript tests: `marketplace-server demo` on two
// free loopback ports (the service, and the demo host app on its own origin), on a fresh SQLite
// file, and stops it. `MARKETPLACE_SERVER_BIN` names the binary (default: target/debug).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url, child, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`marketplace-server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${seconds} s`);
}

/**
 * Starts the demo (with `env` added to its environment); resolves to `{serviceUrl, hostUrl, organizationId, apiKey, admin(path,
 * init), stop()}`. `admin` calls the admin API with the demo's API key and parses the JSON.
 */
export async function startDemo({ env = {} } = {}) {
  const binary = process.env.MARKETPLACE_SERVER_BIN ?? join(root, 'target/debug/marketplace-server');
  const dir = mkdtempSync(join(tmpdir(), 'marketplace-js-'));
  const [servicePort, hostPort] = [await freePort(), await freePort()];
  const database = join(dir, 'demo.db');
  const child = spawn(binary, ['demo', '--database', `sqlite://${database}`,
    '--listen', `127.0.0.1:${servicePort}`, '--host-listen', `127.0.0.1:${hostPort}`,
    '--examples-dir', join(root, 'examples'), '--package-dir', join(root, 'crates/marketplace-wasm/pkg')],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, MARKETPLACE_LOG: 'warn', ...env } });
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const hostUrl = `http://127.0.0.1:${hostPort}`;
  try {
    await waitFor(`${serviceUrl}/readyz`, child);
    await waitFor(`${hostUrl}/demo/config.js`, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const demo = JSON.parse(readFileSync(`${database}.demo.json`, 'utf8'));
  const admin = async (path, init = {}) => {
    const response = await fetch(serviceUrl + path, { ...init, headers: { authorization: `Bearer ${demo.api_key}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });
    const body = await response.json();
    if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(body)}`);
    return body;
  };
  const token = async (customer) => (await (await fetch(`${hostUrl}/demo/token?customer=${encodeURIComponent(customer)}`)).json()).token;
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { serviceUrl, hostUrl, organizationId: demo.organization_id, apiKey: demo.api_key, admin, token, stop };
}

/** The id of the demo integration named `name`. */
export async function integrationId(demo, name) {
  const list = await demo.admin('/api/v1/integrations?limit=200');
  const found = list.items.find((i) => i.name === name);
  if (!found) throw new Error(`no integration named ${name}`);
  return found.id;
}
