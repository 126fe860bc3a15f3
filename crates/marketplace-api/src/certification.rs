//! Providers, applications, an integration's profile, a version's supported applications,
//! connection tests, tiers and certification requests: `/api/v1/providers[/{id}]`,
//! `/api/v1/applications[/{id}[/versions[/{name}]]]`,
//! `/api/v1/integrations/{id}/versions/{version}/{applications,connection-test,tier,certification-requests}`,
//! `/api/v1/certification-requests[/{id}[/decision]]`.

use crate::templates::{TemplateDecisionView, TemplateStatus};
use serde::{Deserialize, Serialize};

/// How to reach a provider's support.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// Support email.
    #[serde(default)]
    pub email: Option<String>,
    /// Support page.
    #[serde(default)]
    pub url: Option<String>,
}

/// Body of `POST /api/v1/providers` (`name` required) and of `PATCH /api/v1/providers/{id}`
/// (fields left out keep their value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Home page (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Logo (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
    /// Support contacts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<Support>,
}

/// A provider: the company behind third-party applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ProviderView {
    /// Id (`prv_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Home page.
    pub url: Option<String>,
    /// Logo.
    pub logo_url: Option<String>,
    /// Support contacts.
    pub support: Support,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `POST /api/v1/applications` (`provider_id` and `name` required) and of `PATCH
/// /api/v1/applications/{id}` (fields left out keep their value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    /// Its provider (`prv_...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_id: Option<String>,
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Product page (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_url: Option<String>,
    /// Logo (absolute http(s) URL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// A released version of an application; also the body of `POST
/// /api/v1/applications/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApplicationVersionView {
    /// Name, unique per application (e.g. `2024.1`).
    pub name: String,
    /// Release date, `YYYY-MM-DD`.
    #[cfg_attr(feature = "schema", schema(format = Date))]
    pub released_on: String,
}

/// A third-party application with its released versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    /// Id (`app_...`).
    pub id: String,
    /// Its provider.
    pub provider_id: String,
    /// Name.
    pub name: String,
    /// Product page.
    pub product_url: Option<String>,
    /// Logo.
    pub logo_url: Option<String>,
    /// Released versions, by release date.
    pub versions: Vec<ApplicationVersionView>,
    /// The version with the greatest release date on or before today, if any.
    pub latest: Option<ApplicationVersionView>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

query! {
    /// Filters and paging of the application list.
    pub struct ApplicationQuery {
        /// Only this provider's.
        pub provider_id: Option<String>,
        /// Case-insensitive substring of the name.
        pub q: Option<String>,
    }
    with paging
}

/// Application versions an integration version supports; the body of `PUT
/// .../versions/{version}/applications` is a list of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SupportedApplication {
    /// The application (`app_...`).
    pub application_id: String,
    /// Names of its supported versions.
    pub versions: Vec<String>,
}

wire_enum! {
    /// How an integration receives events from the third party.
    pub enum EventService {
        /// Webhooks.
        Webhook = "webhook",
        /// A message queue.
        Queue = "queue",
        /// An event stream or bus.
        Event = "event",
    }
}

wire_enum! {
    /// Where the third party runs.
    pub enum Hosting {
        /// A multi-tenant cloud.
        MultitenantCloud = "multitenant_cloud",
        /// A private cloud.
        PrivateCloud = "private_cloud",
        /// On the customer's premises.
        OnPremise = "on_premise",
    }
}

wire_enum! {
    /// What an API description's URL points to.
    pub enum ApiKind {
        /// An OpenAPI (2.0 or later) document.
        Openapi = "openapi",
        /// A connector.
        Connector = "connector",
    }
}

/// Where the third party's API is described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiDescription {
    /// What the URL points to.
    pub kind: ApiKind,
    /// The document's or connector's URL.
    pub url: String,
}

/// What an integration says of the third party it connects (`integration.profile`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntegrationProfile {
    /// How events arrive.
    #[serde(default)]
    pub event_services: Vec<EventService>,
    /// Hosting models supported.
    #[serde(default)]
    pub hosting: Vec<Hosting>,
    /// The API description, if any.
    #[serde(default)]
    pub api: Option<ApiDescription>,
}

