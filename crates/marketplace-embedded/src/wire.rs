//! The bodies of the embedded API, as the service sends and accepts them.
//!
//! Core types are reused where the contract is theirs: [`ConfigSpec`], [`FieldError`],
//! [`Deployability`], [`InstanceStatus`].

use marketplace_core::{
    ConfigSpec, Deployability, DeployabilityReason, FieldError, InstanceStatus,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A page of a list: `{items, next_cursor}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page, `None` on the last one.
    pub next_cursor: Option<String>,
}

/// Paging of a list (`limit` and the `cursor` of a previous page's `next_cursor`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageQuery {
    /// Page size, 1 to 200 (service default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Cursor from a previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The query's `(name, value)` pairs, for a URL.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(cursor) = &self.cursor {
            out.push(("cursor", cursor.clone()));
        }
        if let Some(limit) = self.limit {
            out.push(("limit", limit.to_string()));
        }
        out
    }
}

/// Filters and paging of the catalog (`GET /api/v1/embedded/marketplace`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogQuery {
    /// Exact category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// A label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Case-insensitive substring of name, description, category or a label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// Paging.
    #[serde(flatten)]
    pub page: PageQuery,
}

impl CatalogQuery {
    /// The query's `(name, value)` pairs, for a URL.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let filters = [
            ("category", &self.category),
            ("label", &self.label),
            ("q", &self.q),
        ];
        let mut out: Vec<(&'static str, String)> = filters
            .into_iter()
            .filter_map(|(name, value)| Some((name, value.clone()?)))
            .collect();
        out.extend(self.page.pairs());
        out
    }
}

/// A catalog entry: a listed integration with the customer's activation state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogEntry {
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
    /// Whether the customer has a live instance.
    pub activated: bool,
    /// How many live instances the customer has.
    pub instance_count: usize,
    /// Whether the customer may activate, and why not.
    pub deployability: Deployability,
}

/// An integration's detail: the entry, its overview, the customer-visible spec and its flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationDetail {
    /// The catalog entry.
    #[serde(flatten)]
    pub entry: CatalogEntry,
    /// Overview (markdown).
    pub overview: String,
    /// The overview rendered to sanitised HTML by the service.
    #[serde(default)]
    pub overview_html: String,
    /// The customer-visible part of the listed version's spec.
    pub config: ConfigSpec,
    /// Names of the flows.
    pub flows: Vec<String>,
}

/// Body of a validation: `{config}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateRequest {
    /// The values to check.
    pub config: Value,
}

/// The verdict of a validation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidateResult {
    /// Whether the values are valid.
    pub valid: bool,
    /// Every field error, paths relative to the config.
    pub errors: Vec<FieldError>,
}

/// Body of an activation: `{integration_id, name?, config}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationRequest {
    /// The listed integration.
    pub integration_id: String,
    /// Display name (default: the integration's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The customer's values.
    pub config: Map<String, Value>,
}

/// Body of a reconfiguration: `{name?, config?}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconfigureRequest {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The customer's whole part of the config; an omitted secret keeps its value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<Map<String, Value>>,
}

/// Body of a test run: `{flow?, input}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestRequest {
    /// The flow to run (default: the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<String>,
    /// The test input (what a webhook would receive).
    pub input: Value,
}

/// The webhook URL of one flow of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookUrl {
    /// The flow.
    pub flow: String,
    /// The absolute URL.
    pub url: String,
}

/// An instance: an activated integration of the customer, secrets masked as `{"set": true}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Id.
    pub id: String,
    /// Owner.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version it runs.
    pub version: String,
    /// Display name.
    pub name: String,
    /// Lifecycle state.
    pub status: InstanceStatus,
    /// The config, secrets masked.
    pub config: Map<String, Value>,
    /// One URL per webhook flow.
    pub webhook_urls: Vec<WebhookUrl>,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// One execution of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// Id.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version run.
    pub version: String,
    /// The flow.
    pub flow: String,
    /// `webhook` or `test`.
    pub trigger: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Delivery attempts made.
    pub attempts: i64,
    /// Per-step results.
    pub steps: Value,
    /// Start (RFC 3339).
    pub started_at: String,
    /// End, once finished (RFC 3339).
    pub finished_at: Option<String>,
}

/// One log line of an instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version.
    pub version: String,
    /// The instance.
    pub instance_id: String,
    /// The execution, if any.
    pub execution_id: Option<String>,
    /// `info`, `warn` or `error`.
    pub severity: String,
    /// `execution`, `delivery` or `lifecycle`.
    #[serde(rename = "type")]
    pub log_type: String,
    /// The message.
    pub message: String,
    /// When (RFC 3339).
    pub at: String,
}

/// An RFC 9457 problem, as every error of the service is answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Problem type URI.
    #[serde(rename = "type", default)]
    pub problem_type: String,
    /// Short title (the status' reason).
    #[serde(default)]
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Human-readable explanation.
    #[serde(default)]
    pub detail: String,
    /// Stable machine code.
    pub code: String,
    /// Field errors (422).
    #[serde(default)]
    pub errors: Option<Vec<FieldError>>,
    /// Deployability reasons (403, 409).
    #[serde(default)]
    pub reasons: Option<Vec<DeployabilityReason>>,
}
