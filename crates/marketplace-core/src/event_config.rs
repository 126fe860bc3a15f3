//! Event configurations: where and how the vendor receives events (URLs per type, the activation
//! mode, the outbound credentials, SSO), as a working snapshot that is edited and published
//! snapshots that deliveries read; and which configurations an event is routed to.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::event::{Event, EventType};
use crate::fields::{one_of, reject_unknown};
use crate::formats::is_url;
use crate::pointer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt;

/// How an activation of a linked integration completes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActivationMode {
    /// The instance is active at once; the vendor is told.
    #[default]
    Notify,
    /// The instance stays `pending` until the vendor confirms or refuses it.
    Confirm,
}

/// The credentials deliveries carry (besides the Standard Webhooks signature).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutboundAuth {
    /// The signature only.
    #[default]
    None,
    /// A bearer token from the vendor's OAuth 2.0 token endpoint (client credentials grant).
    #[serde(rename = "oauth2_client_credentials")]
    Oauth2ClientCredentials {
        /// The token endpoint.
        token_url: String,
        /// Our client id at the vendor.
        client_id: String,
        /// Our client secret; absent in stored plain JSON and in views (see
        /// [`EventSnapshot::split_secret`]).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_secret: Option<String>,
        /// The scope asked for, if any.
        #[serde(default)]
        scope: Option<String>,
    },
}

impl fmt::Debug for OutboundAuth {
    /// Like the derived form, with the client secret redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Oauth2ClientCredentials {
                token_url,
                client_id,
                client_secret,
                scope,
            } => f
                .debug_struct("Oauth2ClientCredentials")
                .field("token_url", token_url)
                .field("client_id", client_id)
                .field(
                    "client_secret",
                    &client_secret.as_ref().map(|_| "[redacted]"),
                )
                .field("scope", scope)
                .finish(),
        }
    }
}

/// Which OpenID Connect client a relying party uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OidcClientMode {
    /// One client per instance.
    PerInstance,
    /// One client for every instance of the linked integrations.
    Shared,
}

/// How a customer user signs in to the vendor's application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Sso {
    /// A link; `{customer_external_id}` and `{instance_id}` are expanded (see
    /// [`crate::sso::expand_bookmark`]).
    Bookmark {
        /// The URL template.
        url: String,
    },
    /// The service is the OpenID Provider of the vendor's application.
    Oidc {
        /// Per instance or shared client.
        client: OidcClientMode,
        /// Allowed redirect URIs.
        redirect_urls: Vec<String>,
        /// Where a third-party-initiated login starts.
        initiate_login_url: String,
        /// Where the vendor logs a user out, if anywhere.
        #[serde(default)]
        logout_url: Option<String>,
    },
}

/// A working or published snapshot. `event_types` are our names (aliases resolved),
/// deduplicated, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventSnapshot {
    /// The URL of every listed type without its own entry in `url_by_type`.
    pub url: Option<String>,
    /// URLs by event type (our wire names).
    pub url_by_type: BTreeMap<String, String>,
    /// The types delivered.
    pub event_types: Vec<EventType>,
    /// How activations complete.
    pub activation: ActivationMode,
    /// The credentials deliveries carry.
    pub outbound_auth: OutboundAuth,
    /// How customer users sign in to the vendor's application, if at all.
    pub sso: Option<Sso>,
}

/// The deliverable types.
pub const DELIVERABLE: [EventType; 12] = [
    EventType::InstanceActivated,
    EventType::InstanceReconfigured,
    EventType::InstanceUpgraded,
    EventType::InstancePaused,
    EventType::InstanceResumed,
    EventType::InstanceDeactivated,
    EventType::CustomerCreated,
    EventType::CustomerUpdated,
    EventType::CustomerDeleted,
    EventType::CustomerUserAssigned,
    EventType::CustomerUserUnassigned,
    EventType::ConnectionStatusChanged,
];

