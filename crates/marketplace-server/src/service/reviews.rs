//! Reviews: customers who subscribed review an integration once and edit their review (a
//! follow-up after coming back); the vendor responds and disputes negative ones; a reviewer's
//! key decides disputes.

use crate::error::{ApiError, ApiResult};
use crate::service::auth::{Admin, Decider};
use crate::service::state::AppState;
use crate::store::reviews::{Dispute, Review, ReviewFilter};
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::api_key::{Submitter, SubmitterKind, may_decide};
use marketplace_core::commerce::review::{
    DisputeRefusal, may_dispute, parse_decision, parse_review, parse_text,
};
use marketplace_core::commerce::{DisputeStatus, ReviewPrompt, review_prompt};
use marketplace_core::event::{Event, EventType};
use serde_json::{Value, json};

/// The event of a review's change (never its text: the customer's words stay in the review).
fn event(event_type: EventType, review: &Review, at: i64) -> Event {
    Event {
        event_type,
        at,
        customer_id: Some(review.customer_id.as_str().into()),
        integration_id: Some(review.integration_id.as_str().into()),
        instance_id: None,
        data: json!({
            "review_id": review.id,
            "rating": review.rating,
            "returned": review.returned,
            "dispute": review.dispute.as_ref().map(|d| d.status.as_str()),
        }),
    }
}

/// Stores a changed review and its event (and moves the catalog on after a customer's edit).
async fn save(
    state: &AppState,
    organization_id: &str,
    review: &Review,
    event_type: EventType,
) -> ApiResult<()> {
    // A customer's edit may change the rating the catalog shows: the catalog moves on.
    let rated = event_type == EventType::ReviewUpdated;
    let mut tx = state.store.begin().await?;
    store::reviews::update(&mut tx, review).await?;
    store::events::record(
        &mut tx,
        organization_id,
        &event(event_type, review, review.updated_at),
    )
    .await?;
    if rated {
        crate::service::catalog::bump(&mut tx, organization_id).await?;
    }
    tx.commit().await?;
    if rated {
        state.catalogs.invalidate(organization_id);
    }
    state.deliveries.wake.notify_one();
    Ok(())
}

/// A customer's review of an integration in its catalog: subscribers only (403
/// `not_a_subscriber`), once (409 `review_exists`).
#[tracing::instrument(name = "reviews::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    integration_id: &str,
    body: &Value,
) -> ApiResult<Review> {
    let change = parse_review(body, true, false).map_err(ApiError::Validation)?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let history =
        store::subscriptions::history(tx.conn().await?, customer_id, integration_id).await?;
    if history.is_empty() {
        return Err(ApiError::forbidden(
            "not_a_subscriber",
            "only a customer who subscribed to the integration reviews it",
        ));
    }
    let review = Review {
        id: new_id("rev"),
        customer_id: customer_id.to_owned(),
        integration_id: integration_id.to_owned(),
        rating: change.rating.unwrap_or(1),
        text: change.text.unwrap_or_default(),
        returned: false,
        follow_up: None,
        response: None,
        dispute: None,
        created_at: now,
        updated_at: now,
    };
    if !store::reviews::insert(&mut tx, organization_id, &review).await? {
        return Err(ApiError::conflict(
            "review_exists",
            "the customer has reviewed this integration: edit that review",
        ));
    }
    store::events::record(
        &mut tx,
        organization_id,
        &event(EventType::ReviewCreated, &review, now),
    )
    .await?;
    // The catalog shows each integration's rating.
    crate::service::catalog::bump(&mut tx, organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(organization_id);
    state.deliveries.wake.notify_one();
    Ok(review)
}

/// The customer edits its own review (another's is 404): rating and text, and a follow-up once
/// it came back (422 `/follow_up` `not_editable` before).
#[tracing::instrument(name = "reviews::edit", level = "debug", skip_all)]
pub async fn edit(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
    body: &Value,
) -> ApiResult<Review> {
    let mut review = get(state, organization_id, id).await?;
    if review.customer_id != customer_id {
        return Err(ApiError::NotFound("review"));
    }
    let change = parse_review(body, false, review.returned).map_err(ApiError::Validation)?;
    if let Some(rating) = change.rating {
        review.rating = rating;
    }
    if let Some(text) = change.text {
        review.text = text;
    }
    if let Some(follow_up) = change.follow_up {
        review.follow_up = Some(follow_up);
    }
    review.updated_at = now_ms();
    save(state, organization_id, &review, EventType::ReviewUpdated).await?;
    Ok(review)
}

/// One of the organization's reviews.
#[tracing::instrument(name = "reviews::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<Review> {
    store::reviews::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("review"))
}

