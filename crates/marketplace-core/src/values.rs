//! Value validation: a config object checked against a compiled spec, every problem at once.
//!
//! Validation is generic over what it reads ([`JsonView`]), so each reader's instance is
//! compiled in the crate that calls it. The helpers it calls on every value (`formats`, the
//! variable lookup, `check_length`) are `#[inline]` so that they are compiled
//! there too: the npm package's WebAssembly module builds its reader (`marketplace-tape`) for
//! speed and core for size, and these helpers at "z" took a fifth of the validation's time.

use crate::compiled::{CompiledSpec, CompiledVariable};
use crate::error::{FieldError, FieldErrorCode as Code};
use crate::formats;
use crate::json_view::{JsonObject, JsonView, str_order};
use crate::pointer::{self, Path};
use crate::spec::{Collection, ConnectionKind, LengthRules, Variable, VariableType, Visibility};
use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who edits the values being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Editor {
    /// The customer, in the marketplace: sets `customer` variables.
    Customer,
    /// The host app, through the signed token: sets `embedded` variables.
    Embedded,
    /// The vendor, through the admin API: sets any variable.
    Organization,
}

impl Editor {
    /// Whether this editor may set a variable of that visibility.
    #[inline]
    pub fn may_set(self, visibility: Visibility) -> bool {
        match self {
            Self::Customer => visibility == Visibility::Customer,
            Self::Embedded => visibility == Visibility::Embedded,
            Self::Organization => true,
        }
    }
}

/// Whether missing required values are errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Completeness {
    /// The values are the editor's whole part of a config: missing required values are errors.
    #[default]
    Complete,
    /// The values are a partial layer (vendor-set values, a draft): only present values are checked.
    Partial,
}

/// How to validate: who edits, and whether the values must be complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ValidationOptions {
    /// Who edits.
    pub editor: Editor,
    /// Whether missing required values are errors.
    pub completeness: Completeness,
}

impl ValidationOptions {
    /// Complete values from that editor.
    pub fn complete(editor: Editor) -> Self {
        Self {
            editor,
            completeness: Completeness::Complete,
        }
    }

    /// A partial layer of values from that editor.
    pub fn partial(editor: Editor) -> Self {
        Self {
            editor,
            completeness: Completeness::Partial,
        }
    }
}

/// Validates a config object against a spec; returns every problem, paths relative to the object.
///
/// An editor gets `not_editable` for a value it may not set, and never `required` for a variable
/// it cannot set (a missing value of that kind is a deployability matter). A default counts as a value.
pub fn validate_config(
    spec: &CompiledSpec,
    values: &Value,
    options: ValidationOptions,
) -> Vec<FieldError> {
    validate_view(spec, values, options)
}

/// [`validate_config`] of any [`JsonView`]: the same answer for another reader's view of the
/// same JSON (the npm package's values encoded by JavaScript).
pub fn validate_view<'a>(
    spec: &CompiledSpec,
    values: impl JsonView<'a>,
    options: ValidationOptions,
) -> Vec<FieldError> {
    match values.as_object() {
        Some(object) => validate_object(spec, object, options),
        None => vec![FieldError::new("", Code::Type, "config must be an object")],
    }
}

/// [`validate_config`] of a config already held as an object (no copy into a `Value`).
pub fn validate_map(
    spec: &CompiledSpec,
    object: &Map<String, Value>,
    options: ValidationOptions,
) -> Vec<FieldError> {
    validate_object(spec, object, options)
}

/// Every problem of a config object, read through any [`JsonObject`].
fn validate_object<'a>(
    spec: &CompiledSpec,
    object: impl JsonObject<'a>,
    options: ValidationOptions,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut required_present = 0;
    for (key, variable, value) in object.variable_members() {
        let compiled = match variable {
            Some(index) => spec.compiled_variables().get(index),
            None => spec.compiled_variable(key),
        };
        let Some(compiled) = compiled else {
            errors.push(FieldError::new(
                pointer::push("", key),
                Code::UnknownKey,
                "no variable has this key",
            ));
            continue;
        };
        let variable = &compiled.variable;
        if !variable.editable_by(options.editor) {
            let message = if variable.connection_app.is_some() {
                "this connection is authorised through its provider, not set".to_owned()
            } else {
                format!(
                    "{} variables cannot be set by this editor",
                    variable.visibility.as_str()
                )
            };
            errors.push(FieldError::new(
                compiled.path.clone(),
                Code::NotEditable,
                message,
            ));
            continue;
        }
        required_present += usize::from(variable.required_of(options.editor));
        check_variable_value(
            variable,
            compiled.pattern.as_ref(),
            value,
            Path::Written(&compiled.path),
            &mut errors,
        );
    }
    // Only when some required value is missing: walk the spec to name each one.
    if options.completeness == Completeness::Complete
        && required_present < spec.required_count(options.editor)
    {
        for compiled in spec.compiled_variables() {
            if compiled.variable.required_of(options.editor)
                && !object.contains_key(&compiled.variable.key)
            {
                errors.push(FieldError::new(
                    compiled.path.clone(),
                    Code::Required,
                    "a value is required",
                ));
            }
        }
    }
    errors
}

