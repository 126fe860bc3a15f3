//! `/api/v1/event-configurations`: where and how the vendor hears of its customers' changes (a
//! working snapshot, edited freely, and published revisions, which deliveries use), pings, the
//! signing secret, the inbound client, and the link of an integration
//! (`PUT/DELETE /api/v1/integrations/{id}/event-configuration`).

use marketplace_core::event_config::EventSnapshot;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

wire_enum! {
    /// How an activation waits for the vendor.
    pub enum ActivationMode {
        /// Active at once; the vendor is told.
        Notify = "notify",
        /// `pending` until the vendor confirms or refuses.
        Confirm = "confirm",
    }
}

wire_enum! {
    /// How deliveries authenticate to the vendor.
    pub enum OutboundAuthType {
        /// Only the signature.
        None = "none",
        /// An OAuth2 access token from the vendor's token endpoint (client credentials).
        Oauth2ClientCredentials = "oauth2_client_credentials",
    }
}

wire_enum! {
    /// How the customer signs in to the vendor's product.
    pub enum SsoType {
        /// A link, with `{customer_external_id}` and `{instance_id}` expanded.
        Bookmark = "bookmark",
        /// The service is an OpenID Provider.
        Oidc = "oidc",
    }
}

wire_enum! {
    /// Which OpenID client a relying party uses.
    pub enum OidcClient {
        /// One client per instance (`client_id` = the instance id).
        PerInstance = "per_instance",
        /// One client for the configuration (`client_id` = its id).
        Shared = "shared",
    }
}

wire_enum! {
    /// Which snapshot a ping uses.
    pub enum SnapshotName {
        /// The working draft.
        Working = "working",
        /// The latest published revision.
        Published = "published",
    }
}

wire_enum! {
    /// How a ping went.
    pub enum TestStatus {
        /// A 2xx answer.
        Succeeded = "succeeded",
        /// Anything else.
        Failed = "failed",
    }
}

/// That a secret is set (its value is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SecretSet {
    /// Always true.
    pub set: bool,
}

/// Outbound authentication as shown (the client secret masked).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OutboundAuthView {
    /// The kind.
    #[serde(rename = "type")]
    pub auth_type: OutboundAuthType,
    /// The vendor's token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Client id at the vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// `{"set": true}` when a secret is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<SecretSet>,
    /// Scope asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// Single sign-on as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SsoView {
    /// The kind.
    #[serde(rename = "type")]
    pub sso_type: SsoType,
    /// Bookmark URL (`bookmark`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Which client (`oidc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<OidcClient>,
    /// Allowed redirect URIs (`oidc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_urls: Option<Vec<String>>,
    /// The vendor's third-party-initiated login URL (`oidc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initiate_login_url: Option<String>,
    /// Visited when the customer signs out of the portal (`oidc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logout_url: Option<String>,
}

/// The last ping of one event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct LastTest {
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
    /// How it went.
    pub status: TestStatus,
    /// The answer's status.
    pub http_status: Option<u16>,
    /// Milliseconds to the answer.
    pub latency_ms: i64,
    /// The answer's first KiB.
    pub response_excerpt: Option<String>,
    /// Why no answer.
    pub error: Option<String>,
}

/// A snapshot as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct EventSnapshotView {
    /// The URL of every listed type without its own.
    pub url: Option<String>,
    /// Per-type URLs.
    pub url_by_type: BTreeMap<String, String>,
    /// The types delivered (our names; AppDirect names were resolved).
    pub event_types: Vec<String>,
    /// `notify` or `confirm`.
    pub activation: ActivationMode,
    /// How deliveries authenticate.
    pub outbound_auth: OutboundAuthView,
    /// Single sign-on.
    pub sso: Option<SsoView>,
    /// The last ping per type.
    pub last_tests: BTreeMap<String, LastTest>,
}

impl EventSnapshotView {
    /// The view of a snapshot with its pings: core's masked view (`EventSnapshot::view`, the
    /// client secret as `{"set": true}`), which has this type's shape.
    pub fn new(snapshot: &EventSnapshot, last_tests: BTreeMap<String, LastTest>) -> Self {
        let mut view = snapshot.view();
        view["last_tests"] = serde_json::to_value(last_tests).unwrap_or_default();
        serde_json::from_value(view).expect("core's snapshot view has the wire shape")
    }
}

/// A snapshot as submitted (`PUT .../working`, and `working` of a creation): event names may be
/// ours or AppDirect's; a `client_secret` left out keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventSnapshotBody {
    /// The URL of every listed type without its own (http or https).
    #[serde(default)]
    pub url: Option<String>,
    /// Per-type URLs, keyed by event name.
    #[serde(default)]
    pub url_by_type: BTreeMap<String, String>,
    /// The types to deliver (`instance.activated`, or AppDirect's `SUBSCRIPTION_ORDER`, ...).
    #[serde(default)]
    pub event_types: Vec<String>,
    /// `notify` (default) or `confirm`.
    #[serde(default)]
    pub activation: Option<ActivationMode>,
    /// `{"type": "none"}` (default) or `{"type": "oauth2_client_credentials", token_url,
    /// client_id, client_secret, scope}`.
    #[serde(default)]
    pub outbound_auth: Option<OutboundAuthBody>,
    /// `null`, `{"type": "bookmark", url}` or `{"type": "oidc", client, redirect_urls,
    /// initiate_login_url, logout_url}`.
    #[serde(default)]
    pub sso: Option<SsoView>,
}

