//! Providers, applications and certification tiers.
//!
//! A provider (the third party) has applications, each with released versions; an integration
//! describes itself with a [`IntegrationProfile`], and each of its versions declares the
//! application versions it supports, its documentation and the `manual` flow that tests the
//! connection. [`tier`] turns that evidence into the highest tier whose checks, and every lower
//! tier's, pass: `compatible` < `ready` < `certified` < `one_click`. Each check says what to do
//! next when it fails.

use crate::error::{FieldError, FieldErrorCode, FieldErrors};
use crate::formats::{is_date, is_email, is_url};
use crate::ids::{ApplicationId, ProviderId};
use serde::{Deserialize, Serialize};

/// Errors of optional URL fields that are not absolute http(s) URLs.
fn url_errors<'a>(
    fields: impl IntoIterator<Item = (&'a str, &'a Option<String>)>,
) -> Vec<FieldError> {
    fields
        .into_iter()
        .filter(|(_, value)| value.as_deref().is_some_and(|v| !is_url(v)))
        .map(|(path, _)| {
            FieldError::new(
                path,
                FieldErrorCode::Format,
                "must be an absolute http(s) URL",
            )
        })
        .collect()
}

/// The error of an empty required name.
fn name_errors(name: &str) -> Vec<FieldError> {
    if name.trim().is_empty() {
        vec![FieldError::new(
            "/name",
            FieldErrorCode::Required,
            "the name must not be empty",
        )]
    } else {
        Vec::new()
    }
}

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
        let mut errors = Vec::new();
        for (i, service) in self.event_services.iter().enumerate() {
            if self.event_services[..i].contains(service) {
                errors.push(FieldError::new(
                    format!("/profile/event_services/{i}"),
                    FieldErrorCode::Duplicate,
                    "this event service is listed twice",
                ));
            }
        }
        for (i, hosting) in self.hosting.iter().enumerate() {
            if self.hosting[..i].contains(hosting) {
                errors.push(FieldError::new(
                    format!("/profile/hosting/{i}"),
                    FieldErrorCode::Duplicate,
                    "this hosting model is listed twice",
                ));
            }
        }
        if let Some(api) = &self.api
            && !is_url(&api.url)
        {
            errors.push(FieldError::new(
                "/profile/api/url",
                FieldErrorCode::Format,
                "the API description's URL must be an absolute http(s) URL",
            ));
        }
        FieldErrors(errors).into_result(())
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
        let mut errors = name_errors(&self.name);
        errors.extend(url_errors([
            ("/url", &self.url),
            ("/logo_url", &self.logo_url),
            ("/support/url", &self.support.url),
        ]));
        if let Some(email) = &self.support.email
            && !is_email(email)
        {
            errors.push(FieldError::new(
                "/support/email",
                FieldErrorCode::Format,
                "the support email must be an email address",
            ));
        }
        FieldErrors(errors).into_result(())
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
        let mut errors = name_errors(&self.name);
        if !is_date(&self.released_on) {
            errors.push(FieldError::new(
                "/released_on",
                FieldErrorCode::Format,
                "the release date must be a date YYYY-MM-DD",
            ));
        }
        FieldErrors(errors).into_result(())
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
        let mut errors = name_errors(&self.name);
        errors.extend(url_errors([
            ("/product_url", &self.product_url),
            ("/logo_url", &self.logo_url),
        ]));
        FieldErrors(errors).into_result(())
    }
}

