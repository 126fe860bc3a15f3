//! `backlog`: what waits in the service's job queues (vendor event deliveries, notifications),
//! read when the metrics are scraped. Both counts use the `(status, next_attempt_at)` index.

use super::sql::fetch_optional;
use super::{Store, StoreResult};
use sqlx::AssertSqlSafe;

/// One queue's backlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// The queue's name in the metrics.
    pub queue: &'static str,
    /// Pending jobs (due now or later).
    pub pending: i64,
    /// When the earliest pending job is due (Unix ms), if any.
    pub earliest_due: Option<i64>,
}

/// The queues and the table holding each.
const QUEUES: [(&str, &str); 2] = [
    ("event_deliveries", "deliveries"),
    ("notifications", "notifications"),
];

/// The backlog of every queue.
pub async fn backlogs(store: &Store) -> StoreResult<Vec<Backlog>> {
    let mut found = Vec::with_capacity(QUEUES.len());
    for (queue, table) in QUEUES {
        let sql =
            format!("SELECT COUNT(*), MIN(next_attempt_at) FROM {table} WHERE status = 'pending'");
        let row: Option<(i64, Option<i64>)> =
            fetch_optional(&store.db.read, AssertSqlSafe(sql), []).await?;
        let (pending, earliest_due) = row.unwrap_or((0, None));
        found.push(Backlog {
            queue,
            pending,
            earliest_due,
        });
    }
    Ok(found)
}
