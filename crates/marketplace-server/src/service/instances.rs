//! Instance operations shared by the admin and the embedded API: load, show (secrets masked,
//! the customer's view filtered), activate, reconfigure, pause/resume/deactivate, upgrade. Each
//! change is stored with its event in one transaction; what is accepted is core's decision
//! (`accept_activation`, `accept_reconfiguration`, `Deployability::for_editor`).

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::catalog::{Snapshot, load_version};
use crate::service::sso;
use crate::service::state::AppState;
use crate::service::subscriptions::{self, Ending};
use crate::service::templates;
use crate::store::instances::{IdempotencyRecord, WebhookToken};
use crate::store::{self, Conn, Page, PageRequest, Tx, new_id, now_ms};
use marketplace_core::config::{Audience, read_view};
use marketplace_core::event::Event;
use marketplace_core::flow::Trigger;
use marketplace_core::instance::{
    Instance, InstanceStatus, NewInstance, Submission, UpgradeReport, accept_activation,
    accept_reconfiguration,
};
use marketplace_core::mapping::{Mapping, MappingsReport, carry_overrides};
use marketplace_core::{IntegrationVersion, values::Editor};
use serde_json::{Map, Value};
use std::sync::Arc;

pub use crate::store::instances::InstanceFilter;

/// An instance as a reader may see it: its config is the reader's view (secrets masked; a
/// customer sees only customer variables), with the absolute URL of each webhook flow.
#[derive(Debug, Clone)]
pub struct ShownInstance {
    /// The instance, its config replaced by the reader's view.
    pub instance: Instance,
    /// `(flow, absolute URL)` of its enabled webhook flows, ordered by flow.
    pub webhook_urls: Vec<(String, String)>,
    /// The names of the flows that run (every flow of the version unless some were disabled).
    pub enabled_flows: Vec<String>,
    /// The mapping collections its enabled flows apply.
    pub collections: Vec<String>,
    /// Where its users sign in to the vendor's product, when its configuration has SSO
    /// ([`crate::service::sso`]).
    pub launch_url: Option<String>,
    /// Its OAuth2 authorization-code connections and their status
    /// ([`crate::service::connections`]).
    pub connections: Vec<crate::service::connections::ShownConnection>,
}

/// An instance of the organization, optionally only if it belongs to `customer_id` (404 otherwise).
#[tracing::instrument(name = "instances::load", level = "debug", skip_all)]
pub async fn load(
    state: &AppState,
    organization_id: &str,
    id: &str,
    customer_id: Option<&str>,
) -> ApiResult<Instance> {
    store::instances::get(&state.store, organization_id, id)
        .await?
        .filter(|i| customer_id.is_none_or(|c| c == i.customer_id.as_str()))
        .ok_or(ApiError::NotFound("instance"))
}

/// A page of the organization's instances, as `audience` sees them.
#[tracing::instrument(name = "instances::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &InstanceFilter,
    page: &PageRequest,
    audience: Audience,
) -> ApiResult<Page<ShownInstance>> {
    let instances = store::instances::list(&state.store, organization_id, filter, page).await?;
    // One query for the page's launch URLs, on a connection released before the next reads.
    let mut conn = state.store.read().await?;
    let page_instances: Vec<&Instance> = instances.items.iter().collect();
    let mut launch_urls = sso::launch_urls(state, &mut conn, &page_instances).await?;
    drop(conn);
    let mut shown = Vec::with_capacity(instances.items.len());
    for instance in &instances.items {
        let launch_url = launch_urls.remove(instance.id.as_str());
        shown.push(show_with(state, instance, audience, launch_url).await?);
    }
    Ok(Page {
        items: shown,
        next_cursor: instances.next_cursor,
    })
}

/// The version an instance runs.
#[tracing::instrument(name = "instances::version_of", level = "debug", skip_all)]
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

