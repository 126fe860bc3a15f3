//! The embedded API's own bodies (`/api/v1/embedded/...`, for customer users with a signed
//! token): the catalog, an integration's detail, validation and test runs. Its instances, logs
//! and executions are the types of [`crate::instances`] and [`crate::observability`].

use crate::certification::{Support, Tier};
use crate::common::{Deployability, FieldError};
use crate::mappings::Direction;
use crate::spec::ConfigSpec;
use serde::{Deserialize, Serialize};
use serde_json::Value;

query! {
    /// Filters and paging of the catalog (`GET /api/v1/embedded/marketplace`).
    pub struct MarketplaceQuery {
        /// Exact category.
        pub category: Option<String>,
        /// A label.
        pub label: Option<String>,
        /// Case-insensitive substring of name, description, category or a label.
        pub q: Option<String>,
        /// At least this certification tier (an unknown tier is 400 `invalid_query`).
        pub tier: Option<Tier>,
    }
    with paging
}

/// An integration's rating: the average of its reviews with one decimal, and their count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RatingView {
    /// The average rating (`"4.5"`; null without reviews).
    pub average: Option<String>,
    /// How many reviews.
    pub count: u32,
}

impl From<&marketplace_core::commerce::Rating> for RatingView {
    fn from(rating: &marketplace_core::commerce::Rating) -> Self {
        Self {
            average: rating.average.clone(),
            count: rating.count,
        }
    }
}

/// A catalog entry: a listed integration with the customer's activation state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MarketplaceEntry {
    /// The integration.
    pub integration_id: String,
    /// Name.
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
    /// The listed version's certification tier (null: not even compatible).
    #[serde(default)]
    pub tier: Option<Tier>,
    /// Its price (null: free).
    #[serde(default)]
    pub pricing: Option<crate::listings::PricingView>,
    /// Its reviews' rating.
    #[serde(default)]
    pub rating: RatingView,
    /// Whether the customer has a live (not deactivated) instance.
    pub activated: bool,
    /// How many live instances the customer has.
    pub instance_count: u32,
    /// Whether the customer may activate it, and why not.
    pub deployability: Deployability,
}

/// An integration's detail for the customer: the entry, its overview, the customer-visible spec
/// and the names of its flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MarketplaceDetail {
    /// The entry.
    #[serde(flatten)]
    pub entry: MarketplaceEntry,
    /// Overview (markdown).
    pub overview: String,
    /// The overview rendered to HTML and sanitised (safe to insert in a page).
    pub overview_html: String,
    /// The customer-visible part of the config spec ([`ConfigSpec::compile`] makes it ready
    /// for local validation).
    pub config: ConfigSpec,
    /// Names of the flows.
    pub flows: Vec<String>,
    /// The approved workflow templates of the listed version (one-click activation).
    #[serde(default)]
    pub workflow_templates: Vec<crate::templates::TemplateSummary>,
    /// What to ask the customer: `review` (a paid listing it subscribed to, not reviewed yet),
    /// `follow_up` (it came back after reviewing, no follow-up yet), or null.
    #[serde(default)]
    pub review_prompt: Option<String>,
    /// The provider of the (first) supported application.
    #[serde(default)]
    pub provider: Option<CatalogProvider>,
    /// The supported applications and their versions.
    #[serde(default)]
    pub applications: Vec<CatalogApplication>,
    /// The version's documentation (markdown: features, workflows).
    #[serde(default)]
    pub documentation: String,
    /// The documentation rendered to HTML and sanitised (safe to insert in a page).
    #[serde(default)]
    pub documentation_html: String,
    /// The version's mapping collections, shown from the `certified` tier on (empty below).
    #[serde(default)]
    pub collections: Vec<CatalogCollection>,
}

/// A provider as the catalog detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CatalogProvider {
    /// Name.
    pub name: String,
    /// Website.
    pub url: Option<String>,
    /// Logo.
    pub logo_url: Option<String>,
    /// How to reach its support.
    pub support: Support,
}

