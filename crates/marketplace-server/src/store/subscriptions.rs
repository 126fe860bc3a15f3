//! `subscriptions`: what each activation starts (at the listing's price then) and each
//! deactivation ends, plus imported history; and `scoring_policies`, each organization's.

use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_all, fetch_optional, scalar, scalar_optional};
use super::{Conn, Insert, Page, PageRequest, Store, StoreError, StoreResult, Tx};
use marketplace_core::commerce::scoring::SubscriptionFact;
use marketplace_core::commerce::{
    Cancellation, CancellationReason, CancelledBy, Pricing, ScoringPolicy, SubscriptionStatus,
};
use sqlx::AssertSqlSafe;

/// A stored subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    /// Id (`sub_...`).
    pub id: String,
    /// The subscriber.
    pub customer_id: String,
    /// Where it was sold.
    pub marketplace_id: String,
    /// What was subscribed to.
    pub integration_id: String,
    /// The instance that started it (none for an import).
    pub instance_id: Option<String>,
    /// The listing's price when it began (`None`: free).
    pub pricing: Option<Pricing>,
    /// Active or cancelled.
    pub status: SubscriptionStatus,
    /// A return: the customer had cancelled before, with none active.
    pub returning: bool,
    /// Imported history.
    pub imported: bool,
    /// When it began (Unix ms).
    pub subscribed_at: i64,
    /// When and by whom it ended.
    pub cancelled: Option<(i64, CancelledBy)>,
    /// The customer's reason (a customer cancellation only).
    pub cancellation: Option<Cancellation>,
    /// Last change (Unix ms).
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    customer_id: String,
    marketplace_id: String,
    integration_id: String,
    instance_id: Option<String>,
    pricing: Option<String>,
    status: String,
    is_return: i64,
    imported: i64,
    subscribed_at: i64,
    cancelled_at: Option<i64>,
    cancelled_by: Option<String>,
    cancellation_reason: Option<String>,
    cancellation_comment: Option<String>,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, customer_id, marketplace_id, integration_id, instance_id, \
    pricing, status, is_return, imported, subscribed_at, cancelled_at, cancelled_by, \
    cancellation_reason, cancellation_comment, updated_at FROM subscriptions";

/// When and by whom a subscription ended, from its two columns.
fn cancelled(
    id: &str,
    at: Option<i64>,
    by: Option<&str>,
) -> StoreResult<Option<(i64, CancelledBy)>> {
    match (at, by) {
        (Some(at), Some(by)) => CancelledBy::from_name(by)
            .map(|by| Some((at, by)))
            .ok_or_else(|| StoreError::Corrupt(format!("subscription {id}: cancelled_by"))),
        _ => Ok(None),
    }
}

impl Row {
    fn subscription(self) -> StoreResult<Subscription> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("subscription {}: {what}", self.id));
        let pricing = self
            .pricing
            .as_deref()
            .map(serde_json::from_str::<Pricing>)
            .transpose()
            .map_err(|e| corrupt(&format!("pricing: {e}")))?;
        let status =
            SubscriptionStatus::from_name(&self.status).ok_or_else(|| corrupt("status"))?;
        let cancelled = cancelled(&self.id, self.cancelled_at, self.cancelled_by.as_deref())?;
        let cancellation = match self.cancellation_reason.as_deref() {
            Some(reason) => Some(Cancellation {
                reason: CancellationReason::from_name(reason)
                    .ok_or_else(|| corrupt("cancellation_reason"))?,
                comment: self.cancellation_comment,
            }),
            None => None,
        };
        Ok(Subscription {
            id: self.id,
            customer_id: self.customer_id,
            marketplace_id: self.marketplace_id,
            integration_id: self.integration_id,
            instance_id: self.instance_id,
            pricing,
            status,
            returning: self.is_return != 0,
            imported: self.imported != 0,
            subscribed_at: self.subscribed_at,
            cancelled,
            cancellation,
            updated_at: self.updated_at,
        })
    }
}

/// The stored form of a price.
pub fn pricing_text(pricing: Option<&Pricing>) -> Option<String> {
    pricing.map(|p| serde_json::to_string(p).expect("a price serializes"))
}

