//! The JSON form of a spec: serialization, and deserialization through [`ConfigSpec::parse`].

use super::{CodeLanguage, ConfigSpec, Element, Page, Variable, VariableType, Visibility};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

#[derive(Serialize)]
struct SpecWire<'a> {
    pages: Vec<PageWire<'a>>,
}

#[derive(Serialize)]
struct PageWire<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    tagline: Option<&'a str>,
    elements: Vec<ElementWire<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum ElementWire<'a> {
    Header { header: &'a str },
    Variable(Box<VariableWire<'a>>),
}

#[derive(Serialize)]
struct ConnectionWire<'a> {
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    app: Option<AppWire<'a>>,
}

#[derive(Serialize)]
struct AppWire<'a> {
    authorize_url: &'a str,
    token_url: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<&'a str>,
    auth_method: &'static str,
}

/// The flat JSON object of a variable; type-specific attributes appear only where they apply.
#[derive(Serialize)]
struct VariableWire<'a> {
    key: &'a str,
    label: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(rename = "type")]
    type_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    collection: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<&'a Value>,
    #[serde(skip_serializing_if = "is_customer")]
    visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_length: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    options: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection: Option<ConnectionWire<'a>>,
}

fn is_customer(v: &Visibility) -> bool {
    *v == Visibility::Customer
}

impl Serialize for Visibility {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'a> VariableWire<'a> {
    fn from_variable(v: &'a Variable) -> Self {
        let mut wire = VariableWire {
            key: &v.key,
            label: &v.label,
            description: v.description.as_deref(),
            type_name: v.kind.name(),
            collection: v.collection.map(|c| c.as_str()),
            required: v.required,
            default: v.default.as_ref(),
            visibility: v.visibility,
            pattern: None,
            min_length: None,
            max_length: None,
            min: None,
            max: None,
            options: None,
            language: None,
            fields: None,
            connection: None,
        };
        match &v.kind {
            VariableType::String { pattern, length } => {
                wire.pattern = pattern.as_deref();
                (wire.min_length, wire.max_length) = (length.min_length, length.max_length);
            }
            VariableType::Text(length) | VariableType::Secret(length) => {
                (wire.min_length, wire.max_length) = (length.min_length, length.max_length);
            }
            VariableType::Integer { min, max } => {
                (wire.min, wire.max) = (min.map(Value::from), max.map(Value::from));
            }
            VariableType::Number { min, max } => {
                (wire.min, wire.max) = (min.map(Value::from), max.map(Value::from));
            }
            VariableType::Picklist { options } => wire.options = Some(options),
            VariableType::Code { language } => {
                wire.language = Some(CodeLanguage::as_str(*language))
            }
            VariableType::ObjectFieldMap { fields } => wire.fields = fields.as_deref(),
            VariableType::Connection(kind) => {
                wire.connection = Some(ConnectionWire {
                    kind: kind.as_str(),
                    app: v.connection_app.as_ref().map(|app| AppWire {
                        authorize_url: &app.authorize_url,
                        token_url: &app.token_url,
                        client_id: &app.client_id,
                        client_secret: &app.client_secret,
                        scopes: app.scopes.as_deref(),
                        auth_method: app.auth_method.as_str(),
                    }),
                })
            }
            VariableType::Boolean
            | VariableType::Date
            | VariableType::Timestamp
            | VariableType::Schedule
            | VariableType::Url
            | VariableType::Email
            | VariableType::Json => {}
        }
        wire
    }
}

fn page_wire(page: &Page) -> PageWire<'_> {
    PageWire {
        title: &page.title,
        tagline: page.tagline.as_deref(),
        elements: page
            .elements
            .iter()
            .map(|e| match e {
                Element::Header(h) => ElementWire::Header { header: h },
                Element::Variable(v) => {
                    ElementWire::Variable(Box::new(VariableWire::from_variable(v)))
                }
            })
            .collect(),
    }
}

impl Serialize for ConfigSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SpecWire {
            pages: self.pages.iter().map(page_wire).collect(),
        }
        .serialize(serializer)
    }
}

impl Serialize for Variable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        VariableWire::from_variable(self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ConfigSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        ConfigSpec::parse(&value)
            .map_err(|errors| serde::de::Error::custom(crate::FieldErrors(errors)))
    }
}
