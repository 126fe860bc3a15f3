//! `alert_monitors` and their `alert_windows`: what a vendor watches, where alerts go, and one
//! open dedup window per (monitor, trigger, subject). Triggers and targets are stored as core's
//! JSON; the signing secret of a monitor's webhooks is sealed, bound to its row.

use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_all, fetch_optional, scalar, scalar_optional};
use super::{
    Conn, Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column, to_json_text,
};
use marketplace_core::monitor::{Monitor, Scope};
use serde_json::Value;
use sqlx::AssertSqlSafe;

/// A stored monitor.
#[derive(Debug, Clone)]
pub struct MonitorRecord {
    /// Id (`mon_...`).
    pub id: String,
    /// The checked monitor.
    pub monitor: Monitor,
    /// The latest alert sent: `{at, trigger, subject, message, instance_id, execution_id,
    /// event_id, suppressed_count}`.
    pub last_triggered: Option<Value>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    enabled: i64,
    scope_kind: String,
    scope_customer_id: Option<String>,
    scope_instance_id: Option<String>,
    triggers: String,
    targets: String,
    dedup_window_s: i64,
    last_triggered: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, name, enabled, scope_kind, scope_customer_id, scope_instance_id, triggers, \
     targets, dedup_window_s, last_triggered, created_at, updated_at FROM alert_monitors";

impl Row {
    fn record(self) -> StoreResult<MonitorRecord> {
        let scope = match (
            self.scope_kind.as_str(),
            self.scope_customer_id,
            self.scope_instance_id,
        ) {
            ("organization", _, _) => Scope::Organization,
            ("customer", Some(customer_id), _) => Scope::Customer { customer_id },
            ("instance", _, Some(instance_id)) => Scope::Instance { instance_id },
            (kind, _, _) => {
                return Err(StoreError::Corrupt(format!(
                    "alert monitor {}: scope {kind}",
                    self.id
                )));
            }
        };
        Ok(MonitorRecord {
            monitor: Monitor {
                name: self.name,
                enabled: self.enabled != 0,
                scope,
                triggers: json_column("triggers", &self.triggers)?,
                targets: json_column("targets", &self.targets)?,
                dedup_window_s: self.dedup_window_s,
            },
            last_triggered: self
                .last_triggered
                .as_deref()
                .map(|t| json_column("last_triggered", t))
                .transpose()?,
            id: self.id,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

fn signing_context(id: &str) -> String {
    format!("alert_monitor:{id}:signing")
}

/// The sealed signing secret of each alert monitor.
pub(super) const SEALED_SIGNING_SECRET: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "alert_monitors",
    column: "sealed_signing_secret",
    keys: &[super::reseal::KeyColumn::Text("id")],
    context: |key| signing_context(key[0].text()),
};

/// The columns of a monitor's scope: kind, customer, instance.
fn scope_columns(scope: &Scope) -> (&'static str, Option<String>, Option<String>) {
    match scope {
        Scope::Organization => ("organization", None, None),
        Scope::Customer { customer_id } => ("customer", Some(customer_id.clone()), None),
        Scope::Instance { instance_id } => ("instance", None, Some(instance_id.clone())),
    }
}

/// Stores a new monitor with its signing secret (sealed).
pub async fn insert(
    tx: &mut Tx,
    store: &Store,
    organization_id: &str,
    id: &str,
    monitor: &Monitor,
    signing_secret: &str,
    now: i64,
) -> StoreResult<()> {
    let (kind, customer, instance) = scope_columns(&monitor.scope);
    let sealed = store
        .sealer
        .seal(&signing_context(id), signing_secret.as_bytes());
    execute(
        tx.conn().await?,
        "INSERT INTO alert_monitors (id, organization_id, name, enabled, scope_kind, scope_customer_id, scope_instance_id, \
         triggers, targets, dedup_window_s, sealed_signing_secret, last_triggered, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12, $12)",
        [
            id.into(),
            organization_id.into(),
            monitor.name.as_str().into(),
            i64::from(monitor.enabled).into(),
            kind.into(),
            customer.into(),
            instance.into(),
            to_json_text(&monitor.triggers).into(),
            to_json_text(&monitor.targets).into(),
            monitor.dedup_window_s.into(),
            sealed.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Replaces a monitor's body (its secret, windows and last alert stay).
pub async fn update(tx: &mut Tx, id: &str, monitor: &Monitor, now: i64) -> StoreResult<()> {
    let (kind, customer, instance) = scope_columns(&monitor.scope);
    execute(
        tx.conn().await?,
        "UPDATE alert_monitors SET name = $2, enabled = $3, scope_kind = $4, scope_customer_id = $5, \
         scope_instance_id = $6, triggers = $7, targets = $8, dedup_window_s = $9, updated_at = $10 WHERE id = $1",
        [
            id.into(),
            monitor.name.as_str().into(),
            i64::from(monitor.enabled).into(),
            kind.into(),
            customer.into(),
            instance.into(),
            to_json_text(&monitor.triggers).into(),
            to_json_text(&monitor.targets).into(),
            monitor.dedup_window_s.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a monitor (its windows and pending notifications go with it).
pub async fn delete(tx: &mut Tx, id: &str) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM alert_monitors WHERE id = $1",
        [id.into()],
    )
    .await?;
    Ok(())
}

/// A monitor of the organization (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<MonitorRecord>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// Filters of the monitor list.
#[derive(Debug, Clone, Default)]
pub struct MonitorFilter {
    /// Only monitors scoped to this customer.
    pub customer_id: Option<String>,
    /// Only monitors scoped to this instance.
    pub instance_id: Option<String>,
}

/// A page of the organization's monitors, oldest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &MonitorFilter,
    page: &PageRequest,
) -> StoreResult<Page<MonitorRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("scope_customer_id", filter.customer_id.as_deref())
        .eq_opt("scope_instance_id", filter.instance_id.as_deref());
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        sql,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::record)
}

/// Every enabled monitor of the organization: what the in-memory index is built from (read on
/// the caller's connection: on PostgreSQL the pool is shared by reads and writes, and the caller
/// may hold one in a transaction).
pub async fn enabled(conn: &mut Conn, organization_id: &str) -> StoreResult<Vec<MonitorRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND enabled = 1 ORDER BY id");
    let rows: Vec<Row> = fetch_all(conn, AssertSqlSafe(sql), [organization_id.into()]).await?;
    rows.into_iter().map(Row::record).collect()
}

/// A cheap fingerprint of the organization's monitors, `(count, latest update)`: another
/// process's change alters it (a deletion lowers the count, anything else raises the update).
pub async fn version(conn: &mut Conn, organization_id: &str) -> StoreResult<(i64, i64)> {
    let sql = "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM alert_monitors WHERE organization_id = $1";
    let row: Option<(i64, i64)> = fetch_optional(conn, sql, [organization_id.into()]).await?;
    Ok(row.unwrap_or_default())
}

/// The signing secret of a monitor's webhooks, opened (for the notification worker).
pub async fn signing_secret(store: &Store, id: &str) -> StoreResult<Option<String>> {
    let sql = "SELECT sealed_signing_secret FROM alert_monitors WHERE id = $1";
    let blob: Option<Vec<u8>> = scalar_optional(&store.db.read, sql, [id.into()]).await?;
    blob.map(|blob| {
        store
            .sealer
            .open(&signing_context(id), &blob)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| StoreError::Corrupt(format!("the signing secret of {id}")))
    })
    .transpose()
}

/// The organization's name, for alert subjects.
pub async fn organization_name(tx: &mut Tx, organization_id: &str) -> StoreResult<String> {
    let sql = "SELECT name FROM organizations WHERE id = $1";
    scalar(tx.conn().await?, sql, [organization_id.into()]).await
}

/// A monitor's latest alert, in `tx`: `None` when the monitor is gone, `Some(None)` before
/// its first alert.
pub async fn last_triggered(tx: &mut Tx, id: &str) -> StoreResult<Option<Option<Value>>> {
    let sql = "SELECT last_triggered FROM alert_monitors WHERE id = $1";
    let row: Option<(Option<String>,)> = fetch_optional(tx.conn().await?, sql, [id.into()]).await?;
    row.map(|(text,)| {
        text.as_deref()
            .map(|t| json_column("last_triggered", t))
            .transpose()
    })
    .transpose()
}

/// Stores a monitor's latest alert.
pub async fn set_last_triggered(tx: &mut Tx, id: &str, last: &Value) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE alert_monitors SET last_triggered = $2 WHERE id = $1",
        [id.into(), last.to_string().into()],
    )
    .await?;
    Ok(())
}

/// Where the window of (monitor, trigger, subject) started, if one was opened.
pub async fn window_start(
    tx: &mut Tx,
    id: &str,
    trigger: &str,
    subject: &str,
) -> StoreResult<Option<i64>> {
    let sql = "SELECT window_start FROM alert_windows WHERE monitor_id = $1 AND trigger = $2 AND subject = $3";
    scalar_optional(
        tx.conn().await?,
        sql,
        [id.into(), trigger.into(), subject.into()],
    )
    .await
}

/// Opens a new window at `now` (no firing counted yet) in place of the one read as `seen`
/// (`None`: no window yet); whether it did. A window another transaction opened since it was read
/// is left alone (false), so two processes firing at once send one alert.
pub async fn open_window(
    tx: &mut Tx,
    id: &str,
    trigger: &str,
    subject: &str,
    seen: Option<i64>,
    now: i64,
) -> StoreResult<bool> {
    let opened = match seen {
        None => {
            execute(
                tx.conn().await?,
                "INSERT INTO alert_windows (monitor_id, trigger, subject, window_start, suppressed_count) \
                 VALUES ($1, $2, $3, $4, 0) ON CONFLICT (monitor_id, trigger, subject) DO NOTHING",
                [id.into(), trigger.into(), subject.into(), Arg::Int(now)],
            )
            .await?
        }
        Some(seen) => {
            execute(
                tx.conn().await?,
                "UPDATE alert_windows SET window_start = $4, suppressed_count = 0 \
                 WHERE monitor_id = $1 AND trigger = $2 AND subject = $3 AND window_start = $5",
                [
                    id.into(),
                    trigger.into(),
                    subject.into(),
                    Arg::Int(now),
                    Arg::Int(seen),
                ],
            )
            .await?
        }
    };
    Ok(opened > 0)
}

/// Counts a suppressed firing in the open window; the window's count so far.
pub async fn count_suppressed(
    tx: &mut Tx,
    id: &str,
    trigger: &str,
    subject: &str,
) -> StoreResult<i64> {
    scalar(
        tx.conn().await?,
        "UPDATE alert_windows SET suppressed_count = suppressed_count + 1 \
         WHERE monitor_id = $1 AND trigger = $2 AND subject = $3 RETURNING suppressed_count",
        [id.into(), trigger.into(), subject.into()],
    )
    .await
}
