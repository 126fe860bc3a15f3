//! Delivering events to vendors: the worker that drains the outbox (`store::deliveries`), one
//! signed attempt (Standard Webhooks headers, OAuth2 bearer when configured, through the guarded
//! client), what an answer does (core's `delivery::decide`: success, retry, dead letter; for an
//! activation under `confirm`, the instance confirmed or failed), the vendor's results through
//! the result API, and the timeout of unanswered activations.

use crate::crypto::fill_random;
use crate::egress::{self, SendError};
use crate::error::{ApiError, ApiResult};
use crate::service::oauth_client::ClientCredentials;
use crate::service::state::AppState;
use crate::store::deliveries::{Attempt, Claimed, DeliveryFilter, DeliveryRecord, Settlement};
use crate::store::event_configurations::{Published, SigningSecret};
use crate::store::{self, Page, PageRequest, Tx, now_ms};
use marketplace_core::delivery::{
    AttemptOutcome, Decision, RetryPolicy, VendorAnswer, decide, sign,
};
use marketplace_core::event::{Event, EventType};
use marketplace_core::event_config::{EventSnapshot, OutboundAuth};
use marketplace_core::{Instance, InstanceStatus};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many attempts run at once in one process.
const CONCURRENCY: usize = 64;
/// Below this many deliveries a claim is small, and the worker waits [`CLAIM_LINGER`] before the
/// next one.
const CLAIM_BATCH_MIN: usize = 16;
/// How long the worker lets deliveries accumulate after a small claim (and the settler after a
/// small batch of outcomes).
const CLAIM_LINGER: Duration = Duration::from_millis(25);
/// How much of an answer is kept with an attempt.
const EXCERPT_BYTES: usize = 1024;
/// How much of an answer is read (to find the vendor's JSON answer).
const ANSWER_BYTES: usize = 64 * 1024;
/// How long a process trusts its copy of a configuration's published revision and secrets
/// (another process may have published since).
const CONFIG_TTL: Duration = Duration::from_secs(5);

/// Per-process copies of what attempts read for each configuration: its published revision and
/// its signing secrets. Writes in this process forget them; other processes' writes show after
/// [`CONFIG_TTL`].
#[derive(Debug, Default)]
pub struct DeliveryCache {
    configurations: Mutex<HashMap<String, (Instant, Arc<Target>)>>,
    /// Wakes the worker when a change may have enqueued a delivery.
    pub wake: tokio::sync::Notify,
}

/// A configuration as attempts use it.
#[derive(Debug)]
struct Target {
    published: Option<Published>,
    secrets: Vec<SigningSecret>,
}

/// Forgets this process's copy of a configuration (after a publish, rotation or delete).
pub fn forget_configuration(state: &AppState, id: &str) {
    if let Ok(mut map) = state.deliveries.configurations.lock() {
        map.remove(id);
    }
}

async fn target(state: &AppState, id: &str) -> ApiResult<Arc<Target>> {
    if let Ok(map) = state.deliveries.configurations.lock()
        && let Some((at, target)) = map.get(id)
        && at.elapsed() < CONFIG_TTL
    {
        return Ok(target.clone());
    }
    let target = Arc::new(Target {
        published: store::event_configurations::published(&state.store, id).await?,
        secrets: store::event_configurations::signing_secrets(&state.store, id).await?,
    });
    if let Ok(mut map) = state.deliveries.configurations.lock() {
        map.insert(id.to_owned(), (Instant::now(), target.clone()));
    }
    Ok(target)
}

/// The URL the vendor posts its answer to.
pub fn result_url(state: &AppState, event_id: &str) -> String {
    format!(
        "{}/api/v1/vendor/events/{event_id}/result",
        state.settings.public_url
    )
}

/// One request to a vendor.
#[derive(Debug)]
pub struct Outgoing<'a> {
    /// The configuration (signing secrets, token cache key).
    pub configuration_id: &'a str,
    /// The revision whose snapshot is used.
    pub revision: i64,
    /// Its snapshot (outbound authentication).
    pub snapshot: &'a EventSnapshot,
    /// Where.
    pub url: &'a str,
    /// The `webhook-id`.
    pub event_id: &'a str,
    /// The body.
    pub body: &'a Value,
}