impl Application {
    /// The latest version: the greatest `released_on` on or before `today` (`YYYY-MM-DD`;
    /// ISO dates order as text).
    pub fn latest(&self, today: &str) -> Option<&ApplicationVersion> {
        self.versions
            .iter()
            .filter(|v| v.released_on.as_str() <= today)
            .max_by(|a, b| a.released_on.cmp(&b.released_on))
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
    let checks: Vec<Check> = CHECKS
        .iter()
        .map(|&code| {
            let passed = passes(code, evidence, now);
            Check {
                tier: code.tier(),
                code,
                passed,
                next_action: (!passed).then(|| next_action(code).to_owned()),
            }
        })
        .collect();
    let tier = Tier::ALL
        .into_iter()
        .take_while(|&t| checks.iter().filter(|c| c.tier == t).all(|c| c.passed))
        .last();
    TierReport { tier, checks }
}

/// Every check, in tier order.
pub const CHECKS: [CheckCode; 12] = [
    CheckCode::EventServices,
    CheckCode::HostingModel,
    CheckCode::ApplicationVersioning,
    CheckCode::ApiDescription,
    CheckCode::ProviderProfile,
    CheckCode::ApplicationProfile,
    CheckCode::ConnectionTest,
    CheckCode::MappingCollections,
    CheckCode::MappingTests,
    CheckCode::Documentation,
    CheckCode::ReviewerApproval,
    CheckCode::WorkflowTemplate,
];

fn filled(value: &Option<String>) -> bool {
    value.as_deref().is_some_and(|v| !v.trim().is_empty())
}

/// The declared applications that are registered, with their registered declared versions.
fn declared(evidence: &Evidence) -> impl Iterator<Item = (&Application, usize)> {
    evidence.supported.iter().filter_map(|s| {
        let app = evidence
            .applications
            .iter()
            .find(|a| a.id == s.application_id)?;
        let registered = s
            .versions
            .iter()
            .filter(|v| app.versions.iter().any(|r| &r.name == *v))
            .count();
        Some((app, registered))
    })
}

fn passes(code: CheckCode, evidence: &Evidence, now: i64) -> bool {
    let collections = &evidence.collections;
    match code {
        CheckCode::EventServices => !evidence.profile.event_services.is_empty(),
        CheckCode::HostingModel => !evidence.profile.hosting.is_empty(),
        CheckCode::ApplicationVersioning => declared(evidence).any(|(_, n)| n > 0),
        CheckCode::ApiDescription => evidence
            .profile
            .api
            .as_ref()
            .is_some_and(|api| !api.url.trim().is_empty()),
        CheckCode::ProviderProfile => {
            let mut apps = declared(evidence).peekable();
            apps.peek().is_some()
                && apps.all(|(app, _)| {
                    evidence
                        .providers
                        .iter()
                        .find(|p| p.id == app.provider_id)
                        .is_some_and(|p| {
                            !p.name.trim().is_empty()
                                && filled(&p.url)
                                && filled(&p.logo_url)
                                && (filled(&p.support.email) || filled(&p.support.url))
                        })
                })
        }
        CheckCode::ApplicationProfile => {
            let mut apps = declared(evidence).peekable();
            apps.peek().is_some()
                && apps.all(|(app, _)| {
                    !app.name.trim().is_empty()
                        && filled(&app.product_url)
                        && filled(&app.logo_url)
                        && !app.versions.is_empty()
                })
        }
        CheckCode::ConnectionTest => {
            evidence.connection_test.is_some()
                && evidence.last_connection_test.is_some_and(|run| {
                    run.passed && run.at <= now && now - run.at <= CONNECTION_TEST_VALIDITY_MS
                })
        }
        CheckCode::MappingCollections => {
            !collections.is_empty() && collections.iter().all(|c| c.valid)
        }
        CheckCode::MappingTests => {
            !collections.is_empty() && collections.iter().all(|c| c.tests > 0 && c.tests_pass)
        }
        CheckCode::Documentation => {
            !evidence.documentation.trim().is_empty() && collections.iter().all(|c| c.has_notes)
        }
        CheckCode::ReviewerApproval => evidence.reviewer_approved,
        CheckCode::WorkflowTemplate => evidence.approved_templates > 0,
    }
}

/// What to do, and where, when a check fails.
fn next_action(code: CheckCode) -> &'static str {
    match code {
        CheckCode::EventServices => {
            "Declare how events arrive: PATCH /api/v1/integrations/{id} with `profile.event_services`."
        }
        CheckCode::HostingModel => {
            "Declare the hosting models: PATCH /api/v1/integrations/{id} with `profile.hosting`."
        }
        CheckCode::ApplicationVersioning => {
            "Declare at least one registered application version: PUT /api/v1/integrations/{id}/versions/{version}/applications."
        }
        CheckCode::ApiDescription => {
            "Link the API description (OpenAPI 2.0+ or a connector): PATCH /api/v1/integrations/{id} with `profile.api`."
        }
        CheckCode::ProviderProfile => {
            "Complete each provider's name, url, logo_url and support: PATCH /api/v1/providers/{id}."
        }
        CheckCode::ApplicationProfile => {
            "Complete each application's name, product_url, logo_url and add a version: PATCH /api/v1/applications/{id}, POST /api/v1/applications/{id}/versions."
        }
        CheckCode::ConnectionTest => {
            "Name a `connection_test` manual flow in the version and run it within the last 30 days: POST /api/v1/integrations/{id}/versions/{version}/connection-test."
        }
        CheckCode::MappingCollections => {
            "Add at least one mapping collection, all valid, to the version's `collections`."
        }
        CheckCode::MappingTests => {
            "Give each collection at least one test, and make them all pass: the collection's `tests`."
        }
        CheckCode::Documentation => {
            "Write the version's `documentation` and each collection's `notes`."
        }
        CheckCode::ReviewerApproval => {
            "File a certification request and have a reviewer approve it: POST /api/v1/integrations/{id}/versions/{version}/certification-requests."
        }
        CheckCode::WorkflowTemplate => {
            "Have a workflow template of this version approved: POST /api/v1/integrations/{id}/versions/{version}/workflow-templates."
        }
    }
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
    if !published {
        return Err(RequestRefusal::VersionDraft);
    }
    if pending {
        return Err(RequestRefusal::Pending);
    }
    let unmet: Vec<CheckCode> = report
        .checks
        .iter()
        .filter(|c| c.tier <= Tier::Certified && c.code != CheckCode::ReviewerApproval && !c.passed)
        .map(|c| c.code)
        .collect();
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(RequestRefusal::RequirementsUnmet(unmet))
    }
}
