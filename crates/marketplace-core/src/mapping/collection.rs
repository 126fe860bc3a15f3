//! Checking record types and collections: every problem at once, with JSON Pointers relative
//! to the body checked (callers prefix them: `/collection`, `/collections/0`, nothing).

use super::schema::{self, Reach};
use super::{
    Collection, CollectionTest, Direction, Formula, MAX_MAPPINGS, Mapping, RecordType, Rule,
};
use crate::error::{FieldError, FieldErrorCode as Code, prefix_all};
use crate::pointer;
use crate::spec::is_valid_key;
use serde_json::{Map, Value};
use std::collections::HashSet;

/// Checks a record type's body `{description?, schema}` under the name from the path:
/// the name's syntax (`/name` `invalid_key`) and the schema subset (`/schema/...`).
/// A `name` in the body, if any, must be the path's.
pub fn accept_record_type(name: &str, body: &Value) -> Result<RecordType, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !is_valid_key(name) {
        errors.push(name_error("/name", "record type"));
    }
    let Some(object) = body.as_object() else {
        errors.push(FieldError::new(
            "",
            Code::Type,
            "a record type is an object",
        ));
        return Err(errors);
    };
    for (key, value) in object {
        let at = pointer::push("", key);
        match key.as_str() {
            "name" if value.as_str() != Some(name) => errors.push(FieldError::new(
                at,
                Code::Invalid,
                format!("the body names another record type than the path (`{name}`)"),
            )),
            "description" if !value.is_string() => {
                errors.push(FieldError::new(at, Code::Type, "`description` is a string"));
            }
            "schema" => errors.extend(prefix_all(schema::accept(value), "/schema")),
            "name" | "description" => {}
            _ => errors.push(unknown_key(at, "name, description, schema")),
        }
    }
    let Some(schema) = object.get("schema") else {
        errors.push(FieldError::new(
            "/schema",
            Code::Required,
            "`schema` is required",
        ));
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(RecordType {
        name: name.to_owned(),
        description: object
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        schema: schema.clone(),
    })
}

fn name_error(path: &str, what: &str) -> FieldError {
    FieldError::new(
        path,
        Code::InvalidKey,
        format!("{what} names follow ^[a-z][a-z0-9_]*$"),
    )
}

fn unknown_key(path: String, known: &str) -> FieldError {
    FieldError::new(
        path,
        Code::UnknownKey,
        format!("unknown key (known: {known})"),
    )
}

/// The top-level keys of a collection.
const COLLECTION_KEYS: &str =
    "name, record_type, direction, foreign_schema, notes, mappings, tests";

