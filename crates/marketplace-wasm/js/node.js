// The package's Node entry: the same ES modules, with the WebAssembly module loaded from disk
// at import, so the functions are ready without an `await init()`.
import { readFileSync } from 'node:fs';
import { initSync } from './marketplace_wasm.js';

initSync({ module: readFileSync(new URL('./marketplace_wasm_bg.wasm', import.meta.url)) });

export { parseSpec, validateConfig, toJsonSchema, deployability, rules } from './marketplace_wasm.js';
export { CompiledSpec } from './values.js';
export { Marketplace, tokenExpiry } from './client.js';
export { PHRASES, fieldErrorText, formatDate, formatMoney, formatNumber, hasPhrase, language, pickLanguage, problemText, setLanguage, t, valueLabel } from './phrases.js';
export { validateCollection, applyMappings, visible, tier, score } from './mappings.js';
