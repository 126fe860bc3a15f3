//! Integrations and their versions: `/api/v1/integrations`, `/api/v1/integrations/{id}`,
//! `/api/v1/integrations/{id}/versions[/{version}[/publish]]`.

use crate::auth::Admin;
use crate::catalog::{INTEGRATION_COLUMNS, IntegrationRow, VERSION_COLUMNS, VersionRow, bump};
use crate::db::{new_id, now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{Filter, FilterArg, List, PageQuery, decode, fetch_page, like_pattern};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use marketplace_core::integration::{IntegrationFields, VersionSummary};
use marketplace_core::{FieldErrorCode, Integration, IntegrationVersion, VersionState};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_integration, list_integrations))
        .routes(routes!(get_integration, patch_integration))
        .routes(routes!(create_version, list_versions))
        .routes(routes!(get_version, replace_version))
        .routes(routes!(publish_version))
}

/// An integration.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category (lower-cased).
    pub category: String,
    /// Labels (lower-cased).
    pub labels: Vec<String>,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

impl From<IntegrationRow> for IntegrationView {
    fn from(row: IntegrationRow) -> Self {
        let i = row.integration();
        IntegrationView {
            id: row.id,
            name: i.name,
            description: i.description,
            category: i.category,
            labels: i.labels,
            icon_url: i.icon_url,
            created_at: rfc3339(row.created_at),
            updated_at: rfc3339(row.updated_at),
        }
    }
}

/// Body of `POST /api/v1/integrations` (and of `PATCH`, where every field is optional).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationBody {
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Category.
    pub category: Option<String>,
    /// Labels.
    pub labels: Option<Vec<String>>,
    /// Icon URL.
    pub icon_url: Option<String>,
}

/// A version of an integration.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// The integration.
    pub integration_id: String,
    /// Semantic version.
    pub version: String,
    /// `draft` or `published`.
    pub state: String,
    /// The config spec.
    #[schema(value_type = Object)]
    pub config: Value,
    /// The flows.
    #[schema(value_type = Vec<Object>)]
    pub flows: Value,
    /// Creation time.
    pub created_at: String,
    /// Publication time.
    pub published_at: Option<String>,
}

fn version_view(integration_id: &str, row: VersionRow) -> VersionView {
    VersionView {
        integration_id: integration_id.to_owned(),
        version: row.version,
        state: row.state,
        config: serde_json::from_str(&row.config).unwrap_or_default(),
        flows: serde_json::from_str(&row.flows).unwrap_or_default(),
        created_at: rfc3339(row.created_at),
        published_at: row.published_at.map(rfc3339),
    }
}

/// Loads an integration of the organization (404 otherwise).
pub async fn load(state: &AppState, organization_id: &str, id: &str) -> ApiResult<IntegrationRow> {
    let sql = format!(
        "SELECT {INTEGRATION_COLUMNS} FROM integrations WHERE id = $1 AND organization_id = $2"
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(organization_id)
        .fetch_optional(&state.db.read)
        .await?
        .ok_or(ApiError::NotFound("integration"))
}

/// Create an integration.
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations", security(("api_key" = [])),
    request_body = IntegrationBody, responses((status = 201, body = IntegrationView)))]
