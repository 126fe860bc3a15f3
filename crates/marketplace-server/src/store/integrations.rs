//! `integrations` and `versions`: what the vendor builds, with its semver versions.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::certification::{IntegrationProfile, SupportedApplication};
use marketplace_core::integration::{VersionDocument, VersionSummary};
use marketplace_core::mapping::{Collection, RecordType};
use marketplace_core::{Integration, IntegrationVersion, VersionState};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// An integration with its timestamps.
#[derive(Debug, Clone)]
pub struct IntegrationRecord {
    /// The integration.
    pub integration: Integration,
    /// What it says of the third party it connects.
    pub profile: IntegrationProfile,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

/// A version with its timestamps.
#[derive(Debug, Clone)]
pub struct VersionRecord {
    /// The integration.
    pub integration_id: String,
    /// The version.
    pub version: IntegrationVersion,
    /// Its supported applications, documentation and connection test flow.
    pub document: VersionDocument,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Publication time (Unix ms).
    pub published_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct IntegrationRow {
    id: String,
    name: String,
    description: String,
    category: String,
    labels: String,
    icon_url: Option<String>,
    profile: String,
    created_at: i64,
    updated_at: i64,
}

impl IntegrationRow {
    fn record(self) -> StoreResult<IntegrationRecord> {
        Ok(IntegrationRecord {
            integration: Integration {
                id: self.id.into(),
                name: self.name,
                description: self.description,
                category: self.category,
                labels: json_column("labels", &self.labels)?,
                icon_url: self.icon_url,
            },
            profile: json_column("profile", &self.profile)?,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    integration_id: String,
    version: String,
    state: String,
    config: String,
    flows: String,
    collections: String,
    record_types: String,
    applications: String,
    documentation: String,
    connection_test: Option<String>,
    created_at: i64,
    published_at: Option<i64>,
}

fn state_name(state: VersionState) -> &'static str {
    match state {
        VersionState::Draft => "draft",
        VersionState::Published => "published",
    }
}

fn parse_state(text: &str) -> StoreResult<VersionState> {
    match text {
        "draft" => Ok(VersionState::Draft),
        "published" => Ok(VersionState::Published),
        other => Err(StoreError::Corrupt(format!(
            "unknown version state `{other}`"
        ))),
    }
}

fn parse_version(text: &str) -> StoreResult<semver::Version> {
    semver::Version::parse(text).map_err(|e| StoreError::Corrupt(format!("version `{text}`: {e}")))
}

impl VersionRow {
    fn record(self) -> StoreResult<VersionRecord> {
        Ok(VersionRecord {
            version: IntegrationVersion {
                version: parse_version(&self.version)?,
                state: parse_state(&self.state)?,
                config: json_column("config", &self.config)?,
                flows: json_column("flows", &self.flows)?,
                collections: json_column("collections", &self.collections)?,
                record_types: frozen_types(&self.record_types)?,
            },
            document: VersionDocument {
                applications: json_column("applications", &self.applications)?,
                documentation: self.documentation,
                connection_test: self.connection_test,
            },
            integration_id: self.integration_id,
            created_at: self.created_at,
            published_at: self.published_at,
        })
    }
}

const INTEGRATION_SELECT: &str = "SELECT id, name, description, category, labels, icon_url, profile, created_at, updated_at FROM integrations";
const VERSION_SELECT: &str = "SELECT integration_id, version, state, config, flows, collections, record_types, applications, documentation, connection_test, created_at, published_at FROM versions";

/// The frozen record types of a published version: a JSON object, name → record type.
fn frozen_types(text: &str) -> StoreResult<Vec<RecordType>> {
    let by_name: std::collections::BTreeMap<String, RecordType> =
        json_column("record_types", text)?;
    Ok(by_name.into_values().collect())
}

/// Writes frozen record types as a JSON object, name → record type.
fn frozen_text(record_types: &[RecordType]) -> String {
    let by_name: std::collections::BTreeMap<&str, &RecordType> =
        record_types.iter().map(|t| (t.name.as_str(), t)).collect();
    to_json_text(&by_name)
}

/// Filters of the integration list.
#[derive(Debug, Clone, Default)]
pub struct IntegrationFilter {
    /// Case-insensitive substring of name or description.
    pub q: Option<String>,
    /// Exact category (lower-cased).
    pub category: Option<String>,
}

/// Stores a new integration with its profile.
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    integration: &Integration,
    profile: &IntegrationProfile,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO integrations (id, organization_id, name, description, category, labels, icon_url, profile, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        [
            integration.id.as_str().into(),
            organization_id.into(),
            (&integration.name).into(),
            (&integration.description).into(),
            (&integration.category).into(),
            to_json_text(&integration.labels).into(),
            integration.icon_url.clone().into(),
            to_json_text(profile).into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores an integration's changed fields and profile.
pub async fn update(
    tx: &mut Tx,
    integration: &Integration,
    profile: &IntegrationProfile,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE integrations SET name = $1, description = $2, category = $3, labels = $4, icon_url = $5, profile = $6, updated_at = $7 WHERE id = $8",
        [
            (&integration.name).into(),
            (&integration.description).into(),
            (&integration.category).into(),
            to_json_text(&integration.labels).into(),
            integration.icon_url.clone().into(),
            to_json_text(profile).into(),
            now.into(),
            integration.id.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Points an integration's `icon_url` at an uploaded icon, or clears it.
pub async fn set_icon_url(
    tx: &mut Tx,
    integration_id: &str,
    url: Option<&str>,
    now: i64,
) -> StoreResult<()> {
    let sql = "UPDATE integrations SET icon_url = $1, updated_at = $2 WHERE id = $3";
    execute(
        tx.conn().await?,
        sql,
        [url.into(), now.into(), integration_id.into()],
    )
    .await?;
    Ok(())
}

/// An integration of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<IntegrationRecord>> {
    let sql = format!("{INTEGRATION_SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<IntegrationRow> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(IntegrationRow::record).transpose()
}

/// Integrations by id (for a catalog snapshot).
pub async fn get_by_id(store: &Store, id: &str) -> StoreResult<Option<IntegrationRecord>> {
    let sql = format!("{INTEGRATION_SELECT} WHERE id = $1");
    let row: Option<IntegrationRow> =
        fetch_optional(&store.db.read, AssertSqlSafe(sql), [id.into()]).await?;
    row.map(IntegrationRow::record).transpose()
}

/// A page of the organization's integrations.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &IntegrationFilter,
    page: &PageRequest,
) -> StoreResult<Page<IntegrationRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.contains_any(&["name", "description"], filter.q.as_deref())
        .eq_opt("category", filter.category.as_deref());
    fetch_page(
        store,
        INTEGRATION_SELECT,
        "id",
        Order::Ascending,
        sql,
        page,
        |r: &IntegrationRow| r.id.clone(),
    )
    .await?
    .try_map(IntegrationRow::record)
}

/// The numbers and states of an integration's versions, read in a transaction (order rules).
pub async fn summaries(tx: &mut Tx, integration_id: &str) -> StoreResult<Vec<VersionSummary>> {
    let sql = "SELECT version, state FROM versions WHERE integration_id = $1";
    let rows: Vec<(String, String)> =
        fetch_all(tx.conn().await?, sql, [integration_id.into()]).await?;
    rows.into_iter()
        .map(|(v, s)| {
            Ok(VersionSummary {
                version: parse_version(&v)?,
                state: parse_state(&s)?,
            })
        })
        .collect()
}

/// Stores a new draft version with its document.
pub async fn insert_version(
    tx: &mut Tx,
    integration_id: &str,
    version: &IntegrationVersion,
    document: &VersionDocument,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO versions (integration_id, version, state, config, flows, collections, applications, documentation, connection_test, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
            integration_id.into(),
            version.version.to_string().into(),
            state_name(version.state).into(),
            to_json_text(&version.config).into(),
            to_json_text(&version.flows).into(),
            to_json_text(&version.collections).into(),
            to_json_text(&document.applications).into(),
            (&document.documentation).into(),
            document.connection_test.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Replaces a draft's config, flows, collections and document.
pub async fn replace_draft(
    tx: &mut Tx,
    integration_id: &str,
    version: &IntegrationVersion,
    document: &VersionDocument,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE versions SET config = $1, flows = $2, collections = $3, applications = $4, documentation = $5, connection_test = $6 \
         WHERE integration_id = $7 AND version = $8 AND state = 'draft'",
        [
            to_json_text(&version.config).into(),
            to_json_text(&version.flows).into(),
            to_json_text(&version.collections).into(),
            to_json_text(&document.applications).into(),
            (&document.documentation).into(),
            document.connection_test.clone().into(),
            integration_id.into(),
            version.version.to_string().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores a version's new state (publication), with the record types it froze.
pub async fn set_state(
    tx: &mut Tx,
    integration_id: &str,
    version: &IntegrationVersion,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE versions SET state = $1, published_at = $2, record_types = $3 WHERE integration_id = $4 AND version = $5",
        [
            state_name(version.state).into(),
            now.into(),
            frozen_text(&version.record_types).into(),
            integration_id.into(),
            version.version.to_string().into(),
        ],
    )
    .await?;
    Ok(())
}

/// One version of an integration (read from the write pool: it may just have been written).
pub async fn get_version(
    store: &Store,
    integration_id: &str,
    version: &str,
) -> StoreResult<Option<VersionRecord>> {
    let sql = format!("{VERSION_SELECT} WHERE integration_id = $1 AND version = $2");
    let row: Option<VersionRow> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [integration_id.into(), version.into()],
    )
    .await?;
    row.map(VersionRow::record).transpose()
}

/// Every version of an integration, newest first (by semver).
pub async fn versions(store: &Store, integration_id: &str) -> StoreResult<Vec<VersionRecord>> {
    let sql = format!("{VERSION_SELECT} WHERE integration_id = $1");
    let rows: Vec<VersionRow> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [integration_id.into()]).await?;
    let mut records = rows
        .into_iter()
        .map(VersionRow::record)
        .collect::<StoreResult<Vec<_>>>()?;
    records.sort_by(|a, b| b.version.version.cmp(&a.version.version));
    Ok(records)
}

/// Stores a draft's collections (a published version's never change).
pub async fn set_collections(
    tx: &mut Tx,
    integration_id: &str,
    version: &str,
    collections: &[Collection],
) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE versions SET collections = $1 WHERE integration_id = $2 AND version = $3 AND state = 'draft'",
        [
            to_json_text(&collections).into(),
            integration_id.into(),
            version.into(),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// Whether any version of the organization's integrations has a collection of this record type.
pub async fn record_type_in_use(
    tx: &mut Tx,
    organization_id: &str,
    record_type: &str,
) -> StoreResult<bool> {
    let texts: Vec<String> = super::sql::scalar_all(
        tx.conn().await?,
        "SELECT v.collections FROM versions v JOIN integrations i ON i.id = v.integration_id \
         WHERE i.organization_id = $1 AND v.collections <> '[]'",
        [organization_id.into()],
    )
    .await?;
    for text in texts {
        let collections: Vec<Collection> = json_column("collections", &text)?;
        if collections.iter().any(|c| c.record_type == record_type) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Stores a version's supported applications (published or not); whether the version exists.
pub async fn set_applications(
    tx: &mut Tx,
    integration_id: &str,
    version: &str,
    applications: &[SupportedApplication],
) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE versions SET applications = $1 WHERE integration_id = $2 AND version = $3",
        [
            to_json_text(&applications).into(),
            integration_id.into(),
            version.into(),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// The profile of each of the organization's integrations, by integration id.
pub async fn profiles(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<String, IntegrationProfile>> {
    let rows: Vec<(String, String)> = fetch_all(
        &store.db.read,
        "SELECT id, profile FROM integrations WHERE organization_id = $1",
        [organization_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|(id, text)| Ok((id, json_column("profile", &text)?)))
        .collect()
}

/// The document of each version of the organization's integrations, by (integration id,
/// version).
pub async fn documents(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<(String, String), VersionDocument>> {
    let rows: Vec<(String, String, String, String, Option<String>)> = fetch_all(
        &store.db.read,
        "SELECT v.integration_id, v.version, v.applications, v.documentation, v.connection_test \
         FROM versions v JOIN integrations i ON i.id = v.integration_id WHERE i.organization_id = $1",
        [organization_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(
            |(id, version, applications, documentation, connection_test)| {
                let document = VersionDocument {
                    applications: json_column("applications", &applications)?,
                    documentation,
                    connection_test,
                };
                Ok(((id, version), document))
            },
        )
        .collect()
}

/// The document of one version, if it exists.
pub async fn document(
    store: &Store,
    integration_id: &str,
    version: &str,
) -> StoreResult<Option<VersionDocument>> {
    let row: Option<(String, String, Option<String>)> = fetch_optional(
        &store.db.read,
        "SELECT applications, documentation, connection_test FROM versions WHERE integration_id = $1 AND version = $2",
        [integration_id.into(), version.into()],
    )
    .await?;
    row.map(|(applications, documentation, connection_test)| {
        Ok(VersionDocument {
            applications: json_column("applications", &applications)?,
            documentation,
            connection_test,
        })
    })
    .transpose()
}
