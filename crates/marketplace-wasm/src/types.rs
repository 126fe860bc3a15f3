//! The TypeScript declarations of the package, in one reviewed place.
//!
//! The exports take and return plain JS values (`JsValue`) typed through
//! `unchecked_param_type`/`unchecked_return_type` with the interfaces below, so the generated
//! `.d.ts` has no `any` in a public signature. The API's shapes (specs, field errors,
//! deployability, catalog entries, instances, executions, logs, pages and queries) are not
//! written here: they come from `js/api.d.ts`, generated from the service's OpenAPI document
//! (`cargo xtask api-types`; the `openapi` step fails when the two disagree).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

import type { components, operations } from './api.js';

/** The API's schemas, as the service's OpenAPI document describes them. */
type Schemas = components["schemas"];

/** A config spec: ordered pages of headers and variables. */
export type ConfigSpec = Schemas["ConfigSpec"];

/** A page of a spec. */
export type Page = Schemas["SpecPage"];

/** An element of a page: a header (display text) or a variable. */
export type Element = Schemas["SpecElement"];

/** A variable: the flat JSON object of the wire form; constraints only where they apply. */
export type Variable = Schemas["SpecVariable"];

/** Who sees and sets a variable; `customer` when absent. */
export type Visibility = Schemas["Visibility"];

/** The type of a variable. */
export type VariableType = Schemas["VariableType"];

/** The kind of a `connection` variable. */
export type ConnectionKind = Schemas["ConnectionKind"];

/** One input of a connection kind. */
export interface ConnectionInput {
  name: string;
  required: boolean;
  /** Write-only: masked as `{"set": true}` in read views. */
  secret: boolean;
  /** An absolute http(s) URL. */
  url: boolean;
}

/** The placeholder of a stored secret in read views; sent back, it keeps the secret. */
export interface Masked {
  set: true;
}

/** What `rules()` returns: the data of core's rules that forms and pages need. */
export interface Rules {
  /** The inputs of each connection kind, in display order. */
  connection_inputs: { [kind in ConnectionKind]: ConnectionInput[] };
  masked: Masked;
  /** The themes of the embedded marketplace, the default first. */
  theme_names: string[];
  /** An accent colour, as a regular expression source (`^#[0-9a-fA-F]{6}$`). */
  accent_pattern: string;
  /** The cancellation reasons a customer picks from when deactivating. */
  cancellation_reasons: string[];
}

/** A config object: variable key to value. */
export type ConfigValues = { [key: string]: JsonValue };

/** Who edits the values being validated. */
export type Editor = "customer" | "embedded" | "organization";

/** Stable machine codes of field errors. */
export type FieldErrorCode = Schemas["FieldErrorCode"];

/** One problem with one field; `path` is a JSON Pointer into the checked document. */
export type FieldError = Schemas["FieldError"];

/** What `validateConfig` returns. */
export interface ValidationResult {
  valid: boolean;
  errors: FieldError[];
}

/** A JSON Schema (2020-12) document. */
export type JsonSchema = { [keyword: string]: JsonValue };

/** A marketplace listing, in the service's wire form. */
export interface Listing {
  integration_id: string;
  version: string;
  overview?: string;
  customer_deployable: boolean;
  allow_multiple_instances: boolean;
}

/** The listed version: its semantic version, state and config spec (other fields ignored). */
export interface ListedVersion {
  version: string;
  state: "draft" | "published";
  config: ConfigSpec;
  [other: string]: unknown;
}

/** What `deployability` looks at. */
export interface DeployabilityInput {
  listing: Listing;
  version: ListedVersion;
  /** The customer's instances of this integration that are not deactivated (default 0). */
  liveInstances?: number;
  /** Values the vendor set for this customer and integration. */
  vendorValues?: ConfigValues | null;
  /** Values of embedded variables from the host's token. */
  embeddedValues?: ConfigValues | null;
  /** The listed version's certification tier (null: below compatible). */
  tier?: "compatible" | "ready" | "certified" | "one_click" | null;
  /** The marketplace's minimum tier; below it the answer is `not_deployable`. */
  minTier?: "compatible" | "ready" | "certified" | "one_click" | null;
}