/// Body of `POST .../versions/{version}/connection-test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionTestBody {
    /// An instance of this integration version that runs the test flow.
    pub instance_id: String,
}

/// The outcome of a connection test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConnectionTestResult {
    /// Whether the test flow's execution succeeded within 30 seconds.
    pub passed: bool,
    /// The execution (its steps and logs say why it failed).
    pub execution_id: String,
    /// When the test ended (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
}

wire_enum! {
    /// A certification tier, lowest first.
    pub enum Tier {
        /// Described: event services, hosting, application versions, API description.
        Compatible = "compatible",
        /// Profiled and tested: provider and application profiles, a recent passing connection test.
        Ready = "ready",
        /// Mapped, tested, documented and approved by a reviewer.
        Certified = "certified",
        /// An approved workflow template activates it in one click.
        OneClick = "one_click",
    }
}

wire_enum! {
    /// A tier check.
    pub enum CheckCode {
        /// Compatible: at least one event service.
        EventServices = "event_services",
        /// Compatible: at least one hosting model.
        HostingModel = "hosting_model",
        /// Compatible: at least one registered application version declared.
        ApplicationVersioning = "application_versioning",
        /// Compatible: an OpenAPI or connector URL.
        ApiDescription = "api_description",
        /// Ready: each declared application's provider has name, url, logo_url and support.
        ProviderProfile = "provider_profile",
        /// Ready: each declared application has name, product_url, logo_url and a version.
        ApplicationProfile = "application_profile",
        /// Ready: the latest connection test passed, at most 30 days ago.
        ConnectionTest = "connection_test",
        /// Certified: at least one collection, all valid.
        MappingCollections = "mapping_collections",
        /// Certified: each collection has a test, and all pass.
        MappingTests = "mapping_tests",
        /// Certified: the version's documentation and each collection's notes are non-empty.
        Documentation = "documentation",
        /// Certified: a reviewer approved a certification request.
        ReviewerApproval = "reviewer_approval",
        /// One-click: at least one approved workflow template.
        WorkflowTemplate = "workflow_template",
    }
}

/// One check of a tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CheckView {
    /// The tier it belongs to.
    pub tier: Tier,
    /// What it checks.
    pub code: CheckCode,
    /// Whether it passes.
    pub passed: bool,
    /// What to do, and where, when it fails (null when it passes).
    pub next_action: Option<String>,
}

/// A version's tier, every check, and when they were evaluated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TierView {
    /// The highest tier whose checks and all lower ones pass (null: not even compatible).
    pub tier: Option<Tier>,
    /// Every check, in tier order.
    pub checks: Vec<CheckView>,
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub evaluated_at: String,
}

/// Body of `POST .../versions/{version}/certification-requests`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CertificationRequestBody {
    /// What the reviewer should know.
    #[serde(default)]
    pub notes: String,
}

/// A request that a reviewer certify a published version (decided with `POST
/// /api/v1/certification-requests/{id}/decision`, whose body is a template decision's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CertificationRequestView {
    /// Id (`crq_...`).
    pub id: String,
    /// The integration.
    pub integration_id: String,
    /// The published version.
    pub version: String,
    /// `pending`, `approved` or `rejected`.
    pub status: TemplateStatus,
    /// The requester's notes.
    pub notes: String,
    /// The requesting API key's id.
    pub requested_by: String,
    /// The decision, once decided.
    pub decision: Option<TemplateDecisionView>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

query! {
    /// Filters and paging of the certification request list.
    pub struct CertificationRequestQuery {
        /// Only requests in this state (`pending`, `approved`, `rejected`).
        pub status: Option<String>,
        /// Only this integration's.
        pub integration_id: Option<String>,
    }
    with paging
}

impl From<marketplace_core::certification::EventService> for EventService {
    fn from(service: marketplace_core::certification::EventService) -> Self {
        use marketplace_core::certification::EventService as Core;
        match service {
            Core::Webhook => Self::Webhook,
            Core::Queue => Self::Queue,
            Core::Event => Self::Event,
        }
    }
}

