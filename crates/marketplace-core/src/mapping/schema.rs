//! The JSON Schema subset of record types and foreign schemas: `type`, `properties`,
//! `required`, `items`, `enum`, `format`, `title`, `description` (2020-12 meaning).
//!
//! Core checks this subset itself (the `jsonschema` crate is far too large for the WebAssembly
//! module); `tests/core.rs` checks that both agree on generated schemas and values.

use crate::error::FieldError;
use serde_json::Value;

/// Checks a schema: only the subset's keywords, each well formed; every problem at once, paths
/// relative to the schema (`/properties/email/type`), `unknown_key` for other keywords.
pub fn accept(schema: &Value) -> Vec<FieldError> {
    let _ = schema;
    todo!("mapping::schema::accept")
}

/// The sub-schema a JSON Pointer into a record names (`/addr/cc` through `properties`, a
/// numeric token or `-` through `items`); `None` when the schema has no such field.
pub fn at<'s>(schema: &'s Value, pointer: &str) -> Option<&'s Value> {
    let _ = (schema, pointer);
    todo!("mapping::schema::at")
}

/// Checks a value against a schema; every problem, paths `base` + the value's pointer, codes
/// `type`, `option` (enum), `required`, `format`.
pub fn check(schema: &Value, value: &Value, base: &str) -> Vec<FieldError> {
    let _ = (schema, value, base);
    todo!("mapping::schema::check")
}
