//! Sending notifications: the worker that drains the notification outbox
//! (`store::notifications`): emails over SMTP (`lettre`, at `--smtp-url` from `--smtp-from`) and
//! alert monitors' webhooks (Standard Webhooks, signed with the monitor's secret, through the
//! guarded client). Failures are retried with event delivery's policy (core's
//! `delivery::decide`); an SMTP server's permanent refusal ends a notification at once. Without
//! `--smtp-url`, emails are logged as skipped.

use crate::egress::{self, SendError};
use crate::service::deliveries::jitter;
use crate::service::state::AppState;
use crate::store::notifications::{Claimed, Settlement};
use crate::store::{self, now_ms};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use marketplace_core::delivery::{AttemptOutcome, Decision, decide, sign};
use std::time::Duration;

/// How many notifications one claim takes (they are sent at once).
const BATCH: i64 = 16;
/// How long the worker sleeps at most when nothing is due.
const IDLE: Duration = Duration::from_millis(500);
/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where emails go.
#[derive(Debug, Clone, Default)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, or STARTTLS with `?tls=required`) or `smtps://host:port`; unset:
    /// emails are logged as skipped.
    pub smtp_url: Option<String>,
    /// The `From` address.
    pub from: String,
}

/// The SMTP client, built once from [`MailSettings`].
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    /// The mailer of the settings; `None` without an SMTP URL; an error names a bad URL or
    /// address.
    pub fn new(settings: &MailSettings) -> Result<Option<Mailer>, String> {
        let Some(url) = settings.smtp_url.as_deref() else {
            return Ok(None);
        };
        let from = settings.from.parse::<Mailbox>().map_err(|e| {
            format!(
                "--smtp-from {:?} is not an email address: {e}",
                settings.from
            )
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| {
                format!("--smtp-url is not an SMTP URL (smtp://host:port, smtps://host:port): {e}")
            })?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        Ok(Some(Mailer { transport, from }))
    }
}

/// What one attempt came to.
enum Sent {
    /// Done.
    Ok,
    /// Emails without an SMTP server.
    Skipped,
    /// Refused for good (an SMTP 5xx, a bad address).
    Refused(String),
    /// Worth another try, with what the other side answered.
    Failed(AttemptOutcomeOwned, String),
}

/// An owned [`AttemptOutcome`] (the webhook's answer outlives its response).
enum AttemptOutcomeOwned {
    Response {
        status: u16,
        retry_after: Option<String>,
    },
    Timeout,
    Connection,
    Blocked,
}

