//! Scoring: the organization's policy, and a listing's score computed by core from the facts
//! the store holds (the listed version's declared applications and their releases, the
//! integration's reviews, its subscriptions in the marketplace).

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use marketplace_core::certification::Application;
use marketplace_core::commerce::{ApplicationFact, Score, ScoreFacts, ScoringPolicy, score};
use marketplace_core::event::{Event, EventType};
use serde_json::json;

/// The organization's scoring policy (the default until it sets one).
#[tracing::instrument(name = "scoring::policy", level = "debug", skip_all)]
pub async fn policy(state: &AppState, organization_id: &str) -> ApiResult<ScoringPolicy> {
    Ok(store::subscriptions::policy(&state.store, organization_id).await?)
}

/// Replaces the organization's scoring policy (422 with every problem core finds); records
/// `scoring_policy.updated`.
#[tracing::instrument(name = "scoring::put_policy", level = "debug", skip_all)]
pub async fn put_policy(
    state: &AppState,
    organization_id: &str,
    policy: &ScoringPolicy,
) -> ApiResult<()> {
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
    Ok(())
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
    let organization = Organization::read(state, organization_id).await?;
    let scored = organization
        .score(
            state,
            marketplace_id,
            integration_id,
            &listing.listing.version.to_string(),
            at,
        )
        .await?;
    Ok((scored, organization.policy))
}

/// What scoring reads once per organization: its policy and its applications.
struct Organization {
    policy: ScoringPolicy,
    applications: Vec<Application>,
}

impl Organization {
    async fn read(state: &AppState, organization_id: &str) -> ApiResult<Self> {
        Ok(Self {
            policy: policy(state, organization_id).await?,
            applications: store::applications::all(&state.store, organization_id).await?,
        })
    }

    /// The score of the listing of `version` of the integration in the marketplace, from the
    /// facts the store holds.
    async fn score(
        &self,
        state: &AppState,
        marketplace_id: &str,
        integration_id: &str,
        version: &str,
        at: i64,
    ) -> ApiResult<Score> {
        let document = store::integrations::get_version(&state.store, integration_id, version)
            .await?
            .map(|v| v.document)
            .unwrap_or_default();
        let applications = document
            .applications
            .iter()
            .filter_map(|declared| {
                let application = self
                    .applications
                    .iter()
                    .find(|a| a.id == declared.application_id)?;
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
        let (subscriptions, uncancelled) =
            store::subscriptions::facts(&state.store, marketplace_id, integration_id, at).await?;
        let facts = ScoreFacts {
            applications,
            reviews: store::reviews::of_integration(&state.store, integration_id)
                .await?
                .iter()
                .map(store::reviews::Review::fact)
                .collect(),
            subscriptions,
            uncancelled,
        };
        Ok(score(&facts, &self.policy, at))
    }
}

/// A `YYYY-MM-DD` release date as the Unix ms of its midnight (UTC).
fn date_ms(date: &str) -> Option<i64> {
    let day = time::Date::parse(date, &time::format_description::well_known::Iso8601::DATE).ok()?;
    let midnight = day.midnight().assume_utc();
    i64::try_from(midnight.unix_timestamp_nanos() / 1_000_000).ok()
}

/// Scores every listing every `--rescore-interval-s` seconds, moving those whose score crossed a
/// threshold (a task of every serving process; a move is made once, by whichever process gets
/// there first). Returns at once when the interval is 0.
pub async fn run_rescorer(state: AppState) {
    let seconds = state.settings.rescore_interval_s;
    if seconds == 0 {
        return;
    }
    let interval = std::time::Duration::from_secs(seconds);
    loop {
        tokio::time::sleep(interval).await;
        let started = std::time::Instant::now();
        let result = rescore(&state, now_ms()).await;
        crate::telemetry::rescored(started.elapsed());
        if let Err(error) = result {
            tracing::warn!(%error, "scoring the listings failed");
        }
    }
}

/// Scores every listing at `now` and moves each whose visibility changed (a listing hidden from
/// external search leaves the partner catalog; a delisted one leaves the marketplace, its
/// instances keep running): the catalog version is bumped and `listing.updated` recorded with
/// the new visibility and score. How many listings moved.
#[tracing::instrument(name = "scoring::rescore", level = "debug", skip_all)]
pub async fn rescore(state: &AppState, now: i64) -> ApiResult<usize> {
    let mut moved = 0;
    // Listings come by organization: its policy and applications are read once.
    let mut organization: Option<(String, Organization)> = None;
    for listed in store::listings::visibilities(&state.store).await? {
        let (organization_id, marketplace_id, integration_id, version, visibility) = listed;
        if organization
            .as_ref()
            .is_none_or(|(id, _)| *id != organization_id)
        {
            let read = Organization::read(state, &organization_id).await?;
            organization = Some((organization_id.clone(), read));
        }
        let Some((_, scoring)) = &organization else {
            continue;
        };
        let scored = scoring
            .score(state, &marketplace_id, &integration_id, &version, now)
            .await?;
        if scored.visibility == visibility {
            continue;
        }
        let mut tx = state.store.begin().await?;
        crate::service::catalog::bump(&mut tx, &organization_id).await?;
        if !store::listings::move_visibility(
            &mut tx,
            &marketplace_id,
            &integration_id,
            visibility,
            scored.visibility,
            now,
        )
        .await?
        {
            continue;
        }
        let event = Event::for_integration(
            EventType::ListingUpdated,
            &integration_id.as_str().into(),
            now,
            json!({"marketplace_id": marketplace_id, "visibility": scored.visibility.as_str(),
                   "score": scored.score}),
        );
        store::events::record(&mut tx, &organization_id, &event).await?;
        tx.commit().await?;
        state.catalogs.invalidate(&organization_id);
        state.deliveries.wake.notify_one();
        moved += 1;
    }
    Ok(moved)
}
