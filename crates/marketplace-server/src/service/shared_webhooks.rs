//! Shared webhook triggers: one URL per integration and flow for every customer, each call
//! routed by a value of the call (core's [`RouteBy`]) to the customer whose `external_id` it is,
//! then run by each of that customer's active instances with the flow (the runner's path, trigger
//! `shared_webhook`). The key is shown once and stored as its SHA-256.

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::instances::version_of;
use crate::service::runner;
use crate::service::state::AppState;
use crate::store::instances::InstanceFilter;
use crate::store::shared_webhooks::SharedWebhookRecord;
use crate::store::{self, PageRequest, now_ms};
use marketplace_core::InstanceStatus;
use marketplace_core::flow::Trigger;
use marketplace_core::routing::RouteBy;
use serde_json::Value;
use std::sync::Arc;

/// An integration's shared webhook as the vendor sees it.
#[derive(Debug, Clone)]
pub struct SharedWebhook {
    /// The integration.
    pub integration_id: String,
    /// Where calls name their customer.
    pub route_by: RouteBy,
    /// The URL to call, `{flow}` standing for a webhook flow's name.
    pub url_template: String,
    /// The key, only when it was just made.
    pub key: Option<String>,
}

/// The most instances of one customer and integration a call runs.
const MAX_INSTANCES: u32 = 200;

fn shown(state: &AppState, record: SharedWebhookRecord, key: Option<String>) -> SharedWebhook {
    SharedWebhook {
        url_template: format!(
            "{}/webhooks/shared/{}/{{flow}}",
            state.settings.public_url, record.integration_id
        ),
        integration_id: record.integration_id,
        route_by: record.route_by,
        key,
    }
}

fn new_key() -> String {
    format!("whk_{}", random_secret(32))
}

/// Creates (`true`, with its key) or changes (`false`) the integration's shared webhook;
/// `route_by` is checked by core (422 at `/route_by/...`).
#[tracing::instrument(name = "shared_webhooks::put", level = "debug", skip_all)]
pub async fn put(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    route_by: &Value,
) -> ApiResult<(bool, SharedWebhook)> {
    crate::service::integrations::get(state, organization_id, integration_id).await?;
    let route_by = RouteBy::parse(route_by, "/route_by").map_err(ApiError::Validation)?;
    let now = now_ms();
    if store::shared_webhooks::set_route(
        &state.store,
        organization_id,
        integration_id,
        &route_by,
        now,
    )
    .await?
    {
        return Ok((false, get(state, organization_id, integration_id).await?));
    }
    let key = new_key();
    let record = SharedWebhookRecord {
        integration_id: integration_id.to_owned(),
        organization_id: organization_id.to_owned(),
        route_by,
        key_hash: sha256_hex(&key),
    };
    if store::shared_webhooks::insert(&state.store, &record, now).await? {
        Ok((true, shown(state, record, Some(key))))
    } else {
        // Another request created it meanwhile: this one changes it.
        store::shared_webhooks::set_route(
            &state.store,
            organization_id,
            integration_id,
            &record.route_by,
            now,
        )
        .await?;
        Ok((false, get(state, organization_id, integration_id).await?))
    }
}

/// The integration's shared webhook (404 when it has none).
#[tracing::instrument(name = "shared_webhooks::get", level = "debug", skip_all)]
pub async fn get(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<SharedWebhook> {
    let record = store::shared_webhooks::get(&state.store, organization_id, integration_id)
        .await?
        .ok_or(ApiError::NotFound("shared webhook"))?;
    Ok(shown(state, record, None))
}

/// Replaces the key; the new one is returned (shown once), the old one stops working.
#[tracing::instrument(name = "shared_webhooks::rotate_key", level = "debug", skip_all)]
pub async fn rotate_key(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<String> {
    let key = new_key();
    let changed = store::shared_webhooks::set_key(
        &state.store,
        organization_id,
        integration_id,
        &sha256_hex(&key),
        now_ms(),
    )
    .await?;
    if changed {
        Ok(key)
    } else {
        Err(ApiError::NotFound("shared webhook"))
    }
}

/// Removes the integration's shared webhook (404 when it has none).
#[tracing::instrument(name = "shared_webhooks::delete", level = "debug", skip_all)]
pub async fn delete(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<()> {
    if store::shared_webhooks::delete(&state.store, organization_id, integration_id).await? {
        Ok(())
    } else {
        Err(ApiError::NotFound("shared webhook"))
    }
}

/// A call of a shared webhook URL.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The integration of the URL.
    pub integration_id: &'a str,
    /// The flow of the URL.
    pub flow: &'a str,
    /// The key the call carries (`X-Webhook-Key` or `?key=`).
    pub key: Option<&'a str>,
    /// The payload: the flow's input.
    pub input: &'a Value,
    /// The call's headers (name, value).
    pub headers: &'a [(&'a str, &'a str)],
}

/// Runs a shared webhook call: every active instance of the named customer whose version has
/// the webhook flow starts an execution (paused ones are skipped); their ids. 404 without a
/// shared webhook, customer, instance or flow; 401 `invalid_webhook_key`; 422
/// `routing_key_missing`; 409 `instance_not_active` when none is active.
#[tracing::instrument(name = "shared_webhooks::trigger", level = "debug", skip_all)]
pub async fn trigger(state: &AppState, call: Call<'_>) -> ApiResult<Vec<String>> {
    let shared = store::shared_webhooks::by_integration(&state.store, call.integration_id)
        .await?
        .ok_or(ApiError::NotFound("shared webhook"))?;
    if call.key.map(sha256_hex).as_deref() != Some(shared.key_hash.as_str()) {
        return Err(ApiError::unauthorized(
            "invalid_webhook_key",
            "the webhook key is missing or wrong",
        ));
    }
    let external_id = shared
        .route_by
        .routing_value(call.input, call.headers)
        .map_err(|e| {
            ApiError::unprocessable(
                marketplace_core::routing::RoutingKeyMissing::CODE,
                e.to_string(),
            )
        })?;
    let organization_id = shared.organization_id.as_str();
    let customer_id =
        store::customers::id_by_external_id(&state.store, organization_id, &external_id)
            .await?
            .ok_or(ApiError::NotFound("customer"))?;
    let filter = InstanceFilter {
        customer_id: Some(customer_id),
        integration_id: Some(call.integration_id.to_owned()),
        status: None,
    };
    let page = PageRequest {
        limit: MAX_INSTANCES,
        cursor: None,
    };
    let instances = store::instances::list(&state.store, organization_id, &filter, &page)
        .await?
        .items;
    let mut with_flow = Vec::new();
    for instance in instances {
        if instance.status == InstanceStatus::Deactivated {
            continue;
        }
        let version = version_of(state, &instance).await?;
        if has_webhook_flow(&version, call.flow) && instance.flow_enabled(call.flow) {
            with_flow.push(instance);
        }
    }
    if with_flow.is_empty() {
        return Err(ApiError::NotFound("webhook flow"));
    }
    let active: Vec<_> = with_flow
        .into_iter()
        .filter(|i| i.status == InstanceStatus::Active)
        .collect();
    if active.is_empty() {
        return Err(ApiError::conflict(
            "instance_not_active",
            "none of the customer's instances with this flow is active",
        ));
    }
    runner::start_executions(
        state,
        organization_id,
        active,
        call.flow,
        "shared_webhook",
        call.input,
    )
    .await
}

fn has_webhook_flow(version: &Arc<marketplace_core::IntegrationVersion>, flow: &str) -> bool {
    version
        .flows
        .iter()
        .any(|f| f.name == flow && f.trigger == Trigger::Webhook)
}
