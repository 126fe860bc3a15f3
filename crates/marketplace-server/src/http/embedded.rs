//! The embedded API, for customer users with a signed token: the marketplace catalog, details,
//! validation, and the customer's own instances with their logs and executions.
//!
//! Order of checks on writes: 401 (token) → 403 (role) → 404 (not found or another customer's)
//! → deployability (403/409) → 422 (every field error at once).

use crate::auth::CustomerUser;
use crate::catalog::{CustomerSnapshot, snapshot};
use crate::db::Backend;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::instances::{ActivationBody, ReconfigureBody};
use crate::http::observability::{
    ExecutionQuery, LogQuery, LogView, list_executions_for, list_logs_for,
};
use crate::http::{Filter, FilterArg, List, PageQuery, decode};
use crate::instances::{self, Activation, Audience, InstanceView, Transition};
use crate::runner::{self, ExecutionView};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use marketplace_core::catalog::{CustomerContext, VendorValues};
use marketplace_core::permission::{Action, Decision, authorize};
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use marketplace_core::{CatalogEntry, CatalogFilter, FieldError, IntegrationId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(marketplace))
        .routes(routes!(marketplace_entry))
        .routes(routes!(validate))
        .routes(routes!(activate, list_instances))
        .routes(routes!(get_instance, patch_instance, delete_instance))
        .routes(routes!(pause_instance))
        .routes(routes!(resume_instance))
        .routes(routes!(test_instance))
        .routes(routes!(instance_logs))
        .routes(routes!(instance_executions))
}

/// Checks the caller may do `action` on a resource of `owner`: 403 for the role, 404 for another customer's.
fn allow(user: &CustomerUser, action: Action, owner: Option<&str>) -> ApiResult<()> {
    let owner = owner.map(marketplace_core::CustomerId::from);
    match authorize(&user.actor(), action, owner.as_ref()) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ApiError::forbidden(
            "forbidden_role",
            "a viewer may not change anything",
        )),
        Decision::NotFound => Err(ApiError::NotFound("instance")),
    }
}

/// Filters of the embedded marketplace.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MarketplaceQuery {
    /// Exact category.
    pub category: Option<String>,
    /// A label.
    pub label: Option<String>,
    /// Case-insensitive substring of name, description, category or a label.
    pub q: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl MarketplaceQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// A marketplace entry, as `GET /api/v1/embedded/marketplace` lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketplaceEntry {
    /// The integration.
    pub integration_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// The listed version.
    pub version: String,
    /// Whether the customer has a live instance.
    pub activated: bool,
    /// How many live instances the customer has.
    pub instance_count: usize,
    /// `{status, reasons: [{code, message}]}`.
    #[schema(value_type = Object)]
    pub deployability: Value,
}

/// The customer's live instances and vendor-set values: kept in memory on SQLite (see
/// [`crate::catalog`]), read from the database on PostgreSQL (where other processes may write).
async fn customer_context(
    state: &AppState,
    user: &CustomerUser,
) -> ApiResult<Arc<CustomerSnapshot>> {
    let keep = state.db.backend == Backend::Sqlite;
    if keep && let Some(snapshot) = state.catalogs.customer(&user.customer_id) {
        return Ok(snapshot);
    }
    // Read before loading: a write committed meanwhile makes `keep_customer` discard this load.
    let invalidations = state.catalogs.customer_invalidations();
    let live: Vec<String> = sqlx::query_scalar(
        "SELECT integration_id FROM instances WHERE customer_id = $1 AND status <> 'deactivated'",
    )
    .bind(&user.customer_id)
    .fetch_all(&state.db.read)
    .await?;
    let sealed: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "SELECT integration_id, sealed_values FROM customer_configs WHERE customer_id = $1",
    )
    .bind(&user.customer_id)
    .fetch_all(&state.db.read)
    .await?;
    let mut vendor = VendorValues::default();
    for (integration_id, blob) in sealed {
        let values = crate::http::customers::open_vendor_values(
            state,
            &user.customer_id,
            &integration_id,
            &blob,
        )?;
        vendor.insert(integration_id.into(), values);
    }
    let snapshot = Arc::new(CustomerSnapshot {
        live: live.into_iter().map(IntegrationId::from).collect(),
        vendor,
    });
    if keep {
        state
            .catalogs
            .keep_customer(&user.customer_id, invalidations, snapshot.clone());
    }
    Ok(snapshot)
}