/// Outbound authentication as submitted: a left-out `client_secret` keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OutboundAuthBody {
    /// The kind.
    #[serde(rename = "type")]
    pub auth_type: OutboundAuthType,
    /// The vendor's token endpoint (http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// Client id at the vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Client secret (write only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scope to ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// An inbound client as shown (no secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct InboundClientView {
    /// Client id, for `POST /api/v1/vendor/oauth2/token`.
    pub client_id: String,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// An event configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct EventConfigurationView {
    /// Id (`evc_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The editable draft.
    pub working: EventSnapshotView,
    /// The latest published revision (what deliveries use).
    pub published: Option<EventSnapshotView>,
    /// The latest revision (0 before the first publish).
    pub revision: i64,
    /// When it was published (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub published_at: Option<String>,
    /// Linked integrations.
    pub linked_integrations: Vec<String>,
    /// Linked to more than one integration: a UI offers no edits (the API still takes them).
    pub read_only_in_ui: bool,
    /// The client the vendor answers with, if any.
    pub inbound_client: Option<InboundClientView>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// A new configuration with its signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewEventConfiguration {
    /// The configuration.
    #[serde(flatten)]
    pub configuration: EventConfigurationView,
    /// `whsec_...`: verifies the `webhook-signature` of every delivery; not shown again.
    pub signing_secret: String,
}

/// Body of `POST /api/v1/event-configurations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventConfigurationCreate {
    /// Name.
    pub name: String,
    /// The first draft.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = Option<EventSnapshotBody>))]
    pub working: Option<serde_json::Value>,
}

/// Body of `PATCH /api/v1/event-configurations/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventConfigurationPatch {
    /// New name.
    pub name: String,
}

/// A rotated signing secret (the previous one co-signs for 24 hours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SigningSecretView {
    /// `whsec_...`, shown once.
    pub signing_secret: String,
}

/// A new inbound client with its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewInboundClient {
    /// Client id.
    pub client_id: String,
    /// Client secret, shown once.
    pub client_secret: String,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// Body of `POST .../{id}/ping`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PingBody {
    /// Which snapshot's URLs and authentication (default `working`).
    #[serde(default)]
    pub snapshot: Option<SnapshotName>,
    /// The types to ping (default: every listed type).
    #[serde(default)]
    pub event_types: Vec<String>,
}

/// One ping's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PingResult {
    /// The type pinged.
    pub event_type: String,
    /// The URL.
    pub url: String,
    /// How it went.
    pub last_test: LastTest,
}

/// The answer of a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PingResults {
    /// One per type.
    pub results: Vec<PingResult>,
}

/// Body of `PUT /api/v1/integrations/{id}/event-configuration`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventConfigurationLink {
    /// A published configuration.
    pub event_configuration_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use marketplace_core::event_config::accept_working;
    use serde_json::json;

    #[test]
    fn snapshots_as_the_service_shows_them() {
        let snapshot = accept_working(
            &json!({"url": "https://v.example/events", "event_types": ["SUBSCRIPTION_CHANGE"],
                    "activation": "confirm",
                    "outbound_auth": {"type": "oauth2_client_credentials", "token_url": "https://v.example/token",
                                      "client_id": "mp", "client_secret": "s3cret", "scope": "events"},
                    "sso": {"type": "oidc", "client": "shared", "redirect_urls": ["https://v.example/cb"],
                            "initiate_login_url": "https://v.example/login"}}),
            None,
        )
        .unwrap();
        let view = EventSnapshotView::new(&snapshot, BTreeMap::new());
        assert_eq!(
            view.event_types,
            ["instance.upgraded", "instance.reconfigured"]
        );
        assert_eq!(view.activation, ActivationMode::Confirm);
        assert_eq!(
            view.outbound_auth.auth_type,
            OutboundAuthType::Oauth2ClientCredentials
        );
        assert_eq!(
            view.outbound_auth.client_secret,
            Some(SecretSet { set: true })
        );
        assert_eq!(view.outbound_auth.scope.as_deref(), Some("events"));
        let sso = view.sso.clone().unwrap();
        assert_eq!(
            (sso.sso_type, sso.client),
            (SsoType::Oidc, Some(OidcClient::Shared))
        );
        assert!(!serde_json::to_string(&view).unwrap().contains("s3cret"));
        let bookmark = accept_working(
            &json!({"sso": {"type": "bookmark", "url": "https://v.example/{instance_id}"}}),
            None,
        )
        .unwrap();
        let view = EventSnapshotView::new(&bookmark, BTreeMap::new());
        assert_eq!(view.outbound_auth.auth_type, OutboundAuthType::None);
        assert_eq!(
            view.sso.unwrap().url.as_deref(),
            Some("https://v.example/{instance_id}")
        );
    }
}