/// Why an attempt got no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No answer within the timeout.
    Timeout,
    /// Connection refused, reset, TLS or DNS failure.
    Connection,
    /// The SSRF guard left no address.
    Blocked,
}

/// What one request got.
#[derive(Debug)]
pub struct Sent {
    /// The attempt as recorded.
    pub attempt: Attempt,
    /// The answer's `Retry-After`.
    pub retry_after: Option<String>,
    /// The answer's first bytes.
    pub body: Vec<u8>,
    /// Why no answer.
    pub failure: Option<Failure>,
}

impl Sent {
    /// The outcome as core's retry rule reads it.
    pub fn outcome(&self) -> AttemptOutcome<'_> {
        match (self.failure, self.attempt.http_status) {
            (Some(Failure::Timeout), _) => AttemptOutcome::Timeout,
            (Some(Failure::Blocked), _) => AttemptOutcome::Blocked,
            (Some(Failure::Connection), _) | (None, None) => AttemptOutcome::ConnectionError,
            (None, Some(status)) => AttemptOutcome::Response {
                status,
                retry_after: self.retry_after.as_deref(),
                body: &self.body,
            },
        }
    }

    /// The attempt as a ping's `last_test` (`at` in Unix ms).
    pub fn last_test(&self, at: i64) -> Value {
        let succeeded = self
            .attempt
            .http_status
            .is_some_and(|s| (200..300).contains(&s));
        json!({
            "at": at,
            "status": if succeeded { "succeeded" } else { "failed" },
            "http_status": self.attempt.http_status,
            "latency_ms": self.attempt.latency_ms,
            "response_excerpt": self.attempt.response_excerpt,
            "error": self.attempt.error,
        })
    }
}

/// The first `limit` bytes of an answer (the rest is not read).
async fn read_capped(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(limit);
    body
}

/// The excerpt kept of an answer: its first KiB as text.
fn excerpt(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    Some(String::from_utf8_lossy(cut).into_owned())
}

/// The signing secrets in force now (the current one, then a rotated one still co-signing).
fn live_secrets(secrets: &[SigningSecret], now: i64) -> Vec<&str> {
    secrets
        .iter()
        .filter(|s| s.expires_at.is_none_or(|at| at > now))
        .map(|s| s.secret.as_str())
        .collect()
}

/// Sends one signed request (one retry with a new token after a 401 under OAuth2); never
/// fails for the vendor's reasons, only for storage.
#[tracing::instrument(name = "deliveries::send", level = "debug", skip_all)]
pub async fn send(state: &AppState, out: &Outgoing<'_>) -> ApiResult<Sent> {
    let now = now_ms();
    let secrets =
        store::event_configurations::signing_secrets(&state.store, out.configuration_id).await?;
    send_with(state, out, &secrets, now).await
}

