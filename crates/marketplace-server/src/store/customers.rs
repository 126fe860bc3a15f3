//! `customers`, `customer_users` and `customer_configs` (the vendor-set values of a customer
//! for one integration, sealed).

use super::page::{Filter, Order, escape_like, fetch_page};
use super::sql::{Arg, execute, fetch_all, fetch_optional, scalar_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column, to_json_text};
use marketplace_core::catalog::VendorValues;
use marketplace_core::{Customer, Role};
use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;

/// A customer with its creation time.
#[derive(Debug, Clone)]
pub struct CustomerRecord {
    /// The customer.
    pub customer: Customer,
    /// The tenant it belongs to, if any.
    pub tenant_id: Option<String>,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    description: String,
    external_id: String,
    labels: String,
    avatar_url: Option<String>,
    tenant_id: Option<String>,
    created_at: i64,
}

impl Row {
    fn record(self) -> StoreResult<CustomerRecord> {
        Ok(CustomerRecord {
            customer: Customer {
                id: self.id.into(),
                name: self.name,
                description: self.description,
                external_id: self.external_id,
                labels: json_column("labels", &self.labels)?,
                avatar_url: self.avatar_url,
            },
            tenant_id: self.tenant_id,
            created_at: self.created_at,
        })
    }
}

const SELECT: &str = "SELECT id, name, description, external_id, labels, avatar_url, tenant_id, created_at FROM customers";

/// Filters of the customer list.
#[derive(Debug, Clone, Default)]
pub struct CustomerFilter {
    /// Case-insensitive substring of name, description, external id or a label.
    pub search: Option<String>,
    /// A label the customer carries (lower-cased).
    pub label: Option<String>,
    /// Exact external id.
    pub external_id: Option<String>,
    /// Only the customers of this tenant.
    pub tenant_id: Option<String>,
}

/// Stores a new customer (a taken external id is a unique violation).
pub async fn insert(
    tx: &mut Tx,
    organization_id: &str,
    customer: &Customer,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO customers (id, organization_id, external_id, name, description, labels, avatar_url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [
            customer.id.as_str().into(),
            organization_id.into(),
            (&customer.external_id).into(),
            (&customer.name).into(),
            (&customer.description).into(),
            to_json_text(&customer.labels).into(),
            customer.avatar_url.clone().into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Stores a customer's changed fields.
pub async fn update(tx: &mut Tx, customer: &Customer) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE customers SET name = $1, description = $2, external_id = $3, labels = $4, avatar_url = $5 WHERE id = $6",
        [
            (&customer.name).into(),
            (&customer.description).into(),
            (&customer.external_id).into(),
            to_json_text(&customer.labels).into(),
            customer.avatar_url.clone().into(),
            customer.id.as_str().into(),
        ],
    )
    .await?;
    Ok(())
}

/// Sets or clears the tenant a customer belongs to.
pub async fn set_tenant(tx: &mut Tx, id: &str, tenant_id: Option<&str>) -> StoreResult<()> {
    let sql = "UPDATE customers SET tenant_id = $1 WHERE id = $2";
    execute(tx.conn().await?, sql, [tenant_id.into(), id.into()]).await?;
    Ok(())
}

/// Deletes a customer with everything it owns: users, vendor values, instances (with their
/// webhook URLs and idempotency records, by cascade), executions and logs.
pub async fn delete(tx: &mut Tx, id: &str) -> StoreResult<()> {
    for sql in [
        "DELETE FROM logs WHERE customer_id = $1",
        "DELETE FROM executions WHERE customer_id = $1",
        "DELETE FROM customers WHERE id = $1",
    ] {
        execute(tx.conn().await?, sql, [id.into()]).await?;
    }
    Ok(())
}

/// A customer of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<CustomerRecord>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::record).transpose()
}

/// The id of the organization's customer with this external id.
pub async fn id_by_external_id(
    store: &Store,
    organization_id: &str,
    external_id: &str,
) -> StoreResult<Option<String>> {
    let sql = "SELECT id FROM customers WHERE organization_id = $1 AND external_id = $2";
    scalar_optional(
        &store.db.write,
        sql,
        [organization_id.into(), external_id.into()],
    )
    .await
}

