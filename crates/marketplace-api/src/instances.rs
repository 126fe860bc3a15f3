//! Instances, the same for the admin API (`/api/v1/instances`, `/api/v1/customers/{id}/instances`)
//! and the embedded API (`/api/v1/embedded/instances`): views, activation, reconfiguration, upgrade.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An instance: an activated integration of a customer, secrets masked as `{"set": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct InstanceView {
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
    /// Why it failed (the vendor's message), for `failed`.
    #[serde(default)]
    pub status_message: Option<String>,
    /// The vendor's account for the customer, once the vendor confirmed the activation.
    #[serde(default)]
    pub account_identifier: Option<String>,
    /// Where the customer signs in to the vendor's product (SSO), when configured.
    #[serde(default)]
    pub launch_url: Option<String>,
    /// The instance's OAuth2 authorization-code connections and their status (none until such
    /// connections exist).
    #[serde(default)]
    pub connections: Vec<ConnectionView>,
    /// The config, secrets masked (a customer sees only customer variables).
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: Map<String, Value>,
    /// One URL per enabled webhook flow.
    pub webhook_urls: Vec<WebhookUrl>,
    /// The workflow template it was activated from (one-click), if any.
    #[serde(default)]
    pub template_id: Option<String>,
    /// The marketplace it was activated from (null: activated by the vendor, or before
    /// marketplaces).
    #[serde(default)]
    pub marketplace_id: Option<String>,
    /// The names of the flows that run (every flow of the version unless some were disabled).
    #[serde(default)]
    pub enabled_flows: Vec<String>,
    /// The mapping collections its enabled flows apply: the ones whose mappings
    /// (`.../mappings/{collection}`) it may read, preview and override.
    #[serde(default)]
    pub collections: Vec<String>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// The webhook URL of one flow of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct WebhookUrl {
    /// The flow.
    pub flow: String,
    /// The absolute, unguessable URL.
    pub url: String,
}

/// Where a customer user signs in to the vendor's product now (`POST .../launch`): a bookmark,
/// or a single-use launch link of the service's OpenID Provider (valid 60 seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct LaunchUrl {
    /// The URL to open.
    pub url: String,
}

/// An OAuth2 authorization-code connection of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConnectionView {
    /// The connection variable's key.
    pub key: String,
    /// `not_connected`, `connected`, `expired` or `error`.
    pub status: String,
    /// Scopes granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the access token expires (RFC 3339).
    #[serde(default)]
    pub expires_at: Option<String>,
    /// When it was connected (RFC 3339).
    #[serde(default)]
    pub connected_at: Option<String>,
    /// Why the provider refused, for `error`.
    #[serde(default)]
    pub error: Option<String>,
}

wire_enum! {
    /// The lifecycle state of an instance.
    pub enum InstanceStatus {
        /// Runs its flows.
        Active = "active",
        /// Paused by its owner; flows do not run.
        Paused = "paused",
        /// A required value is missing (after an upgrade); flows do not run.
        NeedsConfiguration = "needs_configuration",
        /// Deactivated for good; its webhook URLs stop working.
        Deactivated = "deactivated",
        /// Waiting for the vendor to confirm the activation; only deactivation is allowed.
        Pending = "pending",
        /// The vendor refused the activation (or never answered); see `status_message`.
        Failed = "failed",
    }
}

impl From<marketplace_core::InstanceStatus> for InstanceStatus {
    fn from(status: marketplace_core::InstanceStatus) -> Self {
        use marketplace_core::InstanceStatus as Core;
        match status {
            Core::Active => Self::Active,
            Core::Paused => Self::Paused,
            Core::NeedsConfiguration => Self::NeedsConfiguration,
            Core::Deactivated => Self::Deactivated,
            Core::Pending => Self::Pending,
            Core::Failed => Self::Failed,
        }
    }
}

/// Body of an activation (`POST /api/v1/embedded/instances`, `POST /api/v1/customers/{id}/instances`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ActivationBody {
    /// The listed integration to activate.
    pub integration_id: String,
    /// Display name (default: the integration's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Values of the variables the caller may set (none when left out).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: Map<String, Value>,
}

/// Body of a reconfiguration (`PATCH` of an instance).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReconfigureBody {
    /// New display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The caller's whole part of the config; an omitted secret (or `{"set": true}`) keeps its
    /// value. Left out: the values stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>))]
    pub config: Option<Map<String, Value>>,
    /// The flows that run from now on, by name (a disabled flow's webhook URL answers 404, and
    /// it is neither scheduled nor fed by shared webhooks). Left out: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled_flows: Option<Vec<String>>,
}

