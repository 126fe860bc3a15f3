//! `/api/v1/deliveries`: every notification of an event to a vendor, its attempts, dead letters
//! (`?status=dead`) and redelivery.

use crate::error::ApiResult;
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::time::{parse_rfc3339, rfc3339};
use crate::http::{List, page_of, page_request};
use crate::service::auth::Admin;
use crate::service::deliveries;
use crate::service::state::AppState;
use crate::store::deliveries::{Attempt, DeliveryFilter, DeliveryRecord};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::deliveries::{
    AttemptView, DeadReason, DeliveryDetail, DeliveryQuery, DeliveryResult, DeliveryStatus,
    DeliveryView,
};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(redeliver))
}

fn attempt_view(a: Attempt) -> AttemptView {
    AttemptView {
        at: rfc3339(a.at),
        revision: a.revision,
        url: a.url,
        http_status: a.http_status,
        latency_ms: a.latency_ms,
        error: a.error,
        response_excerpt: a.response_excerpt,
    }
}

fn result_view(text: &str) -> Option<DeliveryResult> {
    let v: Value = serde_json::from_str(text).ok()?;
    let text_of = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    Some(DeliveryResult {
        success: v.get("success")?.as_bool()?,
        message: text_of("message"),
        error_code: text_of("error_code"),
        account_identifier: text_of("account_identifier"),
        at: rfc3339(v.get("at")?.as_i64()?),
    })
}

fn view(d: DeliveryRecord) -> DeliveryView {
    let status = DeliveryStatus::from_wire(&d.status);
    DeliveryView {
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| rfc3339(d.next_attempt_at)),
        status,
        dead_reason: d.dead_reason.as_deref().map(DeadReason::from_wire),
        last_attempt: d
            .last_attempt
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .map(attempt_view),
        result: d.result.as_deref().and_then(result_view),
        id: d.id,
        event_id: d.event_id,
        event_type: d.event_type,
        event_configuration_id: d.event_configuration_id,
        customer_id: d.customer_id,
        instance_id: d.instance_id,
        url: d.url,
        attempt_count: d.attempt_count,
        created_at: rfc3339(d.created_at),
        updated_at: rfc3339(d.updated_at),
    }
}

/// List deliveries, newest first (`status=dead`: the dead letters).
#[utoipa::path(get, path = "/api/v1/deliveries", tag = "events", security(("api_key" = [])),
    params(DeliveryQuery), responses((status = 200, body = List<DeliveryView>)))]
async fn list_deliveries(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<List<DeliveryView>>> {
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let filter = DeliveryFilter {
        status: query.status.map(|s| s.as_str().to_owned()),
        event_id: query.event_id,
        event_type: query.event_type,
        instance_id: query.instance_id,
        event_configuration_id: query.event_configuration_id,
        since: parse_rfc3339("since", query.since.as_deref())?,
    };
    let list = deliveries::list(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(list, view)))
}

/// Get a delivery with every attempt.
#[utoipa::path(get, path = "/api/v1/deliveries/{id}", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 200, body = DeliveryDetail)))]
async fn get_delivery(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<DeliveryDetail>> {
    let (delivery, attempts) = deliveries::get(&state, &admin.organization_id, &id).await?;
    Ok(Json(DeliveryDetail {
        delivery: view(delivery),
        attempts: attempts.into_iter().map(attempt_view).collect(),
    }))
}

/// Deliver again (a dead letter, or a delivered event): pending at once, its retry window
/// restarted, the same `webhook-id` (409 `delivery_pending` while pending).
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/redeliver", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Delivery id")),
    responses((status = 202, body = DeliveryView)))]
async fn redeliver(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<DeliveryView>)> {
    let delivery = deliveries::redeliver(&state, &admin.organization_id, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(view(delivery))))
}
