//! OAuth2 authorization-code connections: the vendor's app (named by `organization` variables),
//! a connection's status, PKCE S256 and the `state` parameter from passed-in random bytes, and
//! when a token is refreshed.
//!
//! The vendor sets the OAuth app once; the customer only authorises it. So a connection
//! variable with an `app` is written by the service's callback alone: no editor may set its value
//! (`not_editable`), it is never `required` at activation and never a deployability reason; an
//! app variable without a value is (`missing_default`). A required connection that is not
//! `connected` keeps its instance `needs_configuration`.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::event::{Event, EventType, UnixMillis};
use crate::instance::{Instance, InstanceStatus};
use crate::pointer;
use crate::spec::{ConfigSpec, ConnectionKind, Variable, VariableType, Visibility};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// A use refreshes the access token when it lives less than this (5 minutes).
pub const REFRESH_ON_USE_MS: i64 = 5 * 60_000;
/// The sweep refreshes access tokens that expire within this (10 minutes).
pub const SWEEP_WINDOW_MS: i64 = 10 * 60_000;
/// How long an authorization's `state` may be redeemed (10 minutes).
pub const STATE_LIFETIME_MS: i64 = 10 * 60_000;

/// How the service authenticates as the OAuth client at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AuthMethod {
    /// HTTP Basic (`client_secret_basic`).
    #[default]
    Basic,
    /// In the form body (`client_secret_post`).
    Post,
}

impl AuthMethod {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Post => "post",
        }
    }

    /// The method with that wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "basic" => Some(Self::Basic),
            "post" => Some(Self::Post),
            _ => None,
        }
    }
}

/// The vendor's OAuth app of an `oauth2_authorization_code` connection: each field but
/// `auth_method` is the key of an `organization` variable of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnectionApp {
    /// A `url` variable: the provider's authorization endpoint.
    pub authorize_url: String,
    /// A `url` variable: the provider's token endpoint.
    pub token_url: String,
    /// A `string` variable: the client id.
    pub client_id: String,
    /// A `secret` variable: the client secret.
    pub client_secret: String,
    /// A `string` variable: space-separated scopes, if any.
    pub scopes: Option<String>,
    /// How the client authenticates at the token endpoint.
    pub auth_method: AuthMethod,
}

/// The app fields naming variables, with the variable type each must have.
pub const APP_FIELDS: [(&str, &str); 5] = [
    ("authorize_url", "url"),
    ("token_url", "url"),
    ("client_id", "string"),
    ("client_secret", "secret"),
    ("scopes", "string"),
];

impl ConnectionApp {
    /// `(field, variable key)` of each field naming a variable, in [`APP_FIELDS`] order.
    pub fn references(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some(self.authorize_url.as_str()),
            Some(self.token_url.as_str()),
            Some(self.client_id.as_str()),
            Some(self.client_secret.as_str()),
            self.scopes.as_deref(),
        ]
        .into_iter()
        .zip(APP_FIELDS)
        .filter_map(|(key, (field, _))| key.map(|key| (field, key)))
    }
}

/// Whether this variable is a connection the customer authorises (one with an app): its value
/// is written by the service's callback only.
pub fn is_authorized_connection(variable: &Variable) -> bool {
    variable.connection_app.is_some()
}

