//! `/api/v1/event-configurations` and `/api/v1/integrations/{id}/event-configuration`: where
//! and how the vendor hears of changes. Secrets (signing, client, inbound) are shown once, in
//! the response creating them.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::event_configurations::{
    self as configurations, EventConfiguration, PingSnapshot,
};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::event_configurations::{
    EventConfigurationCreate, EventConfigurationLink, EventConfigurationPatch,
    EventConfigurationView, EventSnapshotBody, EventSnapshotView, InboundClientView, LastTest,
    NewEventConfiguration, NewInboundClient, PingBody, PingResult, PingResults, SigningSecretView,
    SnapshotName, TestStatus,
};
use marketplace_core::event_config::read_only_in_ui;
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            create_event_configuration,
            list_event_configurations
        ))
        .routes(routes!(
            get_event_configuration,
            patch_event_configuration,
            delete_event_configuration
        ))
        .routes(routes!(put_working))
        .routes(routes!(publish_event_configuration))
        .routes(routes!(ping_event_configuration))
        .routes(routes!(rotate_signing_secret))
        .routes(routes!(create_inbound_client))
        .routes(routes!(
            link_event_configuration,
            unlink_event_configuration
        ))
}

/// A stored `last_test` as shown.
fn last_test(value: &Value) -> Option<LastTest> {
    Some(LastTest {
        at: rfc3339(value.get("at")?.as_i64()?),
        status: TestStatus::from_wire(value.get("status")?.as_str()?),
        http_status: value
            .get("http_status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok()),
        latency_ms: value
            .get("latency_ms")
            .and_then(Value::as_i64)
            .unwrap_or_default(),
        response_excerpt: value
            .get("response_excerpt")
            .and_then(Value::as_str)
            .map(str::to_owned),
        error: value
            .get("error")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The pings of one snapshot, by type.
fn last_tests(all: &Value, snapshot: &str) -> BTreeMap<String, LastTest> {
    all.get(snapshot)
        .and_then(Value::as_object)
        .map(|tests| {
            tests
                .iter()
                .filter_map(|(t, v)| Some((t.clone(), last_test(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

fn view(c: EventConfiguration) -> EventConfigurationView {
    EventConfigurationView {
        working: EventSnapshotView::new(&c.working, last_tests(&c.last_tests, "working")),
        published: c
            .published
            .as_ref()
            .map(|p| EventSnapshotView::new(p, last_tests(&c.last_tests, "published"))),
        revision: c.revision,
        published_at: c.published_at.map(rfc3339),
        read_only_in_ui: read_only_in_ui(c.linked_integrations.len()),
        linked_integrations: c.linked_integrations,
        inbound_client: c.inbound_client.map(|(client_id, at)| InboundClientView {
            client_id,
            created_at: rfc3339(at),
        }),
        id: c.id,
        name: c.name,
        created_at: rfc3339(c.created_at),
        updated_at: rfc3339(c.updated_at),
    }
}

/// Create an event configuration; the response holds its signing secret, once.
#[utoipa::path(post, path = "/api/v1/event-configurations", tag = "events", security(("api_key" = [])),
    request_body = EventConfigurationCreate, responses((status = 201, body = NewEventConfiguration)))]
async fn create_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewEventConfiguration>)> {
    let body: EventConfigurationCreate = decode(body)?;
    let (configuration, signing_secret) = configurations::create(
        &state,
        &admin.organization_id,
        &body.name,
        body.working.as_ref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewEventConfiguration {
            configuration: view(configuration),
            signing_secret,
        }),
    ))
}

/// List event configurations.
#[utoipa::path(get, path = "/api/v1/event-configurations", tag = "events", security(("api_key" = [])),
    params(PageQuery), responses((status = 200, body = List<EventConfigurationView>)))]
async fn list_event_configurations(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<EventConfigurationView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let list = configurations::list(&state, &admin.organization_id, &page).await?;
    Ok(Json(page_of(list, view)))
}

/// Get an event configuration (its secrets read `{"set": true}`).
#[utoipa::path(get, path = "/api/v1/event-configurations/{id}", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    responses((status = 200, body = EventConfigurationView)))]
async fn get_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EventConfigurationView>> {
    Ok(Json(view(
        configurations::get(&state, &admin.organization_id, &id).await?,
    )))
}

/// Rename an event configuration.
#[utoipa::path(patch, path = "/api/v1/event-configurations/{id}", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    request_body = EventConfigurationPatch, responses((status = 200, body = EventConfigurationView)))]
async fn patch_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<EventConfigurationView>> {
    let body: EventConfigurationPatch = decode(body)?;
    Ok(Json(view(
        configurations::rename(&state, &admin.organization_id, &id, &body.name).await?,
    )))
}

/// Delete an event configuration no integration links to (409 `config_linked`).
#[utoipa::path(delete, path = "/api/v1/event-configurations/{id}", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")), responses((status = 204)))]
async fn delete_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    configurations::delete(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the working draft (every field error at once; a left-out client secret is kept).
#[utoipa::path(put, path = "/api/v1/event-configurations/{id}/working", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    request_body = EventSnapshotBody, responses((status = 200, body = EventConfigurationView)))]
async fn put_working(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<EventConfigurationView>> {
    Ok(Json(view(
        configurations::put_working(&state, &admin.organization_id, &id, &body).await?,
    )))
}

/// Publish the working draft as the next revision (an unchanged draft keeps its revision);
/// deliveries use the latest revision from their next attempt.
#[utoipa::path(post, path = "/api/v1/event-configurations/{id}/publish", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    responses((status = 200, body = EventConfigurationView)))]
async fn publish_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<EventConfigurationView>> {
    Ok(Json(view(
        configurations::publish(&state, &admin.organization_id, &id).await?,
    )))
}

/// Send one test delivery (`"test": true`) per type to a snapshot's URLs, and record each as
/// its `last_test` (409 `not_published` for a `published` ping before any publish).
#[utoipa::path(post, path = "/api/v1/event-configurations/{id}/ping", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    request_body = PingBody, responses((status = 200, body = PingResults)))]
async fn ping_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<PingResults>> {
    let body: PingBody = decode(body)?;
    let which = match body.snapshot {
        Some(SnapshotName::Published) => PingSnapshot::Published,
        _ => PingSnapshot::Working,
    };
    let outcomes = configurations::ping(
        &state,
        &admin.organization_id,
        &id,
        which,
        &body.event_types,
    )
    .await?;
    let results = outcomes
        .into_iter()
        .filter_map(|(event_type, url, test)| {
            Some(PingResult {
                event_type: event_type.as_str().to_owned(),
                url,
                last_test: last_test(&test)?,
            })
        })
        .collect();
    Ok(Json(PingResults { results }))
}

/// Rotate the signing secret: the new one is shown once; the previous one co-signs for 24 hours.
#[utoipa::path(post, path = "/api/v1/event-configurations/{id}/signing-secret", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    responses((status = 200, body = SigningSecretView)))]
async fn rotate_signing_secret(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SigningSecretView>> {
    let signing_secret =
        configurations::rotate_signing_secret(&state, &admin.organization_id, &id).await?;
    Ok(Json(SigningSecretView { signing_secret }))
}

/// Issue the inbound client the vendor answers with (replacing any previous one and its
/// tokens); its secret is shown once.
#[utoipa::path(post, path = "/api/v1/event-configurations/{id}/inbound-client", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    responses((status = 201, body = NewInboundClient)))]
async fn create_inbound_client(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<NewInboundClient>)> {
    let (client_id, client_secret, at) =
        configurations::new_inbound_client(&state, &admin.organization_id, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewInboundClient {
            client_id,
            client_secret,
            created_at: rfc3339(at),
        }),
    ))
}

/// Link an integration to a published event configuration (409 `not_published`).
#[utoipa::path(put, path = "/api/v1/integrations/{id}/event-configuration", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")),
    request_body = EventConfigurationLink, responses((status = 200, body = EventConfigurationView)))]
async fn link_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<EventConfigurationView>> {
    let body: EventConfigurationLink = decode(body)?;
    Ok(Json(view(
        configurations::link(
            &state,
            &admin.organization_id,
            &id,
            &body.event_configuration_id,
        )
        .await?,
    )))
}

/// Unlink an integration from its event configuration.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/event-configuration", tag = "events", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 204)))]
async fn unlink_event_configuration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    configurations::unlink(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
