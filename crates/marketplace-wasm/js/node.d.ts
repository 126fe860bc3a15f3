export { parseSpec, validateConfig, toJsonSchema, deployability, rules, CompiledSpec } from './marketplace_wasm.js';
export type * from './marketplace_wasm.js';
export * from './client.js';
export { validateCollection, applyMappings } from './mappings.js';
export type { CollectionCheck, Mapping, MappingResult, RecordType } from './mappings.js';
