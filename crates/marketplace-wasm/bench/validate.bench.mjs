// `validateConfig` on the 100-variable config of core's benchmark, in the WebAssembly build
// under Node, against the native figure criterion measured for the same input
// (`cargo xtask bench` runs both; this script needs target/bench/validate_100.json and
// target/criterion/validate_100_variables/core/new/estimates.json from the native run).
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { CompiledSpec, validateConfig } from '../pkg/node.js';

const root = new URL('../../../', import.meta.url);
const { spec, values } = JSON.parse(readFileSync(new URL('target/bench/validate_100.json', root), 'utf8'));
// Criterion writes under CARGO_TARGET_DIR when it is set.
const criterion = process.env.CARGO_TARGET_DIR ? pathToFileURL(`${process.env.CARGO_TARGET_DIR}/criterion/`) : new URL('target/criterion/', root);
const native = JSON.parse(readFileSync(new URL('validate_100_variables/core/new/estimates.json', criterion), 'utf8'));
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

const compiled = new CompiledSpec(spec);
const check = compiled.validate(values, 'customer');
if (!check.valid) throw new Error(`the fixture should be valid: ${JSON.stringify(check.errors)}`);

const compiledNs = measure(() => compiled.validate(values, 'customer'));
const oneShotNs = measure(() => validateConfig(spec, values, 'customer'), 15);
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`native core (criterion median):            ${us(nativeNs)} µs`);
console.log(`WASM CompiledSpec.validate (Node, median): ${us(compiledNs)} µs   ratio ${(compiledNs / nativeNs).toFixed(2)}x (target ≤ 2x)`);
console.log(`WASM validateConfig, spec compiled per call: ${us(oneShotNs)} µs   ratio ${(oneShotNs / nativeNs).toFixed(2)}x`);
