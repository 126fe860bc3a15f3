//! Commerce, for the vendor's admins: subscriptions (list, get, import of past history),
//! reviews (list, get, respond, dispute, decide), the scoring policy and a listing's score.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::time::{parse_rfc3339, rfc3339};
use crate::http::{List, decode, page_of, page_request};
use crate::service::auth::{Admin, Decider};
use crate::service::state::AppState;
use crate::service::{marketplaces, reviews, scoring, subscriptions};
use crate::store::now_ms;
use crate::store::reviews::{Review, ReviewFilter};
use crate::store::subscriptions::{Subscription, SubscriptionFilter};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::commerce::{
    CancellationView, DecisionBody, DisputeBody, DisputeView, FactorItemView, FactorView,
    ImportBody, Imported, ResponseBody, ResponseView, ReviewQuery, ReviewView, ScoreQuery,
    ScoreView, ScoringPolicyView, SubscriptionQuery, SubscriptionView, ThresholdsView,
};
use marketplace_core::commerce::review::is_negative;
use marketplace_core::commerce::scoring::counts_against;
use marketplace_core::commerce::{DisputeStatus, Score, ScoringPolicy, SubscriptionStatus};
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
        .routes(routes!(list_reviews))
        .routes(routes!(get_review))
        .routes(routes!(respond_to_review))
        .routes(routes!(dispute_review))
        .routes(routes!(decide_dispute))
}

/// The wire form of a review: for the admin API with its author and whether it counts against
/// the score now under `policy`; for customers (`None`) without either.
pub(crate) fn review_view(review: Review, policy: Option<&ScoringPolicy>) -> ReviewView {
    let admin = policy.map(|policy| {
        let counts = counts_against(&review.fact(), review.returned, policy, now_ms());
        (review.customer_id.clone(), counts)
    });
    ReviewView {
        negative: is_negative(review.rating),
        vendor_response: review.response.map(|(text, at)| ResponseView {
            text,
            at: rfc3339(at),
        }),
        dispute: review.dispute.map(|d| DisputeView {
            status: d.status.as_str().to_owned(),
            reason: d.reason,
            notes: d.notes,
            filed_at: rfc3339(d.filed_at),
            decided_at: d.decided_at.map(rfc3339),
        }),
        customer_id: admin.as_ref().map(|(customer, _)| customer.clone()),
        counts_against_score: admin.map(|(_, counts)| counts),
        mine: None,
        created_at: rfc3339(review.created_at),
        updated_at: rfc3339(review.updated_at),
        id: review.id,
        integration_id: review.integration_id,
        rating: review.rating,
        text: review.text,
        returned: review.returned,
        follow_up: review.follow_up,
    }
}

/// List the organization's reviews.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "commerce", security(("api_key" = [])),
    params(ReviewQuery), responses((status = 200, body = List<ReviewView>)))]
async fn list_reviews(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<List<ReviewView>>> {
    let dispute = match query.dispute.as_deref() {
        None => None,
        Some(name) => Some(DisputeStatus::from_name(name).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "dispute must be pending, accepted or rejected",
            )
        })?),
    };
    let filter = ReviewFilter {
        integration_id: query.integration_id.clone(),
        customer_id: query.customer_id.clone(),
        negative: query.negative,
        dispute,
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = reviews::list(&state, &admin.organization_id, &filter, &page).await?;
    let policy = scoring::policy(&state, &admin.organization_id).await?;
    Ok(Json(page_of(page, |r| review_view(r, Some(&policy)))))
}

/// Get a review.
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Review id")), responses((status = 200, body = ReviewView)))]
async fn get_review(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<ReviewView>> {
    let review = reviews::get(&state, &admin.organization_id, &id).await?;
    admin_review(&state, &admin.organization_id, review).await
}

/// A review in the admin form.
async fn admin_review(
    state: &AppState,
    organization_id: &str,
    review: Review,
) -> ApiResult<Json<ReviewView>> {
    let policy = scoring::policy(state, organization_id).await?;
    Ok(Json(review_view(review, Some(&policy))))
}

/// Respond to a review (replacing an earlier response).
#[utoipa::path(put, path = "/api/v1/reviews/{id}/response", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Review id")), request_body = ResponseBody,
    responses((status = 200, body = ReviewView)))]
async fn respond_to_review(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ReviewView>> {
    let review = reviews::respond(&state, &admin, &id, &body).await?;
    admin_review(&state, &admin.organization_id, review).await
}

/// Dispute a negative review, once (409 `review_not_negative`, `dispute_exists`): while pending
/// or once accepted it does not count against the score.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/dispute", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Review id")), request_body = DisputeBody,
    responses((status = 201, body = ReviewView)))]
async fn dispute_review(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<ReviewView>)> {
    let review = reviews::dispute(&state, &admin, &id, &body).await?;
    Ok((
        StatusCode::CREATED,
        admin_review(&state, &admin.organization_id, review).await?,
    ))
}

/// Accept or reject a pending dispute (a reviewer's or another admin's key: 403 `self_review`
/// for the key that filed it; 409 `dispute_not_pending`).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/dispute/decision", tag = "commerce", security(("api_key" = [])),
    params(("id" = String, Path, description = "Review id")), request_body = DecisionBody,
    responses((status = 200, body = ReviewView)))]
async fn decide_dispute(
    State(state): State<AppState>,
    decider: Decider,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ReviewView>> {
    let review = reviews::decide(&state, &decider, &id, &body).await?;
    admin_review(&state, &decider.organization_id, review).await
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

/// The organization's scoring policy (the defaults until it sets one).
#[utoipa::path(get, path = "/api/v1/scoring-policy", tag = "commerce", security(("api_key" = [])),
    responses((status = 200, body = ScoringPolicyView)))]
async fn get_scoring_policy(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<ScoringPolicyView>> {
    let policy = scoring::policy(&state, &admin.organization_id).await?;
    Ok(Json(policy.into()))
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
    let policy = ScoringPolicy::from(view);
    scoring::put_policy(&state, &admin.organization_id, &policy).await?;
    Ok(Json(policy.into()))
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
                code: f.code.as_str().to_owned(),
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