/// Checks that each app field names an `organization` variable of the right type:
/// `invalid_reference` at `{variable_path}/connection/app/{field}` otherwise, the variable's path
/// found in `raw` (the spec as written). Checked when a version is created, not when a spec is
/// parsed: a customer's view of a spec (`ConfigSpec::customer_view`) keeps the app but not the
/// organization variables it names, and must parse.
pub fn check_app_references(spec: &ConfigSpec, raw: &Value) -> Vec<FieldError> {
    let path_of = |key: &str| {
        let pages = raw.get("pages").and_then(Value::as_array);
        for (i, page) in pages.into_iter().flatten().enumerate() {
            let elements = page.get("elements").and_then(Value::as_array);
            for (j, element) in elements.into_iter().flatten().enumerate() {
                if element.get("key").and_then(Value::as_str) == Some(key) {
                    return format!("/pages/{i}/elements/{j}");
                }
            }
        }
        String::new()
    };
    let mut errors = Vec::new();
    for variable in spec.variables() {
        let Some(app) = &variable.connection_app else {
            continue;
        };
        let app_path = pointer::push(&pointer::push(&path_of(&variable.key), "connection"), "app");
        for (field, key) in app.references() {
            let expected = APP_FIELDS
                .iter()
                .find(|(f, _)| *f == field)
                .map_or("string", |(_, t)| t);
            let fits = spec.variable(key).is_some_and(|target| {
                target.visibility == Visibility::Organization
                    && target.kind.name() == expected
                    && target.collection.is_none()
            });
            if !fits {
                errors.push(FieldError::new(
                    pointer::push(&app_path, field),
                    Code::InvalidReference,
                    format!("`{key}` must be an organization variable of type {expected}"),
                ));
            }
        }
    }
    errors
}

/// The app's variables that have neither a default nor a vendor-set value (for the
/// `missing_default` deployability reason), each once, in spec order.
pub fn unset_app_variables(
    spec: &ConfigSpec,
    vendor_values: Option<&Map<String, Value>>,
) -> Vec<String> {
    let mut missing: Vec<String> = Vec::new();
    for app in spec.variables().filter_map(|v| v.connection_app.as_ref()) {
        for (_, key) in app.references() {
            let set = vendor_values.is_some_and(|m| m.get(key).is_some_and(|v| !v.is_null()))
                || spec.variable(key).is_some_and(|v| v.default.is_some());
            if !set && !missing.iter().any(|m| m == key) {
                missing.push(key.to_owned());
            }
        }
    }
    missing
}

/// The app's settings, read from the organization's values (defaults included).
#[derive(Clone, PartialEq, Eq)]
pub struct AppSettings {
    /// The authorization endpoint.
    pub authorize_url: String,
    /// The token endpoint.
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// The scopes, in order.
    pub scopes: Vec<String>,
    /// How the client authenticates.
    pub auth_method: AuthMethod,
}

impl std::fmt::Debug for AppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppSettings")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("scopes", &self.scopes)
            .field("auth_method", &self.auth_method)
            .finish()
    }
}

/// Reads the app's settings from `values` (the organization's values, defaults applied):
/// the keys of the variables without a value when some are missing.
pub fn app_settings(
    app: &ConnectionApp,
    values: &Map<String, Value>,
) -> Result<AppSettings, Vec<String>> {
    let mut missing = Vec::new();
    let mut get = |key: &str| match values.get(key).and_then(Value::as_str) {
        Some(v) if !v.is_empty() => v.to_owned(),
        _ => {
            missing.push(key.to_owned());
            String::new()
        }
    };
    let authorize_url = get(&app.authorize_url);
    let token_url = get(&app.token_url);
    let client_id = get(&app.client_id);
    let client_secret = get(&app.client_secret);
    let scopes = app
        .scopes
        .as_deref()
        .and_then(|key| values.get(key).and_then(Value::as_str))
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(AppSettings {
        authorize_url,
        token_url,
        client_id,
        client_secret,
        scopes,
        auth_method: app.auth_method,
    })
}

/// The status of one connection of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConnectionStatus {
    /// Never authorised, or disconnected.
    #[default]
    NotConnected,
    /// Holds an access token that lives, or a refresh token.
    Connected,
    /// The access token lapsed and there is no refresh token.
    Expired,
    /// The provider refused an exchange or a refresh (`invalid_grant`).
    Error,
}

