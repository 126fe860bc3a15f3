//! Marketplace listings: which integration, which published version, and how it is offered.

use crate::ids::IntegrationId;
use semver::Version;
use serde::{Deserialize, Serialize};

/// An integration offered in the marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
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
}
