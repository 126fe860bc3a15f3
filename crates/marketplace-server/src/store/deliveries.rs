//! `deliveries` (the outbox of vendor event notifications) and their `delivery_attempts`.
//!
//! A delivery row is inserted in its event's transaction. Workers claim due rows with a lease
//! (`lease_until`, `lease_token`): on SQLite one `UPDATE ... RETURNING` on the single writer, on
//! PostgreSQL `FOR UPDATE SKIP LOCKED`, so any number of processes share the queue. A claim
//! skips a row while an earlier row of its `order_key` is pending. Only the lease holder may
//! settle a row, so one (event, configuration) never succeeds twice; a killed process's rows
//! come back when their lease ends.

use super::event_configurations::WITH_PUBLISHED;
use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_all, fetch_optional, scalar};
use super::{
    Backend, Conn, Insert, Page, PageRequest, Store, StoreResult, Tx, json_column, new_id,
    to_json_text,
};
use marketplace_core::delivery::{self, PayloadCustomer, PayloadInstance};
use marketplace_core::event::Event;
use marketplace_core::event_config::{DELIVERABLE, EventSnapshot, route};
use marketplace_core::instance::Instance;
use serde_json::Value;
use sqlx::AssertSqlSafe;
use std::sync::atomic::{AtomicI64, Ordering};

/// A delivery as the API shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    /// Id (`dlv_...`).
    pub id: String,
    /// The event (its id is the `webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The configuration it goes to.
    pub event_configuration_id: String,
    /// The customer.
    pub customer_id: Option<String>,
    /// The instance.
    pub instance_id: Option<String>,
    /// The URL of the latest attempt.
    pub url: Option<String>,
    /// `pending`, `succeeded` or `dead`.
    pub status: String,
    /// Why it died.
    pub dead_reason: Option<String>,
    /// Attempts so far.
    pub attempt_count: i64,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: i64,
    /// The latest attempt (JSON).
    pub last_attempt: Option<String>,
    /// The vendor's answer (JSON).
    pub result: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

const SELECT: &str = "SELECT id, event_id, event_type, event_configuration_id, customer_id, instance_id, url, status, \
     dead_reason, attempt_count, next_attempt_at, last_attempt, result, created_at, updated_at FROM deliveries";

/// A delivery to make: what it goes out with.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// The organization.
    pub organization_id: &'a str,
    /// The event id.
    pub event_id: &'a str,
    /// The event type.
    pub event_type: &'a str,
    /// The configuration.
    pub event_configuration_id: &'a str,
    /// The customer.
    pub customer_id: Option<&'a str>,
    /// The instance.
    pub instance_id: Option<&'a str>,
    /// The body sent (without `result_url`, added when sending).
    pub payload: &'a Value,
    /// When (Unix ms).
    pub now: i64,
}

/// A number that grows with every call in this process (microseconds, never repeated), so
/// deliveries of one key keep their events' order.
fn next_seq() -> i64 {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or_default();
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// Inserts a pending delivery in the event's transaction.
pub async fn enqueue(tx: &mut Tx, new: &NewDelivery<'_>) -> StoreResult<()> {
    let order_key = format!(
        "{}/{}",
        new.event_configuration_id,
        new.instance_id.or(new.customer_id).unwrap_or("")
    );
    tx.defer(
        &INSERT_DELIVERY,
        vec![
            new_id("dlv").into(),
            new.organization_id.into(),
            new.event_id.into(),
            new.event_type.into(),
            new.event_configuration_id.into(),
            new.customer_id.into(),
            new.instance_id.into(),
            order_key.into(),
            next_seq().into(),
            to_json_text(new.payload).into(),
            new.now.into(),
        ],
    );
    Ok(())
}

/// A pending delivery (held back until the transaction's next statement: [`Tx::defer`]).
static INSERT_DELIVERY: Insert = Insert {
    head: "INSERT INTO deliveries (id, organization_id, event_id, event_type, event_configuration_id, customer_id, \
           instance_id, order_key, seq, payload, status, attempt_count, next_attempt_at, window_start, lease_until, \
           created_at, updated_at) VALUES",
    row: "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', 0, $11, $11, 0, $11, $11)",
    params: 11,
};

/// A claimed delivery: what a worker needs to attempt it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Id.
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// The event id.
    pub event_id: String,
    /// The event type.
    pub event_type: String,
    /// The configuration.
    pub event_configuration_id: String,
    /// The instance.
    pub instance_id: Option<String>,
    /// The body (JSON text, without `result_url`).
    pub payload: String,
    /// Attempts before this one.
    pub attempt_count: i64,
    /// Start of the retry window.
    pub window_start: i64,
    /// The lease's token: settling needs it.
    pub lease_token: String,
}

