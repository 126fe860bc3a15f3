//! Workflow templates: submitted on a published version, decided by another API key (admin or
//! reviewer), shown approved in the embedded detail and activated in one click. What a template
//! accepts and who may decide is core's (`template`, `api_key`); each change is stored with its
//! event in one transaction.

use crate::error::{ApiError, ApiResult};
use crate::service::auth::{Admin, Decider};
use crate::service::catalog::load_version;
use crate::service::integrations::{self, commit_catalog_change};
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::api_key::{Submitter, SubmitterKind};
use marketplace_core::event::{Event, EventType};
use marketplace_core::template::{
    self, DecideRefusal, TemplateInput, TemplateRefusal, TemplateStatus, Verdict,
};
use marketplace_core::{CompiledSpec, IntegrationVersion};
use serde_json::json;
use std::sync::Arc;

pub use crate::store::templates::Template;

/// The event of a template's change.
fn template_event(event_type: EventType, template: &Template, at: i64) -> Event {
    Event::for_integration(
        event_type,
        &template.integration_id.as_str().into(),
        at,
        json!({"template_id": template.id, "name": template.name, "version": template.version,
            "status": template.status.as_str()}),
    )
}

/// A version of an integration of the organization (404 for either).
async fn version_of_integration(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
) -> ApiResult<Arc<IntegrationVersion>> {
    integrations::get(state, organization_id, integration_id).await?;
    load_version(state, integration_id, version)
        .await?
        .ok_or(ApiError::NotFound("version"))
}

/// Submits a template of a published version, by the admin's key (`pending`).
#[tracing::instrument(name = "templates::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    admin: &Admin,
    integration_id: &str,
    version: &str,
    input: TemplateInput,
) -> ApiResult<Template> {
    let submitter = Submitter {
        kind: SubmitterKind::Organization,
        id: admin.key_id.clone(),
    };
    submit(
        state,
        &admin.organization_id,
        submitter,
        integration_id,
        version,
        input,
    )
    .await
}

/// Submits a template of a published version by an API key or a partner (`pending`).
#[tracing::instrument(name = "templates::submit", level = "debug", skip_all)]
pub async fn submit(
    state: &AppState,
    organization_id: &str,
    submitter: Submitter,
    integration_id: &str,
    version: &str,
    input: TemplateInput,
) -> ApiResult<Template> {
    let loaded = version_of_integration(state, organization_id, integration_id, version).await?;
    let overrides =
        template::accept_template(&loaded, &loaded.collections, &loaded.record_types, &input)
            .map_err(|refusal| match refusal {
                TemplateRefusal::VersionDraft => ApiError::conflict(
                    "version_draft",
                    "templates are made of published versions only",
                ),
                TemplateRefusal::Fields(errors) => ApiError::Validation(errors),
            })?;
    let now = now_ms();
    let template = Template {
        id: new_id("tpl"),
        integration_id: integration_id.to_owned(),
        version: loaded.version.to_string(),
        name: input.name.trim().to_owned(),
        description: input.description,
        config: input.config,
        flows: input.flows,
        overrides,
        status: TemplateStatus::Pending,
        submitted_by: submitter,
        decision: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::templates::insert(&mut tx, organization_id, &template).await?;
    let event = template_event(EventType::WorkflowTemplateSubmitted, &template, now);
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(template)
}

/// A page of the templates of a version of an integration of the organization.
#[tracing::instrument(name = "templates::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    version: &str,
    page: &PageRequest,
) -> ApiResult<Page<Template>> {
    let loaded = version_of_integration(state, organization_id, integration_id, version).await?;
    let version = loaded.version.to_string();
    Ok(store::templates::list(&state.store, integration_id, &version, page).await?)
}

/// A template of the organization (404 otherwise).
#[tracing::instrument(name = "templates::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<Template> {
    store::templates::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("workflow template"))
}