/// A page of the organization's reviews.
#[tracing::instrument(name = "reviews::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &ReviewFilter,
    page: &PageRequest,
) -> ApiResult<Page<Review>> {
    Ok(store::reviews::list(&state.store, organization_id, filter, page).await?)
}

/// The vendor's response to a review (replacing an earlier one).
#[tracing::instrument(name = "reviews::respond", level = "debug", skip_all)]
pub async fn respond(state: &AppState, admin: &Admin, id: &str, body: &Value) -> ApiResult<Review> {
    let text = parse_text(body, "text").map_err(ApiError::Validation)?;
    let mut review = get(state, &admin.organization_id, id).await?;
    let now = now_ms();
    review.response = Some((text, now));
    review.updated_at = now;
    save(
        state,
        &admin.organization_id,
        &review,
        EventType::ReviewResponded,
    )
    .await?;
    Ok(review)
}

/// The vendor disputes a negative review, once (409 `review_not_negative`, `dispute_exists`).
#[tracing::instrument(name = "reviews::dispute", level = "debug", skip_all)]
pub async fn dispute(state: &AppState, admin: &Admin, id: &str, body: &Value) -> ApiResult<Review> {
    let reason = parse_text(body, "reason").map_err(ApiError::Validation)?;
    let mut review = get(state, &admin.organization_id, id).await?;
    may_dispute(review.rating, review.dispute.is_some()).map_err(|refusal| match refusal {
        DisputeRefusal::NotNegative => ApiError::conflict(
            "review_not_negative",
            "only a negative review (rating 2 or less) is disputed",
        ),
        DisputeRefusal::Exists => {
            ApiError::conflict("dispute_exists", "the review has been disputed already")
        }
    })?;
    let now = now_ms();
    review.dispute = Some(Dispute {
        status: DisputeStatus::Pending,
        reason,
        notes: None,
        filed_by: admin.key_id.clone(),
        filed_at: now,
        decided_at: None,
    });
    review.updated_at = now;
    save(
        state,
        &admin.organization_id,
        &review,
        EventType::ReviewDisputed,
    )
    .await?;
    Ok(review)
}

/// A reviewer's key accepts or rejects a pending dispute (409 `dispute_not_pending`; 403
/// `self_review` for the key that filed it).
#[tracing::instrument(name = "reviews::decide", level = "debug", skip_all)]
pub async fn decide(
    state: &AppState,
    decider: &Decider,
    id: &str,
    body: &Value,
) -> ApiResult<Review> {
    let (accept, notes) = parse_decision(body).map_err(ApiError::Validation)?;
    let mut review = get(state, &decider.organization_id, id).await?;
    let Some(dispute) = review
        .dispute
        .as_mut()
        .filter(|d| d.status == DisputeStatus::Pending)
    else {
        return Err(ApiError::conflict(
            "dispute_not_pending",
            "the review has no pending dispute",
        ));
    };
    let filer = Submitter {
        kind: SubmitterKind::Organization,
        id: dispute.filed_by.clone(),
    };
    if !may_decide(&decider.key_id, &filer) {
        return Err(ApiError::forbidden(
            "self_review",
            "a dispute is decided by another API key than the one that filed it",
        ));
    }
    let now = now_ms();
    dispute.status = if accept {
        DisputeStatus::Accepted
    } else {
        DisputeStatus::Rejected
    };
    dispute.notes = Some(notes);
    dispute.decided_at = Some(now);
    review.updated_at = now;
    save(
        state,
        &decider.organization_id,
        &review,
        EventType::ReviewDisputeDecided,
    )
    .await?;
    Ok(review)
}

/// The reviews of an integration, for its customers (authors not named), and its rating:
/// the average (one decimal) and the count.
#[tracing::instrument(name = "reviews::of_integration", level = "debug", skip_all)]
pub async fn of_integration(state: &AppState, integration_id: &str) -> ApiResult<Vec<Review>> {
    Ok(store::reviews::of_integration(&state.store, integration_id).await?)
}

/// What the integration's detail asks the customer for.
#[tracing::instrument(name = "reviews::prompt", level = "debug", skip_all)]
pub async fn prompt(
    state: &AppState,
    customer_id: &str,
    integration_id: &str,
    paid: bool,
) -> ApiResult<Option<ReviewPrompt>> {
    let mut conn = state.store.read().await?;
    let subscribed = !store::subscriptions::history(&mut conn, customer_id, integration_id)
        .await?
        .is_empty();
    drop(conn);
    let review = store::reviews::of_customer(&state.store, customer_id, integration_id).await?;
    Ok(review_prompt(
        paid,
        subscribed,
        review.map(|r| (r.returned, r.follow_up.is_some())),
    ))
}