/// AppDirect names -> ours: SUBSCRIPTION_ORDER -> [instance.activated]; SUBSCRIPTION_CHANGE ->
/// [instance.upgraded, instance.reconfigured]; SUBSCRIPTION_CANCEL -> [instance.deactivated];
/// SUBSCRIPTION_NOTICE -> [instance.paused, instance.resumed]; USER_ASSIGNMENT ->
/// [customer_user.assigned]; USER_UNASSIGNMENT -> [customer_user.unassigned]. Our own names map
/// to themselves. Unknown: None.
pub fn resolve_event_name(name: &str) -> Option<Vec<EventType>> {
    use EventType::*;
    let types = match name {
        "SUBSCRIPTION_ORDER" => vec![InstanceActivated],
        "SUBSCRIPTION_CHANGE" => vec![InstanceUpgraded, InstanceReconfigured],
        "SUBSCRIPTION_CANCEL" => vec![InstanceDeactivated],
        "SUBSCRIPTION_NOTICE" => vec![InstancePaused, InstanceResumed],
        "USER_ASSIGNMENT" => vec![CustomerUserAssigned],
        "USER_UNASSIGNMENT" => vec![CustomerUserUnassigned],
        ours => vec![EventType::from_wire(ours)?],
    };
    Some(types)
}

/// The deliverable types a name stands for; `None` when it is unknown or names a type that is
/// not deliverable.
fn resolve_deliverable(name: &str) -> Option<Vec<EventType>> {
    resolve_event_name(name).filter(|types| types.iter().all(|t| DELIVERABLE.contains(t)))
}

/// The top-level fields of a submitted snapshot.
const FIELDS: [&str; 6] = [
    "url",
    "url_by_type",
    "event_types",
    "activation",
    "outbound_auth",
    "sso",
];

/// Accepts a submitted working snapshot given as raw JSON (the wire form: `event_types` and
/// `url_by_type` keys may be aliases; `outbound_auth.client_secret` optional). `previous_secret`
/// is the client secret kept when the submission omits it (or sends back the view's
/// `{"set": true}`). Returns the snapshot (aliases resolved; the secret set in `outbound_auth`)
/// or every field error:
///  - not an object / wrong field types: `type` at the field's path;
///  - unknown or non-deliverable event type: `option` at `/event_types/{i}` (or
///    `/url_by_type/{key}`), as for any value outside its allowed set;
///  - a listed type with neither `url` nor `url_by_type` entry: `required` at `/url`;
///  - URLs that are not absolute http(s) URLs: `format`;
///  - oauth2 without client secret and no previous secret: `required` at
///    `/outbound_auth/client_secret`; empty or missing `token_url` / `client_id`: `required`;
///  - oidc with no redirect URL: `required` at `/sso/redirect_urls`;
///  - unknown fields: `unknown_key`.
pub fn accept_working(
    input: &Value,
    previous_secret: Option<&str>,
) -> Result<EventSnapshot, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(map) = object_at(Some(input), "", "an event configuration", &mut errors) else {
        return Err(errors);
    };
    reject_unknown(map, "", &FIELDS, &mut errors);
    let url = url_field(map, "", "url", false, &mut errors);
    let event_types = read_event_types(map.get("event_types"), &mut errors);
    let url_by_type = read_url_by_type(map.get("url_by_type"), &mut errors);
    let unrouted: Vec<&str> = event_types
        .iter()
        .filter(|t| !url_by_type.contains_key(t.as_str()))
        .map(|t| t.as_str())
        .collect();
    if url.is_none() && !unrouted.is_empty() {
        errors.push(FieldError::new(
            "/url",
            Code::Required,
            format!("no URL for {}", unrouted.join(", ")),
        ));
    }
    let activation = match enum_field(map, "", "activation", &["notify", "confirm"], &mut errors) {
        Some("confirm") => ActivationMode::Confirm,
        _ => ActivationMode::Notify,
    };
    let outbound_auth = read_outbound_auth(map.get("outbound_auth"), previous_secret, &mut errors);
    let sso = read_sso(map.get("sso"), &mut errors);
    if errors.is_empty() {
        Ok(EventSnapshot {
            url,
            url_by_type,
            event_types,
            activation,
            outbound_auth,
            sso,
        })
    } else {
        Err(errors)
    }
}