/// An instance as `audience` sees it.
#[tracing::instrument(name = "instances::show", level = "debug", skip_all)]
pub async fn show(
    state: &AppState,
    instance: &Instance,
    audience: Audience,
) -> ApiResult<ShownInstance> {
    let mut conn = state.store.read().await?;
    let launch_url = sso::launch_urls(state, &mut conn, &[instance])
        .await?
        .remove(instance.id.as_str());
    drop(conn);
    show_with(state, instance, audience, launch_url).await
}

/// An instance as `audience` sees it, its launch URL known.
async fn show_with(
    state: &AppState,
    instance: &Instance,
    audience: Audience,
    launch_url: Option<String>,
) -> ApiResult<ShownInstance> {
    let version = version_of(state, instance).await?;
    let tokens = store::instances::webhook_tokens(&state.store, instance.id.as_str()).await?;
    let mut shown = render(state, instance, &version, tokens, audience, launch_url);
    shown.connections = crate::service::connections::views(state, instance, &version).await?;
    Ok(shown)
}

fn render(
    state: &AppState,
    instance: &Instance,
    version: &IntegrationVersion,
    tokens: Vec<WebhookToken>,
    audience: Audience,
    launch_url: Option<String>,
) -> ShownInstance {
    let mut shown = instance.clone();
    shown.config = read_view(version.config.spec(), &instance.config, audience);
    ShownInstance {
        instance: shown,
        enabled_flows: instance.enabled_flow_names(version),
        collections: instance.collections_in_use(version),
        webhook_urls: tokens
            .into_iter()
            .filter(|t| instance.flow_enabled(&t.flow))
            .map(|t| {
                (
                    t.flow,
                    format!("{}/webhooks/{}", state.settings.public_url, t.token),
                )
            })
            .collect(),
        launch_url,
        connections: crate::service::connections::views_of(version.config.spec(), &[], 0),
    }
}

fn audience_of(editor: Editor) -> Audience {
    match editor {
        Editor::Organization => Audience::Organization,
        _ => Audience::Customer,
    }
}

/// Gives each webhook flow of the version a URL, keeping those of flows that stay.
async fn sync_webhooks(
    tx: &mut Tx,
    instance_id: &str,
    version: &IntegrationVersion,
    new_instance: bool,
) -> ApiResult<Vec<WebhookToken>> {
    let flows: Vec<&str> = version
        .flows
        .iter()
        .filter(|f| f.trigger == Trigger::Webhook)
        .map(|f| f.name.as_str())
        .collect();
    Ok(
        store::instances::sync_webhooks(tx, instance_id, &flows, new_instance, || {
            random_secret(24)
        })
        .await?,
    )
}

/// An `Idempotency-Key` and the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    /// The key.
    pub key: String,
    /// Hash of the request ([`request_hash`]).
    pub hash: String,
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
    /// The request's `Idempotency-Key`.
    pub idempotency: Option<Idempotency>,
    /// A one-click activation's approved template and the customer's connections (`values`
    /// is then empty: the config is the template's and the connections).
    pub one_click: Option<OneClick>,
    /// The marketplace activated from (the token's; `None` for the vendor's activation).
    pub marketplace_id: Option<&'a str>,
}

/// A one-click activation: an approved template of the listed version, and the values of the
/// connections it asks.
#[derive(Debug)]
pub struct OneClick {
    /// The template.
    pub template: templates::Template,
    /// The customer's connection values.
    pub connections: Map<String, Value>,
}

/// What an activation did.
#[derive(Debug)]
pub enum Activated {
    /// A new instance (boxed: it is much larger than a replay).
    New(Box<ShownInstance>),
    /// A retry with the same `Idempotency-Key`: the first answer, as recorded.
    Replayed(String),
}

/// Hash of an activation request, stored with its idempotency key.
pub fn request_hash(integration_id: &str, body: &Value) -> String {
    sha256_hex(&format!("{integration_id}\n{body}"))
}