async fn send_with(
    state: &AppState,
    out: &Outgoing<'_>,
    secrets: &[SigningSecret],
    now: i64,
) -> ApiResult<Sent> {
    let body = serde_json::to_vec(out.body).unwrap_or_default();
    let started = Instant::now();
    let mut attempt = Attempt {
        at: now,
        revision: out.revision,
        url: out.url.to_owned(),
        http_status: None,
        latency_ms: 0,
        error: None,
        response_excerpt: None,
    };
    let fail = |mut attempt: Attempt, failure: Failure, error: String| {
        attempt.latency_ms = started.elapsed().as_millis() as i64;
        attempt.error = Some(error);
        Sent {
            attempt,
            retry_after: None,
            body: Vec::new(),
            failure: Some(failure),
        }
    };
    let url = match reqwest::Url::parse(out.url) {
        Ok(url) => url,
        Err(e) => return Ok(fail(attempt, Failure::Connection, format!("bad URL: {e}"))),
    };
    let timestamp = now / 1000;
    let signature = match sign(&live_secrets(secrets, now), out.event_id, timestamp, &body) {
        Ok(signature) => signature,
        Err(e) => {
            return Ok(fail(
                attempt,
                Failure::Connection,
                format!("cannot sign: {e}"),
            ));
        }
    };
    let mut retried_unauthorized = false;
    loop {
        let mut request = state
            .http
            .post(url.clone())
            .timeout(Duration::from_millis(state.settings.events.timeout_ms))
            .header("content-type", "application/json")
            .header("webhook-id", out.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", &signature)
            .body(body.clone());
        let token_key = (out.configuration_id, out.revision);
        if let OutboundAuth::Oauth2ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } = &out.snapshot.outbound_auth
        {
            let credentials = ClientCredentials {
                token_url,
                client_id,
                client_secret: client_secret.as_deref().unwrap_or_default(),
                scope: scope.as_deref(),
            };
            match state
                .oauth_tokens
                .token(&state.http, token_key, &credentials, now_ms())
                .await
            {
                Ok(token) => request = request.bearer_auth(token),
                Err(e) => {
                    let failure = if e.blocked {
                        Failure::Blocked
                    } else {
                        Failure::Connection
                    };
                    return Ok(fail(
                        attempt,
                        failure,
                        format!("no access token: {}", e.message),
                    ));
                }
            }
        }
        match egress::send(&state.http, request, state.settings.allow_private_targets).await {
            Ok(response) => {
                let status = response.status().as_u16();
                if status == 401
                    && !retried_unauthorized
                    && matches!(
                        out.snapshot.outbound_auth,
                        OutboundAuth::Oauth2ClientCredentials { .. }
                    )
                {
                    retried_unauthorized = true;
                    state.oauth_tokens.invalidate(token_key);
                    continue;
                }
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let body = read_capped(response, ANSWER_BYTES).await;
                attempt.latency_ms = started.elapsed().as_millis() as i64;
                attempt.http_status = Some(status);
                attempt.response_excerpt = excerpt(&body);
                return Ok(Sent {
                    attempt,
                    retry_after,
                    body,
                    failure: None,
                });
            }
            Err(SendError::Blocked(blocked)) => {
                return Ok(fail(attempt, Failure::Blocked, blocked.to_string()));
            }
            Err(e @ SendError::Request(_)) => {
                let timed_out = matches!(&e, SendError::Request(r) if r.is_timeout());
                let (failure, message) = if timed_out {
                    let limit = state.settings.events.timeout_ms;
                    (Failure::Timeout, format!("no answer within {limit} ms"))
                } else {
                    (Failure::Connection, format!("connection failed: {e}"))
                };
                return Ok(fail(attempt, failure, message));
            }
        }
    }
}

/// A random number in [0, 1] for the retry jitter.
pub(crate) fn jitter() -> f64 {
    let mut bytes = [0u8; 4];
    fill_random(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX)
}

