// The timer of the WebAssembly benchmarks, under Node (through `support.mjs`) and in Chromium
// (`tests/browser/validate.bench.mjs` serves this file to its page): no Node module here.

/** Criterion's warm-up (its default, which the native benchmarks keep), in milliseconds. */
export const CRITERION_WARM_UP_MS = 3000;

/**
 * Median time per call (ns) of `run`, over `samples` batches sized to last about 50 ms, after a
 * warm-up of 200 calls and at least `warmUpMs` of calls (V8 tiers WebAssembly up to its
 * optimising compiler as it runs).
 */
export function measure(run, samples = 30, warmUpMs = 0) {
  for (let i = 0; i < 200; i++) run();
  for (const until = performance.now() + warmUpMs; performance.now() < until; ) run();
  let batch = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) run();
    if (performance.now() - start > 50) break;
    batch *= 2;
  }
  const times = [];
  for (let s = 0; s < samples; s++) {
    const start = performance.now();
    for (let i = 0; i < batch; i++) run();
    times.push(((performance.now() - start) * 1e6) / batch);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
