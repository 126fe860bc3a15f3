//! The JSON Schema subset of record types and foreign schemas: `type`, `properties`,
//! `required`, `items`, `enum`, `format`, `title`, `description` (2020-12 meaning).
//!
//! Core checks this subset itself (the `jsonschema` crate is far too large for the WebAssembly
//! module); `tests/core.rs` checks that both agree on generated schemas and values.
//!
//! Formats checked: `date`, `date-time`, `email` and `uri`, with core's checks in
//! [`crate::formats`]; other formats are allowed and not checked. Known differences from a
//! full validator: `uri` is an absolute http(s) URL (what records here carry) and `email` has a
//! dotted domain, both stricter than RFC 3986 and RFC 5321; a schema is an object (the boolean
//! schemas `true` and `false` are not in the subset).

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::{formats, pointer};
use serde_json::Value;

/// The type names of the subset: the six JSON types and `integer`.
pub const TYPE_NAMES: [&str; 7] = [
    "null", "boolean", "object", "array", "number", "string", "integer",
];

/// The keywords of the subset.
const KEYWORDS: [&str; 8] = [
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "format",
    "title",
    "description",
];

/// Checks a schema: only the subset's keywords, each well formed; every problem at once, paths
/// relative to the schema (`/properties/email/type`), `unknown_key` for other keywords.
pub fn accept(schema: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    accept_at(schema, "", &mut errors);
    errors
}

fn accept_at(schema: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(object) = schema.as_object() else {
        errors.push(FieldError::new(path, Code::Type, "a schema is an object"));
        return;
    };
    for (key, value) in object {
        let at = pointer::push(path, key);
        match key.as_str() {
            "type" => accept_type(value, &at, errors),
            "properties" => match value.as_object() {
                Some(properties) => {
                    for (name, property) in properties {
                        accept_at(property, &pointer::push(&at, name), errors);
                    }
                }
                None => errors.push(FieldError::new(
                    at,
                    Code::Type,
                    "`properties` is an object of schemas",
                )),
            },
            "required" => accept_required(value, &at, errors),
            "items" => accept_at(value, &at, errors),
            "enum" => match value.as_array() {
                Some(options) if options.is_empty() => errors.push(FieldError::new(
                    at,
                    Code::Empty,
                    "`enum` lists at least one value",
                )),
                Some(_) => {}
                None => errors.push(FieldError::new(at, Code::Type, "`enum` is an array")),
            },
            "format" | "title" | "description" => {
                if !value.is_string() {
                    errors.push(FieldError::new(
                        at,
                        Code::Type,
                        format!("`{key}` is a string"),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                at,
                Code::UnknownKey,
                format!(
                    "`{key}` is not in the schema subset ({})",
                    KEYWORDS.join(", ")
                ),
            )),
        }
    }
}

fn accept_type(value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let type_error = || {
        FieldError::new(
            path,
            Code::Type,
            "`type` is a type name or a non-empty array of distinct type names",
        )
    };
    let option_error = |path: String, name: &str| {
        FieldError::new(
            path,
            Code::Option,
            format!("`{name}` is not one of {}", TYPE_NAMES.join(", ")),
        )
    };
    match value {
        Value::String(name) if !TYPE_NAMES.contains(&name.as_str()) => {
            errors.push(option_error(path.to_owned(), name));
        }
        Value::String(_) => {}
        Value::Array(names) if names.is_empty() => errors.push(type_error()),
        Value::Array(names) => {
            for (i, name) in names.iter().enumerate() {
                let at = pointer::push_index(path, i);
                match name.as_str() {
                    None => errors.push(FieldError::new(at, Code::Type, "a type name is a string")),
                    Some(n) if !TYPE_NAMES.contains(&n) => errors.push(option_error(at, n)),
                    Some(_) if names[..i].contains(name) => errors.push(FieldError::new(
                        at,
                        Code::Duplicate,
                        "each type is listed once",
                    )),
                    Some(_) => {}
                }
            }
        }
        _ => errors.push(type_error()),
    }
}

fn accept_required(value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    let Some(names) = value.as_array() else {
        errors.push(FieldError::new(
            path,
            Code::Type,
            "`required` is an array of property names",
        ));
        return;
    };
    for (i, name) in names.iter().enumerate() {
        let at = pointer::push_index(path, i);
        if !name.is_string() {
            errors.push(FieldError::new(
                at,
                Code::Type,
                "a property name is a string",
            ));
        } else if names[..i].contains(name) {
            errors.push(FieldError::new(
                at,
                Code::Duplicate,
                "each required property is listed once",
            ));
        }
    }
}

/// How a pointer into a record reaches a sub-schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach<'s> {
    /// Through object properties only.
    Fields(&'s Value),
    /// Through at least one array's `items`.
    InArray(&'s Value),
}

/// [`at`] on tokens already split, saying whether the way went through an array.
pub(crate) fn reach<'s, T: AsRef<str>>(schema: &'s Value, tokens: &[T]) -> Option<Reach<'s>> {
    let mut current = schema;
    let mut in_array = false;
    for token in tokens {
        let token = token.as_ref();
        if let Some(property) = current.get("properties").and_then(|p| p.get(token)) {
            current = property;
        } else if let Some(items) = current.get("items")
            && (token == "-" || array_index(token).is_some())
        {
            current = items;
            in_array = true;
        } else {
            return None;
        }
    }
    Some(if in_array {
        Reach::InArray(current)
    } else {
        Reach::Fields(current)
    })
}

/// The sub-schema a JSON Pointer into a record names (`/addr/cc` through `properties`, a
/// numeric token or `-` through `items`); `None` when the schema has no such field.
pub fn at<'s>(schema: &'s Value, pointer: &str) -> Option<&'s Value> {
    match reach(schema, &pointer::tokens(pointer)?)? {
        Reach::Fields(s) | Reach::InArray(s) => Some(s),
    }
}

