//! Marketplaces (per brand, region or environment), tenants (customer segments or resellers),
//! and who sees which listing.
//!
//! Every organization has exactly one default marketplace (key `default`); tokens without a
//! `marketplace` claim and the `/api/v1/marketplace/...` routes use it. A customer belongs to at
//! most one tenant; a tenant whose `app_management` is `tenant` sees only the listings assigned
//! to it. [`visible`] is the one rule of the catalog, the partner catalog and the npm package.

use crate::certification::Tier;
use crate::error::{FieldError, FieldErrorCode, FieldErrors};
use crate::formats::is_url;
use crate::ids::{IntegrationId, MarketplaceId, TenantId};
use crate::listing::Listing;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

/// The key of every organization's first marketplace.
pub const DEFAULT_MARKETPLACE_KEY: &str = "default";

/// Whether `key` is a valid marketplace or tenant key (`^[a-z][a-z0-9-]{0,62}$`).
pub fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && key.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// A marketplace of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marketplace {
    /// Id (`mkt_`).
    pub id: MarketplaceId,
    /// Unique, immutable key (`^[a-z][a-z0-9-]{0,62}$`), named by tokens' `marketplace` claim.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Whether it is the organization's default marketplace (exactly one is).
    pub default: bool,
    /// Origins allowed to embed it, besides the organization's own.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The partner's or brand's front end, if any.
    #[serde(default)]
    pub front_end_url: Option<String>,
    /// A partner marketplace's tenant: its customers are that tenant's.
    #[serde(default)]
    pub tenant_id: Option<TenantId>,
    /// Listings below this tier are not deployable here (null: any tier).
    #[serde(default)]
    pub min_tier: Option<Tier>,
    /// Whether a partner registered it (with a registration token).
    #[serde(default)]
    pub partner: bool,
}

/// The fields of a marketplace a create or update body carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketplaceFields {
    /// Key (`/key`).
    pub key: String,
    /// Display name (`/name`).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Allowed embed origins (`/allowed_origins/N`).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Front end URL (`/front_end_url`).
    #[serde(default)]
    pub front_end_url: Option<String>,
    /// Minimum tier.
    #[serde(default)]
    pub min_tier: Option<Tier>,
}

impl MarketplaceFields {
    /// Every problem at once: key pattern (`/key` `format`), name required, origins as the
    /// organization's are checked, front end URL an absolute http(s) URL.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = common_errors(&self.key, &self.name);
        if let Err(origins) = crate::organization::check_origins(&self.allowed_origins) {
            errors.extend(origins);
        }
        if let Some(url) = &self.front_end_url
            && !is_url(url)
        {
            errors.push(FieldError::new(
                "/front_end_url",
                FieldErrorCode::Format,
                "the front end URL must be an absolute http(s) URL",
            ));
        }
        FieldErrors(errors).into_result(())
    }
}

/// The problems of a marketplace's or tenant's key and name.
fn common_errors(key: &str, name: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !is_valid_key(key) {
        errors.push(FieldError::new(
            "/key",
            FieldErrorCode::Format,
            "a key is a lower-case letter then up to 62 lower-case letters, digits or hyphens",
        ));
    }
    if name.trim().is_empty() {
        errors.push(FieldError::new(
            "/name",
            FieldErrorCode::Required,
            "the name must not be empty",
        ));
    }
    errors
}

/// How a tenant's customers see a marketplace's listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppManagement {
    /// Every listing of the marketplace.
    #[default]
    All,
    /// Only the listings assigned to the tenant.
    Tenant,
}

impl AppManagement {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Tenant => "tenant",
        }
    }

    /// The value with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "all" => Some(Self::All),
            "tenant" => Some(Self::Tenant),
            _ => None,
        }
    }
}

/// A tenant: a customer segment or a reseller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Id (`ten_`).
    pub id: TenantId,
    /// Unique key, named by tokens' `tenant` claim.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Which listings its customers see.
    #[serde(default)]
    pub app_management: AppManagement,
}

/// The fields of a tenant a create or update body carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantFields {
    /// Key (`/key`).
    pub key: String,
    /// Display name (`/name`).
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Which listings its customers see.
    #[serde(default)]
    pub app_management: AppManagement,
}

impl TenantFields {
    /// Every problem at once: key pattern (`/key` `format`), name required.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        FieldErrors(common_errors(&self.key, &self.name)).into_result(())
    }
}

/// Whether a listing is shown: `visible` everywhere, `hidden_from_external_search` out of the
/// partner catalog only, `delisted` nowhere (its instances keep running).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingVisibility {
    /// Shown everywhere.
    #[default]
    Visible,
    /// Shown in the embedded catalog, not in the partner catalog (external search).
    HiddenFromExternalSearch,
    /// Shown nowhere.
    Delisted,
}

impl ListingVisibility {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visible => "visible",
            Self::HiddenFromExternalSearch => "hidden_from_external_search",
            Self::Delisted => "delisted",
        }
    }

    /// The value with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "visible" => Some(Self::Visible),
            "hidden_from_external_search" => Some(Self::HiddenFromExternalSearch),
            "delisted" => Some(Self::Delisted),
            _ => None,
        }
    }
}

/// What a partner tells about a listing (the partner catalog only; never embedded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

/// A tenant as the catalog of one marketplace sees it: its rule and the integrations assigned
/// to it in that marketplace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantAccess {
    /// Which listings its customers see.
    pub app_management: AppManagement,
    /// Integrations assigned to the tenant in this marketplace.
    #[serde(default)]
    pub assigned: FxHashSet<IntegrationId>,
}

/// Whether `listing` is visible in `marketplace` to a customer of `tenant` (none: no tenant):
/// the listing is in that marketplace, not delisted, and the tenant is absent, sees `all`, or
/// was assigned the integration. Assigning never hides; unassigning never shows.
pub fn visible(
    listing: &Listing,
    marketplace: &MarketplaceId,
    tenant: Option<&TenantAccess>,
) -> bool {
    listing.marketplace_id == *marketplace
        && listing.visibility != ListingVisibility::Delisted
        && tenant.is_none_or(|t| {
            t.app_management == AppManagement::All || t.assigned.contains(&listing.integration_id)
        })
}

/// Whether `listing` appears in the partner catalog (external search) of `marketplace` for
/// `tenant`: [`visible`], and not hidden from external search.
pub fn in_external_search(
    listing: &Listing,
    marketplace: &MarketplaceId,
    tenant: Option<&TenantAccess>,
) -> bool {
    visible(listing, marketplace, tenant)
        && listing.visibility != ListingVisibility::HiddenFromExternalSearch
}
