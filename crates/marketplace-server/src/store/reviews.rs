//! `reviews`: one per customer and integration, with the vendor's response, its dispute and a
//! reviewer's decision, and the follow-up a returning customer adds.

use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_all, fetch_optional};
use super::{Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::commerce::DisputeStatus;
use marketplace_core::commerce::review::is_negative;
use marketplace_core::commerce::scoring::{DisputeFact, ReviewFact};
use sqlx::AssertSqlSafe;

/// A stored review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// Id (`rev_...`).
    pub id: String,
    /// The author.
    pub customer_id: String,
    /// The reviewed integration.
    pub integration_id: String,
    /// 1 to 5.
    pub rating: u8,
    /// The review.
    pub text: String,
    /// The author came back after writing it.
    pub returned: bool,
    /// What the author added after coming back.
    pub follow_up: Option<String>,
    /// The vendor's response and when.
    pub response: Option<(String, i64)>,
    /// The vendor's dispute.
    pub dispute: Option<Dispute>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

/// A vendor's dispute of a review.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispute {
    /// Where it stands.
    pub status: DisputeStatus,
    /// The vendor's reason.
    pub reason: String,
    /// The reviewer's notes.
    pub notes: Option<String>,
    /// The API key that filed it (it may not decide it).
    pub filed_by: String,
    /// When it was filed.
    pub filed_at: i64,
    /// When it was decided.
    pub decided_at: Option<i64>,
}