/// Runs the delivery worker until the process ends: claims due deliveries (at most
/// [`CONCURRENCY`] in flight), attempts each, and fails activations the vendor left unanswered.
pub async fn run_worker(state: AppState) {
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let (outcomes, settler) = tokio::sync::mpsc::channel(SETTLE_BATCH * 4);
    tokio::spawn(run_settler(state.clone(), settler));
    let mut last_sweep = 0;
    // Unanswered activations are looked for every 10 s, or twice per timeout when shorter.
    let sweep_every = (state.settings.events.vendor_answer_timeout_s * 500).clamp(200, 10_000);
    loop {
        let now = now_ms();
        if now - last_sweep > sweep_every {
            last_sweep = now;
            if let Err(e) = fail_unanswered(&state, now).await {
                tracing::warn!(error = %e, "checking unanswered activations failed");
            }
        }
        let available = permits.available_permits();
        if available == 0 {
            drop(permits.clone().acquire_owned().await);
            continue;
        }
        // Two requests may go out in one attempt (a 401 under OAuth2 gets a new token).
        let lease_ms =
            state.settings.events.timeout_ms as i64 * 2 + state.settings.events.lease_margin_ms;
        let claimed =
            match store::deliveries::claim(&state.store, now, lease_ms, available as i64).await {
                Ok(claimed) => claimed,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
        if claimed.is_empty() {
            let due = store::deliveries::next_due(&state.store)
                .await
                .ok()
                .flatten();
            let wait = due.map_or(1000, |due| (due - now).clamp(5, 1000)) as u64;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
                _ = state.deliveries.wake.notified() => {}
            }
            continue;
        }
        // A small claim means deliveries trickle in: let a few accumulate before the next claim,
        // so claims (writes) stay few while requests share the single SQLite writer.
        let trickle = claimed.len() < available.min(CLAIM_BATCH_MIN);
        for delivery in claimed {
            let Ok(permit) = permits.clone().acquire_owned().await else {
                return;
            };
            let (state, outcomes) = (state.clone(), outcomes.clone());
            tokio::spawn(async move {
                let id = delivery.id.clone();
                match attempt(&state, delivery).await {
                    Ok(outcome) => {
                        let _ = outcomes.send(outcome).await;
                    }
                    Err(e) => {
                        tracing::warn!(delivery = %id, error = %e, "a delivery attempt failed")
                    }
                }
                drop(permit);
            });
        }
        if trickle {
            tokio::time::sleep(CLAIM_LINGER).await;
        }
    }
}

/// Attempts a claimed delivery; what the settler stores (with the instance it confirms or fails).
async fn attempt(state: &AppState, claimed: Claimed) -> ApiResult<Outcome> {
    let now = now_ms();
    let target = target(state, &claimed.event_configuration_id).await?;
    let event_type: Option<EventType> =
        serde_json::from_value(Value::String(claimed.event_type.clone())).ok();
    let url = match (&target.published, event_type) {
        (Some(published), Some(t)) => published.snapshot.url_for(t).map(str::to_owned),
        _ => None,
    };
    let (Some(published), Some(url)) = (&target.published, url) else {
        let attempt = Attempt {
            at: now,
            revision: target.published.as_ref().map_or(0, |p| p.revision),
            url: String::new(),
            http_status: None,
            latency_ms: 0,
            error: Some("the published configuration no longer delivers this type".into()),
            response_excerpt: None,
        };
        let settlement = Settlement {
            status: "dead",
            dead_reason: Some("rejected"),
            next_attempt_at: now,
            result: None,
        };
        return Ok(Outcome {
            claimed,
            attempt,
            settlement,
            instance: None,
        });
    };
    let mut body: Value = serde_json::from_str(&claimed.payload).unwrap_or_else(|_| json!({}));
    body["result_url"] = Value::String(result_url(state, &claimed.event_id));
    // Only an activation that was pending when it happened may await the vendor's answer: then
    // (and only then) the instance is read, to see whether it still does.
    let was_pending = event_type == Some(EventType::InstanceActivated)
        && body["data"]["instance"]["status"] == "pending";
    let instance = match (&claimed.instance_id, was_pending) {
        (Some(id), true) => {
            store::instances::get(&state.store, &claimed.organization_id, id).await?
        }
        _ => None,
    };
    let awaits_answer = instance
        .as_ref()
        .is_some_and(|i| i.status == InstanceStatus::Pending);
    let sent = send_with(
        state,
        &Outgoing {
            configuration_id: &claimed.event_configuration_id,
            revision: published.revision,
            snapshot: &published.snapshot,
            url: &url,
            event_id: &claimed.event_id,
            body: &body,
        },
        &target.secrets,
        now,
    )
    .await?;
    let decision = decide(
        &state.settings.events.policy(),
        claimed.attempt_count as u32 + 1,
        &sent.outcome(),
        awaits_answer,
        claimed.window_start,
        now_ms(),
        jitter(),
    );
    crate::telemetry::delivery_attempt(
        "event",
        match &decision {
            Decision::Succeeded { .. } => "succeeded",
            Decision::Retry { .. } => "retry",
            Decision::Dead(_) => "dead",
        },
    );
    let (settlement, settles) = match decision {
        Decision::Succeeded { answer, later } => {
            let settles = match (&answer, later, awaits_answer) {
                (Some(answer), false, true) => Some(answer.clone()),
                _ => None,
            };
            let settlement = Settlement {
                status: "succeeded",
                dead_reason: None,
                next_attempt_at: now,
                result: answer.map(|a| result_json(&a, now)),
            };
            (settlement, settles)
        }
        Decision::Retry { at_ms } => (
            Settlement {
                status: "pending",
                dead_reason: None,
                next_attempt_at: at_ms,
                result: None,
            },
            None,
        ),
        Decision::Dead(reason) => {
            let settles = awaits_answer.then(|| VendorAnswer {
                success: false,
                message: Some(format!(
                    "the vendor could not be notified ({}): {}",
                    reason.as_str(),
                    sent.attempt.error.clone().unwrap_or_else(|| format!(
                        "HTTP {}",
                        sent.attempt.http_status.unwrap_or_default()
                    ))
                )),
                error_code: Some(reason.as_str().to_owned()),
                account_identifier: None,
            });
            (
                Settlement {
                    status: "dead",
                    dead_reason: Some(reason.as_str()),
                    next_attempt_at: now,
                    result: None,
                },
                settles,
            )
        }
    };
    let settle_instance = settles.zip(instance);
    Ok(Outcome {
        claimed,
        attempt: sent.attempt,
        settlement,
        instance: settle_instance,
    })
}

