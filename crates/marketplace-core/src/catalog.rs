//! The catalog a customer browses: an organization's listings, sorted once, queried per customer
//! with filters, each entry with its activation state and deployability.

use crate::certification::Tier;
use crate::deployability::{Deployability, DeployabilityInput, deployability};
use crate::ids::{IntegrationId, MarketplaceId};
use crate::integration::{Integration, IntegrationVersion};
use crate::listing::Listing;
use crate::marketplace::{TenantAccess, visible};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;

/// Vendor-set values of one customer, by integration.
pub type VendorValues = FxHashMap<IntegrationId, Map<String, Value>>;

/// One listed integration with its listing and listed version.
#[derive(Debug, Clone)]
pub struct CatalogListing {
    /// The integration.
    pub integration: Integration,
    /// Its listing.
    pub listing: Listing,
    /// The listed version.
    pub version: Arc<IntegrationVersion>,
    /// The listed version's certification tier (null: below compatible).
    pub tier: Option<Tier>,
    /// Its reviews' rating.
    pub rating: crate::commerce::Rating,
    name_key: String,
    description_key: String,
}

impl CatalogListing {
    /// A listed integration whose listed version has that tier.
    pub fn new(
        integration: Integration,
        listing: Listing,
        version: Arc<IntegrationVersion>,
        tier: Option<Tier>,
    ) -> Self {
        let name_key = integration.name.to_lowercase();
        let description_key = integration.description.to_lowercase();
        CatalogListing {
            integration,
            listing,
            version,
            tier,
            rating: crate::commerce::Rating::default(),
            name_key,
            description_key,
        }
    }

    /// The same listing with its reviews' rating.
    pub fn with_rating(mut self, rating: crate::commerce::Rating) -> Self {
        self.rating = rating;
        self
    }

    /// Whether it matches a catalog filter's category, label, text and tier (visibility aside).
    pub fn matches(
        &self,
        category: Option<&str>,
        label: Option<&str>,
        q: Option<&str>,
        tier: Option<Tier>,
    ) -> bool {
        let i = &self.integration;
        tier.is_none_or(|t| self.tier >= Some(t))
            && category.is_none_or(|c| i.category == c)
            && label.is_none_or(|l| i.labels.iter().any(|x| x == l))
            && q.is_none_or(|q| {
                self.name_key.contains(q)
                    || self.description_key.contains(q)
                    || i.category.contains(q)
                    || i.labels.iter().any(|l| l.contains(q))
            })
    }
}

/// An organization's catalog: its listings in display order (name, case-insensitive, then id).
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    listings: Vec<CatalogListing>,
    index: FxHashMap<IntegrationId, usize>,
}

impl Catalog {
    /// A catalog of these listings, sorted once for every later query.
    pub fn new(mut listings: Vec<CatalogListing>) -> Self {
        listings.sort_by(|a, b| {
            a.name_key
                .cmp(&b.name_key)
                .then_with(|| a.integration.id.cmp(&b.integration.id))
        });
        let index = listings
            .iter()
            .enumerate()
            .map(|(i, l)| (l.integration.id.clone(), i))
            .collect();
        Catalog { listings, index }
    }

    /// The listing of an integration.
    pub fn get(&self, integration_id: &str) -> Option<&CatalogListing> {
        self.index.get(integration_id).map(|&i| &self.listings[i])
    }

    /// Every listing, in display order.
    pub fn listings(&self) -> &[CatalogListing] {
        &self.listings
    }

    /// The customer's view: visible, matching entries in display order.
    pub fn query<'a>(
        &'a self,
        customer: CustomerContext<'_>,
        filter: &CatalogFilter,
    ) -> Vec<CatalogEntry<'a>> {
        let mut live: FxHashMap<&str, usize> = FxHashMap::default();
        for id in customer.live_instances {
            *live.entry(id.as_str()).or_default() += 1;
        }
        let category = filter.category.as_deref().map(|c| c.trim().to_lowercase());
        let label = filter.label.as_deref().map(|l| l.trim().to_lowercase());
        let q = filter
            .q
            .as_deref()
            .map(str::to_lowercase)
            .filter(|q| !q.is_empty());
        self.listings
            .iter()
            .filter(|l| visible(&l.listing, customer.marketplace, customer.tenant))
            .filter(|l| {
                l.matches(
                    category.as_deref(),
                    label.as_deref(),
                    q.as_deref(),
                    filter.tier,
                )
            })
            .map(|l| {
                let count = live.get(l.integration.id.as_str()).copied().unwrap_or(0);
                entry_for(l, count, customer)
            })
            .collect()
    }

    /// The customer's entry of one integration, without querying the whole catalog (`None`
    /// when not listed or not visible to the customer).
    pub fn entry<'a>(
        &'a self,
        customer: CustomerContext<'_>,
        integration_id: &str,
    ) -> Option<CatalogEntry<'a>> {
        let listing = self
            .get(integration_id)
            .filter(|l| visible(&l.listing, customer.marketplace, customer.tenant))?;
        let count = customer
            .live_instances
            .iter()
            .filter(|id| id.as_str() == integration_id)
            .count();
        Some(entry_for(listing, count, customer))
    }
}