/// The recorded answer of an earlier request with this key, if any (409 for another request).
async fn replay(
    conn: &mut Conn,
    customer_id: &str,
    idempotency: &Idempotency,
) -> ApiResult<Option<String>> {
    match store::instances::idempotency_record(conn, customer_id, &idempotency.key).await? {
        None => Ok(None),
        Some(record) if record.request_hash != idempotency.hash => Err(ApiError::conflict(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different request",
        )),
        Some(record) => Ok(Some(record.response)),
    }
}

/// Activates a listed integration for a customer: idempotency replay, deployability, core's
/// acceptance of the values, then the instance, its webhook URLs, its event and the idempotency
/// record (`record` renders the answer to keep) in one transaction, shared on SQLite with the
/// concurrent activations ([`store::group_commit`]).
/// Counted in `marketplace_activations_total` by result.
#[tracing::instrument(name = "instances::activate", level = "debug", skip_all)]
pub async fn activate(
    state: &AppState,
    snapshot: &Arc<Snapshot>,
    request: Activation<'_>,
    record: fn(&ShownInstance) -> String,
) -> ApiResult<Activated> {
    let result = activate_once(state, snapshot, request, record).await;
    crate::telemetry::activation(match &result {
        Ok(Activated::New(_)) => "activated",
        Ok(Activated::Replayed(_)) => "replayed",
        Err(e) if e.status().is_client_error() => "refused",
        Err(_) => "failed",
    });
    result
}

/// Core's deployability answer for `live` live instances of the listing, as an error when it
/// refuses.
struct DeployabilityCheck {
    snapshot: Arc<Snapshot>,
    integration_id: String,
    vendor: Map<String, Value>,
    embedded_values: Option<Map<String, Value>>,
    editor: Editor,
}

impl DeployabilityCheck {
    fn check(&self, live: usize) -> ApiResult<()> {
        let listed = self
            .snapshot
            .get(&self.integration_id)
            .ok_or(ApiError::NotFound("integration"))?;
        let answer = marketplace_core::deployability::deployability(
            marketplace_core::deployability::DeployabilityInput {
                listing: &listed.listing,
                version: &listed.version,
                live_instances: live,
                vendor_values: Some(&self.vendor),
                embedded_values: self.embedded_values.as_ref(),
                tier: listed.tier,
                min_tier: self.snapshot.min_tier,
            },
        )
        .for_editor(self.editor);
        if answer.refuses() {
            Err(ApiError::NotDeployable(answer))
        } else {
            Ok(())
        }
    }
}

