//! Customers, their users and the vendor-set values per integration:
//! `/api/v1/customers[/{id}[/config/{integration_id}|/users[/{user_id}]]]`.

use crate::error::ApiResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::customers::{self, CustomerFilter, CustomerRecord, UserRecord};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_api::PageQuery;
use marketplace_api::customers::{
    CustomerBody, CustomerConfigBody, CustomerConfigView, CustomerQuery, CustomerView, DeleteQuery,
    Role, UserPatch, UserView,
};
use marketplace_core::customer::CustomerFields;
use serde_json::Value;
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

/// The wire view of a customer.
pub(crate) fn view(record: CustomerRecord) -> CustomerView {
    let c = record.customer;
    CustomerView {
        id: c.id.to_string(),
        name: c.name,
        description: c.description,
        external_id: c.external_id,
        labels: c.labels,
        avatar_url: c.avatar_url,
        tenant_id: record.tenant_id,
        created_at: rfc3339(record.created_at),
    }
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
    if let Some(Some(_)) = &body.tenant_id {
        // Checked before the customer exists, so an unknown tenant creates nothing.
        customers::check_tenant(&state, &admin.organization_id, body.tenant_id.clone()).await?;
    }
    let mut record = customers::create(&state, &admin.organization_id, fields).await?;
    if let Some(Some(_)) = &body.tenant_id {
        let id = record.customer.id.to_string();
        record =
            customers::update(&state, &admin.organization_id, &id, body.tenant_id, |f| f).await?;
    }
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// List customers.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", security(("api_key" = [])),
    params(CustomerQuery), responses((status = 200, body = List<CustomerView>)))]
async fn list_customers(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<List<CustomerView>>> {
    let filter = CustomerFilter {
        search: query.search.clone(),
        label: query.label.as_deref().map(|l| l.trim().to_lowercase()),
        external_id: query.external_id.clone(),
        tenant_id: query.tenant_id.clone(),
    };
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = customers::list(&state, &admin.organization_id, &filter, &page).await?;
    Ok(Json(page_of(page, view)))
}

/// Get a customer.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), responses((status = 200, body = CustomerView)))]
async fn get_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<CustomerView>> {
    Ok(Json(view(
        customers::get(&state, &admin.organization_id, &id).await?,
    )))
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
    customers::get(&state, &admin.organization_id, &id).await?;
    let body: CustomerBody = decode(body)?;
    let record = customers::update(
        &state,
        &admin.organization_id,
        &id,
        body.tenant_id,
        |current| CustomerFields {
            name: body.name.unwrap_or(current.name),
            description: body.description.unwrap_or(current.description),
            external_id: body.external_id.unwrap_or(current.external_id),
            labels: body.labels.unwrap_or(current.labels),
            avatar_url: body.avatar_url.or(current.avatar_url),
        },
    )
    .await?;
    Ok(Json(view(record)))
}

/// Delete a customer with its users, instances, logs and executions (confirm with its name);
/// tokens issued to its users until now are refused from now on (`token_revoked`).
#[utoipa::path(delete, path = "/api/v1/customers/{id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), DeleteQuery), responses((status = 204)))]
async fn delete_customer(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<DeleteQuery>,
) -> ApiResult<StatusCode> {
    customers::delete(
        &state,
        &admin.organization_id,
        &id,
        query.confirm_name.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Get the vendor-set values of a customer for an integration (listed, or run by one of its
/// instances).
#[utoipa::path(get, path = "/api/v1/customers/{id}/config/{integration_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("integration_id" = String, Path, description = "Integration id")),
    responses((status = 200, body = CustomerConfigView)))]
async fn get_customer_config(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, integration_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<CustomerConfigView>> {
    let values =
        customers::vendor_values(&state, &admin.organization_id, &id, &integration_id).await?;
    Ok(Json(CustomerConfigView {
        customer_id: id,
        integration_id,
        values,
    }))
}

/// Set the vendor-set values of a customer for an integration (organization and embedded
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
    customers::get(&state, &admin.organization_id, &id).await?;
    let body: CustomerConfigBody = decode(body)?;
    let values = customers::put_vendor_values(
        &state,
        &admin.organization_id,
        &id,
        &integration_id,
        &body.values,
    )
    .await?;
    Ok(Json(CustomerConfigView {
        customer_id: id,
        integration_id,
        values,
    }))
}

/// A user as the admin and the embedded API show it: `locked_until` only while the lock holds.
pub(crate) fn user_view(user: UserRecord) -> UserView {
    let lock = marketplace_core::LoginFailures {
        failures: 0,
        locked_until: user.locked_until,
    };
    let locked = lock.retry_after_s(crate::store::now_ms()).is_some();
    UserView {
        id: user.id,
        customer_id: user.customer_id,
        name: user.name,
        email: user.email,
        role: Role::from_wire(&user.role),
        role_pinned: user.pinned_role.as_deref().map(Role::from_wire),
        has_password: user.has_password,
        locked_until: user.locked_until.filter(|_| locked).map(rfc3339),
        last_login_at: user.last_login_at.map(rfc3339),
        created_at: rfc3339(user.created_at),
    }
}

/// Core's role of a wire role; an unknown one is a 422 at `path`.
pub(crate) fn core_role(role: &Role, path: &str) -> ApiResult<marketplace_core::Role> {
    match role {
        Role::Admin => Ok(marketplace_core::Role::Admin),
        Role::Viewer => Ok(marketplace_core::Role::Viewer),
        other => Err(crate::error::ApiError::field(
            marketplace_core::FieldError::new(
                path,
                marketplace_core::FieldErrorCode::Option,
                format!(
                    "unknown role `{}`; expected admin or viewer",
                    other.as_str()
                ),
            ),
        )),
    }
}

/// List a customer's users.
#[utoipa::path(get, path = "/api/v1/customers/{id}/users", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), PageQuery), responses((status = 200, body = List<UserView>)))]
async fn list_users(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<UserView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let users = customers::list_users(&state, &admin.organization_id, &id, &page).await?;
    Ok(Json(page_of(users, user_view)))
}

/// Update a customer user's display data, or pin their role: the user then acts with the lower
/// of the pin and each token's role (pin `admin` to lift a `viewer` pin).
#[utoipa::path(patch, path = "/api/v1/customers/{id}/users/{user_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("user_id" = String, Path, description = "User id")),
    request_body = UserPatch, responses((status = 200, body = UserView)))]
async fn patch_user(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<UserView>> {
    customers::get(&state, &admin.organization_id, &id).await?;
    let patch: UserPatch = decode(body)?;
    let role = patch
        .role
        .as_ref()
        .map(|r| core_role(r, "/role"))
        .transpose()?;
    let user = customers::update_user(
        &state,
        &admin.organization_id,
        &id,
        &user_id,
        patch.name,
        patch.email,
        role,
    )
    .await?;
    Ok(Json(user_view(user)))
}

/// Delete a customer user with their portal sessions: tokens issued to them until now are
/// refused (`token_revoked`); a later token creates them again.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/users/{user_id}", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204)))]
async fn delete_user(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, user_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    customers::delete_user(&state, &admin.organization_id, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
