//! Partners: `POST/GET /api/v1/marketplaces/{id}/credentials`, `DELETE
//! .../credentials/{client_id}`, `POST /api/v1/marketplace-registrations` (admin API keys);
//! `POST /api/v1/marketplaces/register` (a registration token); and the partner API,
//! `GET/PATCH /api/v1/partner/marketplace`, `POST/GET /api/v1/partner/signing-keys`, `DELETE
//! .../{kid}` (`Authorization: Basic base64(client_id:client_secret)`, else 401
//! `invalid_client` with `WWW-Authenticate: Basic`).

use crate::error::{ApiError, ApiResult};
use crate::http::auth::bearer;
use crate::http::client_auth::basic_credentials;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::marketplaces::view as marketplace_view;
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::Admin;
use crate::service::partners::{self, MarketplaceChange, Partner};
use crate::service::state::AppState;
use crate::store::partners::Credential;
use crate::store::signing_keys::SigningKey;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use marketplace_api::PageQuery;
use marketplace_api::marketplaces::MarketplaceView;
use marketplace_api::partners::{
    CredentialView, MarketplaceRegister, NewCredential, NewRegistration, PartnerMarketplacePatch,
    PartnerTemplateCreate, RegisteredMarketplace, RegistrationCreate,
};
use marketplace_api::partners::{PartnerBriefView, PartnerCatalogEntry, PartnerCatalogQuery};
use marketplace_api::signing_keys::{Algorithm, SigningKeyCreate, SigningKeyView};
use marketplace_api::templates::TemplateView;
use marketplace_core::template::TemplateInput;
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_credential, list_credentials))
        .routes(routes!(revoke_credential))
        .routes(routes!(create_registration))
        .routes(routes!(register_marketplace))
        .routes(routes!(get_partner_marketplace, patch_partner_marketplace))
        .routes(routes!(
            create_partner_signing_key,
            list_partner_signing_keys
        ))
        .routes(routes!(delete_partner_signing_key))
        .routes(routes!(submit_partner_template))
        .routes(routes!(partner_catalog))
}

/// A partner, by `Authorization: Basic base64(client_id:client_secret)`.
impl FromRequestParts<AppState> for Partner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (client_id, secret) = basic_credentials(&parts.headers)?.ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_client",
                "client credentials are missing (HTTP Basic)",
            )
        })?;
        partners::authenticate(state, &client_id, &secret).await
    }
}

fn credential_view(c: Credential) -> CredentialView {
    CredentialView {
        client_id: c.client_id,
        last_used_at: c.last_used_at.map(rfc3339),
        created_at: rfc3339(c.created_at),
    }
}

fn key_view(key: SigningKey) -> SigningKeyView {
    SigningKeyView {
        kid: key.kid,
        algorithm: Algorithm::from_wire(&key.algorithm),
        public_key_pem: key.public_key_pem,
        created_at: rfc3339(key.created_at),
    }
}

/// Create client credentials for a marketplace; the secret is shown once (409
/// `too_many_credentials` when two are live).
#[utoipa::path(post, path = "/api/v1/marketplaces/{id}/credentials", tag = "partners", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id")),
    responses((status = 201, body = NewCredential)))]
async fn create_credential(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<(StatusCode, Json<NewCredential>)> {
    let created = partners::create_credential(&state, &admin.organization_id, &id).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewCredential {
            credential: credential_view(created.credential),
            client_secret: created.client_secret,
        }),
    ))
}

/// List a marketplace's client credentials (never their secrets).
#[utoipa::path(get, path = "/api/v1/marketplaces/{id}/credentials", tag = "partners", security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"), PageQuery),
    responses((status = 200, body = List<CredentialView>)))]
async fn list_credentials(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<CredentialView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let list = partners::list_credentials(&state, &admin.organization_id, &id, &page).await?;
    Ok(Json(page_of(list, credential_view)))
}

/// Revoke client credentials of a marketplace.
#[utoipa::path(delete, path = "/api/v1/marketplaces/{id}/credentials/{client_id}", tag = "partners",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "Marketplace id"),
        ("client_id" = String, Path, description = "Client id")),
    responses((status = 204)))]