query! {
    /// Filters and paging of the admin instance list.
    pub struct InstanceQuery {
        /// Only this customer's.
        pub customer_id: Option<String>,
        /// Only this integration's.
        pub integration_id: Option<String>,
        /// Only in this status.
        pub status: Option<InstanceStatus>,
    }
    with paging
}

/// Body of `POST /api/v1/instances/{id}/upgrade`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpgradeBody {
    /// The published version to move to (up or down).
    pub version: String,
}

/// An upgraded instance and what happened to its config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UpgradeResult {
    /// The instance.
    pub instance: InstanceView,
    /// What became of each key.
    pub report: UpgradeReport,
}

/// What an upgrade did to the config, by key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UpgradeReport {
    /// Keys whose values carry over unchanged.
    pub carried_over: Vec<String>,
    /// Keys whose values are dropped (no longer in the spec, or no longer valid there).
    pub dropped: Vec<String>,
    /// Required keys of the new version with no value, no default and no vendor-set value.
    pub newly_required: Vec<String>,
    /// What became of the instance's overrides of mappings (`collection/to`).
    #[serde(default)]
    pub mappings: crate::mappings::MappingsReport,
}

impl From<marketplace_core::UpgradeReport> for UpgradeReport {
    fn from(report: marketplace_core::UpgradeReport) -> Self {
        UpgradeReport {
            carried_over: report.carried_over,
            dropped: report.dropped,
            newly_required: report.newly_required,
            mappings: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    fn instance() -> Value {
        json!({"id": "ins_1", "customer_id": "cus_1", "integration_id": "int_1", "version": "1.0.0",
            "name": "Google Sheets", "status": "paused",
            "config": {"sheet_url": "http://127.0.0.1:18080/nowhere", "token": {"set": true}},
            "webhook_urls": [{"flow": "events", "url": "http://127.0.0.1:18080/webhooks/c6qfvSBKx0M52y1u"}],
            "status_message": null, "account_identifier": "acct-42", "launch_url": null, "connections": [],
            "template_id": "tpl_1", "marketplace_id": "mkt_1", "enabled_flows": ["events"], "collections": ["contacts"],
            "created_at": "2026-11-30T05:21:56.494Z", "updated_at": "2026-11-30T05:21:56.523Z"})
    }

    #[test]
    fn instances_as_the_service_sends_them() {
        let view: InstanceView = round_trip(instance());
        assert_eq!(view.status, InstanceStatus::Paused);
        round_trip::<Page<InstanceView>>(json!({"items": [instance()], "next_cursor": "ins_1"}));
        let upgraded: UpgradeResult = round_trip(json!({"instance": instance(),
            "report": {"carried_over": ["sheet_url"], "dropped": [], "newly_required": ["tab"],
                "mappings": {"carried_over": ["contacts/email"], "dropped": []}}}));
        assert_eq!(upgraded.report.newly_required, ["tab"]);
    }

    #[test]
    fn bodies_as_clients_send_them() {
        let activation: ActivationBody =
            serde_json::from_value(json!({"integration_id": "int_1"})).unwrap();
        assert!(activation.config.is_empty());
        assert_eq!(
            serde_json::to_value(&activation).unwrap(),
            json!({"integration_id": "int_1", "config": {}})
        );
        assert_eq!(
            serde_json::to_value(ReconfigureBody::default()).unwrap(),
            json!({})
        );
        assert!(
            serde_json::from_value::<ActivationBody>(json!({"integration_id": "i", "values": {}}))
                .is_err()
        );
        assert!(serde_json::from_value::<ReconfigureBody>(json!({"status": "paused"})).is_err());
        assert!(
            serde_json::from_value::<UpgradeBody>(json!({"version": "2.0.0", "force": true}))
                .is_err()
        );
    }

    #[test]
    fn statuses_are_open_and_match_core() {
        open_enum(
            InstanceStatus::KNOWN,
            InstanceStatus::Other("hibernating".into()),
        );
        for status in [
            marketplace_core::InstanceStatus::Active,
            marketplace_core::InstanceStatus::NeedsConfiguration,
        ] {
            assert_eq!(InstanceStatus::from(status).as_str(), status.as_str());
        }
        let core = marketplace_core::UpgradeReport {
            carried_over: vec!["a".into()],
            dropped: vec!["b".into()],
            newly_required: vec![],
        };
        let mut expected = serde_json::to_value(core.clone()).unwrap();
        expected["mappings"] = json!({"carried_over": [], "dropped": []});
        assert_eq!(
            serde_json::to_value(UpgradeReport::from(core)).unwrap(),
            expected
        );
    }
}