/// Claims up to `limit` due deliveries for `lease_ms`.
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
    let token = new_id("lease");
    let sql = format!(
        "UPDATE deliveries SET lease_until = $1, lease_token = $2 WHERE id IN (\
         SELECT d.id FROM deliveries d WHERE d.status = 'pending' AND d.next_attempt_at <= $3 AND d.lease_until <= $3 \
         AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.order_key = d.order_key AND e.status = 'pending' AND e.seq < d.seq) \
         ORDER BY d.next_attempt_at LIMIT $4{lock}) \
         RETURNING id, organization_id, event_id, event_type, event_configuration_id, instance_id, payload, \
         attempt_count, window_start, lease_token"
    );
    fetch_all(
        &store.db.write,
        AssertSqlSafe(sql),
        [
            (now + lease_ms).into(),
            token.into(),
            now.into(),
            limit.into(),
        ],
    )
    .await
}

/// When the earliest pending delivery is due (for the worker's sleep), if any.
pub async fn next_due(store: &Store) -> StoreResult<Option<i64>> {
    let sql = "SELECT MIN(CASE WHEN lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) \
               FROM deliveries WHERE status = 'pending'";
    scalar::<Option<i64>>(&store.db.read, sql, []).await
}

/// One attempt, as recorded and shown.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Attempt {
    /// When (Unix ms).
    pub at: i64,
    /// The published revision used.
    pub revision: i64,
    /// The URL.
    pub url: String,
    /// The answer's status.
    pub http_status: Option<u16>,
    /// Milliseconds to the answer (or the failure).
    pub latency_ms: i64,
    /// Why no answer.
    pub error: Option<String>,
    /// The answer's first KiB.
    pub response_excerpt: Option<String>,
}

/// How an attempt leaves its delivery.
#[derive(Debug, Clone)]
pub struct Settlement {
    /// `pending`, `succeeded` or `dead`.
    pub status: &'static str,
    /// Why it died.
    pub dead_reason: Option<&'static str>,
    /// When to try again (pending).
    pub next_attempt_at: i64,
    /// The vendor's answer (JSON), if any.
    pub result: Option<Value>,
}

/// Records an attempt and settles the delivery, if the lease is still held; whether it was.
pub async fn settle(
    tx: &mut Tx,
    claimed: &Claimed,
    attempt: &Attempt,
    settlement: &Settlement,
) -> StoreResult<bool> {
    let n = claimed.attempt_count + 1;
    let changed = execute(
        tx.conn().await?,
        "UPDATE deliveries SET status = $3, dead_reason = $4, attempt_count = $5, next_attempt_at = $6, lease_until = 0, \
         lease_token = NULL, url = $7, last_attempt = $8, result = COALESCE($9, result), updated_at = $10 \
         WHERE id = $1 AND lease_token = $2 AND status = 'pending'",
        [
            claimed.id.as_str().into(),
            claimed.lease_token.as_str().into(),
            settlement.status.into(),
            settlement.dead_reason.into(),
            n.into(),
            settlement.next_attempt_at.into(),
            attempt.url.as_str().into(),
            to_json_text(attempt).into(),
            settlement.result.as_ref().map(to_json_text).into(),
            attempt.at.into(),
        ],
    )
    .await?;
    if changed == 0 {
        return Ok(false);
    }
    execute(
        tx.conn().await?,
        "INSERT INTO delivery_attempts (delivery_id, n, at, revision, url, http_status, latency_ms, error, response_excerpt) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [
            claimed.id.as_str().into(),
            n.into(),
            attempt.at.into(),
            attempt.revision.into(),
            attempt.url.as_str().into(),
            Arg::OptInt(attempt.http_status.map(i64::from)),
            attempt.latency_ms.into(),
            attempt.error.clone().into(),
            attempt.response_excerpt.clone().into(),
        ],
    )
    .await?;
    Ok(true)
}

/// Filters of the delivery list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only in this status.
    pub status: Option<String>,
    /// Only this event's.
    pub event_id: Option<String>,
    /// Only this type.
    pub event_type: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
    /// Only this configuration's.
    pub event_configuration_id: Option<String>,
    /// Created from this time (Unix ms, inclusive).
    pub since: Option<i64>,
}

/// A page of the organization's deliveries, newest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &DeliveryFilter,
    page: &PageRequest,
) -> StoreResult<Page<DeliveryRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("status", filter.status.as_deref())
        .eq_opt("event_id", filter.event_id.as_deref())
        .eq_opt("event_type", filter.event_type.as_deref())
        .eq_opt("instance_id", filter.instance_id.as_deref())
        .eq_opt(
            "event_configuration_id",
            filter.event_configuration_id.as_deref(),
        )
        .int_opt("created_at", ">=", filter.since);
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Descending,
        sql,
        page,
        |d: &DeliveryRecord| d.id.clone(),
    )
    .await
}

/// A delivery of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<DeliveryRecord>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await
}

