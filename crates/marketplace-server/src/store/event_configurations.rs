//! `event_configurations`, their published `event_configuration_revisions`, the integrations
//! linked to them, and their inbound vendor clients with the `vendor_tokens` issued to them.
//! Snapshots are stored as JSON without their client secret, which is sealed beside them; the
//! signing secrets are sealed; inbound client secrets and tokens are stored as SHA-256 hashes.

use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_optional, scalar_all, scalar_optional};
use super::{
    Conn, Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column, to_json_text,
};
use marketplace_core::event_config::EventSnapshot;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AssertSqlSafe;

/// A signing secret and, for a rotated one, when it stops co-signing (Unix ms).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningSecret {
    /// `whsec_...`.
    pub secret: String,
    /// `None` for the current secret.
    pub expires_at: Option<i64>,
}

/// An event configuration with its snapshots (secrets opened).
#[derive(Debug, Clone)]
pub struct EventConfiguration {
    /// Id (`evc_...`).
    pub id: String,
    /// Name.
    pub name: String,
    /// The editable snapshot.
    pub working: EventSnapshot,
    /// The latest published snapshot.
    pub published: Option<EventSnapshot>,
    /// The latest revision (0 before the first publish).
    pub revision: i64,
    /// When the latest revision was published.
    pub published_at: Option<i64>,
    /// The integrations linked to it.
    pub linked_integrations: Vec<String>,
    /// The inbound client's id and creation time.
    pub inbound_client: Option<(String, i64)>,
    /// The last ping per snapshot and type: `{"working": {type: test}, "published": {...}}`.
    pub last_tests: Value,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    working: String,
    sealed_working_secret: Option<Vec<u8>>,
    revision: i64,
    published_at: Option<i64>,
    snapshot: Option<String>,
    sealed_secret: Option<Vec<u8>>,
    inbound_client_id: Option<String>,
    inbound_created_at: Option<i64>,
    last_tests: String,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT c.id, c.name, c.working, c.sealed_working_secret, c.revision, c.published_at, \
     r.snapshot, r.sealed_secret, c.inbound_client_id, c.inbound_created_at, c.last_tests, c.created_at, c.updated_at \
     FROM event_configurations c LEFT JOIN event_configuration_revisions r \
     ON r.event_configuration_id = c.id AND r.revision = c.revision";

fn working_context(id: &str) -> String {
    format!("event_configuration:{id}:working")
}

fn revision_context(id: &str, revision: i64) -> String {
    format!("event_configuration:{id}:revision:{revision}")
}

fn signing_context(id: &str) -> String {
    format!("event_configuration:{id}:signing")
}

/// The sealed secret of each event configuration's working copy.
pub(super) const SEALED_WORKING_SECRET: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "event_configurations",
    column: "sealed_working_secret",
    keys: &[super::reseal::KeyColumn::Text("id")],
    context: |key| working_context(key[0].text()),
};

/// The sealed signing secrets of each event configuration.
pub(super) const SEALED_SIGNING_SECRETS: super::reseal::SealedColumn =
    super::reseal::SealedColumn {
        table: "event_configurations",
        column: "sealed_signing_secrets",
        keys: &[super::reseal::KeyColumn::Text("id")],
        context: |key| signing_context(key[0].text()),
    };

/// The sealed secret of each published revision.
pub(super) const SEALED_REVISION_SECRET: super::reseal::SealedColumn =
    super::reseal::SealedColumn {
        table: "event_configuration_revisions",
        column: "sealed_secret",
        keys: &[
            super::reseal::KeyColumn::Text("event_configuration_id"),
            super::reseal::KeyColumn::Int("revision"),
        ],
        context: |key| revision_context(key[0].text(), key[1].int()),
    };

/// Reads a stored snapshot and puts its sealed secret back.
fn open_snapshot(
    store: &Store,
    context: &str,
    json: &str,
    sealed: Option<&[u8]>,
) -> StoreResult<EventSnapshot> {
    let snapshot: EventSnapshot = json_column(context, json)?;
    let secret = match sealed {
        None => None,
        Some(blob) => Some(
            store
                .sealer
                .open(context, blob)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("the sealed secret of {context}")))?,
        ),
    };
    Ok(snapshot.with_secret(secret))
}

/// A snapshot's stored form: JSON without the secret, and the secret sealed.
fn seal_snapshot(
    store: &Store,
    context: &str,
    snapshot: &EventSnapshot,
) -> (String, Option<Vec<u8>>) {
    let (plain, secret) = snapshot.clone().split_secret();
    let sealed = secret.map(|s| store.sealer.seal(context, s.as_bytes()));
    (to_json_text(&plain), sealed)
}