/// Inserts a subscription (an activation's or an import's) in `tx`.
pub async fn insert(tx: &mut Tx, organization_id: &str, s: &Subscription) -> StoreResult<()> {
    let (cancelled_at, cancelled_by) = match s.cancelled {
        Some((at, by)) => (Some(at), Some(by.as_str().to_owned())),
        None => (None, None),
    };
    tx.defer(
        &INSERT_SUBSCRIPTION,
        vec![
            (&s.id).into(),
            organization_id.into(),
            (&s.customer_id).into(),
            (&s.marketplace_id).into(),
            (&s.integration_id).into(),
            s.instance_id.clone().into(),
            pricing_text(s.pricing.as_ref()).into(),
            s.status.as_str().into(),
            i64::from(s.returning).into(),
            i64::from(s.imported).into(),
            s.subscribed_at.into(),
            Arg::OptInt(cancelled_at),
            cancelled_by.into(),
            s.cancellation
                .as_ref()
                .map(|c| c.reason.as_str().to_owned())
                .into(),
            s.cancellation
                .as_ref()
                .and_then(|c| c.comment.clone())
                .into(),
            s.subscribed_at.max(s.updated_at).into(),
            s.updated_at.into(),
        ],
    );
    Ok(())
}

/// A subscription (held back until the transaction's next statement: [`Tx::defer`]).
static INSERT_SUBSCRIPTION: Insert = Insert {
    head: "INSERT INTO subscriptions (id, organization_id, customer_id, marketplace_id, integration_id, \
           instance_id, pricing, status, is_return, imported, subscribed_at, cancelled_at, cancelled_by, \
           cancellation_reason, cancellation_comment, created_at, updated_at) VALUES",
    row: "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    params: 17,
};

/// The customer's subscriptions of an integration, as the distinct pairs of status and who
/// cancelled (what decides whether an activation is a return, and whether the customer may
/// review), read on `conn` (a transaction's, or a read connection).
pub async fn history(
    conn: &mut Conn,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<Vec<(SubscriptionStatus, Option<CancelledBy>)>> {
    let rows: Vec<(String, Option<String>)> = fetch_all(
        conn,
        "SELECT DISTINCT status, cancelled_by FROM subscriptions WHERE customer_id = $1 AND integration_id = $2",
        [customer_id.into(), integration_id.into()],
    )
    .await?;
    rows.into_iter()
        .map(|(status, by)| history_entry(&status, by.as_deref()))
        .collect()
}

/// One pair of [`history`] from its columns.
pub(super) fn history_entry(
    status: &str,
    cancelled_by: Option<&str>,
) -> StoreResult<(SubscriptionStatus, Option<CancelledBy>)> {
    let status = SubscriptionStatus::from_name(status)
        .ok_or_else(|| StoreError::Corrupt(format!("subscription status {status}")))?;
    Ok((status, cancelled_by.and_then(CancelledBy::from_name)))
}

/// Cancels the instance's active subscription in `tx`; the cancelled subscription, if there was
/// one.
pub async fn cancel_for_instance(
    tx: &mut Tx,
    instance_id: &str,
    by: CancelledBy,
    cancellation: Option<&Cancellation>,
    now: i64,
) -> StoreResult<Option<Subscription>> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE subscriptions SET status = 'cancelled', cancelled_at = $1, cancelled_by = $2, \
         cancellation_reason = $3, cancellation_comment = $4, updated_at = $1 \
         WHERE instance_id = $5 AND status = 'active'",
        [
            now.into(),
            by.as_str().into(),
            cancellation.map(|c| c.reason.as_str().to_owned()).into(),
            cancellation.and_then(|c| c.comment.clone()).into(),
            instance_id.into(),
        ],
    )
    .await?;
    if changed == 0 {
        return Ok(None);
    }
    let sql = format!("{SELECT} WHERE instance_id = $1");
    let row: Option<Row> =
        fetch_optional(tx.conn().await?, AssertSqlSafe(sql), [instance_id.into()]).await?;
    row.map(Row::subscription).transpose()
}

/// Cancels every active subscription of a customer being deleted, as the organization, and
/// erases the customer's own words (cancellation comments) from all of them, in `tx`.
pub async fn cancel_for_customer(tx: &mut Tx, customer_id: &str, now: i64) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE subscriptions SET status = 'cancelled', cancelled_at = $1, \
         cancelled_by = 'organization', updated_at = $1 WHERE customer_id = $2 AND status = 'active'",
        [now.into(), customer_id.into()],
    )
    .await?;
    execute(
        tx.conn().await?,
        "UPDATE subscriptions SET cancellation_comment = NULL \
         WHERE customer_id = $1 AND cancellation_comment IS NOT NULL",
        [customer_id.into()],
    )
    .await?;
    Ok(())
}