/// The delivery of an event to a configuration.
pub async fn by_event(
    store: &Store,
    event_configuration_id: &str,
    event_id: &str,
) -> StoreResult<Option<DeliveryRecord>> {
    let sql = format!("{SELECT} WHERE event_configuration_id = $1 AND event_id = $2");
    fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [event_configuration_id.into(), event_id.into()],
    )
    .await
}

/// The payload of a delivery (JSON, without `result_url`).
pub async fn payload(store: &Store, id: &str) -> StoreResult<Option<Value>> {
    let sql = "SELECT payload FROM deliveries WHERE id = $1";
    let text: Option<String> =
        super::sql::scalar_optional(&store.db.write, sql, [id.into()]).await?;
    text.map(|t| json_column("payload", &t)).transpose()
}

/// Every attempt of a delivery, oldest first.
pub async fn attempts(store: &Store, id: &str) -> StoreResult<Vec<Attempt>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        at: i64,
        revision: i64,
        url: String,
        http_status: Option<i64>,
        latency_ms: i64,
        error: Option<String>,
        response_excerpt: Option<String>,
    }
    let sql = "SELECT at, revision, url, http_status, latency_ms, error, response_excerpt FROM delivery_attempts \
               WHERE delivery_id = $1 ORDER BY n";
    let rows: Vec<Row> = fetch_all(&store.db.write, sql, [id.into()]).await?;
    Ok(rows
        .into_iter()
        .map(|r| Attempt {
            at: r.at,
            revision: r.revision,
            url: r.url,
            http_status: r.http_status.and_then(|s| u16::try_from(s).ok()),
            latency_ms: r.latency_ms,
            error: r.error,
            response_excerpt: r.response_excerpt,
        })
        .collect())
}

/// Puts a settled delivery back in the queue with its window restarted; whether it was settled
/// (a pending one is left alone).
pub async fn redeliver(tx: &mut Tx, id: &str, now: i64) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE deliveries SET status = 'pending', dead_reason = NULL, next_attempt_at = $2, window_start = $2, \
         lease_until = 0, lease_token = NULL, updated_at = $2 WHERE id = $1 AND status <> 'pending'",
        [id.into(), now.into()],
    )
    .await?;
    Ok(changed > 0)
}

/// Records the vendor's answer through the result API.
pub async fn record_result(tx: &mut Tx, id: &str, result: &Value, now: i64) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE deliveries SET result = $2, updated_at = $3 WHERE id = $1",
        [id.into(), to_json_text(result).into(), now.into()],
    )
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RouteRow {
    id: String,
    snapshot: String,
}

/// Published configurations' ids and snapshots (read without their sealed secrets).
fn routes() -> String {
    format!("SELECT c.id, r.snapshot {WITH_PUBLISHED}")
}

impl RouteRow {
    fn snapshot(&self) -> StoreResult<EventSnapshot> {
        json_column("event_configuration_revisions.snapshot", &self.snapshot)
    }
}

/// A customer as a delivery's payload names it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomerRow {
    /// Id (`cus_...`).
    pub id: String,
    /// The host's id of the customer.
    pub external_id: String,
    /// Name.
    pub name: String,
}

/// An instance and its customer, as a delivery's payload names them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subject {
    /// Id (`ins_...`).
    pub id: String,
    /// Its integration.
    pub integration_id: String,
    /// Its version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// Its status.
    pub status: String,
    /// Its customer's id.
    pub customer_id: String,
    /// Its customer's external id.
    pub customer_external_id: String,
    /// Its customer's name.
    pub customer_name: String,
}

impl Subject {
    /// `instance` and its `customer`, as a delivery's payload names them.
    pub fn of(instance: &Instance, customer: CustomerRow) -> Subject {
        Subject {
            id: instance.id.to_string(),
            integration_id: instance.integration_id.to_string(),
            version: instance.version.to_string(),
            name: instance.name.clone(),
            status: instance.status.as_str().to_owned(),
            customer_id: customer.id,
            customer_external_id: customer.external_id,
            customer_name: customer.name,
        }
    }

    /// Its customer.
    fn customer(&self) -> CustomerRow {
        CustomerRow {
            id: self.customer_id.clone(),
            external_id: self.customer_external_id.clone(),
            name: self.customer_name.clone(),
        }
    }
}

/// A customer as a delivery's payload names it, read on `conn` (before the transaction of an
/// event about it, so that the transaction need not read it: [`Known::subject`]).
pub async fn payload_customer(
    conn: &mut Conn,
    customer_id: &str,
) -> StoreResult<Option<CustomerRow>> {
    let sql = "SELECT id, external_id, name FROM customers WHERE id = $1";
    fetch_optional(conn, sql, [customer_id.into()]).await
}

