//! Parsing a spec from JSON, checking everything and reporting every problem with its path.

use super::{
    CodeLanguage, Collection, ConfigSpec, ConnectionKind, Element, LengthRules, Page, Variable,
    VariableType, Visibility, is_valid_key,
};
use crate::connection::{AuthMethod, ConnectionApp};
use crate::error::{FieldError, FieldErrorCode as Code};
use crate::pointer;
use crate::values::check_variable_value;
use regex_lite::Regex;
use serde_json::{Map, Value};
use std::collections::HashSet;

impl ConfigSpec {
    /// Parses a spec from its JSON form, reporting every problem at once with a JSON Pointer
    /// into the spec (`/pages/0/elements/1/key`).
    pub fn parse(value: &Value) -> Result<ConfigSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let spec = parse_spec(value, &mut errors);
        if errors.is_empty() {
            Ok(spec)
        } else {
            Err(errors)
        }
    }
}

/// A JSON object being read, with its path; records every problem it meets.
struct Reader<'a, 'p> {
    map: &'a Map<String, Value>,
    path: &'p str,
}

impl<'a, 'p> Reader<'a, 'p> {
    fn new(
        value: &'a Value,
        path: &'p str,
        what: &str,
        errors: &mut Vec<FieldError>,
    ) -> Option<Self> {
        match value.as_object() {
            Some(map) => Some(Self { map, path }),
            None => {
                errors.push(FieldError::new(
                    path,
                    Code::Type,
                    format!("{what} must be an object"),
                ));
                None
            }
        }
    }

    fn path(&self, name: &str) -> String {
        pointer::push(self.path, name)
    }

    fn reject_unknown(&self, allowed: &[&str], context: &str, errors: &mut Vec<FieldError>) {
        for name in self.map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            errors.push(FieldError::new(
                self.path(name),
                Code::UnknownKey,
                format!("{context} has no attribute `{name}`"),
            ));
        }
    }

    fn string(&self, name: &str, required: bool, errors: &mut Vec<FieldError>) -> Option<&'a str> {
        match self.map.get(name) {
            None if required => {
                errors.push(FieldError::new(
                    self.path(name),
                    Code::Required,
                    format!("`{name}` is required"),
                ));
                None
            }
            None => None,
            Some(Value::String(s)) if required && s.trim().is_empty() => {
                errors.push(FieldError::new(
                    self.path(name),
                    Code::Empty,
                    format!("`{name}` must not be empty"),
                ));
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(_) => {
                errors.push(FieldError::new(
                    self.path(name),
                    Code::Type,
                    format!("`{name}` must be a string"),
                ));
                None
            }
        }
    }

    fn boolean(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<bool> {
        let value = self.map.get(name)?;
        let b = value.as_bool();
        if b.is_none() {
            errors.push(FieldError::new(
                self.path(name),
                Code::Type,
                format!("`{name}` must be true or false"),
            ));
        }
        b
    }

    fn unsigned(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<u64> {
        let value = self.map.get(name)?;
        let n = value.as_u64();
        if n.is_none() {
            errors.push(FieldError::new(
                self.path(name),
                Code::Type,
                format!("`{name}` must be a non-negative integer"),
            ));
        }
        n
    }

    fn integer(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
        let value = self.map.get(name)?;
        let n = value.as_i64();
        if n.is_none() {
            errors.push(FieldError::new(
                self.path(name),
                Code::Type,
                format!("`{name}` must be an integer"),
            ));
        }
        n
    }

    fn number(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
        let value = self.map.get(name)?;
        let n = value.as_f64();
        if n.is_none() {
            errors.push(FieldError::new(
                self.path(name),
                Code::Type,
                format!("`{name}` must be a number"),
            ));
        }
        n
    }

    fn strings(&self, name: &str, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
        let value = self.map.get(name)?;
        let path = self.path(name);
        let Some(items) = value.as_array() else {
            errors.push(FieldError::new(
                path,
                Code::Type,
                format!("`{name}` must be an array of strings"),
            ));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut seen = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some("") => errors.push(FieldError::new(
                    pointer::push_index(&path, i),
                    Code::Empty,
                    "must not be empty",
                )),
                Some(s) if !seen.insert(s) => errors.push(FieldError::new(
                    pointer::push_index(&path, i),
                    Code::Duplicate,
                    format!("`{s}` appears twice"),
                )),
                Some(s) => out.push(s.to_owned()),
                None => errors.push(FieldError::new(
                    pointer::push_index(&path, i),
                    Code::Type,
                    "must be a string",
                )),
            }
        }
        Some(out)
    }
}

