// `applyMappings` on the 50-mapping collection of core's benchmark (10 formulas, a ~4 KB record),
// in the WebAssembly build under Node, against the native figure criterion measured for the same
// input (`cargo xtask bench` runs both; this script needs target/bench/mapping_apply_50.json,
// `{mappings, target, input}`, and
// criterion's mapping/prepare_and_apply_50_with_10_formulas and mapping/apply_50_with_10_formulas
// estimates from the native run). The export prepares on every call (formulas compiled each
// time), so it is compared with the native one-shot `apply_mappings`; the prepared figure is
// printed beside it.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { applyMappings, initSync } from '../pkg/marketplace_wasm_mappings.js';

const root = new URL('../../../', import.meta.url);
initSync({ module: readFileSync(new URL('crates/marketplace-wasm/pkg/marketplace_wasm_mappings_bg.wasm', root)) });
const { mappings, target, input } = JSON.parse(readFileSync(new URL('target/bench/mapping_apply_50.json', root), 'utf8'));
// Criterion writes under CARGO_TARGET_DIR when it is set.
const criterion = process.env.CARGO_TARGET_DIR ? pathToFileURL(`${process.env.CARGO_TARGET_DIR}/criterion/`) : new URL('target/criterion/', root);
const median = (id) => JSON.parse(readFileSync(new URL(`mapping/${id}/new/estimates.json`, criterion), 'utf8')).median.point_estimate;
const preparedNs = median('apply_50_with_10_formulas');
const oneShotNs = median('prepare_and_apply_50_with_10_formulas');

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

const wasmNs = measure(() => applyMappings(mappings, target, input), 15);
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`native core apply_mappings, prepared per call (criterion median): ${us(oneShotNs)} µs`);
console.log(`WASM applyMappings, prepared per call (Node, median):            ${us(wasmNs)} µs   ratio ${(wasmNs / oneShotNs).toFixed(2)}x (target ≤ 2x)`);
console.log(`native core Prepared::apply, formulas compiled once (criterion):  ${us(preparedNs)} µs   (the package has no prepared form yet)`);