/// The listed types, aliases resolved, deduplicated, in order.
fn read_event_types(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<EventType> {
    let mut types = Vec::new();
    let Some(items) = array_at(value, "/event_types", errors) else {
        return types;
    };
    for (i, item) in items.iter().enumerate() {
        let path = pointer::push_index("/event_types", i);
        let Some(name) = item.as_str() else {
            errors.push(FieldError::new(
                path,
                Code::Type,
                "an event type is a string",
            ));
            continue;
        };
        match resolve_deliverable(name) {
            Some(resolved) => {
                for t in resolved {
                    if !types.contains(&t) {
                        types.push(t);
                    }
                }
            }
            None => errors.push(not_deliverable(path, name)),
        }
    }
    types
}

/// URLs by type, keys resolved to our names (an alias gives its URL to each of its types).
fn read_url_by_type(
    value: Option<&Value>,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, String> {
    let mut urls = BTreeMap::new();
    let Some(map) = object_at(value, "/url_by_type", "`url_by_type`", errors) else {
        return urls;
    };
    for key in map.keys() {
        let resolved = resolve_deliverable(key);
        if resolved.is_none() {
            errors.push(not_deliverable(pointer::push("/url_by_type", key), key));
        }
        if let (Some(url), Some(types)) =
            (url_field(map, "/url_by_type", key, true, errors), resolved)
        {
            for t in types {
                urls.insert(t.as_str().to_owned(), url.clone());
            }
        }
    }
    urls
}

/// The `outbound_auth` object; the secret comes from the submission or `previous_secret`.
fn read_outbound_auth(
    value: Option<&Value>,
    previous_secret: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> OutboundAuth {
    const BASE: &str = "/outbound_auth";
    let Some(map) = object_at(value, BASE, "`outbound_auth`", errors) else {
        return OutboundAuth::None;
    };
    let kinds = ["none", "oauth2_client_credentials"];
    match required_enum(map, BASE, &kinds, errors) {
        Some("oauth2_client_credentials") => {
            let fields = ["type", "token_url", "client_id", "client_secret", "scope"];
            reject_unknown(map, BASE, &fields, errors);
            let token_url = url_field(map, BASE, "token_url", true, errors);
            let client_id = string_field(map, BASE, "client_id", true, errors);
            let scope = string_field(map, BASE, "scope", false, errors);
            let submitted = match map.get("client_secret") {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                None | Some(Value::Null) => None,
                Some(Value::String(_)) => None,
                Some(masked) if crate::config::is_masked(masked) => None,
                Some(_) => {
                    errors.push(FieldError::new(
                        "/outbound_auth/client_secret",
                        Code::Type,
                        "`client_secret` must be a string",
                    ));
                    return OutboundAuth::None;
                }
            };
            let client_secret = submitted.or_else(|| previous_secret.map(str::to_owned));
            if client_secret.is_none() {
                errors.push(FieldError::new(
                    "/outbound_auth/client_secret",
                    Code::Required,
                    "`client_secret` is required (none is stored yet)",
                ));
            }
            OutboundAuth::Oauth2ClientCredentials {
                token_url: token_url.unwrap_or_default(),
                client_id: client_id.unwrap_or_default(),
                client_secret,
                scope,
            }
        }
        Some(_) => {
            reject_unknown(map, BASE, &["type"], errors);
            OutboundAuth::None
        }
        None => OutboundAuth::None,
    }
}

/// The `sso` object.
fn read_sso(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Sso> {
    const BASE: &str = "/sso";
    let map = object_at(value, BASE, "`sso`", errors)?;
    match required_enum(map, BASE, &["bookmark", "oidc"], errors)? {
        "bookmark" => {
            reject_unknown(map, BASE, &["type", "url"], errors);
            let url = string_field(map, BASE, "url", true, errors)?;
            let sample = crate::sso::expand_bookmark(&url, "x", "x");
            if !is_url(&sample) {
                errors.push(bad_url("/sso/url"));
            }
            Some(Sso::Bookmark { url })
        }
        _ => {
            let fields = [
                "type",
                "client",
                "redirect_urls",
                "initiate_login_url",
                "logout_url",
            ];
            reject_unknown(map, BASE, &fields, errors);
            let modes = ["per_instance", "shared"];
            let client = match enum_field(map, BASE, "client", &modes, errors) {
                Some("shared") => Some(OidcClientMode::Shared),
                Some(_) => Some(OidcClientMode::PerInstance),
                None if map.get("client").is_none_or(Value::is_null) => {
                    errors.push(missing("/sso/client", "client"));
                    None
                }
                None => None,
            };
            let mut redirect_urls = Vec::new();
            let path = "/sso/redirect_urls";
            if let Some(items) = array_at(map.get("redirect_urls"), path, errors) {
                for (i, item) in items.iter().enumerate() {
                    match item.as_str() {
                        Some(url) if is_url(url) => redirect_urls.push(url.to_owned()),
                        Some(_) => errors.push(bad_url(&pointer::push_index(path, i))),
                        None => errors.push(FieldError::new(
                            pointer::push_index(path, i),
                            Code::Type,
                            "a redirect URL is a string",
                        )),
                    }
                }
                if items.is_empty() {
                    errors.push(missing(path, "redirect_urls"));
                }
            } else if map.get("redirect_urls").is_none_or(Value::is_null) {
                errors.push(missing(path, "redirect_urls"));
            }
            let initiate_login_url = url_field(map, BASE, "initiate_login_url", true, errors);
            let logout_url = url_field(map, BASE, "logout_url", false, errors);
            Some(Sso::Oidc {
                client: client?,
                redirect_urls,
                initiate_login_url: initiate_login_url?,
                logout_url,
            })
        }
    }
}

/// The object at `path`; `None` when absent or null, or (with a `type` error) not an object.
fn object_at<'a>(
    value: Option<&'a Value>,
    path: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Map<String, Value>> {
    match value? {
        Value::Null => None,
        Value::Object(map) => Some(map),
        _ => {
            errors.push(FieldError::new(
                path,
                Code::Type,
                format!("{what} must be an object"),
            ));
            None
        }
    }
}

/// The array at `path`; `None` when absent or null, or (with a `type` error) not an array.
fn array_at<'a>(
    value: Option<&'a Value>,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Vec<Value>> {
    match value? {
        Value::Null => None,
        Value::Array(items) => Some(items),
        _ => {
            errors.push(FieldError::new(path, Code::Type, "must be an array"));
            None
        }
    }
}

/// A string field. Absent or null: `None` (a `required` error when `required`); not a string:
/// `type`; blank when `required`: `required`.
fn string_field(
    map: &Map<String, Value>,
    base: &str,
    name: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let path = pointer::push(base, name);
    match map.get(name) {
        None | Some(Value::Null) => {
            if required {
                errors.push(missing(&path, name));
            }
            None
        }
        Some(Value::String(s)) if required && s.trim().is_empty() => {
            errors.push(missing(&path, name));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                path,
                Code::Type,
                format!("`{name}` must be a string"),
            ));
            None
        }
    }
}

/// A URL field: [`string_field`], then a `format` error unless it is an absolute http(s) URL.
/// The value is returned even when malformed (the error is recorded), so that presence rules
/// are judged once.
fn url_field(
    map: &Map<String, Value>,
    base: &str,
    name: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let url = string_field(map, base, name, required, errors)?;
    if !is_url(&url) {
        errors.push(bad_url(&pointer::push(base, name)));
    }
    Some(url)
}

/// A string field whose value is one of `allowed`: `option` error otherwise.
fn enum_field<'v>(
    map: &Map<String, Value>,
    base: &str,
    name: &str,
    allowed: &[&'v str],
    errors: &mut Vec<FieldError>,
) -> Option<&'v str> {
    let value = string_field(map, base, name, false, errors)?;
    one_of(&value, base, name, allowed, errors)
}