fn parse_spec(value: &Value, errors: &mut Vec<FieldError>) -> ConfigSpec {
    let Some(reader) = Reader::new(value, "", "the config spec", errors) else {
        return ConfigSpec::default();
    };
    reader.reject_unknown(&["pages"], "a config spec", errors);
    let Some(pages) = reader.map.get("pages") else {
        errors.push(FieldError::new(
            "/pages",
            Code::Required,
            "`pages` is required",
        ));
        return ConfigSpec::default();
    };
    let Some(pages) = pages.as_array() else {
        errors.push(FieldError::new(
            "/pages",
            Code::Type,
            "`pages` must be an array",
        ));
        return ConfigSpec::default();
    };
    let mut keys = HashSet::new();
    let pages = pages
        .iter()
        .enumerate()
        .filter_map(|(i, page)| {
            parse_page(page, &pointer::push_index("/pages", i), &mut keys, errors)
        })
        .collect();
    ConfigSpec { pages }
}

fn parse_page<'v>(
    value: &'v Value,
    path: &str,
    keys: &mut HashSet<&'v str>,
    errors: &mut Vec<FieldError>,
) -> Option<Page> {
    let reader = Reader::new(value, path, "a page", errors)?;
    reader.reject_unknown(&["title", "tagline", "elements"], "a page", errors);
    let title = reader.string("title", true, errors);
    let tagline = reader.string("tagline", false, errors).map(str::to_owned);
    let elements_path = reader.path("elements");
    let elements: Vec<Element> = match reader.map.get("elements") {
        None => {
            errors.push(FieldError::new(
                &elements_path,
                Code::Required,
                "`elements` is required",
            ));
            Vec::new()
        }
        Some(Value::Array(items)) => {
            if items.is_empty() {
                errors.push(FieldError::new(
                    &elements_path,
                    Code::Empty,
                    "a page needs at least one element",
                ));
            }
            items
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    parse_element(e, &pointer::push_index(&elements_path, i), keys, errors)
                })
                .collect()
        }
        Some(_) => {
            errors.push(FieldError::new(
                &elements_path,
                Code::Type,
                "`elements` must be an array",
            ));
            Vec::new()
        }
    };
    Some(Page {
        title: title?.to_owned(),
        tagline,
        elements,
    })
}

fn parse_element<'v>(
    value: &'v Value,
    path: &str,
    keys: &mut HashSet<&'v str>,
    errors: &mut Vec<FieldError>,
) -> Option<Element> {
    let reader = Reader::new(value, path, "an element", errors)?;
    if reader.map.contains_key("header") {
        reader.reject_unknown(&["header"], "a header", errors);
        return reader
            .string("header", true, errors)
            .map(|h| Element::Header(h.to_owned()));
    }
    parse_variable(&reader, keys, errors).map(Element::Variable)
}

const COMMON_ATTRIBUTES: [&str; 8] = [
    "key",
    "label",
    "description",
    "type",
    "collection",
    "required",
    "default",
    "visibility",
];

fn type_attributes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        "string" => &["pattern", "min_length", "max_length"],
        "text" | "secret" => &["min_length", "max_length"],
        "integer" | "number" => &["min", "max"],
        "picklist" => &["options"],
        "code" => &["language"],
        "object_field_map" => &["fields"],
        "connection" => &["connection"],
        _ => &[],
    }
}

