//! `certification_requests` and `connection_test_runs`, and the reads that gather the evidence
//! of an organization's versions in a few statements (latest connection tests, approved
//! requests, approved workflow templates).

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::certification::ConnectionTestRun;
use marketplace_core::template::{TemplateDecision, TemplateStatus};
use sqlx::AssertSqlSafe;
use std::collections::{HashMap, HashSet};

/// A version of an integration: (integration id, version).
pub type VersionKey = (String, String);

/// A stored certification request.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificationRequest {
    /// Id (`crq_...`).
    pub id: String,
    /// The integration.
    pub integration_id: String,
    /// The published version.
    pub version: String,
    /// Pending, approved or rejected.
    pub status: TemplateStatus,
    /// The requester's notes.
    pub notes: String,
    /// The requesting API key's id.
    pub requested_by: String,
    /// The decision, once decided.
    pub decision: Option<TemplateDecision>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

/// Filters of the certification request list.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    /// Only requests in this state.
    pub status: Option<TemplateStatus>,
    /// Only this integration's.
    pub integration_id: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    integration_id: String,
    version: String,
    status: String,
    notes: String,
    requested_by: String,
    decision: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, integration_id, version, status, notes, requested_by, decision, created_at, updated_at \
     FROM certification_requests";

impl Row {
    fn request(self) -> StoreResult<CertificationRequest> {
        let corrupt = |what: &str| {
            StoreError::Corrupt(format!("{what} of certification request {}", self.id))
        };
        Ok(CertificationRequest {
            status: TemplateStatus::from_name(&self.status).ok_or_else(|| corrupt("the status"))?,
            decision: self
                .decision
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|_| corrupt("the decision"))?,
            id: self.id,
            integration_id: self.integration_id,
            version: self.version,
            notes: self.notes,
            requested_by: self.requested_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Stores a new request (a second pending one of the same version is a duplicate).
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    request: &CertificationRequest,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO certification_requests (id, organization_id, integration_id, version, status, notes, requested_by, \
         decision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            (&request.id).into(),
            organization_id.into(),
            (&request.integration_id).into(),
            (&request.version).into(),
            request.status.as_str().into(),
            (&request.notes).into(),
            (&request.requested_by).into(),
            Option::<String>::None.into(),
            request.created_at.into(),
            request.updated_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Records a decision, unless the request was decided meanwhile; whether it was recorded.
pub async fn decide(
    tx: &mut Tx,
    id: &str,
    status: TemplateStatus,
    decision: &TemplateDecision,
) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE certification_requests SET status = $2, decision = $3, updated_at = $4 WHERE id = $1 AND status = 'pending'",
        [
            id.into(),
            status.as_str().into(),
            serde_json::to_string(decision).unwrap_or_default().into(),
            decision.decided_at.into(),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// Whether a request of the version is pending (read in the writing transaction).
pub async fn pending(tx: &mut Tx, integration_id: &str, version: &str) -> StoreResult<bool> {
    let count: i64 = scalar(
        tx.conn().await?,
        "SELECT COUNT(*) FROM certification_requests WHERE integration_id = $1 AND version = $2 AND status = 'pending'",
        [integration_id.into(), version.into()],
    )
    .await?;
    Ok(count > 0)
}

/// A request of the organization (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<CertificationRequest>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::request).transpose()
}

/// A page of the organization's requests, oldest first.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &RequestFilter,
    page: &PageRequest,
) -> StoreResult<Page<CertificationRequest>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("status", filter.status.map(TemplateStatus::as_str))
        .eq_opt("integration_id", filter.integration_id.as_deref());
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
    .try_map(Row::request)
}

/// A connection test run to store.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    /// Id (`ctr_...`).
    pub id: &'a str,
    /// The integration.
    pub integration_id: &'a str,
    /// The version tested.
    pub version: &'a str,
    /// The instance that ran the test flow.
    pub instance_id: &'a str,
    /// The execution.
    pub execution_id: &'a str,
    /// The outcome and when.
    pub run: ConnectionTestRun,
}

/// Stores a connection test run.
pub async fn insert_run(tx: &mut Tx, new: &NewRun<'_>) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO connection_test_runs (id, integration_id, version, instance_id, execution_id, passed, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            new.id.into(),
            new.integration_id.into(),
            new.version.into(),
            new.instance_id.into(),
            new.execution_id.into(),
            i64::from(new.run.passed).into(),
            new.run.at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The latest connection test run of each version of the organization's integrations.
pub async fn latest_runs(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<VersionKey, ConnectionTestRun>> {
    let rows: Vec<(String, String, i64, i64)> = fetch_all(
        &store.db.read,
        "SELECT r.integration_id, r.version, r.passed, r.at FROM connection_test_runs r \
         JOIN integrations i ON i.id = r.integration_id \
         WHERE i.organization_id = $1 AND r.at = (SELECT MAX(m.at) FROM connection_test_runs m \
         WHERE m.integration_id = r.integration_id AND m.version = r.version) \
         ORDER BY r.id",
        [organization_id.into()],
    )
    .await?;
    // Two runs ending in the same millisecond: the later id (the later insert) wins.
    Ok(rows
        .into_iter()
        .map(|(integration_id, version, passed, at)| {
            let run = ConnectionTestRun {
                passed: passed != 0,
                at,
            };
            ((integration_id, version), run)
        })
        .collect())
}

/// The versions of the organization's integrations that a reviewer certified (an approved
/// request).
pub async fn approved_versions(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashSet<VersionKey>> {
    let rows: Vec<(String, String)> = fetch_all(
        &store.db.read,
        "SELECT DISTINCT integration_id, version FROM certification_requests \
         WHERE organization_id = $1 AND status = 'approved'",
        [organization_id.into()],
    )
    .await?;
    Ok(rows.into_iter().collect())
}

/// How many workflow templates are approved for each version of the organization's
/// integrations (versions without any are absent).
pub async fn approved_templates(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<VersionKey, usize>> {
    let rows: Vec<(String, String, i64)> = fetch_all(
        &store.db.read,
        "SELECT integration_id, version, COUNT(*) FROM workflow_templates \
         WHERE organization_id = $1 AND status = 'approved' GROUP BY integration_id, version",
        [organization_id.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|(integration_id, version, count)| {
            (
                (integration_id, version),
                usize::try_from(count).unwrap_or(0),
            )
        })
        .collect())
}
