// `validateCollection` and `applyMappings` (core's mapping rules, jq formulas included), `visible`
// (who sees a listing), `tier` (a version's certification tier) and `score` (a listing's score),
// from the package's second
// WebAssembly module (`marketplace_wasm_mappings`), which is too large for the main module's
// budget: it is fetched (browsers) or read from disk (Node) and initialised on the first call,
// once. Nothing is decided here: every answer comes from core.

const wasmUrl = new URL('./marketplace_wasm_mappings_bg.wasm', import.meta.url);
let loading = null;

/** The module's bytes from disk when the package itself is on disk (Node). */
async function readLocal(url) {
  const fs = 'node:fs/promises'; // a variable, so bundlers for browsers leave it alone
  const { readFile } = await import(/* webpackIgnore: true */ /* @vite-ignore */ fs);
  return readFile(url);
}

/** The second module, initialised; a failed load is retried on the next call. */
function mappingsModule() {
  loading ??= (async () => {
    const bindings = await import('./marketplace_wasm_mappings.js');
    const source = wasmUrl.protocol === 'file:' ? await readLocal(wasmUrl) : wasmUrl;
    await bindings.default({ module_or_path: source });
    return bindings;
  })().catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}

/** Checks a collection against the record types it may name: `{valid, errors}`, every problem at
 * once, paths relative to the collection (`/mappings/2/to`). */
export async function validateCollection(collection, recordTypes) {
  return (await mappingsModule()).validateCollection(collection, recordTypes);
}

/** Applies mappings to `input` as the service's previews and flows do: `{output, errors}`, the
 * output checked against `target` (a JSON Schema; null: unchecked). */
export async function applyMappings(mappings, target, input) {
  return (await mappingsModule()).applyMappings(mappings, target ?? null, input);
}

/** Whether `listing` is visible in the marketplace `marketplaceId` to a customer of `tenant`
 * (`{app_management, assigned}`; null or undefined: no tenant), by core's `visible`. */
export async function visible(listing, marketplaceId, tenant) {
  return (await mappingsModule()).visible(listing, marketplaceId, tenant ?? null);
}

/** The tier of a version with this evidence at `now` (Unix ms; default: the current time), by
 * core's `tier`: `{tier, checks}`, each failing check with its `next_action`. */
export async function tier(evidence, now = Date.now()) {
  return (await mappingsModule()).tier(evidence, now);
}

/** A listing's score from its facts under a policy at `now` (Unix ms; default: the current time),
 * by core's `score`: `{score, visibility, factors}`, each factor with its points and items. */
export async function score(facts, policy, now = Date.now()) {
  return (await mappingsModule()).score(facts, policy, now);
}