/// The marketplace: listed integrations with activation state and deployability.
#[utoipa::path(get, path = "/api/v1/embedded/marketplace", tag = "embedded", security(("embedded_token" = [])),
    params(MarketplaceQuery), responses((status = 200, body = List<MarketplaceEntry>)))]
async fn marketplace(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(query): ApiQuery<MarketplaceQuery>,
) -> ApiResult<axum::response::Response> {
    allow(&user, Action::ReadCatalog, None)?;
    let page = query.page();
    let limit = page.limit()? as usize;
    let snapshot = snapshot(&state, &user.organization_id).await?;
    let context = customer_context(&state, &user).await?;
    let customer = CustomerContext {
        live_instances: &context.live,
        vendor_values: &context.vendor,
        embedded_values: user.embedded_config.as_ref(),
    };
    let filter = CatalogFilter {
        category: query.category,
        label: query.label,
        q: query.q,
    };
    let entries = snapshot.catalog.query(customer, &filter);
    let start = match page.cursor.as_deref() {
        None => 0,
        Some(cursor) => entries
            .iter()
            .position(|e| e.listing.integration.id.as_str() == cursor)
            .map_or(entries.len(), |p| p + 1),
    };
    let items: Vec<&CatalogEntry<'_>> = entries.iter().skip(start).take(limit).collect();
    let next_cursor = (start + limit < entries.len())
        .then(|| items.last().map(|e| e.listing.integration.id.to_string()))
        .flatten();
    #[derive(Serialize)]
    struct Page<'a, 'b> {
        items: Vec<&'a CatalogEntry<'b>>,
        next_cursor: Option<String>,
    }
    let body = serde_json::to_vec(&Page { items, next_cursor })
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// An integration's detail for the customer: the entry, its overview, the customer-visible spec
/// and the names of its flows.
#[derive(Debug, Serialize, ToSchema)]
pub struct MarketplaceDetail {
    /// The entry.
    #[serde(flatten)]
    #[schema(inline)]
    pub entry: MarketplaceEntry,
    /// Overview (markdown).
    pub overview: String,
    /// The overview rendered to HTML and sanitised (safe to insert in a page).
    pub overview_html: String,
    /// The customer-visible part of the config spec.
    #[schema(value_type = Object)]
    pub config: Value,
    /// Names of the flows.
    pub flows: Vec<String>,
}

/// One integration of the marketplace, with the spec the customer fills in.
#[utoipa::path(get, path = "/api/v1/embedded/marketplace/{integration_id}", tag = "embedded", security(("embedded_token" = [])),
    params(("integration_id" = String, Path, description = "Integration id")), responses((status = 200, body = MarketplaceDetail)))]
async fn marketplace_entry(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
) -> ApiResult<Json<Value>> {
    allow(&user, Action::ReadCatalog, None)?;
    let snapshot = snapshot(&state, &user.organization_id).await?;
    let listed = snapshot
        .get(&integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    let context = customer_context(&state, &user).await?;
    let customer = CustomerContext {
        live_instances: &context.live,
        vendor_values: &context.vendor,
        embedded_values: user.embedded_config.as_ref(),
    };
    let entry = snapshot
        .catalog
        .entry(customer, &integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    let mut body = serde_json::to_value(&entry).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["overview"] = Value::String(listed.listing.overview.clone());
    body["overview_html"] = Value::String(snapshot.overview_html(&integration_id).to_owned());
    body["config"] =
        serde_json::to_value(listed.version.config.spec().customer_view()).unwrap_or_default();
    body["flows"] = Value::from(
        listed
            .version
            .flows
            .iter()
            .map(|f| f.name.clone())
            .collect::<Vec<_>>(),
    );
    Ok(Json(body))
}

/// Body of a validation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateBody {
    /// The values to check.
    #[schema(value_type = Object)]
    pub config: Value,
}

/// The verdict of a validation (not a problem: nothing failed).
#[derive(Debug, Serialize, ToSchema)]
pub struct ValidateResult {
    /// Whether the values are valid.
    pub valid: bool,
    /// Every field error, `{path, code, message}`.
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

/// Check values against the listed version's spec, as the customer would submit them.
#[utoipa::path(post, path = "/api/v1/embedded/marketplace/{integration_id}/validate", tag = "embedded",
    security(("embedded_token" = [])), params(("integration_id" = String, Path, description = "Integration id")),
    request_body = ValidateBody, responses((status = 200, body = ValidateResult)))]
