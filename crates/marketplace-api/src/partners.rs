//! Partners: a marketplace's client credentials (`/api/v1/marketplaces/{id}/credentials`),
//! registration tokens (`POST /api/v1/marketplace-registrations`), the registration of a partner
//! marketplace (`POST /api/v1/marketplaces/register`) and the partner API (`/api/v1/partner/...`,
//! `Authorization: Basic base64(client_id:client_secret)`).

use crate::marketplaces::MarketplaceView;
use serde::{Deserialize, Serialize};

/// Client credentials of a marketplace, without the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CredentialView {
    /// Client id (`mkc_`).
    pub client_id: String,
    /// Last successful use (RFC 3339), `null` before the first.
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub last_used_at: Option<String>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// New client credentials with their secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewCredential {
    /// The credentials.
    #[serde(flatten)]
    pub credential: CredentialView,
    /// The secret: `Authorization: Basic base64(client_id:client_secret)`; not shown again.
    pub client_secret: String,
}

/// Body of `POST /api/v1/marketplace-registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RegistrationCreate {
    /// The tenant the partner's marketplace will serve.
    pub tenant_id: String,
    /// Lifetime of the token in seconds (default 86400, at most 604800).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_s: Option<u64>,
}

/// A registration token, shown once; single use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewRegistration {
    /// Id (`reg_`).
    pub id: String,
    /// The token: `Authorization: Bearer <token>` on `POST /api/v1/marketplaces/register`.
    pub token: String,
    /// Expiry (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub expires_at: String,
}

/// Body of `POST /api/v1/marketplaces/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketplaceRegister {
    /// Key (`^[a-z][a-z0-9-]{0,62}$`), unique in the organization, immutable.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The partner's front end.
    pub front_end_url: String,
    /// Origins allowed to embed this marketplace.
    pub allowed_origins: Vec<String>,
}

/// Answer of `POST /api/v1/marketplaces/register`: the marketplace and its first credentials
/// (the secret is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RegisteredMarketplace {
    /// The new partner marketplace.
    pub marketplace: MarketplaceView,
    /// Client id (`mkc_`).
    pub client_id: String,
    /// Client secret, not shown again.
    pub client_secret: String,
}

/// Body of `PATCH /api/v1/partner/marketplace`: every field optional; `key` may only repeat the
/// current one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerMarketplacePatch {
    /// Key (immutable: another value is 422 `/key` `immutable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The partner's front end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_end_url: Option<String>,
    /// Origins allowed to embed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
}

/// Body of `POST /api/v1/partner/workflow-templates`: a template of a version listed in the
/// partner's marketplace (the rules of `POST .../versions/{version}/workflow-templates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerTemplateCreate {
    /// The integration.
    pub integration_id: String,
    /// The version listed in the partner's marketplace.
    pub version: String,
    /// Display name.
    pub name: String,
    /// What it sets up.
    #[serde(default)]
    pub description: String,
    /// Values as the organization sets them (no secret or connection values).
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: serde_json::Map<String, serde_json::Value>,
    /// The flows it enables: a non-empty subset of the version's flows.
    pub flows: Vec<String>,
    /// Mapping overrides per collection name.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, Vec<serde_json::Value>>))]
    pub overrides: serde_json::Map<String, serde_json::Value>,
}

query! {
    /// Filters of the partner catalog (the external search).
    pub struct PartnerCatalogQuery {
        /// Case-insensitive substring of name, description, category or a label.
        pub q: Option<String>,
        /// Exact category.
        pub category: Option<String>,
        /// At least this certification tier (an unknown tier is 400 `invalid_query`).
        pub tier: Option<crate::certification::Tier>,
    }
}

/// What a partner tells about a listing (never shown in the embedded catalog).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PartnerBriefView {
    /// The market it serves.
    pub market: String,
    /// Who buys it.
    pub buyer_profile: String,
    /// How it is positioned.
    pub positioning: String,
}

/// An entry of the partner catalog: no customer fields (activation, instances, deployability).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PartnerCatalogEntry {
    /// The integration.
    pub integration_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// The listed version.
    pub version: String,
    /// The listed version's certification tier (null: not even compatible).
    pub tier: Option<crate::certification::Tier>,
    /// The partner brief.
    pub partner_brief: PartnerBriefView,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn partner_bodies_as_the_service_sends_them() {
        let created: NewCredential = round_trip(json!({"client_id": "mkc_1",
            "last_used_at": null, "created_at": "2026-11-30T05:21:46.539Z",
            "client_secret": "mcs_abc"}));
        assert_eq!(created.credential.client_id, "mkc_1");
        let registered: RegisteredMarketplace = round_trip(json!({"marketplace": {
            "id": "mkt_2", "key": "acme", "name": "Acme", "description": "", "default": false,
            "allowed_origins": ["https://acme.example"], "front_end_url": "https://acme.example",
            "tenant_id": "ten_1", "min_tier": null, "partner": true,
            "created_at": "2026-11-30T05:21:46.539Z", "updated_at": "2026-11-30T05:21:46.539Z"},
            "client_id": "mkc_2", "client_secret": "mcs_x"}));
        assert!(registered.marketplace.partner);
        let registration: NewRegistration = round_trip(json!({"id": "reg_1", "token": "mrt_x",
            "expires_at": "2026-12-01T05:21:46.539Z"}));
        assert_eq!(registration.id, "reg_1");
        assert!(serde_json::from_value::<RegistrationCreate>(json!({"tenant": "ten_1"})).is_err());
        let patch: PartnerMarketplacePatch =
            serde_json::from_value(json!({"name": "Acme EU"})).unwrap();
        assert_eq!(patch.allowed_origins, None);
    }
}
