//! The evidence of a version, its tier, its supported applications, connection tests, and
//! certification requests.
//!
//! The catalog asks this module for the tier of each listed version ([`tiers`]) and for what the
//! detail page shows of a version ([`catalog_details`]); every write of evidence (provider,
//! application, profile, supported applications, connection test, certification decision,
//! template decision) bumps the organization's catalog version so the catalog sees it. A tier
//! also depends on time (a connection test counts for 30 days): a catalog snapshot keeps the
//! tiers it was built with until the next write rebuilds it.
//!
//! Evidence is read for the whole organization in a few statements ([`Sources`]), so the tiers
//! of a catalog cost the same handful of queries however many versions it lists. The rules are
//! core's: `certification::tier`, `may_request_certification`, `template::decide`,
//! `integration::check_supported`.

use crate::error::{ApiError, ApiResult, Reason};
use crate::service::auth::{Admin, Decider};
use crate::service::catalog::load_version;
use crate::service::integrations::{self, commit_catalog_change, integration_event};
use crate::service::runner;
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::api_key::{Submitter, SubmitterKind};
use marketplace_core::certification::{
    self, Application, CheckCode, CollectionEvidence, ConnectionTestRun, Evidence,
    IntegrationProfile, Provider, RequestRefusal, Tier, TierReport,
};
use marketplace_core::event::EventType;
use marketplace_core::integration::{
    VersionDocument, check_supported, collection_target, parse_supported,
};
use marketplace_core::mapping::{Direction, RecordType, run_tests, validate_collection};
use marketplace_core::template::{self, DecideRefusal, TemplateStatus, Verdict};
use marketplace_core::{
    FieldError, FieldErrorCode, InstanceStatus, IntegrationVersion, VersionState,
};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::time::Duration;

pub use crate::store::certification::{CertificationRequest, RequestFilter};

/// A listed version: (integration id, version).
pub type VersionKey = (String, String);

/// How long a connection test waits for its execution to end before it counts as failed.
pub const CONNECTION_TEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Everything the evidence of the organization's versions is made of, read once.
struct Sources {
    profiles: HashMap<String, IntegrationProfile>,
    documents: HashMap<VersionKey, VersionDocument>,
    providers: Vec<Provider>,
    applications: Vec<Application>,
    runs: HashMap<VersionKey, ConnectionTestRun>,
    approved: HashSet<VersionKey>,
    templates: HashMap<VersionKey, usize>,
    /// The organization's current record types (a draft's collections are read against them).
    record_types: Vec<RecordType>,
}

impl Sources {
    async fn load(state: &AppState, organization_id: &str) -> ApiResult<Sources> {
        let store = &state.store;
        Ok(Sources {
            profiles: store::integrations::profiles(store, organization_id).await?,
            documents: store::integrations::documents(store, organization_id).await?,
            providers: store::providers::all(store, organization_id).await?,
            applications: store::applications::all(store, organization_id).await?,
            runs: store::certification::latest_runs(store, organization_id).await?,
            approved: store::certification::approved_versions(store, organization_id).await?,
            templates: store::certification::approved_templates(store, organization_id).await?,
            record_types: integrations::record_types(state, organization_id).await?,
        })
    }

    /// The evidence of one version.
    fn evidence(&self, key: &VersionKey, version: &IntegrationVersion) -> Evidence {
        let document = self.documents.get(key).cloned().unwrap_or_default();
        let applications: Vec<Application> = self
            .applications
            .iter()
            .filter(|a| {
                document
                    .applications
                    .iter()
                    .any(|s| s.application_id == a.id)
            })
            .cloned()
            .collect();
        let providers = self
            .providers
            .iter()
            .filter(|p| applications.iter().any(|a| a.provider_id == p.id))
            .cloned()
            .collect();
        let record_types = match version.state {
            VersionState::Published => &version.record_types,
            VersionState::Draft => &self.record_types,
        };
        Evidence {
            profile: self.profiles.get(&key.0).cloned().unwrap_or_default(),
            supported: document.applications,
            applications,
            providers,
            connection_test: document.connection_test,
            last_connection_test: self.runs.get(key).copied(),
            documentation: document.documentation,
            collections: collection_evidence(version, record_types),
            reviewer_approved: self.approved.contains(key),
            approved_templates: self.templates.get(key).copied().unwrap_or(0),
        }
    }
}

/// What the tier checks know of each collection of a version: valid (core's
/// `validate_collection` against the record types), its tests run (core's `run_tests`), notes.
fn collection_evidence(
    version: &IntegrationVersion,
    record_types: &[RecordType],
) -> Vec<CollectionEvidence> {
    version
        .collections
        .iter()
        .map(|collection| {
            let body = serde_json::to_value(collection).unwrap_or(Value::Null);
            let results = run_tests(collection, collection_target(collection, record_types));
            CollectionEvidence {
                name: collection.name.clone(),
                valid: validate_collection(&body, record_types).is_ok(),
                tests: collection.tests.len(),
                tests_pass: results.iter().all(|r| r.passed),
                has_notes: !collection.notes.trim().is_empty(),
            }
        })
        .collect()
}

