// The package's browser entry: core's rules (initialize once with the default export), the
// `Marketplace` client, `mountMarketplace`, the form, the catalog's tier badge, tier filter and
// certification sections, and the mapping functions (async: they load the second WebAssembly
// module on their first call), `visible` and `tier` (the same module).
export { default, initSync, parseSpec, validateConfig, toJsonSchema, deployability, rules, CompiledSpec } from './marketplace_wasm.js';
export { Marketplace, tokenExpiry } from './client.js';
export { mountMarketplace, MODES, PAGE_EVENTS, VIEWS } from './mount.js';
export { h, renderConfigForm } from './form.js';
export { TIERS, certificationSections, tierBadge, tierFilter, tierLabel } from './catalog.js';
export { validateCollection, applyMappings, visible, tier } from './mappings.js';
