//! Customers, their users and the vendor-set values per integration:
//! `/api/v1/customers[/{id}[/config/{integration_id}|/users[/{user_id}]]]`.

use crate::auth::{Admin, record_event};
use crate::db::{new_id, now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{Filter, FilterArg, List, PageQuery, decode, fetch_page, like_pattern};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_core::customer::CustomerFields;
use marketplace_core::event::{Event, EventType};
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use marketplace_core::{
    Customer, FieldError, FieldErrorCode, config::mask_secrets, config::merge_update,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, patch_customer, delete_customer))
        .routes(routes!(get_customer_config, put_customer_config))
        .routes(routes!(list_users))
        .routes(routes!(patch_user, delete_user))
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The host app's id.
    pub external_id: String,
    /// Labels (lower-cased).
    pub labels: Vec<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// Creation time.
    pub created_at: String,
}

/// Row of `customers`.
#[derive(Debug, sqlx::FromRow)]
pub struct CustomerRow {
    id: String,
    name: String,
    description: String,
    external_id: String,
    labels: String,
    avatar_url: Option<String>,
    created_at: i64,
}

impl CustomerRow {
    fn customer(&self) -> Customer {
        Customer {
            id: self.id.as_str().into(),
            name: self.name.clone(),
            description: self.description.clone(),
            external_id: self.external_id.clone(),
            labels: serde_json::from_str(&self.labels).unwrap_or_default(),
            avatar_url: self.avatar_url.clone(),
        }
    }
}

impl From<CustomerRow> for CustomerView {
    fn from(row: CustomerRow) -> Self {
        let c = row.customer();
        CustomerView {
            id: row.id,
            name: c.name,
            description: c.description,
            external_id: c.external_id,
            labels: c.labels,
            avatar_url: c.avatar_url,
            created_at: rfc3339(row.created_at),
        }
    }
}

const SELECT: &str =
    "SELECT id, name, description, external_id, labels, avatar_url, created_at FROM customers";

/// Loads a customer of the organization (404 otherwise).
pub async fn load(state: &AppState, organization_id: &str, id: &str) -> ApiResult<CustomerRow> {
    let sql = format!("{SELECT} WHERE id = $1 AND organization_id = $2");
    sqlx::query_as(&sql)
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&state.db.write)
        .await?
        .ok_or(ApiError::NotFound("customer"))
}

/// Stores a new customer with its `customer.created` event; returns its id. On first sight from a
/// token, a customer created meanwhile by another request is returned instead.
pub async fn insert_customer(
    state: &AppState,
    organization_id: &str,
    customer: &Customer,
    on_sight: bool,
) -> ApiResult<String> {
    let now = now_ms();
    let mut tx = state.db.write.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO customers (id, organization_id, external_id, name, description, labels, avatar_url, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(customer.id.to_string())
    .bind(organization_id)
    .bind(&customer.external_id)
    .bind(&customer.name)
    .bind(&customer.description)
    .bind(serde_json::to_string(&customer.labels).unwrap_or_default())
    .bind(customer.avatar_url.clone())
    .bind(now)
    .execute(&mut *tx)
    .await;
    match inserted.map_err(ApiError::from) {
        Ok(_) => {}
        Err(ApiError::Conflict { .. }) => {
            drop(tx);
            if !on_sight {
                return Err(ApiError::conflict(
                    "duplicate_external_id",
                    "a customer with this external id exists",
                ));
            }
            return sqlx::query_scalar(
                "SELECT id FROM customers WHERE organization_id = $1 AND external_id = $2",
            )
            .bind(organization_id)
            .bind(&customer.external_id)
            .fetch_one(&state.db.write)
            .await
            .map_err(ApiError::from);
        }
        Err(e) => return Err(e),
    }
    record_event(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerCreated, customer, now),
    )
    .await?;
    tx.commit().await?;
    Ok(customer.id.to_string())
}

/// Body of `POST /api/v1/customers` (and of `PATCH`, where every field is optional).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The host app's id, unique in the organization.
    pub external_id: Option<String>,
    /// Labels (lower-cased and de-duplicated on the way in).
    pub labels: Option<Vec<String>>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

