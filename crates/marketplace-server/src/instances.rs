//! Instance operations shared by the admin and the embedded API: load, view (masked), activate,
//! reconfigure, pause/resume/deactivate, upgrade. Each change is stored with its event in one
//! transaction; configs are sealed at rest.

use crate::auth::record_event;
use crate::catalog::{Snapshot, load_version};
use crate::crypto::{random_secret, sha256_hex};
use crate::db::{Backend, new_id, now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::http::customers::vendor_values;
use crate::state::AppState;
use marketplace_core::config::{effective_config, mask_secrets, merge_update};
use marketplace_core::deployability::{DeployabilityInput, ReasonCode, deployability};
use marketplace_core::event::Event;
use marketplace_core::flow::Trigger;
use marketplace_core::instance::{Instance, InstanceStatus, NewInstance, UpgradeReport};
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use marketplace_core::{FieldError, IntegrationVersion, Visibility, error::prefix_all};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::ToSchema;

/// Who looks at an instance: customers never see organization or embedded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A customer user.
    Customer,
    /// The vendor.
    Organization,
}

/// A webhook URL of one flow.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookUrl {
    /// The flow.
    pub flow: String,
    /// The absolute, unguessable URL.
    pub url: String,
}

/// An instance as responses show it: secrets masked as `{"set": true}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InstanceView {
    /// Id.
    pub id: String,
    /// Owner.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version it runs.
    pub version: String,
    /// Display name.
    pub name: String,
    /// `active`, `paused`, `needs_configuration` or `deactivated`.
    pub status: String,
    /// The config, secrets masked.
    #[schema(value_type = Object)]
    pub config: Map<String, Value>,
    /// One URL per webhook flow.
    pub webhook_urls: Vec<WebhookUrl>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

#[derive(Debug, sqlx::FromRow)]
struct InstanceRow {
    id: String,
    customer_id: String,
    integration_id: String,
    version: String,
    name: String,
    status: String,
    sealed_config: Vec<u8>,
    created_at: i64,
    updated_at: i64,
}

const SELECT: &str = "SELECT id, customer_id, integration_id, version, name, status, sealed_config, created_at, updated_at FROM instances";

fn context(instance_id: &str) -> String {
    format!("instance:{instance_id}")
}

fn parse_status(s: &str) -> InstanceStatus {
    match s {
        "paused" => InstanceStatus::Paused,
        "needs_configuration" => InstanceStatus::NeedsConfiguration,
        "deactivated" => InstanceStatus::Deactivated,
        _ => InstanceStatus::Active,
    }
}