/// The stored form of a vendor's answer.
fn result_json(answer: &VendorAnswer, at: i64) -> Value {
    json!({
        "success": answer.success,
        "message": answer.message,
        "error_code": answer.error_code,
        "account_identifier": answer.account_identifier,
        "at": at,
    })
}

/// An attempt's outcome, waiting to be stored by the settler.
#[derive(Debug)]
struct Outcome {
    claimed: Claimed,
    attempt: Attempt,
    settlement: Settlement,
    /// The pending instance the vendor's answer confirms or fails.
    instance: Option<(VendorAnswer, Instance)>,
}

/// How many outcomes one settling transaction stores at most.
const SETTLE_BATCH: usize = 256;

/// Stores outcomes as they come, many per transaction (the single SQLite writer is shared with
/// the requests); a batch that fails is stored again one outcome at a time, so one bad row holds
/// up no other. An outcome never stored leaves its delivery leased: it is attempted again when
/// the lease ends.
async fn run_settler(state: AppState, mut outcomes: tokio::sync::mpsc::Receiver<Outcome>) {
    let mut batch = Vec::with_capacity(SETTLE_BATCH);
    while outcomes.recv_many(&mut batch, SETTLE_BATCH).await > 0 {
        if batch.len() < CLAIM_BATCH_MIN {
            // Let a few more outcomes join this transaction.
            tokio::time::sleep(CLAIM_LINGER).await;
            while batch.len() < SETTLE_BATCH {
                match outcomes.try_recv() {
                    Ok(outcome) => batch.push(outcome),
                    Err(_) => break,
                }
            }
        }
        if let Err(e) = settle(&state, &batch).await {
            tracing::warn!(error = %e, count = batch.len(), "settling a batch failed; settling one by one");
            for outcome in &batch {
                if let Err(e) = settle(&state, std::slice::from_ref(outcome)).await {
                    tracing::warn!(delivery = %outcome.claimed.id, error = %e, "a delivery attempt failed to settle");
                }
            }
        }
        batch.clear();
    }
}