impl Row {
    fn configuration(self, store: &Store, linked: Vec<String>) -> StoreResult<EventConfiguration> {
        let working = open_snapshot(
            store,
            &working_context(&self.id),
            &self.working,
            self.sealed_working_secret.as_deref(),
        )?;
        let published = match &self.snapshot {
            None => None,
            Some(json) => Some(open_snapshot(
                store,
                &revision_context(&self.id, self.revision),
                json,
                self.sealed_secret.as_deref(),
            )?),
        };
        Ok(EventConfiguration {
            working,
            published,
            revision: self.revision,
            published_at: self.published_at,
            linked_integrations: linked,
            inbound_client: self.inbound_client_id.zip(self.inbound_created_at),
            last_tests: json_column("last_tests", &self.last_tests)?,
            id: self.id,
            name: self.name,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// A configuration to store.
#[derive(Debug, Clone)]
pub struct NewConfiguration<'a> {
    /// The organization.
    pub organization_id: &'a str,
    /// Its id.
    pub id: &'a str,
    /// Its name.
    pub name: &'a str,
    /// The first working snapshot.
    pub working: &'a EventSnapshot,
    /// The first signing secret.
    pub signing_secret: &'a str,
    /// When (Unix ms).
    pub now: i64,
}

/// Stores a new configuration with its first signing secret.
pub async fn insert(tx: &mut Tx, store: &Store, new: &NewConfiguration<'_>) -> StoreResult<()> {
    let NewConfiguration {
        organization_id,
        id,
        name,
        working,
        signing_secret,
        now,
    } = *new;
    let (json, sealed) = seal_snapshot(store, &working_context(id), working);
    let secrets = vec![SigningSecret {
        secret: signing_secret.to_owned(),
        expires_at: None,
    }];
    let sealed_secrets = store.sealer.seal_json(
        &signing_context(id),
        &serde_json::to_value(&secrets).unwrap_or_default(),
    );
    let args = [
        id.into(),
        organization_id.into(),
        name.into(),
        json.into(),
        sealed.into(),
        sealed_secrets.into(),
        now.into(),
        now.into(),
    ];
    execute(
        tx.conn().await?,
        "INSERT INTO event_configurations (id, organization_id, name, working, sealed_working_secret, revision, \
         published_at, sealed_signing_secrets, last_tests, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, NULL, $6, '{}', $7, $8)",
        args,
    )
    .await?;
    Ok(())
}

/// A configuration of the organization (read from the write pool: it may just have changed).
pub async fn get(
    store: &Store,
    organization_id: &str,
    id: &str,
) -> StoreResult<Option<EventConfiguration>> {
    let sql = format!("{SELECT} WHERE c.id = $1 AND c.organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    match row {
        None => Ok(None),
        Some(row) => {
            let linked = linked_integrations(store, &row.id).await?;
            row.configuration(store, linked).map(Some)
        }
    }
}

/// A page of the organization's configurations.
pub async fn list(
    store: &Store,
    organization_id: &str,
    page: &PageRequest,
) -> StoreResult<Page<EventConfiguration>> {
    let filter = Filter::eq("c.organization_id", organization_id);
    let rows = fetch_page(
        store,
        SELECT,
        "c.id",
        Order::Ascending,
        filter,
        page,
        |r: &Row| r.id.clone(),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.items.len());
    for row in rows.items {
        let linked = linked_integrations(store, &row.id).await?;
        items.push(row.configuration(store, linked)?);
    }
    Ok(Page {
        items,
        next_cursor: rows.next_cursor,
    })
}

/// The integrations linked to a configuration.
pub async fn linked_integrations(store: &Store, id: &str) -> StoreResult<Vec<String>> {
    let sql = "SELECT integration_id FROM event_configuration_links WHERE event_configuration_id = $1 ORDER BY integration_id";
    scalar_all(&store.db.write, sql, [id.into()]).await
}

/// Renames a configuration.
pub async fn rename(tx: &mut Tx, id: &str, name: &str, now: i64) -> StoreResult<()> {
    let sql = "UPDATE event_configurations SET name = $2, updated_at = $3 WHERE id = $1";
    execute(tx.conn().await?, sql, [id.into(), name.into(), now.into()]).await?;
    Ok(())
}

/// Replaces the working snapshot.
pub async fn put_working(
    tx: &mut Tx,
    store: &Store,
    id: &str,
    working: &EventSnapshot,
    now: i64,
) -> StoreResult<()> {
    let (json, sealed) = seal_snapshot(store, &working_context(id), working);
    execute(
        tx.conn().await?,
        "UPDATE event_configurations SET working = $2, sealed_working_secret = $3, updated_at = $4 WHERE id = $1",
        [
            id.into(),
            json.into(),
            sealed.into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Publishes `snapshot` as revision `revision`.
pub async fn publish(
    tx: &mut Tx,
    store: &Store,
    id: &str,
    revision: i64,
    snapshot: &EventSnapshot,
    now: i64,
) -> StoreResult<()> {
    let (json, sealed) = seal_snapshot(store, &revision_context(id, revision), snapshot);
    execute(
        tx.conn().await?,
        "INSERT INTO event_configuration_revisions (event_configuration_id, revision, snapshot, sealed_secret, published_at) \
         VALUES ($1, $2, $3, $4, $5)",
        [
            id.into(),
            revision.into(),
            json.into(),
            sealed.into(),
            now.into(),
        ],
    )
    .await?;
    execute(
        tx.conn().await?,
        "UPDATE event_configurations SET revision = $2, published_at = $3, updated_at = $3 WHERE id = $1",
        [id.into(), revision.into(), now.into()],
    )
    .await?;
    Ok(())
}

/// Deletes a configuration (its revisions, deliveries and tokens go with it).
pub async fn delete(tx: &mut Tx, id: &str) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM event_configurations WHERE id = $1",
        [id.into()],
    )
    .await?;
    Ok(())
}

/// The signing secrets (current first, then any rotated one still co-signing).
pub async fn signing_secrets(store: &Store, id: &str) -> StoreResult<Vec<SigningSecret>> {
    let sql = "SELECT sealed_signing_secrets FROM event_configurations WHERE id = $1";
    let blob: Option<Vec<u8>> = scalar_optional(&store.db.write, sql, [id.into()]).await?;
    let Some(blob) = blob else {
        return Ok(Vec::new());
    };
    store
        .sealer
        .open_json(&signing_context(id), &blob)
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| StoreError::Corrupt(format!("the signing secrets of {id}")))
}

/// Replaces the signing secrets.
pub async fn set_signing_secrets(
    tx: &mut Tx,
    store: &Store,
    id: &str,
    secrets: &[SigningSecret],
    now: i64,
) -> StoreResult<()> {
    let sealed = store.sealer.seal_json(
        &signing_context(id),
        &serde_json::to_value(secrets).unwrap_or_default(),
    );
    execute(
        tx.conn().await?,
        "UPDATE event_configurations SET sealed_signing_secrets = $2, updated_at = $3 WHERE id = $1",
        [id.into(), sealed.into(), now.into()],
    )
    .await?;
    Ok(())
}

/// Replaces the inbound client (its secret stored as a hash); drops the old client's tokens.
pub async fn set_inbound_client(
    tx: &mut Tx,
    id: &str,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE event_configurations SET inbound_client_id = $2, inbound_secret_hash = $3, inbound_created_at = $4, \
         updated_at = $4 WHERE id = $1",
        [id.into(), client_id.into(), secret_hash.into(), now.into()],
    )
    .await?;
    execute(
        tx.conn().await?,
        "DELETE FROM vendor_tokens WHERE event_configuration_id = $1",
        [id.into()],
    )
    .await?;
    Ok(())
}

/// The configuration and organization of an inbound client whose secret hashes to `secret_hash`.
pub async fn by_inbound_client(
    store: &Store,
    client_id: &str,
    secret_hash: &str,
) -> StoreResult<Option<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        id: String,
        organization_id: String,
    }
    let sql = "SELECT id, organization_id FROM event_configurations WHERE inbound_client_id = $1 AND inbound_secret_hash = $2";
    let found: Option<Found> =
        fetch_optional(&store.db.write, sql, [client_id.into(), secret_hash.into()]).await?;
    Ok(found.map(|f| (f.id, f.organization_id)))
}

