//! `instances`, their `webhook_urls` and the `idempotency_keys` of activations. Configs are
//! sealed, bound to their instance.

use super::deliveries::CustomerRow;
use super::page::{Filter, Order, fetch_page};
use super::sql::{execute, fetch_all, fetch_optional, scalar, scalar_all, scalar_optional};
use super::{Conn, Insert, Page, PageRequest, Store, StoreError, StoreResult, Tx, json_column};
use marketplace_core::commerce::{CancelledBy, SubscriptionStatus};
use marketplace_core::event_config::EventSnapshot;
use marketplace_core::{Instance, InstanceStatus};
use serde_json::{Map, Value};
use sqlx::AssertSqlSafe;

/// A webhook URL's secret token and its flow.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookToken {
    /// The flow.
    pub flow: String,
    /// The secret part of the URL.
    pub token: String,
}

/// Filters of the instance list.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    /// Only this customer's.
    pub customer_id: Option<String>,
    /// Only this integration's.
    pub integration_id: Option<String>,
    /// Only in this status.
    pub status: Option<InstanceStatus>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    customer_id: String,
    integration_id: String,
    version: String,
    name: String,
    status: String,
    sealed_config: Vec<u8>,
    status_message: Option<String>,
    account_identifier: Option<String>,
    template_id: Option<String>,
    enabled_flows: Option<String>,
    marketplace_id: Option<String>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, customer_id, integration_id, version, name, status, sealed_config, status_message, \
     account_identifier, template_id, enabled_flows, marketplace_id, created_at, updated_at FROM instances";

fn context(instance_id: &str) -> String {
    format!("instance:{instance_id}")
}

/// The sealed config of each instance.
pub(super) const SEALED_CONFIG: super::reseal::SealedColumn = super::reseal::SealedColumn {
    table: "instances",
    column: "sealed_config",
    keys: &[super::reseal::KeyColumn::Text("id")],
    context: |key| context(key[0].text()),
};

impl Row {
    fn instance(self, store: &Store) -> StoreResult<Instance> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("{what} of instance {}", self.id));
        let config = store
            .sealer
            .open_json(&context(&self.id), &self.sealed_config)
            .and_then(|v| v.as_object().cloned())
            .ok_or_else(|| corrupt("the sealed config"))?;
        let enabled_flows = self
            .enabled_flows
            .as_deref()
            .map(serde_json::from_str::<Vec<String>>)
            .transpose()
            .map_err(|_| corrupt("the enabled flows"))?;
        Ok(Instance {
            template_id: self.template_id,
            enabled_flows,
            marketplace_id: self.marketplace_id.map(Into::into),
            version: semver::Version::parse(&self.version).map_err(|_| corrupt("the version"))?,
            status: self.status.parse().map_err(|_| corrupt("the status"))?,
            id: self.id.into(),
            customer_id: self.customer_id.into(),
            integration_id: self.integration_id.into(),
            name: self.name,
            config,
            status_message: self.status_message,
            account_identifier: self.account_identifier,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// An instance of the organization (read from the write pool: it may just have changed).
pub async fn get(store: &Store, organization_id: &str, id: &str) -> StoreResult<Option<Instance>> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<Row> = fetch_optional(
        &store.db.write,
        AssertSqlSafe(sql),
        [id.into(), organization_id.into()],
    )
    .await?;
    row.map(|r| r.instance(store)).transpose()
}

/// An instance, read inside a transaction (after a lock taken in it).
pub async fn get_in(tx: &mut Tx, store: &Store, id: &str) -> StoreResult<Option<Instance>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> =
        fetch_optional(tx.conn().await?, AssertSqlSafe(sql), [id.into()]).await?;
    row.map(|r| r.instance(store)).transpose()
}

/// A page of the organization's instances.
pub async fn list(
    store: &Store,
    organization_id: &str,
    filter: &InstanceFilter,
    page: &PageRequest,
) -> StoreResult<Page<Instance>> {
    let mut sql = Filter::eq("organization_id", organization_id);
    sql.eq_opt("customer_id", filter.customer_id.as_deref())
        .eq_opt("integration_id", filter.integration_id.as_deref())
        .eq_opt("status", filter.status.map(InstanceStatus::as_str));
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
    .try_map(|r| r.instance(store))
}

