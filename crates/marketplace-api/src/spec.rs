//! A version's content on the wire: the config spec (pages of headers and typed variables) and
//! the flows.
//!
//! These types describe the JSON; they do not check it. The service parses a version's body with
//! `marketplace-core` (every problem at once, with a JSON Pointer), and a client that received a
//! spec compiles it with [`ConfigSpec::compile`] to validate values locally. A variable is one
//! flat object whose type-specific attributes appear only where they apply, as core writes it.

use marketplace_core::{CompiledSpec, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Number, Value};

pub use crate::mappings::Mapping;

/// A config spec: the pages an editor fills in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConfigSpec {
    /// Ordered pages.
    pub pages: Vec<SpecPage>,
}

/// One page of a config spec.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SpecPage {
    /// Title shown above the page.
    pub title: String,
    /// Optional line under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// Ordered headers and variables.
    pub elements: Vec<SpecElement>,
}

/// An element of a page: `{header}` (display text) or a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum SpecElement {
    /// A header: display text only.
    Header {
        /// The text.
        header: String,
    },
    /// A variable to fill in.
    Variable(Box<SpecVariable>),
}

/// A typed configuration variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SpecVariable {
    /// Stable key, `^[a-z][a-z0-9_]*$`.
    pub key: String,
    /// Label shown to the editor.
    pub label: String,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The type; it says which of the type-specific attributes below apply.
    #[serde(rename = "type")]
    pub variable_type: VariableType,
    /// The value is a list of values or of `{key, value}` pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<Collection>,
    /// A value must be present (a default counts).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// The value used when nobody set one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub default: Option<Value>,
    /// Who sees and sets it (`customer` when left out).
    #[serde(default, skip_serializing_if = "Visibility::is_customer")]
    pub visibility: Visibility,
    /// `string`: a regular expression the value must match somewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// `string`, `text`, `secret`: minimum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// `string`, `text`, `secret`: maximum length in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// `integer`, `number`: inclusive minimum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<f64>))]
    pub min: Option<Number>,
    /// `integer`, `number`: inclusive maximum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<f64>))]
    pub max: Option<Number>,
    /// `picklist`: the allowed options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// `code`: the language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<CodeLanguage>,
    /// `object_field_map`: the source fields that may be mapped, when restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<Vec<String>>,
    /// `connection`: its kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<Connection>,
}

/// The kind of a `connection` variable: `{kind, app?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Connection {
    /// The kind, which fixes the inputs of the value.
    pub kind: ConnectionKind,
    /// `oauth2_authorization_code`: the vendor's OAuth app, each field but `auth_method` the key
    /// of an `organization` variable; the customer only authorises it (docs/connections.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<ConnectionApp>,
}

/// The vendor's OAuth app of an authorization-code connection: keys of `organization` variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConnectionApp {
    /// A `url` variable: the authorization endpoint.
    pub authorize_url: String,
    /// A `url` variable: the token endpoint.
    pub token_url: String,
    /// A `string` variable: the client id.
    pub client_id: String,
    /// A `secret` variable: the client secret.
    pub client_secret: String,
    /// A `string` variable: space-separated scopes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<String>,
    /// How the client authenticates at the token endpoint.
    #[serde(default)]
    pub auth_method: AuthMethod,
}

wire_enum! {
    /// How the service authenticates as the OAuth client at the token endpoint.
    pub enum AuthMethod: Default {
        /// HTTP Basic.
        #[default]
        Basic = "basic",
        /// In the form body.
        Post = "post",
    }
}