impl Review {
    /// The review as scoring reads it.
    pub fn fact(&self) -> ReviewFact {
        ReviewFact {
            id: self.id.clone(),
            customer_id: self.customer_id.clone(),
            rating: self.rating,
            created_at: self.created_at,
            dispute: self.dispute.as_ref().map(|d| DisputeFact {
                filed_at: d.filed_at,
                decided: d
                    .decided_at
                    .map(|at| (d.status == DisputeStatus::Accepted, at)),
            }),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    customer_id: String,
    integration_id: String,
    rating: i64,
    body: String,
    returned: i64,
    follow_up: Option<String>,
    response_text: Option<String>,
    response_at: Option<i64>,
    dispute_status: Option<String>,
    dispute_reason: Option<String>,
    dispute_notes: Option<String>,
    dispute_filed_by: Option<String>,
    dispute_filed_at: Option<i64>,
    dispute_decided_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, customer_id, integration_id, rating, body, returned, follow_up, \
    response_text, response_at, dispute_status, dispute_reason, dispute_notes, dispute_filed_by, \
    dispute_filed_at, dispute_decided_at, created_at, updated_at FROM reviews";

impl Row {
    fn review(self) -> StoreResult<Review> {
        let dispute = match (self.dispute_status.as_deref(), self.dispute_filed_at) {
            (Some(status), Some(filed_at)) => Some(Dispute {
                status: DisputeStatus::from_name(status).ok_or_else(|| {
                    StoreError::Corrupt(format!("review {} dispute status", self.id))
                })?,
                reason: self.dispute_reason.unwrap_or_default(),
                notes: self.dispute_notes,
                filed_by: self.dispute_filed_by.unwrap_or_default(),
                filed_at,
                decided_at: self.dispute_decided_at,
            }),
            _ => None,
        };
        Ok(Review {
            id: self.id,
            customer_id: self.customer_id,
            integration_id: self.integration_id,
            rating: u8::try_from(self.rating).unwrap_or(0),
            text: self.body,
            returned: self.returned != 0,
            follow_up: self.follow_up,
            response: self.response_text.zip(self.response_at),
            dispute,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Inserts a review; `false` when the customer has one of the integration already.
pub async fn insert(tx: &mut Tx, organization_id: &str, review: &Review) -> StoreResult<bool> {
    let inserted = execute(
        tx.conn().await?,
        "INSERT INTO reviews (id, organization_id, customer_id, integration_id, rating, body, \
         returned, follow_up, created_at, updated_at, negative) VALUES ($1, $2, $3, $4, $5, $6, \
         $7, $8, $9, $9, $10) ON CONFLICT (customer_id, integration_id) DO NOTHING",
        [
            (&review.id).into(),
            organization_id.into(),
            (&review.customer_id).into(),
            (&review.integration_id).into(),
            i64::from(review.rating).into(),
            (&review.text).into(),
            i64::from(review.returned).into(),
            review.follow_up.clone().into(),
            review.created_at.into(),
            i64::from(is_negative(review.rating)).into(),
        ],
    )
    .await?;
    Ok(inserted == 1)
}

/// Writes a review's changeable fields back (rating, text, follow-up, response, dispute).
pub async fn update(tx: &mut Tx, review: &Review) -> StoreResult<()> {
    let dispute = review.dispute.as_ref();
    execute(
        tx.conn().await?,
        "UPDATE reviews SET rating = $1, body = $2, follow_up = $3, response_text = $4, \
         response_at = $5, dispute_status = $6, dispute_reason = $7, dispute_notes = $8, \
         dispute_filed_by = $9, dispute_filed_at = $10, dispute_decided_at = $11, \
         updated_at = $12, negative = $14 WHERE id = $13",
        [
            i64::from(review.rating).into(),
            (&review.text).into(),
            review.follow_up.clone().into(),
            review.response.as_ref().map(|(t, _)| t.clone()).into(),
            Arg::OptInt(review.response.as_ref().map(|(_, at)| *at)),
            dispute.map(|d| d.status.as_str().to_owned()).into(),
            dispute.map(|d| d.reason.clone()).into(),
            dispute.and_then(|d| d.notes.clone()).into(),
            dispute.map(|d| d.filed_by.clone()).into(),
            Arg::OptInt(dispute.map(|d| d.filed_at)),
            Arg::OptInt(dispute.and_then(|d| d.decided_at)),
            review.updated_at.into(),
            (&review.id).into(),
            i64::from(is_negative(review.rating)).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Marks the customer's review of an integration as written before a return, in `tx`.
pub async fn mark_returned(
    tx: &mut Tx,
    customer_id: &str,
    integration_id: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE reviews SET returned = 1, updated_at = $1 \
         WHERE customer_id = $2 AND integration_id = $3 AND returned = 0",
        [now.into(), customer_id.into(), integration_id.into()],
    )
    .await?;
    Ok(())
}

/// One review of the organization (read from the write pool: it may just have changed).
pub async fn get(store: &Store, organization_id: &str, id: &str) -> StoreResult<Option<Review>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::review).transpose()
}

/// The customer's review of an integration, if any (read on the read pool).
pub async fn of_customer(
    store: &Store,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<Option<Review>> {
    let sql = format!("{SELECT} WHERE customer_id = $1 AND integration_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [customer_id.into(), integration_id.into()],
    )
    .await?;
    row.map(Row::review).transpose()
}

/// Filters of the review list.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// One integration's.
    pub integration_id: Option<String>,
    /// One customer's.
    pub customer_id: Option<String>,
    /// Only negative (`true`) or only other (`false`) reviews.
    pub negative: Option<bool>,
    /// Only reviews whose dispute is in this state.
    pub dispute: Option<DisputeStatus>,
}

/// A page of the organization's reviews, by id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &ReviewFilter,
    page: &PageRequest,
) -> StoreResult<Page<Review>> {
    let mut where_ = Filter::eq("organization_id", organization_id);
    where_
        .eq_opt("integration_id", filter.integration_id.as_deref())
        .eq_opt("customer_id", filter.customer_id.as_deref())
        .eq_opt("dispute_status", filter.dispute.map(DisputeStatus::as_str))
        .int_opt("negative", "=", filter.negative.map(i64::from));
    fetch_page(
        store,
        SELECT,
        "id",
        Order::Ascending,
        where_,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?
    .try_map(Row::review)
}

/// Every review of an integration (scoring, ratings).
pub async fn of_integration(store: &Store, integration_id: &str) -> StoreResult<Vec<Review>> {
    let sql = format!("{SELECT} WHERE integration_id = $1 ORDER BY id");
    let rows: Vec<Row> =
        fetch_all(&store.db.read, AssertSqlSafe(sql), [integration_id.into()]).await?;
    rows.into_iter().map(Row::review).collect()
}

/// The ratings of the organization's reviews, by integration (the catalog's ratings).
pub async fn ratings(
    store: &Store,
    organization_id: &str,
) -> StoreResult<std::collections::HashMap<String, Vec<u8>>> {
    let rows: Vec<(String, i64)> = fetch_all(
        &store.db.read,
        "SELECT integration_id, rating FROM reviews WHERE organization_id = $1",
        [organization_id.into()],
    )
    .await?;
    let mut by_integration: std::collections::HashMap<String, Vec<u8>> = Default::default();
    for (integration_id, rating) in rows {
        by_integration
            .entry(integration_id)
            .or_default()
            .push(u8::try_from(rating).unwrap_or(0));
    }
    Ok(by_integration)
}