/// Records attempts and their settlements, the dead letters' events, and the instances the
/// answers settle, in one transaction; an outcome whose lease was lost changes nothing.
async fn settle(state: &AppState, outcomes: &[Outcome]) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    let mut customers = Vec::new();
    for Outcome {
        claimed,
        attempt,
        settlement,
        instance,
    } in outcomes
    {
        if !store::deliveries::settle(&mut tx, claimed, attempt, settlement).await? {
            continue;
        }
        if settlement.status == "dead" {
            let mut event = Event::for_organization(
                EventType::DeliveryDeadLettered,
                attempt.at,
                json!({
                    "delivery_id": claimed.id,
                    "event_id": claimed.event_id,
                    "event_type": claimed.event_type,
                    "event_configuration_id": claimed.event_configuration_id,
                    "dead_reason": settlement.dead_reason,
                }),
            );
            event.instance_id = claimed.instance_id.as_deref().map(Into::into);
            let event_id = store::events::record(&mut tx, &claimed.organization_id, &event).await?;
            crate::service::alerts::event_recorded(
                state,
                &mut tx,
                &claimed.organization_id,
                &event_id,
                &event,
            )
            .await?;
        }
        if let Some((answer, instance)) = instance {
            let organization_id = &claimed.organization_id;
            customers.extend(
                settle_instance(&mut tx, organization_id, instance, answer, attempt.at).await?,
            );
        }
    }
    tx.commit().await?;
    for customer_id in customers {
        state.catalogs.forget_customer(&customer_id);
    }
    Ok(())
}

/// Confirms or fails a pending instance by the vendor's answer, in `tx`; the customer whose
/// instance changed (none when it is no longer pending).
async fn settle_instance(
    tx: &mut Tx,
    organization_id: &str,
    instance: &Instance,
    answer: &VendorAnswer,
    now: i64,
) -> ApiResult<Option<String>> {
    let changed = if answer.success {
        instance.confirm(answer.account_identifier.clone(), now)
    } else {
        let message = answer
            .message
            .clone()
            .unwrap_or_else(|| "the vendor refused the activation".to_owned());
        instance.fail(message, now)
    };
    let Ok((next, event)) = changed else {
        return Ok(None);
    };
    if !store::instances::settle_pending(tx, &next).await? {
        return Ok(None);
    }
    store::events::record(tx, organization_id, &event).await?;
    if next.status == marketplace_core::InstanceStatus::Failed {
        // A refused activation never ran: the organization ends its subscription.
        let ending = crate::service::subscriptions::Ending::by_organization();
        crate::service::subscriptions::end(tx, organization_id, next.id.as_str(), &ending, now)
            .await?;
    }
    Ok(Some(next.customer_id.to_string()))
}

/// Fails activations still pending past `--vendor-answer-timeout-s`.
async fn fail_unanswered(state: &AppState, now: i64) -> ApiResult<()> {
    let cutoff = now - state.settings.events.vendor_answer_timeout_s * 1000;
    for (organization_id, instance) in
        store::instances::pending_before(&state.store, cutoff).await?
    {
        let answer = VendorAnswer {
            success: false,
            message: Some("the vendor did not answer the activation in time".into()),
            error_code: Some("vendor_timeout".into()),
            account_identifier: None,
        };
        let mut tx = state.store.begin().await?;
        let settled = settle_instance(&mut tx, &organization_id, &instance, &answer, now).await?;
        tx.commit().await?;
        if let Some(customer_id) = settled {
            state.catalogs.forget_customer(&customer_id);
        }
    }
    Ok(())
}

/// A page of the organization's deliveries.
#[tracing::instrument(name = "deliveries::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> ApiResult<Page<DeliveryRecord>> {
    Ok(store::deliveries::list(&state.store, organization_id, filter, page).await?)
}

/// A delivery with its attempts (404 when unknown).
#[tracing::instrument(name = "deliveries::get", level = "debug", skip_all)]
pub async fn get(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<(DeliveryRecord, Vec<Attempt>)> {
    let delivery = store::deliveries::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("delivery"))?;
    let attempts = store::deliveries::attempts(&state.store, id).await?;
    Ok((delivery, attempts))
}

