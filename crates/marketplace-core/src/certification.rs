//! Providers, applications and certification tiers.
//!
//! A provider (the third party) has applications, each with released versions; an integration
//! describes itself with a [`IntegrationProfile`], and each of its versions declares the
//! application versions it supports, its documentation and the `manual` flow that tests the
//! connection. [`tier`] turns that evidence into the highest tier whose checks, and every lower
//! tier's, pass: `compatible` < `ready` < `certified` < `one_click`. Each check says what to do
//! next when it fails.

use crate::error::FieldErrors;
use crate::ids::{ApplicationId, ProviderId};
use serde::{Deserialize, Serialize};

/// A certification tier, lowest first (`Ord` follows the order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Described: event services, hosting, application versions, API description.
    Compatible,
    /// Profiled and tested: provider and application profiles, a recent passing connection test.
    Ready,
    /// Mapped, tested, documented and approved by a reviewer.
    Certified,
    /// An approved workflow template activates it in one click.
    OneClick,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 4] = [
        Tier::Compatible,
        Tier::Ready,
        Tier::Certified,
        Tier::OneClick,
    ];

    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compatible => "compatible",
            Self::Ready => "ready",
            Self::Certified => "certified",
            Self::OneClick => "one_click",
        }
    }

    /// The tier with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

/// How an integration receives events from the third party.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventService {
    /// Webhooks.
    Webhook,
    /// A message queue.
    Queue,
    /// An event stream or bus.
    Event,
}

/// Where the third party runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hosting {
    /// A multi-tenant cloud.
    MultitenantCloud,
    /// A private cloud.
    PrivateCloud,
    /// On the customer's premises.
    OnPremise,
}

/// How the third party's API is described.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKind {
    /// An OpenAPI (2.0 or later) document.
    Openapi,
    /// A connector.
    Connector,
}

/// Where the third party's API is described.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiDescription {
    /// What the URL points to.
    pub kind: ApiKind,
    /// The document's or connector's URL.
    pub url: String,
}

/// What an integration says of the third party it connects (`integration.profile`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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

impl IntegrationProfile {
    /// Every problem at once (`/profile/api/url` an absolute http(s) URL, no duplicates).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        todo!("core helper")
    }
}

/// How to reach a provider's support.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    /// Support email.
    #[serde(default)]
    pub email: Option<String>,
    /// Support page.
    #[serde(default)]
    pub url: Option<String>,
}

/// A provider: the company behind third-party applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provider {
    /// Id (`prv_`).
    pub id: ProviderId,
    /// Name.
    pub name: String,
    /// Home page.
    #[serde(default)]
    pub url: Option<String>,
    /// Logo.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Support contacts.
    #[serde(default)]
    pub support: Support,
}

/// The fields of a provider a create or update body carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderFields {
    /// Name (`/name`, required).
    pub name: String,
    /// Home page (`/url`).
    #[serde(default)]
    pub url: Option<String>,
    /// Logo (`/logo_url`).
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Support (`/support/email`, `/support/url`).
    #[serde(default)]
    pub support: Support,
}

impl ProviderFields {
    /// Every problem at once: name required, URLs absolute http(s), email an email.
    pub fn validate(&self) -> Result<(), FieldErrors> {
        todo!("core helper")
    }
}

/// A released version of an application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationVersion {
    /// Name (unique per application), e.g. `2024.1`.
    pub name: String,
    /// Release date, `YYYY-MM-DD`.
    pub released_on: String,
}

impl ApplicationVersion {
    /// Every problem at once: name non-empty (`/name`), `released_on` a `YYYY-MM-DD` date
    /// (`/released_on` `format`).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        todo!("core helper")
    }
}

/// A third-party application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Id (`app_`).
    pub id: ApplicationId,
    /// Its provider.
    pub provider_id: ProviderId,
    /// Name.
    pub name: String,
    /// Product page.
    #[serde(default)]
    pub product_url: Option<String>,
    /// Logo.
    #[serde(default)]
    pub logo_url: Option<String>,
    /// Released versions.
    #[serde(default)]
    pub versions: Vec<ApplicationVersion>,
}

/// The fields of an application a create or update body carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationFields {
    /// Its provider (`/provider_id`).
    pub provider_id: ProviderId,
    /// Name (`/name`, required).
    pub name: String,
    /// Product page (`/product_url`).
    #[serde(default)]
    pub product_url: Option<String>,
    /// Logo (`/logo_url`).
    #[serde(default)]
    pub logo_url: Option<String>,
}

impl ApplicationFields {
    /// Every problem at once: name required, URLs absolute http(s).
    pub fn validate(&self) -> Result<(), FieldErrors> {
        todo!("core helper")
    }
}

impl Application {
    /// The latest version: the greatest `released_on` on or before `today` (`YYYY-MM-DD`).
    pub fn latest(&self, today: &str) -> Option<&ApplicationVersion> {
        todo!("core helper: {today}")
    }
}

/// Application versions an integration version supports (`version.applications`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportedApplication {
    /// The application.
    pub application_id: ApplicationId,
    /// Names of its versions.
    pub versions: Vec<String>,
}