async fn activate_once(
    state: &AppState,
    snapshot: &Arc<Snapshot>,
    request: Activation<'_>,
    record: fn(&ShownInstance) -> String,
) -> ApiResult<Activated> {
    let listed = snapshot
        .get(request.integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    // Before any write, on one read connection: a replay answers at once...
    let mut conn = state.store.read().await?;
    if let Some(idempotency) = &request.idempotency
        && let Some(answer) = replay(&mut conn, request.customer_id, idempotency).await?
    {
        return Ok(Activated::Replayed(answer));
    }
    let limits_live = marketplace_core::deployability::limits_live_instances(&listed.listing);
    let live = if limits_live {
        store::instances::count_live(&mut conn, request.customer_id, request.integration_id).await?
    } else {
        0
    };
    // The rest in one statement: the configuration linked to the integration (under one that
    // confirms activations the instance waits for the vendor; it also routes the event and says
    // whether there is single sign-on, so the writer reads neither again); whether it is a
    // return (informational and for scoring, so read here rather than on the writer: a
    // deactivation racing this activation may leave it stale); the vendor-set values; the
    // customer as a delivery names it.
    let store::instances::BeforeActivation {
        linked,
        history,
        vendor,
        customer,
    } = store::instances::before_activation(
        &mut conn,
        &state.store,
        request.customer_id,
        request.integration_id,
    )
    .await?;
    let returning = marketplace_core::commerce::is_returning(&history);
    let pending = linked.as_ref().is_some_and(|(_, snapshot)| {
        snapshot.activation == marketplace_core::event_config::ActivationMode::Confirm
    });
    // Released before the write (on PostgreSQL reads and writes share one pool).
    drop(conn);
    let version = listed.version.clone();
    let deployability = DeployabilityCheck {
        snapshot: snapshot.clone(),
        integration_id: request.integration_id.to_owned(),
        vendor,
        embedded_values: request.embedded_values.clone(),
        editor: request.editor,
    };
    // ...and deployability is checked before the values, for the answer order (deployability
    // before field errors)...
    deployability.check(live)?;
    // A one-click's config is the template's (set as the vendor sets values) and the
    // customer's connections, checked at `/connections` first.
    let (submitted, accept_editor) = match &request.one_click {
        Some(one_click) => (
            templates::one_click_config(
                &one_click.template,
                &one_click.connections,
                &version.config,
            )?,
            Editor::Organization,
        ),
        None => (request.values.clone(), request.editor),
    };
    let config = accept_activation(
        &version.config,
        Submission {
            editor: accept_editor,
            submitted: &submitted,
            vendor_values: &deployability.vendor,
            token_values: request.embedded_values.as_ref(),
        },
    )
    .map_err(ApiError::Validation)?;
    let now = now_ms();
    let (mut instance, mut event) = Instance::activate(
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
            pending,
        },
        now,
    );
    // A required connection the customer authorises is not connected yet.
    let unconnected =
        marketplace_core::connection::required_unconnected(version.config.spec(), |_| {
            marketplace_core::connection::ConnectionStatus::NotConnected
        });
    instance.status = marketplace_core::connection::instance_status(
        instance.status,
        !unconnected.is_empty(),
        true,
    );
    if let Some(data) = event.data.as_object_mut() {
        data.insert("status".into(), serde_json::json!(instance.status));
    }
    instance.marketplace_id = request.marketplace_id.map(Into::into);
    if let Some(one_click) = &request.one_click {
        instance.template_id = Some(one_click.template.id.clone());
        instance.enabled_flows = Some(one_click.template.flows.clone());
        if let Some(data) = event.data.as_object_mut() {
            data.insert("template_id".into(), one_click.template.id.clone().into());
        }
    }
    // The instance and its customer as a delivery's payload names them (no read in the write).
    let subject = customer.map(|customer| store::deliveries::Subject::of(&instance, customer));
    let (activated, deliveries) = state
        .store
        .write_grouped(ActivationWrite {
            state: state.clone(),
            organization_id: request.organization_id.to_owned(),
            idempotency: request.idempotency,
            editor: request.editor,
            live_limit: limits_live.then_some(deployability),
            overrides: request
                .one_click
                .map(|one_click| one_click.template.overrides)
                .unwrap_or_default(),
            marketplace_id: listed.listing.marketplace_id.to_string(),
            pricing: listed.listing.pricing.clone(),
            instance,
            event,
            version,
            linked,
            subject,
            returning,
            now,
            record,
        })
        .await?;
    if let Activated::New(shown) = &activated {
        state
            .catalogs
            .forget_customer(shown.instance.customer_id.as_str());
    }
    if deliveries > 0 {
        state.deliveries.wake.notify_one();
    }
    Ok(activated)
}

