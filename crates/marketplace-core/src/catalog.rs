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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::CompiledSpec;
    use crate::deployability::DeployabilityStatus;
    use crate::instance::{Instance, InstanceStatus};
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

    fn instance(integration: &str, status: InstanceStatus) -> Instance {
        Instance {
            id: format!("in-{integration}").into(),
            customer_id: "c1".into(),
            integration_id: integration.into(),
            version: semver::Version::new(1, 0, 0),
            name: integration.into(),
            status,
            config: Map::new(),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn filters_orders_and_marks_entries() {
        let version = IntegrationVersion {
            version: semver::Version::new(1, 0, 0),
            state: VersionState::Published,
            config: CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
                {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true}]}]}))
            .unwrap(),
            flows: vec![],
        };
        let integrations = [
            integration("b", "zendesk", "support", &["tickets"]),
            integration("a", "Salesforce", "crm", &["sales"]),
            integration("c", "salesforce", "crm", &[]),
            integration("d", "HubSpot", "crm", &["sales", "marketing"]),
        ];
        let listings: Vec<Listing> = integrations
            .iter()
            .map(|i| Listing {
                integration_id: i.id.clone(),
                version: semver::Version::new(1, 0, 0),
                overview: String::new(),
                customer_deployable: true,
                allow_multiple_instances: i.id.as_str() == "d",
            })
            .collect();
        let items: Vec<CatalogItem<'_>> = integrations
            .iter()
            .zip(&listings)
            .map(|(integration, listing)| CatalogItem {
                integration,
                listing,
                version: &version,
            })
            .collect();
        let instances = [
            instance("a", InstanceStatus::Active),
            instance("d", InstanceStatus::Paused),
            instance("d", InstanceStatus::Active),
            instance("b", InstanceStatus::Deactivated),
        ];
        let mut vendor_values = HashMap::new();
        for id in ["a", "b", "d"] {
            vendor_values.insert(
                IntegrationId::from(id),
                json!({"plan": "gold"}).as_object().unwrap().clone(),
            );
        }
        let input = CatalogInput {
            items: &items,
            instances: &instances,
            vendor_values: &vendor_values,
            embedded_values: None,
        };

        let all = query_catalog(input, &CatalogFilter::default());
        let summary: Vec<(&str, bool, usize, DeployabilityStatus)> = all
            .iter()
            .map(|e| {
                (
                    e.integration_id.as_str(),
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

        let ids = |filter: CatalogFilter| -> Vec<String> {
            query_catalog(input, &filter)
                .into_iter()
                .map(|e| e.integration_id.0)
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
    }
}
