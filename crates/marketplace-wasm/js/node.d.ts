export { parseSpec, validateConfig, toJsonSchema, deployability, rules, CompiledSpec } from './marketplace_wasm.js';
export type * from './marketplace_wasm.js';
export * from './client.js';