/// Checks one variable's value (collection and type constraints) at `path`.
pub(crate) fn check_variable_value<'a>(
    variable: &Variable,
    pattern: Option<&Regex>,
    value: impl JsonView<'a>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    match variable.collection {
        None => check_single(&variable.kind, pattern, value, path, errors),
        Some(Collection::ValueList) => {
            let Some(items) = value.as_array() else {
                errors.push(FieldError::new(
                    path.to_pointer(),
                    Code::Type,
                    "expected an array of values",
                ));
                return;
            };
            for (i, item) in items.enumerate() {
                check_single(&variable.kind, pattern, item, Path::Item(&path, i), errors);
            }
        }
        Some(Collection::KeyValueList) => {
            let Some(items) = value.as_array() else {
                errors.push(FieldError::new(
                    path.to_pointer(),
                    Code::Type,
                    "expected an array of {key, value} objects",
                ));
                return;
            };
            for (i, item) in items.enumerate() {
                check_key_value_item(&variable.kind, pattern, item, Path::Item(&path, i), errors);
            }
        }
    }
}

fn check_key_value_item<'a>(
    kind: &VariableType,
    pattern: Option<&Regex>,
    item: impl JsonView<'a>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    let Some(object) = item.as_object() else {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::Type,
            "expected a {key, value} object",
        ));
        return;
    };
    match object.get("key").map(JsonView::as_str) {
        None => errors.push(FieldError::new(
            Path::Member(&path, "key").to_pointer(),
            Code::Required,
            "a key is required",
        )),
        Some(Some("")) => errors.push(FieldError::new(
            Path::Member(&path, "key").to_pointer(),
            Code::MinLength,
            "the key must not be empty",
        )),
        Some(Some(_)) => {}
        Some(None) => errors.push(FieldError::new(
            Path::Member(&path, "key").to_pointer(),
            Code::Type,
            "expected a string",
        )),
    }
    match object.get("value") {
        None => errors.push(FieldError::new(
            Path::Member(&path, "value").to_pointer(),
            Code::Required,
            "a value is required",
        )),
        Some(value) => check_single(kind, pattern, value, Path::Member(&path, "value"), errors),
    }
    for (name, _) in object
        .members()
        .filter(|(k, _)| *k != "key" && *k != "value")
    {
        errors.push(FieldError::new(
            Path::Member(&path, name).to_pointer(),
            Code::UnknownKey,
            "only key and value are allowed",
        ));
    }
}

fn type_error(path: Path<'_>, expected: &str, errors: &mut Vec<FieldError>) {
    errors.push(FieldError::new(
        path.to_pointer(),
        Code::Type,
        format!("expected {expected}"),
    ));
}

