export * from './marketplace_wasm.js';
export { default } from './marketplace_wasm.js';
export * from './client.js';
export * from './mount.js';
export * from './form.js';
export * from './catalog.js';
export { validateCollection, applyMappings } from './mappings.js';
export type { CollectionCheck, Mapping, MappingResult, RecordType } from './mappings.js';
