//! `GET/PATCH /api/v1/organization`: the vendor's name, allowed embed origins and theme defaults.

use crate::error::ApiResult;
use crate::http::extract::ApiJson;
use crate::http::{decode, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::organization::{self, Organization, OrganizationChange};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::State;
use marketplace_api::organization::{OrganizationPatch, OrganizationView, Theme, ThemeName};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_organization, patch_organization))
}

fn view(organization: Organization) -> OrganizationView {
    OrganizationView {
        id: organization.id,
        name: organization.name,
        allowed_origins: organization.allowed_origins,
        theme: Theme {
            theme: ThemeName::from_wire(&organization.theme.theme),
            accent: organization.theme.accent,
        },
        created_at: rfc3339(organization.created_at),
    }
}

/// Get the organization.
#[utoipa::path(get, path = "/api/v1/organization", tag = "organization", security(("api_key" = [])),
    responses((status = 200, body = OrganizationView)))]
async fn get_organization(
    State(state): State<AppState>,
    admin: Admin,
) -> ApiResult<Json<OrganizationView>> {
    Ok(Json(view(
        organization::get(&state, &admin.organization_id).await?,
    )))
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
    let change = OrganizationChange {
        name: patch.name,
        allowed_origins: patch.allowed_origins,
        theme: patch.theme.map(|t| marketplace_core::organization::Theme {
            theme: t.theme.as_str().to_owned(),
            accent: t.accent,
        }),
    };
    Ok(Json(view(
        organization::update(&state, &admin.organization_id, change).await?,
    )))
}
