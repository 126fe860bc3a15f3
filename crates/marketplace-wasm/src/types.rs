//! The TypeScript declarations of the package, in one reviewed place.
//!
//! The exports take and return plain JS values (`JsValue`) typed through
//! `unchecked_param_type`/`unchecked_return_type` with the interfaces below, so the generated
//! `.d.ts` has no `any` in a public signature. Keep these in step with core's wire forms
//! (`marketplace_core::spec::wire`, `FieldError`, `Deployability`) and with the exports.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A config spec: ordered pages of headers and variables. */
export interface ConfigSpec {
  pages: Page[];
}

/** A page of a spec. */
export interface Page {
  title: string;
  tagline?: string;
  elements: Element[];
}

/** An element of a page: a header (display text) or a variable. */
export type Element = Header | Variable;

/** Display text between variables. */
export interface Header {
  header: string;
}

/** Who sees and sets a variable; `customer` when absent. */
export type Visibility = "customer" | "embedded" | "organization";

/** The type of a variable. */
export type VariableType =
  | "string" | "text" | "integer" | "number" | "boolean" | "picklist" | "date" | "timestamp"
  | "schedule" | "url" | "email" | "secret" | "code" | "json" | "object_field_map" | "connection";

/** The kind of a `connection` variable. */
export type ConnectionKind =
  | "api_key" | "basic" | "oauth2_client_credentials" | "oauth2_authorization_code";

/** A variable: the flat JSON object of the wire form; constraints only where they apply. */
export interface Variable {
  key: string;
  label: string;
  description?: string;
  type: VariableType;
  collection?: "value_list" | "key_value_list";
  required?: boolean;
  default?: JsonValue;
  visibility?: Visibility;
  /** `string`: a regular expression the value must match. */
  pattern?: string;
  /** `string`, `text`, `secret`. */
  min_length?: number;
  max_length?: number;
  /** `integer`, `number`. */
  min?: number;
  max?: number;
  /** `picklist`. */
  options?: string[];
  /** `code`. */
  language?: "json" | "xml" | "html";
  /** `object_field_map`. */
  fields?: string[];
  /** `connection`. */
  connection?: { kind: ConnectionKind };
}

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
}

/** A config object: variable key to value. */
export type ConfigValues = { [key: string]: JsonValue };

/** Who edits the values being validated. */
export type Editor = "customer" | "embedded" | "organization";

/** Stable machine codes of field errors. */
export type FieldErrorCode =
  | "required" | "type" | "pattern" | "min" | "max" | "min_length" | "max_length" | "option"
  | "format" | "unknown_key" | "not_editable" | "duplicate" | "invalid_key"
  | "invalid_reference" | "empty" | "invalid_version" | "version_order" | "immutable"
  | "invalid";

/** One problem with one field; `path` is a JSON Pointer into the checked document. */
export interface FieldError {
  path: string;
  code: FieldErrorCode;
  message: string;
}

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
}

/** The answer to "may this customer activate this listing". */
export type DeployabilityStatus = "deployable" | "contact_vendor" | "not_deployable";

/** Why a listing is not deployable. */
export type ReasonCode =
  | "listing_not_customer_deployable" | "missing_default" | "instance_exists"
  | "version_not_published";

/** One reason, with what the vendor must fix. */
export interface DeployabilityReason {
  code: ReasonCode;
  message: string;
  /** For `missing_default`: the variables lacking a value (for the vendor's eyes). */
  variables?: string[];
}

/** What `deployability` returns; `reasons` is empty when deployable. */
export interface Deployability {
  status: DeployabilityStatus;
  reasons: DeployabilityReason[];
}

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
  next_cursor: string | null;
}

/** Paging of a list. */
export interface PageQuery {
  /** 1 to 200 (default 50). */
  limit?: number;
  cursor?: string;
}

/** Filters and paging of the catalog. */
export interface CatalogQuery extends PageQuery {
  category?: string;
  label?: string;
  /** Case-insensitive substring of name, description, category or a label. */
  q?: string;
}

/** A listed integration with the customer's activation state. */
export interface CatalogEntry {
  integration_id: string;
  name: string;
  description: string;
  category: string;
  labels: string[];
  icon_url: string | null;
  version: string;
  activated: boolean;
  instance_count: number;
  deployability: Deployability;
}

/** An integration's detail: the entry plus what the customer fills in. */
export interface IntegrationDetail extends CatalogEntry {
  /** Markdown. */
  overview: string;
  /** The overview rendered to sanitised HTML by the service. */
  overview_html: string;
  /** The customer-visible part of the listed version's spec. */
  config: ConfigSpec;
  flows: string[];
}

/** The states of an instance. */
export type InstanceStatus = "active" | "paused" | "needs_configuration" | "deactivated";

/** An activated integration; secrets come back as `{"set": true}`. */
export interface Instance {
  id: string;
  customer_id: string;
  integration_id: string;
  version: string;
  name: string;
  status: InstanceStatus;
  config: ConfigValues;
  webhook_urls: { flow: string; url: string }[];
  created_at: string;
  updated_at: string;
}

/** One run of a flow. */
export interface Execution {
  id: string;
  instance_id: string;
  customer_id: string;
  integration_id: string;
  version: string;
  flow: string;
  trigger: string;
  status: string;
  attempts: number;
  steps: JsonValue;
  started_at: string;
  finished_at: string | null;
}

/** A log line of an instance. */
export interface LogEntry {
  id: string;
  customer_id: string;
  integration_id: string;
  version: string;
  instance_id: string;
  execution_id: string | null;
  severity: "info" | "warn" | "error";
  type: "execution" | "delivery" | "lifecycle";
  message: string;
  at: string;
}

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

/** A test run of a flow. */
export interface TestRun {
  flow?: string;
  input?: JsonValue;
}
"#;