/// The required `type` tag of an object.
fn required_enum<'v>(
    map: &Map<String, Value>,
    base: &str,
    allowed: &[&'v str],
    errors: &mut Vec<FieldError>,
) -> Option<&'v str> {
    if map.get("type").is_none_or(Value::is_null) {
        errors.push(missing(&pointer::push(base, "type"), "type"));
        return None;
    }
    enum_field(map, base, "type", allowed, errors)
}

fn missing(path: &str, name: &str) -> FieldError {
    FieldError::new(path, Code::Required, format!("`{name}` is required"))
}

fn bad_url(path: &str) -> FieldError {
    FieldError::new(path, Code::Format, "must be an absolute http(s) URL")
}

fn not_deliverable(path: String, name: &str) -> FieldError {
    FieldError::new(
        path,
        Code::Option,
        format!("`{name}` is not a deliverable event type"),
    )
}

impl EventSnapshot {
    /// The URL for a type: url_by_type's entry, else url; None when the type is not listed.
    pub fn url_for(&self, t: EventType) -> Option<&str> {
        if !self.listens_to(t) {
            return None;
        }
        self.url_by_type
            .get(t.as_str())
            .or(self.url.as_ref())
            .map(String::as_str)
    }

    /// Whether the snapshot listens to the type.
    pub fn listens_to(&self, t: EventType) -> bool {
        self.event_types.contains(&t)
    }

