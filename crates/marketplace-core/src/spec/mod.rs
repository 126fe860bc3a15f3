//! Config specs: ordered pages of headers and typed variables, and their wire format.
//!
//! A spec is parsed (and validated, every problem at once) by [`ConfigSpec::parse`]; its wire
//! form is the flat JSON of the API (`{"key": "region", "type": "picklist", "options": [...]}`).

mod parse;
mod wire;

/// The example spec of the core issue, shared by tests of other modules.
#[cfg(test)]
pub(crate) fn parse_tests_example() -> Value {
    parse::tests::example()
}

use serde_json::Value;

/// A config spec: the pages a customer fills in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigSpec {
    /// Ordered pages.
    pub pages: Vec<Page>,
}

/// One page of a config spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// Title shown above the page.
    pub title: String,
    /// Optional line under the title.
    pub tagline: Option<String>,
    /// Ordered headers and variables.
    pub elements: Vec<Element>,
}

/// An element of a page: display text or a variable.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// A header: display text only.
    Header(String),
    /// A variable to fill in.
    Variable(Variable),
}

/// A typed configuration variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Stable key, `^[a-z][a-z0-9_]*$`.
    pub key: String,
    /// Label shown to the editor.
    pub label: String,
    /// Optional help text.
    pub description: Option<String>,
    /// The type, with its type-specific constraints.
    pub kind: VariableType,
    /// Whether the value is a list of values or of key/value pairs.
    pub collection: Option<Collection>,
    /// Whether a value must be present (a default counts).
    pub required: bool,
    /// The value used when nobody set one.
    pub default: Option<Value>,
    /// Who sees and sets the variable.
    pub visibility: Visibility,
    /// For an `oauth2_authorization_code` connection: the vendor's OAuth app (the customer only
    /// authorises it; see [`crate::connection`]).
    pub connection_app: Option<Box<crate::connection::ConnectionApp>>,
}

impl Variable {
    /// Whether the variable holds a write-only value (a secret, or a connection's secret inputs).
    pub fn holds_secret(&self) -> bool {
        matches!(
            self.kind,
            VariableType::Secret(_) | VariableType::Connection(_)
        )
    }

    /// Whether this editor must give the variable a value: required, no default, and editable by it.
    #[inline]
    pub fn required_of(&self, editor: crate::values::Editor) -> bool {
        self.required
            && self.default.is_none()
            && self.connection_app.is_none()
            && editor.may_set(self.visibility)
    }

    /// Whether this editor may write the value: its visibility allows it, and it is not a
    /// connection the customer authorises (only the service's callback writes those).
    #[inline]
    pub fn editable_by(&self, editor: crate::values::Editor) -> bool {
        self.connection_app.is_none() && editor.may_set(self.visibility)
    }
}

/// Who sees and sets a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Visibility {
    /// The customer sees and edits it.
    #[default]
    Customer,
    /// Hidden from the customer; set by the host app (signed token claim) or the admin API.
    Embedded,
    /// Only the vendor sees and sets it.
    Organization,
}

impl Visibility {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Embedded => "embedded",
            Self::Organization => "organization",
        }
    }
}

/// Collection shapes of a variable's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Collection {
    /// An array of values.
    ValueList,
    /// An array of `{key, value}` objects.
    KeyValueList,
}

impl Collection {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ValueList => "value_list",
            Self::KeyValueList => "key_value_list",
        }
    }
}

/// Length bounds of a string-like value, in characters (Unicode code points).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LengthRules {
    /// Minimum length.
    pub min_length: Option<u64>,
    /// Maximum length.
    pub max_length: Option<u64>,
}

/// Language of a `code` variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeLanguage {
    /// JSON text (checked to parse).
    Json,
    /// XML text.
    Xml,
    /// HTML text.
    Html,
}

impl CodeLanguage {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Xml => "xml",
            Self::Html => "html",
        }
    }
}

/// Kinds of connection, each with its own inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionKind {
    /// `{api_key}`.
    ApiKey,
    /// `{username, password}`.
    Basic,
    /// `{token_url, client_id, client_secret, scopes}`.
    OAuth2ClientCredentials,
    /// `{authorize_url, token_url, client_id, client_secret, scopes}` (PKCE).
    OAuth2AuthorizationCode,
}

/// One input of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInput {
    /// Input name in the value object.
    pub name: &'static str,
    /// Whether the input must be present.
    pub required: bool,
    /// Whether the input is write-only (encrypted at rest, masked in reads).
    pub secret: bool,
    /// Whether the input is a URL.
    pub url: bool,
}

const fn input(name: &'static str, required: bool, secret: bool, url: bool) -> ConnectionInput {
    ConnectionInput {
        name,
        required,
        secret,
        url,
    }
}

const API_KEY_INPUTS: &[ConnectionInput] = &[input("api_key", true, true, false)];
const BASIC_INPUTS: &[ConnectionInput] = &[
    input("username", true, false, false),
    input("password", true, true, false),
];
const CLIENT_CREDENTIALS_INPUTS: &[ConnectionInput] = &[
    input("token_url", true, false, true),
    input("client_id", true, false, false),
    input("client_secret", true, true, false),
    input("scopes", false, false, false),
];
const AUTHORIZATION_CODE_INPUTS: &[ConnectionInput] = &[
    input("authorize_url", true, false, true),
    input("token_url", true, false, true),
    input("client_id", true, false, false),
    input("client_secret", true, true, false),
    input("scopes", false, false, false),
];