/// What the caller of [`enqueue_for_event`] read before the event's transaction, so that the
/// transaction does not read it again (on SQLite, on the single writer, where a read also sends
/// the rows held back before it).
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    /// The configuration linked to the event's integration (`None`: there is none).
    pub link: Option<&'a (String, EventSnapshot)>,
    /// The event's instance and customer, when the caller has them.
    pub subject: Option<&'a Subject>,
}

/// Inserts the deliveries an event routes to (core's [`route`]), each with its payload, in the
/// event's transaction; how many. Events of no deliverable type cost nothing more.
///
/// `known`: what the caller read already ([`Known`]); `None` reads it here.
pub async fn enqueue_for_event(
    tx: &mut Tx,
    organization_id: &str,
    event_id: &str,
    event: &Event,
    known: Option<Known<'_>>,
) -> StoreResult<usize> {
    let known_link = known.map(|known| known.link);
    let known_subject = known.and_then(|known| known.subject);
    if !DELIVERABLE.contains(&event.event_type) {
        return Ok(0);
    }
    let routes = routes();
    // The configuration linked to the event's integration: as the caller read it, or read here.
    let read_link: Option<(String, EventSnapshot)> =
        match (known_link, &event.instance_id, &event.integration_id) {
            (Some(_), _, _) => None,
            (None, Some(_), Some(integration_id)) => {
                super::event_configurations::linked(tx.conn().await?, integration_id.as_str())
                    .await?
            }
            (None, Some(instance_id), None) => {
                let sql = format!(
                    "{routes} JOIN event_configuration_links l ON l.event_configuration_id = c.id \
                     JOIN instances i ON i.integration_id = l.integration_id WHERE i.id = $1"
                );
                let row: Option<RouteRow> = fetch_optional(
                    tx.conn().await?,
                    AssertSqlSafe(sql),
                    [instance_id.as_str().into()],
                )
                .await?;
                match row {
                    Some(row) => {
                        let snapshot = row.snapshot()?;
                        Some((row.id, snapshot))
                    }
                    None => None,
                }
            }
            _ => None,
        };
    let linked = known_link.unwrap_or(read_link.as_ref());
    let published: Vec<RouteRow> = if event.instance_id.is_none() {
        let sql = format!("{routes} WHERE c.organization_id = $1 ORDER BY c.id");
        fetch_all(
            tx.conn().await?,
            AssertSqlSafe(sql),
            [organization_id.into()],
        )
        .await?
    } else {
        Vec::new()
    };
    let snapshots = published
        .iter()
        .map(|row| Ok((row.id.as_str(), row.snapshot()?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let targets = route(
        event,
        linked.map(|(id, s)| (id.as_str(), s)),
        &snapshots.iter().map(|(id, s)| (*id, s)).collect::<Vec<_>>(),
    );
    if targets.is_empty() {
        return Ok(0);
    }
    // An instance and its customer in one read (the common case: instance events).
    let instance: Option<Subject> = match &event.instance_id {
        Some(id) if known_subject.is_some_and(|s| s.id == id.as_str()) => known_subject.cloned(),
        Some(id) => {
            let sql = "SELECT i.id, i.integration_id, i.version, i.name, i.status, c.id AS customer_id, \
                       c.external_id AS customer_external_id, c.name AS customer_name \
                       FROM instances i JOIN customers c ON c.id = i.customer_id WHERE i.id = $1";
            fetch_optional(tx.conn().await?, sql, [id.as_str().into()]).await?
        }
        None => None,
    };
    let customer: Option<CustomerRow> = match (&instance, &event.customer_id) {
        (Some(i), _) => Some(i.customer()),
        (None, Some(id)) => match known_subject.filter(|s| s.customer_id == id.as_str()) {
            Some(s) => Some(s.customer()),
            None => payload_customer(tx.conn().await?, id.as_str()).await?,
        },
        (None, None) => None,
    };
    let payload = delivery::payload(
        event_id,
        event.event_type.as_str(),
        event.at,
        organization_id,
        customer.as_ref().map(|c| PayloadCustomer {
            id: &c.id,
            external_id: &c.external_id,
            name: &c.name,
        }),
        instance.as_ref().map(|i| PayloadInstance {
            id: &i.id,
            integration_id: &i.integration_id,
            version: &i.version,
            name: &i.name,
            status: &i.status,
            launch_url: None,
        }),
        None,
        &event.data,
        "",
        false,
    );
    let enqueued = targets.len();
    for target in targets {
        enqueue(
            tx,
            &NewDelivery {
                organization_id,
                event_id,
                event_type: event.event_type.as_str(),
                event_configuration_id: target,
                customer_id: event.customer_id.as_ref().map(|c| c.as_str()),
                instance_id: event.instance_id.as_ref().map(|i| i.as_str()),
                payload: &payload,
                now: event.at,
            },
        )
        .await?;
    }
    Ok(enqueued)
}
