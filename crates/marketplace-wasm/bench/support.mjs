// What both WebAssembly benchmarks share: the native figures criterion wrote, and a timer.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The repository's root. */
export const root = new URL('../../../', import.meta.url);

// Criterion writes under CARGO_TARGET_DIR when it is set.
const criterion = process.env.CARGO_TARGET_DIR ? pathToFileURL(`${process.env.CARGO_TARGET_DIR}/criterion/`) : new URL('target/criterion/', root);

/** The median (ns) criterion measured for the benchmark `id` (`group/name`). */
export function criterionMedian(id) {
  return JSON.parse(readFileSync(new URL(`${id}/new/estimates.json`, criterion), 'utf8')).median.point_estimate;
}

export { CRITERION_WARM_UP_MS, measure } from './measure.mjs';