/// What an activation writes, in one transaction: the instance, its overrides, webhook URLs,
/// event, subscription and idempotency record (after the replay and live-instance checks again,
/// where no other activation can interleave). Gives the answer and how many deliveries it
/// enqueued.
struct ActivationWrite {
    state: AppState,
    organization_id: String,
    idempotency: Option<Idempotency>,
    /// The deployability check again, when the listing limits live instances.
    live_limit: Option<DeployabilityCheck>,
    overrides: Vec<(String, Vec<Mapping>)>,
    marketplace_id: String,
    pricing: Option<marketplace_core::commerce::Pricing>,
    instance: Instance,
    event: Event,
    version: Arc<IntegrationVersion>,
    linked: Option<(String, marketplace_core::event_config::EventSnapshot)>,
    /// The instance and its customer as a delivery names them (when there is a `linked`
    /// configuration to route the event).
    subject: Option<store::deliveries::Subject>,
    returning: bool,
    now: i64,
    /// Who activates (what the answer shows of the config).
    editor: Editor,
    record: fn(&ShownInstance) -> String,
}

impl store::group_commit::GroupWrite for ActivationWrite {
    type Output = (Activated, usize);
    type Error = ApiError;

    fn write<'a>(
        &'a self,
        tx: &'a mut Tx,
    ) -> store::group_commit::BoxFuture<'a, ApiResult<(Activated, usize)>> {
        Box::pin(self.write_in(tx))
    }
}

impl ActivationWrite {
    async fn write_in(&self, tx: &mut Tx) -> ApiResult<(Activated, usize)> {
        let (state, instance, now) = (&self.state, &self.instance, self.now);
        let customer_id = instance.customer_id.as_str();
        store::instances::lock_customer(tx, &state.store, customer_id).await?;
        if let Some(idempotency) = &self.idempotency
            && let Some(answer) = replay(tx.conn().await?, customer_id, idempotency).await?
        {
            return Ok((Activated::Replayed(answer), 0));
        }
        if let Some(deployability) = &self.live_limit {
            let live = store::instances::count_live(
                tx.conn().await?,
                customer_id,
                instance.integration_id.as_str(),
            )
            .await?;
            deployability.check(live)?;
        }
        store::instances::save(tx, &state.store, instance, true).await?;
        for (collection, overrides) in &self.overrides {
            store::instance_mappings::put(tx, instance.id.as_str(), collection, overrides, now)
                .await?;
        }
        let tokens = sync_webhooks(tx, instance.id.as_str(), &self.version, true).await?;
        let linked = Some(store::deliveries::Known {
            link: self.linked.as_ref(),
            subject: self.subject.as_ref(),
        });
        let (event_id, mut deliveries) =
            store::events::record_routed(tx, &self.organization_id, &self.event, linked).await?;
        deliveries += subscriptions::start(
            tx,
            &self.organization_id,
            &self.marketplace_id,
            self.pricing.as_ref(),
            instance,
            self.returning,
            linked,
            now,
        )
        .await?;
        crate::service::alerts::event_recorded(
            state,
            tx,
            &self.organization_id,
            &event_id,
            &self.event,
        )
        .await?;
        let has_sso = self
            .linked
            .as_ref()
            .is_some_and(|(_, snapshot)| snapshot.sso.is_some());
        let launch_url = if has_sso {
            sso::launch_urls(state, tx.conn().await?, &[instance])
                .await?
                .remove(instance.id.as_str())
        } else {
            None
        };
        let audience = audience_of(self.editor);
        let shown = render(state, instance, &self.version, tokens, audience, launch_url);
        if let Some(idempotency) = &self.idempotency {
            // In the same transaction: a retry after a crash finds either nothing or both.
            let answer = IdempotencyRecord {
                request_hash: idempotency.hash.clone(),
                response: (self.record)(&shown),
            };
            store::instances::insert_idempotency_record(
                tx,
                customer_id,
                &idempotency.key,
                &answer,
                now,
            )
            .await?;
        }
        Ok((Activated::New(Box::new(shown)), deliveries))
    }
}

