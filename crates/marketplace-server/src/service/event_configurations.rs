//! Event configurations: create, edit the working draft, publish revisions, link integrations,
//! rotate the signing secret, issue the inbound client, and ping the vendor's endpoints. The
//! rules (validation, aliases, what a snapshot delivers) are core's `event_config`.

use crate::crypto::{fill_random, random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::deliveries::{self, Outgoing};
use crate::service::state::AppState;
use crate::store::event_configurations::SigningSecret;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::delivery::{new_signing_secret, payload};
use marketplace_core::event::{Event, EventType};
use marketplace_core::event_config::{EventSnapshot, accept_working, resolve_event_name};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::{Value, json};

pub use crate::store::event_configurations::EventConfiguration;

/// How long a rotated signing secret keeps co-signing.
const ROTATION_OVERLAP_MS: i64 = 24 * 3600 * 1000;

/// A configuration of the organization (404 when unknown).
#[tracing::instrument(name = "event_configurations::get", level = "debug", skip_all)]
pub async fn get(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<EventConfiguration> {
    store::event_configurations::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("event configuration"))
}

/// A page of the organization's configurations.
#[tracing::instrument(name = "event_configurations::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<EventConfiguration>> {
    Ok(store::event_configurations::list(&state.store, organization_id, page).await?)
}

/// A new signing secret (`whsec_` and 32 random bytes).
fn new_secret() -> String {
    let mut key = [0u8; 32];
    fill_random(&mut key);
    new_signing_secret(&key)
}

/// The event of a change of a configuration.
fn configuration_event(event_type: EventType, id: &str, now: i64, extra: Value) -> Event {
    let mut data = json!({"event_configuration_id": id});
    if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
        data.extend(extra);
    }
    Event::for_organization(event_type, now, data)
}

fn check_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::field(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        )));
    }
    Ok(name.to_owned())
}

/// Checks a submitted draft (core's rules), keeping `previous`'s client secret when the
/// submission leaves it out; errors are prefixed with `prefix`.
fn accept(
    input: &Value,
    previous: Option<&EventSnapshot>,
    prefix: &str,
) -> ApiResult<EventSnapshot> {
    let previous_secret = previous.and_then(|p| p.clone().split_secret().1);
    accept_working(input, previous_secret.as_deref())
        .map_err(|errors| ApiError::Validation(marketplace_core::error::prefix_all(errors, prefix)))
}