/// An array index token of RFC 6901: `0` or digits without a leading zero.
pub(crate) fn array_index(token: &str) -> Option<usize> {
    let digits = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

/// Checks a value against a schema; every problem, paths `base` + the value's pointer, codes
/// `type`, `option` (enum), `required`, `format`.
pub fn check(schema: &Value, value: &Value, base: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    check_at(schema, value, base, &mut errors);
    errors
}

fn check_at(schema: &Value, value: &Value, path: &str, errors: &mut Vec<FieldError>) {
    if let Some(types) = schema.get("type")
        && !type_matches(types, value)
    {
        errors.push(FieldError::new(
            path,
            Code::Type,
            format!("expected {}, found {}", type_list(types), json_type(value)),
        ));
    }
    // As in JSON Schema, the other keywords apply whatever `type` said.
    if let Some(options) = schema.get("enum").and_then(Value::as_array)
        && !options.iter().any(|option| json_eq(option, value))
    {
        errors.push(FieldError::new(
            path,
            Code::Option,
            "the value is not one of the schema's `enum` values",
        ));
    }
    match value {
        Value::String(s) => {
            if let Some(format) = schema.get("format").and_then(Value::as_str)
                && let Some(check) = format_check(format)
                && !check(s)
            {
                errors.push(FieldError::new(
                    path,
                    Code::Format,
                    format!("the value is not in the `{format}` format"),
                ));
            }
        }
        Value::Object(object) => {
            if let Some(required) = schema.get("required").and_then(Value::as_array) {
                for name in required.iter().filter_map(Value::as_str) {
                    if !object.contains_key(name) {
                        errors.push(FieldError::new(
                            pointer::push(path, name),
                            Code::Required,
                            format!("`{name}` is required"),
                        ));
                    }
                }
            }
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, property) in properties {
                    if let Some(v) = object.get(name) {
                        check_at(property, v, &pointer::push(path, name), errors);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check_at(item_schema, item, &pointer::push_index(path, i), errors);
                }
            }
        }
        _ => {}
    }
}

/// The check of a known format; `None` for formats that are not checked.
fn format_check(format: &str) -> Option<formats::FormatCheck> {
    match format {
        "date" => Some(formats::is_date),
        "date-time" => Some(formats::is_timestamp),
        "email" => Some(formats::is_email),
        "uri" => Some(formats::is_url),
        _ => None,
    }
}

fn type_matches(types: &Value, value: &Value) -> bool {
    match types {
        Value::String(name) => is_type(name, value),
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .any(|name| is_type(name, value)),
        _ => true,
    }
}

fn is_type(name: &str, value: &Value) -> bool {
    match name {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "integer" => value.as_number().is_some_and(|n| {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }),
        _ => false,
    }
}

fn type_list(types: &Value) -> String {
    match types {
        Value::Array(names) => names
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        other => other.as_str().unwrap_or_default().to_owned(),
    }
}