/// Persists a changed instance with its event (and its webhook URLs for `version`, and the
/// overrides of mappings it keeps, when they change).
async fn commit_change(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    event: &Event,
    version: Option<&IntegrationVersion>,
    overrides: Option<&[(String, Vec<Mapping>)]>,
    ending: Option<&Ending>,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    store::instances::save(&mut tx, &state.store, instance, false).await?;
    if let Some(ending) = ending {
        subscriptions::end(
            &mut tx,
            organization_id,
            instance.id.as_str(),
            ending,
            now_ms(),
        )
        .await?;
    }
    if let Some(kept) = overrides {
        store::instance_mappings::replace_all(&mut tx, instance.id.as_str(), kept, now_ms())
            .await?;
    }
    if instance.status == InstanceStatus::Deactivated {
        store::instances::sync_webhooks(&mut tx, instance.id.as_str(), &[], false, String::new)
            .await?;
    } else if let Some(version) = version {
        sync_webhooks(&mut tx, instance.id.as_str(), version, false).await?;
    }
    let event_id = store::events::record(&mut tx, organization_id, event).await?;
    crate::service::alerts::event_recorded(state, &mut tx, organization_id, &event_id, event)
        .await?;
    tx.commit().await?;
    state
        .catalogs
        .forget_customer(instance.customer_id.as_str());
    state.deliveries.wake.notify_one();
    Ok(())
}

/// Pause, resume or deactivate.
#[derive(Debug, Clone)]
pub enum Transition {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Deactivate, ending the instance's subscription so.
    Deactivate(Ending),
}

/// Applies a state transition (core's state machine decides whether it is allowed).
#[tracing::instrument(name = "instances::transition", level = "debug", skip_all)]
pub async fn transition(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    transition: Transition,
    audience: Audience,
) -> ApiResult<ShownInstance> {
    let now = now_ms();
    let ((next, event), ending) = match transition {
        Transition::Pause => (instance.pause(now)?, None),
        Transition::Resume => (instance.resume(now)?, None),
        Transition::Deactivate(ending) => (instance.deactivate(now)?, Some(ending)),
    };
    commit_change(
        state,
        organization_id,
        &next,
        &event,
        None,
        None,
        ending.as_ref(),
    )
    .await?;
    show(state, &next, audience).await
}

/// A reconfiguration: the editor's part of the config replaced by `update` (omitted secrets
/// kept), the other parts kept; an optional new name.
#[derive(Debug)]
pub struct Reconfiguration<'a> {
    /// The caller's values.
    pub update: &'a Map<String, Value>,
    /// New display name.
    pub name: Option<String>,
    /// Who edits.
    pub editor: Editor,
    /// Values of embedded variables from the token.
    pub embedded_values: Option<&'a Map<String, Value>>,
    /// The flows that run from now on (`None`: unchanged).
    pub enabled_flows: Option<Vec<String>>,
}

