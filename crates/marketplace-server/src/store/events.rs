//! `events`: the record of every state change, written in the change's transaction.

use super::page::{Filter, Order, fetch_page};
use super::{Insert, Page, PageRequest, Store, StoreResult, Tx, json_column, new_id};
use marketplace_core::event::Event;

/// A stored event.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// Id.
    pub id: String,
    /// Type (`instance.activated`, ...).
    pub event_type: String,
    /// When (Unix ms).
    pub at: i64,
    /// The customer.
    pub customer_id: Option<String>,
    /// The integration.
    pub integration_id: Option<String>,
    /// The instance.
    pub instance_id: Option<String>,
    /// Details (never a secret).
    pub data: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    #[sqlx(rename = "type")]
    event_type: String,
    at: i64,
    customer_id: Option<String>,
    integration_id: Option<String>,
    instance_id: Option<String>,
    data: String,
}

/// Filters of the event list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// From this time (Unix ms, inclusive).
    pub since: Option<i64>,
    /// Only this type.
    pub event_type: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
}

/// Records an event in the same transaction as its change, with the deliveries it routes to
/// (the outbox, [`super::deliveries`]); the event's id.
pub async fn record(tx: &mut Tx, organization_id: &str, event: &Event) -> StoreResult<String> {
    Ok(record_routed(tx, organization_id, event, None).await?.0)
}

/// [`record`], with what the caller read already for routing it
/// ([`super::deliveries::Known`]); also tells how many deliveries it enqueued (the delivery
/// worker needs waking only when there are some).
pub async fn record_routed(
    tx: &mut Tx,
    organization_id: &str,
    event: &Event,
    known: Option<super::deliveries::Known<'_>>,
) -> StoreResult<(String, usize)> {
    let id = new_id("evt");
    tx.defer(
        &INSERT_EVENT,
        vec![
            id.as_str().into(),
            organization_id.into(),
            event.event_type.as_str().into(),
            event.at.into(),
            event.customer_id.as_ref().map(|c| c.to_string()).into(),
            event.integration_id.as_ref().map(|c| c.to_string()).into(),
            event.instance_id.as_ref().map(|c| c.to_string()).into(),
            event.data.to_string().into(),
        ],
    );
    let enqueued =
        super::deliveries::enqueue_for_event(tx, organization_id, &id, event, known).await?;
    Ok((id, enqueued))
}

/// An event (held back until the transaction's next statement: [`Tx::defer`]).
static INSERT_EVENT: Insert = Insert {
    head: "INSERT INTO events (id, organization_id, type, at, customer_id, integration_id, instance_id, data) VALUES",
    row: "($1, $2, $3, $4, $5, $6, $7, $8)",
    params: 8,
};

/// A page of the organization's events, oldest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &EventFilter,
    page: &PageRequest,
) -> StoreResult<Page<EventRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("type", filter.event_type.as_deref())
        .eq_opt("instance_id", filter.instance_id.as_deref())
        .int_opt("at", ">=", filter.since);
    let select = "SELECT id, type, at, customer_id, integration_id, instance_id, data FROM events";
    let rows = fetch_page(
        store,
        select,
        "id",
        Order::Ascending,
        sql,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?;
    rows.try_map(|r| {
        Ok(EventRecord {
            data: json_column("data", &r.data)?,
            id: r.id,
            event_type: r.event_type,
            at: r.at,
            customer_id: r.customer_id,
            integration_id: r.integration_id,
            instance_id: r.instance_id,
        })
    })
}