/// A listing's entry for a customer holding `count` live instances of it.
fn entry_for<'a>(
    listing: &'a CatalogListing,
    count: usize,
    customer: CustomerContext<'_>,
) -> CatalogEntry<'a> {
    let answer = deployability(DeployabilityInput {
        listing: &listing.listing,
        version: &listing.version,
        live_instances: count,
        vendor_values: customer.vendor_values.get(&listing.integration.id),
        embedded_values: customer.embedded_values,
        tier: listing.tier,
        min_tier: customer.min_tier,
    });
    CatalogEntry {
        listing,
        activated: count > 0,
        instance_count: count,
        deployability: answer.into_customer(),
    }
}

/// What the catalog needs to know of one customer.
#[derive(Debug, Clone, Copy)]
pub struct CustomerContext<'a> {
    /// The integration of each of the customer's live instances (those whose status
    /// [`counts_as_existing`](crate::InstanceStatus::counts_as_existing)).
    pub live_instances: &'a [IntegrationId],
    /// Vendor-set values for this customer, by integration.
    pub vendor_values: &'a VendorValues,
    /// Values of embedded variables from the host's token.
    pub embedded_values: Option<&'a Map<String, Value>>,
    /// The marketplace browsed (the catalog shows only its listings).
    pub marketplace: &'a MarketplaceId,
    /// The customer's tenant as that marketplace sees it (none: no tenant).
    pub tenant: Option<&'a TenantAccess>,
    /// The marketplace's minimum tier (null: any).
    pub min_tier: Option<Tier>,
}

/// Filters of the catalog (`?category=&label=&q=&tier=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFilter {
    /// Exact category (case-insensitive: integrations store it lower-cased).
    pub category: Option<String>,
    /// A label the integration carries (case-insensitive: labels are stored lower-cased).
    pub label: Option<String>,
    /// Case-insensitive substring of name, description, category or a label.
    pub q: Option<String>,
    /// At least this certification tier.
    #[serde(default)]
    pub tier: Option<Tier>,
}