/// Create a customer.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", security(("api_key" = [])),
    request_body = CustomerBody, responses((status = 201, body = CustomerView)))]
async fn create_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<CustomerView>)> {
    let body: CustomerBody = decode(body)?;
    let fields = CustomerFields {
        name: body.name.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        external_id: body.external_id.unwrap_or_default(),
        labels: body.labels.unwrap_or_default(),
        avatar_url: body.avatar_url,
    };
    let customer = Customer::new(new_id("cus").into(), fields).map_err(ApiError::Validation)?;
    let id = insert_customer(&state, &admin.organization_id, &customer, false).await?;
    Ok((
        StatusCode::CREATED,
        Json(load(&state, &admin.organization_id, &id).await?.into()),
    ))
}

/// Filters of the customer list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Case-insensitive substring of name, description, external id or a label.
    pub search: Option<String>,
    /// A label the customer carries.
    pub label: Option<String>,
    /// Exact external id.
    pub external_id: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl CustomerQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// List customers.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("api_key" = [])),
    params(CustomerQuery), responses((status = 200, body = List<CustomerView>)))]
async fn list_customers(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<List<CustomerView>>> {
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    if let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) {
        let p = like_pattern(search);
        filter.and(
            "(lower(name) LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\' OR lower(external_id) LIKE ? ESCAPE '\\' OR lower(labels) LIKE ? ESCAPE '\\')",
            [FilterArg::Text(p.clone()), FilterArg::Text(p.clone()), FilterArg::Text(p.clone()), FilterArg::Text(p)],
        );
    }
    if let Some(label) = query.label.as_deref() {
        let quoted = serde_json::to_string(&label.trim().to_lowercase()).unwrap_or_default();
        filter.and(
            "labels LIKE ? ESCAPE '\\'",
            [FilterArg::Text(format!(
                "%{}%",
                quoted.replace('%', "\\%").replace('_', "\\_")
            ))],
        );
    }
    filter.and_opt("external_id = ?", query.external_id.as_deref());
    let (rows, limit) = fetch_page::<CustomerRow>(&state, SELECT, filter, &query.page()).await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        CustomerView::from,
    )))
}

/// Get a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), responses((status = 200, body = CustomerView)))]
async fn get_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(
        load(&state, &admin.organization_id, &id).await?.into(),
    ))
}

/// Update a customer.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), request_body = CustomerBody,
    responses((status = 200, body = CustomerView)))]
async fn patch_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<CustomerView>> {
    let current = load(&state, &admin.organization_id, &id).await?.customer();
    let body: CustomerBody = decode(body)?;
    let fields = CustomerFields {
        name: body.name.unwrap_or(current.name),
        description: body.description.unwrap_or(current.description),
        external_id: body.external_id.unwrap_or(current.external_id),
        labels: body.labels.unwrap_or(current.labels),
        avatar_url: body.avatar_url.or(current.avatar_url),
    };
    let customer = Customer::new(current.id, fields).map_err(ApiError::Validation)?;
    let mut tx = state.db.write.begin().await?;
    sqlx::query("UPDATE customers SET name = $1, description = $2, external_id = $3, labels = $4, avatar_url = $5 WHERE id = $6")
        .bind(&customer.name)
        .bind(&customer.description)
        .bind(&customer.external_id)
        .bind(serde_json::to_string(&customer.labels).unwrap_or_default())
        .bind(customer.avatar_url.clone())
        .bind(&id)
        .execute(&mut *tx)
        .await
        .map_err(|e| match ApiError::from(e) {
            ApiError::Conflict { .. } => ApiError::conflict("duplicate_external_id", "a customer with this external id exists"),
            other => other,
        })?;
    record_event(
        &mut tx,
        &admin.organization_id,
        &Event::for_customer(EventType::CustomerUpdated, &customer, now_ms()),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(&id);
    Ok(Json(
        load(&state, &admin.organization_id, &id).await?.into(),
    ))
}

/// `?confirm_name=` of a customer deletion.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// Must equal the customer's name.
    pub confirm_name: Option<String>,
}

