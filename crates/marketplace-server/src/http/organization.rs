//! `GET/PATCH /api/v1/organization`: the vendor's name, allowed embed origins and theme defaults.

use crate::auth::Admin;
use crate::crypto::{random_secret, sha256_hex};
use crate::db::{Db, new_id, now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiJson;
use crate::http::decode;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use marketplace_core::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_organization, patch_organization))
}

/// Theme defaults of the embedded marketplace.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// `light` or `dark`.
    #[serde(default = "light")]
    pub theme: String,
    /// Accent colour, `#rrggbb`.
    #[serde(default = "accent")]
    pub accent: String,
}

fn light() -> String {
    "light".into()
}

fn accent() -> String {
    "#4f46e5".into()
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            theme: light(),
            accent: accent(),
        }
    }
}

/// The organization.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrganizationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Origins allowed to embed the marketplace and call the embedded API.
    pub allowed_origins: Vec<String>,
    /// Theme defaults.
    pub theme: Theme,
    /// Creation time (RFC 3339).
    pub created_at: String,
}

/// `PATCH` body: any subset of the fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// New name.
    pub name: Option<String>,
    /// New allowed origins (`https://app.example.com`).
    pub allowed_origins: Option<Vec<String>>,
    /// New theme defaults.
    pub theme: Option<Theme>,
}

/// Loads an organization.
pub async fn load(state: &AppState, id: &str) -> ApiResult<OrganizationView> {
    let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT id, name, allowed_origins, theme, created_at FROM organizations WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&state.db.read)
    .await?;
    let (id, name, origins, theme, created_at) = row.ok_or(ApiError::NotFound("organization"))?;
    Ok(OrganizationView {
        id,
        name,
        allowed_origins: serde_json::from_str(&origins).unwrap_or_default(),
        theme: serde_json::from_str(&theme).unwrap_or_default(),
        created_at: rfc3339(created_at),
    })
}

/// Get the organization.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("api_key" = [])),
    responses((status = 200, body = OrganizationView)))]
async fn get_organization(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<OrganizationView>> {
    Ok(Json(load(&state, &admin.organization_id).await?))
}

/// Checks and normalizes embed origins (`scheme://host[:port]`).
pub fn check_origins(origins: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, origin) in origins.iter().enumerate() {
        let parsed = url::Url::parse(origin).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && matches!(u.path(), "" | "/")
                && u.query().is_none()
                && u.fragment().is_none()
                && u.username().is_empty()
        });
        match parsed {
            Some(u) => out.push(u.origin().ascii_serialization()),
            None => errors.push(FieldError::new(
                format!("/allowed_origins/{i}"),
                FieldErrorCode::Format,
                "an origin is scheme://host[:port], such as https://app.example.com",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Whether a name is a theme of the embedded marketplace (`light` or `dark`).
pub fn is_theme_name(name: &str) -> bool {
    matches!(name, "light" | "dark")
}

/// Whether a string is an accent colour, `#rrggbb`.
pub fn is_accent_colour(colour: &str) -> bool {
    colour
        .strip_prefix('#')
        .is_some_and(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()))
}

fn check_theme(theme: &Theme, errors: &mut Vec<FieldError>) {
    if !is_theme_name(&theme.theme) {
        errors.push(FieldError::new(
            "/theme/theme",
            FieldErrorCode::Option,
            "must be light or dark",
        ));
    }
    if !is_accent_colour(&theme.accent) {
        errors.push(FieldError::new(
            "/theme/accent",
            FieldErrorCode::Format,
            "must be a colour such as #4f46e5",
        ));
    }
}

/// Update the organization's name, allowed origins or theme defaults.
#[utoipa::path(patch, path = "/api/v1/organization", tag = "organization", security(("api_key" = [])),
    request_body = OrganizationPatch, responses((status = 200, body = OrganizationView)))]
async fn patch_organization(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<OrganizationView>> {
    let patch: OrganizationPatch = decode(body)?;
    let mut errors = Vec::new();
    if patch.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        errors.push(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        ));
    }
    let origins = match patch.allowed_origins.as_deref().map(check_origins) {
        Some(Err(e)) => {
            errors.extend(e);
            None
        }
        Some(Ok(o)) => Some(o),
        None => None,
    };
    if let Some(theme) = &patch.theme {
        check_theme(theme, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let current = load(&state, &admin.organization_id).await?;
    sqlx::query(
        "UPDATE organizations SET name = $1, allowed_origins = $2, theme = $3 WHERE id = $4",
    )
    .bind(
        patch
            .name
            .map(|n| n.trim().to_owned())
            .unwrap_or(current.name),
    )
    .bind(serde_json::to_string(&origins.unwrap_or(current.allowed_origins)).unwrap_or_default())
    .bind(serde_json::to_string(&patch.theme.unwrap_or(current.theme)).unwrap_or_default())
    .bind(&admin.organization_id)
    .execute(&state.db.write)
    .await?;
    state.tokens.forget_origins();
    Ok(Json(load(&state, &admin.organization_id).await?))
}

/// Creates an organization with a first admin API key; returns (organization id, API key).
pub async fn create_organization(db: &Db, name: &str) -> Result<(String, String), sqlx::Error> {
    let id = new_id("org");
    let key = new_api_key();
    let mut tx = db.write.begin().await?;
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    insert_api_key(&mut tx, &id, "initial", &key).await?;
    tx.commit().await?;
    Ok((id, key))
}

/// A new API key: `mk_` and 32 random bytes.
pub fn new_api_key() -> String {
    format!("mk_{}", random_secret(32))
}

/// Stores an API key (hashed); returns its id.
pub async fn insert_api_key(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    organization_id: &str,
    name: &str,
    key: &str,
) -> Result<String, sqlx::Error> {
    let id = new_id("key");
    sqlx::query("INSERT INTO api_keys (id, organization_id, name, key_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&id)
        .bind(organization_id)
        .bind(name)
        .bind(sha256_hex(key))
        .bind(&key[..10])
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(id)
}
