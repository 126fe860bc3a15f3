//! Export of the customer-visible part of a spec as JSON Schema (draft 2020-12), for hosts that
//! render forms with standard tools.
//!
//! The schema says what [`crate::validate_config`] says for a customer editor, with two known
//! differences: JSON Schema cannot express that `code` values in JSON must parse (it only carries
//! `contentMediaType`), and the `json` type accepts anything in both.

use crate::formats;
use crate::spec::{
    CodeLanguage, Collection, ConfigSpec, LengthRules, Variable, VariableType, Visibility,
};
use serde_json::{Map, Value, json};

/// The JSON Schema dialect the export declares.
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The JSON Schema of the values a customer may submit for this spec.
pub fn to_json_schema(spec: &ConfigSpec) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for variable in spec
        .variables()
        .filter(|v| v.visibility == Visibility::Customer)
    {
        properties.insert(variable.key.clone(), variable_schema(variable));
        if variable.required && variable.default.is_none() {
            required.push(Value::String(variable.key.clone()));
        }
    }
    json!({
        "$schema": DIALECT,
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

fn variable_schema(variable: &Variable) -> Value {
    let item = type_schema(&variable.kind);
    let mut schema = match variable.collection {
        None => item,
        Some(Collection::ValueList) => json!({"type": "array", "items": item}),
        Some(Collection::KeyValueList) => json!({
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"key": {"type": "string", "minLength": 1}, "value": item},
                "required": ["key", "value"],
                "additionalProperties": false,
            },
        }),
    };
    let object = schema.as_object_mut().expect("schemas are objects");
    object.insert("title".into(), Value::String(variable.label.clone()));
    if let Some(description) = &variable.description {
        object.insert("description".into(), Value::String(description.clone()));
    }
    if let Some(default) = &variable.default {
        object.insert("default".into(), default.clone());
    }
    schema
}

fn string_schema(length: LengthRules) -> Map<String, Value> {
    let mut s = Map::new();
    s.insert("type".into(), json!("string"));
    if let Some(min) = length.min_length {
        s.insert("minLength".into(), json!(min));
    }
    if let Some(max) = length.max_length {
        s.insert("maxLength".into(), json!(max));
    }
    s
}

fn bounds_schema(type_name: &str, min: Option<Value>, max: Option<Value>) -> Value {
    let mut s = Map::new();
    s.insert("type".into(), json!(type_name));
    if let Some(min) = min {
        s.insert("minimum".into(), min);
    }
    if let Some(max) = max {
        s.insert("maximum".into(), max);
    }
    Value::Object(s)
}

fn type_schema(kind: &VariableType) -> Value {
    match kind {
        VariableType::String { pattern, length } => {
            let mut s = string_schema(*length);
            if let Some(p) = pattern {
                s.insert("pattern".into(), json!(p));
            }
            Value::Object(s)
        }
        VariableType::Text(length) => Value::Object(string_schema(*length)),
        VariableType::Secret(length) => {
            let mut s = string_schema(*length);
            s.insert("writeOnly".into(), json!(true));
            Value::Object(s)
        }
        VariableType::Integer { min, max } => {
            bounds_schema("integer", min.map(Value::from), max.map(Value::from))
        }
        VariableType::Number { min, max } => {
            bounds_schema("number", min.map(Value::from), max.map(Value::from))
        }
        VariableType::Boolean => json!({"type": "boolean"}),
        VariableType::Picklist { options } => json!({"type": "string", "enum": options}),
        VariableType::Date => json!({"type": "string", "format": "date"}),
        VariableType::Timestamp => json!({"type": "string", "format": "date-time"}),
        VariableType::Url => {
            json!({"type": "string", "format": "uri", "pattern": formats::URL_PATTERN})
        }
        VariableType::Email => {
            json!({"type": "string", "format": "email", "pattern": formats::EMAIL_PATTERN})
        }
        VariableType::Schedule => json!({
            "type": "object",
            "properties": {
                "cron": {"type": "string", "pattern": formats::CRON_PATTERN},
                "timezone": {"type": "string", "enum": formats::time_zone_names().collect::<Vec<_>>()},
            },
            "required": ["cron", "timezone"],
            "additionalProperties": false,
        }),
        VariableType::Code { language } => {
            let media_type = match language {
                CodeLanguage::Json => "application/json",
                CodeLanguage::Xml => "application/xml",
                CodeLanguage::Html => "text/html",
            };
            json!({"type": "string", "contentMediaType": media_type})
        }
        VariableType::Json => json!({}),
        VariableType::ObjectFieldMap { fields } => {
            let mut s = json!({"type": "object", "additionalProperties": {"type": "string"}});
            if let Some(fields) = fields {
                s["propertyNames"] = json!({"enum": fields});
            }
            s
        }
        VariableType::Connection(kind) => {
            let mut properties = Map::new();
            let mut required = Vec::new();
            for input in kind.inputs() {
                let mut p = json!({"type": "string"});
                if input.required {
                    p["minLength"] = json!(1);
                    required.push(json!(input.name));
                }
                if input.url {
                    p["format"] = json!("uri");
                    p["pattern"] = json!(formats::URL_PATTERN);
                }
                if input.secret {
                    p["writeOnly"] = json!(true);
                }
                properties.insert(input.name.into(), p);
            }
            json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
        }
    }
}
