//! Integrations and their versions: `/api/v1/integrations[/{id}[/versions[/{version}[/publish]]]]`.

use crate::certification::{IntegrationProfile, SupportedApplication};
use crate::mappings::MappingCollection;
use crate::spec::{ConfigSpec, Flow};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct IntegrationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category (lower-cased).
    pub category: String,
    /// Labels (lower-cased).
    pub labels: Vec<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// What it says of the third party it connects (certification evidence).
    #[serde(default)]
    pub profile: IntegrationProfile,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `POST /api/v1/integrations` (and of `PATCH`, where every field is optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntegrationBody {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Icon URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_url: Option<String>,
    /// The profile (replaced as a whole when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<IntegrationProfile>,
}

query! {
    /// Filters and paging of the integration list.
    pub struct IntegrationQuery {
        /// Case-insensitive substring of name or description.
        pub q: Option<String>,
        /// Exact category.
        pub category: Option<String>,
    }
    with paging
}

/// A version of an integration: its config spec and flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VersionView {
    /// The integration.
    pub integration_id: String,
    /// Semantic version.
    pub version: String,
    /// Draft or published.
    pub state: VersionState,
    /// The config spec.
    pub config: ConfigSpec,
    /// The flows.
    pub flows: Vec<Flow>,
    /// The mapping collections.
    #[serde(default)]
    pub collections: Vec<MappingCollection>,
    /// Once published: the record types its collections use, frozen at publication.
    #[serde(default)]
    pub record_types: Vec<FrozenRecordType>,
    /// Supported application versions (editable after publication with `PUT
    /// .../applications`).
    #[serde(default)]
    pub applications: Vec<SupportedApplication>,
    /// Documentation (markdown: features, workflows).
    #[serde(default)]
    pub documentation: String,
    /// The `manual` flow that tests the connection to the third party.
    #[serde(default)]
    pub connection_test: Option<String>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Publication time (RFC 3339), once published.
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub published_at: Option<String>,
}

/// Body of `POST /api/v1/integrations/{id}/versions`: a new draft. The service checks the
/// spec and flows with core, reporting every problem at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionCreate {
    /// Semantic version, greater than every published one.
    pub version: String,
    /// The config spec.
    pub config: ConfigSpec,
    /// The flows (none when left out).
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// The mapping collections (none when left out), checked against the organization's record
    /// types (errors at `/collections/0/...`).
    #[serde(default)]
    pub collections: Vec<MappingCollection>,
    /// Supported application versions (errors at `/applications/0/versions/1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<SupportedApplication>,
    /// Documentation (markdown: features, workflows).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub documentation: String,
    /// The name of a `manual` flow of this version that tests the connection (else 422
    /// `/connection_test` `invalid_reference`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_test: Option<String>,
}

/// Body of `PUT /api/v1/integrations/{id}/versions/{version}`: a draft's new contents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VersionReplace {
    /// Must equal the path's version, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The config spec.
    pub config: ConfigSpec,
    /// The flows (none when left out).
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// The mapping collections (none when left out), checked against the organization's record
    /// types (errors at `/collections/0/...`).
    #[serde(default)]
    pub collections: Vec<MappingCollection>,
    /// Supported application versions (errors at `/applications/0/versions/1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applications: Vec<SupportedApplication>,
    /// Documentation (markdown: features, workflows).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub documentation: String,
    /// The name of a `manual` flow of this version that tests the connection (else 422
    /// `/connection_test` `invalid_reference`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_test: Option<String>,
}

/// A record type as a published version froze it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct FrozenRecordType {
    /// Name.
    pub name: String,
    /// What records of this type are.
    pub description: String,
    /// The schema.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub schema: Value,
}

impl From<&marketplace_core::mapping::RecordType> for FrozenRecordType {
    fn from(t: &marketplace_core::mapping::RecordType) -> Self {
        FrozenRecordType {
            name: t.name.clone(),
            description: t.description.clone(),
            schema: t.schema.clone(),
        }
    }
}

wire_enum! {
    /// The state of a version.
    pub enum VersionState {
        /// Editable; not offered to customers.
        Draft = "draft",
        /// Immutable; may be listed.
        Published = "published",
    }
}

impl From<marketplace_core::VersionState> for VersionState {
    fn from(state: marketplace_core::VersionState) -> Self {
        match state {
            marketplace_core::VersionState::Draft => Self::Draft,
            marketplace_core::VersionState::Published => Self::Published,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn integrations_as_the_service_sends_them() {
        round_trip::<Page<IntegrationView>>(json!({"items": [{"id": "int_1", "name": "Salesforce",
            "description": "Sync accounts.", "category": "crm", "labels": ["popular", "sales"],
            "icon_url": null, "profile": {"event_services": ["webhook"], "hosting": [],
            "api": {"kind": "connector", "url": "https://connectors.example/shop"}},
            "created_at": "2026-11-30T05:21:33.569Z",
            "updated_at": "2026-11-30T05:21:33.569Z"}], "next_cursor": "int_1"}));
        assert!(serde_json::from_value::<IntegrationBody>(json!({"title": "x"})).is_err());
    }

    #[test]
    fn versions_as_the_service_sends_them() {
        let version: VersionView = round_trip(
            json!({"integration_id": "int_1", "version": "1.0.0",
            "state": "published", "config": {"pages": [{"title": "Connection", "elements": [
                {"key": "instance_url", "label": "Instance URL", "required": true, "type": "url"},
                {"default": "standard", "key": "plan_tier", "label": "Plan tier",
                 "options": ["standard", "premium"], "type": "picklist", "visibility": "organization"}]}]},
            "flows": [{"deliver": {"method": "POST", "url": "instance_url"}, "name": "events", "trigger": "webhook"}],
            "collections": [{"name": "contacts", "record_type": "contact", "direction": "to", "notes": "",
                "mappings": [{"kind": "field", "to": "/email", "from": "/Email"}], "tests": []}],
            "record_types": [{"name": "contact", "description": "", "schema": {"type": "object"}}],
            "applications": [{"application_id": "app_1", "versions": ["2024.1"]}],
            "documentation": "# Contacts", "connection_test": null,
            "created_at": "2026-11-30T05:21:33.569Z", "published_at": "2026-11-30T05:21:33.6Z"}),
        );
        assert_eq!(version.state, VersionState::Published);
        assert_eq!(version.applications[0].application_id, "app_1");
        let draft: VersionCreate = serde_json::from_value(json!({"version": "1.1.0",
            "config": {"pages": []}}))
        .unwrap();
        assert!(draft.flows.is_empty());
        assert!(
            serde_json::from_value::<VersionCreate>(json!({"version": "1.1.0",
            "config": {"pages": []}, "notes": ""}))
            .is_err()
        );
    }

    #[test]
    fn version_states_are_open() {
        open_enum(VersionState::KNOWN, VersionState::Other("archived".into()));
        assert_eq!(
            VersionState::from(marketplace_core::VersionState::Draft).as_str(),
            "draft"
        );
    }
}