/// A supported application as the catalog detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CatalogApplication {
    /// Name.
    pub name: String,
    /// The supported version names.
    pub versions: Vec<String>,
}

/// A mapping collection as the catalog detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CatalogCollection {
    /// Name.
    pub name: String,
    /// The record type it maps.
    pub record_type: String,
    /// Which way it maps.
    pub direction: Direction,
    /// Documentation for integrators.
    pub notes: String,
}

impl From<&marketplace_core::CatalogEntry<'_>> for MarketplaceEntry {
    fn from(entry: &marketplace_core::CatalogEntry<'_>) -> Self {
        let integration = &entry.listing.integration;
        MarketplaceEntry {
            integration_id: integration.id.to_string(),
            name: integration.name.clone(),
            description: integration.description.clone(),
            category: integration.category.clone(),
            labels: integration.labels.clone(),
            icon_url: integration.icon_url.clone(),
            version: entry.listing.listing.version.to_string(),
            tier: entry.listing.tier.map(Into::into),
            pricing: entry.listing.listing.pricing.as_ref().map(Into::into),
            rating: (&entry.listing.rating).into(),
            activated: entry.activated,
            instance_count: u32::try_from(entry.instance_count).unwrap_or(u32::MAX),
            deployability: (&entry.deployability).into(),
        }
    }
}

/// The customer-independent members of a [`MarketplaceEntry`]: all but `activated`,
/// `instance_count` and `deployability`, serialised in the same order and form.
#[derive(Serialize)]
struct ListingMembers<'a> {
    integration_id: &'a str,
    name: &'a str,
    description: &'a str,
    category: &'a str,
    labels: &'a [String],
    icon_url: Option<&'a str>,
    version: &'a str,
    tier: Option<Tier>,
    pricing: Option<crate::listings::PricingView>,
    rating: RatingView,
}

/// A listing's part of every catalog entry that shows it, as JSON text: the opening brace and
/// the customer-independent members of [`MarketplaceEntry`]. Serialised once per catalog
/// snapshot, so a catalog read only writes what depends on the customer ([`write_entry`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPrefix(Box<str>);

impl EntryPrefix {
    /// The prefix of the entries of `listing`.
    pub fn new(listing: &marketplace_core::CatalogListing) -> Self {
        let integration = &listing.integration;
        let version = listing.listing.version.to_string();
        Self::of(&ListingMembers {
            integration_id: integration.id.as_str(),
            name: &integration.name,
            description: &integration.description,
            category: &integration.category,
            labels: &integration.labels,
            icon_url: integration.icon_url.as_deref(),
            version: &version,
            tier: listing.tier.map(Into::into),
            pricing: listing.listing.pricing.as_ref().map(Into::into),
            rating: (&listing.rating).into(),
        })
    }

    fn of(members: &ListingMembers<'_>) -> Self {
        let mut json = serde_json::to_string(members).expect("a listing serialises");
        json.pop(); // the closing brace: the customer's members follow
        EntryPrefix(json.into_boxed_str())
    }
}

/// Appends a catalog entry as the JSON of its [`MarketplaceEntry`]: the listing's `prefix`,
/// then the customer's members.
pub fn write_entry(
    out: &mut Vec<u8>,
    prefix: &EntryPrefix,
    entry: &marketplace_core::CatalogEntry<'_>,
) {
    write_members(
        out,
        prefix,
        entry.activated,
        u32::try_from(entry.instance_count).unwrap_or(u32::MAX),
        &(&entry.deployability).into(),
    );
}

fn write_members(
    out: &mut Vec<u8>,
    prefix: &EntryPrefix,
    activated: bool,
    instance_count: u32,
    deployability: &Deployability,
) {
    use std::io::Write;
    out.extend_from_slice(prefix.0.as_bytes());
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        r#","activated":{activated},"instance_count":{instance_count},"deployability":"#
    );
    let _ = serde_json::to_writer(&mut *out, deployability);
    out.push(b'}');
}