fn parse_variable<'v>(
    reader: &Reader<'v, '_>,
    keys: &mut HashSet<&'v str>,
    errors: &mut Vec<FieldError>,
) -> Option<Variable> {
    let error_count = errors.len();
    let key = reader.string("key", true, errors);
    if let Some(key) = key {
        if !is_valid_key(key) {
            errors.push(FieldError::new(
                reader.path("key"),
                Code::InvalidKey,
                "keys start with a lower-case letter and hold only a-z, 0-9 and _",
            ));
        } else if !keys.insert(key) {
            errors.push(FieldError::new(
                reader.path("key"),
                Code::Duplicate,
                format!("the key `{key}` is used twice"),
            ));
        }
    }
    let label = reader.string("label", true, errors);
    let description = reader
        .string("description", false, errors)
        .map(str::to_owned);
    let required = reader.boolean("required", errors).unwrap_or(false);
    let visibility = match reader.string("visibility", false, errors) {
        None => Visibility::Customer,
        Some("customer") => Visibility::Customer,
        Some("embedded") => Visibility::Embedded,
        Some("organization") => Visibility::Organization,
        Some(_) => {
            errors.push(FieldError::new(
                reader.path("visibility"),
                Code::Option,
                "`visibility` must be one of: customer, embedded, organization",
            ));
            Visibility::Customer
        }
    };
    let type_name = reader.string("type", true, errors);
    let mut allowed: Vec<&str> = COMMON_ATTRIBUTES.to_vec();
    allowed.extend_from_slice(type_attributes(type_name.unwrap_or_default()));
    reader.reject_unknown(
        &allowed,
        &format!("a {} variable", type_name.unwrap_or("")),
        errors,
    );
    let mut connection_app = None;
    let kind = type_name.and_then(|name| parse_type(reader, name, &mut connection_app, errors));
    let collection = match reader.string("collection", false, errors) {
        None => None,
        Some("value_list") => Some(Collection::ValueList),
        Some("key_value_list") => Some(Collection::KeyValueList),
        Some(_) => {
            errors.push(FieldError::new(
                reader.path("collection"),
                Code::Option,
                "`collection` must be value_list or key_value_list",
            ));
            None
        }
    };
    if let (Some(kind), Some(_)) = (&kind, collection)
        && !kind.allows_collection()
    {
        errors.push(FieldError::new(
            reader.path("collection"),
            Code::Invalid,
            format!("{} variables cannot be collections", kind.name()),
        ));
    }
    let variable = Variable {
        key: key?.to_owned(),
        label: label?.to_owned(),
        description,
        kind: kind?,
        collection,
        required,
        default: reader.map.get("default").cloned(),
        visibility,
        connection_app,
    };
    if errors.len() > error_count {
        return None;
    }
    if let Some(default) = &variable.default {
        check_default(reader, &variable, default, errors);
    }
    Some(variable)
}

fn check_default(
    reader: &Reader<'_, '_>,
    variable: &Variable,
    default: &Value,
    errors: &mut Vec<FieldError>,
) {
    let path = reader.path("default");
    if variable.holds_secret() {
        errors.push(FieldError::new(
            path,
            Code::Invalid,
            "secret and connection variables cannot have a default",
        ));
        return;
    }
    let pattern = match &variable.kind {
        VariableType::String {
            pattern: Some(p), ..
        } => Regex::new(p).ok(),
        _ => None,
    };
    check_variable_value(
        variable,
        pattern.as_ref(),
        default,
        crate::pointer::Path::Written(&path),
        errors,
    );
}

fn parse_length(reader: &Reader<'_, '_>, errors: &mut Vec<FieldError>) -> LengthRules {
    let rules = LengthRules {
        min_length: reader.unsigned("min_length", errors),
        max_length: reader.unsigned("max_length", errors),
    };
    if let (Some(min), Some(max)) = (rules.min_length, rules.max_length)
        && min > max
    {
        errors.push(FieldError::new(
            reader.path("max_length"),
            Code::Invalid,
            "`max_length` is less than `min_length`",
        ));
    }
    rules
}

fn parse_type(
    reader: &Reader<'_, '_>,
    name: &str,
    connection_app: &mut Option<Box<ConnectionApp>>,
    errors: &mut Vec<FieldError>,
) -> Option<VariableType> {
    Some(match name {
        "string" => {
            let pattern = reader.string("pattern", false, errors);
            if let Some(Err(e)) = pattern.map(Regex::new) {
                errors.push(FieldError::new(
                    reader.path("pattern"),
                    Code::Pattern,
                    format!("the pattern does not compile: {e}"),
                ));
            }
            VariableType::String {
                pattern: pattern.map(str::to_owned),
                length: parse_length(reader, errors),
            }
        }
        "text" => VariableType::Text(parse_length(reader, errors)),
        "secret" => VariableType::Secret(parse_length(reader, errors)),
        "integer" => {
            let (min, max) = (reader.integer("min", errors), reader.integer("max", errors));
            check_min_max(reader, min.zip(max).is_some_and(|(a, b)| a > b), errors);
            VariableType::Integer { min, max }
        }
        "number" => {
            let (min, max) = (reader.number("min", errors), reader.number("max", errors));
            check_min_max(reader, min.zip(max).is_some_and(|(a, b)| a > b), errors);
            VariableType::Number { min, max }
        }
        "boolean" => VariableType::Boolean,
        "picklist" => {
            let options = reader.strings("options", errors);
            match options {
                None => errors.push(FieldError::new(
                    reader.path("options"),
                    Code::Required,
                    "a picklist needs `options`",
                )),
                Some(ref o) if o.is_empty() => errors.push(FieldError::new(
                    reader.path("options"),
                    Code::Empty,
                    "a picklist needs at least one option",
                )),
                Some(_) => {}
            }
            VariableType::Picklist {
                options: options.unwrap_or_default(),
            }
        }
        "date" => VariableType::Date,
        "timestamp" => VariableType::Timestamp,
        "schedule" => VariableType::Schedule,
        "url" => VariableType::Url,
        "email" => VariableType::Email,
        "code" => {
            let language = match reader.string("language", false, errors) {
                None | Some("json") => CodeLanguage::Json,
                Some("xml") => CodeLanguage::Xml,
                Some("html") => CodeLanguage::Html,
                Some(_) => {
                    errors.push(FieldError::new(
                        reader.path("language"),
                        Code::Option,
                        "`language` must be json, xml or html",
                    ));
                    CodeLanguage::Json
                }
            };
            VariableType::Code { language }
        }
        "json" => VariableType::Json,
        "object_field_map" => VariableType::ObjectFieldMap {
            fields: reader.strings("fields", errors),
        },
        "connection" => {
            let (kind, app) = parse_connection(reader, errors)?;
            *connection_app = app.map(Box::new);
            VariableType::Connection(kind)
        }
        other => {
            errors.push(FieldError::new(
                reader.path("type"),
                Code::Option,
                format!(
                    "unknown type `{other}`; expected one of: {}",
                    VariableType::NAMES.join(", ")
                ),
            ));
            return None;
        }
    })
}