/// Parses and checks a collection against the organization's record types: structure
/// (`unknown_key`, `type`, `required`), name, record type (`/record_type`
/// `invalid_reference`), at most [`super::MAX_MAPPINGS`] mappings, each `to` a unique
/// (`duplicate`) pointer (`format`) to a target field (`unknown_field`), `from` a source field
/// when the source schema is known, static and table values of the target's type and enum
/// (`type`, `option`: `/mappings/2/table/DE`), formulas that compile (`formula_syntax`,
/// `formula_forbidden`, ≤ [`super::MAX_FORMULA_CHARS`]), required target fields mapped
/// (`/mappings` `required`, the field in the message), test names unique.
/// The target is the record type (`to`) or the foreign schema (`from`; none: unchecked).
///
/// Mappings write object fields: a `to` inside an array of the target (`/tags/0`) is an
/// `unknown_field` (map the whole array instead).
pub fn validate_collection(
    body: &Value,
    record_types: &[RecordType],
) -> Result<Collection, Vec<FieldError>> {
    let Some(object) = body.as_object() else {
        return Err(vec![FieldError::new(
            "",
            Code::Type,
            "a collection is an object",
        )]);
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !COLLECTION_KEYS.split(", ").any(|k| k == key) {
            errors.push(unknown_key(pointer::push("", key), COLLECTION_KEYS));
        }
    }
    let name = required_string(object, "name", &mut errors);
    if let Some(name) = name
        && !is_valid_key(name)
    {
        errors.push(name_error("/name", "collection"));
    }
    let record_type = required_string(object, "record_type", &mut errors).and_then(|rt| {
        let found = record_types.iter().find(|r| r.name == rt);
        if found.is_none() {
            errors.push(FieldError::new(
                "/record_type",
                Code::InvalidReference,
                format!("no record type is named `{rt}`"),
            ));
        }
        found
    });
    let direction = required_string(object, "direction", &mut errors).and_then(|d| match d {
        "to" => Some(Direction::To),
        "from" => Some(Direction::From),
        _ => {
            errors.push(FieldError::new(
                "/direction",
                Code::Option,
                "`direction` is `to` or `from`",
            ));
            None
        }
    });
    let foreign_schema = object.get("foreign_schema").filter(|s| !s.is_null());
    if let Some(foreign) = foreign_schema {
        errors.extend(prefix_all(schema::accept(foreign), "/foreign_schema"));
    }
    let notes = match object.get("notes") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(notes)) => notes.clone(),
        Some(_) => {
            errors.push(FieldError::new("/notes", Code::Type, "`notes` is a string"));
            String::new()
        }
    };
    let raw_mappings = array(object, "mappings", &mut errors);
    if raw_mappings.len() > MAX_MAPPINGS {
        errors.push(FieldError::new(
            "/mappings",
            Code::Max,
            format!("at most {MAX_MAPPINGS} mappings in a collection"),
        ));
    }
    let mappings: Vec<Option<Mapping>> = raw_mappings
        .iter()
        .enumerate()
        .map(|(i, raw)| {
            let path = pointer::push_index("/mappings", i);
            if !raw.is_object() {
                errors.push(FieldError::new(path, Code::Type, "a mapping is an object"));
                return None;
            }
            serde_json::from_value::<Mapping>(raw.clone())
                .map_err(|e| errors.push(FieldError::new(path, Code::Invalid, e.to_string())))
                .ok()
        })
        .collect();
    let tests = parse_tests(array(object, "tests", &mut errors), &mut errors);

    // The schemas each side is checked against: unknown when the record type or the
    // direction is, so that an earlier error does not cascade.
    let record_schema = record_type.map(|r| &r.schema);
    let (source, target) = match direction {
        Some(Direction::To) => (foreign_schema, record_schema),
        Some(Direction::From) => (record_schema, foreign_schema),
        None => (None, None),
    };
    let known_target = match direction {
        Some(Direction::To) => record_type.is_some(),
        Some(Direction::From) => true,
        None => false,
    };
    let mut targets = HashSet::new();
    for (i, mapping) in mappings.iter().enumerate() {
        let Some(mapping) = mapping else { continue };
        let path = pointer::push_index("/mappings", i);
        check_mapping(mapping, &path, source, target, &mut targets, &mut errors);
    }
    if let Some(target) = target
        && known_target
    {
        // Mappings that failed to parse still cover their `to`, so they cause no false alarm.
        let covered: Vec<&str> = raw_mappings
            .iter()
            .filter_map(|m| m.get("to").and_then(Value::as_str))
            .collect();
        missing_required(target, "", &covered, &mut errors);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Collection {
        name: name.unwrap_or_default().to_owned(),
        record_type: record_type.map(|r| r.name.clone()).unwrap_or_default(),
        direction: direction.unwrap_or(Direction::To),
        foreign_schema: foreign_schema.cloned(),
        notes,
        mappings: mappings.into_iter().flatten().collect(),
        tests,
    })
}

/// A required string member; `/key` `required` when absent, `type` when not a string.
fn required_string<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'v str> {
    let path = pointer::push("", key);
    match object.get(key) {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                path,
                Code::Required,
                format!("`{key}` is required"),
            ));
            None
        }
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(FieldError::new(
                path,
                Code::Type,
                format!("`{key}` is a string"),
            ));
            None
        }
    }
}

/// An optional array member (absent or null: empty).
fn array<'v>(
    object: &'v Map<String, Value>,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> &'v [Value] {
    match object.get(key) {
        None | Some(Value::Null) => &[],
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(
                pointer::push("", key),
                Code::Type,
                format!("`{key}` is an array"),
            ));
            &[]
        }
    }
}