    /// The snapshot with the client secret removed (what is stored in plain JSON and shown),
    /// plus the secret.
    pub fn split_secret(mut self) -> (EventSnapshot, Option<String>) {
        let secret = match &mut self.outbound_auth {
            OutboundAuth::Oauth2ClientCredentials { client_secret, .. } => client_secret.take(),
            OutboundAuth::None => None,
        };
        (self, secret)
    }

    /// Puts a secret back (after reading the sealed column); ignored without OAuth 2.0.
    #[must_use]
    pub fn with_secret(mut self, secret: Option<String>) -> EventSnapshot {
        if let OutboundAuth::Oauth2ClientCredentials { client_secret, .. } = &mut self.outbound_auth
        {
            *client_secret = secret;
        }
        self
    }

    /// The wire view: like serde's form, with `outbound_auth.client_secret` replaced by
    /// `{"set": true}` (absent when no secret is held).
    pub fn view(&self) -> Value {
        let (plain, secret) = self.clone().split_secret();
        let mut view = serde_json::to_value(plain).unwrap_or_default();
        if secret.is_some()
            && let Some(auth) = view.get_mut("outbound_auth").and_then(Value::as_object_mut)
        {
            auth.insert("client_secret".into(), json!({"set": true}));
        }
        view
    }
}

/// A UI offers no edits when the configuration is linked to more than one integration.
pub fn read_only_in_ui(linked_integrations: usize) -> bool {
    linked_integrations > 1
}