/// A page of the organization's customers.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &CustomerFilter,
    page: &PageRequest,
) -> StoreResult<Page<CustomerRecord>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.contains_any(
        &["name", "description", "external_id", "labels"],
        filter.search.as_deref(),
    )
    .eq_opt("external_id", filter.external_id.as_deref())
    .eq_opt("tenant_id", filter.tenant_id.as_deref());
    if let Some(label) = filter.label.as_deref() {
        // Labels are stored as a JSON array: look for the quoted label.
        let quoted = serde_json::to_string(label).unwrap_or_default();
        sql.and(
            "labels LIKE ? ESCAPE '\\'",
            [Arg::Text(format!("%{}%", escape_like(&quoted)))],
        );
    }
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

/// A customer user as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// The host app's user id (`sub`), or the `usr_...` id of a user who accepted an invitation.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// `admin` or `viewer` (the last token's role, or the accepted invitation's).
    pub role: String,
    /// The role the vendor pinned (`admin` or `viewer`), if any.
    pub pinned_role: Option<String>,
    /// Whether the user has a portal password.
    pub has_password: bool,
    /// Until when portal sign-in of the user's email is locked (Unix ms), if a lock was set.
    pub locked_until: Option<i64>,
    /// The last portal sign-in (Unix ms).
    pub last_login_at: Option<i64>,
    /// First seen (Unix ms).
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    customer_id: String,
    name: Option<String>,
    email: Option<String>,
    role: String,
    pinned_role: Option<String>,
    has_password: i64,
    locked_until: Option<i64>,
    last_login_at: Option<i64>,
    created_at: i64,
}

impl From<UserRow> for UserRecord {
    fn from(r: UserRow) -> Self {
        UserRecord {
            id: r.id,
            customer_id: r.customer_id,
            name: r.name,
            email: r.email,
            role: r.role,
            pinned_role: r.pinned_role,
            has_password: r.has_password != 0,
            locked_until: r.locked_until,
            last_login_at: r.last_login_at,
            created_at: r.created_at,
        }
    }
}

/// The users' columns; `locked_until` from `login_failures` of the user's lower-cased email.
const USER_SELECT: &str = "SELECT id, customer_id, name, email, role, pinned_role, \
     CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
     (SELECT f.locked_until FROM login_failures f JOIN customers c ON c.organization_id = f.organization_id \
      WHERE c.id = customer_users.customer_id AND f.email = lower(customer_users.email)) AS locked_until, \
     last_login_at, created_at FROM customer_users";

/// Records a token's user on sight (and its latest role and display data), in a transaction;
/// whether the user is new.
pub async fn upsert_user(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
    name: Option<&str>,
    email: Option<&str>,
    role: Role,
    now: i64,
) -> StoreResult<bool> {
    let role = role.as_str();
    let insert = "INSERT INTO customer_users (customer_id, id, name, email, role, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                  ON CONFLICT (customer_id, id) DO NOTHING";
    let args = [
        customer_id.into(),
        user_id.into(),
        name.into(),
        email.into(),
        role.into(),
        now.into(),
    ];
    if execute(tx.conn().await?, insert, args).await? == 1 {
        return Ok(true);
    }
    let update = "UPDATE customer_users SET role = $3, name = COALESCE($4, name), email = COALESCE($5, email) \
                  WHERE customer_id = $1 AND id = $2";
    let args = [
        customer_id.into(),
        user_id.into(),
        role.into(),
        name.into(),
        email.into(),
    ];
    execute(tx.conn().await?, update, args).await?;
    Ok(false)
}

