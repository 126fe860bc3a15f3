// `applyMappings` on the 50-mapping collection of core's benchmark (10 formulas, a ~4 KB record),
// in the WebAssembly build under Node, against the native figure criterion measured for the same
// input (`cargo xtask bench` runs both; this script needs target/bench/mapping_apply_50.json,
// `{mappings, target, input}`, and
// criterion's mapping/prepare_and_apply_50_with_10_formulas and mapping/apply_50_with_10_formulas
// estimates from the native run). The export prepares on every call (pointers split, formulas
// taken from core's memo of compiled formulas), so it is compared with the native one-shot
// `apply_mappings`; the prepared figure is printed beside it.
import { readFileSync } from 'node:fs';
import { applyMappings, initSync } from '../pkg/marketplace_wasm_mappings.js';
import { criterionMedian, measure, root } from './support.mjs';

initSync({ module: readFileSync(new URL('crates/marketplace-wasm/pkg/marketplace_wasm_mappings_bg.wasm', root)) });
const { mappings, target, input } = JSON.parse(readFileSync(new URL('target/bench/mapping_apply_50.json', root), 'utf8'));
const median = (id) => criterionMedian(`mapping/${id}`);
const preparedNs = median('apply_50_with_10_formulas');
const oneShotNs = median('prepare_and_apply_50_with_10_formulas');

const check = applyMappings(mappings, target, input);
if (check.errors.length) throw new Error(`the fixture should apply without errors: ${JSON.stringify(check.errors)}`);
console.log(`fixture: ${mappings.length} mappings (${mappings.filter((m) => m.formula !== undefined).length} formulas), input ${JSON.stringify(input).length} bytes`);

const wasmNs = measure(() => applyMappings(mappings, target, input), 15);
const us = (ns) => (ns / 1000).toFixed(1);
console.log(`native core apply_mappings, prepared per call (criterion median): ${us(oneShotNs)} µs`);
console.log(`WASM applyMappings, prepared per call (Node, median):            ${us(wasmNs)} µs   ratio ${(wasmNs / oneShotNs).toFixed(2)}x (target ≤ 2x)`);
console.log(`native core Prepared::apply, formulas compiled once (criterion):  ${us(preparedNs)} µs   (the package has no prepared form yet)`);