/// The integrations of a customer's live instances (neither deactivated nor failed: the
/// statuses core's `InstanceStatus::counts_as_existing` refuses), one per instance.
pub async fn live_integrations(store: &Store, customer_id: &str) -> StoreResult<Vec<String>> {
    let sql = "SELECT integration_id FROM instances WHERE customer_id = $1 AND status NOT IN ('deactivated', 'failed')";
    scalar_all(&store.db.read, sql, [customer_id.into()]).await
}

/// How many live instances (as in [`live_integrations`]) of an integration a customer has (in a
/// transaction, or on a read connection).
pub async fn count_live(
    conn: &mut Conn,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<usize> {
    let n: i64 = scalar(
        conn,
        "SELECT COUNT(*) FROM instances WHERE customer_id = $1 AND integration_id = $2 AND status NOT IN ('deactivated', 'failed')",
        [customer_id.into(), integration_id.into()],
    )
    .await?;
    Ok(n as usize)
}

/// The version of a customer's most recently changed instance of an integration.
pub async fn latest_version(
    store: &Store,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<Option<String>> {
    scalar_optional(
        &store.db.read,
        "SELECT version FROM instances WHERE customer_id = $1 AND integration_id = $2 ORDER BY updated_at DESC, id DESC LIMIT 1",
        [customer_id.into(), integration_id.into()],
    )
    .await
}

/// Serialises activations of one customer (PostgreSQL: a row lock on the customer; SQLite has
/// one writer, which already does).
pub async fn lock_customer(tx: &mut Tx, store: &Store, customer_id: &str) -> StoreResult<()> {
    if store.backend() == super::Backend::Postgres {
        let sql = "SELECT id FROM customers WHERE id = $1 FOR UPDATE";
        execute(tx.conn().await?, sql, [customer_id.into()]).await?;
    }
    Ok(())
}

/// Stores a new instance, or an instance's change.
pub async fn save(
    tx: &mut Tx,
    store: &Store,
    instance: &Instance,
    insert: bool,
) -> StoreResult<()> {
    let sealed = store.sealer.seal_json(
        &context(instance.id.as_str()),
        &Value::Object(instance.config.clone()),
    );
    let enabled_flows = instance
        .enabled_flows
        .as_ref()
        .map(|flows| Value::from(flows.clone()).to_string());
    let args = [
        instance.id.as_str().into(),
        instance.customer_id.as_str().into(),
        instance.integration_id.as_str().into(),
        instance.version.to_string().into(),
        (&instance.name).into(),
        instance.status.as_str().into(),
        sealed.into(),
        instance.created_at.into(),
        instance.updated_at.into(),
        instance.status_message.clone().into(),
        instance.account_identifier.clone().into(),
        instance.template_id.clone().into(),
        enabled_flows.into(),
        instance
            .marketplace_id
            .as_ref()
            .map(|m| m.to_string())
            .into(),
    ];
    if insert {
        tx.defer(&INSERT_INSTANCE, args.into());
    } else {
        let sql = "UPDATE instances SET customer_id = $2, integration_id = $3, version = $4, name = $5, status = $6, \
                   sealed_config = $7, created_at = $8, updated_at = $9, status_message = $10, account_identifier = $11, \
                   template_id = $12, enabled_flows = $13, marketplace_id = $14 WHERE id = $1";
        execute(tx.conn().await?, sql, args).await?;
    }
    Ok(())
}

/// A new instance (held back until the transaction's next statement: [`Tx::defer`]); its
/// organization is its customer's.
static INSERT_INSTANCE: Insert = Insert {
    head: "INSERT INTO instances (id, organization_id, customer_id, integration_id, version, name, status, \
           sealed_config, created_at, updated_at, status_message, account_identifier, template_id, enabled_flows, \
           marketplace_id) VALUES",
    row: "($1, (SELECT organization_id FROM customers WHERE id = $2), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
          $13, $14)",
    params: 14,
};

/// A webhook URL of an instance's flow (held back: [`Tx::defer`]).
static INSERT_WEBHOOK_URL: Insert = Insert {
    head: "INSERT INTO webhook_urls (token, instance_id, flow) VALUES",
    row: "($1, $2, $3)",
    params: 3,
};

const WEBHOOK_TOKENS: &str =
    "SELECT flow, token FROM webhook_urls WHERE instance_id = $1 ORDER BY flow";

/// The webhook URLs of an instance, ordered by flow.
pub async fn webhook_tokens(store: &Store, instance_id: &str) -> StoreResult<Vec<WebhookToken>> {
    fetch_all(&store.db.write, WEBHOOK_TOKENS, [instance_id.into()]).await
}

/// Gives each of `flows` a webhook URL (new tokens from `new_token`), keeping the URLs of
/// flows that stay and dropping the others; returns the instance's URLs, ordered by flow.
///
/// `new_instance`: the instance was inserted in this transaction, so it has no URL yet and its
/// URLs are the ones made here (two reads fewer on the activation path).
pub async fn sync_webhooks(
    tx: &mut Tx,
    instance_id: &str,
    flows: &[&str],
    new_instance: bool,
    mut new_token: impl FnMut() -> String,
) -> StoreResult<Vec<WebhookToken>> {
    let existing: Vec<String> = if new_instance {
        Vec::new()
    } else {
        let sql = "SELECT flow FROM webhook_urls WHERE instance_id = $1";
        scalar_all(tx.conn().await?, sql, [instance_id.into()]).await?
    };
    for flow in existing.iter().filter(|f| !flows.contains(&f.as_str())) {
        let sql = "DELETE FROM webhook_urls WHERE instance_id = $1 AND flow = $2";
        execute(tx.conn().await?, sql, [instance_id.into(), flow.into()]).await?;
    }
    let mut made = Vec::new();
    for flow in flows.iter().filter(|f| !existing.iter().any(|e| e == *f)) {
        let token = new_token();
        let args = vec![token.as_str().into(), instance_id.into(), (*flow).into()];
        tx.defer(&INSERT_WEBHOOK_URL, args);
        made.push(WebhookToken {
            flow: (*flow).to_owned(),
            token,
        });
    }
    if new_instance {
        made.sort_by(|a, b| a.flow.cmp(&b.flow));
        return Ok(made);
    }
    fetch_all(tx.conn().await?, WEBHOOK_TOKENS, [instance_id.into()]).await
}

/// The instance and flow a webhook token triggers, with the instance's organization.
pub async fn by_webhook_token(
    store: &Store,
    token: &str,
) -> StoreResult<Option<(String, String, String)>> {
    fetch_optional(
        &store.db.read,
        "SELECT w.instance_id, w.flow, i.organization_id FROM webhook_urls w JOIN instances i ON i.id = w.instance_id WHERE w.token = $1",
        [token.into()],
    )
    .await
}

/// An idempotency record: the request's hash and the (masked) response it got.
#[derive(Debug, Clone)]
pub struct IdempotencyRecord {
    /// Hash of the request.
    pub request_hash: String,
    /// The response, as JSON text (never a secret: configs are masked).
    pub response: String,
}

/// The record of an `Idempotency-Key` of a customer (in a transaction, or on a read connection).
pub async fn idempotency_record(
    conn: &mut Conn,
    customer_id: &str,
    key: &str,
) -> StoreResult<Option<IdempotencyRecord>> {
    let sql =
        "SELECT request_hash, response FROM idempotency_keys WHERE customer_id = $1 AND key = $2";
    let row: Option<(String, String)> =
        fetch_optional(conn, sql, [customer_id.into(), key.into()]).await?;
    Ok(row.map(|(request_hash, response)| IdempotencyRecord {
        request_hash,
        response,
    }))
}

/// Stores an `Idempotency-Key`'s record, in the activation's transaction.
pub async fn insert_idempotency_record(
    tx: &mut Tx,
    customer_id: &str,
    key: &str,
    record: &IdempotencyRecord,
    now: i64,
) -> StoreResult<()> {
    execute(
        tx.conn().await?,
        "INSERT INTO idempotency_keys (customer_id, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, $5)",
        [
            customer_id.into(),
            key.into(),
            (&record.request_hash).into(),
            (&record.response).into(),
            now.into(),
        ],
    )
    .await?;
    Ok(())
}

/// Saves the confirmation or failure of a pending instance, unless it is no longer pending (a
/// concurrent deactivation wins); whether it was saved.
pub async fn settle_pending(tx: &mut Tx, instance: &Instance) -> StoreResult<bool> {
    let changed = execute(
        tx.conn().await?,
        "UPDATE instances SET status = $2, status_message = $3, account_identifier = $4, updated_at = $5 \
         WHERE id = $1 AND status = 'pending'",
        [
            instance.id.as_str().into(),
            instance.status.as_str().into(),
            instance.status_message.clone().into(),
            instance.account_identifier.clone().into(),
            instance.updated_at.into(),
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// Instances pending since before `cutoff` (Unix ms), with their organization.
pub async fn pending_before(store: &Store, cutoff: i64) -> StoreResult<Vec<(String, Instance)>> {
    #[derive(sqlx::FromRow)]
    struct Owned {
        organization_id: String,
        #[sqlx(flatten)]
        row: Row,
    }
    let sql = "SELECT organization_id, id, customer_id, integration_id, version, name, status, sealed_config, \
               status_message, account_identifier, template_id, enabled_flows, marketplace_id, created_at, updated_at \
               FROM instances WHERE status = 'pending' AND updated_at < $1 LIMIT 100";
    let rows: Vec<Owned> = fetch_all(&store.db.write, sql, [cutoff.into()]).await?;
    rows.into_iter()
        .map(|o| Ok((o.organization_id, o.row.instance(store)?)))
        .collect()
}

/// What an activation reads before its write ([`before_activation`]).
#[derive(Debug, Default)]
pub struct BeforeActivation {
    /// The configuration linked to the integration, with its published snapshot
    /// (as [`super::event_configurations::linked`]).
    pub linked: Option<(String, EventSnapshot)>,
    /// The customer's subscriptions of the integration (as [`super::subscriptions::history`]).
    pub history: Vec<(SubscriptionStatus, Option<CancelledBy>)>,
    /// The vendor-set values of the customer for the integration (as
    /// [`super::customers::vendor_values`]).
    pub vendor: Map<String, Value>,
    /// The customer as a delivery names it (as [`super::deliveries::payload_customer`]).
    pub customer: Option<CustomerRow>,
}

/// Everything an activation reads before its write, on `conn`, in one statement: on SQLite each
/// statement is a round trip to the connection's thread, where the group commit's batch costs an
/// activation a fraction of one. One row per pair of the history (at least one).
pub async fn before_activation(
    conn: &mut Conn,
    store: &Store,
    customer_id: &str,
    integration_id: &str,
) -> StoreResult<BeforeActivation> {
    type Columns = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<Vec<u8>>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let with_published = super::event_configurations::WITH_PUBLISHED;
    let sql = format!(
        "SELECT lk.id, lk.snapshot, h.status, h.cancelled_by, v.sealed_values, \
         cu.id, cu.external_id, cu.name \
         FROM (SELECT 1 AS one) base \
         LEFT JOIN (SELECT c.id, r.snapshot {with_published} \
           JOIN event_configuration_links l ON l.event_configuration_id = c.id \
           WHERE l.integration_id = $2) lk ON TRUE \
         LEFT JOIN (SELECT DISTINCT status, cancelled_by FROM subscriptions \
           WHERE customer_id = $1 AND integration_id = $2) h ON TRUE \
         LEFT JOIN customer_configs v ON v.customer_id = $1 AND v.integration_id = $2 \
         LEFT JOIN customers cu ON cu.id = $1"
    );
    let rows: Vec<Columns> = fetch_all(
        conn,
        AssertSqlSafe(sql),
        [customer_id.into(), integration_id.into()],
    )
    .await?;
    let mut before = BeforeActivation::default();
    for (i, (link_id, snapshot, status, cancelled_by, sealed, cus_id, external_id, name)) in
        rows.into_iter().enumerate()
    {
        if let Some(status) = status {
            let entry = super::subscriptions::history_entry(&status, cancelled_by.as_deref())?;
            before.history.push(entry);
        }
        if i > 0 {
            continue;
        }
        if let (Some(id), Some(json)) = (link_id, snapshot) {
            let snapshot = json_column("event_configuration_revisions.snapshot", &json)?;
            before.linked = Some((id, snapshot));
        }
        if let Some(blob) = sealed {
            before.vendor =
                super::customers::open_vendor_values(store, customer_id, integration_id, &blob)?;
        }
        if let (Some(id), Some(external_id), Some(name)) = (cus_id, external_id, name) {
            before.customer = Some(CustomerRow {
                id,
                external_id,
                name,
            });
        }
    }
    Ok(before)
}