fn check_single<'a>(
    kind: &VariableType,
    pattern: Option<&Regex>,
    value: impl JsonView<'a>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    match kind {
        VariableType::String { length, .. } => {
            if let Some(s) = expect_str(value, path, errors) {
                check_length(s, *length, path, errors);
                if let Some(re) = pattern
                    && !re.is_match(s)
                {
                    errors.push(FieldError::new(
                        path.to_pointer(),
                        Code::Pattern,
                        format!("must match the pattern {}", re.as_str()),
                    ));
                }
            }
        }
        VariableType::Text(length) | VariableType::Secret(length) => {
            if let Some(s) = expect_str(value, path, errors) {
                check_length(s, *length, path, errors);
            }
        }
        VariableType::Integer { min, max } => match value.as_integer() {
            Some(n) => check_bounds(
                n as f64,
                min.map(|m| m as f64),
                max.map(|m| m as f64),
                path,
                errors,
            ),
            None => type_error(path, "an integer", errors),
        },
        VariableType::Number { min, max } => match value.as_f64() {
            Some(n) => check_bounds(n, *min, *max, path, errors),
            None => type_error(path, "a number", errors),
        },
        VariableType::Boolean => {
            if !value.is_boolean() {
                type_error(path, "true or false", errors);
            }
        }
        VariableType::Picklist { options } => {
            if let Some(s) = expect_str(value, path, errors)
                && !options
                    .iter()
                    .any(|o| o.len() == s.len() && str_order(o, s).is_eq())
            {
                errors.push(FieldError::new(
                    path.to_pointer(),
                    Code::Option,
                    format!("must be one of: {}", options.join(", ")),
                ));
            }
        }
        VariableType::Date => {
            check_format(value, path, formats::is_date, "a date (YYYY-MM-DD)", errors)
        }
        VariableType::Timestamp => check_format(
            value,
            path,
            formats::is_timestamp,
            "an RFC 3339 timestamp",
            errors,
        ),
        VariableType::Url => check_format(
            value,
            path,
            formats::is_url,
            "an absolute http(s) URL",
            errors,
        ),
        VariableType::Email => {
            check_format(value, path, formats::is_email, "an email address", errors)
        }
        VariableType::Schedule => check_schedule(value, path, errors),
        VariableType::Code { language } => {
            if let Some(s) = expect_str(value, path, errors)
                && *language == crate::spec::CodeLanguage::Json
                && serde_json::from_str::<serde::de::IgnoredAny>(s).is_err()
            {
                errors.push(FieldError::new(
                    path.to_pointer(),
                    Code::Format,
                    "must be valid JSON text",
                ));
            }
        }
        VariableType::Json => {}
        VariableType::ObjectFieldMap { fields } => {
            check_field_map(value, fields.as_deref(), path, errors)
        }
        VariableType::Connection(kind) => check_connection(*kind, value, path, errors),
    }
}

fn expect_str<'a>(
    value: impl JsonView<'a>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    let s = value.as_str();
    if s.is_none() {
        type_error(path, "a string", errors);
    }
    s
}

#[inline]
fn check_length(s: &str, rules: LengthRules, path: Path<'_>, errors: &mut Vec<FieldError>) {
    // A string of n bytes has from n/4 (rounded up) to n characters: they are counted only
    // when these bounds do not settle the rules (counting is a loop of its own in WebAssembly).
    let bytes = s.len() as u64;
    let settled = rules.max_length.is_none_or(|max| bytes <= max)
        && rules.min_length.is_none_or(|min| bytes.div_ceil(4) >= min);
    if settled {
        return;
    }
    let len = s.chars().count() as u64;
    if let Some(min) = rules.min_length.filter(|min| len < *min) {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::MinLength,
            format!("must be at least {min} characters long"),
        ));
    }
    if let Some(max) = rules.max_length.filter(|max| len > *max) {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::MaxLength,
            format!("must be at most {max} characters long"),
        ));
    }
}

fn check_bounds(
    n: f64,
    min: Option<f64>,
    max: Option<f64>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(min) = min.filter(|min| n < *min) {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::Min,
            format!("must be at least {min}"),
        ));
    }
    if let Some(max) = max.filter(|max| n > *max) {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::Max,
            format!("must be at most {max}"),
        ));
    }
}

fn check_format<'a>(
    value: impl JsonView<'a>,
    path: Path<'_>,
    is_valid: formats::FormatCheck,
    what: &str,
    errors: &mut Vec<FieldError>,
) {
    if let Some(s) = expect_str(value, path, errors)
        && !is_valid(s)
    {
        errors.push(FieldError::new(
            path.to_pointer(),
            Code::Format,
            format!("must be {what}"),
        ));
    }
}

