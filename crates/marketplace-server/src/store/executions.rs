//! `executions` and `logs`: what flows did. Both lists are newest first. An execution's input is
//! sealed in its row until it finishes, so a restart can resume it.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_optional, scalar_all};
use super::{Backend, Page, PageRequest, Store, StoreResult, Tx, json_column, new_id};
use marketplace_core::Instance;
use serde_json::Value;
use sqlx::AssertSqlSafe;

/// An execution as stored.
#[derive(Debug, Clone)]
pub struct ExecutionRecord {
    /// Id.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version run.
    pub version: String,
    /// The flow.
    pub flow: String,
    /// `webhook`, `shared_webhook`, `schedule` or `test`.
    pub trigger: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Delivery attempts made.
    pub attempts: i64,
    /// Per-step results.
    pub steps: Value,
    /// Start (Unix ms).
    pub started_at: i64,
    /// End (Unix ms), once finished.
    pub finished_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    instance_id: String,
    customer_id: String,
    integration_id: String,
    version: String,
    flow: String,
    trigger: String,
    status: String,
    attempts: i64,
    steps: String,
    started_at: i64,
    finished_at: Option<i64>,
}

impl Row {
    fn record(self) -> StoreResult<ExecutionRecord> {
        Ok(ExecutionRecord {
            steps: json_column("steps", &self.steps)?,
            id: self.id,
            instance_id: self.instance_id,
            customer_id: self.customer_id,
            integration_id: self.integration_id,
            version: self.version,
            flow: self.flow,
            trigger: self.trigger,
            status: self.status,
            attempts: self.attempts,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}

const SELECT: &str = "SELECT id, instance_id, customer_id, integration_id, version, flow, trigger, status, attempts, \
    steps, started_at, finished_at FROM executions";

/// What logs and executions are filtered by (besides their own fields).
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this integration's.
    pub integration_id: Option<String>,
    /// Only this version's.
    pub version: Option<String>,
    /// Only this instance's.
    pub instance_id: Option<String>,
    /// From this time (Unix ms, inclusive).
    pub since: Option<i64>,
    /// Until this time (Unix ms, exclusive).
    pub until: Option<i64>,
}

impl Scope {
    fn filter(&self, organization_id: &str, time_column: &str) -> Filter {
        let mut filter = Filter::eq("organization_id", organization_id);
        filter
            .eq_opt("customer_id", self.customer_id.as_deref())
            .eq_opt("integration_id", self.integration_id.as_deref())
            .eq_opt("version", self.version.as_deref())
            .eq_opt("instance_id", self.instance_id.as_deref())
            .int_opt(time_column, ">=", self.since)
            .int_opt(time_column, "<", self.until);
        filter
    }
}

/// Filters of the execution list.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    /// Customer, integration, version, instance and time.
    pub scope: Scope,
    /// Case-insensitive substring of the flow name.
    pub q: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Trigger.
    pub trigger: Option<String>,
}

/// An execution that is about to run, with its opened input.
#[derive(Debug, Clone)]
pub struct QueuedExecution {
    /// The organization.
    pub organization_id: String,
    /// The instance.
    pub instance_id: String,
    /// The flow.
    pub flow: String,
    /// The input (`Null` once finished or when it does not open).
    pub input: Value,
}

fn input_context(execution_id: &str) -> String {
    format!("execution_input:{execution_id}")
}

/// The sealed trigger input of each execution.
pub(super) const SEALED_INPUT: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "executions",
    column: "sealed_input",
    keys: &[super::reseal::KeyColumn::Text("id")],
    context: |key| input_context(key[0].text()),
};

/// Records a queued execution of a flow, its input sealed; returns its id.
pub async fn enqueue(
    store: &Store,
    organization_id: &str,
    instance: &Instance,
    flow: &str,
    trigger: &str,
    input: &Value,
    leased: Leased,
) -> StoreResult<String> {
    let id = new_id("exe");
    let queued = Queued {
        id: &id,
        organization_id,
        instance,
        flow,
        trigger,
        input,
        lease_until: leased.until,
    };
    insert(&store.db.write, store, &queued, leased.now).await?;
    Ok(id)
}