async fn validate(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(integration_id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ValidateResult>> {
    allow(&user, Action::Validate, None)?;
    let snapshot = snapshot(&state, &user.organization_id).await?;
    let listed = snapshot
        .get(&integration_id)
        .ok_or(ApiError::NotFound("integration"))?;
    let body: ValidateBody = decode(body)?;
    let errors = validate_config(
        &listed.version.config,
        &body.config,
        ValidationOptions::complete(Editor::Customer),
    );
    Ok(Json(ValidateResult {
        valid: errors.is_empty(),
        errors,
    }))
}

/// Activate a listed integration. `Idempotency-Key` is honoured: a retry returns the same instance.
#[utoipa::path(post, path = "/api/v1/embedded/instances", tag = "embedded", security(("embedded_token" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key returns the same instance")),
    request_body = ActivationBody,
    responses((status = 201, body = InstanceView, description = "The instance; a retry with the same Idempotency-Key answers the same instance, with `Idempotent-Replayed: true`")))]
async fn activate(
    State(state): State<AppState>,
    user: CustomerUser,
    headers: HeaderMap,
    ApiJson(raw): ApiJson<Value>,
) -> ApiResult<(
    StatusCode,
    [(&'static str, &'static str); 1],
    Json<InstanceView>,
)> {
    allow(&user, Action::Activate, None)?;
    let idempotency_key = match headers.get("idempotency-key") {
        None => None,
        Some(v) => match v.to_str() {
            Ok(k) if !k.is_empty() && k.len() <= 255 => Some(k.to_owned()),
            _ => {
                return Err(ApiError::bad_request(
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 255 visible characters",
                ));
            }
        },
    };
    let integration_id = raw
        .get("integration_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let snapshot = snapshot(&state, &user.organization_id).await?;
    if !integration_id.is_empty() && snapshot.get(&integration_id).is_none() {
        return Err(ApiError::NotFound("integration"));
    }
    let hash = instances::request_hash(&integration_id, &raw);
    let body: ActivationBody = decode(raw)?;
    let (view, replayed) = instances::activate(
        &state,
        &snapshot,
        Activation {
            organization_id: &user.organization_id,
            customer_id: &user.customer_id,
            integration_id: &body.integration_id,
            name: body.name,
            values: body.config,
            editor: Editor::Customer,
            embedded_values: user.embedded_config.clone(),
            idempotency: idempotency_key.map(|k| (k, hash)),
        },
    )
    .await?;
    let replayed = if replayed { "true" } else { "false" };
    Ok((
        StatusCode::CREATED,
        [("idempotent-replayed", replayed)],
        Json(view),
    ))
}

/// The customer's instances.
#[utoipa::path(get, path = "/api/v1/embedded/instances", tag = "embedded", security(("embedded_token" = [])),
    params(PageQuery), responses((status = 200, body = List<InstanceView>)))]
async fn list_instances(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<InstanceView>>> {
    allow(&user, Action::ReadInstances, Some(&user.customer_id))?;
    let mut filter = Filter::default();
    filter.and(
        "customer_id = ?",
        [FilterArg::Text(user.customer_id.clone())],
    );
    Ok(Json(
        instances::list(&state, filter, &page, Audience::Customer).await?,
    ))
}

async fn own_instance(
    state: &AppState,
    user: &CustomerUser,
    action: Action,
    id: &str,
) -> ApiResult<marketplace_core::Instance> {
    allow(user, action, None)?;
    let instance = instances::load(state, &user.organization_id, id, None).await?;
    allow(user, action, Some(instance.customer_id.as_str()))?;
    Ok(instance)
}

/// One of the customer's instances.
#[utoipa::path(get, path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn get_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    Ok(Json(
        instances::view(&state, &instance, Audience::Customer).await?,
    ))
}

/// Reconfigure an instance: the customer's values are replaced (omitted secrets kept).
#[utoipa::path(patch, path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = ReconfigureBody,
    responses((status = 200, body = InstanceView)))]