impl ConnectionStatus {
    /// Every status, in wire order.
    pub const ALL: [ConnectionStatus; 4] = [
        Self::NotConnected,
        Self::Connected,
        Self::Expired,
        Self::Error,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotConnected => "not_connected",
            Self::Connected => "connected",
            Self::Expired => "expired",
            Self::Error => "error",
        }
    }

    /// The status with that wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What the service knows of a connection's tokens (not the tokens themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TokenState {
    /// The stored status.
    pub status: ConnectionStatus,
    /// When the access token expires (`None`: the provider did not say).
    pub expires_at: Option<UnixMillis>,
    /// Whether a refresh token is held.
    pub has_refresh_token: bool,
}

/// What a use of the connection (a delivery) does with its tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseDecision {
    /// Send the access token as it is.
    Use,
    /// Refresh first (less than [`REFRESH_ON_USE_MS`] left), then send the new token.
    Refresh,
    /// Nothing usable: the connection is, or becomes, this status.
    Unusable(ConnectionStatus),
}

/// The rule of a use: refresh when less than 5 minutes are left and a refresh token is held; a
/// lapsed token without one is `expired`.
pub fn decide_use(state: TokenState, now: UnixMillis) -> UseDecision {
    if state.status != ConnectionStatus::Connected {
        return UseDecision::Unusable(state.status);
    }
    let Some(expires_at) = state.expires_at else {
        return UseDecision::Use;
    };
    if expires_at - now >= REFRESH_ON_USE_MS {
        UseDecision::Use
    } else if state.has_refresh_token {
        UseDecision::Refresh
    } else if now < expires_at {
        UseDecision::Use
    } else {
        UseDecision::Unusable(ConnectionStatus::Expired)
    }
}

/// Whether the minutely sweep refreshes this connection now: connected, with a refresh token,
/// expiring within 10 minutes.
pub fn sweep_due(state: TokenState, now: UnixMillis) -> bool {
    state.status == ConnectionStatus::Connected
        && state.has_refresh_token
        && state
            .expires_at
            .is_some_and(|at| at - now < SWEEP_WINDOW_MS)
}

/// What a refresh came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// New tokens were issued.
    Refreshed,
    /// The provider refused the grant (`invalid_grant` and the like).
    Refused,
    /// No answer, or an answer that is not a refusal (5xx, timeout).
    Transient,
}

/// The status after a refresh: refused → `error`; transient failures keep `connected` while
/// the access token lives, else `expired`.
pub fn status_after_refresh(
    state: TokenState,
    outcome: RefreshOutcome,
    now: UnixMillis,
) -> ConnectionStatus {
    match outcome {
        RefreshOutcome::Refreshed => ConnectionStatus::Connected,
        RefreshOutcome::Refused => ConnectionStatus::Error,
        RefreshOutcome::Transient if state.expires_at.is_none_or(|at| now < at) => state.status,
        RefreshOutcome::Transient => ConnectionStatus::Expired,
    }
}

/// The instance's status given whether a required connection is not `connected`: `active`
/// becomes `needs_configuration`; `needs_configuration` becomes `active` once every required
/// connection is connected and `values_complete`; `pending`, `failed` and `paused` stay.
pub fn instance_status(
    current: InstanceStatus,
    required_unconnected: bool,
    values_complete: bool,
) -> InstanceStatus {
    match current {
        InstanceStatus::Active if required_unconnected => InstanceStatus::NeedsConfiguration,
        InstanceStatus::NeedsConfiguration if !required_unconnected && values_complete => {
            InstanceStatus::Active
        }
        other => other,
    }
}

/// The keys of the spec's required connections with an app that are not `connected`.
pub fn required_unconnected(
    spec: &ConfigSpec,
    status_of: impl Fn(&str) -> ConnectionStatus,
) -> Vec<&str> {
    spec.variables()
        .filter(|v| v.required && is_authorized_connection(v))
        .filter(|v| status_of(&v.key) != ConnectionStatus::Connected)
        .map(|v| v.key.as_str())
        .collect()
}

