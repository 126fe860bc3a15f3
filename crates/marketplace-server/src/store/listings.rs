//! `listings`: which integration the marketplace offers, at which version.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::Listing;
use marketplace_core::marketplace::ListingVisibility;

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
    updated_at: i64,
}

impl Row {
    fn record(self) -> StoreResult<ListingRecord> {
        Ok(ListingRecord {
            listing: Listing {
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

const SELECT: &str = "SELECT marketplace_id, integration_id, version, overview, customer_deployable, allow_multiple_instances, partner_brief, visibility, updated_at FROM listings";

/// Restricts a query to the organization's default marketplace (`$1` is the organization id).
const IN_DEFAULT: &str =
    "marketplace_id IN (SELECT id FROM marketplaces WHERE organization_id = $1 AND is_default = 1)";

/// Lists an integration or changes its listing.
pub async fn upsert(
    tx: &mut Tx,
    organization_id: &str,
    listing: &Listing,
    now: i64,
) -> StoreResult<()> {
    execute(
        &mut **tx,
        "INSERT INTO listings (integration_id, organization_id, version, overview, customer_deployable, allow_multiple_instances, updated_at, marketplace_id, partner_brief, visibility) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (marketplace_id, integration_id) DO UPDATE SET version = excluded.version, \
         overview = excluded.overview, customer_deployable = excluded.customer_deployable, \
         allow_multiple_instances = excluded.allow_multiple_instances, updated_at = excluded.updated_at, \
         partner_brief = excluded.partner_brief, visibility = excluded.visibility",
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
        ],
    )
    .await?;
    Ok(())
}

/// Removes a listing; whether it existed.
pub async fn delete(tx: &mut Tx, organization_id: &str, integration_id: &str) -> StoreResult<bool> {
    let sql = format!(
        "DELETE FROM listings WHERE organization_id = $1 AND integration_id = $2 AND {IN_DEFAULT}"
    );
    let deleted = execute(
        &mut **tx,
        &sql,
        [organization_id.into(), integration_id.into()],
    )
    .await?;
    Ok(deleted > 0)
}

/// A listing of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    integration_id: &str,
) -> StoreResult<Option<ListingRecord>> {
    let sql =
        format!("{SELECT} WHERE organization_id = $1 AND integration_id = $2 AND {IN_DEFAULT}");
    let args = [organization_id.into(), integration_id.into()];
    let row: Option<Row> = fetch_optional(&store.db.write, &sql, args).await?;
    row.map(Row::record).transpose()
}

/// A page of the organization's listings.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<ListingRecord>> {
    let mut filter = Filter::eq("organization_id", organization_id);
    filter.and(
        "marketplace_id IN (SELECT id FROM marketplaces WHERE organization_id = ? AND is_default = 1)",
        [organization_id.into()],
    );
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

/// Every listing of the organization (for a catalog snapshot).
pub async fn all(store: &Store, organization_id: &str) -> StoreResult<Vec<ListingRecord>> {
    let sql = format!("{SELECT} WHERE organization_id = $1 AND {IN_DEFAULT}");
    let rows: Vec<Row> = fetch_all(&store.db.read, &sql, [organization_id.into()]).await?;
    rows.into_iter().map(Row::record).collect()
}