wire_enum! {
    /// The type of a variable.
    pub enum VariableType {
        /// A single-line string (`pattern`, `min_length`, `max_length`).
        String = "string",
        /// Multi-line text (`min_length`, `max_length`).
        Text = "text",
        /// A whole number (`min`, `max`).
        Integer = "integer",
        /// A number (`min`, `max`).
        Number = "number",
        /// `true` or `false`.
        Boolean = "boolean",
        /// One of `options`.
        Picklist = "picklist",
        /// A calendar date, `YYYY-MM-DD`.
        Date = "date",
        /// An RFC 3339 timestamp.
        Timestamp = "timestamp",
        /// `{cron, timezone}`.
        Schedule = "schedule",
        /// An absolute http(s) URL.
        Url = "url",
        /// An email address.
        Email = "email",
        /// A write-only string (`min_length`, `max_length`).
        Secret = "secret",
        /// Source code (`language`).
        Code = "code",
        /// Any JSON value.
        Json = "json",
        /// An object mapping source field names to target names (`fields`).
        ObjectFieldMap = "object_field_map",
        /// Credentials (`connection`).
        Connection = "connection",
    }
}

wire_enum! {
    /// Who sees and sets a variable.
    pub enum Visibility: Default {
        /// The customer sees and edits it.
        #[default]
        Customer = "customer",
        /// Hidden from the customer; set by the host app (token claim) or the admin API.
        Embedded = "embedded",
        /// Only the vendor sees and sets it.
        Organization = "organization",
    }
}

impl Visibility {
    /// Whether this is the default, `customer` (left out of the JSON).
    pub fn is_customer(&self) -> bool {
        *self == Self::Customer
    }
}

wire_enum! {
    /// The collection shape of a variable's value.
    pub enum Collection {
        /// An array of values.
        ValueList = "value_list",
        /// An array of `{key, value}` objects.
        KeyValueList = "key_value_list",
    }
}

wire_enum! {
    /// The language of a `code` variable.
    pub enum CodeLanguage {
        /// JSON text.
        Json = "json",
        /// XML text.
        Xml = "xml",
        /// HTML text.
        Html = "html",
    }
}

wire_enum! {
    /// The kind of a connection, each with its own inputs.
    pub enum ConnectionKind {
        /// `{api_key}`.
        ApiKey = "api_key",
        /// `{username, password}`.
        Basic = "basic",
        /// `{token_url, client_id, client_secret, scopes}`.
        OAuth2ClientCredentials = "oauth2_client_credentials",
        /// `{authorize_url, token_url, client_id, client_secret, scopes}` (PKCE).
        OAuth2AuthorizationCode = "oauth2_authorization_code",
    }
}

impl ConfigSpec {
    /// Every variable, in page and element order.
    pub fn variables(&self) -> impl Iterator<Item = &SpecVariable> {
        self.pages
            .iter()
            .flat_map(|page| &page.elements)
            .filter_map(|element| match element {
                SpecElement::Variable(v) => Some(v.as_ref()),
                SpecElement::Header { .. } => None,
            })
    }

    /// Core's spec, parsed (and checked) from this one; field errors point into the spec.
    pub fn to_core(&self) -> Result<marketplace_core::ConfigSpec, Vec<FieldError>> {
        marketplace_core::ConfigSpec::parse(&self.to_json())
    }

    /// Core's compiled spec of this one, ready to validate values locally.
    pub fn compile(&self) -> Result<CompiledSpec, Vec<FieldError>> {
        CompiledSpec::parse(&self.to_json())
    }