/// Runs the notification worker until the process ends.
pub async fn run_worker(state: AppState) {
    let mailer = match Mailer::new(&state.settings.mail) {
        Ok(mailer) => mailer,
        Err(e) => {
            tracing::error!(error = %e, "emails cannot be sent");
            None
        }
    };
    loop {
        let now = now_ms();
        let lease_ms = SMTP_TIMEOUT.as_millis() as i64 + state.settings.events.lease_margin_ms;
        let claimed = match store::notifications::claim(&state.store, now, lease_ms, BATCH).await {
            Ok(claimed) => claimed,
            Err(e) => {
                tracing::warn!(error = %e, "claiming notifications failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            let due = store::notifications::next_due(&state.store)
                .await
                .ok()
                .flatten();
            let wait = due.map_or(IDLE.as_millis() as i64, |due| {
                (due - now).clamp(5, IDLE.as_millis() as i64)
            });
            tokio::time::sleep(Duration::from_millis(wait as u64)).await;
            continue;
        }
        let mut sends = tokio::task::JoinSet::new();
        for notification in claimed {
            let (state, mailer) = (state.clone(), mailer.clone());
            sends.spawn(async move {
                let sent = send(&state, mailer.as_ref(), &notification).await;
                settle(&state, &notification, sent).await;
            });
        }
        while sends.join_next().await.is_some() {}
    }
}

/// One attempt at a notification.
async fn send(state: &AppState, mailer: Option<&Mailer>, notification: &Claimed) -> Sent {
    match notification.kind.as_str() {
        "email" => match mailer {
            Some(mailer) => send_email(mailer, notification).await,
            None => Sent::Skipped,
        },
        "webhook" => send_webhook(state, notification).await,
        other => Sent::Refused(format!("unknown notification kind {other:?}")),
    }
}

/// Sends an email to every recipient (one message).
async fn send_email(mailer: &Mailer, notification: &Claimed) -> Sent {
    let to: Vec<String> = serde_json::from_str(&notification.recipient).unwrap_or_default();
    let mut builder = Message::builder()
        .from(mailer.from.clone())
        .subject(notification.subject.clone());
    for address in &to {
        match address.parse::<Mailbox>() {
            Ok(mailbox) => builder = builder.to(mailbox),
            Err(e) => return Sent::Refused(format!("{address:?} is not an email address: {e}")),
        }
    }
    let message = match builder
        .header(ContentType::TEXT_PLAIN)
        .body(notification.body.clone())
    {
        Ok(message) => message,
        Err(e) => return Sent::Refused(format!("cannot build the message: {e}")),
    };
    match mailer.transport.send(message).await {
        Ok(_) => Sent::Ok,
        Err(e) if e.is_permanent() => Sent::Refused(format!("the SMTP server refused: {e}")),
        Err(e) => Sent::Failed(AttemptOutcomeOwned::Connection, format!("SMTP: {e}")),
    }
}

/// Posts a monitor's webhook, signed with its secret.
async fn send_webhook(state: &AppState, notification: &Claimed) -> Sent {
    let Some(monitor_id) = notification.monitor_id.as_deref() else {
        return Sent::Refused("a webhook without its monitor".into());
    };
    let secret = match store::alert_monitors::signing_secret(&state.store, monitor_id).await {
        Ok(Some(secret)) => secret,
        Ok(None) => return Sent::Refused("the monitor was deleted".into()),
        Err(e) => return Sent::Failed(AttemptOutcomeOwned::Connection, e.to_string()),
    };
    let url = match reqwest::Url::parse(&notification.recipient) {
        Ok(url) => url,
        Err(e) => return Sent::Refused(format!("bad URL: {e}")),
    };
    let timestamp = now_ms() / 1000;
    let body = notification.body.as_bytes();
    let signature = match sign(&[secret.as_str()], &notification.id, timestamp, body) {
        Ok(signature) => signature,
        Err(e) => return Sent::Refused(format!("cannot sign: {e}")),
    };
    let request = state
        .http
        .post(url)
        .timeout(Duration::from_millis(state.settings.events.timeout_ms))
        .header("content-type", "application/json")
        .header("webhook-id", &notification.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_vec());
    match egress::send(&state.http, request, state.settings.allow_private_targets).await {
        Ok(response) if response.status().is_success() => Sent::Ok,
        Ok(response) => {
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            Sent::Failed(
                AttemptOutcomeOwned::Response {
                    status,
                    retry_after,
                },
                format!("HTTP {status}"),
            )
        }
        Err(SendError::Blocked(blocked)) => {
            Sent::Failed(AttemptOutcomeOwned::Blocked, blocked.to_string())
        }
        Err(SendError::Request(e)) if e.is_timeout() => Sent::Failed(
            AttemptOutcomeOwned::Timeout,
            format!("no answer within {} ms", state.settings.events.timeout_ms),
        ),
        Err(e) => Sent::Failed(
            AttemptOutcomeOwned::Connection,
            format!("connection failed: {e}"),
        ),
    }
}

/// Stores what an attempt came to: sent, skipped, dead, or due again (core's retry policy).
async fn settle(state: &AppState, notification: &Claimed, sent: Sent) {
    let now = now_ms();
    let mut settlement = Settlement {
        status: "sent",
        dead_reason: None,
        next_attempt_at: now,
        error: None,
        now,
    };
    let error;
    match sent {
        Sent::Ok => {}
        Sent::Skipped => {
            tracing::info!(
                notification = %notification.id,
                subject = %notification.subject,
                "no --smtp-url: email skipped"
            );
            settlement.status = "skipped";
        }
        Sent::Refused(message) => {
            error = message;
            settlement.status = "dead";
            settlement.dead_reason = Some("rejected");
            settlement.error = Some(&error);
        }
        Sent::Failed(outcome, message) => {
            error = message;
            settlement.error = Some(&error);
            let outcome = match &outcome {
                AttemptOutcomeOwned::Response {
                    status,
                    retry_after,
                } => AttemptOutcome::Response {
                    status: *status,
                    retry_after: retry_after.as_deref(),
                    body: &[],
                },
                AttemptOutcomeOwned::Timeout => AttemptOutcome::Timeout,
                AttemptOutcomeOwned::Connection => AttemptOutcome::ConnectionError,
                AttemptOutcomeOwned::Blocked => AttemptOutcome::Blocked,
            };
            let attempt = notification.attempt_count as u32 + 1;
            let policy = state.settings.events.policy();
            match decide(
                &policy,
                attempt,
                &outcome,
                false,
                notification.window_start,
                now,
                jitter(),
            ) {
                Decision::Succeeded { .. } => {}
                Decision::Retry { at_ms } => {
                    settlement.status = "pending";
                    settlement.next_attempt_at = at_ms;
                }
                Decision::Dead(reason) => {
                    settlement.status = "dead";
                    settlement.dead_reason = Some(reason.as_str());
                }
            }
        }
    }
    if settlement.status == "dead" {
        tracing::warn!(
            notification = %notification.id,
            error = settlement.error.unwrap_or_default(),
            "a notification was given up"
        );
    }
    if let Err(e) = store::notifications::settle(&state.store, notification, &settlement).await {
        tracing::warn!(notification = %notification.id, error = %e, "settling a notification failed");
    }
}
