//! The catalog a customer browses: listings filtered and ordered, each with its activation state
//! and deployability.

use crate::deployability::{Deployability, DeployabilityInput, deployability};
use crate::ids::IntegrationId;
use crate::instance::{Instance, InstanceStatus};
use crate::integration::{Integration, IntegrationVersion};
use crate::listing::Listing;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// One listed integration with its listed version.
#[derive(Debug, Clone, Copy)]
pub struct CatalogItem<'a> {
    /// The integration.
    pub integration: &'a Integration,
    /// Its listing.
    pub listing: &'a Listing,
    /// The listed version.
    pub version: &'a IntegrationVersion,
}

/// Everything the query needs, for one customer.
#[derive(Debug, Clone, Copy)]
pub struct CatalogInput<'a> {
    /// Every listed integration.
    pub items: &'a [CatalogItem<'a>],
    /// The customer's instances (any status).
    pub instances: &'a [Instance],
    /// Vendor-set values for this customer, by integration.
    pub vendor_values: &'a HashMap<IntegrationId, Map<String, Value>>,
    /// Values of embedded variables from the host's token.
    pub embedded_values: Option<&'a Map<String, Value>>,
}

/// Filters of the catalog (`?category=&label=&q=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFilter {
    /// Exact category (case-insensitive: integrations store it lower-cased).
    pub category: Option<String>,
    /// A label the integration carries (case-insensitive: labels are stored lower-cased).
    pub label: Option<String>,
    /// Case-insensitive substring of name, description, category or a label.
    pub q: Option<String>,
}

/// A catalog entry, as the embedded marketplace returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The integration.
    pub integration_id: IntegrationId,
    /// Display name.
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
    /// Whether the customer holds a live (not deactivated) instance.
    pub activated: bool,
    /// How many live instances the customer holds.
    pub instance_count: usize,
    /// Whether the customer may activate it (vendor-only details removed).
    pub deployability: Deployability,
}

/// The customer's catalog: matching entries ordered by name (case-insensitive), then id.
pub fn query_catalog(input: CatalogInput<'_>, filter: &CatalogFilter) -> Vec<CatalogEntry> {
    let mut live: HashMap<&IntegrationId, usize> = HashMap::new();
    for instance in input
        .instances
        .iter()
        .filter(|i| i.status != InstanceStatus::Deactivated)
    {
        *live.entry(&instance.integration_id).or_default() += 1;
    }
    let category = filter.category.as_deref().map(str::to_lowercase);
    let label = filter.label.as_deref().map(|l| l.trim().to_lowercase());
    let q = filter
        .q
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let mut matching: Vec<(String, &CatalogItem<'_>)> = input
        .items
        .iter()
        .filter(|item| {
            let i = item.integration;
            category.as_ref().is_none_or(|c| i.category == *c)
                && label
                    .as_ref()
                    .is_none_or(|l| i.labels.iter().any(|x| x == l))
                && q.as_ref().is_none_or(|q| {
                    crate::customer::contains_ci(&i.name, q)
                        || crate::customer::contains_ci(&i.description, q)
                        || i.category.contains(q.as_str())
                        || i.labels.iter().any(|l| l.contains(q.as_str()))
                })
        })
        .map(|item| (item.integration.name.to_lowercase(), item))
        .collect();
    matching.sort_by(|(a_name, a), (b_name, b)| {
        a_name
            .cmp(b_name)
            .then_with(|| a.integration.id.cmp(&b.integration.id))
    });
    matching
        .into_iter()
        .map(|(_, item)| {
            let count = live.get(&item.integration.id).copied().unwrap_or(0);
            let d = deployability(DeployabilityInput {
                listing: item.listing,
                version: item.version,
                live_instances: count,
                vendor_values: input.vendor_values.get(&item.integration.id),
                embedded_values: input.embedded_values,
            });
            let i = item.integration;
            CatalogEntry {
                integration_id: i.id.clone(),
                name: i.name.clone(),
                description: i.description.clone(),
                category: i.category.clone(),
                labels: i.labels.clone(),
                icon_url: i.icon_url.clone(),
                version: item.listing.version.to_string(),
                activated: count > 0,
                instance_count: count,
                deployability: d.for_customer(),
            }
        })
        .collect()
}