/// Delete a customer with its users, instances, logs and executions (confirm with its name).
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), DeleteQuery), responses((status = 204)))]
async fn delete_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    let customer = load(&state, &admin.organization_id, &id).await?.customer();
    if !query
        .confirm_name
        .as_deref()
        .is_some_and(|n| customer.confirms_deletion(n))
    {
        return Err(ApiError::bad_request(
            "confirmation_required",
            "pass ?confirm_name= with the customer's exact name",
        ));
    }
    let mut tx = state.db.write.begin().await?;
    for table in ["logs", "executions"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE customer_id = $1"))
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM customers WHERE id = $1")
        .bind(&id)
        .execute(&mut *tx)
        .await?;
    record_event(
        &mut tx,
        &admin.organization_id,
        &Event::for_customer(EventType::CustomerDeleted, &customer, now_ms()),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(&id);
    state.catalogs.forget_customer(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// Vendor-set values of a customer for one integration (secrets masked).
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerConfigView {
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The values (organization and embedded variables), secrets shown as `{"set": true}`.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
}

/// Body of `PUT .../config/{integration_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerConfigBody {
    /// Values of organization and embedded variables; an omitted secret keeps its stored value.
    #[schema(value_type = Object)]
    pub values: Map<String, Value>,
}

fn config_context(customer_id: &str, integration_id: &str) -> String {
    format!("customer_config:{customer_id}:{integration_id}")
}

/// The vendor-set values of a customer for an integration (plaintext: never return as is).
pub async fn vendor_values(
    state: &AppState,
    customer_id: &str,
    integration_id: &str,
) -> ApiResult<Map<String, Value>> {
    let blob: Option<Vec<u8>> = sqlx::query_scalar(
        "SELECT sealed_values FROM customer_configs WHERE customer_id = $1 AND integration_id = $2",
    )
    .bind(customer_id)
    .bind(integration_id)
    .fetch_optional(&state.db.read)
    .await?;
    let Some(blob) = blob else {
        return Ok(Map::new());
    };
    open_vendor_values(state, customer_id, integration_id, &blob)
}

/// Opens the stored (sealed) vendor-set values of a customer for an integration.
pub fn open_vendor_values(
    state: &AppState,
    customer_id: &str,
    integration_id: &str,
    blob: &[u8],
) -> ApiResult<Map<String, Value>> {
    let value = state
        .sealer
        .open_json(&config_context(customer_id, integration_id), blob)
        .ok_or_else(|| ApiError::Internal("a sealed customer config does not open".into()))?;
    Ok(value.as_object().cloned().unwrap_or_default())
}

async fn listed_spec(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<std::sync::Arc<marketplace_core::IntegrationVersion>> {
    let snapshot = crate::catalog::snapshot(state, organization_id).await?;
    snapshot
        .get(integration_id)
        .map(|l| l.version.clone())
        .ok_or(ApiError::NotFound("listing of this integration"))
}

/// Get the vendor-set values of a customer for a listed integration.
#[utoipa::path(get, path = "/api/v1/customers/{id}/config/{integration_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 200, body = CustomerConfigView)))]
async fn get_customer_config(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<CustomerConfigView>> {
    load(&state, &admin.organization_id, &id).await?;
    let version = listed_spec(&state, &admin.organization_id, &integration_id).await?;
    let values = vendor_values(&state, &id, &integration_id).await?;
    Ok(Json(CustomerConfigView {
        customer_id: id,
        integration_id,
        values: mask_secrets(version.config.spec(), &values),
    }))
}

/// Set the vendor-set values of a customer for a listed integration (organization and embedded
/// variables), used by deployability and activation.
#[utoipa::path(put, path = "/api/v1/customers/{id}/config/{integration_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("integration_id" = String, Path, description = "Integration id")),
    request_body = CustomerConfigBody, responses((status = 200, body = CustomerConfigView)))]
async fn put_customer_config(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<CustomerConfigView>> {
    load(&state, &admin.organization_id, &id).await?;
    let version = listed_spec(&state, &admin.organization_id, &integration_id).await?;
    let body: CustomerConfigBody = decode(body)?;
    let stored = vendor_values(&state, &id, &integration_id).await?;
    let merged = merge_update(version.config.spec(), &stored, &body.values);
    let mut errors: Vec<FieldError> = validate_config(
        &version.config,
        &Value::Object(merged.clone()),
        ValidationOptions::partial(Editor::Organization),
    );
    for key in merged.keys() {
        if version
            .config
            .variable(key)
            .is_some_and(|v| v.visibility == marketplace_core::Visibility::Customer)
        {
            errors.push(FieldError::new(
                marketplace_core::pointer::push("", key),
                FieldErrorCode::NotEditable,
                "customer variables are set on instances, not here",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(marketplace_core::error::prefix_all(
            errors, "/values",
        )));
    }
    let blob = state.sealer.seal_json(
        &config_context(&id, &integration_id),
        &Value::Object(merged.clone()),
    );
    sqlx::query(
        "INSERT INTO customer_configs (customer_id, integration_id, sealed_values, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (customer_id, integration_id) DO UPDATE SET sealed_values = excluded.sealed_values, updated_at = excluded.updated_at",
    )
    .bind(&id)
    .bind(&integration_id)
    .bind(blob)
    .bind(now_ms())
    .execute(&state.db.write)
    .await?;
    state.catalogs.forget_customer(&id);
    Ok(Json(CustomerConfigView {
        customer_id: id,
        integration_id,
        values: mask_secrets(version.config.spec(), &merged),
    }))
}

/// A customer user.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct UserView {
    /// The host app's user id (`sub`).
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// `admin` or `viewer` (the last token's role).
    pub role: String,
    /// First seen.
    #[sqlx(skip)]
    pub created_at: String,
    /// First seen, in milliseconds (internal).
    #[serde(skip)]
    #[sqlx(rename = "created_at")]
    pub created_ms: i64,
}

const USER_SELECT: &str =
    "SELECT id, customer_id, name, email, role, created_at FROM customer_users";

/// List a customer's users.
#[utoipa::path(get, path = "/api/v1/customers/{id}/users", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), PageQuery), responses((status = 200, body = List<UserView>)))]
async fn list_users(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<UserView>>> {
    load(&state, &admin.organization_id, &id).await?;
    let mut filter = Filter::default();
    filter.and("customer_id = ?", [FilterArg::Text(id)]);
    let (rows, limit) = fetch_page::<UserView>(&state, USER_SELECT, filter, &page).await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        |r| UserView {
            created_at: rfc3339(r.created_ms),
            ..r
        },
    )))
}

/// Body of `PATCH .../users/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
}

/// Update a customer user's display data (the role comes from each token).
#[utoipa::path(patch, path = "/api/v1/customers/{id}/users/{user_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("user_id" = String, Path, description = "User id")),
    request_body = UserPatch, responses((status = 200, body = UserView)))]