/** The answer to "may this customer activate this listing". */
export type DeployabilityStatus = Schemas["DeployabilityStatus"];

/** Why a listing is not deployable. */
export type ReasonCode = Schemas["ReasonCode"];

/** One reason, with what the vendor must fix. */
export type DeployabilityReason = Schemas["DeployabilityReason"];

/** What `deployability` returns; `reasons` is empty when deployable. */
export type Deployability = Schemas["Deployability"];

/** Codes the package's own functions throw; the client adds the service's problem codes
 * (`not_found`, `not_deployable`, `validation_failed`, ...) and `transport`, `decode`, `token`. */
export type MarketplaceErrorCode = "invalid_spec" | "invalid_argument" | "internal";

/** What the functions throw and the client's Promises reject with. */
export interface MarketplaceError extends Error {
  name: "MarketplaceError";
  code: MarketplaceErrorCode | string;
  /** Field errors: of the argument, the local validation, or the service's 422. */
  errors: FieldError[];
  /** The client only: the HTTP status, 0 when no answer came (or nothing was sent). */
  status?: number;
  /** The client only: why an activation is refused (403/409). */
  reasons?: DeployabilityReason[];
  /** The client only: the refused request's id in the service's logs (`x-request-id`), to
   * quote to support; null when no answer came. */
  requestId?: string | null;
}

/** How a `Marketplace` client gets its embedded token (signed by the host's backend). */
export interface MarketplaceOptions {
  /** The service, e.g. `https://marketplace.example.com`. */
  baseUrl: string;
  /** Called for a token at first use, 30 s before `exp` and once after a 401. */
  getToken?: () => string | Promise<string>;
  /** A fixed token, used when there is no `getToken`. */
  token?: string;
}

/** A page of a list; pass `next_cursor` as `cursor` for the next one. */
export interface ListPage<T> {
  items: T[];
  next_cursor?: string | null;
}

/** Paging of a list. */
export type PageQuery = NonNullable<operations["embedded_list_instances"]["parameters"]["query"]>;

/** Filters and paging of the catalog. */
export type CatalogQuery = NonNullable<operations["embedded_marketplace"]["parameters"]["query"]>;

/** A listed integration with the customer's activation state. */
export type CatalogEntry = Schemas["MarketplaceEntry"];

/** An integration's detail: the entry plus what the customer fills in. */
export type IntegrationDetail = Schemas["MarketplaceDetail"];

/** The states of an instance. */
export type InstanceStatus = Schemas["InstanceStatus"];

/** An activated integration; secrets come back as `{"set": true}`. */
export type Instance = Schemas["InstanceView"];

/** One run of a flow. */
export type Execution = Schemas["ExecutionView"];

/** A log line of an instance. */
export type LogEntry = Schemas["LogView"];

/** Options of `activate`. */
export interface ActivateOptions {
  name?: string;
  /** A retry with the same key returns the same instance. */
  idempotencyKey?: string;
}

/** What `reconfigure` changes; omitted secrets keep their values. */
export interface InstanceChanges {
  name?: string;
  config?: ConfigValues;
}

/** Where to open the vendor's product, signed in (the answer of `launchInstance`). */
export type LaunchUrl = Schemas["LaunchUrl"];

/** A test run of a flow. */
export type TestRun = Partial<Schemas["TestBody"]>;

/** Why a customer deactivates (`deactivate`'s second argument): one of `rules().cancellation_reasons`. */
export type Cancellation = Schemas["DeactivateBody"];

/** One subscription of the customer: the price then, and how it ended. */
export type Subscription = Schemas["SubscriptionView"];

/** A review of an integration (authors unnamed; the customer's own one is `mine`). */
export type Review = Schemas["ReviewView"];

/** What `review` and `editReview` send: `rating` (1 to 5) and `text`, or `follow_up`. */
export type ReviewInput = Schemas["ReviewBody"];
"#;
