export { parseSpec, validateConfig, toJsonSchema, deployability, rules, CompiledSpec } from './marketplace_wasm.js';
export type * from './marketplace_wasm.js';
export * from './client.js';
export * from './phrases.js';
export { validateCollection, applyMappings, visible, tier, score } from './mappings.js';
export type {
  Application, Check, CheckCode, CollectionCheck, CollectionEvidence, Evidence, Listing, ListingVisibility, Mapping,
  MappingResult, Provider, RecordType, ScoreFacts, ScoreReport, ScoringPolicy, TenantAccess, Tier, TierReport,
} from './mappings.js';
