//! Workflow templates: `POST/GET /api/v1/integrations/{id}/versions/{version}/workflow-templates`,
//! `GET/DELETE /api/v1/workflow-templates/{id}`, `POST /api/v1/workflow-templates/{id}/decision`;
//! the embedded detail's approved templates and the one-click activation body of
//! `POST /api/v1/embedded/instances`.

use crate::instances::ActivationBody;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Body of `POST .../versions/{version}/workflow-templates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TemplateCreate {
    /// Display name.
    pub name: String,
    /// What it sets up.
    #[serde(default)]
    pub description: String,
    /// Values as the organization sets them: no secret or connection values, and (defaults
    /// counting) every required variable but connections and `embedded` ones.
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: Map<String, Value>,
    /// The flows it enables: a non-empty subset of the version's flows.
    pub flows: Vec<String>,
    /// Mapping overrides per collection name: `{"contacts": [mapping, ...]}`.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, Vec<serde_json::Value>>))]
    pub overrides: Map<String, Value>,
}

wire_enum! {
    /// The review state of a template.
    pub enum TemplateStatus {
        /// Submitted, not yet decided.
        Pending = "pending",
        /// Approved: customers see it and activate it in one click.
        Approved = "approved",
        /// Rejected; the decision's notes say why.
        Rejected = "rejected",
    }
}

wire_enum! {
    /// Who submitted a template.
    pub enum SubmitterKind {
        /// The organization, with an API key (`id` is the key's id).
        Organization = "organization",
        /// A partner of the marketplace (`id` is the partner's id).
        Partner = "partner",
    }
}

wire_enum! {
    /// A reviewer's verdict.
    pub enum Verdict {
        /// Approve.
        Approve = "approve",
        /// Reject (notes required).
        Reject = "reject",
    }
}

/// Who submitted a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SubmittedBy {
    /// Organization or partner.
    pub kind: SubmitterKind,
    /// The API key id, or the partner id.
    pub id: String,
}

/// The decision on a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TemplateDecisionView {
    /// The verdict.
    pub decision: Verdict,
    /// Why.
    pub notes: String,
    /// The deciding API key's id.
    pub decided_by: String,
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub decided_at: String,
}

/// A workflow template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TemplateView {
    /// Id (`tpl_...`).
    pub id: String,
    /// The integration.
    pub integration_id: String,
    /// The published version it sets up.
    pub version: String,
    /// Display name.
    pub name: String,
    /// What it sets up.
    pub description: String,
    /// Its values (never a secret).
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub config: Map<String, Value>,
    /// The flows it enables.
    pub flows: Vec<String>,
    /// Mapping overrides per collection name.
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, Vec<serde_json::Value>>))]
    pub overrides: Map<String, Value>,
    /// Review state.
    pub status: TemplateStatus,
    /// Who submitted it.
    pub submitted_by: SubmittedBy,
    /// The decision, once decided.
    pub decision: Option<TemplateDecisionView>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `POST /api/v1/workflow-templates/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// Approve or reject.
    pub decision: Verdict,
    /// Why (required to reject).
    #[serde(default)]
    pub notes: String,
}

/// An approved template of the listed version, as the embedded detail shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TemplateSummary {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What it sets up.
    pub description: String,
    /// The flows it enables.
    pub flows: Vec<String>,
    /// The connection variables the customer fills in to activate it in one click.
    pub connections: Vec<String>,
}

/// Body of a one-click activation (`POST /api/v1/embedded/instances` with `template_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OneClickBody {
    /// The listed integration.
    pub integration_id: String,
    /// An approved template of the listed version.
    pub template_id: String,
    /// Display name (default: the integration's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Values of the template's connections (its `connections` keys), none other.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub connections: Map<String, Value>,
}

/// Body of `POST /api/v1/embedded/instances`: a one-click activation (with `template_id`) or an
/// activation with a config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(untagged)]
pub enum EmbeddedActivationBody {
    /// From an approved workflow template.
    OneClick(OneClickBody),
    /// With the customer's config.
    Config(ActivationBody),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    fn template() -> Value {
        json!({"id": "tpl_1", "integration_id": "int_1", "version": "1.0.0", "name": "EU shop",
            "description": "", "config": {"region": "eu"}, "flows": ["orders"],
            "overrides": {"contacts": [{"kind": "static", "to": "/source", "value": "eu"}]},
            "status": "rejected", "submitted_by": {"kind": "organization", "id": "key_1"},
            "decision": {"decision": "reject", "notes": "too broad", "decided_by": "key_2",
                "decided_at": "2026-11-30T05:21:56.494Z"},
            "created_at": "2026-11-30T05:21:56.494Z", "updated_at": "2026-11-30T05:21:56.523Z"})
    }

    #[test]
    fn templates_as_the_service_sends_them() {
        let view: TemplateView = round_trip(template());
        assert_eq!(view.status, TemplateStatus::Rejected);
        assert_eq!(view.submitted_by.kind, SubmitterKind::Organization);
        round_trip::<Page<TemplateView>>(json!({"items": [template()], "next_cursor": null}));
        let summary: TemplateSummary = round_trip(json!({"id": "tpl_1", "name": "EU shop",
            "description": "", "flows": ["orders"], "connections": ["crm"]}));
        assert_eq!(summary.connections, ["crm"]);
    }

    #[test]
    fn bodies_as_clients_send_them() {
        let create: TemplateCreate =
            serde_json::from_value(json!({"name": "EU", "config": {}, "flows": ["orders"]}))
                .unwrap();
        assert!(create.overrides.is_empty());
        assert!(
            serde_json::from_value::<TemplateCreate>(
                json!({"name": "EU", "config": {}, "flows": [], "status": "approved"})
            )
            .is_err()
        );
        let decision: DecisionBody =
            serde_json::from_value(json!({"decision": "approve"})).unwrap();
        assert_eq!(decision.decision, Verdict::Approve);
        let one_click: EmbeddedActivationBody = serde_json::from_value(
            json!({"integration_id": "int_1", "template_id": "tpl_1", "connections": {}}),
        )
        .unwrap();
        assert!(matches!(one_click, EmbeddedActivationBody::OneClick(_)));
        let plain: EmbeddedActivationBody =
            serde_json::from_value(json!({"integration_id": "int_1", "config": {}})).unwrap();
        assert!(matches!(plain, EmbeddedActivationBody::Config(_)));
    }

    #[test]
    fn enumerations_are_open() {
        open_enum(
            TemplateStatus::KNOWN,
            TemplateStatus::Other("archived".into()),
        );
        open_enum(
            SubmitterKind::KNOWN,
            SubmitterKind::Other("customer".into()),
        );
        open_enum(Verdict::KNOWN, Verdict::Other("defer".into()));
    }
}
