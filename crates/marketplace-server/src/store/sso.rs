//! Single sign-on: what an instance's published event configuration says about signing in
//! (`sso_targets`), the OpenID Provider's signing keys (sealed), the relying parties' client
//! secrets (SHA-256) and the short-lived grants of a sign-in (tickets, sessions, codes, access
//! tokens), each stored as the SHA-256 of its value.

use super::event_configurations::WITH_PUBLISHED;
use super::sql::{Arg, execute, fetch_all, fetch_optional, scalar_optional};
use super::{Conn, Store, StoreError, StoreResult, Tx, json_column};
use marketplace_core::event_config::{EventSnapshot, Sso};
use marketplace_core::instance::InstanceStatus;
use sqlx::AssertSqlSafe;

/// How an instance's users sign in, from its integration's published configuration.
#[derive(Debug, Clone)]
pub struct SsoTarget {
    /// The instance.
    pub instance_id: String,
    /// The organization.
    pub organization_id: String,
    /// The instance's customer.
    pub customer_id: String,
    /// The instance's status.
    pub status: InstanceStatus,
    /// The vendor's account for the instance.
    pub account_identifier: Option<String>,
    /// The vendor's id of the instance's customer.
    pub customer_external_id: String,
    /// The event configuration (the shared client's id).
    pub configuration_id: String,
    /// Its SSO settings.
    pub sso: Sso,
}

#[derive(sqlx::FromRow)]
struct TargetRow {
    instance_id: String,
    organization_id: String,
    customer_id: String,
    status: String,
    account_identifier: Option<String>,
    external_id: String,
    configuration_id: String,
    snapshot: String,
}

/// The SSO settings of those of `instance_ids` whose integration's published configuration has
/// any: one query for them all, on a read connection or in a transaction.
pub async fn targets(conn: &mut Conn, instance_ids: &[&str]) -> StoreResult<Vec<SsoTarget>> {
    if instance_ids.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=instance_ids.len()).map(|n| format!("${n}")).collect();
    let sql = format!(
        "SELECT i.id AS instance_id, i.organization_id, i.customer_id, i.status, i.account_identifier, cu.external_id, c.id AS configuration_id, r.snapshot \
         {WITH_PUBLISHED} JOIN event_configuration_links l ON l.event_configuration_id = c.id \
         JOIN instances i ON i.integration_id = l.integration_id JOIN customers cu ON cu.id = i.customer_id \
         WHERE i.id IN ({})",
        placeholders.join(", ")
    );
    let args: Vec<Arg> = instance_ids.iter().map(|id| (*id).into()).collect();
    let rows: Vec<TargetRow> = fetch_all(&mut *conn, AssertSqlSafe(sql), args).await?;
    let mut targets = Vec::new();
    for row in rows {
        let snapshot: EventSnapshot =
            json_column("event_configuration_revisions.snapshot", &row.snapshot)?;
        if let Some(sso) = snapshot.sso {
            targets.push(SsoTarget {
                instance_id: row.instance_id,
                organization_id: row.organization_id,
                customer_id: row.customer_id,
                status: row
                    .status
                    .parse()
                    .map_err(|_| StoreError::Corrupt("instances.status".into()))?,
                account_identifier: row.account_identifier,
                customer_external_id: row.external_id,
                configuration_id: row.configuration_id,
                sso,
            });
        }
    }
    Ok(targets)
}

/// A user's email and name, if the user is known.
pub async fn user_profile(
    store: &Store,
    customer_id: &str,
    user_id: &str,
) -> StoreResult<Option<(Option<String>, Option<String>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        email: Option<String>,
        name: Option<String>,
    }
    let row: Option<Row> = fetch_optional(
        &store.db.read,
        "SELECT email, name FROM customer_users WHERE customer_id = $1 AND id = $2",
        [customer_id.into(), user_id.into()],
    )
    .await?;
    Ok(row.map(|r| (r.email, r.name)))
}

/// A signing key of the OpenID Provider (its PKCS#8 private key opened).
#[derive(Clone)]
pub struct StoredKey {
    /// Key id (`kid`).
    pub kid: String,
    /// The PKCS#8 DER private key.
    pub pkcs8: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("pkcs8", &"[redacted]")
            .field("created_at", &self.created_at)
            .finish()
    }
}

fn key_context(kid: &str) -> String {
    format!("sso_signing_key:{kid}")
}

/// The sealed private key of each SSO signing key.
pub(super) const SEALED_PRIVATE_KEY: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "sso_signing_keys",
    column: "sealed_private_key",
    keys: &[super::reseal::KeyColumn::Text("kid")],
    context: |key| key_context(key[0].text()),
};

/// Every signing key, oldest first.
pub async fn signing_keys(store: &Store) -> StoreResult<Vec<StoredKey>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        kid: String,
        sealed_private_key: Vec<u8>,
        created_at: i64,
    }
    let sql =
        "SELECT kid, sealed_private_key, created_at FROM sso_signing_keys ORDER BY created_at, kid";
    let rows: Vec<Row> = fetch_all(&store.db.write, sql, []).await?;
    rows.into_iter()
        .map(|row| {
            let pkcs8 = store
                .sealer
                .open(&key_context(&row.kid), &row.sealed_private_key)
                .ok_or_else(|| StoreError::Corrupt(format!("the SSO signing key {}", row.kid)))?;
            Ok(StoredKey {
                kid: row.kid,
                pkcs8,
                created_at: row.created_at,
            })
        })
        .collect()
}