/// Reconfigures an instance.
#[tracing::instrument(name = "instances::reconfigure", level = "debug", skip_all)]
pub async fn reconfigure(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    change: Reconfiguration<'_>,
) -> ApiResult<ShownInstance> {
    if instance.status == InstanceStatus::Deactivated {
        return Err(marketplace_core::instance::TransitionError {
            status: instance.status,
            operation: marketplace_core::instance::Operation::Reconfigure,
        }
        .into());
    }
    let version = version_of(state, instance).await?;
    let vendor = vendor_values_of(state, instance).await?;
    let flow_errors = change
        .enabled_flows
        .as_deref()
        .map_or_else(Vec::new, |flows| {
            marketplace_core::template::check_flows(&version, flows, "/enabled_flows", true)
        });
    let config = accept_reconfiguration(
        &version.config,
        &instance.config,
        Submission {
            editor: change.editor,
            submitted: change.update,
            vendor_values: &vendor,
            token_values: change.embedded_values,
        },
        change.name.as_deref(),
    );
    let config = match (config, flow_errors.is_empty()) {
        (Ok(config), true) => config,
        (Ok(_), false) => return Err(ApiError::Validation(flow_errors)),
        (Err(mut errors), _) => {
            errors.extend(flow_errors);
            return Err(ApiError::Validation(errors));
        }
    };
    let (mut next, mut event) = instance.reconfigure(config, now_ms())?;
    // A required connection the customer authorises and that is not connected keeps it waiting.
    let stored = store::connections::list(&state.store, instance.id.as_str()).await?;
    let unconnected =
        marketplace_core::connection::required_unconnected(version.config.spec(), |key| {
            stored.iter().find(|c| c.key == key).map_or(
                marketplace_core::connection::ConnectionStatus::NotConnected,
                |c| c.status,
            )
        });
    if !unconnected.is_empty() && next.status == InstanceStatus::Active {
        next.status = InstanceStatus::NeedsConfiguration;
        if let Some(data) = event.data.as_object_mut() {
            data.insert("status".into(), serde_json::json!(next.status));
        }
    }
    if let Some(name) = change.name {
        next.name = name.trim().to_owned();
    }
    if let Some(flows) = change.enabled_flows
        && next.enabled_flows.as_ref() != Some(&flows)
    {
        if let Some(data) = event.data.as_object_mut() {
            data.insert("enabled_flows".into(), Value::from(flows.clone()));
        }
        next.enabled_flows = Some(flows);
    }
    commit_change(state, organization_id, &next, &event, None, None, None).await?;
    show(state, &next, audience_of(change.editor)).await
}

/// Moves an instance to another published version of its integration; its overrides of
/// mappings that stay overridable and valid there are kept, the others dropped (core's
/// `carry_overrides`), in the upgrade's transaction.
#[tracing::instrument(name = "instances::upgrade", level = "debug", skip_all)]
pub async fn upgrade(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    version: &str,
) -> ApiResult<(ShownInstance, UpgradeReport, MappingsReport)> {
    let target = load_version(state, instance.integration_id.as_str(), version)
        .await?
        .ok_or_else(|| {
            ApiError::field(marketplace_core::FieldError::new(
                "/version",
                marketplace_core::FieldErrorCode::InvalidReference,
                "the integration has no such version",
            ))
        })?;
    target.check_runnable().map_err(ApiError::field)?;
    let vendor = vendor_values_of(state, instance).await?;
    let (next, report, event) = instance.upgrade(&target, Some(&vendor), now_ms())?;
    let mut conn = state.store.read().await?;
    let old = store::instance_mappings::all(&mut conn, instance.id.as_str()).await?;
    drop(conn);
    let (kept, mappings) = if old.is_empty() {
        (None, MappingsReport::default())
    } else {
        let (kept, mappings) = carry_overrides(&old, &target.collections, &target.record_types);
        (Some(kept), mappings)
    };
    commit_change(
        state,
        organization_id,
        &next,
        &event,
        Some(&target),
        kept.as_deref(),
        None,
    )
    .await?;
    Ok((
        show(state, &next, Audience::Organization).await?,
        report,
        mappings,
    ))
}

/// The vendor's values (organization variables) for the instance's customer and integration.
#[tracing::instrument(name = "instances::vendor_values_of", level = "debug", skip_all)]
pub(crate) async fn vendor_values_of(
    state: &AppState,
    instance: &Instance,
) -> ApiResult<Map<String, Value>> {
    Ok(store::customers::vendor_values(
        &state.store,
        instance.customer_id.as_str(),
        instance.integration_id.as_str(),
    )
    .await?)
}

/// The instance's effective config under `version`: the spec's defaults, then the vendor's
/// values, then the instance's own.
#[tracing::instrument(name = "instances::effective_config_of", level = "debug", skip_all)]
pub(crate) async fn effective_config_of(
    state: &AppState,
    instance: &Instance,
    version: &IntegrationVersion,
) -> ApiResult<Map<String, Value>> {
    let vendor = vendor_values_of(state, instance).await?;
    Ok(marketplace_core::config::effective_config(
        version.config.spec(),
        &[&vendor, &instance.config],
    ))
}