/// The JSON type of a value, as named in messages.
pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// JSON equality as JSON Schema means it: numbers equal by value (`1` = `1.0`).
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (path, code) of each error, sorted (map order depends on serde_json's features).
    fn codes(errors: &[FieldError]) -> Vec<(String, Code)> {
        let mut out: Vec<_> = errors.iter().map(|e| (e.path.clone(), e.code)).collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn accepts_the_subset_and_names_every_problem() {
        let good = json!({
            "title": "Contact", "description": "A person", "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "tags": {"type": "array", "items": {"type": ["string", "null"]}},
                "tier": {"enum": ["gold", 1, null]},
                "seen": {"format": "whatever"}
            }
        });
        assert_eq!(accept(&good), vec![]);
        let table: &[(Value, &[(&str, Code)])] = &[
            (json!(true), &[("", Code::Type)]),
            (json!({"minLength": 1}), &[("/minLength", Code::UnknownKey)]),
            (json!({"type": "text"}), &[("/type", Code::Option)]),
            (json!({"type": 3}), &[("/type", Code::Type)]),
            (json!({"type": []}), &[("/type", Code::Type)]),
            (
                json!({"type": ["string", "string", "date", 1]}),
                &[
                    ("/type/1", Code::Duplicate),
                    ("/type/2", Code::Option),
                    ("/type/3", Code::Type),
                ],
            ),
            (json!({"properties": []}), &[("/properties", Code::Type)]),
            (
                json!({"properties": {"a/b": {"pattern": "x"}}}),
                &[("/properties/a~1b/pattern", Code::UnknownKey)],
            ),
            (json!({"required": "a"}), &[("/required", Code::Type)]),
            (
                json!({"required": ["a", "a", 1]}),
                &[
                    ("/required/1", Code::Duplicate),
                    ("/required/2", Code::Type),
                ],
            ),
            (
                json!({"items": {"type": "x"}}),
                &[("/items/type", Code::Option)],
            ),
            (json!({"enum": []}), &[("/enum", Code::Empty)]),
            (json!({"enum": 1}), &[("/enum", Code::Type)]),
            (json!({"format": 1}), &[("/format", Code::Type)]),
            (json!({"title": 1}), &[("/title", Code::Type)]),
            (json!({"description": []}), &[("/description", Code::Type)]),
        ];
        for (schema, expected) in table {
            let expected: Vec<(String, Code)> =
                expected.iter().map(|(p, c)| (p.to_string(), *c)).collect();
            assert_eq!(codes(&accept(schema)), expected, "{schema}");
        }
    }

    #[test]
    fn finds_fields_through_properties_and_items() {
        let schema = json!({"properties": {
            "addr": {"properties": {"cc": {"type": "string"}}},
            "lines": {"items": {"properties": {"sku": {"type": "string"}}}}
        }});
        assert_eq!(at(&schema, ""), Some(&schema));
        assert_eq!(at(&schema, "/addr/cc"), Some(&json!({"type": "string"})));
        assert_eq!(
            at(&schema, "/lines/0/sku"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(
            at(&schema, "/lines/-/sku"),
            Some(&json!({"type": "string"}))
        );
        assert_eq!(at(&schema, "/lines/01/sku"), None);
        assert_eq!(at(&schema, "/addr/zip"), None);
        assert_eq!(at(&schema, "/addr/cc/x"), None);
        assert_eq!(at(&schema, "addr"), None);
        assert!(matches!(
            reach(&schema, &["lines", "0"]),
            Some(Reach::InArray(_))
        ));
        assert!(matches!(reach(&schema, &["addr"]), Some(Reach::Fields(_))));
    }

    #[test]
    fn checks_values() {
        let schema = json!({
            "type": "object",
            "required": ["email", "name"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "born": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "site": {"type": "string", "format": "uri"},
                "odd": {"type": "string", "format": "whatever"},
                "n": {"type": "integer"},
                "tier": {"enum": ["gold", 1]},
                "tags": {"type": "array", "items": {"type": ["string", "null"]}}
            }
        });
        let value = json!({
            "email": "nope", "born": "2023-02-29", "at": "2024-05-01T10:00:00Z",
            "site": "ftp://x", "odd": "anything", "n": 1.5, "tier": 1.0,
            "tags": ["a", null, 3]
        });
        assert_eq!(
            codes(&check(&schema, &value, "/output")),
            vec![
                ("/output/born".to_owned(), Code::Format),
                ("/output/email".to_owned(), Code::Format),
                ("/output/n".to_owned(), Code::Type),
                ("/output/name".to_owned(), Code::Required),
                ("/output/site".to_owned(), Code::Format),
                ("/output/tags/2".to_owned(), Code::Type),
            ]
        );
        assert_eq!(
            codes(&check(
                &schema,
                &json!({"email": "a@b.co", "name": 1, "n": 2.0, "tier": "x"}),
                ""
            )),
            vec![("/tier".to_owned(), Code::Option)]
        );
        assert_eq!(
            codes(&check(&schema, &json!([]), "")),
            vec![("".to_owned(), Code::Type)]
        );
    }
}