/// The evidence of a version of the organization's integration (404 for either).
#[tracing::instrument(name = "certification::evidence", level = "debug", skip_all)]
pub async fn evidence(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
) -> ApiResult<Evidence> {
    let record = integrations::get_version(state, organization_id, integration_id, version).await?;
    let sources = Sources::load(state, organization_id).await?;
    let key = (
        integration_id.to_owned(),
        record.version.version.to_string(),
    );
    Ok(sources.evidence(&key, &record.version))
}

/// A version's tier with every check, and when it was evaluated (Unix ms).
#[tracing::instrument(name = "certification::tier_report", level = "debug", skip_all)]
pub async fn tier_report(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
) -> ApiResult<(TierReport, i64)> {
    let evidence = evidence(state, organization_id, integration_id, version).await?;
    let now = now_ms();
    Ok((certification::tier(&evidence, now), now))
}

/// The tier of each of these versions of the organization's integrations (computed from their
/// evidence at the current time; a version absent from the answer has no tier).
#[tracing::instrument(name = "certification::tiers", level = "debug", skip_all)]
pub async fn tiers(
    state: &AppState,
    organization_id: &str,
    versions: &[VersionKey],
) -> ApiResult<HashMap<VersionKey, Option<Tier>>> {
    let mut tiers = HashMap::with_capacity(versions.len());
    if versions.is_empty() {
        return Ok(tiers);
    }
    let sources = Sources::load(state, organization_id).await?;
    let now = now_ms();
    for key in versions {
        if let Some(version) = load_version(state, &key.0, &key.1).await? {
            let report = certification::tier(&sources.evidence(key, &version), now);
            tiers.insert(key.clone(), report.tier);
        }
    }
    Ok(tiers)
}

/// A supported application as the catalog detail shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSummary {
    /// The application's name.
    pub name: String,
    /// The supported version names.
    pub versions: Vec<String>,
}

/// A mapping collection as the catalog detail shows it (from the certified tier on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionSummary {
    /// Name.
    pub name: String,
    /// Record type.
    pub record_type: String,
    /// Direction.
    pub direction: Direction,
    /// Notes.
    pub notes: String,
}

/// What the catalog detail shows of a listed version besides its listing.
#[derive(Debug, Clone, Default)]
pub struct CatalogDetails {
    /// The provider of its (first) supported application.
    pub provider: Option<Provider>,
    /// The supported applications.
    pub applications: Vec<ApplicationSummary>,
    /// The version's documentation (markdown).
    pub documentation: String,
    /// Its collections, shown from the certified tier on (empty below).
    pub collections: Vec<CollectionSummary>,
}

