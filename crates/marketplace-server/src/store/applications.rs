//! `applications` and `application_versions`: third-party applications and their released
//! versions, and which integration versions declare them (`versions.applications`).

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar_all};
use super::{Page, PageRequest, Store, StoreResult, Tx, json_column};
use marketplace_core::certification::{Application, ApplicationVersion, SupportedApplication};
use sqlx::AssertSqlSafe;
use std::collections::HashMap;

/// An application (with its versions) and its timestamps.
#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    /// The application.
    pub application: Application,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms): its fields or its versions.
    pub updated_at: i64,
}

/// Filters of the application list.
#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    /// Only this provider's.
    pub provider_id: Option<String>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    provider_id: String,
    name: String,
    product_url: Option<String>,
    logo_url: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn record(self, versions: Vec<ApplicationVersion>) -> ApplicationRecord {
        ApplicationRecord {
            application: Application {
                id: self.id.into(),
                provider_id: self.provider_id.into(),
                name: self.name,
                product_url: self.product_url,
                logo_url: self.logo_url,
                versions,
            },
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct VersionRow {
    application_id: String,
    name: String,
    released_on: String,
}

const SELECT: &str =
    "SELECT id, provider_id, name, product_url, logo_url, created_at, updated_at FROM applications";
const VERSIONS: &str = "SELECT application_id, name, released_on FROM application_versions";

/// Stores a new application (without versions).
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    application: &Application,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO applications (id, organization_id, provider_id, name, product_url, logo_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
        [
            application.id.as_str().into(),
            organization_id.into(),
            application.provider_id.as_str().into(),
            (&application.name).into(),
            application.product_url.clone().into(),
            application.logo_url.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores an application's changed fields (its versions change one by one).
pub async fn update(tx: &mut Tx, application: &Application, now: i64) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE applications SET provider_id = $1, name = $2, product_url = $3, logo_url = $4, updated_at = $5 WHERE id = $6",
        [
            application.provider_id.as_str().into(),
            (&application.name).into(),
            application.product_url.clone().into(),
            application.logo_url.clone().into(),
            now.into(),
            application.id.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes an application and its versions; whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, id: &str) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "DELETE FROM applications WHERE id = $1 AND organization_id = $2",
        [id.into(), organization_id.into()],
    )
    .await?;
    Ok(changed > 0)
}

/// Adds a released version (a taken name is a duplicate) and touches the application.
pub async fn add_version(
    tx: &mut Tx,
    application_id: &str,
    version: &ApplicationVersion,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO application_versions (application_id, name, released_on, created_at) VALUES ($1, $2, $3, $4)",
        [
            application_id.into(),
            (&version.name).into(),
            (&version.released_on).into(),
            now.into(),
        ],
    )
    .await?;
    touch(tx, application_id, now).await
}

/// Removes a released version; whether it existed.
pub async fn remove_version(
    tx: &mut Tx,
    application_id: &str,
    name: &str,
    now: i64,
) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "DELETE FROM application_versions WHERE application_id = $1 AND name = $2",
        [application_id.into(), name.into()],
    )
    .await?;
    touch(tx, application_id, now).await?;
    Ok(changed > 0)
}

async fn touch(tx: &mut Tx, application_id: &str, now: i64) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE applications SET updated_at = $1 WHERE id = $2",
        [now.into(), application_id.into()],
    )
    .await?;
    Ok(())
}

/// Whether a version of the organization's integrations declares the application (any of its
/// versions, or only `version` when given); read in the writing transaction.
pub async fn declared(
    tx: &mut Tx,
    organization_id: &str,
    application_id: &str,
    version: Option<&str>,
) -> StoreResult<bool> {
    // The LIKE only narrows the rows read (an `_` in the id matches any character); the JSON
    // decides.
    let texts: Vec<String> = scalar_all(
        tx.conn().await?,
        "SELECT v.applications FROM versions v JOIN integrations i ON i.id = v.integration_id \
         WHERE i.organization_id = $1 AND v.applications LIKE $2",
        [organization_id.into(), format!("%{application_id}%").into()],
    )
    .await?;
    for text in texts {
        let supported: Vec<SupportedApplication> = json_column("applications", &text)?;
        if supported.iter().any(|s| {
            s.application_id.as_str() == application_id
                && version.is_none_or(|v| s.versions.iter().any(|n| n == v))
        }) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The versions of the organization's applications by application, each by release date then
/// name.
async fn versions_of(
    store: &Store,
    organization_id: &str,
) -> StoreResult<HashMap<String, Vec<ApplicationVersion>>> {
    let sql = format!(
        "{VERSIONS} WHERE application_id IN (SELECT id FROM applications WHERE organization_id = $1) \
         ORDER BY released_on, name"
    );
    let rows: Vec<VersionRow> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [organization_id.into()]).await?;
    let mut by_application: HashMap<String, Vec<ApplicationVersion>> = HashMap::new();
    for row in rows {
        by_application
            .entry(row.application_id)
            .or_default()
            .push(ApplicationVersion {
                name: row.name,
                released_on: row.released_on,
            });
    }
    Ok(by_application)
}

/// An application of the organization with its versions (read from the write pool: it may
/// just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<ApplicationRecord>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    let Some(row) = row else { return Ok(None) };
    let sql = format!("{VERSIONS} WHERE application_id = $1 ORDER BY released_on, name");
    let versions: Vec<VersionRow> =
        fetch_all(&store.db.write, AssertSqlSafe(sql), [id.into()]).await?;
    let versions = versions
        .into_iter()
        .map(|r| ApplicationVersion {
            name: r.name,
            released_on: r.released_on,
        })
        .collect();
    Ok(Some(row.record(versions)))
}

/// A page of the organization's applications with their versions, by id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &ApplicationFilter,
    page: &PageRequest,
) -> StoreResult<Page<ApplicationRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("provider_id", filter.provider_id.as_deref())
        .contains_any(&["name"], filter.q.as_deref());
    let rows = fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        sql,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?;
    let mut versions = versions_of(store, organization_id).await?;
    Ok(rows.map(|row| {
        let own = versions.remove(&row.id).unwrap_or_default();
        row.record(own)
    }))
}

/// Every application of the organization with its versions, by id (the evidence of its
/// versions).
pub async fn all(store: &Store, organization_id: &str) -> StoreResult<Vec<Application>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 ORDER BY id");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [organization_id.into()]).await?;
    let mut versions = versions_of(store, organization_id).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let own = versions.remove(&row.id).unwrap_or_default();
            row.record(own).application
        })
        .collect())
}