fn check_min_max(reader: &Reader<'_, '_>, inverted: bool, errors: &mut Vec<FieldError>) {
    if inverted {
        errors.push(FieldError::new(
            reader.path("max"),
            Code::Invalid,
            "`max` is less than `min`",
        ));
    }
}

fn parse_connection(
    reader: &Reader<'_, '_>,
    errors: &mut Vec<FieldError>,
) -> Option<(ConnectionKind, Option<ConnectionApp>)> {
    let path = reader.path("connection");
    let Some(value) = reader.map.get("connection") else {
        errors.push(FieldError::new(
            path,
            Code::Required,
            "a connection variable needs `connection: {kind}`",
        ));
        return None;
    };
    let connection = Reader::new(value, &path, "`connection`", errors)?;
    connection.reject_unknown(&["kind", "app"], "a connection", errors);
    let kind = connection.string("kind", true, errors)?;
    let found = ConnectionKind::from_name(kind);
    let app = connection
        .map
        .get("app")
        .and_then(|app| parse_app(&connection, found, app, errors));
    if found.is_none() {
        let names: Vec<&str> = ConnectionKind::ALL.iter().map(|k| k.as_str()).collect();
        errors.push(FieldError::new(
            connection.path("kind"),
            Code::Option,
            format!(
                "unknown connection kind; expected one of: {}",
                names.join(", ")
            ),
        ));
    }
    Some((found?, app))
}