/// The last connection test of a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionTestRun {
    /// Whether the test flow's execution succeeded.
    pub passed: bool,
    /// When it ended (Unix ms).
    pub at: i64,
}

/// What the tier checks know of one mapping collection of the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionEvidence {
    /// The collection's name.
    pub name: String,
    /// Whether it validates against its record type.
    pub valid: bool,
    /// How many tests it has.
    pub tests: usize,
    /// Whether every test passes.
    pub tests_pass: bool,
    /// Whether its `notes` are non-empty.
    pub has_notes: bool,
}

/// Everything [`tier`] looks at for one integration version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The integration's profile.
    #[serde(default)]
    pub profile: IntegrationProfile,
    /// The version's supported applications.
    #[serde(default)]
    pub supported: Vec<SupportedApplication>,
    /// The applications it names, with their versions.
    #[serde(default)]
    pub applications: Vec<Application>,
    /// The providers of those applications.
    #[serde(default)]
    pub providers: Vec<Provider>,
    /// The version's `connection_test` flow, if named.
    #[serde(default)]
    pub connection_test: Option<String>,
    /// The latest connection test run, if any.
    #[serde(default)]
    pub last_connection_test: Option<ConnectionTestRun>,
    /// The version's documentation (markdown).
    #[serde(default)]
    pub documentation: String,
    /// The version's mapping collections.
    #[serde(default)]
    pub collections: Vec<CollectionEvidence>,
    /// Whether a reviewer approved a certification request of this version.
    #[serde(default)]
    pub reviewer_approved: bool,
    /// How many workflow templates of this version are approved.
    #[serde(default)]
    pub approved_templates: usize,
}

/// The checks, in tier order; each tier needs its own and every lower tier's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckCode {
    /// Compatible: at least one event service.
    EventServices,
    /// Compatible: at least one hosting model.
    HostingModel,
    /// Compatible: at least one registered application version declared.
    ApplicationVersioning,
    /// Compatible: an OpenAPI or connector URL.
    ApiDescription,
    /// Ready: each declared application's provider has name, url, logo_url and support.
    ProviderProfile,
    /// Ready: each declared application has name, product_url, logo_url and a version.
    ApplicationProfile,
    /// Ready: the latest connection test passed, at most 30 days ago.
    ConnectionTest,
    /// Certified: at least one collection, all valid.
    MappingCollections,
    /// Certified: each collection has a test, and all pass.
    MappingTests,
    /// Certified: the version's documentation and each collection's notes are non-empty.
    Documentation,
    /// Certified: a reviewer approved a certification request.
    ReviewerApproval,
    /// One-click: at least one approved workflow template.
    WorkflowTemplate,
}

impl CheckCode {
    /// The tier this check belongs to.
    pub fn tier(self) -> Tier {
        match self {
            Self::EventServices
            | Self::HostingModel
            | Self::ApplicationVersioning
            | Self::ApiDescription => Tier::Compatible,
            Self::ProviderProfile | Self::ApplicationProfile | Self::ConnectionTest => Tier::Ready,
            Self::MappingCollections
            | Self::MappingTests
            | Self::Documentation
            | Self::ReviewerApproval => Tier::Certified,
            Self::WorkflowTemplate => Tier::OneClick,
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The tier it belongs to.
    pub tier: Tier,
    /// What it checks.
    pub code: CheckCode,
    /// Whether it passes.
    pub passed: bool,
    /// What to do, and where, when it fails (null when it passes).
    pub next_action: Option<String>,
}

/// A version's tier and every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierReport {
    /// The highest tier whose checks and all lower ones pass (null: not even compatible).
    pub tier: Option<Tier>,
    /// Every check, in tier order.
    pub checks: Vec<Check>,
}

/// How long a passing connection test counts (30 days, in ms).
pub const CONNECTION_TEST_VALIDITY_MS: i64 = 30 * 24 * 3600 * 1000;

/// The tier of a version with this evidence at `now` (Unix ms): the longest prefix of tiers
/// whose checks all pass. More evidence never lowers it.
pub fn tier(evidence: &Evidence, now: i64) -> TierReport {
    todo!("core helper: {evidence:?} {now}")
}

/// Why a certification request is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestRefusal {
    /// The version is a draft (409 `version_draft`).
    #[error("only a published version can be certified")]
    VersionDraft,
    /// A request of this version is pending (409 `certification_pending`).
    #[error("a certification request of this version is already pending")]
    Pending,
    /// Checks up to certified, other than `reviewer_approval`, fail (409 `requirements_unmet`).
    #[error("the version does not meet the requirements of the certified tier")]
    RequirementsUnmet(Vec<CheckCode>),
}

/// Whether a certification request may be filed for a version: published, none pending, and
/// every check up to `certified` passing except `reviewer_approval`.
pub fn may_request_certification(
    published: bool,
    pending: bool,
    report: &TierReport,
) -> Result<(), RequestRefusal> {
    todo!("core helper: {published} {pending} {report:?}")
}
