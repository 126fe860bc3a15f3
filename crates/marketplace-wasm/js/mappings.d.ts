import type { CollectionCheck, JsonValue, Mapping, MappingResult, RecordType } from './marketplace_wasm_mappings.js';

export type { CollectionCheck, Mapping, MappingResult, RecordType } from './marketplace_wasm_mappings.js';

/**
 * Checks a collection against the record types it may name, with core's rules: every problem at
 * once, paths relative to the collection (`/mappings/2/to`). Loads the mappings module on first use.
 * Rejects with a `MarketplaceError` (`invalid_argument`) when `recordTypes` is not an array of record types.
 */
export function validateCollection(collection: JsonValue, recordTypes: RecordType[]): Promise<CollectionCheck>;

/**
 * Applies mappings to `input` as the service's previews and flows do (core's `apply_mappings`): the
 * output, and every problem (`/mappings/3` `formula_error`, `/output/...` against `target`, a JSON
 * Schema; null: unchecked). Loads the mappings module on first use.
 */
export function applyMappings(mappings: Mapping[], target: JsonValue | null | undefined, input: JsonValue): Promise<MappingResult>;