async fn revoke_credential(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, client_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    partners::revoke_credential(&state, &admin.organization_id, &id, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue a single-use registration token with which a partner registers its marketplace for a
/// tenant; the token is shown once.
#[utoipa::path(post, path = "/api/v1/marketplace-registrations", tag = "partners", security(("api_key" = [])),
    request_body = RegistrationCreate, responses((status = 201, body = NewRegistration)))]
async fn create_registration(
    State(state): State<AppState>,
    admin: Admin,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewRegistration>)> {
    let body: RegistrationCreate = decode(body)?;
    let created = partners::create_registration(
        &state,
        &admin.organization_id,
        &body.tenant_id,
        body.expires_in_s,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewRegistration {
            id: created.id,
            token: created.token,
            expires_at: rfc3339(created.expires_at),
        }),
    ))
}

/// Register a partner marketplace with a registration token (`Authorization: Bearer <token>`);
/// answers its first client credentials, the secret shown once. A refused registration leaves
/// the token unused.
#[utoipa::path(post, path = "/api/v1/marketplaces/register", tag = "partners",
    security(("registration_token" = [])),
    request_body = MarketplaceRegister, responses((status = 201, body = RegisteredMarketplace)))]
async fn register_marketplace(
    State(state): State<AppState>,
    parts: Parts,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<RegisteredMarketplace>)> {
    let token = bearer(&parts).map_err(|_| {
        ApiError::unauthorized(
            "invalid_registration_token",
            "a registration token is required (Authorization: Bearer)",
        )
    })?;
    let body: MarketplaceRegister = decode(body)?;
    let change = MarketplaceChange {
        key: Some(body.key),
        name: Some(body.name),
        description: body.description,
        front_end_url: Some(body.front_end_url),
        allowed_origins: Some(body.allowed_origins),
    };
    let (marketplace, credential) = partners::register(&state, token, change).await?;
    Ok((
        StatusCode::CREATED,
        Json(RegisteredMarketplace {
            marketplace: marketplace_view(marketplace),
            client_id: credential.credential.client_id,
            client_secret: credential.client_secret,
        }),
    ))
}

/// The partner's marketplace.
#[utoipa::path(get, path = "/api/v1/partner/marketplace", tag = "partners",
    security(("partner_client" = [])), responses((status = 200, body = MarketplaceView)))]
async fn get_partner_marketplace(
    State(state): State<AppState>,
    partner: Partner,
) -> ApiResult<Json<MarketplaceView>> {
    Ok(Json(marketplace_view(
        partners::marketplace(&state, &partner).await?,
    )))
}

/// Change the partner's marketplace (name, description, front end, origins; the key is
/// immutable).
#[utoipa::path(patch, path = "/api/v1/partner/marketplace", tag = "partners",
    security(("partner_client" = [])), request_body = PartnerMarketplacePatch,
    responses((status = 200, body = MarketplaceView)))]
async fn patch_partner_marketplace(
    State(state): State<AppState>,
    partner: Partner,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<Json<MarketplaceView>> {
    let body: PartnerMarketplacePatch = decode(body)?;
    let change = MarketplaceChange {
        key: body.key,
        name: body.name,
        description: body.description,
        front_end_url: body.front_end_url,
        allowed_origins: body.allowed_origins,
    };
    let m = partners::update_marketplace(&state, &partner, change).await?;
    Ok(Json(marketplace_view(m)))
}

/// Register a public key of the partner: its tokens are valid only for its marketplace and its
/// tenant's customers (409 `duplicate_kid` when the organization has that kid).
#[utoipa::path(post, path = "/api/v1/partner/signing-keys", tag = "partners",
    security(("partner_client" = [])), request_body = SigningKeyCreate,
    responses((status = 201, body = SigningKeyView)))]
async fn create_partner_signing_key(
    State(state): State<AppState>,
    partner: Partner,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<SigningKeyView>)> {
    let body: SigningKeyCreate = decode(body)?;
    let key = partners::create_signing_key(
        &state,
        &partner,
        &body.kid,
        body.algorithm.as_str(),
        &body.public_key_pem,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(key_view(key))))
}

/// List the partner's public keys.
#[utoipa::path(get, path = "/api/v1/partner/signing-keys", tag = "partners",
    security(("partner_client" = [])), params(PageQuery),
    responses((status = 200, body = List<SigningKeyView>)))]
