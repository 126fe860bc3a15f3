//! The npm package's second WebAssembly module: mapping collections checked and applied with
//! core's rules, formulas (jq on jaq) included; and the catalog's `visible`, certification's
//! `tier` and commerce's `score`, which no longer fit the main module's budget.
//!
//! It is apart from `marketplace-wasm` because jaq does not fit the main module's size budget:
//! the package's `validateCollection`, `applyMappings`, `visible` and `tier` (`js/mappings.js`)
//! load it on their first call. Like the main module it is thin: every answer comes from
//! `marketplace_core` (`mapping`, `marketplace::visible`, `certification::tier`), and values
//! cross the boundary as JSON text (see [`from_js`]).
//! `cargo xtask wasm` builds it next to the main module (see `xtask/src/wasm_pkg.rs`).

use marketplace_core::certification::{self, Evidence};
use marketplace_core::commerce::scoring::{self, ScoreFacts, ScoringPolicy};
use marketplace_core::ids::MarketplaceId;
use marketplace_core::listing::Listing;
use marketplace_core::mapping::{self, Mapping, RecordType};
use marketplace_core::marketplace::{self, TenantAccess};
use marketplace_core::{FieldError, FieldErrorCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasm_bindgen::prelude::*;

/// The result of an export: `Err` is thrown in JavaScript.
pub type JsResult<T> = Result<T, JsValue>;

/// `code` of the error thrown when an argument does not have the documented shape.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
import type { components } from './api.js';

/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One problem: where (a JSON Pointer), a stable code and a message. */
export type FieldError = components["schemas"]["FieldError"];

/** A mapping, in its flat wire form (`kind` inferred when absent). */
export interface Mapping {
  kind?: "field" | "static" | "translation" | "formula";
  /** JSON Pointer in the output. */
  to: string;
  /** JSON Pointer in the input (`field`, `translation`). */
  from?: string;
  /** The constant (`static`). */
  value?: JsonValue;
  /** String form of the source value → output value (`translation`). */
  table?: { [key: string]: JsonValue };
  /** Used when the source is missing (`field`, `translation`) or on a miss (`translation`). */
  default?: JsonValue;
  /** A jq formula run on the whole input (`formula`). */
  formula?: string;
  notes?: string;
  overridable?: boolean;
}

/** A record type of the vendor's common data model. */
export interface RecordType {
  name: string;
  description?: string;
  /** A JSON Schema (the subset of record types). */
  schema: JsonValue;
}

/** What `validateCollection` returns: every problem at once, paths relative to the collection. */
export interface CollectionCheck {
  valid: boolean;
  errors: FieldError[];
}

/** What `applyMappings` returns: the output record and every problem (`/mappings/3`, `/output/...`). */
export interface MappingResult {
  output: JsonValue;
  errors: FieldError[];
}

/** A certification tier, lowest first. */
export type Tier = "compatible" | "ready" | "certified" | "one_click";

/** Whether a listing is shown: everywhere, not in the partner catalog, or nowhere. */
export type ListingVisibility = "visible" | "hidden_from_external_search" | "delisted";

/** An integration offered in one marketplace (core's `Listing`). */
export interface Listing {
  marketplace_id: string;
  integration_id: string;
  /** The offered version (semver). */
  version: string;
  overview?: string;
  customer_deployable: boolean;
  allow_multiple_instances: boolean;
  partner_brief?: { market?: string; buyer_profile?: string; positioning?: string };
  /** Default `visible`. */
  visibility?: ListingVisibility;
}

/** A tenant as one marketplace's catalog sees it: its rule and the integrations assigned to it there. */
export interface TenantAccess {
  /** `all`: every listing; `tenant`: only the assigned ones. */
  app_management: "all" | "tenant";
  /** Integration ids assigned to the tenant in this marketplace. */
  assigned?: string[];
}

/** A provider (the third party), as the tier checks read it. */
export interface Provider {
  id: string;
  name: string;
  url?: string | null;
  logo_url?: string | null;
  support?: { email?: string | null; url?: string | null };
}

/** A third-party application with its released versions. */
export interface Application {
  id: string;
  provider_id: string;
  name: string;
  product_url?: string | null;
  logo_url?: string | null;
  versions?: { name: string; released_on: string }[];
}

/** What the tier checks know of one mapping collection of the version. */
export interface CollectionEvidence {
  name: string;
  valid: boolean;
  tests: number;
  tests_pass: boolean;
  has_notes: boolean;
}

/** Everything `tier` looks at for one integration version (every field optional). */
export interface Evidence {
  profile?: {
    event_services?: ("webhook" | "queue" | "event")[];
    hosting?: ("multitenant_cloud" | "private_cloud" | "on_premise")[];
    api?: { kind: "openapi" | "connector"; url: string } | null;
  };
  supported?: { application_id: string; versions: string[] }[];
  applications?: Application[];
  providers?: Provider[];
  /** The version's `connection_test` flow, if named. */
  connection_test?: string | null;
  /** The latest connection test run (`at`: Unix ms). */
  last_connection_test?: { passed: boolean; at: number } | null;
  documentation?: string;
  collections?: CollectionEvidence[];
  reviewer_approved?: boolean;
  approved_templates?: number;
}

/** The code of one tier check. */
export type CheckCode =
  | "event_services" | "hosting_model" | "application_versioning" | "api_description"
  | "provider_profile" | "application_profile" | "connection_test"
  | "mapping_collections" | "mapping_tests" | "documentation" | "reviewer_approval"
  | "workflow_template";

/** One check's result: its tier, whether it passes, and what to do when it fails. */
export interface Check {
  tier: Tier;
  code: CheckCode;
  passed: boolean;
  /** What to do, and where, when it fails (null when it passes). */
  next_action: string | null;
}

/** A version's tier (null: not even compatible) and every check, in tier order. */
export interface TierReport {
  tier: Tier | null;
  checks: Check[];
}

/** The organization's scoring policy (as `GET /api/v1/scoring-policy` answers). */
export type ScoringPolicy = components["schemas"]["ScoringPolicyView"];

/** Who cancelled a subscription: the customer's cancellations are scored, the organization's not. */
export type CancelledBy = "customer" | "organization";

/** Everything `score` computes a listing's score from (times in Unix ms; every list optional). */
export interface ScoreFacts {
  /** The applications the listed version declares. */
  applications?: {
    id: string;
    /** For the factor's detail. */
    name: string;
    /** Its released versions: `[version, released_at]`. */
    versions: [string, number][];
    /** The versions the listed integration version supports. */
    supported: string[];
  }[];
  /** The integration's reviews. */
  reviews?: {
    id: string;
    customer_id: string;
    /** 1 to 5; 2 or less is negative. */
    rating: number;
    created_at: number;
    /** The vendor's dispute: `decided` is `[accepted, decided_at]` once decided. */
    dispute: { filed_at: number; decided: [boolean, number] | null } | null;
  }[];
  /** The integration's subscriptions in the marketplace. */
  subscriptions?: {
    id: string;
    customer_id: string;
    subscribed_at: number;
    /** A re-subscription after the customer's own cancellation. */
    returning: boolean;
    /** `[cancelled_at, by]` once cancelled. */
    cancelled: [number, CancelledBy] | null;
  }[];
  /**
   * How many more subscriptions, not in `subscriptions`, were never cancelled, are not
   * returning and began by the time scored (scoring only counts those; 0 when absent).
   */
  uncancelled?: number;
}

/** A listing's score at a time: 0 to 100, the visibility it allows, and the four factors. */
export type ScoreReport = Pick<components["schemas"]["ScoreView"], "score" | "visibility" | "factors">;
"#;

/// What `validateCollection` returns.
#[derive(Serialize)]
struct CollectionCheck {
    valid: bool,
    errors: Vec<FieldError>,
}

/// Checks a collection (its wire form) against the record types it may name, with every
/// problem at once (`{path, code, message}`, paths relative to the collection: `/mappings/2/to`).
/// Throws `invalid_argument` when `recordTypes` is not an array of record types.
#[wasm_bindgen(js_name = validateCollection, unchecked_return_type = "CollectionCheck")]
pub fn validate_collection(
    #[wasm_bindgen(unchecked_param_type = "JsonValue")] collection: JsValue,
    #[wasm_bindgen(js_name = recordTypes, unchecked_param_type = "RecordType[]")]
    record_types: JsValue,
) -> JsResult<JsValue> {
    let collection: Value = from_js(&collection, "collection")?;
    let record_types: Vec<RecordType> = from_js(&record_types, "recordTypes")?;
    let errors = mapping::validate_collection(&collection, &record_types)
        .err()
        .unwrap_or_default();
    to_js(&CollectionCheck {
        valid: errors.is_empty(),
        errors,
    })
}

/// Applies `mappings` to `input` as the service's previews and flows do (core's
/// `apply_mappings`), the output checked against `target` (a JSON Schema; `null` or
/// `undefined`: unchecked). Throws `invalid_argument` when a mapping is not of the wire form.
#[wasm_bindgen(js_name = applyMappings, unchecked_return_type = "MappingResult")]
pub fn apply_mappings(
    #[wasm_bindgen(unchecked_param_type = "Mapping[]")] mappings: JsValue,
    #[wasm_bindgen(unchecked_param_type = "JsonValue | null | undefined")] target: JsValue,
    #[wasm_bindgen(unchecked_param_type = "JsonValue")] input: JsValue,
) -> JsResult<JsValue> {
    let mappings: Vec<Mapping> = from_js(&mappings, "mappings")?;
    let target: Option<Value> = if target.is_null() || target.is_undefined() {
        None
    } else {
        Some(from_js(&target, "target")?)
    };
    let input: Value = from_js(&input, "input")?;
    to_js(&mapping::apply_mappings(&mappings, target.as_ref(), &input))
}

/// Whether `listing` is visible in the marketplace `marketplaceId` to a customer of `tenant`
/// (`null` or `undefined`: no tenant), by core's `visible`: in that marketplace, not delisted,
/// and the tenant sees `all` or was assigned the integration. Throws `invalid_argument` when an
/// argument does not have the documented shape.
#[wasm_bindgen]
pub fn visible(
    #[wasm_bindgen(unchecked_param_type = "Listing")] listing: JsValue,
    #[wasm_bindgen(js_name = marketplaceId, unchecked_param_type = "string")]
    marketplace_id: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TenantAccess | null | undefined")] tenant: JsValue,
) -> JsResult<bool> {
    let listing: Listing = from_js_tree(&listing, "listing")?;
    let marketplace_id: MarketplaceId = from_js_tree(&marketplace_id, "marketplaceId")?;
    let tenant: Option<TenantAccess> = if tenant.is_undefined() {
        None
    } else {
        from_js_tree(&tenant, "tenant")?
    };
    Ok(marketplace::visible(
        &listing,
        &marketplace_id,
        tenant.as_ref(),
    ))
}

/// The tier of an integration version with this evidence at `now` (Unix ms), by core's `tier`:
/// the highest tier whose checks and every lower tier's pass, and every check with its next
/// action. Throws `invalid_argument` when `evidence` is not of the documented shape or `now`
/// is not an integer.
#[wasm_bindgen(unchecked_return_type = "TierReport")]
pub fn tier(
    #[wasm_bindgen(unchecked_param_type = "Evidence")] evidence: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<JsValue> {
    let evidence: Evidence = from_js_tree(&evidence, "evidence")?;
    let now: i64 = from_js_tree(&now, "now")?;
    to_js(&certification::tier(&evidence, now))
}

/// A listing's score from its facts under a policy at `now` (Unix ms), by core's `score`: 100
/// minus the four factors' points, clamped, and the visibility it allows. Throws
/// `invalid_argument` when an argument does not have the documented shape.
#[wasm_bindgen(unchecked_return_type = "ScoreReport")]
pub fn score(
    #[wasm_bindgen(unchecked_param_type = "ScoreFacts")] facts: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ScoringPolicy")] policy: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] now: JsValue,
) -> JsResult<JsValue> {
    let facts: ScoreFacts = from_js_tree(&facts, "facts")?;
    let policy: ScoringPolicy = from_js_tree(&policy, "policy")?;
    let now: i64 = from_js_tree(&now, "now")?;
    to_js(&scoring::score(&facts, &policy, now))
}

/// A JS value as JSON, through `JSON.stringify` (as the main module's `convert.rs`: no
/// serde glue per type); `argument` names it in the error thrown for a value of another shape.
fn from_js<T: DeserializeOwned>(value: &JsValue, argument: &str) -> JsResult<T> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| invalid_argument(argument, "not representable as JSON (undefined?)"))?;
    serde_json::from_slice(text.as_bytes()).map_err(|error| shape_error(&error, argument))
}

