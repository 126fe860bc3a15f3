// `applyMappings` on the 50-mapping collection of core's benchmark (10 formulas, a ~4 KB record),
// in the WebAssembly build under Node, against the native figure criterion measured for the same
// input (`cargo xtask bench` runs both; this script needs target/bench/mapping_apply_50.json,
// `{mappings, target, input}`, and
// target/criterion/mapping/apply_50_with_10_formulas/new/estimates.json from the native run).
// The native figure is `Prepared::apply` (formulas compiled once); the WebAssembly export
// prepares on every call (formulas compiled each time) and crosses the boundary as JSON, so the
// ratio printed is an upper bound of the engine's own slowdown.
import { readFileSync } from 'node:fs';
import { applyMappings, initSync } from '../pkg/marketplace_wasm_mappings.js';

const root = new URL('../../../', import.meta.url);
initSync({ module: readFileSync(new URL('crates/marketplace-wasm/pkg/marketplace_wasm_mappings_bg.wasm', root)) });
const { mappings, target, input } = JSON.parse(readFileSync(new URL('target/bench/mapping_apply_50.json', root), 'utf8'));
const native = JSON.parse(readFileSync(new URL('target/criterion/mapping/apply_50_with_10_formulas/new/estimates.json', root), 'utf8'));
const nativeNs = native.median.point_estimate;

/** Median time per call (ns) of `run`, over `samples` batches sized to last about 50 ms. */
function measure(run, samples = 30) {
  for (let i = 0; i < 200; i++) run(); // warm up (JIT, module)
  let batch = 1;
  for (;;) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    if (Number(process.hrtime.bigint() - start) > 50e6) break;
    batch *= 2;
  }
  const times = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) run();
    times.push(Number(process.hrtime.bigint() - start) / batch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const check = applyMappings(mappings, target, input);
if (check.errors.length) throw new Error(`the fixture should apply without errors: ${JSON.stringify(check.errors)}`);
console.log(`fixture: ${mappings.length} mappings (${mappings.filter((m) => m.formula !== undefined).length} formulas), input ${JSON.stringify(input).length} bytes`);

const wasmNs = measure(() => applyMappings(mappings, target, input));
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`native core Prepared::apply (criterion median): ${us(nativeNs)} µs`);
console.log(`WASM applyMappings, prepared per call (Node, median): ${us(wasmNs)} µs   ratio ${(wasmNs / nativeNs).toFixed(2)}x`);