/// A page of a customer's users.
pub async fn list_users(
    store: &Store,
    customer_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<UserRecord>> {
    let filter = Filter::eq("customer_id", customer_id);
    fetch_page(
        store,
        USER_SELECT,
        "id",
        Order::Ascending,
        filter,
        page,
        |r: &UserRow| r.id.clone(),
    )
    .await
    .map(|page| page.map(UserRecord::from))
}

/// A customer's user, read in a transaction.
pub async fn get_user(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
) -> StoreResult<Option<UserRecord>> {
    let sql = format!("{USER_SELECT} WHERE customer_id = $1 AND id = $2");
    let row: Option<UserRow> = fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [customer_id.into(), user_id.into()],
    )
    .await?;
    Ok(row.map(UserRecord::from))
}

/// Stores a user's display data.
pub async fn update_user(tx: &mut Tx, user: &UserRecord) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE customer_users SET name = $1, email = $2 WHERE customer_id = $3 AND id = $4",
        [
            user.name.clone().into(),
            user.email.clone().into(),
            (&user.customer_id).into(),
            (&user.id).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Deletes a user.
pub async fn delete_user(tx: &mut Tx, customer_id: &str, user_id: &str) -> StoreResult<()> {
    let sql = "DELETE FROM customer_users WHERE customer_id = $1 AND id = $2";
    execute(tx.conn().await?, sql, [customer_id.into(), user_id.into()]).await?;
    Ok(())
}

fn vendor_context(customer_id: &str, integration_id: &str) -> String {
    format!("customer_config:{customer_id}:{integration_id}")
}

/// The vendor's sealed values of each customer and integration.
pub(super) const SEALED_VALUES: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "customer_configs",
    column: "sealed_values",
    keys: &[
        super::reseal::KeyColumn::Text("customer_id"),
        super::reseal::KeyColumn::Text("integration_id"),
    ],
    context: |key| vendor_context(key[0].text(), key[1].text()),
};

pub(super) fn open_vendor_values(
    store: &Store,
    customer_id: &str,
    integration_id: &str,
    blob: &[u8],
) -> StoreResult<Map<String, Value>> {
    store
        .sealer
        .open_json(&vendor_context(customer_id, integration_id), blob)
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| StoreError::Corrupt("a sealed customer config does not open".into()))
}

/// The vendor-set values of a customer for an integration, opened (never return them as is).
pub async fn vendor_values(
    store: &Store,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<Map<String, Value>> {
    let sql =
        "SELECT sealed_values FROM customer_configs WHERE customer_id = $1 AND integration_id = $2";
    let args = [customer_id.into(), integration_id.into()];
    let blob: Option<Vec<u8>> = scalar_optional(&store.db.read, sql, args).await?;
    match blob {
        Some(blob) => open_vendor_values(store, customer_id, integration_id, &blob),
        None => Ok(Map::new()),
    }
}

/// Every vendor-set value of a customer, by integration.
pub async fn all_vendor_values(store: &Store, customer_id: &str) -> StoreResult<VendorValues> {
    let sql = "SELECT integration_id, sealed_values FROM customer_configs WHERE customer_id = $1";
    let sealed: Vec<(String, Vec<u8>)> =
        fetch_all(&store.db.read, sql, [customer_id.into()]).await?;
    let mut vendor = VendorValues::default();
    for (integration_id, blob) in sealed {
        let values = open_vendor_values(store, customer_id, &integration_id, &blob)?;
        vendor.insert(integration_id.into(), values);
    }
    Ok(vendor)
}

/// Stores (sealed) the vendor-set values of a customer for an integration.
pub async fn put_vendor_values(
    tx: &mut Tx,
    store: &Store,
    customer_id: &str,
    integration_id: &str,
    values: &Map<String, Value>,
    now: i64,
) -> StoreResult<()> {
    let blob = store.sealer.seal_json(
        &vendor_context(customer_id, integration_id),
        &Value::Object(values.clone()),
    );
    execute(
        tx.conn().await?,
        "INSERT INTO customer_configs (customer_id, integration_id, sealed_values, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (customer_id, integration_id) DO UPDATE SET sealed_values = excluded.sealed_values, updated_at = excluded.updated_at",
        [customer_id.into(), integration_id.into(), blob.into(), now.into()],
    )
    .await?;
    Ok(())
}
