//! Marketplace listings: which integration a marketplace offers, which published version, and
//! how it is offered.

use crate::ids::{IntegrationId, MarketplaceId};
use crate::marketplace::{ListingVisibility, PartnerBrief};
use semver::Version;
use serde::{Deserialize, Serialize};

/// An integration offered in one marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// The marketplace offering it.
    pub marketplace_id: MarketplaceId,
    /// The listed integration.
    pub integration_id: IntegrationId,
    /// The offered version.
    pub version: Version,
    /// Overview shown on the detail page (markdown).
    #[serde(default)]
    pub overview: String,
    /// Whether customers may activate it themselves.
    pub customer_deployable: bool,
    /// Whether a customer may hold several instances of it.
    pub allow_multiple_instances: bool,
    /// What partners are told about it (partner catalog only).
    #[serde(default)]
    pub partner_brief: PartnerBrief,
    /// Whether it is shown (commerce's scoring may hide or delist it).
    #[serde(default)]
    pub visibility: ListingVisibility,
    /// Its price (`None`: free).
    #[serde(default)]
    pub pricing: Option<crate::commerce::Pricing>,
}
