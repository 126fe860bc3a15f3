// The package's browser entry: core's rules (initialize once with the default export), the
// `Marketplace` client, `mountMarketplace`, and the mapping functions (async: they load the
// second WebAssembly module on their first call), `visible` and `tier` (the same module).
export { default, initSync, parseSpec, validateConfig, toJsonSchema, deployability, rules, CompiledSpec } from './marketplace_wasm.js';
export { Marketplace, tokenExpiry } from './client.js';
export { mountMarketplace, PAGE_EVENTS } from './mount.js';
export { h, renderConfigForm } from './form.js';
export { validateCollection, applyMappings, visible, tier } from './mappings.js';
