// `CompiledSpec.validate` on the 100-variable config of core's benchmark in Debian's Chromium
// (where the package's forms run), against the native figure criterion measured: what
// `crates/marketplace-wasm/bench/validate.bench.mjs` measures under Node, in the browser.
// `cargo xtask bench` runs it after the Node figures (it lives here for `playwright-core`).
// The page and the package are served from an origin the browser only sees through
// `page.route`: no server, no network.
import { existsSync } from 'node:fs';
import { criterionMedian, root } from '../../crates/marketplace-wasm/bench/support.mjs';
import { launchChromium } from './chromium.mjs';

const ORIGIN = 'http://bench.test';
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import init from './pkg/marketplace_wasm.js';
import { CompiledSpec } from './pkg/values.js';
import { CRITERION_WARM_UP_MS, measure } from './measure.mjs';
await init();
const { spec, values } = await (await fetch('./validate_100.json')).json();
const compiled = new CompiledSpec(spec);
const check = compiled.validate(values, 'customer');
if (!check.valid) throw new Error('the fixture should be valid: ' + JSON.stringify(check.errors));
// Warmed up as long as criterion warms the native figure up.
const ns = measure(() => compiled.validate(values, 'customer'), 30, CRITERION_WARM_UP_MS);
window.measured = { ns, agent: navigator.userAgent };
</script>`;

const files = {
  '/validate_100.json': new URL('target/bench/validate_100.json', root),
  '/measure.mjs': new URL('crates/marketplace-wasm/bench/measure.mjs', root),
};
for (const file of [files['/validate_100.json'], new URL('crates/marketplace-wasm/pkg/values.js', root)]) {
  if (!existsSync(file)) throw new Error(`${file.pathname} is missing: run \`cargo xtask bench\``);
}
const nativeNs = criterionMedian('validate_100_variables/core');
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.route(`${ORIGIN}/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path === '/') return route.fulfill({ contentType: 'text/html', body: PAGE });
    const file = files[path] ?? (path.startsWith('/pkg/') && new URL(`crates/marketplace-wasm${path}`, root));
    if (!file) return route.fulfill({ status: 404 });
    return route.fulfill({ path: file.pathname });
  });
  await page.goto(`${ORIGIN}/`);
  const handle = await page.waitForFunction(() => window.measured, null, { timeout: 120_000 }).catch((error) => {
    throw new Error(`the page did not measure: ${errors.join('; ') || error.message}`);
  });
  const { ns, agent } = await handle.jsonValue();
  const version = agent.match(/Chrome\/([\d.]+)/)?.[1] ?? agent;
  const us = (n) => (n / 1000).toFixed(1);
  console.log(`WASM CompiledSpec.validate (Chromium ${version}, median): ${us(ns)} µs   ratio ${(ns / nativeNs).toFixed(2)}x (native ${us(nativeNs)} µs)`);
} finally {
  await browser.close();
}