/// Deletes a template (instances made from it keep their config, flows and overrides); bumps
/// the catalog version (tiers count approved templates).
#[tracing::instrument(name = "templates::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let template = get(state, organization_id, id).await?;
    let mut tx = state.store.begin().await?;
    store::templates::delete(&mut tx, id).await?;
    let event = template_event(EventType::WorkflowTemplateDeleted, &template, now_ms());
    // An approved template is certification evidence (`workflow_template`): tiers change.
    commit_catalog_change(state, tx, organization_id, event).await
}

/// Approves or rejects a template, once, never with the key that submitted it; bumps the
/// catalog version (tiers count approved templates).
#[tracing::instrument(name = "templates::decide", level = "debug", skip_all)]
pub async fn decide(
    state: &AppState,
    decider: &Decider,
    id: &str,
    verdict: Verdict,
    notes: &str,
) -> ApiResult<Template> {
    let template = get(state, &decider.organization_id, id).await?;
    let now = now_ms();
    let (status, decision) = template::decide(
        template.status,
        &template.submitted_by,
        &decider.key_id,
        verdict,
        notes,
        now,
    )
    .map_err(|refusal| match refusal {
        DecideRefusal::SelfReview => ApiError::forbidden(
            "self_review",
            "a template is decided by another API key than the one that submitted it",
        ),
        DecideRefusal::AlreadyDecided => already_decided(),
        DecideRefusal::Fields(errors) => ApiError::Validation(errors),
    })?;
    let mut tx = state.store.begin().await?;
    // A concurrent decision may have won since the read: only a pending row changes.
    if !store::templates::decide(&mut tx, id, status, &decision).await? {
        return Err(already_decided());
    }
    let decided = Template {
        status,
        decision: Some(decision),
        updated_at: now,
        ..template
    };
    let event_type = match verdict {
        Verdict::Approve => EventType::WorkflowTemplateApproved,
        Verdict::Reject => EventType::WorkflowTemplateRejected,
    };
    let mut event = template_event(event_type, &decided, now);
    if let Some(data) = event.data.as_object_mut() {
        data.insert("decided_by".into(), decider.key_id.clone().into());
    }
    // An approval is certification evidence (`workflow_template`): tiers change.
    commit_catalog_change(state, tx, &decider.organization_id, event).await?;
    Ok(decided)
}

fn already_decided() -> ApiError {
    ApiError::conflict("already_decided", "the template is already decided")
}

/// The approved templates of a listed version, each with the connections a one-click asks.
#[tracing::instrument(name = "templates::approved", level = "debug", skip_all)]
pub async fn approved(
    state: &AppState,
    integration_id: &str,
    version: &IntegrationVersion,
) -> ApiResult<Vec<(Template, Vec<String>)>> {
    let asked = template::connections_asked(&version.config);
    let templates =
        store::templates::approved(&state.store, integration_id, &version.version.to_string())
            .await?;
    Ok(templates.into_iter().map(|t| (t, asked.clone())).collect())
}

/// The approved template of a one-click activation: of this integration and its listed
/// `version` (404 otherwise, as for a template that does not exist).
#[tracing::instrument(name = "templates::for_one_click", level = "debug", skip_all)]
pub async fn for_one_click(
    state: &AppState,
    organization_id: &str,
    template_id: &str,
    integration_id: &str,
    version: &IntegrationVersion,
) -> ApiResult<Template> {
    store::templates::get(&state.store, organization_id, template_id)
        .await?
        .filter(|t| {
            t.status == TemplateStatus::Approved
                && t.integration_id == integration_id
                && t.version == version.version.to_string()
        })
        .ok_or(ApiError::NotFound("workflow template"))
}

/// The config of a one-click activation: the template's and the customer's connections
/// (core's `one_click_config`; paths under `/connections`).
pub fn one_click_config(
    template: &Template,
    connections: &serde_json::Map<String, serde_json::Value>,
    spec: &CompiledSpec,
) -> ApiResult<serde_json::Map<String, serde_json::Value>> {
    template::one_click_config(&template.config, connections, spec).map_err(ApiError::Validation)
}