/// A catalog entry for a customer (the wire form is `marketplace-api`'s `MarketplaceEntry`).
#[derive(Debug, Clone)]
pub struct CatalogEntry<'a> {
    /// The listed integration.
    pub listing: &'a CatalogListing,
    /// Whether the customer holds a live (not deactivated) instance.
    pub activated: bool,
    /// How many live instances the customer holds.
    pub instance_count: usize,
    /// Whether the customer may activate it (vendor-only details removed).
    pub deployability: Deployability,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::CompiledSpec;
    use crate::deployability::DeployabilityStatus;
    use crate::integration::VersionState;
    use serde_json::json;

    fn integration(id: &str, name: &str, category: &str, labels: &[&str]) -> Integration {
        Integration {
            id: id.into(),
            name: name.into(),
            description: format!("{name} sync"),
            category: category.into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            icon_url: None,
        }
    }

    #[test]
    fn filters_orders_and_marks_entries() {
        let version = Arc::new(IntegrationVersion {
            version: semver::Version::new(1, 0, 0),
            state: VersionState::Published,
            config: CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
                {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true}]}]}))
            .unwrap(),
            flows: vec![],
            collections: Vec::new(),
            record_types: Vec::new(),
        });
        let integrations = [
            integration("b", "zendesk", "support", &["tickets"]),
            integration("a", "Salesforce", "crm", &["sales"]),
            integration("c", "salesforce", "crm", &[]),
            integration("d", "HubSpot", "crm", &["sales", "marketing"]),
        ];
        let catalog = Catalog::new(
            integrations
                .into_iter()
                .map(|i| {
                    let listing = Listing {
                        pricing: None,
                        marketplace_id: "mkt_test".into(),
                        partner_brief: Default::default(),
                        visibility: Default::default(),
                        integration_id: i.id.clone(),
                        version: semver::Version::new(1, 0, 0),
                        overview: String::new(),
                        customer_deployable: true,
                        allow_multiple_instances: i.id.as_str() == "d",
                    };
                    let tier = (i.id.as_str() == "b").then_some(Tier::Certified);
                    CatalogListing::new(i, listing, version.clone(), tier)
                })
                .collect(),
        );
        let live: Vec<IntegrationId> = ["a", "d", "d"]
            .into_iter()
            .map(IntegrationId::from)
            .collect();
        let mut vendor_values = VendorValues::default();
        for id in ["a", "b", "d"] {
            vendor_values.insert(
                IntegrationId::from(id),
                json!({"plan": "gold"}).as_object().unwrap().clone(),
            );
        }
        let marketplace = MarketplaceId::from("mkt_test");
        let customer = CustomerContext {
            live_instances: &live,
            vendor_values: &vendor_values,
            embedded_values: None,
            marketplace: &marketplace,
            tenant: None,
            min_tier: None,
        };

        let all = catalog.query(customer, &CatalogFilter::default());
        let summary: Vec<(&str, bool, usize, DeployabilityStatus)> = all
            .iter()
            .map(|e| {
                (
                    e.listing.integration.id.as_str(),
                    e.activated,
                    e.instance_count,
                    e.deployability.status,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("d", true, 2, DeployabilityStatus::Deployable),
                ("a", true, 1, DeployabilityStatus::NotDeployable),
                ("c", false, 0, DeployabilityStatus::ContactVendor),
                ("b", false, 0, DeployabilityStatus::Deployable),
            ]
        );
        assert!(all.iter().all(|e| {
            e.deployability
                .reasons
                .iter()
                .all(|r| r.variables.is_empty())
        }));
        assert_eq!(all[0].listing.integration.id.as_str(), "d");
        assert_eq!(all[0].listing.listing.version.to_string(), "1.0.0");
        assert!(all[0].deployability.reasons.is_empty());
        assert_eq!(catalog.get("c").unwrap().integration.name, "salesforce");
        for entry in &all {
            let one = catalog
                .entry(customer, entry.listing.integration.id.as_str())
                .unwrap();
            assert!(std::ptr::eq(one.listing, entry.listing));
            assert_eq!(
                (one.activated, one.instance_count, &one.deployability),
                (entry.activated, entry.instance_count, &entry.deployability)
            );
        }
        assert!(catalog.entry(customer, "missing").is_none());

        let ids = |filter: CatalogFilter| -> Vec<String> {
            catalog
                .query(customer, &filter)
                .into_iter()
                .map(|e| e.listing.integration.id.to_string())
                .collect()
        };
        assert_eq!(
            ids(CatalogFilter {
                category: Some("CRM".into()),
                ..Default::default()
            }),
            ["d", "a", "c"]
        );
        assert_eq!(
            ids(CatalogFilter {
                label: Some("Sales".into()),
                ..Default::default()
            }),
            ["d", "a"]
        );
        assert_eq!(
            ids(CatalogFilter {
                q: Some("SALES".into()),
                ..Default::default()
            }),
            ["d", "a", "c"]
        );
        assert_eq!(
            ids(CatalogFilter {
                q: Some("ticket".into()),
                ..Default::default()
            }),
            ["b"]
        );
        assert_eq!(
            ids(CatalogFilter {
                q: Some("nothing".into()),
                ..Default::default()
            }),
            Vec::<String>::new()
        );
        // `tier` is "at least": only `b` has one (certified).
        for (tier, expected) in [
            (Tier::Compatible, vec!["b"]),
            (Tier::Certified, vec!["b"]),
            (Tier::OneClick, vec![]),
        ] {
            let filter = CatalogFilter {
                tier: Some(tier),
                ..Default::default()
            };
            assert_eq!(ids(filter), expected, "{tier:?}");
        }

        // A tenant that sees only its assigned listings; another marketplace sees none.
        let tenant = TenantAccess {
            app_management: crate::marketplace::AppManagement::Tenant,
            assigned: [IntegrationId::from("a"), IntegrationId::from("z")]
                .into_iter()
                .collect(),
        };
        let scoped = CustomerContext {
            tenant: Some(&tenant),
            ..customer
        };
        let seen: Vec<&str> = catalog
            .query(scoped, &CatalogFilter::default())
            .iter()
            .map(|e| e.listing.integration.id.as_str())
            .collect();
        assert_eq!(seen, ["a"]);
        assert!(catalog.entry(scoped, "d").is_none());
        assert!(catalog.entry(scoped, "a").is_some());
        let elsewhere = MarketplaceId::from("mkt_other");
        let other = CustomerContext {
            marketplace: &elsewhere,
            ..customer
        };
        assert!(catalog.query(other, &CatalogFilter::default()).is_empty());

        // Below the marketplace's minimum tier: not deployable, with the reason.
        let strict = CustomerContext {
            min_tier: Some(Tier::Ready),
            ..customer
        };
        let d = catalog.entry(strict, "d").unwrap();
        assert_eq!(d.deployability.status, DeployabilityStatus::NotDeployable);
        assert!(
            d.deployability
                .reasons
                .iter()
                .any(|r| r.code == crate::deployability::ReasonCode::TierBelowMinimum)
        );
        let b = catalog.entry(strict, "b").unwrap();
        assert_eq!(b.deployability.status, DeployabilityStatus::Deployable);
    }
}
