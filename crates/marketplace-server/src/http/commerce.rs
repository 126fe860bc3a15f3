//! Commerce, for the vendor's admins: subscriptions (list, get, import of past history), the
//! scoring policy and a listing's score.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::time::{parse_rfc3339, rfc3339};
use crate::http::{List, decode, page_of, page_request};
use crate::service::auth::Admin;
use crate::service::state::AppState;
use crate::service::{marketplaces, scoring, subscriptions};
use crate::store::now_ms;
use crate::store::subscriptions::{Subscription, SubscriptionFilter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::commerce::{
    CancellationView, FactorItemView, FactorView, ImportBody, Imported, ScoreQuery, ScoreView,
    ScoringPolicyView, SubscriptionQuery, SubscriptionView, ThresholdsView,
};
use marketplace_core::commerce::{Score, ScoringPolicy, SubscriptionStatus};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions))
        .routes(routes!(get_subscription))
        .routes(routes!(import_subscriptions))
        .routes(routes!(get_scoring_policy, put_scoring_policy))
        .routes(routes!(get_score))
}

/// The wire form of a subscription.
pub(crate) fn subscription_view(s: Subscription) -> SubscriptionView {
    SubscriptionView {
        pricing: s.pricing.as_ref().map(Into::into),
        status: s.status.as_str().to_owned(),
        subscribed_at: rfc3339(s.subscribed_at),
        cancelled_at: s.cancelled.map(|(at, _)| rfc3339(at)),
        cancelled_by: s.cancelled.map(|(_, by)| by.as_str().to_owned()),
        cancellation: s.cancellation.map(|c| CancellationView {
            reason: c.reason.as_str().to_owned(),
            comment: c.comment,
        }),
        updated_at: rfc3339(s.updated_at),
        id: s.id,
        customer_id: s.customer_id,
        marketplace_id: s.marketplace_id,
        integration_id: s.integration_id,
        instance_id: s.instance_id,
        returning: s.returning,
        imported: s.imported,
    }
}

/// List the organization's subscriptions.
#[utoipa::path(get, path = "/api/v1/subscriptions", tag = "commerce", security(("api_key" = [])),
    params(SubscriptionQuery), responses((status = 200, body = List<SubscriptionView>)))]
async fn list_subscriptions(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<SubscriptionQuery>,
) -> ApiResult<Json<List<SubscriptionView>>> {
    let status = match query.status.as_deref() {
        None => None,
        Some(name) => Some(SubscriptionStatus::from_name(name).ok_or_else(|| {
            ApiError::bad_request("invalid_query", "status must be active or cancelled")
        })?),
    };
    let filter = SubscriptionFilter {
        customer_id: query.customer_id.clone(),
        integration_id: query.integration_id.clone(),
        marketplace_id: query.marketplace_id.clone(),
        status,
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = subscriptions::list(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, subscription_view)))
}

/// Get a subscription.
#[utoipa::path(get, path = "/api/v1/subscriptions/{id}", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Subscription id")), responses((status = 200, body = SubscriptionView)))]
async fn get_subscription(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SubscriptionView>> {
    let found = subscriptions::get(&state, &admin.organization_id, &id).await?;
    Ok(Json(subscription_view(found)))
}

/// Import past subscriptions (history from another system), all or none: every problem named
/// by its path (`/items/3/cancelled_at` `max` for a time after now, `min` before
/// `subscribed_at`).
#[utoipa::path(post, path = "/api/v1/subscriptions/import", tag = "commerce", security(("api_key" = [])),
    request_body = ImportBody, responses((status = 201, body = Imported)))]
async fn import_subscriptions(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<Imported>)> {
    let imported = subscriptions::import(&state, &admin.organization_id, &body).await?;
    Ok((StatusCode::CREATED, Json(Imported { imported })))
}