impl ConnectionKind {
    /// Every kind, in wire order.
    pub const ALL: [ConnectionKind; 4] = [
        Self::ApiKey,
        Self::Basic,
        Self::OAuth2ClientCredentials,
        Self::OAuth2AuthorizationCode,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Basic => "basic",
            Self::OAuth2ClientCredentials => "oauth2_client_credentials",
            Self::OAuth2AuthorizationCode => "oauth2_authorization_code",
        }
    }

    /// The kind with that wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The inputs of this kind, in display order.
    pub fn inputs(self) -> &'static [ConnectionInput] {
        match self {
            Self::ApiKey => API_KEY_INPUTS,
            Self::Basic => BASIC_INPUTS,
            Self::OAuth2ClientCredentials => CLIENT_CREDENTIALS_INPUTS,
            Self::OAuth2AuthorizationCode => AUTHORIZATION_CODE_INPUTS,
        }
    }
}

/// A variable's type with its type-specific constraints.
#[derive(Debug, Clone, PartialEq)]
pub enum VariableType {
    /// A single-line string, optionally matching a pattern (unanchored, as in JSON Schema).
    String {
        /// Regular expression the value must match somewhere.
        pattern: Option<String>,
        /// Length bounds.
        length: LengthRules,
    },
    /// Multi-line text.
    Text(LengthRules),
    /// A whole number.
    Integer {
        /// Inclusive minimum.
        min: Option<i64>,
        /// Inclusive maximum.
        max: Option<i64>,
    },
    /// A number.
    Number {
        /// Inclusive minimum.
        min: Option<f64>,
        /// Inclusive maximum.
        max: Option<f64>,
    },
    /// `true` or `false`.
    Boolean,
    /// One of a fixed list of strings.
    Picklist {
        /// The allowed options.
        options: Vec<String>,
    },
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 timestamp.
    Timestamp,
    /// `{cron: "5-field cron", timezone: "IANA name"}`.
    Schedule,
    /// An absolute http(s) URL.
    Url,
    /// An email address.
    Email,
    /// A write-only string.
    Secret(LengthRules),
    /// Source code in a language.
    Code {
        /// The language.
        language: CodeLanguage,
    },
    /// Any JSON value.
    Json,
    /// An object mapping source field names to target field names.
    ObjectFieldMap {
        /// The source fields that may be mapped, when restricted.
        fields: Option<Vec<String>>,
    },
    /// Credentials of a kind.
    Connection(ConnectionKind),
}

impl VariableType {
    /// Every type name, in wire order.
    pub const NAMES: [&'static str; 16] = [
        "string",
        "text",
        "integer",
        "number",
        "boolean",
        "picklist",
        "date",
        "timestamp",
        "schedule",
        "url",
        "email",
        "secret",
        "code",
        "json",
        "object_field_map",
        "connection",
    ];

    /// The wire name of the type.
    pub fn name(&self) -> &'static str {
        match self {
            Self::String { .. } => "string",
            Self::Text(_) => "text",
            Self::Integer { .. } => "integer",
            Self::Number { .. } => "number",
            Self::Boolean => "boolean",
            Self::Picklist { .. } => "picklist",
            Self::Date => "date",
            Self::Timestamp => "timestamp",
            Self::Schedule => "schedule",
            Self::Url => "url",
            Self::Email => "email",
            Self::Secret(_) => "secret",
            Self::Code { .. } => "code",
            Self::Json => "json",
            Self::ObjectFieldMap { .. } => "object_field_map",
            Self::Connection(_) => "connection",
        }
    }

    /// Whether values of this type may come as a collection.
    pub fn allows_collection(&self) -> bool {
        matches!(
            self,
            Self::String { .. }
                | Self::Text(_)
                | Self::Integer { .. }
                | Self::Number { .. }
                | Self::Boolean
                | Self::Picklist { .. }
                | Self::Date
                | Self::Timestamp
                | Self::Url
                | Self::Email
        )
    }
}

impl ConfigSpec {
    /// Every variable, in page and element order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.pages
            .iter()
            .flat_map(|p| &p.elements)
            .filter_map(|e| match e {
                Element::Variable(v) => Some(v),
                Element::Header(_) => None,
            })
    }

    /// The variable with that key.
    pub fn variable(&self, key: &str) -> Option<&Variable> {
        self.variables().find(|v| v.key == key)
    }

    /// The part of the spec a customer sees: only `customer` variables, and pages that keep at least one.
    pub fn customer_view(&self) -> ConfigSpec {
        let pages = self
            .pages
            .iter()
            .filter_map(|page| {
                let elements: Vec<Element> = page
                    .elements
                    .iter()
                    .filter(|e| match e {
                        Element::Variable(v) => v.visibility == Visibility::Customer,
                        Element::Header(_) => true,
                    })
                    .cloned()
                    .collect();
                elements
                    .iter()
                    .any(|e| matches!(e, Element::Variable(_)))
                    .then(|| Page {
                        title: page.title.clone(),
                        tagline: page.tagline.clone(),
                        elements,
                    })
            })
            .collect();
        ConfigSpec { pages }
    }
}

/// Whether a variable or flow key follows `^[a-z][a-z0-9_]*$`.
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}
