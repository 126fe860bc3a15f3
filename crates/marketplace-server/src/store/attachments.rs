//! `attachments`: a customer's files, with their content, name, type, size and hash, and who
//! uploaded them. Every read names the organization and the customer, so a customer never
//! reaches another's file.

use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_optional, scalar_optional};
use super::{Page, PageRequest, Store, StoreResult, Tx};
use sqlx::AssertSqlSafe;

/// Who uploaded an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uploader {
    /// The vendor, with an API key.
    Organization,
    /// A customer user (`sub`).
    CustomerUser(String),
}

/// A stored attachment, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    /// Id.
    pub id: String,
    /// The customer owning it.
    pub customer_id: String,
    /// File name (already cleaned).
    pub name: String,
    /// Content type (canonical).
    pub content_type: String,
    /// Size in bytes.
    pub size: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: Uploader,
    /// Upload time (Unix ms).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    customer_id: String,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
    uploaded_by_kind: String,
    uploaded_by_user_id: Option<String>,
    created_at: i64,
}

impl Row {
    fn record(self) -> AttachmentRecord {
        let uploaded_by = match (self.uploaded_by_kind.as_str(), self.uploaded_by_user_id) {
            ("customer_user", Some(user)) => Uploader::CustomerUser(user),
            _ => Uploader::Organization,
        };
        AttachmentRecord {
            id: self.id,
            customer_id: self.customer_id,
            name: self.name,
            content_type: self.content_type,
            size: self.size,
            sha256: self.sha256,
            uploaded_by,
            created_at: self.created_at,
        }
    }
}

const SELECT: &str = "SELECT id, customer_id, name, content_type, size, sha256, uploaded_by_kind, \
                      uploaded_by_user_id, created_at FROM attachments";

/// Stores a new attachment with its content.
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    record: &AttachmentRecord,
    content: Vec<u8>,
) -> StoreResult<()> {
    let (kind, user) = match &record.uploaded_by {
        Uploader::Organization => ("organization", None),
        Uploader::CustomerUser(user) => ("customer_user", Some(user.clone())),
    };
    execute(
        tx.conn().await?,
        "INSERT INTO attachments (id, organization_id, customer_id, name, content_type, size, sha256, \
         uploaded_by_kind, uploaded_by_user_id, content, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        [
            (&record.id).into(),
            organization_id.into(),
            (&record.customer_id).into(),
            (&record.name).into(),
            (&record.content_type).into(),
            record.size.into(),
            (&record.sha256).into(),
            kind.into(),
            user.into(),
            Arg::Blob(content),
            record.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A page of a customer's attachments, oldest first; `q` a case-insensitive substring of the
/// name.
pub async fn list(
    store: &Store,
    organization_id: &str,
    customer_id: &str,
    q: Option<&str>,
    page: &PageRequest,
) -> StoreResult<Page<AttachmentRecord>> {
    let mut filter = Filter::eq("organization_id", organization_id);
    filter
        .eq_opt("customer_id", Some(customer_id))
        .contains_any(&["name"], q.map(str::trim));
    let rows: Page<Row> = fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?;
    Ok(rows.map(Row::record))
}

/// One attachment of a customer of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> StoreResult<Option<AttachmentRecord>> {
    let row: Option<Row> = fetch_optional(
        &store.db.read,
        AssertSqlSafe(format!(
            "{SELECT} WHERE organization_id = $1 AND customer_id = $2 AND id = $3"
        )),
        [organization_id.into(), customer_id.into(), id.into()],
    )
    .await?;
    Ok(row.map(Row::record))
}

/// The content of one attachment of a customer of the organization.
pub async fn content(
    store: &Store,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> StoreResult<Option<Vec<u8>>> {
    scalar_optional(
        &store.db.read,
        "SELECT content FROM attachments WHERE organization_id = $1 AND customer_id = $2 AND id = $3",
        [organization_id.into(), customer_id.into(), id.into()],
    )
    .await
}

/// Deletes one attachment of a customer of the organization, returning it (`None`: no such
/// attachment).
pub async fn delete(
    tx: &mut Tx,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> StoreResult<Option<AttachmentRecord>> {
    let row: Option<Row> = fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(format!(
            "{SELECT} WHERE organization_id = $1 AND customer_id = $2 AND id = $3"
        )),
        [organization_id.into(), customer_id.into(), id.into()],
    )
    .await?;
    if row.is_some() {
        execute(
            tx.conn().await?,
            "DELETE FROM attachments WHERE id = $1",
            [id.into()],
        )
        .await?;
    }
    Ok(row.map(Row::record))
}
