// `validateConfig` on the 100-variable config of core's benchmark, in the WebAssembly build
// under Node, against the native figure criterion measured for the same input
// (`cargo xtask bench` runs both; this script needs target/bench/validate_100.json and
// target/criterion/validate_100_variables/core/new/estimates.json from the native run).
import { readFileSync } from 'node:fs';
import { CompiledSpec, validateConfig } from '../pkg/node.js';
import { CRITERION_WARM_UP_MS, criterionMedian, measure, root } from './support.mjs';

const { spec, values } = JSON.parse(readFileSync(new URL('target/bench/validate_100.json', root), 'utf8'));
const nativeNs = criterionMedian('validate_100_variables/core');

const compiled = new CompiledSpec(spec);
const check = compiled.validate(values, 'customer');
if (!check.valid) throw new Error(`the fixture should be valid: ${JSON.stringify(check.errors)}`);

// Warmed up as long as criterion warms the native figure up.
const compiledNs = measure(() => compiled.validate(values, 'customer'), 30, CRITERION_WARM_UP_MS);
// The module's own `validate`, which the package's `CompiledSpec` extends: values through JSON text.
const viaJson = Object.getPrototypeOf(CompiledSpec.prototype).validate;
const jsonNs = measure(() => viaJson.call(compiled, values, 'customer'));
const oneShotNs = measure(() => validateConfig(spec, values, 'customer'), 15);
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`native core (criterion median):            ${us(nativeNs)} µs`);
console.log(`WASM CompiledSpec.validate (Node, median): ${us(compiledNs)} µs   ratio ${(compiledNs / nativeNs).toFixed(2)}x (target ≤ 2x)`);
console.log(`WASM, values through JSON text instead:      ${us(jsonNs)} µs   ratio ${(jsonNs / nativeNs).toFixed(2)}x`);
console.log(`WASM validateConfig, spec compiled per call: ${us(oneShotNs)} µs   ratio ${(oneShotNs / nativeNs).toFixed(2)}x`);
