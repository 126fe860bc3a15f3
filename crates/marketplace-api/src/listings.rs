//! Listings, per (marketplace, integration): `GET /api/v1/marketplaces/{id}/listings` and
//! `GET/PUT/DELETE /api/v1/marketplaces/{id}/listings/{integration_id}`, and the same on the
//! default marketplace at `/api/v1/marketplace/listings[/{integration_id}]`.

use serde::{Deserialize, Serialize};

/// A listing: an integration's version offered in the marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ListingView {
    /// The marketplace offering it.
    pub marketplace_id: String,
    /// The listed integration.
    pub integration_id: String,
    /// The offered version.
    pub version: String,
    /// Overview (markdown).
    pub overview: String,
    /// Whether customers may activate it themselves.
    pub customer_deployable: bool,
    /// Whether a customer may hold several instances.
    pub allow_multiple_instances: bool,
    /// What partners are told about it (the partner catalog only; never embedded).
    pub partner_brief: PartnerBrief,
    /// Where it is shown.
    pub visibility: ListingVisibility,
    /// Its price (`null`: free).
    pub pricing: Option<PricingView>,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `PUT /api/v1/marketplace/listings/{integration_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ListingBody {
    /// The version to offer (it should be published; a draft is listed as not deployable).
    pub version: String,
    /// Overview (markdown; empty when left out).
    #[serde(default)]
    pub overview: String,
    /// Whether customers may activate it themselves.
    pub customer_deployable: bool,
    /// Whether a customer may hold several instances.
    pub allow_multiple_instances: bool,
    /// What partners are told about it (left out: kept as it is; empty for a new listing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner_brief: Option<PartnerBrief>,
    /// The price: `null` is free, left out keeps the listing's (free for a new listing).
    /// Amounts are decimal strings, never numbers (`"9.90"`).
    #[serde(
        default,
        deserialize_with = "crate::common::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<PricingView>))]
    pub pricing: Option<serde_json::Value>,
}

/// A listing's price (`null` where the listing is free).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PricingView {
    /// ISO 4217 code (`EUR`).
    pub currency: String,
    /// Paid once, at subscription, with exactly the currency's minor digits (`"0.00"`).
    pub up_front: String,
    /// Paid every month (`"9.90"`).
    pub monthly: String,
}

impl From<&marketplace_core::commerce::Pricing> for PricingView {
    fn from(p: &marketplace_core::commerce::Pricing) -> Self {
        Self {
            currency: p.currency.clone(),
            up_front: p.amount_text(p.up_front),
            monthly: p.amount_text(p.monthly),
        }
    }
}

/// What a partner is told about a listing (the partner catalog only; never embedded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PartnerBrief {
    /// The market it serves.
    #[serde(default)]
    pub market: String,
    /// Who buys it.
    #[serde(default)]
    pub buyer_profile: String,
    /// How it is positioned.
    #[serde(default)]
    pub positioning: String,
}

wire_enum! {
    /// Where a listing is shown.
    pub enum ListingVisibility {
        /// Everywhere.
        Visible = "visible",
        /// In the embedded catalog, not in the partner catalog (external search).
        HiddenFromExternalSearch = "hidden_from_external_search",
        /// Nowhere (its instances keep running).
        Delisted = "delisted",
    }
}

impl From<marketplace_core::marketplace::ListingVisibility> for ListingVisibility {
    fn from(v: marketplace_core::marketplace::ListingVisibility) -> Self {
        Self::from_wire(v.as_str())
    }
}

impl From<marketplace_core::marketplace::PartnerBrief> for PartnerBrief {
    fn from(b: marketplace_core::marketplace::PartnerBrief) -> Self {
        PartnerBrief {
            market: b.market,
            buyer_profile: b.buyer_profile,
            positioning: b.positioning,
        }
    }
}

impl From<PartnerBrief> for marketplace_core::marketplace::PartnerBrief {
    fn from(b: PartnerBrief) -> Self {
        marketplace_core::marketplace::PartnerBrief {
            market: b.market,
            buyer_profile: b.buyer_profile,
            positioning: b.positioning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn listings_as_the_service_sends_them() {
        let page: Page<ListingView> = round_trip(json!({"items": [{"marketplace_id": "mkt_1",
            "integration_id": "int_1", "version": "1.0.0", "overview": "## Slack",
            "customer_deployable": true, "allow_multiple_instances": true,
            "partner_brief": {"market": "EU retail", "buyer_profile": "", "positioning": ""},
            "visibility": "hidden_from_external_search", "pricing": {"currency": "JPY", "up_front": "1200", "monthly": "0"},
            "updated_at": "2026-11-30T05:21:33.806Z"}],
            "next_cursor": null}));
        assert!(page.items[0].allow_multiple_instances);
        assert_eq!(
            page.items[0].visibility,
            ListingVisibility::HiddenFromExternalSearch
        );
        let body: ListingBody = serde_json::from_value(json!({"version": "1.0.0",
            "customer_deployable": true, "allow_multiple_instances": false,
            "partner_brief": {"market": "EU retail"}}))
        .unwrap();
        assert_eq!(body.partner_brief.unwrap().market, "EU retail");
        assert!(
            serde_json::from_value::<ListingBody>(json!({"version": "1.0.0",
            "customer_deployable": true, "allow_multiple_instances": false,
            "partner_brief": {"pitch": "x"}}))
            .is_err()
        );
        let body: ListingBody = serde_json::from_value(json!({"version": "1.0.0",
            "customer_deployable": true, "allow_multiple_instances": false}))
        .unwrap();
        assert_eq!(body.overview, "");
        assert!(
            serde_json::from_value::<ListingBody>(json!({"version": "1.0.0",
            "customer_deployable": true, "allow_multiple_instances": false, "featured": true}))
            .is_err()
        );
    }
}
