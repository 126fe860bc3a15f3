import type {
  CollectionCheck, Evidence, JsonValue, Listing, Mapping, MappingResult, RecordType, ScoreFacts, ScoreReport, ScoringPolicy,
  TenantAccess, TierReport,
} from './marketplace_wasm_mappings.js';

export type {
  Application, CancelledBy, Check, CheckCode, CollectionCheck, CollectionEvidence, Evidence, Listing, ListingVisibility, Mapping,
  MappingResult, Provider, RecordType, ScoreFacts, ScoreReport, ScoringPolicy, TenantAccess, Tier, TierReport,
} from './marketplace_wasm_mappings.js';

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

/**
 * Whether `listing` is visible in the marketplace `marketplaceId` to a customer of `tenant` (null or
 * undefined: no tenant), by core's `visible`: in that marketplace, not delisted, and the tenant sees
 * `all` or was assigned the integration. Loads the mappings module on first use.
 * Rejects with a `MarketplaceError` (`invalid_argument`) when an argument is not of the documented shape.
 */
export function visible(listing: Listing, marketplaceId: string, tenant?: TenantAccess | null): Promise<boolean>;

/**
 * The tier of an integration version with this evidence at `now` (Unix ms; default: the current
 * time), by core's `tier`: the highest tier whose checks and every lower tier's pass, and every
 * check (failing ones with their `next_action`). Loads the mappings module on first use.
 * Rejects with a `MarketplaceError` (`invalid_argument`) when `evidence` is not of the documented shape.
 */
export function tier(evidence: Evidence, now?: number): Promise<TierReport>;

/**
 * A listing's score from its facts under the organization's policy at `now` (Unix ms; default: the
 * current time), by core's `score`, as the service computes it: 100 minus the four factors' points
 * (clamped to 0..100), the visibility that allows, and every factor with its points and items.
 * Loads the mappings module on first use. Rejects with a `MarketplaceError` (`invalid_argument`)
 * when an argument is not of the documented shape.
 */
export function score(facts: ScoreFacts, policy: ScoringPolicy, now?: number): Promise<ScoreReport>;
