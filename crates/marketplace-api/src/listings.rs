//! Marketplace listings: `GET /api/v1/marketplace/listings` and
//! `GET/PUT/DELETE /api/v1/marketplace/listings/{integration_id}`.

use serde::{Deserialize, Serialize};

/// A listing: an integration's version offered in the marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ListingView {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn listings_as_the_service_sends_them() {
        let page: Page<ListingView> = round_trip(json!({"items": [{"integration_id": "int_1",
            "version": "1.0.0", "overview": "## Slack", "customer_deployable": true,
            "allow_multiple_instances": true, "updated_at": "2026-11-30T05:21:33.806Z"}],
            "next_cursor": null}));
        assert!(page.items[0].allow_multiple_instances);
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