async fn list_partner_signing_keys(
    State(state): State<AppState>,
    partner: Partner,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<SigningKeyView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let keys = partners::list_signing_keys(&state, &partner, &page).await?;
    Ok(Json(page_of(keys, key_view)))
}

/// Delete a public key of the partner; tokens signed with it are refused from now on.
#[utoipa::path(delete, path = "/api/v1/partner/signing-keys/{kid}", tag = "partners",
    security(("partner_client" = [])), params(("kid" = String, Path, description = "Key id")),
    responses((status = 204)))]
async fn delete_partner_signing_key(
    State(state): State<AppState>,
    partner: Partner,
    ApiPath(kid): ApiPath<String>,
) -> ApiResult<StatusCode> {
    partners::delete_signing_key(&state, &partner, &kid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Submit a workflow template of a version listed in the partner's marketplace (404 otherwise);
/// an admin or reviewer API key decides it.
#[utoipa::path(post, path = "/api/v1/partner/workflow-templates", tag = "partners",
    security(("partner_client" = [])), request_body = PartnerTemplateCreate,
    responses((status = 201, body = TemplateView)))]
async fn submit_partner_template(
    State(state): State<AppState>,
    partner: Partner,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<TemplateView>)> {
    let body: PartnerTemplateCreate = decode(body)?;
    let input = TemplateInput {
        name: body.name,
        description: body.description,
        config: body.config,
        flows: body.flows,
        overrides: body.overrides,
    };
    let template =
        partners::submit_template(&state, &partner, &body.integration_id, &body.version, input)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(crate::http::templates::view(template)),
    ))
}

/// The partner catalog (external search): the listings of the partner's marketplace its
/// tenant sees, except those hidden from external search; without customer fields, with the
/// partner brief and the tier.
#[utoipa::path(get, path = "/api/v1/partner/catalog", tag = "partners",
    security(("partner_client" = [])), params(PartnerCatalogQuery),
    responses((status = 200, body = List<PartnerCatalogEntry>)))]
async fn partner_catalog(
    State(state): State<AppState>,
    partner: Partner,
    ApiQuery(query): ApiQuery<PartnerCatalogQuery>,
) -> ApiResult<Json<List<PartnerCatalogEntry>>> {
    use marketplace_core::certification::Tier;
    let tier = match query.tier {
        None => None,
        Some(tier) => Some(Tier::from_name(tier.as_str()).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_query",
                "tier must be compatible, ready, certified or one_click",
            )
        })?),
    };
    let marketplace = partners::marketplace(&state, &partner).await?.marketplace;
    let snapshot = crate::service::catalog::snapshot(
        &state,
        &partner.organization_id,
        marketplace.id.as_str(),
    )
    .await?;
    let tenant_id = marketplace.tenant_id.as_ref().map(|t| t.to_string());
    let tenant = snapshot.tenant(tenant_id.as_deref());
    let category = query.category.as_deref().map(|c| c.trim().to_lowercase());
    let q = query
        .q
        .as_deref()
        .map(str::to_lowercase)
        .filter(|q| !q.is_empty());
    let items = snapshot
        .catalog
        .listings()
        .iter()
        .filter(|l| {
            marketplace_core::marketplace::in_external_search(
                &l.listing,
                &snapshot.marketplace_id,
                tenant,
            )
        })
        .filter(|l| l.matches(category.as_deref(), None, q.as_deref(), tier))
        .map(|l| PartnerCatalogEntry {
            integration_id: l.integration.id.to_string(),
            name: l.integration.name.clone(),
            description: l.integration.description.clone(),
            category: l.integration.category.clone(),
            labels: l.integration.labels.clone(),
            icon_url: l.integration.icon_url.clone(),
            version: l.listing.version.to_string(),
            tier: l.tier.map(Into::into),
            partner_brief: PartnerBriefView {
                market: l.listing.partner_brief.market.clone(),
                buyer_profile: l.listing.partner_brief.buyer_profile.clone(),
                positioning: l.listing.partner_brief.positioning.clone(),
            },
        })
        .collect();
    Ok(Json(List {
        items,
        next_cursor: None,
    }))
}