/// When an execution is queued (Unix ms), and until when the queuing process holds its lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leased {
    /// Now.
    pub now: i64,
    /// The end of the lease.
    pub until: i64,
}

/// An execution to record as queued.
#[derive(Debug, Clone, Copy)]
pub struct Queued<'a> {
    /// Its id ([`new_id`]`("exe")`).
    pub id: &'a str,
    /// The organization.
    pub organization_id: &'a str,
    /// The instance.
    pub instance: &'a Instance,
    /// The flow.
    pub flow: &'a str,
    /// `webhook`, `shared_webhook`, `schedule` or `test`.
    pub trigger: &'a str,
    /// The input, sealed until the execution finishes.
    pub input: &'a Value,
    /// Until when this process holds the execution's lease (Unix ms).
    pub lease_until: i64,
}

/// Records a queued execution in the caller's transaction.
pub async fn enqueue_in(
    tx: &mut Tx,
    store: &Store,
    queued: &Queued<'_>,
    now: i64,
) -> StoreResult<()> {
    insert(tx.conn().await?, store, queued, now).await
}

async fn insert<'c>(
    conn: impl sqlx::Executor<'c, Database = sqlx::Any>,
    store: &Store,
    queued: &Queued<'_>,
    now: i64,
) -> StoreResult<()> {
    let instance = queued.instance;
    execute(
        conn,
        "INSERT INTO executions (id, organization_id, customer_id, integration_id, version, instance_id, flow, trigger, status, steps, \
         attempts, sealed_input, started_at, lease_until, lease_token) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', '[]', 0, $9, $10, $11, $12)",
        [
            queued.id.into(),
            queued.organization_id.into(),
            instance.customer_id.as_str().into(),
            instance.integration_id.as_str().into(),
            instance.version.to_string().into(),
            instance.id.as_str().into(),
            queued.flow.into(),
            queued.trigger.into(),
            store
                .sealer
                .seal_json(&input_context(queued.id), queued.input)
                .into(),
            now.into(),
            queued.lease_until.into(),
            store.holder.as_ref().into(),
        ],
    )
    .await?;
    Ok(())
}

/// The execution to run, with its input.
pub async fn queued(store: &Store, id: &str) -> StoreResult<Option<QueuedExecution>> {
    let sql =
        "SELECT organization_id, instance_id, flow, sealed_input FROM executions WHERE id = $1";
    let row: Option<(String, String, String, Option<Vec<u8>>)> =
        fetch_optional(&store.db.write, sql, [id.into()]).await?;
    Ok(row.map(
        |(organization_id, instance_id, flow, sealed)| QueuedExecution {
            organization_id,
            instance_id,
            flow,
            input: sealed
                .and_then(|blob| store.sealer.open_json(&input_context(id), &blob))
                .unwrap_or(Value::Null),
        },
    ))
}

/// Marks an execution as running.
pub async fn start(store: &Store, id: &str) -> StoreResult<()> {
    let sql = "UPDATE executions SET status = 'running' WHERE id = $1";
    execute(&store.db.write, sql, [id.into()]).await?;
    Ok(())
}

/// Stores an execution's end, if this process still holds its lease (else another process took
/// it over and records it: `false`); its sealed input is dropped.
pub async fn finish(
    store: &Store,
    id: &str,
    status: &str,
    steps: &Value,
    attempts: u32,
    now: i64,
) -> StoreResult<bool> {
    let changed = execute(
        &store.db.write,
        "UPDATE executions SET status = $1, steps = $2, attempts = $3, finished_at = $4, sealed_input = NULL \
         WHERE id = $5 AND lease_token = $6 AND status IN ('queued', 'running')",
        [
            status.into(),
            steps.to_string().into(),
            (attempts as i64).into(),
            now.into(),
            id.into(),
            store.holder.as_ref().into(),
        ],
    )
    .await?;
    Ok(changed == 1)
}

/// Extends to `until` the leases this process holds on unfinished executions.
pub async fn renew_leases(store: &Store, until: i64) -> StoreResult<u64> {
    execute(
        &store.db.write,
        "UPDATE executions SET lease_until = $1 WHERE lease_token = $2 AND status IN ('queued', 'running')",
        [until.into(), store.holder.as_ref().into()],
    )
    .await
}

