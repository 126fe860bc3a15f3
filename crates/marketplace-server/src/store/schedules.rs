//! `schedule_ticks`: one row per run of a scheduled flow. Only the process whose insert of a
//! `(instance_id, flow, tick_at)` row succeeds runs that tick, so a tick runs once however many
//! processes share the database.

use super::executions::{Leased, Queued, enqueue_in};
use super::sql::{execute, fetch_all};
use super::{Store, StoreResult, new_id};
use marketplace_core::Instance;
use serde_json::Value;

/// An active instance whose version has a scheduled flow.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScheduledInstance {
    /// The organization.
    pub organization_id: String,
    /// The instance.
    pub instance_id: String,
    /// Its last change (Unix ms): a cached schedule older than this is stale.
    pub updated_at: i64,
}

/// The active instances whose version has a `schedule` flow (flows are stored as core's JSON,
/// whose compact form writes `"trigger":"schedule"`).
pub async fn scheduled_instances(store: &Store) -> StoreResult<Vec<ScheduledInstance>> {
    // Versions first (CROSS JOIN keeps that order on SQLite), then their instances through
    // `instances_version`: the pattern is matched once per version, not once per instance.
    let sql = "SELECT i.organization_id, i.id AS instance_id, i.updated_at FROM versions v \
        CROSS JOIN instances i WHERE v.flows LIKE '%\"trigger\":\"schedule\"%' \
        AND i.integration_id = v.integration_id AND i.version = v.version AND i.status = 'active' \
        ORDER BY i.id";
    fetch_all(&store.db.read, sql, []).await
}

/// Records a tick of an instance's flow with its queued execution, in one transaction; the
/// execution's id, or `None` when another process recorded the tick first.
pub async fn claim_tick(
    store: &Store,
    organization_id: &str,
    instance: &Instance,
    flow: &str,
    tick_at: i64,
    input: &Value,
    leased: Leased,
) -> StoreResult<Option<String>> {
    let id = new_id("exe");
    let mut tx = store.begin().await?;
    let inserted = execute(
        tx.conn().await?,
        "INSERT INTO schedule_ticks (instance_id, flow, tick_at, execution_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
        [
            instance.id.as_str().into(),
            flow.into(),
            tick_at.into(),
            id.as_str().into(),
        ],
    )
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let queued = Queued {
        id: &id,
        organization_id,
        instance,
        flow,
        trigger: "schedule",
        input,
        lease_until: leased.until,
    };
    enqueue_in(&mut tx, store, &queued, leased.now).await?;
    tx.commit().await?;
    Ok(Some(id))
}