/// Routing: the configurations that get a delivery for `event`.
/// - instance events (`event.instance_id` is Some): only `integration_config` (the configuration
///   linked to the event's integration, with its published snapshot), when it listens to the type;
/// - customer and customer_user events: every published configuration in `published` that
///   listens to it;
/// - other types: none. Returns ids, each once.
pub fn route<'a>(
    event: &Event,
    integration_config: Option<(&'a str, &EventSnapshot)>,
    published: &[(&'a str, &EventSnapshot)],
) -> Vec<&'a str> {
    let t = event.event_type;
    if event.instance_id.is_some() {
        return integration_config
            .filter(|(_, snapshot)| snapshot.listens_to(t))
            .map(|(id, _)| id)
            .into_iter()
            .collect();
    }
    let name = t.as_str();
    if !(name.starts_with("customer.") || name.starts_with("customer_user.")) {
        return Vec::new();
    }
    let mut ids: Vec<&'a str> = Vec::new();
    for (id, snapshot) in published {
        if snapshot.listens_to(t) && !ids.contains(id) {
            ids.push(id);
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use EventType::*;

    #[test]
    fn every_alias_resolves() {
        let table: [(&str, Option<Vec<EventType>>); 9] = [
            ("SUBSCRIPTION_ORDER", Some(vec![InstanceActivated])),
            (
                "SUBSCRIPTION_CHANGE",
                Some(vec![InstanceUpgraded, InstanceReconfigured]),
            ),
            ("SUBSCRIPTION_CANCEL", Some(vec![InstanceDeactivated])),
            (
                "SUBSCRIPTION_NOTICE",
                Some(vec![InstancePaused, InstanceResumed]),
            ),
            ("USER_ASSIGNMENT", Some(vec![CustomerUserAssigned])),
            ("USER_UNASSIGNMENT", Some(vec![CustomerUserUnassigned])),
            ("instance.paused", Some(vec![InstancePaused])),
            ("subscription_order", None),
            ("instance.exploded", None),
        ];
        for (name, expected) in table {
            assert_eq!(resolve_event_name(name), expected, "{name}");
        }
        for t in EventType::ALL {
            assert_eq!(resolve_event_name(t.as_str()), Some(vec![t]));
        }
    }

    /// The errors' paths and codes, sorted (object keys come in no fixed order).
    fn codes(input: Value, previous: Option<&str>) -> Vec<(String, &'static str)> {
        let mut codes: Vec<_> = match accept_working(&input, previous) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| (e.path, e.code.as_str()))
                .collect(),
        };
        codes.sort();
        codes
    }

    #[test]
    fn every_problem_has_its_path_and_code() {
        let oauth = |extra: Value| {
            let mut auth = json!({"type": "oauth2_client_credentials",
                "token_url": "https://auth.example/token", "client_id": "mp"});
            auth.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({"outbound_auth": auth})
        };
        // (submission, previous secret) -> (path, code) of each error
        type Row<'a> = (Value, Option<&'a str>, Vec<(&'a str, &'a str)>);
        let table: Vec<Row<'_>> = vec![
            (json!([]), None, vec![("", "type")]),
            (json!({}), None, vec![]),
            (
                json!({"url": 3, "event_types": "x", "url_by_type": [], "activation": 1, "sso": "x"}),
                None,
                vec![
                    ("/activation", "type"),
                    ("/event_types", "type"),
                    ("/sso", "type"),
                    ("/url", "type"),
                    ("/url_by_type", "type"),
                ],
            ),
            (
                json!({"surprise": 1}),
                None,
                vec![("/surprise", "unknown_key")],
            ),
            (
                json!({"url": "https://v.example", "event_types": ["instance.activated", 7, "instance.exploded", "version.published"]}),
                None,
                vec![
                    ("/event_types/1", "type"),
                    ("/event_types/2", "option"),
                    ("/event_types/3", "option"),
                ],
            ),
            (
                json!({"url_by_type": {"api_key.created": "https://v.example", "a/b": "https://v.example"}}),
                None,
                vec![
                    ("/url_by_type/a~1b", "option"),
                    ("/url_by_type/api_key.created", "option"),
                ],
            ),
            (
                json!({"event_types": ["customer.created", "SUBSCRIPTION_ORDER"]}),
                None,
                vec![("/url", "required")],
            ),
            (
                json!({"event_types": ["customer.created"], "url_by_type": {"SUBSCRIPTION_ORDER": "https://v.example"}}),
                None,
                vec![("/url", "required")],
            ),
            (
                json!({"url": "ftp://v.example", "url_by_type": {"instance.paused": "v.example", "instance.resumed": 4}}),
                None,
                vec![
                    ("/url", "format"),
                    ("/url_by_type/instance.paused", "format"),
                    ("/url_by_type/instance.resumed", "type"),
                ],
            ),
            (
                json!({"activation": "later"}),
                None,
                vec![("/activation", "option")],
            ),
            (
                json!({"outbound_auth": {}}),
                None,
                vec![("/outbound_auth/type", "required")],
            ),
            (
                json!({"outbound_auth": {"type": "basic"}}),
                None,
                vec![("/outbound_auth/type", "option")],
            ),
            (
                json!({"outbound_auth": {"type": "none", "client_id": "x"}}),
                None,
                vec![("/outbound_auth/client_id", "unknown_key")],
            ),
            (
                oauth(json!({})),
                None,
                vec![("/outbound_auth/client_secret", "required")],
            ),
            (oauth(json!({})), Some("kept"), vec![]),
            (
                oauth(json!({"client_secret": {"set": true}})),
                Some("kept"),
                vec![],
            ),
            (
                oauth(json!({"client_secret": 5})),
                Some("kept"),
                vec![("/outbound_auth/client_secret", "type")],
            ),
            (
                json!({"outbound_auth": {"type": "oauth2_client_credentials", "token_url": "", "client_id": " ", "client_secret": "s"}}),
                None,
                vec![
                    ("/outbound_auth/token_url", "required"),
                    ("/outbound_auth/client_id", "required"),
                ],
            ),
            (
                oauth(json!({"token_url": "token", "client_secret": "s", "scope": 1})),
                None,
                vec![
                    ("/outbound_auth/token_url", "format"),
                    ("/outbound_auth/scope", "type"),
                ],
            ),
            (
                json!({"sso": {"type": "bookmark"}}),
                None,
                vec![("/sso/url", "required")],
            ),
            (
                json!({"sso": {"type": "bookmark", "url": "app.example/{instance_id}"}}),
                None,
                vec![("/sso/url", "format")],
            ),
            (
                json!({"sso": {"type": "bookmark", "url": "https://{customer_external_id}.app.example/i/{instance_id}"}}),
                None,
                vec![],
            ),
            (
                json!({"sso": {"type": "oidc", "client": "shared", "redirect_urls": [], "initiate_login_url": "https://a.example/login"}}),
                None,
                vec![("/sso/redirect_urls", "required")],
            ),
            (
                json!({"sso": {"type": "oidc", "client": "mine", "redirect_urls": ["https://a.example/cb", "cb", 3],
                    "initiate_login_url": "nope", "logout_url": "x", "extra": 1}}),
                None,
                vec![
                    ("/sso/extra", "unknown_key"),
                    ("/sso/client", "option"),
                    ("/sso/redirect_urls/1", "format"),
                    ("/sso/redirect_urls/2", "type"),
                    ("/sso/initiate_login_url", "format"),
                    ("/sso/logout_url", "format"),
                ],
            ),
            (
                json!({"sso": {"type": "oidc"}}),
                None,
                vec![
                    ("/sso/client", "required"),
                    ("/sso/redirect_urls", "required"),
                    ("/sso/initiate_login_url", "required"),
                ],
            ),
            (
                json!({"sso": {"type": "saml"}}),
                None,
                vec![("/sso/type", "option")],
            ),
        ];
        for (i, (input, previous, expected)) in table.into_iter().enumerate() {
            let mut expected: Vec<(String, &str)> = expected
                .into_iter()
                .map(|(p, c)| (p.to_owned(), c))
                .collect();
            expected.sort();
            assert_eq!(codes(input, previous), expected, "row {i}");
        }
    }

    #[test]
    fn a_good_submission_resolves_aliases_and_keeps_the_secret() {
        let input = json!({
            "url": "https://v.example/events",
            "url_by_type": {"SUBSCRIPTION_NOTICE": "https://v.example/notice"},
            "event_types": ["SUBSCRIPTION_ORDER", "instance.activated", "SUBSCRIPTION_CHANGE", "USER_ASSIGNMENT"],
            "activation": "confirm",
            "outbound_auth": {"type": "oauth2_client_credentials", "token_url": "https://v.example/token",
                              "client_id": "mp", "scope": "events"},
            "sso": {"type": "oidc", "client": "per_instance", "redirect_urls": ["https://v.example/cb"],
                    "initiate_login_url": "https://v.example/login"}
        });
        let snapshot = accept_working(&input, Some("old-secret")).unwrap();
        assert_eq!(
            snapshot.event_types,
            [
                InstanceActivated,
                InstanceUpgraded,
                InstanceReconfigured,
                CustomerUserAssigned
            ]
        );
        assert_eq!(
            snapshot.url_by_type.keys().collect::<Vec<_>>(),
            ["instance.paused", "instance.resumed"]
        );
        assert_eq!(snapshot.activation, ActivationMode::Confirm);
        assert!(matches!(
            &snapshot.outbound_auth,
            OutboundAuth::Oauth2ClientCredentials { client_secret: Some(s), scope: Some(_), .. } if s == "old-secret"
        ));
        assert!(!format!("{snapshot:?}").contains("old-secret"));
        // A new secret wins over the kept one.
        let mut with_new = input.clone();
        with_new["outbound_auth"]["client_secret"] = json!("new-secret");
        let (_, secret) = accept_working(&with_new, Some("old-secret"))
            .unwrap()
            .split_secret();
        assert_eq!(secret.as_deref(), Some("new-secret"));
        // The stored form reads back as the same snapshot.
        let (plain, secret) = snapshot.clone().split_secret();
        let stored = serde_json::to_value(&plain).unwrap();
        assert!(stored["outbound_auth"].get("client_secret").is_none());
        let back: EventSnapshot = serde_json::from_value(stored).unwrap();
        assert_eq!(back.with_secret(secret), snapshot);
    }

    #[test]
    fn the_default_and_the_view() {
        let empty = EventSnapshot::default();
        assert_eq!(
            serde_json::to_value(&empty).unwrap(),
            json!({"url": null, "url_by_type": {}, "event_types": [], "activation": "notify",
                   "outbound_auth": {"type": "none"}, "sso": null})
        );
        assert_eq!(accept_working(&json!({}), None).unwrap(), empty);
        assert_eq!(empty.view(), serde_json::to_value(&empty).unwrap());
        let snapshot = EventSnapshot {
            outbound_auth: OutboundAuth::Oauth2ClientCredentials {
                token_url: "https://v.example/token".into(),
                client_id: "mp".into(),
                client_secret: Some("s3cret".into()),
                scope: None,
            },
            ..EventSnapshot::default()
        };
        let view = snapshot.view();
        assert_eq!(
            view["outbound_auth"],
            json!({"type": "oauth2_client_credentials", "token_url": "https://v.example/token",
                   "client_id": "mp", "client_secret": {"set": true}, "scope": null})
        );
        assert!(!view.to_string().contains("s3cret"));
        // The view sent back keeps the secret.
        let again = accept_working(&view, Some("s3cret")).unwrap();
        assert_eq!(again, snapshot);
        assert!(!read_only_in_ui(0) && !read_only_in_ui(1) && read_only_in_ui(2));
    }

    #[test]
    fn url_for_prefers_the_types_own_url() {
        let snapshot = EventSnapshot {
            url: Some("https://v.example/all".into()),
            url_by_type: [(
                "instance.paused".to_owned(),
                "https://v.example/p".to_owned(),
            )]
            .into(),
            event_types: vec![InstancePaused, InstanceResumed],
            ..EventSnapshot::default()
        };
        let table = [
            (InstancePaused, Some("https://v.example/p")),
            (InstanceResumed, Some("https://v.example/all")),
            (InstanceActivated, None),
        ];
        for (t, expected) in table {
            assert_eq!(snapshot.url_for(t), expected, "{t:?}");
            assert_eq!(snapshot.listens_to(t), expected.is_some());
        }
        let no_default = EventSnapshot {
            url: None,
            ..snapshot
        };
        assert_eq!(no_default.url_for(InstanceResumed), None);
    }

    #[test]
    fn routes() {
        let listening = |types: Vec<EventType>| EventSnapshot {
            url: Some("https://v.example".into()),
            event_types: types,
            ..EventSnapshot::default()
        };
        let linked = listening(vec![InstancePaused]);
        let customers = listening(vec![CustomerCreated, CustomerUserAssigned]);
        let quiet = listening(vec![]);
        let instance_event = |t: EventType| Event {
            event_type: t,
            at: 1,
            customer_id: Some("c".into()),
            integration_id: Some("i".into()),
            instance_id: Some("in".into()),
            data: json!({}),
        };
        let other_event = |t: EventType| Event {
            instance_id: None,
            integration_id: None,
            ..instance_event(t)
        };
        let published = [
            ("a", &customers),
            ("b", &quiet),
            ("a", &customers),
            ("c", &linked),
        ];
        // (event, the configuration linked to its integration) -> ids routed to
        type Row<'a> = (Event, Option<(&'a str, &'a EventSnapshot)>, Vec<&'a str>);
        let table: Vec<Row<'_>> = vec![
            (
                instance_event(InstancePaused),
                Some(("l", &linked)),
                vec!["l"],
            ),
            (
                instance_event(InstanceResumed),
                Some(("l", &linked)),
                vec![],
            ),
            (instance_event(InstancePaused), None, vec![]),
            (
                other_event(CustomerCreated),
                Some(("l", &linked)),
                vec!["a"],
            ),
            (other_event(CustomerUserAssigned), None, vec!["a"]),
            (other_event(CustomerDeleted), None, vec![]),
            (
                other_event(OrganizationUpdated),
                Some(("l", &linked)),
                vec![],
            ),
        ];
        for (i, (event, config, expected)) in table.into_iter().enumerate() {
            assert_eq!(route(&event, config, &published), expected, "row {i}");
        }
    }
}
