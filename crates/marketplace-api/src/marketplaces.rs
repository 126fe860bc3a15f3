//! Marketplaces: `POST/GET /api/v1/marketplaces`, `GET/PATCH/DELETE /api/v1/marketplaces/{id}`,
//! and the body of a publication that also lists the version in marketplaces
//! (`POST /api/v1/integrations/{id}/versions/{version}/publish`). Their listings are
//! [`crate::listings`]' types, at `/api/v1/marketplaces/{id}/listings`.

use crate::certification::Tier;
use serde::{Deserialize, Deserializer, Serialize};

/// A marketplace (per brand, region or environment); exactly one is the organization's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MarketplaceView {
    /// Id (`mkt_...`).
    pub id: String,
    /// Unique, immutable key (`^[a-z][a-z0-9-]{0,62}$`), named by tokens' `marketplace` claim.
    pub key: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Whether it is the organization's default marketplace.
    pub default: bool,
    /// Origins allowed to embed it and call the embedded API with its tokens, besides the
    /// organization's.
    pub allowed_origins: Vec<String>,
    /// The brand's or partner's front end.
    pub front_end_url: Option<String>,
    /// A partner marketplace's tenant (its customers are that tenant's).
    pub tenant_id: Option<String>,
    /// Listings below this tier are not deployable here (null: any tier).
    pub min_tier: Option<Tier>,
    /// Whether a partner registered it.
    pub partner: bool,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `POST /api/v1/marketplaces`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketplaceBody {
    /// Key (`^[a-z][a-z0-9-]{0,62}$`), unique and immutable.
    pub key: String,
    /// Name.
    pub name: String,
    /// Description (empty when left out).
    #[serde(default)]
    pub description: String,
    /// Allowed origins besides the organization's (`https://brand.example.com`).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Front end URL (absolute http or https).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_end_url: Option<String>,
    /// Minimum tier (left out: any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_tier: Option<Tier>,
}

/// Body of `PATCH /api/v1/marketplaces/{id}`: any subset of the fields; `default: true` makes it
/// the default (the former default stops being one); `null` clears `front_end_url` and
/// `min_tier`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MarketplacePatch {
    /// The key: immutable, only its current value is accepted (else 422 `/key` `immutable`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Allowed origins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Front end URL (`null` clears it).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub front_end_url: Option<Option<String>>,
    /// Minimum tier (`null`: any).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<Tier>))]
    pub min_tier: Option<Option<Tier>>,
    /// `true` makes it the organization's default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

/// Body of `POST /api/v1/integrations/{id}/versions/{version}/publish` (optional): the keys of
/// the marketplaces whose listings of the integration point at the version once published (new
/// listings are not customer-deployable and single-instance).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    /// Marketplace keys (an unknown one is 422 `/marketplaces/N` `invalid_reference`, and
    /// nothing is published).
    #[serde(default)]
    pub marketplaces: Vec<String>,
}

/// A present field is `Some`, even when it is `null` (which then clears the value).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn marketplaces_as_the_service_sends_them() {
        let page: Page<MarketplaceView> = round_trip(json!({"items": [
            {"id": "mkt_1", "key": "default", "name": "Acme", "description": "", "default": true,
             "allowed_origins": [], "front_end_url": null, "tenant_id": null, "min_tier": null,
             "partner": false, "created_at": "2026-11-30T05:21:33.497Z",
             "updated_at": "2026-11-30T05:21:33.497Z"},
            {"id": "mkt_2", "key": "partners-eu", "name": "Partners EU", "description": "Resellers",
             "default": false, "allowed_origins": ["https://eu.partner.example"],
             "front_end_url": "https://eu.partner.example/apps", "tenant_id": "ten_1",
             "min_tier": "certified", "partner": true, "created_at": "2026-11-30T05:21:33.497Z",
             "updated_at": "2026-11-30T05:21:34.001Z"}], "next_cursor": null}));
        assert_eq!(page.items[1].min_tier, Some(Tier::Certified));
        assert!(page.items[0].default);
    }

    #[test]
    fn bodies_refuse_unknown_fields_and_patches_tell_null_from_absent() {
        let body: MarketplaceBody =
            serde_json::from_value(json!({"key": "brand-b", "name": "Brand B"})).unwrap();
        assert_eq!((body.description.as_str(), body.min_tier), ("", None));
        assert!(
            serde_json::from_value::<MarketplaceBody>(
                json!({"key": "b", "name": "B", "tenant_id": "ten_1"})
            )
            .is_err()
        );
        let patch: MarketplacePatch =
            serde_json::from_value(json!({"min_tier": null, "default": true})).unwrap();
        assert_eq!(patch.min_tier, Some(None), "null clears");
        assert_eq!(patch.front_end_url, None, "absent keeps");
        let patch: MarketplacePatch = serde_json::from_value(json!({"min_tier": "ready"})).unwrap();
        assert_eq!(patch.min_tier, Some(Some(Tier::Ready)));
        assert!(serde_json::from_value::<MarketplacePatch>(json!({"partner": true})).is_err());
        let publish: PublishBody =
            serde_json::from_value(json!({"marketplaces": ["default", "brand-b"]})).unwrap();
        assert_eq!(publish.marketplaces.len(), 2);
        assert!(serde_json::from_value::<PublishBody>(json!({"marketplace": "b"})).is_err());
    }
}