/// Stores an access token (by its hash) of an inbound client.
pub async fn insert_vendor_token(
    tx: &mut Tx,
    token_hash: &str,
    configuration_id: &str,
    expires_at: i64,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "DELETE FROM vendor_tokens WHERE expires_at < $1",
        [now.into()],
    )
    .await?;
    execute(
        tx.conn().await?,
        "INSERT INTO vendor_tokens (token_hash, event_configuration_id, expires_at) VALUES ($1, $2, $3)",
        [token_hash.into(), configuration_id.into(), expires_at.into()],
    )
    .await?;
    Ok(())
}

/// The configuration and organization an unexpired access token was issued for.
pub async fn by_vendor_token(
    store: &Store,
    token_hash: &str,
    now: i64,
) -> StoreResult<Option<(String, String)>> {
    #[derive(sqlx::FromRow)]
    struct Found {
        id: String,
        organization_id: String,
    }
    let sql = "SELECT c.id, c.organization_id FROM vendor_tokens t JOIN event_configurations c ON c.id = t.event_configuration_id \
               WHERE t.token_hash = $1 AND t.expires_at > $2";
    let found: Option<Found> =
        fetch_optional(&store.db.read, sql, [token_hash.into(), now.into()]).await?;
    Ok(found.map(|f| (f.id, f.organization_id)))
}