/// Creates a configuration; returns it and its signing secret (shown once).
#[tracing::instrument(name = "event_configurations::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    name: &str,
    working: Option<&Value>,
) -> ApiResult<(EventConfiguration, String)> {
    let name = check_name(name)?;
    let working = match working {
        Some(input) => accept(input, None, "/working")?,
        None => EventSnapshot::default(),
    };
    let id = new_id("evc");
    let secret = new_secret();
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let new = store::event_configurations::NewConfiguration {
        organization_id,
        id: &id,
        name: &name,
        working: &working,
        signing_secret: &secret,
        now,
    };
    store::event_configurations::insert(&mut tx, &state.store, &new).await?;
    let event = configuration_event(
        EventType::EventConfigurationCreated,
        &id,
        now,
        json!({"name": name}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok((get(state, organization_id, &id).await?, secret))
}

/// Renames a configuration.
#[tracing::instrument(name = "event_configurations::rename", level = "debug", skip_all)]
pub async fn rename(
    state: &AppState,
    organization_id: &str,
    id: &str,
    name: &str,
) -> ApiResult<EventConfiguration> {
    let name = check_name(name)?;
    get(state, organization_id, id).await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::rename(&mut tx, id, &name, now).await?;
    let event = configuration_event(
        EventType::EventConfigurationUpdated,
        id,
        now,
        json!({"changed": ["name"]}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    get(state, organization_id, id).await
}

/// Replaces the working draft (every field error at once).
#[tracing::instrument(name = "event_configurations::put_working", level = "debug", skip_all)]
pub async fn put_working(
    state: &AppState,
    organization_id: &str,
    id: &str,
    input: &Value,
) -> ApiResult<EventConfiguration> {
    let current = get(state, organization_id, id).await?;
    let working = accept(input, Some(&current.working), "")?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::put_working(&mut tx, &state.store, id, &working, now).await?;
    let event = configuration_event(
        EventType::EventConfigurationUpdated,
        id,
        now,
        json!({"changed": ["working"]}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    get(state, organization_id, id).await
}

/// Publishes the working draft as the next revision; an unchanged draft keeps its revision.
#[tracing::instrument(name = "event_configurations::publish", level = "debug", skip_all)]
pub async fn publish(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<EventConfiguration> {
    let current = get(state, organization_id, id).await?;
    if current.published.as_ref() == Some(&current.working) {
        return Ok(current);
    }
    let revision = current.revision + 1;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::publish(
        &mut tx,
        &state.store,
        id,
        revision,
        &current.working,
        now,
    )
    .await?;
    let event = configuration_event(
        EventType::EventConfigurationPublished,
        id,
        now,
        json!({"revision": revision}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    deliveries::forget_configuration(state, id);
    get(state, organization_id, id).await
}

/// Deletes a configuration no integration links to (409 `config_linked`).
#[tracing::instrument(name = "event_configurations::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let current = get(state, organization_id, id).await?;
    if !current.linked_integrations.is_empty() {
        return Err(ApiError::conflict(
            "config_linked",
            format!(
                "the configuration is linked to {}; unlink it first",
                current.linked_integrations.join(", ")
            ),
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::delete(&mut tx, id).await?;
    let event = configuration_event(EventType::EventConfigurationDeleted, id, now, json!({}));
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    deliveries::forget_configuration(state, id);
    Ok(())
}

/// Rotates the signing secret: the new one signs from now on, the previous one co-signs for 24
/// hours. Returns the new secret (shown once).
#[tracing::instrument(
    name = "event_configurations::rotate_signing_secret",
    level = "debug",
    skip_all
)]
pub async fn rotate_signing_secret(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<String> {
    get(state, organization_id, id).await?;
    let now = now_ms();
    let secret = new_secret();
    let current = store::event_configurations::signing_secrets(&state.store, id).await?;
    let mut secrets = vec![SigningSecret {
        secret: secret.clone(),
        expires_at: None,
    }];
    if let Some(previous) = current.into_iter().find(|s| s.expires_at.is_none()) {
        secrets.push(SigningSecret {
            secret: previous.secret,
            expires_at: Some(now + ROTATION_OVERLAP_MS),
        });
    }
    let mut tx = state.store.begin().await?;
    store::event_configurations::set_signing_secrets(&mut tx, &state.store, id, &secrets, now)
        .await?;
    let event = configuration_event(
        EventType::EventConfigurationUpdated,
        id,
        now,
        json!({"changed": ["signing_secret"]}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    deliveries::forget_configuration(state, id);
    Ok(secret)
}

/// Issues (or replaces) the inbound client; returns its id, secret (shown once) and creation time.
#[tracing::instrument(
    name = "event_configurations::new_inbound_client",
    level = "debug",
    skip_all
)]
pub async fn new_inbound_client(
    state: &AppState,
    organization_id: &str,
    id: &str,
) -> ApiResult<(String, String, i64)> {
    get(state, organization_id, id).await?;
    let client_id = new_id("vcl");
    let secret = format!("vcs_{}", random_secret(32));
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::set_inbound_client(
        &mut tx,
        id,
        &client_id,
        &sha256_hex(&secret),
        now,
    )
    .await?;
    let event = configuration_event(
        EventType::EventConfigurationUpdated,
        id,
        now,
        json!({"changed": ["inbound_client"]}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok((client_id, secret, now))
}

/// Links an integration to a published configuration (replacing its link).
#[tracing::instrument(name = "event_configurations::link", level = "debug", skip_all)]
pub async fn link(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    id: &str,
) -> ApiResult<EventConfiguration> {
    crate::service::integrations::get(state, organization_id, integration_id).await?;
    let configuration = get(state, organization_id, id).await?;
    if configuration.published.is_none() {
        return Err(ApiError::conflict(
            "not_published",
            "only a published configuration links: publish it first",
        ));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::link(&mut tx, integration_id, id, now).await?;
    let event = Event::for_integration(
        EventType::EventConfigurationLinked,
        &integration_id.into(),
        now,
        json!({"event_configuration_id": id}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    get(state, organization_id, id).await
}

/// Unlinks an integration (404 when it has no configuration).
#[tracing::instrument(name = "event_configurations::unlink", level = "debug", skip_all)]
pub async fn unlink(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<()> {
    crate::service::integrations::get(state, organization_id, integration_id).await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    if !store::event_configurations::unlink(&mut tx, integration_id).await? {
        return Err(ApiError::NotFound("event configuration link"));
    }
    let event = Event::for_integration(
        EventType::EventConfigurationUnlinked,
        &integration_id.into(),
        now,
        json!({}),
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Which snapshot a ping uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PingSnapshot {
    /// The working draft.
    Working,
    /// The latest published revision.
    Published,
}

impl PingSnapshot {
    fn key(self) -> &'static str {
        match self {
            Self::Working => "working",
            Self::Published => "published",
        }
    }
}

/// One ping's outcome: the type, the URL, and the recorded test.
pub type PingOutcome = (EventType, String, Value);

/// Sends one test delivery (`"test": true`) per type to a snapshot's URLs, records each as that
/// snapshot's `last_test` of the type, and returns them. Types default to every listed type.
#[tracing::instrument(name = "event_configurations::ping", level = "debug", skip_all)]
pub async fn ping(
    state: &AppState,
    organization_id: &str,
    id: &str,
    which: PingSnapshot,
    event_types: &[String],
) -> ApiResult<Vec<PingOutcome>> {
    let configuration = get(state, organization_id, id).await?;
    let (snapshot, revision) = match which {
        PingSnapshot::Working => (configuration.working.clone(), configuration.revision),
        PingSnapshot::Published => match &configuration.published {
            Some(p) => (p.clone(), configuration.revision),
            None => {
                return Err(ApiError::conflict(
                    "not_published",
                    "nothing is published yet: ping the working draft",
                ));
            }
        },
    };
    let mut types = Vec::new();
    let mut errors = Vec::new();
    for (i, name) in event_types.iter().enumerate() {
        match resolve_event_name(name) {
            Some(resolved) => types.extend(resolved),
            None => errors.push(FieldError::new(
                format!("/event_types/{i}"),
                FieldErrorCode::Option,
                format!("`{name}` is not a deliverable event type"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if types.is_empty() {
        types = snapshot.event_types.clone();
    }
    let mut outcomes = Vec::new();
    for event_type in types {
        let Some(url) = snapshot.url_for(event_type).map(str::to_owned) else {
            return Err(ApiError::field(FieldError::new(
                "/event_types",
                FieldErrorCode::Required,
                format!(
                    "the {} snapshot has no URL for `{}`",
                    which.key(),
                    event_type.as_str()
                ),
            )));
        };
        let event_id = new_id("ping");
        let now = now_ms();
        let body = payload(
            &event_id,
            event_type.as_str(),
            now,
            organization_id,
            None,
            None,
            None,
            &json!({}),
            &deliveries::result_url(state, &event_id),
            true,
        );
        let sent = deliveries::send(
            state,
            &Outgoing {
                configuration_id: id,
                revision,
                snapshot: &snapshot,
                url: &url,
                event_id: &event_id,
                body: &body,
            },
        )
        .await?;
        let test = sent.last_test(now);
        outcomes.push((event_type, url, test));
    }
    let mut last_tests = configuration.last_tests.clone();
    if !last_tests.is_object() {
        last_tests = json!({});
    }
    for (event_type, _, test) in &outcomes {
        last_tests[which.key()][event_type.as_str()] = test.clone();
    }
    let mut tx = state.store.begin().await?;
    store::event_configurations::record_last_test(&mut tx, id, &last_tests).await?;
    tx.commit().await?;
    Ok(outcomes)
}