    /// The JSON form. These types hold strings, numbers and JSON values only, which always
    /// serialize.
    fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

impl From<&marketplace_core::ConfigSpec> for ConfigSpec {
    fn from(spec: &marketplace_core::ConfigSpec) -> Self {
        ConfigSpec {
            pages: spec.pages.iter().map(SpecPage::from).collect(),
        }
    }
}

impl From<&marketplace_core::spec::Page> for SpecPage {
    fn from(page: &marketplace_core::spec::Page) -> Self {
        use marketplace_core::spec::Element;
        SpecPage {
            title: page.title.clone(),
            tagline: page.tagline.clone(),
            elements: page
                .elements
                .iter()
                .map(|e| match e {
                    Element::Header(header) => SpecElement::Header {
                        header: header.clone(),
                    },
                    Element::Variable(v) => SpecElement::Variable(Box::new(v.into())),
                })
                .collect(),
        }
    }
}

impl From<&marketplace_core::Variable> for SpecVariable {
    fn from(v: &marketplace_core::Variable) -> Self {
        use marketplace_core::VariableType as Core;
        let mut wire = SpecVariable {
            key: v.key.clone(),
            label: v.label.clone(),
            description: v.description.clone(),
            variable_type: VariableType::from_wire(v.kind.name()),
            collection: v.collection.map(|c| Collection::from_wire(c.as_str())),
            required: v.required,
            default: v.default.clone(),
            visibility: Visibility::from_wire(v.visibility.as_str()),
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
            Core::String { pattern, length } => {
                wire.pattern = pattern.clone();
                (wire.min_length, wire.max_length) = (length.min_length, length.max_length);
            }
            Core::Text(length) | Core::Secret(length) => {
                (wire.min_length, wire.max_length) = (length.min_length, length.max_length);
            }
            Core::Integer { min, max } => {
                (wire.min, wire.max) = (min.map(Number::from), max.map(Number::from));
            }
            Core::Number { min, max } => {
                wire.min = min.and_then(Number::from_f64);
                wire.max = max.and_then(Number::from_f64);
            }
            Core::Picklist { options } => wire.options = Some(options.clone()),
            Core::Code { language } => {
                wire.language = Some(CodeLanguage::from_wire(language.as_str()))
            }
            Core::ObjectFieldMap { fields } => wire.fields = fields.clone(),
            Core::Connection(kind) => {
                wire.connection = Some(Connection {
                    kind: ConnectionKind::from_wire(kind.as_str()),
                    app: v.connection_app.as_ref().map(|app| ConnectionApp {
                        authorize_url: app.authorize_url.clone(),
                        token_url: app.token_url.clone(),
                        client_id: app.client_id.clone(),
                        client_secret: app.client_secret.clone(),
                        scopes: app.scopes.clone(),
                        auth_method: AuthMethod::from_wire(app.auth_method.as_str()),
                    }),
                })
            }
            Core::Boolean
            | Core::Date
            | Core::Timestamp
            | Core::Schedule
            | Core::Url
            | Core::Email
            | Core::Json => {}
        }
        wire
    }
}

/// A named unit of work of a version: receive, map, deliver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Flow {
    /// Name, unique in the version, `^[a-z][a-z0-9_]*$`.
    pub name: String,
    /// What starts it.
    pub trigger: FlowTrigger,
    /// `schedule` triggers: the key of the `schedule` variable whose value says when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The mapping step: mappings in order (none: the input passes through unchanged), or
    /// `{"collection": name}`.
    #[serde(default, skip_serializing_if = "FlowMap::is_empty")]
    pub map: FlowMap,
    /// Where the result goes; none means the run ends after mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver: Option<Deliver>,
}

wire_enum! {
    /// What starts a flow.
    pub enum FlowTrigger {
        /// A POST to the flow's secret webhook URL.
        Webhook = "webhook",
        /// A test run or an explicit call.
        Manual = "manual",
        /// The ticks of the instance's value of the flow's `schedule` variable.
        Schedule = "schedule",
    }
}

/// A flow's mapping step: inline mappings, or a collection of the version (the instance's
/// effective mappings of it, checked against its target schema).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum FlowMap {
    /// Mappings applied in order.
    Rules(Vec<Mapping>),
    /// `{"collection": name}`.
    Collection(CollectionRef),
}

/// A flow's `map` naming a collection of the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CollectionRef {
    /// The collection's name.
    pub collection: String,
}

impl Default for FlowMap {
    fn default() -> Self {
        FlowMap::Rules(Vec::new())
    }
}

impl FlowMap {
    /// Whether this is the empty list of mappings (the input passes through).
    pub fn is_empty(&self) -> bool {
        matches!(self, FlowMap::Rules(rules) if rules.is_empty())
    }
}