async fn patch_user(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<UserView>> {
    load(&state, &admin.organization_id, &id).await?;
    let patch: UserPatch = decode(body)?;
    let done = sqlx::query("UPDATE customer_users SET name = COALESCE($1, name), email = COALESCE($2, email) WHERE customer_id = $3 AND id = $4")
        .bind(patch.name)
        .bind(patch.email)
        .bind(&id)
        .bind(&user_id)
        .execute(&state.db.write)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound("user"));
    }
    let sql = format!("{USER_SELECT} WHERE customer_id = $1 AND id = $2");
    let row: UserView = sqlx::query_as(&sql)
        .bind(&id)
        .bind(&user_id)
        .fetch_one(&state.db.write)
        .await?;
    Ok(Json(UserView {
        created_at: rfc3339(row.created_ms),
        ..row
    }))
}

/// Delete a customer user (a later token of theirs creates them again).
#[utoipa::path(delete, path = "/api/v1/customers/{id}/users/{user_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204)))]
async fn delete_user(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    load(&state, &admin.organization_id, &id).await?;
    let done = sqlx::query("DELETE FROM customer_users WHERE customer_id = $1 AND id = $2")
        .bind(&id)
        .bind(&user_id)
        .execute(&state.db.write)
        .await?;
    state.tokens.forget_user(&id, &user_id);
    if done.rows_affected() == 0 {
        Err(ApiError::NotFound("user"))
    } else {
        Ok(StatusCode::NO_CONTENT)
    }
}