async fn create_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<IntegrationView>)> {
    let body: IntegrationBody = decode(body)?;
    let fields = IntegrationFields {
        name: body.name.unwrap_or_default(),
        description: body.description.unwrap_or_default(),
        category: body.category.unwrap_or_default(),
        labels: body.labels.unwrap_or_default(),
        icon_url: body.icon_url,
    };
    let integration =
        Integration::new(new_id("int").into(), fields).map_err(ApiError::Validation)?;
    let now = now_ms();
    sqlx::query(
        "INSERT INTO integrations (id, organization_id, name, description, category, labels, icon_url, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(integration.id.to_string())
    .bind(&admin.organization_id)
    .bind(&integration.name)
    .bind(&integration.description)
    .bind(&integration.category)
    .bind(serde_json::to_string(&integration.labels).unwrap_or_default())
    .bind(integration.icon_url.clone())
    .bind(now)
    .execute(&state.db.write)
    .await?;
    let row = load(&state, &admin.organization_id, integration.id.as_str()).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Filters of the integration list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntegrationQuery {
    /// Case-insensitive substring of name or description.
    pub q: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl IntegrationQuery {
    /// The page part.
    pub fn page(&self) -> PageQuery {
        PageQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// List integrations.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations", security(("api_key" = [])),
    params(IntegrationQuery), responses((status = 200, body = List<IntegrationView>)))]
async fn list_integrations(
    State(state): State<AppState>,
    admin: Admin,
    ApiQuery(query): ApiQuery<IntegrationQuery>,
) -> ApiResult<Json<List<IntegrationView>>> {
    let mut filter = Filter::default();
    filter.and(
        "organization_id = ?",
        [FilterArg::Text(admin.organization_id)],
    );
    if let Some(q) = query.q.as_deref() {
        let p = like_pattern(q);
        filter.and(
            "(lower(name) LIKE ? ESCAPE '\\' OR lower(description) LIKE ? ESCAPE '\\')",
            [FilterArg::Text(p.clone()), FilterArg::Text(p)],
        );
    }
    let category = query.category.as_deref().map(|c| c.trim().to_lowercase());
    filter.and_opt("category = ?", category.as_deref());
    let select = format!("SELECT {INTEGRATION_COLUMNS} FROM integrations");
    let (rows, limit) =
        fetch_page::<IntegrationRow>(&state, &select, filter, &query.page()).await?;
    Ok(Json(List::page(
        rows,
        limit,
        |r| r.id.clone(),
        IntegrationView::from,
    )))
}

/// Get an integration.
#[utoipa::path(get, path = "/api/v1/integrations/{id}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 200, body = IntegrationView)))]
async fn get_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<IntegrationView>> {
    Ok(Json(
        load(&state, &admin.organization_id, &id).await?.into(),
    ))
}

/// Update an integration's fields.
#[utoipa::path(patch, path = "/api/v1/integrations/{id}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), request_body = IntegrationBody,
    responses((status = 200, body = IntegrationView)))]
async fn patch_integration(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<IntegrationView>> {
    let current = load(&state, &admin.organization_id, &id)
        .await?
        .integration();
    let body: IntegrationBody = decode(body)?;
    let fields = IntegrationFields {
        name: body.name.unwrap_or(current.name),
        description: body.description.unwrap_or(current.description),
        category: body.category.unwrap_or(current.category),
        labels: body.labels.unwrap_or(current.labels),
        icon_url: body.icon_url.or(current.icon_url),
    };
    let integration = Integration::new(current.id, fields).map_err(ApiError::Validation)?;
    let mut tx = state.db.write.begin().await?;
    sqlx::query(
        "UPDATE integrations SET name = $1, description = $2, category = $3, labels = $4, icon_url = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&integration.name)
    .bind(&integration.description)
    .bind(&integration.category)
    .bind(serde_json::to_string(&integration.labels).unwrap_or_default())
    .bind(integration.icon_url.clone())
    .bind(now_ms())
    .bind(&id)
    .execute(&mut *tx)
    .await?;
    bump(&mut tx, &admin.organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(&admin.organization_id);
    Ok(Json(
        load(&state, &admin.organization_id, &id).await?.into(),
    ))
}

async fn summaries(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    integration_id: &str,
) -> ApiResult<Vec<VersionSummary>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT version, state FROM versions WHERE integration_id = $1")
            .bind(integration_id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(v, s)| {
            let state = if s == "published" {
                VersionState::Published
            } else {
                VersionState::Draft
            };
            semver::Version::parse(&v)
                .ok()
                .map(|version| VersionSummary { version, state })
        })
        .collect())
}

fn state_name(state: VersionState) -> &'static str {
    match state {
        VersionState::Draft => "draft",
        VersionState::Published => "published",
    }
}

async fn fetch_version(
    state: &AppState,
    integration_id: &str,
    version: &str,
) -> ApiResult<VersionRow> {
    let sql = format!(
        "SELECT {VERSION_COLUMNS} FROM versions WHERE integration_id = $1 AND version = $2"
    );
    sqlx::query_as(&sql)
        .bind(integration_id)
        .bind(version)
        .fetch_optional(&state.db.write)
        .await?
        .ok_or(ApiError::NotFound("version"))
}

/// Create a draft version `{version, config, flows}`; every problem of the spec, the flows and
/// the version order is reported at once.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), request_body(content = Object, description = "`{version, config, flows}`"),
    responses((status = 201, body = VersionView)))]