impl InstanceRow {
    fn instance(self, state: &AppState) -> ApiResult<Instance> {
        let config = state
            .sealer
            .open_json(&context(&self.id), &self.sealed_config)
            .and_then(|v| v.as_object().cloned())
            .ok_or_else(|| {
                ApiError::Internal(format!(
                    "the sealed config of instance {} does not open",
                    self.id
                ))
            })?;
        Ok(Instance {
            version: semver::Version::parse(&self.version)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            status: parse_status(&self.status),
            id: self.id.into(),
            customer_id: self.customer_id.into(),
            integration_id: self.integration_id.into(),
            name: self.name,
            config,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Loads an instance of the organization, optionally only if it belongs to `customer_id` (404 otherwise).
pub async fn load(
    state: &AppState,
    organization_id: &str,
    id: &str,
    customer_id: Option<&str>,
) -> ApiResult<Instance> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    let row: Option<InstanceRow> = sqlx::query_as(&sql)
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&state.db.write)
        .await?;
    let row = row
        .filter(|r| customer_id.is_none_or(|c| c == r.customer_id))
        .ok_or(ApiError::NotFound("instance"))?;
    row.instance(state)
}

/// A page of instance views matching a filter.
pub async fn list(
    state: &AppState,
    filter: crate::http::Filter,
    page: &crate::http::PageQuery,
    audience: Audience,
) -> ApiResult<crate::http::List<InstanceView>> {
    let (rows, limit) = crate::http::fetch_page::<InstanceRow>(state, SELECT, filter, page).await?;
    let more = rows.len() as i64 > limit;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.into_iter().take(limit as usize) {
        items.push(view(state, &row.instance(state)?, audience).await?);
    }
    let next_cursor = if more {
        items.last().map(|i| i.id.clone())
    } else {
        None
    };
    Ok(crate::http::List { items, next_cursor })
}

/// The version an instance runs.
pub async fn version_of(
    state: &AppState,
    instance: &Instance,
) -> ApiResult<Arc<IntegrationVersion>> {
    load_version(
        state,
        instance.integration_id.as_str(),
        &instance.version.to_string(),
    )
    .await?
    .ok_or_else(|| ApiError::Internal("an instance's version is missing".into()))
}

/// The response view of an instance.
pub async fn view(
    state: &AppState,
    instance: &Instance,
    audience: Audience,
) -> ApiResult<InstanceView> {
    let version = version_of(state, instance).await?;
    let urls: Vec<(String, String)> =
        sqlx::query_as("SELECT flow, token FROM webhook_urls WHERE instance_id = $1 ORDER BY flow")
            .bind(instance.id.as_str())
            .fetch_all(&state.db.write)
            .await?;
    Ok(render(state, instance, &version, urls, audience))
}

/// The view of an instance from its version and webhook URLs `(flow, token)`.
fn render(
    state: &AppState,
    instance: &Instance,
    version: &IntegrationVersion,
    urls: Vec<(String, String)>,
    audience: Audience,
) -> InstanceView {
    let spec = version.config.spec();
    let mut config = mask_secrets(spec, &instance.config);
    if audience == Audience::Customer {
        config.retain(|key, _| {
            spec.variable(key)
                .is_some_and(|v| v.visibility == Visibility::Customer)
        });
    }
    InstanceView {
        id: instance.id.to_string(),
        customer_id: instance.customer_id.to_string(),
        integration_id: instance.integration_id.to_string(),
        version: instance.version.to_string(),
        name: instance.name.clone(),
        status: instance.status.as_str().to_owned(),
        config,
        webhook_urls: urls
            .into_iter()
            .map(|(flow, token)| WebhookUrl {
                flow,
                url: format!("{}/webhooks/{token}", state.settings.public_url),
            })
            .collect(),
        created_at: rfc3339(instance.created_at),
        updated_at: rfc3339(instance.updated_at),
    }
}

async fn live_instances(
    conn: &mut sqlx::AnyConnection,
    customer_id: &str,
    integration_id: &str,
) -> ApiResult<usize> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM instances WHERE customer_id = $1 AND integration_id = $2 AND status <> 'deactivated'",
    )
    .bind(customer_id)
    .bind(integration_id)
    .fetch_one(conn)
    .await?;
    Ok(n as usize)
}

