//! The customer portal's sign-in: `invitations` (and password-reset links), `portal_sessions`,
//! `login_failures`, and the portal columns of `customer_users` (password hash, pinned role,
//! last sign-in). Invitation and session tokens are stored as their SHA-256 only.

use super::page::{Filter, Order, fetch_page};
use super::sql::{Arg, execute, fetch_optional, scalar_optional};
use super::{Conn, Page, PageRequest, Store, StoreResult, Tx};
use marketplace_core::LoginFailures;
use sqlx::AssertSqlSafe;

/// An invitation or a password-reset link, without its token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRecord {
    /// Id.
    pub id: String,
    /// The organization.
    pub organization_id: String,
    /// The customer the user joins.
    pub customer_id: String,
    /// The invited email (normalised).
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// `admin` or `viewer`.
    pub role: String,
    /// The user id to sign in as (a reset's user; an invitation's when the inviter chose one).
    pub user_id: Option<String>,
    /// `invite` or `reset`.
    pub purpose: String,
    /// End of validity (Unix ms).
    pub expires_at: i64,
    /// Creation (Unix ms).
    pub created_at: i64,
}

const INVITATION_COLUMNS: &str =
    "id, organization_id, customer_id, email, name, role, user_id, purpose, expires_at, created_at";

/// Stores an invitation with the SHA-256 of its token, replacing the customer's open one of the
/// same email and purpose (its old link stops working).
pub async fn put_invitation(
    tx: &mut Tx,
    invitation: &InvitationRecord,
    token_hash: &str,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM invitations WHERE customer_id = $1 AND email = $2 AND purpose = $3",
        [
            (&invitation.customer_id).into(),
            (&invitation.email).into(),
            (&invitation.purpose).into(),
        ],
    )
    .await?;
    execute(
        tx.conn().await?,
        AssertSqlSafe(format!(
            "INSERT INTO invitations ({INVITATION_COLUMNS}, token_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        )),
        [
            (&invitation.id).into(),
            (&invitation.organization_id).into(),
            (&invitation.customer_id).into(),
            (&invitation.email).into(),
            invitation.name.clone().into(),
            (&invitation.role).into(),
            invitation.user_id.clone().into(),
            (&invitation.purpose).into(),
            invitation.expires_at.into(),
            invitation.created_at.into(),
            token_hash.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A page of a customer's open invitations (password resets are not listed).
pub async fn list_invitations(
    store: &Store,
    customer_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<InvitationRecord>> {
    let mut filter = Filter::eq("customer_id", customer_id);
    filter.and("purpose = ?", [Arg::from("invite")]);
    fetch_page(
        store,
        &format!("SELECT {INVITATION_COLUMNS} FROM invitations"),
        "id",
        Order::Ascending,
        filter,
        page,
        |r: &InvitationRecord| r.id.clone(),
    )
    .await
}

/// A customer's invitation.
pub async fn get_invitation(
    store: &Store,
    customer_id: &str,
    id: &str,
) -> StoreResult<Option<InvitationRecord>> {
    let sql = format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations WHERE customer_id = $1 AND id = $2 AND purpose = 'invite'"
    );
    fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [customer_id.into(), id.into()],
    )
    .await
}

/// Deletes a customer's invitation; whether it existed.
pub async fn delete_invitation(tx: &mut Tx, customer_id: &str, id: &str) -> StoreResult<bool> {
    let sql = "DELETE FROM invitations WHERE customer_id = $1 AND id = $2 AND purpose = 'invite'";
    Ok(execute(tx.conn().await?, sql, [customer_id.into(), id.into()]).await? == 1)
}

/// Takes (reads and deletes: single use) the invitation of a token's hash.
pub async fn take_invitation(
    tx: &mut Tx,
    token_hash: &str,
) -> StoreResult<Option<InvitationRecord>> {
    let sql =
        format!("DELETE FROM invitations WHERE token_hash = $1 RETURNING {INVITATION_COLUMNS}");
    fetch_optional(tx.conn().await?, AssertSqlSafe(sql), [token_hash.into()]).await
}

/// A user who may sign in to the portal, found by email.
#[derive(Clone, sqlx::FromRow)]
pub struct Credentials {
    /// The user's customer.
    pub customer_id: String,
    /// The user.
    pub user_id: String,
    /// The argon2id PHC string.
    pub password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("customer_id", &self.customer_id)
            .field("user_id", &self.user_id)
            .field("password_hash", &"[redacted]")
            .finish()
    }
}

/// The credentials of the organization's user with this (normalised) email and a password.
pub async fn credentials(
    store: &Store,
    organization_id: &str,
    email: &str,
) -> StoreResult<Option<Credentials>> {
    let sql = "SELECT u.customer_id, u.id AS user_id, u.password_hash FROM customer_users u \
               JOIN customers c ON c.id = u.customer_id \
               WHERE c.organization_id = $1 AND lower(u.email) = $2 AND u.password_hash IS NOT NULL \
               ORDER BY u.created_at LIMIT 1";
    fetch_optional(&store.db.read, sql, [organization_id.into(), email.into()]).await
}

/// A user of the organization with this (normalised) email, as `(customer_id, user_id)`.
pub async fn user_by_email(
    conn: &mut Conn,
    organization_id: &str,
    email: &str,
) -> StoreResult<Option<(String, String)>> {
    let sql = "SELECT u.customer_id, u.id FROM customer_users u JOIN customers c ON c.id = u.customer_id \
               WHERE c.organization_id = $1 AND lower(u.email) = $2 ORDER BY u.created_at LIMIT 1";
    fetch_optional(conn, sql, [organization_id.into(), email.into()]).await
}

/// Creates the user of an accepted invitation, or sets an existing user's name, email and role.
pub async fn put_invited_user(
    tx: &mut Tx,
    invitation: &InvitationRecord,
    user_id: &str,
    name: Option<&str>,
    now: i64,
) -> StoreResult<bool> {
    let insert = "INSERT INTO customer_users (customer_id, id, name, email, role, created_at) \
                  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (customer_id, id) DO NOTHING";
    let args = [
        (&invitation.customer_id).into(),
        user_id.into(),
        name.into(),
        (&invitation.email).into(),
        (&invitation.role).into(),
        now.into(),
    ];
    if execute(tx.conn().await?, insert, args).await? == 1 {
        return Ok(true);
    }
    let update = "UPDATE customer_users SET name = COALESCE($3, name), email = $4, role = $5 \
                  WHERE customer_id = $1 AND id = $2";
    let args = [
        (&invitation.customer_id).into(),
        user_id.into(),
        name.into(),
        (&invitation.email).into(),
        (&invitation.role).into(),
    ];
    execute(tx.conn().await?, update, args).await?;
    Ok(false)
}

/// Sets a user's password hash.
pub async fn set_password(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
    password_hash: &str,
) -> StoreResult<()> {
    let sql = "UPDATE customer_users SET password_hash = $1 WHERE customer_id = $2 AND id = $3";
    execute(
        tx.conn().await?,
        sql,
        [password_hash.into(), customer_id.into(), user_id.into()],
    )
    .await?;
    Ok(())
}

/// Records a successful sign-in.
pub async fn record_login(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
    now: i64,
) -> StoreResult<()> {
    let sql = "UPDATE customer_users SET last_login_at = $1 WHERE customer_id = $2 AND id = $3";
    execute(
        tx.conn().await?,
        sql,
        [now.into(), customer_id.into(), user_id.into()],
    )
    .await?;
    Ok(())
}

/// Pins a user's role (`admin` or `viewer`).
pub async fn pin_role(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
    role: &str,
) -> StoreResult<()> {
    let sql = "UPDATE customer_users SET pinned_role = $1 WHERE customer_id = $2 AND id = $3";
    execute(
        tx.conn().await?,
        sql,
        [role.into(), customer_id.into(), user_id.into()],
    )
    .await?;
    Ok(())
}

/// A user's pinned role: `None` when the user does not exist, `Some(None)` when nothing is pinned.
pub async fn pinned_role(
    store: &Store,
    customer_id: &str,
    user_id: &str,
) -> StoreResult<Option<Option<String>>> {
    let sql = "SELECT pinned_role FROM customer_users WHERE customer_id = $1 AND id = $2";
    scalar_optional(&store.db.read, sql, [customer_id.into(), user_id.into()]).await
}

/// The lockout state of an (organization, normalised email).
pub async fn login_failures(
    conn: &mut Conn,
    organization_id: &str,
    email: &str,
) -> StoreResult<LoginFailures> {
    let sql = "SELECT failures, locked_until FROM login_failures WHERE organization_id = $1 AND email = $2";
    let row: Option<(i64, Option<i64>)> =
        fetch_optional(conn, sql, [organization_id.into(), email.into()]).await?;
    Ok(row
        .map(|(failures, locked_until)| LoginFailures {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            locked_until,
        })
        .unwrap_or_default())
}

/// Stores the lockout state of an (organization, normalised email); a clear state deletes it.
pub async fn put_login_failures(
    tx: &mut Tx,
    organization_id: &str,
    email: &str,
    state: &LoginFailures,
) -> StoreResult<()> {
    if *state == LoginFailures::default() {
        let sql = "DELETE FROM login_failures WHERE organization_id = $1 AND email = $2";
        execute(
            tx.conn().await?,
            sql,
            [organization_id.into(), email.into()],
        )
        .await?;
        return Ok(());
    }
    execute(
        tx.conn().await?,
        "INSERT INTO login_failures (organization_id, email, failures, locked_until) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (organization_id, email) DO UPDATE SET failures = excluded.failures, locked_until = excluded.locked_until",
        [
            organization_id.into(),
            email.into(),
            i64::from(state.failures).into(),
            Arg::OptInt(state.locked_until),
        ],
    )
    .await?;
    Ok(())
}

/// A new portal session, without its secret.
#[derive(Clone)]
pub struct NewSession<'a> {
    /// The organization.
    pub organization_id: &'a str,
    /// The user's customer.
    pub customer_id: &'a str,
    /// The user.
    pub user_id: &'a str,
    /// The value `X-CSRF-Token` must carry.
    pub csrf_token: &'a str,
    /// End (Unix ms).
    pub expires_at: i64,
    /// Start (Unix ms).
    pub created_at: i64,
}

/// Opens a session under the SHA-256 of its cookie's value.
pub async fn insert_session(
    tx: &mut Tx,
    token_hash: &str,
    session: &NewSession<'_>,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO portal_sessions (token_hash, organization_id, customer_id, user_id, csrf_token, expires_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [
            token_hash.into(),
            session.organization_id.into(),
            session.customer_id.into(),
            session.user_id.into(),
            session.csrf_token.into(),
            session.expires_at.into(),
            session.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// A stored session with its user and customer.
#[derive(Clone, sqlx::FromRow)]
pub struct SessionRecord {
    /// The organization.
    pub organization_id: String,
    /// The user's customer.
    pub customer_id: String,
    /// The user.
    pub user_id: String,
    /// The value `X-CSRF-Token` must carry.
    pub csrf_token: String,
    /// End (Unix ms).
    pub expires_at: i64,
    /// The customer's external id.
    pub customer_external_id: String,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's avatar URL.
    pub customer_avatar_url: Option<String>,
    /// The user's display name.
    pub user_name: Option<String>,
    /// The user's email.
    pub user_email: Option<String>,
    /// The user's role (`admin` or `viewer`).
    pub role: String,
    /// The role the vendor pinned, if any.
    pub pinned_role: Option<String>,
}

impl std::fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRecord")
            .field("organization_id", &self.organization_id)
            .field("customer_id", &self.customer_id)
            .field("user_id", &self.user_id)
            .field("csrf_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The session of a cookie's hash with its user and customer (expired or not: the caller
/// decides); none once the user or the customer is deleted.
pub async fn session(store: &Store, token_hash: &str) -> StoreResult<Option<SessionRecord>> {
    let sql = "SELECT s.organization_id, s.customer_id, s.user_id, s.csrf_token, s.expires_at, \
               c.external_id AS customer_external_id, c.name AS customer_name, c.avatar_url AS customer_avatar_url, \
               u.name AS user_name, u.email AS user_email, u.role, u.pinned_role \
               FROM portal_sessions s JOIN customers c ON c.id = s.customer_id \
               JOIN customer_users u ON u.customer_id = s.customer_id AND u.id = s.user_id \
               WHERE s.token_hash = $1";
    fetch_optional(&store.db.read, sql, [token_hash.into()]).await
}

/// Ends one session.
pub async fn delete_session(tx: &mut Tx, token_hash: &str) -> StoreResult<()> {
    let sql = "DELETE FROM portal_sessions WHERE token_hash = $1";
    execute(tx.conn().await?, sql, [token_hash.into()]).await?;
    Ok(())
}

/// Ends every session of a user, but the one of `keep` (a hash) when given.
pub async fn delete_user_sessions(
    tx: &mut Tx,
    customer_id: &str,
    user_id: &str,
    keep: Option<&str>,
) -> StoreResult<()> {
    let sql =
        "DELETE FROM portal_sessions WHERE customer_id = $1 AND user_id = $2 AND token_hash <> $3";
    let keep = keep.unwrap_or_default();
    execute(
        tx.conn().await?,
        sql,
        [customer_id.into(), user_id.into(), keep.into()],
    )
    .await?;
    Ok(())
}

/// Ends every session of a customer's users (the customer's own deletion cascades too).
pub async fn delete_customer_sessions(tx: &mut Tx, customer_id: &str) -> StoreResult<()> {
    let sql = "DELETE FROM portal_sessions WHERE customer_id = $1";
    execute(tx.conn().await?, sql, [customer_id.into()]).await?;
    Ok(())
}