async fn create_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<VersionView>)> {
    load(&state, &admin.organization_id, &id).await?;
    let mut tx = state.db.write.begin().await?;
    let existing = summaries(&mut tx, &id).await?;
    let version =
        IntegrationVersion::parse_draft(&body, &existing).map_err(|errors| {
            match errors
                .iter()
                .find(|e| e.code == FieldErrorCode::Duplicate && e.path == "/version")
            {
                Some(e) => ApiError::conflict("duplicate_version", e.message.clone()),
                None => ApiError::Validation(errors),
            }
        })?;
    sqlx::query("INSERT INTO versions (integration_id, version, state, config, flows, created_at) VALUES ($1, $2, 'draft', $3, $4, $5)")
        .bind(&id)
        .bind(version.version.to_string())
        .bind(serde_json::to_string(&version.config).unwrap_or_default())
        .bind(serde_json::to_string(&version.flows).unwrap_or_default())
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let row = fetch_version(&state, &id, &version.version.to_string()).await?;
    Ok((StatusCode::CREATED, Json(version_view(&id, row))))
}

/// List an integration's versions, newest first.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id")), responses((status = 200, body = List<VersionView>)))]
async fn list_versions(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<List<VersionView>>> {
    load(&state, &admin.organization_id, &id).await?;
    let sql = format!("SELECT {VERSION_COLUMNS} FROM versions WHERE integration_id = $1");
    let mut rows: Vec<VersionRow> = sqlx::query_as(&sql)
        .bind(&id)
        .fetch_all(&state.db.read)
        .await?;
    rows.sort_by_cached_key(|r| std::cmp::Reverse(semver::Version::parse(&r.version).ok()));
    Ok(Json(List {
        items: rows.into_iter().map(|r| version_view(&id, r)).collect(),
        next_cursor: None,
    }))
}

/// Get a version.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/versions/{version}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    responses((status = 200, body = VersionView)))]
async fn get_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<VersionView>> {
    load(&state, &admin.organization_id, &id).await?;
    Ok(Json(version_view(
        &id,
        fetch_version(&state, &id, &version).await?,
    )))
}

/// Replace a draft's config and flows; a published version is immutable (409).
#[utoipa::path(put, path = "/api/v1/integrations/{id}/versions/{version}", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    request_body(content = Object, description = "`{config, flows}`"), responses((status = 200, body = VersionView)))]
async fn replace_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<VersionView>> {
    load(&state, &admin.organization_id, &id).await?;
    let current = fetch_version(&state, &id, &version).await?.version()?;
    if current.state == VersionState::Published {
        return Err(ApiError::conflict(
            "version_published",
            format!("version {version} is published and cannot change"),
        ));
    }
    let replaced = current.replace_draft(&body).map_err(ApiError::Validation)?;
    let mut tx = state.db.write.begin().await?;
    sqlx::query("UPDATE versions SET config = $1, flows = $2 WHERE integration_id = $3 AND version = $4 AND state = 'draft'")
        .bind(serde_json::to_string(&replaced.config).unwrap_or_default())
        .bind(serde_json::to_string(&replaced.flows).unwrap_or_default())
        .bind(&id)
        .bind(&version)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, &admin.organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(&admin.organization_id);
    Ok(Json(version_view(
        &id,
        fetch_version(&state, &id, &version).await?,
    )))
}

/// Publish a draft; it must be greater than every published version.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions/{version}/publish", tag = "integrations", security(("api_key" = [])),
    params(("id" = String, Path, description = "Integration id"), ("version" = String, Path, description = "Semantic version")),
    responses((status = 200, body = VersionView)))]
async fn publish_version(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, version)): ApiPath<(String, String)>,
) -> ApiResult<Json<VersionView>> {
    load(&state, &admin.organization_id, &id).await?;
    let current = fetch_version(&state, &id, &version).await?.version()?;
    let mut tx = state.db.write.begin().await?;
    let existing = summaries(&mut tx, &id).await?;
    let published = current.publish(&existing).map_err(|e| match e.code {
        FieldErrorCode::Immutable => ApiError::conflict("version_published", e.message),
        _ => ApiError::conflict("version_order", e.message),
    })?;
    sqlx::query("UPDATE versions SET state = $1, published_at = $2 WHERE integration_id = $3 AND version = $4")
        .bind(state_name(published.state))
        .bind(now_ms())
        .bind(&id)
        .bind(&version)
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, &admin.organization_id).await?;
    tx.commit().await?;
    state.catalogs.invalidate(&admin.organization_id);
    Ok(Json(version_view(
        &id,
        fetch_version(&state, &id, &version).await?,
    )))
}
