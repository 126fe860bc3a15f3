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

/** A config spec: ordered pages of headers and variables (DESIGN.md, "Config spec"). */
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

/** Codes of the errors the functions throw. */
export type MarketplaceErrorCode = "invalid_spec" | "invalid_argument" | "internal";

/** What the functions throw: an `Error` named `MarketplaceError` with a code and field errors. */
export interface MarketplaceError extends Error {
  name: "MarketplaceError";
  code: MarketplaceErrorCode;
  errors: FieldError[];
}
"#;
