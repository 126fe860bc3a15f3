//! Workflow templates: `POST/GET /api/v1/integrations/{id}/versions/{version}/workflow-templates`,
//! `GET/DELETE /api/v1/workflow-templates/{id}`, `POST /api/v1/workflow-templates/{id}/decision`
//! (an admin or reviewer key other than the submitter's).

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::{Admin, Decider};
use crate::service::state::AppState;
use crate::service::templates::{self, Template};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::templates::{
    DecisionBody, SubmittedBy, SubmitterKind, TemplateCreate, TemplateDecisionView, TemplateStatus,
    TemplateSummary, TemplateView, Verdict,
};
use marketplace_core::api_key::SubmitterKind as CoreKind;
use marketplace_core::template::{
    TemplateInput, TemplateStatus as CoreStatus, Verdict as CoreVerdict,
};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::{Map, Value};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(get_template, delete_template))
        .routes(routes!(decide_template))
}

fn status(status: CoreStatus) -> TemplateStatus {
    match status {
        CoreStatus::Pending => TemplateStatus::Pending,
        CoreStatus::Approved => TemplateStatus::Approved,
        CoreStatus::Rejected => TemplateStatus::Rejected,
    }
}

fn verdict(verdict: CoreVerdict) -> Verdict {
    match verdict {
        CoreVerdict::Approve => Verdict::Approve,
        CoreVerdict::Reject => Verdict::Reject,
    }
}

fn overrides(template: &Template) -> Map<String, Value> {
    template
        .overrides
        .iter()
        .map(|(name, mappings)| {
            let mappings = serde_json::to_value(mappings).unwrap_or(Value::Null);
            (name.clone(), mappings)
        })
        .collect()
}

/// The wire form of a template.
pub fn view(template: Template) -> TemplateView {
    TemplateView {
        overrides: overrides(&template),
        id: template.id,
        integration_id: template.integration_id,
        version: template.version,
        name: template.name,
        description: template.description,
        config: template.config,
        flows: template.flows,
        status: status(template.status),
        submitted_by: SubmittedBy {
            kind: match template.submitted_by.kind {
                CoreKind::Organization => SubmitterKind::Organization,
                CoreKind::Partner => SubmitterKind::Partner,
            },
            id: template.submitted_by.id,
        },
        decision: template.decision.map(|d| TemplateDecisionView {
            decision: verdict(d.decision),
            notes: d.notes,
            decided_by: d.decided_by,
            decided_at: rfc3339(d.decided_at),
        }),
        created_at: rfc3339(template.created_at),
        updated_at: rfc3339(template.updated_at),
    }
}

/// The embedded detail's form of an approved template.
pub fn summary(template: Template, connections: Vec<String>) -> TemplateSummary {
    TemplateSummary {
        id: template.id,
        name: template.name,
        description: template.description,
        flows: template.flows,
        connections,
    }
}

/// Submit a workflow template of a published version; it waits for a decision (`pending`).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/workflow-templates", tag = "workflow templates",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "A published version")),
    request_body = TemplateCreate, responses((status = 201, body = TemplateView)))]
async fn create_template(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((integration_id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    let body: TemplateCreate = decode(body)?;
    let input = TemplateInput {
        name: body.name,
        description: body.description,
        config: body.config,
        flows: body.flows,
        overrides: body.overrides,
    };
    let template = templates::create(&state, &admin, &integration_id, &version, input).await?;
    Ok((StatusCode::CREATED, Json(view(template))))
}

/// List the workflow templates of a version.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}/workflow-templates", tag = "workflow templates",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Version"), PageQuery),
    responses((status = 200, body = List<TemplateView>)))]
async fn list_templates(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((integration_id, version)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<TemplateView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let page = templates::list(
        &state,
        &admin.organization_id,
        &integration_id,
        &version,
        &page,
    )
    .await?;
    Ok(Json(page_of(page, view)))
}

/// Get a workflow template.
#[utoipa::path(get, path = "/api/v1/workflow-templates/{id}", tag = "workflow templates", security(("api_key" = [])),
    params(("id" = String, Path, description = "Template id")), responses((status = 200, body = TemplateView)))]
async fn get_template(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(view(
        templates::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Delete a workflow template (instances made from it stay as they are).
#[utoipa::path(delete, path = "/api/v1/workflow-templates/{id}", tag = "workflow templates", security(("api_key" = [])),
    params(("id" = String, Path, description = "Template id")), responses((status = 204)))]
async fn delete_template(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    templates::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Approve or reject a pending template, with an admin or reviewer key other than the one that
/// submitted it (403 `self_review`); once (409 `already_decided`); a rejection says why.
#[utoipa::path(post, path = "/api/v1/workflow-templates/{id}/decision", tag = "workflow templates", security(("api_key" = [])),
    params(("id" = String, Path, description = "Template id")), request_body = DecisionBody,
    responses((status = 200, body = TemplateView)))]
async fn decide_template(
    State(state): State<AppState>,
    decider: Decider,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<TemplateView>> {
    let body: DecisionBody = decode(body)?;
    let decision = match body.decision {
        Verdict::Approve => CoreVerdict::Approve,
        Verdict::Reject => CoreVerdict::Reject,
        _ => {
            return Err(crate::error::ApiError::field(FieldError::new(
                "/decision",
                FieldErrorCode::Option,
                "decision must be approve or reject",
            )));
        }
    };
    let template = templates::decide(&state, &decider, &id, decision, &body.notes).await?;
    Ok(Json(view(template)))
}
