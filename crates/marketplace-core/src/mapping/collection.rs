//! Checking record types and collections: every problem at once, with JSON Pointers relative
//! to the body checked (callers prefix them: `/collection`, `/collections/0`, nothing).

use super::{Collection, RecordType};
use crate::error::FieldError;
use serde_json::Value;

/// Checks a record type's body `{description?, schema}` under the name from the path:
/// the name's syntax (`/name` `invalid_key`) and the schema subset (`/schema/...`).
pub fn accept_record_type(name: &str, body: &Value) -> Result<RecordType, Vec<FieldError>> {
    let _ = (name, body);
    todo!("mapping::accept_record_type")
}

/// Parses and checks a collection against the organization's record types: structure
/// (`unknown_key`, `type`, `required`), name, record type (`/record_type`
/// `invalid_reference`), at most [`super::MAX_MAPPINGS`] mappings, each `to` a unique
/// (`duplicate`) pointer (`format`) to a target field (`unknown_field`), `from` a source field
/// when the source schema is known, static and table values of the target's type and enum
/// (`type`, `option`: `/mappings/2/table/DE`), formulas that compile (`formula_syntax`,
/// `formula_forbidden`, ≤ [`super::MAX_FORMULA_CHARS`]), required target fields mapped
/// (`/mappings` `required`, the field in the message), test names unique.
/// The target is the record type (`to`) or the foreign schema (`from`; none: unchecked).
pub fn validate_collection(
    body: &Value,
    record_types: &[RecordType],
) -> Result<Collection, Vec<FieldError>> {
    let _ = (body, record_types);
    todo!("mapping::validate_collection")
}