impl From<marketplace_core::certification::Hosting> for Hosting {
    fn from(hosting: marketplace_core::certification::Hosting) -> Self {
        use marketplace_core::certification::Hosting as Core;
        match hosting {
            Core::MultitenantCloud => Self::MultitenantCloud,
            Core::PrivateCloud => Self::PrivateCloud,
            Core::OnPremise => Self::OnPremise,
        }
    }
}

impl From<marketplace_core::certification::ApiKind> for ApiKind {
    fn from(kind: marketplace_core::certification::ApiKind) -> Self {
        use marketplace_core::certification::ApiKind as Core;
        match kind {
            Core::Openapi => Self::Openapi,
            Core::Connector => Self::Connector,
        }
    }
}

impl From<&marketplace_core::certification::IntegrationProfile> for IntegrationProfile {
    fn from(profile: &marketplace_core::certification::IntegrationProfile) -> Self {
        IntegrationProfile {
            event_services: profile.event_services.iter().map(|&s| s.into()).collect(),
            hosting: profile.hosting.iter().map(|&h| h.into()).collect(),
            api: profile.api.as_ref().map(|api| ApiDescription {
                kind: api.kind.into(),
                url: api.url.clone(),
            }),
        }
    }
}

impl From<&marketplace_core::certification::SupportedApplication> for SupportedApplication {
    fn from(supported: &marketplace_core::certification::SupportedApplication) -> Self {
        SupportedApplication {
            application_id: supported.application_id.to_string(),
            versions: supported.versions.clone(),
        }
    }
}

impl From<marketplace_core::certification::Tier> for Tier {
    fn from(tier: marketplace_core::certification::Tier) -> Self {
        use marketplace_core::certification::Tier as Core;
        match tier {
            Core::Compatible => Self::Compatible,
            Core::Ready => Self::Ready,
            Core::Certified => Self::Certified,
            Core::OneClick => Self::OneClick,
        }
    }
}

impl From<marketplace_core::certification::CheckCode> for CheckCode {
    fn from(code: marketplace_core::certification::CheckCode) -> Self {
        use marketplace_core::certification::CheckCode as Core;
        match code {
            Core::EventServices => Self::EventServices,
            Core::HostingModel => Self::HostingModel,
            Core::ApplicationVersioning => Self::ApplicationVersioning,
            Core::ApiDescription => Self::ApiDescription,
            Core::ProviderProfile => Self::ProviderProfile,
            Core::ApplicationProfile => Self::ApplicationProfile,
            Core::ConnectionTest => Self::ConnectionTest,
            Core::MappingCollections => Self::MappingCollections,
            Core::MappingTests => Self::MappingTests,
            Core::Documentation => Self::Documentation,
            Core::ReviewerApproval => Self::ReviewerApproval,
            Core::WorkflowTemplate => Self::WorkflowTemplate,
        }
    }
}

