//! Reading the fields of a JSON object by hand, for the accept functions that report every
//! field error at once with its JSON Pointer (`event_config`, `monitor`).

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::pointer;
use serde_json::{Map, Value};

/// An `unknown_key` error for every key of `map` not in `allowed`.
pub(crate) fn reject_unknown(
    map: &Map<String, Value>,
    base: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) {
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(FieldError::new(
            pointer::push(base, key),
            Code::UnknownKey,
            format!("unknown field `{key}`"),
        ));
    }
}

/// `value` of the field `name` as one of `allowed`, or an `option` error.
pub(crate) fn one_of<'v>(
    value: &str,
    base: &str,
    name: &str,
    allowed: &[&'v str],
    errors: &mut Vec<FieldError>,
) -> Option<&'v str> {
    let found = allowed.iter().find(|a| **a == value).copied();
    if found.is_none() {
        errors.push(FieldError::new(
            pointer::push(base, name),
            Code::Option,
            format!("`{name}` must be one of {}", allowed.join(", ")),
        ));
    }
    found
}