/// The detail of a listed version for the catalog, given its tier.
#[tracing::instrument(name = "certification::catalog_details", level = "debug", skip_all)]
pub async fn catalog_details(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &IntegrationVersion,
    tier: Option<Tier>,
) -> ApiResult<CatalogDetails> {
    let number = version.version.to_string();
    let document = store::integrations::document(&state.store, integration_id, &number)
        .await?
        .unwrap_or_default();
    let mut applications = Vec::with_capacity(document.applications.len());
    let mut provider = None;
    for supported in &document.applications {
        let id = supported.application_id.as_str();
        let Some(record) = store::applications::get(&state.store, organization_id, id).await?
        else {
            continue;
        };
        if provider.is_none() {
            let provider_id = record.application.provider_id.as_str();
            provider = store::providers::get(&state.store, organization_id, provider_id)
                .await?
                .map(|p| p.provider);
        }
        applications.push(ApplicationSummary {
            name: record.application.name,
            versions: supported.versions.clone(),
        });
    }
    let collections = if tier >= Some(Tier::Certified) {
        version
            .collections
            .iter()
            .map(|c| CollectionSummary {
                name: c.name.clone(),
                record_type: c.record_type.clone(),
                direction: c.direction,
                notes: c.notes.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(CatalogDetails {
        provider,
        applications,
        documentation: document.documentation,
        collections,
    })
}

/// A version body's document (core's `VersionDocument::parse`, then its applications checked
/// against the organization's `registered` ones), as field errors of the body to join with
/// the version's own.
pub(crate) fn version_document(
    body: &Value,
    flows: Option<&[marketplace_core::Flow]>,
    registered: &[Application],
) -> Result<VersionDocument, Vec<FieldError>> {
    let document = VersionDocument::parse(body, flows)?;
    let errors = check_supported(&document.applications, registered);
    if errors.is_empty() {
        Ok(document)
    } else {
        Err(marketplace_core::error::prefix_all(errors, "/applications"))
    }
}

/// The organization's applications, which a version's supported applications name.
#[tracing::instrument(
    name = "certification::registered_applications",
    level = "debug",
    skip_all
)]
pub(crate) async fn registered_applications(
    state: &AppState,
    organization_id: &str,
) -> ApiResult<Vec<Application>> {
    Ok(store::applications::all(&state.store, organization_id).await?)
}

/// Replaces the supported applications of a version, published or not, from a body
/// `[{application_id, versions}]` (paths `/0/versions/1`); event
/// `version.applications_updated`.
#[tracing::instrument(name = "certification::put_applications", level = "debug", skip_all)]
pub async fn put_applications(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
    body: &Value,
) -> ApiResult<Vec<certification::SupportedApplication>> {
    let number = integrations::get_version(state, organization_id, integration_id, version)
        .await?
        .version
        .version
        .to_string();
    let supported = parse_supported(body).map_err(ApiError::Validation)?;
    let registered = registered_applications(state, organization_id).await?;
    let errors = check_supported(&supported, &registered);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut tx = state.store.begin().await?;
    if !store::integrations::set_applications(&mut tx, integration_id, &number, &supported).await? {
        return Err(ApiError::NotFound("version"));
    }
    let event = integration_event(
        EventType::VersionApplicationsUpdated,
        integration_id,
        json!({"version": number, "applications": supported}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(supported)
}

/// The outcome of a connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionTestOutcome {
    /// Whether the test flow's execution succeeded in time.
    pub passed: bool,
    /// The execution.
    pub execution_id: String,
    /// When the test ended (Unix ms).
    pub at: i64,
}

/// Runs the version's `connection_test` flow on one of its instances through the runner, waits
/// up to [`CONNECTION_TEST_TIMEOUT`] for the execution to end (else it failed; the execution
/// goes on), and stores the run; event `connection_test.completed`.
#[tracing::instrument(name = "certification::connection_test", level = "debug", skip_all)]
pub async fn connection_test(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
    instance_id: &str,
) -> ApiResult<ConnectionTestOutcome> {
    let record = integrations::get_version(state, organization_id, integration_id, version).await?;
    let number = record.version.version.to_string();
    let flow = record.document.connection_test.ok_or_else(|| {
        ApiError::unprocessable(
            "connection_test_missing",
            "the version names no connection_test flow: set `connection_test` in its document",
        )
    })?;
    let instance = store::instances::get(&state.store, organization_id, instance_id)
        .await?
        .filter(|i| {
            i.integration_id.as_str() == integration_id && i.version == record.version.version
        })
        .ok_or_else(|| {
            ApiError::field(FieldError::new(
                "/instance_id",
                FieldErrorCode::InvalidReference,
                format!("no instance of version {number} of this integration"),
            ))
        })?;
    if instance.status == InstanceStatus::Deactivated {
        return Err(ApiError::conflict(
            "invalid_state",
            "a deactivated instance does not run",
        ));
    }
    let execution_id =
        runner::enqueue(state, organization_id, &instance, &flow, "test", &json!({})).await?;
    let running = tokio::spawn({
        let state = state.clone();
        let execution_id = execution_id.clone();
        async move { runner::run(&state, &execution_id, 1).await }
    });
    let passed = match tokio::time::timeout(CONNECTION_TEST_TIMEOUT, running).await {
        Ok(Ok(Ok(execution))) => execution.status == "succeeded",
        Ok(Ok(Err(e))) => {
            tracing::warn!(execution_id, error = %e, "connection test did not run");
            false
        }
        // The task panicked, or the execution takes longer: it failed (and goes on).
        Ok(Err(_)) | Err(_) => false,
    };
    let at = now_ms();
    let mut tx = state.store.begin().await?;
    let run = store::certification::NewRun {
        id: &new_id("ctr"),
        integration_id,
        version: &number,
        instance_id,
        execution_id: &execution_id,
        run: ConnectionTestRun { passed, at },
    };
    store::certification::insert_run(&mut tx, &run).await?;
    let event = integration_event(
        EventType::ConnectionTestCompleted,
        integration_id,
        json!({"version": number, "instance_id": instance_id, "execution_id": execution_id,
            "passed": passed}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(ConnectionTestOutcome {
        passed,
        execution_id,
        at,
    })
}

/// The wire name of a check (`mapping_tests`).
fn check_name(code: CheckCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Files a certification request of a published version with the admin's key: none pending,
/// and every check up to `certified` but `reviewer_approval` passing (core's
/// `may_request_certification`); event `certification.requested`.
#[tracing::instrument(name = "certification::request", level = "debug", skip_all)]
pub async fn request(
    state: &AppState,
    admin: &Admin,
    integration_id: &str,
    version: &str,
    notes: String,
) -> ApiResult<CertificationRequest> {
    let organization_id = admin.organization_id.as_str();
    let record = integrations::get_version(state, organization_id, integration_id, version).await?;
    let number = record.version.version.to_string();
    let (report, _) = tier_report(state, organization_id, integration_id, &number).await?;
    let pending_conflict = || {
        ApiError::conflict(
            "certification_pending",
            "a certification request of this version is already pending",
        )
    };
    let mut tx = state.store.begin().await?;
    let pending = store::certification::pending(&mut tx, integration_id, &number).await?;
    let published = record.version.state == VersionState::Published;
    certification::may_request_certification(published, pending, &report).map_err(|refusal| {
        match refusal {
            RequestRefusal::VersionDraft => {
                ApiError::conflict("version_draft", "only a published version can be certified")
            }
            RequestRefusal::Pending => pending_conflict(),
            RequestRefusal::RequirementsUnmet(codes) => ApiError::ConflictWithReasons {
                code: "requirements_unmet",
                detail: "the version does not meet the requirements of the certified tier".into(),
                reasons: codes
                    .into_iter()
                    .map(|code| Reason {
                        code: check_name(code),
                        message: report
                            .checks
                            .iter()
                            .find(|c| c.code == code)
                            .and_then(|c| c.next_action.clone())
                            .unwrap_or_else(|| "this check fails".into()),
                    })
                    .collect(),
            },
        }
    })?;
    let now = now_ms();
    let request = CertificationRequest {
        id: new_id("crq"),
        integration_id: integration_id.to_owned(),
        version: number,
        status: TemplateStatus::Pending,
        notes,
        requested_by: admin.key_id.clone(),
        decision: None,
        created_at: now,
        updated_at: now,
    };
    // A concurrent request of the same version meets the one-pending index.
    store::certification::insert(&mut tx, organization_id, &request)
        .await
        .map_err(|e| e.or_conflict(pending_conflict()))?;
    let event = integration_event(
        EventType::CertificationRequested,
        integration_id,
        json!({"request_id": request.id, "version": request.version,
            "requested_by": request.requested_by}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(request)
}

/// A certification request of the organization (404 otherwise).
#[tracing::instrument(name = "certification::get_request", level = "debug", skip_all)]
pub async fn get_request(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<CertificationRequest> {
    store::certification::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("certification request"))
}

/// A page of the organization's certification requests, oldest first.
#[tracing::instrument(name = "certification::list_requests", level = "debug", skip_all)]
pub async fn list_requests(
    state: &AppState,
    organization_id: &str,
    filter: &RequestFilter,
    page: &PageRequest,
) -> ApiResult<Page<CertificationRequest>> {
    Ok(store::certification::list(&state.store, organization_id, filter, page).await?)
}

/// Approves or rejects a pending request, once, never with the key that filed it (core's
/// `template::decide`); events `certification.approved|rejected`. An approval is evidence
/// (`reviewer_approval`): the catalog version is bumped either way.
#[tracing::instrument(name = "certification::decide", level = "debug", skip_all)]
pub async fn decide(
    state: &AppState,
    decider: &Decider,
    id: &str,
    verdict: Verdict,
    notes: &str,
) -> ApiResult<CertificationRequest> {
    let organization_id = decider.organization_id.as_str();
    let request = get_request(state, organization_id, id).await?;
    let now = now_ms();
    let submitter = Submitter {
        kind: SubmitterKind::Organization,
        id: request.requested_by.clone(),
    };
    let (status, decision) = template::decide(
        request.status,
        &submitter,
        &decider.key_id,
        verdict,
        notes,
        now,
    )
    .map_err(|refusal| match refusal {
        DecideRefusal::SelfReview => ApiError::forbidden(
            "self_review",
            "a certification request is decided by another API key than the one that filed it",
        ),
        DecideRefusal::AlreadyDecided => already_decided(),
        DecideRefusal::Fields(errors) => ApiError::Validation(errors),
    })?;
    let mut tx = state.store.begin().await?;
    // A concurrent decision may have won since the read: only a pending row changes.
    if !store::certification::decide(&mut tx, id, status, &decision).await? {
        return Err(already_decided());
    }
    let event_type = match verdict {
        Verdict::Approve => EventType::CertificationApproved,
        Verdict::Reject => EventType::CertificationRejected,
    };
    let event = integration_event(
        event_type,
        &request.integration_id,
        json!({"request_id": id, "version": request.version, "decided_by": decider.key_id}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    Ok(CertificationRequest {
        status,
        decision: Some(decision),
        updated_at: now,
        ..request
    })
}

fn already_decided() -> ApiError {
    ApiError::conflict(
        "already_decided",
        "the certification request is already decided",
    )
}