impl From<&marketplace_core::certification::Check> for CheckView {
    fn from(check: &marketplace_core::certification::Check) -> Self {
        CheckView {
            tier: check.tier.into(),
            code: check.code.into(),
            passed: check.passed,
            next_action: check.next_action.clone(),
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
    fn providers_and_applications_as_the_service_sends_them() {
        let provider: ProviderView = round_trip(json!({"id": "prv_1", "name": "Shopware",
            "url": "https://shop.example", "logo_url": null,
            "support": {"email": "help@shop.example", "url": null},
            "created_at": "2026-11-30T05:21:56.494Z", "updated_at": "2026-11-30T05:21:56.494Z"}));
        assert_eq!(provider.support.email.as_deref(), Some("help@shop.example"));
        let page: Page<ApplicationView> = round_trip(json!({"items": [{"id": "app_1",
            "provider_id": "prv_1", "name": "Shop", "product_url": null, "logo_url": null,
            "versions": [{"name": "2024.1", "released_on": "2024-01-15"}],
            "latest": {"name": "2024.1", "released_on": "2024-01-15"},
            "created_at": "2026-11-30T05:21:56.494Z", "updated_at": "2026-11-30T05:21:56.494Z"}],
            "next_cursor": null}));
        assert_eq!(page.items[0].latest.as_ref().unwrap().name, "2024.1");
    }

    #[test]
    fn tiers_and_requests_as_the_service_sends_them() {
        let tier: TierView = round_trip(json!({"tier": "compatible", "checks": [
            {"tier": "compatible", "code": "event_services", "passed": true, "next_action": null},
            {"tier": "ready", "code": "connection_test", "passed": false,
             "next_action": "Run POST .../connection-test"}],
            "evaluated_at": "2026-11-30T05:21:56.494Z"}));
        assert_eq!(tier.tier, Some(Tier::Compatible));
        assert_eq!(tier.checks[1].code, CheckCode::ConnectionTest);
        let none: TierView =
            round_trip(json!({"tier": null, "checks": [], "evaluated_at": "2026-11-30T05:21:56Z"}));
        assert_eq!(none.tier, None);
        let request: CertificationRequestView = round_trip(json!({"id": "crq_1",
            "integration_id": "int_1", "version": "1.0.0", "status": "approved", "notes": "",
            "requested_by": "key_1", "decision": {"decision": "approve", "notes": "",
            "decided_by": "key_2", "decided_at": "2026-11-30T05:21:56.494Z"},
            "created_at": "2026-11-30T05:21:56.494Z", "updated_at": "2026-11-30T05:21:56.494Z"}));
        assert_eq!(request.status, TemplateStatus::Approved);
        let run: ConnectionTestResult = round_trip(
            json!({"passed": false, "execution_id": "exe_1", "at": "2026-11-30T05:21:56.494Z"}),
        );
        assert!(!run.passed);
    }

    #[test]
    fn bodies_as_clients_send_them() {
        let profile: IntegrationProfile = round_trip(json!({"event_services": ["webhook"],
            "hosting": ["multitenant_cloud"], "api": {"kind": "openapi",
            "url": "https://api.example/openapi.json"}}));
        assert_eq!(profile.hosting, [Hosting::MultitenantCloud]);
        assert!(serde_json::from_value::<IntegrationProfile>(json!({"apis": []})).is_err());
        let supported: Vec<SupportedApplication> =
            round_trip(json!([{"application_id": "app_1", "versions": ["2024.1"]}]));
        assert_eq!(supported[0].versions, ["2024.1"]);
        let body: ProviderBody = serde_json::from_value(json!({"name": "Shopware"})).unwrap();
        assert_eq!(body.support, None);
        assert!(serde_json::from_value::<ApplicationBody>(json!({"title": "x"})).is_err());
        assert!(
            serde_json::from_value::<ConnectionTestBody>(json!({"instance_id": "ins_1", "x": 1}))
                .is_err()
        );
        let request: CertificationRequestBody = serde_json::from_value(json!({})).unwrap();
        assert!(request.notes.is_empty());
    }

    #[test]
    fn core_values_keep_their_names() {
        use marketplace_core::certification as core;
        for code in [
            core::CheckCode::EventServices,
            core::CheckCode::ConnectionTest,
            core::CheckCode::WorkflowTemplate,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::to_value(CheckCode::from(code)).unwrap()
            );
        }
        for tier in core::Tier::ALL {
            assert_eq!(Tier::from(tier).as_str(), tier.as_str());
        }
        let profile = core::IntegrationProfile {
            event_services: vec![core::EventService::Queue],
            hosting: vec![core::Hosting::OnPremise],
            api: Some(core::ApiDescription {
                kind: core::ApiKind::Openapi,
                url: "https://api.example/openapi.json".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(IntegrationProfile::from(&profile)).unwrap(),
            serde_json::to_value(&profile).unwrap()
        );
    }

    #[test]
    fn enumerations_are_open() {
        open_enum(Tier::KNOWN, Tier::Other("platinum".into()));
        open_enum(CheckCode::KNOWN, CheckCode::Other("uptime".into()));
        open_enum(EventService::KNOWN, EventService::Other("poll".into()));
        open_enum(Hosting::KNOWN, Hosting::Other("edge".into()));
        open_enum(ApiKind::KNOWN, ApiKind::Other("graphql".into()));
    }
}