fn parse_tests(raw: &[Value], errors: &mut Vec<FieldError>) -> Vec<CollectionTest> {
    let mut names = HashSet::new();
    let mut tests = Vec::new();
    for (i, test) in raw.iter().enumerate() {
        let path = pointer::push_index("/tests", i);
        match serde_json::from_value::<CollectionTest>(test.clone()) {
            Ok(test) => {
                if !names.insert(test.name.clone()) {
                    errors.push(FieldError::new(
                        pointer::push(&path, "name"),
                        Code::Duplicate,
                        format!("another test is named `{}`", test.name),
                    ));
                }
                tests.push(test);
            }
            Err(e) => errors.push(FieldError::new(path, Code::Invalid, e.to_string())),
        }
    }
    tests
}

/// The per-mapping rules: `to`, `from`, values against the target, formulas.
fn check_mapping<'m>(
    mapping: &'m Mapping,
    path: &str,
    source: Option<&Value>,
    target: Option<&Value>,
    targets: &mut HashSet<&'m str>,
    errors: &mut Vec<FieldError>,
) {
    let to_path = pointer::push(path, "to");
    let to_schema = match pointer::tokens(&mapping.to) {
        Some(tokens) if !tokens.is_empty() => {
            if !targets.insert(mapping.to.as_str()) {
                errors.push(FieldError::new(
                    &to_path,
                    Code::Duplicate,
                    format!("another mapping writes `{}`", mapping.to),
                ));
            }
            target.and_then(|target| match schema::reach(target, &tokens) {
                Some(Reach::Fields(s)) => Some(s),
                Some(Reach::InArray(_)) => {
                    errors.push(FieldError::new(
                        &to_path,
                        Code::UnknownField,
                        format!(
                            "`{}` is inside an array; mappings write object fields (map the whole array)",
                            mapping.to
                        ),
                    ));
                    None
                }
                None => {
                    errors.push(FieldError::new(
                        &to_path,
                        Code::UnknownField,
                        format!("the target has no field `{}`", mapping.to),
                    ));
                    None
                }
            })
        }
        _ => {
            errors.push(FieldError::new(
                &to_path,
                Code::Format,
                "`to` must be a JSON Pointer such as /email",
            ));
            None
        }
    };
    let check_value = |value: &Value, at: String, errors: &mut Vec<FieldError>| {
        if let Some(s) = to_schema {
            errors.extend(schema::check(s, value, &at));
        }
    };
    match &mapping.rule {
        Rule::Field { from, default } | Rule::Translation { from, default, .. } => {
            let from_path = pointer::push(path, "from");
            match pointer::tokens(from) {
                None => errors.push(FieldError::new(
                    from_path,
                    Code::Format,
                    "`from` must be a JSON Pointer such as /Email",
                )),
                Some(tokens) => {
                    if let Some(source) = source
                        && schema::reach(source, &tokens).is_none()
                    {
                        errors.push(FieldError::new(
                            from_path,
                            Code::UnknownField,
                            format!("the source has no field `{from}`"),
                        ));
                    }
                }
            }
            if let Some(default) = default {
                check_value(default, pointer::push(path, "default"), errors);
            }
            if let Rule::Translation { table, .. } = &mapping.rule {
                let table_path = pointer::push(path, "table");
                for (key, value) in table {
                    check_value(value, pointer::push(&table_path, key), errors);
                }
            }
        }
        Rule::Static { value } => check_value(value, pointer::push(path, "value"), errors),
        Rule::Formula { formula } => {
            if let Err(failure) = Formula::compile(formula) {
                errors.push(FieldError::new(
                    pointer::push(path, "formula"),
                    failure.code,
                    failure.message,
                ));
            }
        }
    }
}

