//! `record_types`: the organization's common data model, one JSON Schema (subset) per name.

use super::sql::{execute, fetch_all, fetch_optional};
use super::{Store, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::mapping::RecordType;
use sqlx::AssertSqlSafe;

/// A record type with its timestamps.
#[derive(Debug, Clone)]
pub struct RecordTypeRecord {
    /// The record type.
    pub record_type: RecordType,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct RecordTypeRow {
    name: String,
    description: String,
    schema: String,
    created_at: i64,
    updated_at: i64,
}

impl RecordTypeRow {
    fn record(self) -> StoreResult<RecordTypeRecord> {
        Ok(RecordTypeRecord {
            record_type: RecordType {
                name: self.name,
                description: self.description,
                schema: json_column("schema", &self.schema)?,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT name, description, schema, created_at, updated_at FROM record_types";

/// Every record type of the organization, by name (read from the write pool: a change just
/// made must be seen by the check that follows it).
pub async fn list(store: &Store, organization_id: &str) -> StoreResult<Vec<RecordTypeRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 ORDER BY name");
    let rows: Vec<RecordTypeRow> = fetch_all(
        &store.db.write,
        AssertSqlSafe(sql),
        [organization_id.into()],
    )
    .await?;
    rows.into_iter().map(RecordTypeRow::record).collect()
}

/// One record type of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    name: &str,
) -> StoreResult<Option<RecordTypeRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND name = $2");
    let row: Option<RecordTypeRow> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [organization_id.into(), name.into()],
    )
    .await?;
    row.map(RecordTypeRow::record).transpose()
}

/// Creates or replaces a record type; whether it was created.
pub async fn upsert(
    tx: &mut Tx,
    organization_id: &str,
    record_type: &RecordType,
    now: i64,
) -> StoreResult<bool> {
    let replaced = execute(
        tx.conn().await?,
        "UPDATE record_types SET description = $1, schema = $2, updated_at = $3 WHERE organization_id = $4 AND name = $5",
        [
            (&record_type.description).into(),
            to_json_text(&record_type.schema).into(),
            now.into(),
            organization_id.into(),
            (&record_type.name).into(),
        ],
    )
    .await?;
    if replaced > 0 {
        return Ok(false);
    }
    execute(
        tx.conn().await?,
        "INSERT INTO record_types (organization_id, name, description, schema, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
        [
            organization_id.into(),
            (&record_type.name).into(),
            (&record_type.description).into(),
            to_json_text(&record_type.schema).into(),
            now.into(),
        ],
    )
    .await?;
    Ok(true)
}

/// Deletes a record type; whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, name: &str) -> StoreResult<bool> {
    let deleted = execute(
        tx.conn().await?,
        "DELETE FROM record_types WHERE organization_id = $1 AND name = $2",
        [organization_id.into(), name.into()],
    )
    .await?;
    Ok(deleted > 0)
}