/// The deliver step: an HTTP request to a URL from the config, authorised by a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Deliver {
    /// Key of the `url` variable that holds the target.
    pub url: String,
    /// Key of the `connection` variable that authorises the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The HTTP method (default `POST`).
    #[serde(default)]
    pub method: HttpMethod,
}

wire_enum! {
    /// An HTTP method of a deliver step.
    pub enum HttpMethod: Default {
        /// GET.
        Get = "GET",
        /// POST.
        #[default]
        Post = "POST",
        /// PUT.
        Put = "PUT",
        /// PATCH.
        Patch = "PATCH",
        /// DELETE.
        Delete = "DELETE",
    }
}

impl From<&marketplace_core::Flow> for Flow {
    fn from(flow: &marketplace_core::Flow) -> Self {
        use marketplace_core::flow::{Method, Trigger};
        Flow {
            name: flow.name.clone(),
            trigger: match flow.trigger {
                Trigger::Webhook => FlowTrigger::Webhook,
                Trigger::Manual => FlowTrigger::Manual,
                Trigger::Schedule => FlowTrigger::Schedule,
            },
            schedule: flow.schedule.clone(),
            map: match &flow.map {
                marketplace_core::flow::FlowMap::Rules(rules) => {
                    FlowMap::Rules(rules.iter().map(Into::into).collect())
                }
                marketplace_core::flow::FlowMap::Collection { collection } => {
                    FlowMap::Collection(CollectionRef {
                        collection: collection.clone(),
                    })
                }
            },
            deliver: flow.deliver.as_ref().map(|d| Deliver {
                url: d.url.clone(),
                connection: d.connection.clone(),
                method: match d.method {
                    Method::Get => HttpMethod::Get,
                    Method::Post => HttpMethod::Post,
                    Method::Put => HttpMethod::Put,
                    Method::Patch => HttpMethod::Patch,
                    Method::Delete => HttpMethod::Delete,
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    /// A spec with every variable type and attribute, as the service stores and sends it.
    fn every_type() -> Value {
        json!({"pages": [
            {"title": "Connection", "tagline": "Connect your org", "elements": [
                {"header": "API"},
                {"key": "instance_url", "label": "Instance URL", "description": "https://x.example",
                 "type": "url", "required": true},
                {"key": "auth", "label": "App", "type": "connection", "required": true,
                 "connection": {"kind": "oauth2_client_credentials"}},
                {"key": "token", "label": "Token", "type": "secret", "min_length": 8, "visibility": "organization"},
                {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded"}]},
            {"title": "Sync", "elements": [
                {"key": "code", "label": "Code", "type": "string", "pattern": "^[A-Z]{3}$", "max_length": 3},
                {"key": "notes", "label": "Notes", "type": "text", "max_length": 2000},
                {"key": "count", "label": "Count", "type": "integer", "min": 1, "max": 999, "default": 1},
                {"key": "ratio", "label": "Ratio", "type": "number", "min": 0.5, "max": 2.5},
                {"key": "on", "label": "On", "type": "boolean", "default": false},
                {"key": "objects", "label": "Objects", "type": "picklist", "collection": "value_list",
                 "options": ["Account", "Contact"], "default": ["Account"]},
                {"key": "from", "label": "From", "type": "date"},
                {"key": "since", "label": "Since", "type": "timestamp"},
                {"key": "schedule", "label": "Schedule", "type": "schedule",
                 "default": {"cron": "*/15 * * * *", "timezone": "UTC"}},
                {"key": "notify", "label": "Notify", "type": "email", "collection": "value_list"},
                {"key": "headers", "label": "Headers", "type": "string", "collection": "key_value_list"},
                {"key": "body", "label": "Body", "type": "code", "language": "json"},
                {"key": "extra", "label": "Extra", "type": "json"},
                {"key": "field_map", "label": "Fields", "type": "object_field_map", "fields": ["email"]}]}]})
    }

    #[test]
    fn a_spec_as_the_service_sends_it() {
        let spec: ConfigSpec = round_trip(every_type());
        assert_eq!(spec.variables().count(), 18, "the header is no variable");
        let SpecElement::Variable(auth) = &spec.pages[0].elements[2] else {
            panic!("a variable");
        };
        assert_eq!(auth.variable_type, VariableType::Connection);
        assert_eq!(
            auth.connection.as_ref().map(|c| &c.kind),
            Some(&ConnectionKind::OAuth2ClientCredentials)
        );
    }

    #[test]
    fn core_specs_convert_to_the_json_core_writes() {
        let core = marketplace_core::ConfigSpec::parse(&every_type()).expect("a valid spec");
        let wire = ConfigSpec::from(&core);
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            serde_json::to_value(&core).unwrap()
        );
        assert_eq!(wire.to_core().unwrap(), core);
        assert_eq!(
            wire.compile().unwrap().spec(),
            &core,
            "a received spec compiles for local validation"
        );
    }

    #[test]
    fn a_spec_from_a_newer_service_decodes_but_does_not_compile() {
        let spec: ConfigSpec =
            serde_json::from_value(json!({"pages": [{"title": "P", "elements": [
            {"key": "color", "label": "Colour", "type": "colour", "palette": "web"}]}]}))
            .unwrap();
        let SpecElement::Variable(v) = &spec.pages[0].elements[0] else {
            panic!("a variable");
        };
        assert_eq!(v.variable_type, VariableType::Other("colour".into()));
        let errors = spec.compile().unwrap_err();
        assert_eq!(errors[0].path, "/pages/0/elements/0/type");
    }

    #[test]
    fn flows_as_the_service_sends_them() {
        let flows = json!([
            {"name": "events", "trigger": "webhook",
             "map": [{"kind": "field", "from": "/id", "to": "/id"}, {"kind": "static", "to": "/source", "value": null},
                     {"kind": "translation", "default": "Other", "from": "/type", "table": {"order": "Order"}, "to": "/kind"},
                     {"kind": "formula", "formula": ".a", "to": "/a", "overridable": true}],
             "deliver": {"connection": "auth", "method": "POST", "url": "instance_url"}},
            {"name": "manual_sync", "trigger": "manual", "deliver": {"method": "PUT", "url": "instance_url"}},
            {"name": "nightly", "trigger": "schedule", "schedule": "every_night"},
            {"name": "contacts", "trigger": "manual", "map": {"collection": "contacts"}}]);
        let wire: Vec<Flow> = round_trip(flows.clone());
        let FlowMap::Rules(rules) = &wire[0].map else {
            panic!("an array is a list of mappings")
        };
        assert_eq!(rules[1].value, Some(Value::Null), "a null constant is kept");
        assert_eq!(
            wire[3].map,
            FlowMap::Collection(CollectionRef {
                collection: "contacts".into()
            })
        );
        let core: Vec<marketplace_core::Flow> = serde_json::from_value(flows).unwrap();
        let converted: Vec<Flow> = core.iter().map(Flow::from).collect();
        assert_eq!(converted, wire);
    }

    #[test]
    fn enums_read_values_from_a_newer_service() {
        open_enum(VariableType::KNOWN, VariableType::Other("colour".into()));
        open_enum(Visibility::KNOWN, Visibility::Other("partner".into()));
        open_enum(Collection::KNOWN, Collection::Other("set".into()));
        open_enum(CodeLanguage::KNOWN, CodeLanguage::Other("yaml".into()));
        open_enum(ConnectionKind::KNOWN, ConnectionKind::Other("mtls".into()));
        open_enum(FlowTrigger::KNOWN, FlowTrigger::Other("email".into()));
        open_enum(HttpMethod::KNOWN, HttpMethod::Other("QUERY".into()));
    }
}