/// The connections of a spec that the customer authorises, in spec order.
pub fn authorized_connections(spec: &ConfigSpec) -> impl Iterator<Item = &Variable> {
    spec.variables().filter(|v| {
        matches!(
            v.kind,
            VariableType::Connection(ConnectionKind::OAuth2AuthorizationCode)
        ) && is_authorized_connection(v)
    })
}

/// The `connection.status_changed` event (`{key, status, previous_status}`), or `None` when
/// the status did not change.
pub fn status_changed_event(
    instance: &Instance,
    key: &str,
    previous: ConnectionStatus,
    status: ConnectionStatus,
    now: UnixMillis,
) -> Option<Event> {
    (previous != status).then(|| {
        let mut event =
            Event::for_instance(EventType::ConnectionStatusChanged, instance, now, json!({}));
        event.data = json!({
            "key": key,
            "status": status.as_str(),
            "previous_status": previous.as_str(),
            "version": instance.version.to_string(),
            "name": instance.name,
        });
        event
    })
}

/// A PKCE pair (RFC 7636, S256).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    /// The `code_verifier`: 43 characters of base64url (32 bytes).
    pub verifier: String,
    /// The `code_challenge`: base64url-no-pad(SHA-256(verifier)).
    pub challenge: String,
}

impl std::fmt::Debug for Pkce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// The S256 `code_challenge` of a `code_verifier`: base64url-no-pad(SHA-256(verifier)).
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The PKCE pair of 32 random bytes.
pub fn pkce_from_bytes(random: &[u8; 32]) -> Pkce {
    let verifier = URL_SAFE_NO_PAD.encode(random);
    let challenge = pkce_challenge(&verifier);
    Pkce {
        verifier,
        challenge,
    }
}

/// The `state` parameter of 32 random bytes (256 bits), base64url.
pub fn state_from_bytes(random: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(random)
}

/// The stored form of a `state`: lower-case hex SHA-256.
pub fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Why a recorded `state` cannot be redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateRefusal {
    /// Already redeemed once.
    Used,
    /// Older than [`STATE_LIFETIME_MS`].
    Expired,
}

/// Whether a recorded state may be redeemed now (single use, until `expires_at`).
pub fn redeemable(used: bool, expires_at: UnixMillis, now: UnixMillis) -> Result<(), StateRefusal> {
    if used {
        Err(StateRefusal::Used)
    } else if now >= expires_at {
        Err(StateRefusal::Expired)
    } else {
        Ok(())
    }
}

/// The authorization URL: the app's endpoint with `response_type=code`, `client_id`,
/// `redirect_uri`, `scope` (when any), `state`, `code_challenge` and `code_challenge_method=S256`
/// appended to its query.
pub fn authorize_url(
    settings: &AppSettings,
    redirect_uri: &str,
    state: &str,
    pkce: &Pkce,
) -> String {
    let scope = settings.scopes.join(" ");
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", settings.client_id.as_str()),
        ("redirect_uri", redirect_uri),
    ];
    if !scope.is_empty() {
        params.push(("scope", scope.as_str()));
    }
    params.extend([
        ("state", state),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encode(v)))
        .collect();
    // A fragment has no place in an authorization endpoint (RFC 6749 3.1): dropped.
    let base = settings
        .authorize_url
        .split_once('#')
        .map_or(settings.authorize_url.as_str(), |(base, _)| base);
    let separator = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    format!("{base}{separator}{}", query.join("&"))
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_the_sso_check() {
        let pkce = pkce_from_bytes(&[7; 32]);
        assert_eq!(pkce.verifier.len(), 43);
        assert!(crate::sso::pkce_s256_matches(
            &pkce.verifier,
            &pkce.challenge
        ));
    }

    #[test]
    fn form_encoding() {
        assert_eq!(form_encode("a b/c?d=é"), "a+b%2Fc%3Fd%3D%C3%A9");
    }
}