fn check_schedule<'a>(value: impl JsonView<'a>, path: Path<'_>, errors: &mut Vec<FieldError>) {
    let Some(object) = value.as_object() else {
        type_error(path, "an object {cron, timezone}", errors);
        return;
    };
    let fields: [(&str, formats::FormatCheck, &str); 2] = [
        ("cron", formats::is_cron, "a 5-field cron expression"),
        ("timezone", formats::is_time_zone, "an IANA time zone name"),
    ];
    for (name, is_valid, what) in fields {
        let field_path = Path::Member(&path, name);
        match object.get(name) {
            None => errors.push(FieldError::new(
                field_path.to_pointer(),
                Code::Required,
                "a value is required",
            )),
            Some(v) => check_format(v, field_path, is_valid, what, errors),
        }
    }
    for (name, _) in object
        .members()
        .filter(|(k, _)| *k != "cron" && *k != "timezone")
    {
        errors.push(FieldError::new(
            Path::Member(&path, name).to_pointer(),
            Code::UnknownKey,
            "only cron and timezone are allowed",
        ));
    }
}

fn check_field_map<'a>(
    value: impl JsonView<'a>,
    fields: Option<&[String]>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    let Some(object) = value.as_object() else {
        type_error(
            path,
            "an object mapping source fields to target fields",
            errors,
        );
        return;
    };
    for (source, target) in object.members() {
        let entry_path = Path::Member(&path, source);
        if fields.is_some_and(|fields| !fields.iter().any(|f| f == source)) {
            errors.push(FieldError::new(
                entry_path.to_pointer(),
                Code::UnknownKey,
                "this source field cannot be mapped",
            ));
        } else if target.as_str().is_none() {
            type_error(entry_path, "a target field name", errors);
        }
    }
}

fn check_connection<'a>(
    kind: ConnectionKind,
    value: impl JsonView<'a>,
    path: Path<'_>,
    errors: &mut Vec<FieldError>,
) {
    let Some(object) = value.as_object() else {
        type_error(
            path,
            &format!("an object of {} connection inputs", kind.as_str()),
            errors,
        );
        return;
    };
    for input in kind.inputs() {
        let input_path = Path::Member(&path, input.name);
        match object.get(input.name).map(JsonView::as_str) {
            None if input.required => errors.push(FieldError::new(
                input_path.to_pointer(),
                Code::Required,
                "a value is required",
            )),
            None => {}
            Some(Some(s)) if input.required && s.is_empty() => errors.push(FieldError::new(
                input_path.to_pointer(),
                Code::MinLength,
                "must not be empty",
            )),
            Some(Some(s)) if input.url && !formats::is_url(s) => errors.push(FieldError::new(
                input_path.to_pointer(),
                Code::Format,
                "must be an absolute http(s) URL",
            )),
            Some(Some(_)) => {}
            Some(None) => type_error(input_path, "a string", errors),
        }
    }
    for (name, _) in object.members() {
        if !kind.inputs().iter().any(|i| i.name == name) {
            errors.push(FieldError::new(
                Path::Member(&path, name).to_pointer(),
                Code::UnknownKey,
                format!("{} connections have no such input", kind.as_str()),
            ));
        }
    }
}