/// As [`from_js`], through a [`Value`]: deserializing from a `Value` takes less code per type
/// than from text, which keeps the many types of `visible` and `tier` within the size budget.
fn from_js_tree<T: DeserializeOwned>(value: &JsValue, argument: &str) -> JsResult<T> {
    let tree: Value = from_js(value, argument)?;
    serde_json::from_value(tree).map_err(|error| shape_error(&error, argument))
}

/// The error thrown for an argument that does not have the documented shape (without serde's
/// position in the JSON text, which the caller never wrote).
fn shape_error(error: &serde_json::Error, argument: &str) -> JsValue {
    let message = error.to_string();
    let message = message
        .rfind(" at line ")
        .map_or(&*message, |at| &message[..at]);
    invalid_argument(argument, message)
}

/// A Rust value as a plain JS value, through `JSON.parse`.
fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value).map_err(|error| JsValue::from(error.to_string()))?;
    js_sys::JSON::parse(&text)
}

/// A JS `Error` (name `MarketplaceError`, code `invalid_argument`) with one field error at the
/// argument's root, as the main module throws.
fn invalid_argument(argument: &str, message: &str) -> JsValue {
    let field = FieldError::new("", FieldErrorCode::Invalid, message);
    let error = js_sys::Error::new(&format!("invalid {argument}: {field}"));
    error.set_name("MarketplaceError");
    // Setting a property on a fresh `Error` cannot fail; a failure would only lose detail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &INVALID_ARGUMENT.into());
    let errors = to_js(&[field]).unwrap_or_else(|_| js_sys::Array::new().into());
    let _ = js_sys::Reflect::set(&error, &"errors".into(), &errors);
    error.into()
}
