//! A version's certification: `PUT .../versions/{version}/applications`, `POST
//! .../versions/{version}/connection-test`, `GET .../versions/{version}/tier`, `POST
//! .../versions/{version}/certification-requests` (under `/api/v1/integrations/{id}`), and
//! `GET /api/v1/certification-requests[/{id}]`, `POST /api/v1/certification-requests/{id}/decision`
//! (an admin or reviewer key other than the requester's).

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::{Admin, Decider};
use crate::service::certification::{self, CertificationRequest, RequestFilter};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::certification::{
    CertificationRequestBody, CertificationRequestQuery, CertificationRequestView,
    ConnectionTestBody, ConnectionTestResult, SupportedApplication, TierView,
};
use marketplace_api::templates::{DecisionBody, TemplateDecisionView, TemplateStatus, Verdict};
use marketplace_core::template::{TemplateStatus as CoreStatus, Verdict as CoreVerdict};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_version_applications))
        .routes(routes!(run_connection_test))
        .routes(routes!(get_tier))
        .routes(routes!(create_certification_request))
        .routes(routes!(list_certification_requests))
        .routes(routes!(get_certification_request))
        .routes(routes!(decide_certification_request))
}

fn status(status: CoreStatus) -> TemplateStatus {
    match status {
        CoreStatus::Pending => TemplateStatus::Pending,
        CoreStatus::Approved => TemplateStatus::Approved,
        CoreStatus::Rejected => TemplateStatus::Rejected,
    }
}

/// The wire form of a certification request.
fn view(request: CertificationRequest) -> CertificationRequestView {
    CertificationRequestView {
        id: request.id,
        integration_id: request.integration_id,
        version: request.version,
        status: status(request.status),
        notes: request.notes,
        requested_by: request.requested_by,
        decision: request.decision.map(|d| TemplateDecisionView {
            decision: match d.decision {
                CoreVerdict::Approve => Verdict::Approve,
                CoreVerdict::Reject => Verdict::Reject,
            },
            notes: d.notes,
            decided_by: d.decided_by,
            decided_at: rfc3339(d.decided_at),
        }),
        created_at: rfc3339(request.created_at),
        updated_at: rfc3339(request.updated_at),
    }
}

/// Replace the application versions a version supports, published or not: `[{application_id,
/// versions}]`; an unknown application or version is 422 `invalid_reference` at
/// `/0/application_id` or `/0/versions/1`.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/versions/{version}/applications", tag = "certification",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Version")),
    request_body = Vec<SupportedApplication>, responses((status = 200, body = Vec<SupportedApplication>)))]
async fn put_version_applications(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<Vec<SupportedApplication>>> {
    let supported =
        certification::put_applications(&state, &admin.organization_id, &id, &version, &body)
            .await?;
    Ok(Json(supported.iter().map(Into::into).collect()))
}

/// Run the version's `connection_test` flow on one of its instances and wait up to 30 s for it
/// to end (else `passed: false`). A version naming no connection test is 422
/// `connection_test_missing`; an instance of another version is 422 `/instance_id`
/// `invalid_reference`; a deactivated one 409 `invalid_state`.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/connection-test", tag = "certification",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Version")),
    request_body = ConnectionTestBody, responses((status = 200, body = ConnectionTestResult)))]
async fn run_connection_test(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ConnectionTestResult>> {
    let body: ConnectionTestBody = decode(body)?;
    let outcome = certification::connection_test(
        &state,
        &admin.organization_id,
        &id,
        &version,
        &body.instance_id,
    )
    .await?;
    Ok(Json(ConnectionTestResult {
        passed: outcome.passed,
        execution_id: outcome.execution_id,
        at: rfc3339(outcome.at),
    }))
}

/// The version's certification tier now, with every check and what to do next where one fails.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}/tier", tag = "certification",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Version")),
    responses((status = 200, body = TierView)))]
async fn get_tier(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<TierView>> {
    let (report, at) =
        certification::tier_report(&state, &admin.organization_id, &id, &version).await?;
    Ok(Json(TierView {
        tier: report.tier.map(Into::into),
        checks: report.checks.iter().map(Into::into).collect(),
        evaluated_at: rfc3339(at),
    }))
}

/// Ask a reviewer to certify a published version (409 `version_draft`, `certification_pending`,
/// or `requirements_unmet` with the failing checks as `reasons`).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/certification-requests", tag = "certification",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "A published version")),
    request_body = CertificationRequestBody, responses((status = 201, body = CertificationRequestView)))]
async fn create_certification_request(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<CertificationRequestView>)> {
    let body: CertificationRequestBody = decode(body)?;
    let request = certification::request(&state, &admin, &id, &version, body.notes).await?;
    Ok((StatusCode::CREATED, Json(view(request))))
}

/// List certification requests (`?status=&integration_id=`), oldest first.
#[utoipa::path(get, path = "/api/v1/certification-requests", tag = "certification", security(("api_key" = [])),
    params(CertificationRequestQuery), responses((status = 200, body = List<CertificationRequestView>)))]
async fn list_certification_requests(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<CertificationRequestQuery>,
) -> ApiResult<Json<List<CertificationRequestView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let status = query
        .status
        .as_deref()
        .map(|s| {
            CoreStatus::from_name(s).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_query",
                    "status must be pending, approved or rejected",
                )
            })
        })
        .transpose()?;
    let filter = RequestFilter {
        status,
        integration_id: query.integration_id,
    };
    let page = certification::list_requests(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, view)))
}

/// Get a certification request.
#[utoipa::path(get, path = "/api/v1/certification-requests/{id}", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Certification request id")),
    responses((status = 200, body = CertificationRequestView)))]
async fn get_certification_request(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CertificationRequestView>> {
    let request = certification::get_request(&state, &admin.organization_id, &id).await?;
    Ok(Json(view(request)))
}

/// Approve or reject a pending certification request, with an admin or reviewer key other than
/// the one that filed it (403 `self_review`); once (409 `already_decided`); a rejection says
/// why (422 `/notes` `required`).
#[utoipa::path(post, path = "/api/v1/certification-requests/{id}/decision", tag = "certification", security(("api_key" = [])),
    params(("id" = String, Path, description = "Certification request id")), request_body = DecisionBody,
    responses((status = 200, body = CertificationRequestView)))]
async fn decide_certification_request(
    State(state): State<AppState>,
    decider: Decider,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<CertificationRequestView>> {
    let body: DecisionBody = decode(body)?;
    let verdict = match body.decision {
        Verdict::Approve => CoreVerdict::Approve,
        Verdict::Reject => CoreVerdict::Reject,
        _ => {
            return Err(ApiError::field(FieldError::new(
                "/decision",
                FieldErrorCode::Option,
                "decision must be approve or reject",
            )));
        }
    };
    let request = certification::decide(&state, &decider, &id, verdict, &body.notes).await?;
    Ok(Json(view(request)))
}
