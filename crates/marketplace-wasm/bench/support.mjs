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

/** Median time per call (ns) of `run`, over `samples` batches sized to last about 50 ms. */
export function measure(run, samples = 30) {
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
