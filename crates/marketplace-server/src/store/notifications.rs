//! `notifications`: the outbox of emails (invitations, password resets, alerts) and monitor
//! webhooks. A row is inserted in the transaction of what caused it; the notification worker
//! claims due rows with a lease and retries them with event delivery's policy.

use super::sql::{Arg, execute, fetch_all, scalar};
use super::{Backend, Store, StoreResult, Tx, new_id};
use sqlx::AssertSqlSafe;

/// What a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// An email to these addresses.
    Email(Vec<String>),
    /// A Standard Webhooks POST to this URL, signed with the monitor's secret.
    Webhook {
        /// The target URL.
        url: String,
        /// The monitor whose signing secret signs it.
        monitor_id: String,
    },
}

/// A notification to send.
#[derive(Debug, Clone)]
pub struct NewNotification<'a> {
    /// The organization.
    pub organization_id: &'a str,
    /// Where it goes.
    pub recipient: Recipient,
    /// The email subject (for a webhook: the alert's subject, kept for the record).
    pub subject: &'a str,
    /// The email's plain-text body, or the webhook's JSON body.
    pub body: &'a str,
    /// When (Unix ms).
    pub now: i64,
}

/// Inserts a pending notification in the caller's transaction.
pub async fn enqueue(tx: &mut Tx, new: &NewNotification<'_>) -> StoreResult<String> {
    let id = new_id("ntf");
    let (kind, recipient, monitor_id) = match &new.recipient {
        Recipient::Email(to) => ("email", serde_json::to_string(to).unwrap_or_default(), None),
        Recipient::Webhook { url, monitor_id } => {
            ("webhook", url.clone(), Some(monitor_id.clone()))
        }
    };
    execute(
        tx.conn().await?,
        "INSERT INTO notifications (id, organization_id, kind, monitor_id, recipient, subject, body, status, \
         attempt_count, next_attempt_at, window_start, lease_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8, $8, 0, $8, $8)",
        [
            Arg::from(id.as_str()),
            new.organization_id.into(),
            kind.into(),
            Arg::OptText(monitor_id),
            recipient.into(),
            new.subject.into(),
            new.body.into(),
            new.now.into(),
        ],
    )
    .await?;
    Ok(id)
}

/// A claimed notification: what the worker needs to send it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Id (`ntf_...`); also the `webhook-id` of a webhook.
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// `email` or `webhook`.
    pub kind: String,
    /// The monitor whose secret signs a webhook.
    pub monitor_id: Option<String>,
    /// The JSON list of addresses, or the URL.
    pub recipient: String,
    /// The subject.
    pub subject: String,
    /// The body.
    pub body: String,
    /// Attempts before this one.
    pub attempt_count: i64,
    /// When the retry window started (Unix ms).
    pub window_start: i64,
    /// The lease this claim holds.
    pub lease_token: String,
}

/// Claims up to `limit` due notifications for `lease_ms` (see [`super::deliveries::claim`] for
/// the locking on each backend).
pub async fn claim(
    store: &Store,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> StoreResult<Vec<Claimed>> {
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE notifications SET lease_until = $1, lease_token = $2 WHERE id IN (\
         SELECT id FROM notifications WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until <= $3 \
         ORDER BY next_attempt_at LIMIT $4{lock}) \
         RETURNING id, organization_id, kind, monitor_id, recipient, subject, body, attempt_count, window_start, lease_token"
    );
    fetch_all(
        &store.db.write,
        AssertSqlSafe(sql),
        [
            (now + lease_ms).into(),
            new_id("lease").into(),
            now.into(),
            limit.into(),
        ],
    )
    .await
}

/// When the earliest pending notification is due, if any.
pub async fn next_due(store: &Store) -> StoreResult<Option<i64>> {
    let sql = "SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) \
               FROM notifications WHERE status = 'pending'";
    scalar::<Option<i64>>(&store.db.read, sql, []).await
}

/// How an attempt leaves its notification.
#[derive(Debug, Clone)]
pub struct Settlement<'a> {
    /// `pending`, `sent`, `skipped` (no SMTP server configured) or `dead`.
    pub status: &'static str,
    /// Why it died.
    pub dead_reason: Option<&'static str>,
    /// When to try again (pending).
    pub next_attempt_at: i64,
    /// What went wrong with this attempt.
    pub error: Option<&'a str>,
    /// When (Unix ms).
    pub now: i64,
}

/// Settles a claimed notification if its lease is still held; whether it was.
pub async fn settle(
    store: &Store,
    claimed: &Claimed,
    settlement: &Settlement<'_>,
) -> StoreResult<bool> {
    let done = execute(
        &store.db.write,
        "UPDATE notifications SET status = $1, dead_reason = $2, next_attempt_at = $3, last_error = $4, \
         attempt_count = attempt_count + 1, lease_until = 0, lease_token = NULL, updated_at = $5 \
         WHERE id = $6 AND lease_token = $7",
        [
            settlement.status.into(),
            Arg::OptText(settlement.dead_reason.map(str::to_owned)),
            settlement.next_attempt_at.into(),
            Arg::OptText(settlement.error.map(str::to_owned)),
            settlement.now.into(),
            claimed.id.as_str().into(),
            claimed.lease_token.as_str().into(),
        ],
    )
    .await?;
    Ok(done > 0)
}