/// The `app` of an `oauth2_authorization_code` connection (its references are checked once
/// the whole spec is read: [`crate::connection`]).
fn parse_app(
    connection: &Reader<'_, '_>,
    kind: Option<ConnectionKind>,
    value: &Value,
    errors: &mut Vec<FieldError>,
) -> Option<ConnectionApp> {
    let path = connection.path("app");
    if kind.is_some_and(|k| k != ConnectionKind::OAuth2AuthorizationCode) {
        errors.push(FieldError::new(
            &path,
            Code::Invalid,
            "only oauth2_authorization_code connections have an `app`",
        ));
        return None;
    }
    let app = Reader::new(value, &path, "`app`", errors)?;
    app.reject_unknown(
        &[
            "authorize_url",
            "token_url",
            "client_id",
            "client_secret",
            "scopes",
            "auth_method",
        ],
        "an app",
        errors,
    );
    let authorize_url = app.string("authorize_url", true, errors);
    let token_url = app.string("token_url", true, errors);
    let client_id = app.string("client_id", true, errors);
    let client_secret = app.string("client_secret", true, errors);
    let scopes = app.string("scopes", false, errors).map(str::to_owned);
    let auth_method = match app.string("auth_method", false, errors) {
        None => Some(AuthMethod::Basic),
        Some(name) => {
            let method = AuthMethod::from_name(name);
            if method.is_none() {
                errors.push(FieldError::new(
                    app.path("auth_method"),
                    Code::Option,
                    "`auth_method` must be basic or post",
                ));
            }
            method
        }
    };
    Some(ConnectionApp {
        authorize_url: authorize_url?.to_owned(),
        token_url: token_url?.to_owned(),
        client_id: client_id?.to_owned(),
        client_secret: client_secret?.to_owned(),
        scopes,
        auth_method: auth_method?,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// The example spec of the core issue, verbatim.
    pub(crate) fn example() -> Value {
        json!({"pages":[{"title":"Connection","tagline":"...","elements":[{"header":"Endpoint"},
          {"key":"endpoint","label":"Endpoint URL","type":"url","required":true},
          {"key":"auth","label":"API credentials","type":"connection","connection":{"kind":"api_key"},"required":true},
          {"key":"region","label":"Region","type":"picklist","options":["eu","us"],"default":"eu"},
          {"key":"batch_size","label":"Batch size","type":"integer","min":1,"max":500,"default":50},
          {"key":"account_code","label":"Account code","type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$","required":true},
          {"key":"tenant_token","label":"Tenant token","type":"secret","visibility":"organization","required":true}]}]})
    }

    #[test]
    fn the_example_parses_and_round_trips() {
        let spec = ConfigSpec::parse(&example()).unwrap();
        assert_eq!(spec.variables().count(), 6);
        assert_eq!(
            spec.variable("tenant_token").unwrap().visibility,
            Visibility::Organization
        );
        assert_eq!(serde_json::to_value(&spec).unwrap(), example());
        let customer = spec.customer_view();
        assert!(
            customer.variable("tenant_token").is_none() && customer.variable("region").is_some()
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let spec = json!({"pages": [
            {"title": "A", "elements": [
                {"key": "Bad-Key", "label": "x", "type": "string"},
                {"key": "dup", "label": "x", "type": "string", "pattern": "(unclosed"},
                {"key": "dup", "label": "x", "type": "integer", "min": 5, "max": 1},
                {"key": "p", "label": "x", "type": "picklist", "options": ["a", "b"], "default": "c"},
                {"key": "n", "label": "x", "type": "integer", "default": "ten"},
                {"key": "w", "label": "x", "type": "wat"},
                {"key": "c", "label": "x", "type": "connection", "connection": {"kind": "magic"}},
                {"key": "s", "label": "x", "type": "secret", "default": "hunter2"},
                {"key": "t", "label": "x", "type": "text", "requried": true},
                {"key": "l", "label": "x", "type": "schedule", "collection": "value_list"},
                {"label": "no key", "type": "boolean"}
            ]},
            {"title": "Empty", "elements": []},
            {"elements": [{"header": 3}]}
        ], "extra": 1});
        let errors = ConfigSpec::parse(&spec).unwrap_err();
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("/extra", Code::UnknownKey),
                ("/pages/0/elements/0/key", Code::InvalidKey),
                ("/pages/0/elements/1/pattern", Code::Pattern),
                ("/pages/0/elements/2/key", Code::Duplicate),
                ("/pages/0/elements/2/max", Code::Invalid),
                ("/pages/0/elements/3/default", Code::Option),
                ("/pages/0/elements/4/default", Code::Type),
                ("/pages/0/elements/5/type", Code::Option),
                ("/pages/0/elements/6/connection/kind", Code::Option),
                ("/pages/0/elements/7/default", Code::Invalid),
                ("/pages/0/elements/8/requried", Code::UnknownKey),
                ("/pages/0/elements/9/collection", Code::Invalid),
                ("/pages/0/elements/10/key", Code::Required),
                ("/pages/1/elements", Code::Empty),
                ("/pages/2/title", Code::Required),
                ("/pages/2/elements/0/header", Code::Type),
            ]
        );
        assert!(
            errors.iter().all(|e| !e.message.contains("hunter2")),
            "a secret default is never echoed"
        );
    }

    #[test]
    fn attributes_of_another_type_are_refused() {
        let spec = json!({"pages": [{"title": "A", "elements": [
            {"key": "n", "label": "x", "type": "integer", "pattern": "^a$", "min": 1.5}]}]});
        let errors = ConfigSpec::parse(&spec).unwrap_err();
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("/pages/0/elements/0/pattern", Code::UnknownKey),
                ("/pages/0/elements/0/min", Code::Type)
            ]
        );
    }

    #[test]
    fn not_an_object_is_a_type_error() {
        for value in [json!(null), json!([]), json!("spec")] {
            assert_eq!(ConfigSpec::parse(&value).unwrap_err()[0].code, Code::Type);
        }
        assert_eq!(ConfigSpec::parse(&json!({})).unwrap_err()[0].path, "/pages");
        assert!(ConfigSpec::parse(&json!({"pages": []})).is_ok());
    }
}