/// The variables of a compiled spec whose values are checked, for callers that hold one.
impl CompiledVariable {
    /// Checks a value for this variable, appending problems at `path`.
    pub fn check<'a>(&self, value: impl JsonView<'a>, path: &str, errors: &mut Vec<FieldError>) {
        check_variable_value(
            &self.variable,
            self.pattern.as_ref(),
            value,
            Path::Written(path),
            errors,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example() -> CompiledSpec {
        CompiledSpec::parse(&crate::spec::parse_tests_example()).unwrap()
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, Code)> {
        errors.iter().map(|e| (e.path.as_str(), e.code)).collect()
    }

    #[test]
    fn a_customer_gets_every_problem_at_once() {
        let values = json!({"endpoint": "not a url", "auth": {"api_key": ""}, "region": "mars",
            "batch_size": 0, "account_code": "abc", "tenant_token": "x", "surprise": true});
        let errors = validate_config(
            &example(),
            &values,
            ValidationOptions::complete(Editor::Customer),
        );
        assert_eq!(
            codes(&errors),
            vec![
                ("/account_code", Code::Pattern),
                ("/auth/api_key", Code::MinLength),
                ("/batch_size", Code::Min),
                ("/endpoint", Code::Format),
                ("/region", Code::Option),
                ("/surprise", Code::UnknownKey),
                ("/tenant_token", Code::NotEditable),
            ]
        );
    }

    #[test]
    fn required_only_for_what_the_editor_can_set() {
        let spec = example();
        let customer = validate_config(
            &spec,
            &json!({}),
            ValidationOptions::complete(Editor::Customer),
        );
        assert_eq!(
            codes(&customer),
            vec![
                ("/endpoint", Code::Required),
                ("/auth", Code::Required),
                ("/account_code", Code::Required)
            ]
        );
        let embedded = validate_config(
            &spec,
            &json!({}),
            ValidationOptions::complete(Editor::Embedded),
        );
        assert!(embedded.is_empty());
        let org = validate_config(
            &spec,
            &json!({}),
            ValidationOptions::complete(Editor::Organization),
        );
        assert_eq!(org.len(), 4);
        assert_eq!(org[3].path, "/tenant_token");
        let partial = validate_config(
            &spec,
            &json!({"batch_size": 501}),
            ValidationOptions::partial(Editor::Organization),
        );
        assert_eq!(codes(&partial), vec![("/batch_size", Code::Max)]);
        let not_editable = validate_config(
            &spec,
            &json!({"region": "eu"}),
            ValidationOptions::partial(Editor::Embedded),
        );
        assert_eq!(codes(&not_editable), vec![("/region", Code::NotEditable)]);
    }

    #[test]
    fn valid_values_pass() {
        let values = json!({"endpoint": "https://api.example.com", "auth": {"api_key": "k"},
            "account_code": "ABC-1234", "batch_size": 100.0});
        assert!(
            validate_config(
                &example(),
                &values,
                ValidationOptions::complete(Editor::Customer)
            )
            .is_empty()
        );
        let errors = validate_config(
            &example(),
            &json!([]),
            ValidationOptions::complete(Editor::Customer),
        );
        assert_eq!(codes(&errors), vec![("", Code::Type)]);
    }

    #[test]
    fn collections_and_structured_types_point_inside() {
        let spec = CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "tags", "label": "T", "type": "string", "collection": "value_list", "max_length": 3},
            {"key": "headers", "label": "H", "type": "integer", "collection": "key_value_list"},
            {"key": "when", "label": "W", "type": "schedule"},
            {"key": "basic", "label": "B", "type": "connection", "connection": {"kind": "oauth2_client_credentials"}},
            {"key": "fields", "label": "F", "type": "object_field_map", "fields": ["email"]},
            {"key": "body", "label": "C", "type": "code", "language": "json"},
            {"key": "day", "label": "D", "type": "date"},
            {"key": "at", "label": "A", "type": "timestamp"},
            {"key": "mail", "label": "M", "type": "email"},
            {"key": "on", "label": "O", "type": "boolean"},
            {"key": "ratio", "label": "R", "type": "number", "max": 1}
        ]}]}))
        .unwrap();
        let values = json!({
            "tags": ["ok", "toolong", 3],
            "headers": [{"key": "a", "value": 1}, {"key": "", "value": "x"}, {"value": 2, "extra": 1}, 7],
            "when": {"cron": "61 * * * *", "timezone": "Nowhere/City", "x": 1},
            "basic": {"token_url": "ftp://x", "client_id": 5, "scope": "a"},
            "fields": {"email": "Email", "phone": "Phone", "name": 3},
            "body": "{not json",
            "day": "2023-02-29", "at": "yesterday", "mail": "nobody", "on": "yes", "ratio": 1.5
        });
        let errors = validate_config(&spec, &values, ValidationOptions::partial(Editor::Customer));
        assert_eq!(
            codes(&errors),
            vec![
                ("/at", Code::Format),
                ("/basic/token_url", Code::Format),
                ("/basic/client_id", Code::Type),
                ("/basic/client_secret", Code::Required),
                ("/basic/scope", Code::UnknownKey),
                ("/body", Code::Format),
                ("/day", Code::Format),
                ("/fields/name", Code::UnknownKey),
                ("/fields/phone", Code::UnknownKey),
                ("/headers/1/key", Code::MinLength),
                ("/headers/1/value", Code::Type),
                ("/headers/2/key", Code::Required),
                ("/headers/2/extra", Code::UnknownKey),
                ("/headers/3", Code::Type),
                ("/mail", Code::Format),
                ("/on", Code::Type),
                ("/ratio", Code::Max),
                ("/tags/1", Code::MaxLength),
                ("/tags/2", Code::Type),
                ("/when/cron", Code::Format),
                ("/when/timezone", Code::Format),
                ("/when/x", Code::UnknownKey),
            ]
        );
    }
}