/// One subscription of the organization.
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<Subscription>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(Row::subscription).transpose()
}

/// Filters of the subscription list.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionFilter {
    /// One customer's.
    pub customer_id: Option<String>,
    /// One integration's.
    pub integration_id: Option<String>,
    /// One marketplace's.
    pub marketplace_id: Option<String>,
    /// `active` or `cancelled`.
    pub status: Option<SubscriptionStatus>,
}

/// A page of the organization's subscriptions, by id.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &SubscriptionFilter,
    page: &PageRequest,
) -> StoreResult<Page<Subscription>> {
    let mut where_ = Filter::eq("organization_id", organization_id);
    where_
        .eq_opt("customer_id", filter.customer_id.as_deref())
        .eq_opt("integration_id", filter.integration_id.as_deref())
        .eq_opt("marketplace_id", filter.marketplace_id.as_deref())
        .eq_opt("status", filter.status.map(SubscriptionStatus::as_str));
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
    .try_map(Row::subscription)
}

/// What scoring reads of a listing's subscriptions at `at`: each cancelled or returning one,
/// with only the columns it needs, and how many others began by `at` (core's
/// [`ScoreFacts::uncancelled`](marketplace_core::commerce::ScoreFacts::uncancelled)), counted
/// in the index: the re-scorer reads every listing's on each pass, and most subscriptions are
/// those.
pub async fn facts(
    store: &Store,
    marketplace_id: &str,
    integration_id: &str,
    at: i64,
) -> StoreResult<(Vec<SubscriptionFact>, u64)> {
    type FactRow = (String, String, i64, i64, Option<i64>, Option<String>);
    let rows: Vec<FactRow> = fetch_all(
        &store.db.read,
        "SELECT id, customer_id, subscribed_at, is_return, cancelled_at, cancelled_by \
         FROM subscriptions WHERE marketplace_id = $1 AND integration_id = $2 \
         AND (is_return <> 0 OR cancelled_at IS NOT NULL)",
        [marketplace_id.into(), integration_id.into()],
    )
    .await?;
    let uncancelled: i64 = scalar(
        &store.db.read,
        "SELECT COUNT(*) FROM subscriptions WHERE marketplace_id = $1 AND integration_id = $2 \
         AND is_return = 0 AND cancelled_at IS NULL AND subscribed_at <= $3",
        [marketplace_id.into(), integration_id.into(), at.into()],
    )
    .await?;
    let listed = rows
        .into_iter()
        .map(
            |(id, customer_id, subscribed_at, is_return, cancelled_at, cancelled_by)| {
                let cancelled = cancelled(&id, cancelled_at, cancelled_by.as_deref())?;
                Ok(SubscriptionFact {
                    id,
                    customer_id,
                    subscribed_at,
                    returning: is_return != 0,
                    cancelled,
                })
            },
        )
        .collect::<StoreResult<_>>()?;
    Ok((listed, uncancelled.unsigned_abs()))
}

/// The organization's scoring policy (the default when it never set one).
pub async fn policy(store: &Store, organization_id: &str) -> StoreResult<ScoringPolicy> {
    let text: Option<String> = scalar_optional(
        &store.db.read,
        "SELECT policy FROM scoring_policies WHERE organization_id = $1",
        [organization_id.into()],
    )
    .await?;
    match text {
        None => Ok(ScoringPolicy::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("scoring policy: {e}"))),
    }
}

/// Replaces the organization's scoring policy in `tx`.
pub async fn put_policy(
    tx: &mut Tx,
    organization_id: &str,
    policy: &ScoringPolicy,
    now: i64,
) -> StoreResult<()> {
    let text = serde_json::to_string(policy).expect("a policy serializes");
    execute(
        tx.conn().await?,
        "INSERT INTO scoring_policies (organization_id, policy, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (organization_id) DO UPDATE SET policy = $2, updated_at = $3",
        [organization_id.into(), text.into(), now.into()],
    )
    .await?;
    Ok(())
}
