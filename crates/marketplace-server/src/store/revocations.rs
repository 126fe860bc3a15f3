//! `revocations`: tokens issued before a customer user (or a whole customer) was deleted stop
//! working, even while still within their lifetime.

use super::sql::{execute, scalar};
use super::{Store, StoreResult, Tx};

/// The `user_id` of a revocation that covers every user of the customer.
const WHOLE_CUSTOMER: &str = "";

/// Revokes the tokens issued until `at` (Unix ms) for one user of a customer (by the host's ids).
pub async fn revoke_user(
    tx: &mut Tx,
    organization_id: &str,
    customer_external_id: &str,
    user_id: &str,
    at: i64,
) -> StoreResult<()> {
    upsert(tx, organization_id, customer_external_id, user_id, at).await
}

/// Revokes the tokens issued until `at` (Unix ms) for every user of a customer.
pub async fn revoke_customer(
    tx: &mut Tx,
    organization_id: &str,
    customer_external_id: &str,
    at: i64,
) -> StoreResult<()> {
    upsert(
        tx,
        organization_id,
        customer_external_id,
        WHOLE_CUSTOMER,
        at,
    )
    .await
}

async fn upsert(
    tx: &mut Tx,
    organization_id: &str,
    customer: &str,
    user: &str,
    at: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO revocations (organization_id, customer_external_id, user_id, revoked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organization_id, customer_external_id, user_id) DO UPDATE SET revoked_at = excluded.revoked_at",
        [organization_id.into(), customer.into(), user.into(), at.into()],
    )
    .await?;
    Ok(())
}

/// The latest revocation (Unix ms) covering this user of this customer, if any.
pub async fn revoked_at(
    store: &Store,
    organization_id: &str,
    customer_external_id: &str,
    user_id: &str,
) -> StoreResult<Option<i64>> {
    scalar(
        &store.db.read,
        "SELECT MAX(revoked_at) FROM revocations WHERE organization_id = $1 AND customer_external_id = $2 AND user_id IN ($3, $4)",
        [
            organization_id.into(),
            customer_external_id.into(),
            user_id.into(),
            WHOLE_CUSTOMER.into(),
        ],
    )
    .await
}
