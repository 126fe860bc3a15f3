//! `listings`: which integration each marketplace offers, at which version, per (marketplace,
//! integration).

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::Listing;
use marketplace_core::marketplace::ListingVisibility;
use sqlx::AssertSqlSafe;

/// A listing with its last change.
#[derive(Debug, Clone)]
pub struct ListingRecord {
    /// The listing.
    pub listing: Listing,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    marketplace_id: String,
    integration_id: String,
    version: String,
    overview: String,
    customer_deployable: i64,
    allow_multiple_instances: i64,
    partner_brief: String,
    visibility: String,
    pricing: Option<String>,
    updated_at: i64,
}

impl Row {
    fn record(self) -> StoreResult<ListingRecord> {
        Ok(ListingRecord {
            listing: Listing {
                pricing: self
                    .pricing
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("listing pricing: {e}")))?,
                version: semver::Version::parse(&self.version)
                    .map_err(|e| StoreError::Corrupt(format!("listing version: {e}")))?,
                marketplace_id: self.marketplace_id.into(),
                integration_id: self.integration_id.into(),
                overview: self.overview,
                customer_deployable: self.customer_deployable != 0,
                allow_multiple_instances: self.allow_multiple_instances != 0,
                partner_brief: super::json_column("partner_brief", &self.partner_brief)?,
                visibility: ListingVisibility::from_name(&self.visibility).ok_or_else(|| {
                    StoreError::Corrupt(format!("listing visibility `{}`", self.visibility))
                })?,
            },
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT marketplace_id, integration_id, version, overview, customer_deployable, allow_multiple_instances, partner_brief, visibility, pricing, updated_at FROM listings";

/// Lists an integration or changes its listing.
pub async fn upsert(
    tx: &mut Tx,
    organization_id: &str,
    listing: &Listing,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO listings (integration_id, organization_id, version, overview, customer_deployable, allow_multiple_instances, updated_at, marketplace_id, partner_brief, visibility, pricing) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (marketplace_id, integration_id) DO UPDATE SET version = excluded.version, \
         overview = excluded.overview, customer_deployable = excluded.customer_deployable, \
         allow_multiple_instances = excluded.allow_multiple_instances, updated_at = excluded.updated_at, \
         partner_brief = excluded.partner_brief, visibility = excluded.visibility, pricing = excluded.pricing",
        [
            listing.integration_id.as_str().into(),
            organization_id.into(),
            listing.version.to_string().into(),
            (&listing.overview).into(),
            (listing.customer_deployable as i64).into(),
            (listing.allow_multiple_instances as i64).into(),
            now.into(),
            listing.marketplace_id.as_str().into(),
            super::to_json_text(&listing.partner_brief).into(),
            listing.visibility.as_str().into(),
            super::subscriptions::pricing_text(listing.pricing.as_ref()).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Points a marketplace's listing of an integration at a version (a publication): an existing
/// listing keeps its other fields, a new one is not customer-deployable and single-instance.
/// Returns the listing as it now is.
pub async fn point_at(
    tx: &mut Tx,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
    version: &str,
    now: i64,
) -> StoreResult<ListingRecord> {
    execute(
        tx.conn().await?,
        "INSERT INTO listings (marketplace_id, integration_id, organization_id, version, overview, customer_deployable, \
         allow_multiple_instances, updated_at) VALUES ($1, $2, $3, $4, '', 0, 0, $5) \
         ON CONFLICT (marketplace_id, integration_id) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at",
        [
            marketplace_id.into(),
            integration_id.into(),
            organization_id.into(),
            version.into(),
            now.into(),
        ],
    )
    .await?;
    let sql = format!("{SELECT} WHERE marketplace_id = $1 AND integration_id = $2");
    let row: Row = fetch_optional(
        tx.conn().await?,
        AssertSqlSafe(sql),
        [marketplace_id.into(), integration_id.into()],
    )
    .await?
    .ok_or_else(|| StoreError::Corrupt("a listing vanished while being published".into()))?;
    row.record()
}

/// Removes a marketplace's listing (its tenant assignments go with it); whether it existed.
pub async fn delete(
    tx: &mut Tx,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> StoreResult<bool> {
    let sql = "DELETE FROM listings WHERE organization_id = $1 AND marketplace_id = $2 AND integration_id = $3";
    let args = [
        organization_id.into(),
        marketplace_id.into(),
        integration_id.into(),
    ];
    Ok(execute(tx.conn().await?, sql, args).await? > 0)
}

/// A marketplace's listing of an integration (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    marketplace_id: &str,
    integration_id: &str,
) -> StoreResult<Option<ListingRecord>> {
    let sql = format!(
        "{SELECT} WHERE organization_id = $1 AND marketplace_id = $2 AND integration_id = $3"
    );
    let args = [
        organization_id.into(),
        marketplace_id.into(),
        integration_id.into(),
    ];
    let row: Option<Row> = fetch_optional(&store.db.write, AssertSqlSafe(sql), args).await?;
    row.map(Row::record).transpose()
}

/// A page of a marketplace's listings, by integration id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    marketplace_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<ListingRecord>> {
    let mut filter = Filter::eq("organization_id", organization_id);
    filter.eq_opt("marketplace_id", Some(marketplace_id));
    fetch_page(
        store,
        SELECT,
        "integration_id",
        Order::Ascending,
        filter,
        page,
        |r: &Row| r.integration_id.clone(),
    )
    .await?
    .try_map(Row::record)
}

/// Every listing of a marketplace (for its catalog snapshot).
pub async fn all(store: &Store, marketplace_id: &str) -> StoreResult<Vec<ListingRecord>> {
    let sql = format!("{SELECT} WHERE marketplace_id = $1");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [marketplace_id.into()]).await?;
    rows.into_iter().map(Row::record).collect()
}

/// Every listing of every organization as (organization, marketplace, integration, listed
/// version, visibility), by organization: what the re-scorer walks.
pub async fn visibilities(
    store: &Store,
) -> StoreResult<Vec<(String, String, String, String, ListingVisibility)>> {
    let rows: Vec<(String, String, String, String, String)> = fetch_all(
        &store.db.read,
        "SELECT organization_id, marketplace_id, integration_id, version, visibility FROM listings \
         ORDER BY organization_id, marketplace_id, integration_id",
        [],
    )
    .await?;
    rows.into_iter()
        .map(
            |(organization, marketplace, integration, version, visibility)| {
                let visibility = ListingVisibility::from_name(&visibility).ok_or_else(|| {
                    StoreError::Corrupt(format!("listing visibility `{visibility}`"))
                })?;
                Ok((organization, marketplace, integration, version, visibility))
            },
        )
        .collect()
}

/// Moves a listing from one visibility to another in `tx`; `false` when it was no longer at
/// `from` (another process moved it first).
pub async fn move_visibility(
    tx: &mut Tx,
    marketplace_id: &str,
    integration_id: &str,
    from: ListingVisibility,
    to: ListingVisibility,
    now: i64,
) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE listings SET visibility = $1, updated_at = $2 \
         WHERE marketplace_id = $3 AND integration_id = $4 AND visibility = $5",
        [
            to.as_str().into(),
            now.into(),
            marketplace_id.into(),
            integration_id.into(),
            from.as_str().into(),
        ],
    )
    .await?;
    Ok(changed == 1)
}
