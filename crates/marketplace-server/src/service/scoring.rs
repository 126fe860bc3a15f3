//! Scoring: the organization's policy, and a listing's score computed by core from the facts
//! the store holds (the listed version's declared applications and their releases, the
//! integration's subscriptions in the marketplace).

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use marketplace_core::commerce::{ApplicationFact, Score, ScoreFacts, ScoringPolicy, score};
use marketplace_core::event::{Event, EventType};
use serde_json::json;

/// The organization's scoring policy, and when it was last set (`None`: never, the default).
#[tracing::instrument(name = "scoring::policy", level = "debug", skip_all)]
pub async fn policy(
    state: &AppState,
    organization_id: &str,
) -> ApiResult<(ScoringPolicy, Option<i64>)> {
    Ok(store::subscriptions::policy(&state.store, organization_id).await?)
}

/// Replaces the organization's scoring policy (422 with every problem core finds); records
/// `scoring_policy.updated`.
#[tracing::instrument(name = "scoring::put_policy", level = "debug", skip_all)]
pub async fn put_policy(
    state: &AppState,
    organization_id: &str,
    policy: &ScoringPolicy,
) -> ApiResult<i64> {
    let errors = policy.check();
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::subscriptions::put_policy(&mut tx, organization_id, policy, now).await?;
    let event = Event {
        event_type: EventType::ScoringPolicyUpdated,
        at: now,
        customer_id: None,
        integration_id: None,
        instance_id: None,
        data: json!({ "policy": policy }),
    };
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(now)
}

/// The score of a marketplace's listing at `at` under the organization's policy, with that
/// policy (404 for a listing the marketplace does not have).
#[tracing::instrument(name = "scoring::score_listing", level = "debug", skip_all)]
pub async fn score_listing(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
    at: i64,
) -> ApiResult<(Score, ScoringPolicy)> {
    let listing = store::listings::get(
        &state.store,
        organization_id,
        marketplace_id,
        integration_id,
    )
    .await?
    .ok_or(ApiError::NotFound("listing"))?;
    let version = listing.listing.version.to_string();
    let document = store::integrations::get_version(&state.store, integration_id, &version)
        .await?
        .map(|v| v.document)
        .unwrap_or_default();
    let known = store::applications::all(&state.store, organization_id).await?;
    let applications = document
        .applications
        .iter()
        .filter_map(|declared| {
            let application = known.iter().find(|a| a.id == declared.application_id)?;
            Some(ApplicationFact {
                id: application.id.to_string(),
                name: application.name.clone(),
                versions: application
                    .versions
                    .iter()
                    .filter_map(|v| Some((v.name.clone(), date_ms(&v.released_on)?)))
                    .collect(),
                supported: declared.versions.clone(),
            })
        })
        .collect();
    let facts = ScoreFacts {
        applications,
        reviews: Vec::new(),
        subscriptions: store::subscriptions::facts(&state.store, marketplace_id, integration_id)
            .await?,
    };
    let (policy, _) = policy(state, organization_id).await?;
    Ok((score(&facts, &policy, at), policy))
}

/// A `YYYY-MM-DD` release date as the Unix ms of its midnight (UTC).
fn date_ms(date: &str) -> Option<i64> {
    let day = time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE).ok()?;
    let midnight = day.midnight().assume_utc();
    i64::try_from(midnight.unix_timestamp_nanos() / 1_000_000).ok()
}