/// Records the last ping of a snapshot (`working` or `published`) for a type.
pub async fn record_last_test(tx: &mut Tx, id: &str, last_tests: &Value) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "UPDATE event_configurations SET last_tests = $2 WHERE id = $1",
        [id.into(), to_json_text(last_tests).into()],
    )
    .await?;
    Ok(())
}

/// Links an integration to a configuration (replacing any other link).
pub async fn link(tx: &mut Tx, integration_id: &str, id: &str, now: i64) -> StoreResult<()> {
    unlink(tx, integration_id).await?;
    execute(
        tx.conn().await?,
        "INSERT INTO event_configuration_links (integration_id, event_configuration_id, linked_at) VALUES ($1, $2, $3)",
        [integration_id.into(), id.into(), now.into()],
    )
    .await?;
    Ok(())
}

/// Unlinks an integration; whether it was linked.
pub async fn unlink(tx: &mut Tx, integration_id: &str) -> StoreResult<bool> {
    let n = execute(
        tx.conn().await?,
        "DELETE FROM event_configuration_links WHERE integration_id = $1",
        [integration_id.into()],
    )
    .await?;
    Ok(n > 0)
}

/// A published snapshot with its configuration id and revision.
#[derive(Debug, Clone)]
pub struct Published {
    /// The configuration.
    pub id: String,
    /// Its latest revision.
    pub revision: i64,
    /// That revision's snapshot, with its secret.
    pub snapshot: EventSnapshot,
}

#[derive(sqlx::FromRow)]
struct PublishedRow {
    id: String,
    revision: i64,
    snapshot: String,
    sealed_secret: Option<Vec<u8>>,
}

impl PublishedRow {
    fn published(self, store: &Store) -> StoreResult<Published> {
        let snapshot = open_snapshot(
            store,
            &revision_context(&self.id, self.revision),
            &self.snapshot,
            self.sealed_secret.as_deref(),
        )?;
        Ok(Published {
            id: self.id,
            revision: self.revision,
            snapshot,
        })
    }
}

/// Configurations `c` joined to their latest published revision `r` (none before a publish).
pub(super) const WITH_PUBLISHED: &str = "FROM event_configurations c JOIN event_configuration_revisions r \
     ON r.event_configuration_id = c.id AND r.revision = c.revision";

/// The latest published snapshot of a configuration (what deliveries use).
pub async fn published(store: &Store, id: &str) -> StoreResult<Option<Published>> {
    let sql = format!(
        "SELECT c.id, c.revision, r.snapshot, r.sealed_secret {WITH_PUBLISHED} WHERE c.id = $1"
    );
    let row: Option<PublishedRow> =
        fetch_optional(&store.db.write, AssertSqlSafe(sql), [id.into()]).await?;
    row.map(|r| r.published(store)).transpose()
}

/// The published configuration linked to an integration, if any: its id and snapshot. One read
/// tells an activation all it needs of it: whether the instance waits for the vendor, where its
/// event is delivered, and whether it has single sign-on.
pub async fn linked(
    conn: &mut Conn,
    integration_id: &str,
) -> StoreResult<Option<(String, EventSnapshot)>> {
    let sql = format!(
        "SELECT c.id, r.snapshot {WITH_PUBLISHED} JOIN event_configuration_links l ON l.event_configuration_id = c.id \
         WHERE l.integration_id = $1"
    );
    let row: Option<(String, String)> =
        fetch_optional(conn, AssertSqlSafe(sql), [integration_id.into()]).await?;
    row.map(|(id, json)| {
        Ok((
            id,
            json_column("event_configuration_revisions.snapshot", &json)?,
        ))
    })
    .transpose()
}