/// Required fields of `schema` (at `prefix`) that no mapping writes: written whole, or
/// partly (then its own required fields must be written).
fn missing_required(schema: &Value, prefix: &str, covered: &[&str], errors: &mut Vec<FieldError>) {
    let Some(required) = schema.get("required").and_then(Value::as_array) else {
        return;
    };
    for name in required.iter().filter_map(Value::as_str) {
        let field = pointer::push(prefix, name);
        if covered.contains(&field.as_str()) {
            continue;
        }
        let inside = format!("{field}/");
        if covered.iter().any(|to| to.starts_with(&inside)) {
            if let Some(sub) = schema.get("properties").and_then(|p| p.get(name)) {
                missing_required(sub, &field, covered, errors);
            }
        } else {
            errors.push(FieldError::new(
                "/mappings",
                Code::Required,
                format!("no mapping writes the required field `{field}`"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record_types() -> Vec<RecordType> {
        vec![RecordType {
            name: "contact".into(),
            description: String::new(),
            schema: json!({
                "type": "object",
                "required": ["email", "address"],
                "properties": {
                    "email": {"type": "string", "format": "email"},
                    "name": {"type": "string"},
                    "country": {"type": "string", "enum": ["Germany", "France", "Other"]},
                    "tier": {"type": "integer"},
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "address": {
                        "type": "object",
                        "required": ["city"],
                        "properties": {"city": {"type": "string"}, "zip": {"type": "string"}}
                    }
                }
            }),
        }]
    }

    fn valid() -> Value {
        json!({
            "name": "contacts",
            "record_type": "contact",
            "direction": "to",
            "foreign_schema": {"properties": {
                "Email": {"type": "string"}, "cc": {"type": "string"},
                "addr": {"properties": {"city": {"type": "string"}}}
            }},
            "notes": "Shop contacts.",
            "mappings": [
                {"to": "/email", "from": "/Email"},
                {"kind": "translation", "to": "/country", "from": "/cc", "table": {"DE": "Germany"}, "default": "Other"},
                {"kind": "static", "to": "/tier", "value": 1},
                {"kind": "field", "to": "/address/city", "from": "/addr/city", "overridable": true}
            ],
            "tests": [{"name": "one", "input": {"Email": "a@b.co"}, "expected": {"email": "a@b.co"}}]
        })
    }

    /// `valid()` with `edit` applied, its errors as (path, code).
    fn errors_of(edit: impl FnOnce(&mut Value)) -> Vec<(String, Code)> {
        let mut body = valid();
        edit(&mut body);
        match validate_collection(&body, &record_types()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.path, e.code)).collect(),
        }
    }

    fn e(path: &str, code: Code) -> Vec<(String, Code)> {
        vec![(path.to_owned(), code)]
    }

    #[test]
    fn accepts_a_valid_collection() {
        let collection = validate_collection(&valid(), &record_types()).unwrap();
        assert_eq!(collection.name, "contacts");
        assert_eq!(collection.direction, Direction::To);
        assert_eq!(collection.mappings.len(), 4);
        assert!(collection.mappings[3].overridable);
        assert_eq!(collection.tests.len(), 1);
        let round_trip = serde_json::to_value(&collection).unwrap();
        assert_eq!(
            validate_collection(&round_trip, &record_types()),
            Ok(collection)
        );
    }

    #[test]
    fn reports_structural_problems() {
        assert_eq!(
            validate_collection(&json!([]), &record_types()).unwrap_err()[0].code,
            Code::Type
        );
        assert_eq!(
            errors_of(|b| b["extra"] = json!(1)),
            e("/extra", Code::UnknownKey)
        );
        assert_eq!(
            errors_of(|b| {
                b.as_object_mut().unwrap().remove("name");
            }),
            e("/name", Code::Required)
        );
        assert_eq!(errors_of(|b| b["name"] = json!(3)), e("/name", Code::Type));
        assert_eq!(
            errors_of(|b| b["name"] = json!("Contacts")),
            e("/name", Code::InvalidKey)
        );
        assert_eq!(
            errors_of(|b| b["record_type"] = json!("order")),
            e("/record_type", Code::InvalidReference)
        );
        assert_eq!(
            errors_of(|b| b["direction"] = json!("both")),
            e("/direction", Code::Option)
        );
        assert_eq!(
            errors_of(|b| b["foreign_schema"]["properties"]["cc"]["minLength"] = json!(1)),
            e("/foreign_schema/properties/cc/minLength", Code::UnknownKey)
        );
        assert_eq!(
            errors_of(|b| b["notes"] = json!(1)),
            e("/notes", Code::Type)
        );
        assert_eq!(errors_of(|b| b["mappings"] = json!({})), {
            let mut v = e("/mappings", Code::Type);
            v.extend(e("/mappings", Code::Required));
            v.extend(e("/mappings", Code::Required));
            v
        });
        assert_eq!(
            errors_of(|b| b["mappings"][2] = json!({"kind": "static", "to": "/tier"})),
            e("/mappings/2", Code::Invalid)
        );
        assert_eq!(
            errors_of(|b| b["mappings"][2]["colour"] = json!("red")),
            e("/mappings/2", Code::Invalid)
        );
        assert_eq!(
            errors_of(|b| b["mappings"][2] = json!("tier")),
            e("/mappings/2", Code::Type)
        );
        assert_eq!(
            errors_of(|b| b["tests"]
                .as_array_mut()
                .unwrap()
                .push(json!({"name": "one", "input": {}, "expected": {}}))),
            e("/tests/1/name", Code::Duplicate)
        );
        assert_eq!(
            errors_of(|b| b["tests"][0]["extra"] = json!(1)),
            e("/tests/0", Code::Invalid)
        );
    }

    #[test]
    fn limits_the_number_of_mappings() {
        let many = |n: usize| {
            errors_of(|b| {
                let statics = (0..n).map(|i| json!({"to": format!("/x{i}"), "value": 1}));
                b["mappings"] = Value::Array(statics.collect());
                b["direction"] = json!("from");
                b.as_object_mut().unwrap().remove("foreign_schema");
            })
        };
        assert_eq!(many(MAX_MAPPINGS), vec![]);
        assert_eq!(many(MAX_MAPPINGS + 1), e("/mappings", Code::Max));
    }

    #[test]
    fn reports_mapping_problems() {
        let table: Vec<(Value, Vec<(String, Code)>)> = vec![
            (
                json!({"to": "/email", "from": "/cc"}),
                e("/mappings/1/to", Code::Duplicate),
            ),
            (
                json!({"to": "email", "from": "/cc"}),
                e("/mappings/1/to", Code::Format),
            ),
            (
                json!({"to": "", "from": "/cc"}),
                e("/mappings/1/to", Code::Format),
            ),
            (
                json!({"to": "/phone", "from": "/cc"}),
                e("/mappings/1/to", Code::UnknownField),
            ),
            (
                json!({"to": "/tags/0", "from": "/cc"}),
                e("/mappings/1/to", Code::UnknownField),
            ),
            (
                json!({"to": "/name", "from": "/Phone"}),
                e("/mappings/1/from", Code::UnknownField),
            ),
            (
                json!({"to": "/name", "from": "Email"}),
                e("/mappings/1/from", Code::Format),
            ),
            (
                json!({"to": "/name", "value": 1}),
                e("/mappings/1/value", Code::Type),
            ),
            (
                json!({"to": "/country", "value": "Spain"}),
                e("/mappings/1/value", Code::Option),
            ),
            (
                json!({"to": "/name", "from": "/Email", "default": false}),
                e("/mappings/1/default", Code::Type),
            ),
            (
                json!({"kind": "translation", "to": "/country", "from": "/cc", "table": {"DE": "Germany", "FR": "Frankreich"}}),
                e("/mappings/1/table/FR", Code::Option),
            ),
            (
                json!({"kind": "translation", "to": "/name", "from": "/cc", "table": {"a/b": 2}, "default": 1.5}),
                vec![
                    ("/mappings/1/default".to_owned(), Code::Type),
                    ("/mappings/1/table/a~1b".to_owned(), Code::Type),
                ],
            ),
            (
                json!({"to": "/tags", "value": ["a", 1]}),
                e("/mappings/1/value/1", Code::Type),
            ),
        ];
        for (mapping, expected) in table {
            let errors = errors_of(|b| {
                // The country mapping is replaced: it is not required, nothing else changes.
                b["mappings"][1] = mapping.clone();
            });
            assert_eq!(errors, expected, "{mapping}");
        }
    }

    #[test]
    fn requires_the_target_fields_mapped() {
        let errors = validate_collection(
            &json!({"name": "c", "record_type": "contact", "direction": "to",
                    "mappings": [{"to": "/address/zip", "value": "1"}]}),
            &record_types(),
        )
        .unwrap_err();
        let messages: Vec<(&str, Code, &str)> = errors
            .iter()
            .map(|e| (e.path.as_str(), e.code, e.message.as_str()))
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    "/mappings",
                    Code::Required,
                    "no mapping writes the required field `/email`"
                ),
                (
                    "/mappings",
                    Code::Required,
                    "no mapping writes the required field `/address/city`"
                ),
            ]
        );
        // A mapping that does not parse still covers its field.
        assert_eq!(
            errors_of(|b| b["mappings"][0] = json!({"to": "/email"})),
            e("/mappings/0", Code::Invalid)
        );
    }

    #[test]
    fn the_target_follows_the_direction() {
        // `from`: the record type is the source, the foreign schema the target.
        let body = json!({
            "name": "back", "record_type": "contact", "direction": "from",
            "foreign_schema": {"required": ["Email"], "properties": {"Email": {"type": "string"}}},
            "mappings": [
                {"to": "/Email", "from": "/email"},
                {"to": "/Name", "from": "/nickname"}
            ]
        });
        let errors: Vec<(String, Code)> = validate_collection(&body, &record_types())
            .unwrap_err()
            .into_iter()
            .map(|e| (e.path, e.code))
            .collect();
        assert_eq!(
            errors,
            vec![
                ("/mappings/1/to".to_owned(), Code::UnknownField),
                ("/mappings/1/from".to_owned(), Code::UnknownField),
            ]
        );
        // No foreign schema: the target is unchecked, the source still is.
        let body = json!({
            "name": "back", "record_type": "contact", "direction": "from",
            "mappings": [{"to": "/Anything", "from": "/email"}]
        });
        assert!(validate_collection(&body, &record_types()).is_ok());
    }

    #[test]
    fn accepts_record_types() {
        let body = json!({"description": "A person", "schema": {"type": "object"}});
        let accepted = accept_record_type("contact", &body).unwrap();
        assert_eq!(accepted.description, "A person");
        let codes = |name: &str, body: Value| -> Vec<(String, Code)> {
            accept_record_type(name, &body)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|e| (e.path, e.code))
                .collect()
        };
        assert_eq!(codes("Contact", body.clone()), e("/name", Code::InvalidKey));
        assert_eq!(codes("contact", json!({})), e("/schema", Code::Required));
        assert_eq!(
            codes("contact", json!({"schema": {"type": "text"}, "x": 1})),
            vec![
                ("/schema/type".to_owned(), Code::Option),
                ("/x".to_owned(), Code::UnknownKey)
            ]
        );
        assert_eq!(
            codes("contact", json!({"name": "other", "schema": {}})),
            e("/name", Code::Invalid)
        );
        assert_eq!(
            codes("contact", json!({"name": "contact", "schema": {}})),
            vec![]
        );
        assert_eq!(
            codes("contact", json!({"description": 1, "schema": {}})),
            e("/description", Code::Type)
        );
    }

    #[cfg(feature = "formula")]
    #[test]
    fn checks_formulas() {
        let table = [
            (".first + \" \" + .last", vec![]),
            (".first +", e("/mappings/2/formula", Code::FormulaSyntax)),
            (
                "range(100)",
                e("/mappings/2/formula", Code::FormulaForbidden),
            ),
            (
                "[.[] | now]",
                e("/mappings/2/formula", Code::FormulaForbidden),
            ),
        ];
        for (formula, expected) in table {
            let errors = errors_of(|b| {
                b["mappings"][2] = json!({"kind": "formula", "to": "/name", "formula": formula});
            });
            assert_eq!(errors, expected, "{formula}");
        }
        let long = format!(".a{}", " ".repeat(super::super::MAX_FORMULA_CHARS));
        let errors = errors_of(|b| {
            b["mappings"][2] = json!({"kind": "formula", "to": "/name", "formula": long});
        });
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "/mappings/2/formula");
    }
}