async fn patch_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::Reconfigure, &id).await?;
    let body: ReconfigureBody = decode(body)?;
    let update: Map<String, Value> = match body.config {
        Some(update) => update,
        None => instance.config.clone(),
    };
    let view = instances::reconfigure(
        &state,
        &user.organization_id,
        &instance,
        &update,
        body.name,
        Editor::Customer,
        user.embedded_config.as_ref(),
    )
    .await?;
    Ok(Json(view))
}

/// Deactivate an instance.
#[utoipa::path(delete, path = "/api/v1/embedded/instances/{id}", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn delete_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::Deactivate, &id).await?;
    Ok(Json(
        instances::transition(
            &state,
            &user.organization_id,
            &instance,
            Transition::Deactivate,
            Audience::Customer,
        )
        .await?,
    ))
}

/// Pause an instance.
#[utoipa::path(post, path = "/api/v1/embedded/instances/{id}/pause", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn pause_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::Pause, &id).await?;
    Ok(Json(
        instances::transition(
            &state,
            &user.organization_id,
            &instance,
            Transition::Pause,
            Audience::Customer,
        )
        .await?,
    ))
}

/// Resume a paused instance.
#[utoipa::path(post, path = "/api/v1/embedded/instances/{id}/resume", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), responses((status = 200, body = InstanceView)))]
async fn resume_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<InstanceView>> {
    let instance = own_instance(&state, &user, Action::Resume, &id).await?;
    Ok(Json(
        instances::transition(
            &state,
            &user.organization_id,
            &instance,
            Transition::Resume,
            Audience::Customer,
        )
        .await?,
    ))
}

/// Body of a test run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    /// The flow to run (default: the first).
    pub flow: Option<String>,
    /// The test input (what a webhook would receive).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub input: Value,
}

/// Run a flow of the instance with test input, now, and return the execution.
#[utoipa::path(post, path = "/api/v1/embedded/instances/{id}/test", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id")), request_body = TestBody,
    responses((status = 200, body = ExecutionView)))]
async fn test_instance(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<ExecutionView>> {
    let instance = own_instance(&state, &user, Action::TestRun, &id).await?;
    let body: TestBody = decode(body)?;
    if instance.status == marketplace_core::InstanceStatus::Deactivated {
        return Err(ApiError::conflict(
            "invalid_state",
            "a deactivated instance does not run",
        ));
    }
    let version = instances::version_of(&state, &instance).await?;
    let flow = match body.flow.as_deref() {
        Some(name) => version.flows.iter().find(|f| f.name == name),
        None => version.flows.first(),
    }
    .ok_or_else(|| {
        ApiError::field(FieldError::new(
            "/flow",
            marketplace_core::FieldErrorCode::InvalidReference,
            "the version has no such flow",
        ))
    })?;
    let execution_id = runner::enqueue(
        &state,
        &user.organization_id,
        &instance,
        &flow.name,
        "test",
        &body.input,
    )
    .await?;
    Ok(Json(runner::run(&state, &execution_id, 1).await?))
}

/// Logs of one of the customer's instances.
#[utoipa::path(get, path = "/api/v1/embedded/instances/{id}/logs", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), LogQuery), responses((status = 200, body = List<LogView>)))]
async fn instance_logs(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> ApiResult<Json<List<LogView>>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let query = LogQuery {
        instance_id: Some(instance.id.to_string()),
        customer_id: None,
        ..query
    };
    Ok(Json(
        list_logs_for(&state, &user.organization_id, query).await?,
    ))
}

/// Executions of one of the customer's instances.
#[utoipa::path(get, path = "/api/v1/embedded/instances/{id}/executions", tag = "embedded", security(("embedded_token" = [])),
    params(("id" = String, Path, description = "Instance id"), ExecutionQuery), responses((status = 200, body = List<ExecutionView>)))]
async fn instance_executions(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> ApiResult<Json<List<ExecutionView>>> {
    let instance = own_instance(&state, &user, Action::ReadInstances, &id).await?;
    let query = ExecutionQuery {
        instance_id: Some(instance.id.to_string()),
        customer_id: None,
        ..query
    };
    Ok(Json(
        list_executions_for(&state, &user.organization_id, query).await?,
    ))
}