async fn write_instance(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    state: &AppState,
    instance: &Instance,
    insert: bool,
) -> ApiResult<()> {
    let sealed = state.sealer.seal_json(
        &context(instance.id.as_str()),
        &Value::Object(instance.config.clone()),
    );
    let sql = if insert {
        "INSERT INTO instances (id, organization_id, customer_id, integration_id, version, name, status, sealed_config, created_at, updated_at) \
         VALUES ($1, (SELECT organization_id FROM customers WHERE id = $2), $2, $3, $4, $5, $6, $7, $8, $9)"
    } else {
        "UPDATE instances SET customer_id = $2, integration_id = $3, version = $4, name = $5, status = $6, sealed_config = $7, \
         created_at = $8, updated_at = $9 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(instance.id.as_str())
        .bind(instance.customer_id.as_str())
        .bind(instance.integration_id.as_str())
        .bind(instance.version.to_string())
        .bind(&instance.name)
        .bind(instance.status.as_str())
        .bind(sealed)
        .bind(instance.created_at)
        .bind(instance.updated_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives each webhook flow of the version a URL, keeping the URLs of flows that stay; returns
/// the instance's URLs as `(flow, token)`, ordered by flow.
async fn sync_webhooks(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    instance_id: &str,
    version: &IntegrationVersion,
) -> ApiResult<Vec<(String, String)>> {
    let existing: Vec<String> =
        sqlx::query_scalar("SELECT flow FROM webhook_urls WHERE instance_id = $1")
            .bind(instance_id)
            .fetch_all(&mut **tx)
            .await?;
    let wanted: Vec<&str> = version
        .flows
        .iter()
        .filter(|f| f.trigger == Trigger::Webhook)
        .map(|f| f.name.as_str())
        .collect();
    for flow in existing.iter().filter(|f| !wanted.contains(&f.as_str())) {
        sqlx::query("DELETE FROM webhook_urls WHERE instance_id = $1 AND flow = $2")
            .bind(instance_id)
            .bind(flow)
            .execute(&mut **tx)
            .await?;
    }
    for flow in wanted
        .into_iter()
        .filter(|f| !existing.iter().any(|e| e == f))
    {
        sqlx::query("INSERT INTO webhook_urls (token, instance_id, flow) VALUES ($1, $2, $3)")
            .bind(random_secret(24))
            .bind(instance_id)
            .bind(flow)
            .execute(&mut **tx)
            .await?;
    }
    Ok(
        sqlx::query_as("SELECT flow, token FROM webhook_urls WHERE instance_id = $1 ORDER BY flow")
            .bind(instance_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

/// An activation request.
#[derive(Debug)]
pub struct Activation<'a> {
    /// The organization.
    pub organization_id: &'a str,
    /// The customer.
    pub customer_id: &'a str,
    /// The integration (must be listed).
    pub integration_id: &'a str,
    /// Display name (default: the integration's name).
    pub name: Option<String>,
    /// Values the caller submits.
    pub values: Map<String, Value>,
    /// Who submits them: a customer (embedded API) or the vendor (admin API).
    pub editor: Editor,
    /// Values of embedded variables from the token.
    pub embedded_values: Option<Map<String, Value>>,
    /// `(Idempotency-Key, request hash)`.
    pub idempotency: Option<(String, String)>,
}

/// Hash of an activation request, stored with its idempotency key.
pub fn request_hash(integration_id: &str, body: &Value) -> String {
    sha256_hex(&format!("{integration_id}\n{body}"))
}

async fn replay(
    conn: &mut sqlx::AnyConnection,
    customer_id: &str,
    key: &str,
    hash: &str,
) -> ApiResult<Option<InstanceView>> {
    let row: Option<(String, String)> = sqlx::query_as(
        "SELECT request_hash, response FROM idempotency_keys WHERE customer_id = $1 AND key = $2",
    )
    .bind(customer_id)
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some((stored, _)) if stored != hash => Err(ApiError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        )),
        Some((_, response)) => {
            let view: InstanceView =
                serde_json::from_str(&response).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(Some(view))
        }
    }
}

fn view_for_record(view: &InstanceView) -> String {
    serde_json::to_string(view).unwrap_or_default()
}

/// Activates a listed integration for a customer: idempotency replay, deployability, validation,
/// then the instance, its webhook URLs, its event and the idempotency record in one transaction.
/// Returns the view and whether it is a replay.
pub async fn activate(
    state: &AppState,
    snapshot: &Snapshot,
    request: Activation<'_>,
) -> ApiResult<(InstanceView, bool)> {
    let listed = snapshot
        .get(request.integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    if let Some((key, hash)) = &request.idempotency {
        let mut conn = state.db.read.acquire().await?;
        if let Some(view) = replay(&mut conn, request.customer_id, key, hash).await? {
            return Ok((view, true));
        }
    }
    let version = listed.version.clone();
    let vendor = vendor_values(state, request.customer_id, request.integration_id).await?;
    let check_deployability = |live: usize| {
        let answer = deployability(DeployabilityInput {
            listing: &listed.listing,
            version: &version,
            live_instances: live,
            vendor_values: Some(&vendor),
            embedded_values: request.embedded_values.as_ref(),
        });
        let answer = match request.editor {
            // The vendor may activate what customers may not, and sets missing values itself.
            Editor::Organization => marketplace_core::Deployability {
                reasons: answer
                    .reasons
                    .into_iter()
                    .filter(|r| {
                        !matches!(
                            r.code,
                            ReasonCode::ListingNotCustomerDeployable | ReasonCode::MissingDefault
                        )
                    })
                    .collect(),
                ..answer
            },
            _ => answer.for_customer(),
        };
        let refused = !answer.reasons.is_empty();
        if refused {
            let status =
                if answer.reasons.iter().any(|r| {
                    r.code.status() == marketplace_core::DeployabilityStatus::NotDeployable
                }) {
                    marketplace_core::DeployabilityStatus::NotDeployable
                } else {
                    marketplace_core::DeployabilityStatus::ContactVendor
                };
            return Err(ApiError::NotDeployable(marketplace_core::Deployability {
                status,
                ..answer
            }));
        }
        Ok(())
    };
    // First outside the transaction, for the answer order (deployability before field errors)...
    {
        let mut conn = state.db.read.acquire().await?;
        let live = live_instances(&mut conn, request.customer_id, request.integration_id).await?;
        drop(conn);
        check_deployability(live)?;
    }
    let mut config = request.values.clone();
    let mut errors = match request.editor {
        Editor::Organization => {
            let effective = effective_config(version.config.spec(), &[&vendor, &config]);
            let mut errors = validate_config(
                &version.config,
                &Value::Object(config.clone()),
                ValidationOptions::partial(Editor::Organization),
            );
            errors.extend(
                validate_config(
                    &version.config,
                    &Value::Object(effective),
                    ValidationOptions::complete(Editor::Organization),
                )
                .into_iter()
                .filter(|e| e.code == marketplace_core::FieldErrorCode::Required),
            );
            errors
        }
        editor => validate_config(
            &version.config,
            &Value::Object(config.clone()),
            ValidationOptions::complete(editor),
        ),
    };
    errors = prefix_all(errors, "/config");
    if let Some(embedded) = &request.embedded_values {
        let known: Map<String, Value> = embedded
            .iter()
            .filter(|(k, _)| {
                version
                    .config
                    .variable(k)
                    .is_some_and(|v| v.visibility == Visibility::Embedded)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let embedded_errors: Vec<FieldError> = validate_config(
            &version.config,
            &Value::Object(known.clone()),
            ValidationOptions::partial(Editor::Embedded),
        );
        errors.extend(prefix_all(embedded_errors, "/embedded_config"));
        config.extend(known);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = now_ms();
    let (instance, event) = Instance::activate(
        NewInstance {
            id: new_id("ins").into(),
            customer_id: request.customer_id.into(),
            integration_id: request.integration_id.into(),
            version: &version,
            name: request
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| listed.integration.name.clone()),
            config,
        },
        now,
    );
    let mut tx = state.db.write.begin().await?;
    if state.db.backend == Backend::Postgres {
        sqlx::query("SELECT id FROM customers WHERE id = $1 FOR UPDATE")
            .bind(request.customer_id)
            .execute(&mut *tx)
            .await?;
    }
    // ...and again inside it, where no other activation can interleave (nor a retry).
    if let Some((key, hash)) = &request.idempotency
        && let Some(view) = replay(&mut tx, request.customer_id, key, hash).await?
    {
        return Ok((view, true));
    }
    check_deployability(
        live_instances(&mut tx, request.customer_id, request.integration_id).await?,
    )?;
    write_instance(&mut tx, state, &instance, true).await?;
    let urls = sync_webhooks(&mut tx, instance.id.as_str(), &version).await?;
    record_event(&mut tx, request.organization_id, &event).await?;
    let audience = if request.editor == Editor::Organization {
        Audience::Organization
    } else {
        Audience::Customer
    };
    let view = render(state, &instance, &version, urls, audience);
    if let Some((key, hash)) = &request.idempotency {
        // In the same transaction: a retry after a crash finds either nothing or both.
        sqlx::query("INSERT INTO idempotency_keys (customer_id, key, request_hash, response, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(request.customer_id)
            .bind(key)
            .bind(hash)
            .bind(view_for_record(&view))
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    state.catalogs.forget_customer(request.customer_id);
    Ok((view, false))
}

/// Persists a changed instance with its event.
async fn commit_change(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    event: &Event,
    webhooks: Option<&IntegrationVersion>,
) -> ApiResult<()> {
    let mut tx = state.db.write.begin().await?;
    write_instance(&mut tx, state, instance, false).await?;
    if instance.status == InstanceStatus::Deactivated {
        sqlx::query("DELETE FROM webhook_urls WHERE instance_id = $1")
            .bind(instance.id.as_str())
            .execute(&mut *tx)
            .await?;
    } else if let Some(version) = webhooks {
        sync_webhooks(&mut tx, instance.id.as_str(), version).await?;
    }
    record_event(&mut tx, organization_id, event).await?;
    tx.commit().await?;
    state
        .catalogs
        .forget_customer(instance.customer_id.as_str());
    Ok(())
}

/// Pause, resume or deactivate.
#[derive(Debug, Clone, Copy)]
pub enum Transition {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Deactivate.
    Deactivate,
}

/// Applies a state transition.
pub async fn transition(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    transition: Transition,
    audience: Audience,
) -> ApiResult<InstanceView> {
    let now = now_ms();
    let (next, event) = match transition {
        Transition::Pause => instance.pause(now)?,
        Transition::Resume => instance.resume(now)?,
        Transition::Deactivate => instance.deactivate(now)?,
    };
    commit_change(state, organization_id, &next, &event, None).await?;
    view(state, &next, audience).await
}

/// Reconfigures: the editor's part of the config is replaced by `update` (omitted secrets kept);
/// the other parts stay.
pub async fn reconfigure(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    update: &Map<String, Value>,
    name: Option<String>,
    editor: Editor,
    embedded_values: Option<&Map<String, Value>>,
) -> ApiResult<InstanceView> {
    if instance.status == InstanceStatus::Deactivated {
        return Err(marketplace_core::instance::TransitionError {
            status: instance.status,
            operation: marketplace_core::instance::Operation::Reconfigure,
        }
        .into());
    }
    let version = version_of(state, instance).await?;
    let spec = version.config.spec();
    let editable = |key: &str| {
        spec.variable(key)
            .is_some_and(|v| editor.may_set(v.visibility))
    };
    let (mine, others): (Map<String, Value>, Map<String, Value>) = instance
        .config
        .clone()
        .into_iter()
        .partition(|(k, _)| editable(k));
    let merged = merge_update(spec, &mine, update);
    let mut errors = match editor {
        Editor::Organization => {
            let vendor = vendor_values(
                state,
                instance.customer_id.as_str(),
                instance.integration_id.as_str(),
            )
            .await?;
            let mut errors = validate_config(
                &version.config,
                &Value::Object(merged.clone()),
                ValidationOptions::partial(editor),
            );
            let effective = effective_config(spec, &[&vendor, &merged]);
            errors.extend(
                validate_config(
                    &version.config,
                    &Value::Object(effective),
                    ValidationOptions::complete(editor),
                )
                .into_iter()
                .filter(|e| e.code == marketplace_core::FieldErrorCode::Required),
            );
            errors
        }
        _ => validate_config(
            &version.config,
            &Value::Object(merged.clone()),
            ValidationOptions::complete(editor),
        ),
    };
    errors = prefix_all(errors, "/config");
    let mut config = others;
    config.extend(merged);
    if let Some(embedded) = embedded_values {
        let known: Map<String, Value> = embedded
            .iter()
            .filter(|(k, _)| {
                spec.variable(k)
                    .is_some_and(|v| v.visibility == Visibility::Embedded)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        errors.extend(prefix_all(
            validate_config(
                &version.config,
                &Value::Object(known.clone()),
                ValidationOptions::partial(Editor::Embedded),
            ),
            "/embedded_config",
        ));
        config.extend(known);
    }
    if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        errors.push(FieldError::new(
            "/name",
            marketplace_core::FieldErrorCode::Empty,
            "the name must not be empty",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let (mut next, event) = instance.reconfigure(config, now_ms())?;
    if let Some(name) = name {
        next.name = name.trim().to_owned();
    }
    commit_change(state, organization_id, &next, &event, None).await?;
    let audience = if editor == Editor::Organization {
        Audience::Organization
    } else {
        Audience::Customer
    };
    view(state, &next, audience).await
}

/// Moves an instance to another version of its integration.
pub async fn upgrade(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    version: &str,
) -> ApiResult<(InstanceView, UpgradeReport)> {
    let target = load_version(state, instance.integration_id.as_str(), version)
        .await?
        .ok_or_else(|| {
            ApiError::field(FieldError::new(
                "/version",
                marketplace_core::FieldErrorCode::InvalidReference,
                "the integration has no such version",
            ))
        })?;
    if target.state != marketplace_core::VersionState::Published {
        return Err(ApiError::field(FieldError::new(
            "/version",
            marketplace_core::FieldErrorCode::Invalid,
            "only published versions can be run",
        )));
    }
    let vendor = vendor_values(
        state,
        instance.customer_id.as_str(),
        instance.integration_id.as_str(),
    )
    .await?;
    let (next, report, event) = instance.upgrade(&target, Some(&vendor), now_ms())?;
    commit_change(state, organization_id, &next, &event, Some(&target)).await?;
    Ok((view(state, &next, Audience::Organization).await?, report))
}
