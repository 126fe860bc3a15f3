//! `notifications`: the outbox of emails (invitations, password resets, alerts) and monitor
//! webhooks. A row is inserted in the transaction of what caused it; the notification worker
//! claims due rows with a lease and retries them with event delivery's policy.

use super::sql::{Arg, execute};
use super::{StoreResult, Tx, new_id};

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
        &mut **tx,
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