/// Puts a settled delivery back in the queue, its window restarted and its `webhook-id` kept
/// (409 `delivery_pending` while it is pending).
#[tracing::instrument(name = "deliveries::redeliver", level = "debug", skip_all)]
pub async fn redeliver(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<DeliveryRecord> {
    get(state, organization_id, id).await?;
    let mut tx = state.store.begin().await?;
    let restarted = store::deliveries::redeliver(&mut tx, id, now_ms()).await?;
    tx.commit().await?;
    if !restarted {
        return Err(ApiError::conflict(
            "delivery_pending",
            "the delivery is still pending: it will be attempted again",
        ));
    }
    state.deliveries.wake.notify_one();
    Ok(get(state, organization_id, id).await?.0)
}

/// The event payload sent to a configuration (404 when the event was not sent to it).
#[tracing::instrument(name = "deliveries::vendor_event", level = "debug", skip_all)]
pub async fn vendor_event(
    state: &AppState,
    configuration_id: &str,
    event_id: &str,
) -> ApiResult<Value> {
    let delivery = store::deliveries::by_event(&state.store, configuration_id, event_id)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    let mut payload = store::deliveries::payload(&state.store, &delivery.id)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    payload["result_url"] = Value::String(result_url(state, event_id));
    Ok(payload)
}

/// Records the vendor's result of an event sent to its configuration: the same result again is
/// accepted, another one is 409 `result_recorded`; for an activation under `confirm` still
/// pending, it confirms or fails the instance.
#[tracing::instrument(name = "deliveries::record_result", level = "debug", skip_all)]
pub async fn record_result(
    state: &AppState,
    configuration_id: &str,
    organization_id: &str,
    event_id: &str,
    answer: &VendorAnswer,
) -> ApiResult<()> {
    let delivery = store::deliveries::by_event(&state.store, configuration_id, event_id)
        .await?
        .ok_or(ApiError::NotFound("event"))?;
    if let Some(recorded) = &delivery.result {
        let recorded: Value = serde_json::from_str(recorded).unwrap_or_default();
        let same = recorded["success"] == json!(answer.success)
            && recorded["message"] == json!(answer.message)
            && recorded["error_code"] == json!(answer.error_code)
            && recorded["account_identifier"] == json!(answer.account_identifier);
        return if same {
            Ok(())
        } else {
            Err(ApiError::conflict(
                "result_recorded",
                "another result is already recorded for this event",
            ))
        };
    }
    let now = now_ms();
    let instance = match (&delivery.instance_id, delivery.event_type.as_str()) {
        (Some(id), "instance.activated") => {
            store::instances::get(&state.store, organization_id, id).await?
        }
        _ => None,
    };
    let mut tx = state.store.begin().await?;
    store::deliveries::record_result(&mut tx, &delivery.id, &result_json(answer, now), now).await?;
    let settled = match &instance {
        Some(instance) if instance.status == InstanceStatus::Pending => {
            settle_instance(&mut tx, organization_id, instance, answer, now).await?
        }
        _ => None,
    };
    tx.commit().await?;
    if let Some(customer_id) = settled {
        state.catalogs.forget_customer(&customer_id);
    }
    Ok(())
}

/// The settings of event delivery.
#[derive(Debug, Clone)]
pub struct EventSettings {
    /// Base of the exponential backoff (ms).
    pub retry_base_ms: i64,
    /// How long after its creation (or redelivery) a delivery is retried (s).
    pub retry_window_s: i64,
    /// Timeout of one attempt (ms).
    pub timeout_ms: u64,
    /// How long a `confirm` activation waits for the vendor's answer (s).
    pub vendor_answer_timeout_s: i64,
    /// How long past its attempts' timeouts a claim lasts (ms): a killed process's deliveries
    /// are claimed again that long after their attempt would have timed out.
    pub lease_margin_ms: i64,
}

impl Default for EventSettings {
    fn default() -> Self {
        let policy = RetryPolicy::default();
        EventSettings {
            retry_base_ms: policy.base_ms,
            retry_window_s: policy.window_ms / 1000,
            timeout_ms: 15_000,
            vendor_answer_timeout_s: 259_200,
            lease_margin_ms: 30_000,
        }
    }
}

impl EventSettings {
    /// Core's retry policy with these settings.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            base_ms: self.retry_base_ms,
            window_ms: self.retry_window_s * 1000,
            ..RetryPolicy::default()
        }
    }
}
