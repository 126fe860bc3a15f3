//! Providers, applications, the evidence of a version, its tier, and certification requests.
//!
//! The catalog asks this module for the tier of each listed version ([`tiers`]) and for what the
//! detail page shows of a version ([`catalog_details`]); every write of evidence (provider,
//! application, profile, supported applications, connection test, certification decision,
//! template decision) bumps the organization's catalog version so the catalog sees it.

use crate::error::ApiResult;
use crate::service::state::AppState;
use marketplace_core::IntegrationVersion;
use marketplace_core::certification::{Provider, Tier};
use marketplace_core::mapping::Direction;
use std::collections::HashMap;

/// A listed version: (integration id, version).
pub type VersionKey = (String, String);

/// The tier of each of these versions of the organization's integrations (computed from their
/// evidence at the current time; a version absent from the answer has no tier).
pub async fn tiers(
    state: &AppState,
    organization_id: &str,
    versions: &[VersionKey],
) -> ApiResult<HashMap<VersionKey, Option<Tier>>> {
    // Filled in by the certification work: until then no version has a tier.
    let _ = (state, organization_id);
    Ok(versions.iter().map(|k| (k.clone(), None)).collect())
}

/// A supported application as the catalog detail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSummary {
    /// The application's name.
    pub name: String,
    /// The supported version names.
    pub versions: Vec<String>,
}

/// A mapping collection as the catalog detail shows it (from the certified tier on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSummary {
    /// Name.
    pub name: String,
    /// Record type.
    pub record_type: String,
    /// Direction.
    pub direction: Direction,
    /// Notes.
    pub notes: String,
}

/// What the catalog detail shows of a listed version besides its listing.
#[derive(Debug, Clone, Default)]
pub struct CatalogDetails {
    /// The provider of its (first) supported application.
    pub provider: Option<Provider>,
    /// The supported applications.
    pub applications: Vec<ApplicationSummary>,
    /// The version's documentation (markdown).
    pub documentation: String,
    /// Its collections, shown from the certified tier on (empty below).
    pub collections: Vec<CollectionSummary>,
}

/// The detail of a listed version for the catalog, given its tier.
pub async fn catalog_details(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &IntegrationVersion,
    tier: Option<Tier>,
) -> ApiResult<CatalogDetails> {
    // Filled in by the certification work.
    let _ = (state, organization_id, integration_id, version, tier);
    Ok(CatalogDetails::default())
}