/// The wire form of a policy.
fn policy_view(policy: ScoringPolicy) -> ScoringPolicyView {
    ScoringPolicyView {
        unsupported_version_points: policy.unsupported_version_points,
        negative_review_points: policy.negative_review_points,
        negative_review_window_days: policy.negative_review_window_days,
        cancellation_period_days: policy.cancellation_period_days,
        cancellation_count: policy.cancellation_count,
        cancellation_percent: policy.cancellation_percent,
        cancellation_percent_from: policy.cancellation_percent_from,
        excessive_cancellation_points: policy.excessive_cancellation_points,
        misrepresentation_points: policy.misrepresentation_points,
        external_search_threshold: policy.external_search_threshold,
        delist_threshold: policy.delist_threshold,
    }
}

/// The organization's scoring policy (the defaults until it sets one).
#[utoipa::path(get, path = "/api/v1/scoring-policy", tag = "commerce", security(("api_key" = [])),
    responses((status = 200, body = ScoringPolicyView)))]
async fn get_scoring_policy(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<ScoringPolicyView>> {
    let (policy, _) = scoring::policy(&state, &admin.organization_id).await?;
    Ok(Json(policy_view(policy)))
}

/// Replace the scoring policy (every field; `/delist_threshold` `max` above the external search
/// threshold).
#[utoipa::path(put, path = "/api/v1/scoring-policy", tag = "commerce", security(("api_key" = [])),
    request_body = ScoringPolicyView, responses((status = 200, body = ScoringPolicyView)))]
async fn put_scoring_policy(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ScoringPolicyView>> {
    let view: ScoringPolicyView = decode(body)?;
    let policy = ScoringPolicy {
        unsupported_version_points: view.unsupported_version_points,
        negative_review_points: view.negative_review_points,
        negative_review_window_days: view.negative_review_window_days,
        cancellation_period_days: view.cancellation_period_days,
        cancellation_count: view.cancellation_count,
        cancellation_percent: view.cancellation_percent,
        cancellation_percent_from: view.cancellation_percent_from,
        excessive_cancellation_points: view.excessive_cancellation_points,
        misrepresentation_points: view.misrepresentation_points,
        external_search_threshold: view.external_search_threshold,
        delist_threshold: view.delist_threshold,
    };
    scoring::put_policy(&state, &admin.organization_id, &policy).await?;
    Ok(Json(policy_view(policy)))
}

/// The wire form of a score.
fn score_view(score: Score, policy: &ScoringPolicy, at: i64) -> ScoreView {
    ScoreView {
        score: score.score,
        visibility: score.visibility.into(),
        factors: score
            .factors
            .into_iter()
            .map(|f| FactorView {
                code: serde_json::to_value(f.code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                points: f.points,
                count: f.count,
                items: f
                    .items
                    .into_iter()
                    .map(|i| FactorItemView {
                        id: i.id,
                        detail: i.detail,
                    })
                    .collect(),
            })
            .collect(),
        thresholds: ThresholdsView {
            external_search: policy.external_search_threshold,
            delist: policy.delist_threshold,
        },
        evaluated_at: rfc3339(at),
    }
}

/// A listing's score: 100 minus what each factor deducts under the policy, and the visibility
/// it gives (`?at=` scores at another time).
#[utoipa::path(get, path = "/api/v1/marketplaces/{id}/listings/{integration_id}/score", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), ("integration_id" = String, Path, description = "Integration id"), ScoreQuery),
    responses((status = 200, body = ScoreView)))]
async fn get_score(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((marketplace_id, integration_id)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ScoreQuery>,
) -> ApiResult<Json<ScoreView>> {
    marketplaces::get(&state, &admin.organization_id, &marketplace_id).await?;
    let at = parse_rfc3339("at", query.at.as_deref())?.unwrap_or_else(now_ms);
    let (score, policy) = scoring::score_listing(
        &state,
        &admin.organization_id,
        &marketplace_id,
        &integration_id,
        at,
    )
    .await?;
    Ok(Json(score_view(score, &policy, at)))
}