/// Stores a signing key, sealed.
pub async fn insert_signing_key(store: &Store, key: &StoredKey) -> StoreResult<()> {
    let sealed = store.sealer.seal(&key_context(&key.kid), &key.pkcs8);
    execute(
        &store.db.write,
        "INSERT INTO sso_signing_keys (kid, sealed_private_key, created_at) VALUES ($1, $2, $3)",
        [
            key.kid.as_str().into(),
            sealed.into(),
            key.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Sets (or replaces) a client's secret, by its hash.
pub async fn set_client(
    tx: &mut Tx,
    client_id: &str,
    organization_id: &str,
    secret_hash: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO sso_clients (client_id, organization_id, secret_hash, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (client_id) DO UPDATE SET organization_id = excluded.organization_id, \
         secret_hash = excluded.secret_hash, created_at = excluded.created_at",
        [
            client_id.into(),
            organization_id.into(),
            secret_hash.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The organization of a client whose secret hashes to `secret_hash`.
pub async fn client_organization(
    store: &Store,
    client_id: &str,
    secret_hash: &str,
) -> StoreResult<Option<String>> {
    scalar_optional(
        &store.db.read,
        "SELECT organization_id FROM sso_clients WHERE client_id = $1 AND secret_hash = $2",
        [client_id.into(), secret_hash.into()],
    )
    .await
}

/// What a grant is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantKind {
    /// A launch ticket (single use).
    Ticket,
    /// A browser session (the `mp_sso` cookie).
    Session,
    /// An authorization code (single use).
    Code,
    /// An access token of the userinfo endpoint.
    Access,
}

impl GrantKind {
    fn as_str(self) -> &'static str {
        match self {
            GrantKind::Ticket => "ticket",
            GrantKind::Session => "session",
            GrantKind::Code => "code",
            GrantKind::Access => "access",
        }
    }
}

/// A short-lived grant of a sign-in: who signs in to which instance, and for codes what the
/// token request must match.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Grant {
    /// The organization.
    pub organization_id: String,
    /// The instance signed in to.
    pub instance_id: String,
    /// The customer.
    pub customer_id: String,
    /// The user (the host app's id).
    pub user_id: String,
    /// The user's role (wire name).
    pub role: String,
    /// The relying party (codes and access tokens).
    pub client_id: Option<String>,
    /// The redirect URI of the authorization request (codes).
    pub redirect_uri: Option<String>,
    /// The PKCE S256 challenge (codes).
    pub code_challenge: Option<String>,
    /// The relying party's nonce (codes).
    pub nonce: Option<String>,
    /// Expiry (Unix ms).
    pub expires_at: i64,
}

const GRANT_COLUMNS: &str = "organization_id, instance_id, customer_id, user_id, role, client_id, redirect_uri, \
     code_challenge, nonce, expires_at";

/// Stores a grant by the hash of its value (and drops expired ones).
pub async fn insert_grant(
    store: &Store,
    grant_hash: &str,
    kind: GrantKind,
    grant: &Grant,
    now: i64,
) -> StoreResult<()> {
    execute(
        &store.db.write,
        "DELETE FROM sso_grants WHERE expires_at < $1",
        [now.into()],
    )
    .await?;
    let sql = format!(
        "INSERT INTO sso_grants (grant_hash, kind, {GRANT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    );
    execute(
        &store.db.write,
        AssertSqlSafe(sql),
        [
            grant_hash.into(),
            kind.as_str().into(),
            grant.organization_id.as_str().into(),
            grant.instance_id.as_str().into(),
            grant.customer_id.as_str().into(),
            grant.user_id.as_str().into(),
            grant.role.as_str().into(),
            grant.client_id.clone().into(),
            grant.redirect_uri.clone().into(),
            grant.code_challenge.clone().into(),
            grant.nonce.clone().into(),
            grant.expires_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Removes a single-use grant and returns it if it was there and unexpired: of two concurrent
/// takers, one gets it.
pub async fn take_grant(
    store: &Store,
    grant_hash: &str,
    kind: GrantKind,
    now: i64,
) -> StoreResult<Option<Grant>> {
    let sql = format!(
        "DELETE FROM sso_grants WHERE grant_hash = $1 AND kind = $2 RETURNING {GRANT_COLUMNS}"
    );
    let grant: Option<Grant> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [grant_hash.into(), kind.as_str().into()],
    )
    .await?;
    Ok(grant.filter(|g| g.expires_at > now))
}

/// An unexpired grant (sessions and access tokens, used more than once).
pub async fn grant(
    store: &Store,
    grant_hash: &str,
    kind: GrantKind,
    now: i64,
) -> StoreResult<Option<Grant>> {
    let sql = format!(
        "SELECT {GRANT_COLUMNS} FROM sso_grants WHERE grant_hash = $1 AND kind = $2 AND expires_at > $3"
    );
    fetch_optional(
        &store.db.read,
        AssertSqlSafe(sql),
        [grant_hash.into(), kind.as_str().into(), now.into()],
    )
    .await
}