/// Takes over, until `until`, up to `limit` unfinished executions whose lease ended before `now`
/// (their process died), oldest lease first; their ids.
pub async fn claim_abandoned(
    store: &Store,
    now: i64,
    until: i64,
    limit: i64,
) -> StoreResult<Vec<String>> {
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE executions SET lease_until = $1, lease_token = $2 WHERE id IN (\
         SELECT id FROM executions WHERE status IN ('queued', 'running') AND lease_until <= $3 \
         ORDER BY lease_until LIMIT $4{lock}) RETURNING id"
    );
    scalar_all(
        &store.db.write,
        AssertSqlSafe(sql),
        [
            until.into(),
            store.holder.as_ref().into(),
            now.into(),
            limit.into(),
        ],
    )
    .await
}

/// One execution.
pub async fn get(store: &Store, id: &str) -> StoreResult<Option<ExecutionRecord>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> = fetch_optional(&store.db.write, AssertSqlSafe(sql), [id.into()]).await?;
    row.map(Row::record).transpose()
}

/// A page of the organization's executions, newest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &ExecutionFilter,
    page: &PageRequest,
) -> StoreResult<Page<ExecutionRecord>> {
    let mut sql = filter.scope.filter(organization_id, "started_at");
    sql.eq_opt("status", filter.status.as_deref())
        .eq_opt("trigger", filter.trigger.as_deref())
        .contains_any(&["flow"], filter.q.as_deref());
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Descending,
        sql,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::record)
}

/// A log line as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LogRecord {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version.
    pub version: String,
    /// The instance.
    pub instance_id: String,
    /// The execution, if any.
    pub execution_id: Option<String>,
    /// `info`, `warn` or `error`.
    pub severity: String,
    /// `execution`, `delivery` or `lifecycle`.
    #[sqlx(rename = "type")]
    pub log_type: String,
    /// The message.
    pub message: String,
    /// When (Unix ms).
    pub at: i64,
}

/// Filters of the log list.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Customer, integration, version, instance and time.
    pub scope: Scope,
    /// Case-insensitive substring of the message.
    pub q: Option<String>,
    /// Severity.
    pub severity: Option<String>,
    /// Type.
    pub log_type: Option<String>,
}

/// A log line to write.
#[derive(Debug, Clone, Copy)]
pub struct LogLine<'a> {
    /// The execution.
    pub execution_id: &'a str,
    /// `info`, `warn` or `error`.
    pub severity: &'a str,
    /// `execution`, `delivery` or `lifecycle`.
    pub log_type: &'a str,
    /// The message (never a secret).
    pub message: &'a str,
}

/// Writes a log line of an execution.
pub async fn log(
    store: &Store,
    organization_id: &str,
    instance: &Instance,
    line: &LogLine<'_>,
    now: i64,
) -> StoreResult<()> {
    execute(
        &store.db.write,
        "INSERT INTO logs (id, organization_id, customer_id, integration_id, version, instance_id, execution_id, severity, type, message, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            new_id("log").into(),
            organization_id.into(),
            instance.customer_id.as_str().into(),
            instance.integration_id.as_str().into(),
            instance.version.to_string().into(),
            instance.id.as_str().into(),
            line.execution_id.into(),
            line.severity.into(),
            line.log_type.into(),
            line.message.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A page of the organization's logs, newest first.
pub async fn logs(
    store: &Store,
    organization_id: &str,
    filter: &LogFilter,
    page: &PageRequest,
) -> StoreResult<Page<LogRecord>> {
    let mut sql = filter.scope.filter(organization_id, "at");
    sql.eq_opt("severity", filter.severity.as_deref())
        .eq_opt("type", filter.log_type.as_deref())
        .contains_any(&["message"], filter.q.as_deref());
    let select = "SELECT id, customer_id, integration_id, version, instance_id, execution_id, severity, type, message, at FROM logs";
    fetch_page(
        store,
        select,
        "id",
        Order::Descending,
        sql,
        page,
        |r: &LogRecord| r.id.clone(),
    )
    .await
}