impl MarketplaceDetail {
    /// The detail of a catalog entry, with its overview already rendered to safe HTML.
    pub fn new(entry: &marketplace_core::CatalogEntry<'_>, overview_html: String) -> Self {
        let listed = entry.listing;
        MarketplaceDetail {
            entry: entry.into(),
            overview: listed.listing.overview.clone(),
            overview_html,
            config: (&listed.version.config.spec().customer_view()).into(),
            flows: listed
                .version
                .flows
                .iter()
                .map(|f| f.name.clone())
                .collect(),
            workflow_templates: Vec::new(),
            review_prompt: None,
            provider: None,
            applications: Vec::new(),
            documentation: String::new(),
            documentation_html: String::new(),
            collections: Vec::new(),
        }
    }
}

/// Body of `POST /api/v1/embedded/marketplace/{integration_id}/validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The values to check (an object, as the customer would submit them).
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: Value,
}

/// The verdict of a validation (not a problem: nothing failed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ValidateResult {
    /// Whether the values are valid.
    pub valid: bool,
    /// Every field error, paths relative to the config.
    pub errors: Vec<FieldError>,
}

/// Body of `POST /api/v1/embedded/instances/{id}/test`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    /// The flow to run (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The test input, what a webhook would receive (`null` when left out).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub input: Value,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::{DeployabilityStatus, Page, ReasonCode};
    use crate::test_support::round_trip;
    use marketplace_core::catalog::{Catalog, CatalogListing, CustomerContext, VendorValues};
    use serde_json::json;
    use std::sync::Arc;

    fn entry() -> Value {
        json!({"integration_id": "int_3", "name": "NetSuite", "description": "Export orders.",
            "category": "erp", "labels": ["finance"], "icon_url": "https://icons.example.com/netsuite.svg",
            "version": "1.0.0", "tier": "ready", "pricing": {"currency": "EUR", "up_front": "0.00", "monthly": "9.90"},
            "rating": {"average": "4.5", "count": 2}, "activated": false, "instance_count": 0, "deployability": {
                "status": "contact_vendor", "reasons": [{"code": "missing_default",
                "message": "this integration needs settings from the vendor before it can be activated"}]}})
    }

    #[test]
    fn the_catalog_as_the_service_sends_it() {
        let page: Page<MarketplaceEntry> =
            round_trip(json!({"items": [entry()], "next_cursor": "int_3"}));
        let deployability = &page.items[0].deployability;
        assert_eq!(deployability.status, DeployabilityStatus::ContactVendor);
        assert_eq!(deployability.reasons[0].code, ReasonCode::MissingDefault);
        assert_eq!(page.items[0].tier, Some(Tier::Ready));
        let query: MarketplaceQuery =
            serde_json::from_value(json!({"tier": "certified", "q": "net"})).unwrap();
        assert_eq!(query.tier, Some(Tier::Certified));
    }

    #[test]
    fn a_detail_as_the_service_sends_it_compiles() {
        let mut detail = entry();
        let extra = json!({"overview": "## NetSuite", "overview_html": "<h2>NetSuite</h2>\n",
            "config": {"pages": [{"title": "Accounting", "elements": [
                {"key": "account_code", "label": "Account code", "pattern": "^[A-Z]{3}-[0-9]{4}$",
                 "required": true, "type": "string"},
                {"default": 1, "key": "subsidiary", "label": "Subsidiary", "max": 999, "min": 1, "type": "integer"}]}]},
            "flows": ["events", "manual_sync"], "review_prompt": "review", "workflow_templates": [{"id": "tpl_1", "name": "EU",
            "description": "", "flows": ["events"], "connections": ["crm"]}],
            "provider": {"name": "Oracle", "url": "https://www.oracle.com", "logo_url": null,
                "support": {"email": "support@oracle.example", "url": null}},
            "applications": [{"name": "NetSuite", "versions": ["2024.1", "2024.2"]}],
            "documentation": "## Features", "documentation_html": "<h2>Features</h2>\n",
            "collections": [{"name": "orders", "record_type": "order", "direction": "to",
                "notes": "Sales orders into NetSuite"}]});
        detail
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let detail: MarketplaceDetail = round_trip(detail);
        assert_eq!(detail.applications[0].versions, ["2024.1", "2024.2"]);
        assert_eq!(detail.collections[0].direction, Direction::To);
        let spec = detail
            .config
            .compile()
            .expect("the customer's spec compiles");
        assert!(spec.variable("account_code").is_some());
    }

    #[test]
    fn bodies_and_verdicts() {
        let result: ValidateResult = round_trip(json!({"valid": false, "errors": [
            {"path": "/nope", "code": "unknown_key", "message": "no variable has this key"}]}));
        assert!(!result.valid);
        let test: TestBody = serde_json::from_value(json!({"flow": "events"})).unwrap();
        assert_eq!(test.input, Value::Null);
        assert!(serde_json::from_value::<ValidateBody>(json!({"values": {}})).is_err());
        assert!(serde_json::from_value::<TestBody>(json!({"input": 1, "dry": true})).is_err());
    }

    #[test]
    fn core_entries_convert_to_what_the_service_sends() {
        let spec = json!({"pages": [{"title": "P", "elements": [
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true},
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"]}]}]});
        let version = Arc::new(marketplace_core::IntegrationVersion {
            version: "1.2.0".parse().unwrap(),
            state: marketplace_core::VersionState::Published,
            config: marketplace_core::CompiledSpec::parse(&spec).unwrap(),
            flows: vec![],
            collections: Vec::new(),
            record_types: Vec::new(),
        });
        let integration = marketplace_core::Integration {
            id: "int_1".into(),
            name: "Orders".into(),
            description: "Sync orders".into(),
            category: "erp".into(),
            labels: vec!["sales \"EU\"".into()],
            icon_url: Some("https://icons.example.com/orders.svg".into()),
        };
        let listing = marketplace_core::Listing {
            marketplace_id: "mkt_test".into(),
            partner_brief: Default::default(),
            visibility: Default::default(),
            pricing: None,
            integration_id: "int_1".into(),
            version: "1.2.0".parse().unwrap(),
            overview: "## Orders".into(),
            customer_deployable: true,
            allow_multiple_instances: false,
        };
        let catalog = Catalog::new(vec![CatalogListing::new(
            integration,
            listing,
            version,
            None,
        )]);
        let customer = CustomerContext {
            live_instances: &[],
            vendor_values: &VendorValues::default(),
            embedded_values: None,
            marketplace: &"mkt_test".into(),
            tenant: None,
            min_tier: None,
        };
        let core = catalog.entry(customer, "int_1").unwrap();
        let wire = MarketplaceEntry::from(&core);
        assert_eq!(
            serde_json::to_value(&wire).unwrap(),
            serde_json::json!({"integration_id": "int_1", "name": wire.name, "description": wire.description,
                "category": wire.category, "labels": wire.labels, "icon_url": wire.icon_url,
                "version": "1.2.0", "tier": null, "pricing": null, "rating": {"average": null, "count": 0},
                "activated": false, "instance_count": 0,
                "deployability": {"status": "contact_vendor", "reasons": [{"code": "missing_default",
                    "message": "this integration needs settings from the vendor before it can be activated"}]}}),
            "the entry's JSON as the service sends it"
        );
        let mut written = Vec::new();
        write_entry(&mut written, &EntryPrefix::new(core.listing), &core);
        let written: Value = serde_json::from_slice(&written).expect("write_entry writes JSON");
        assert_eq!(
            written,
            serde_json::to_value(&wire).unwrap(),
            "the entry written from its prefix is the entry serialised"
        );
        let detail = MarketplaceDetail::new(&core, "<h2>Orders</h2>".into());
        let compiled = detail.config.compile().unwrap();
        let keys: Vec<&str> = compiled.variables().map(|v| v.key.as_str()).collect();
        assert_eq!(keys, ["region"], "only the customer's variables");
        assert_eq!(detail.overview, "## Orders");
    }
}
