export { parseSpec, validateConfig, toJsonSchema, deployability } from './marketplace_wasm.js';
export type * from './marketplace_wasm.js';
export * from './client.js';
