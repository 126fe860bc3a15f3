//! Single sign-on, the service being the OpenID Provider of the vendor's product: the relying
//! parties' client secrets (admin API), the discovery document, the token, key and userinfo
//! endpoints (documented), and the two browser redirects (`GET /sso/launch/{instance_id}`,
//! `GET /oidc/authorize`), which are not JSON APIs and stay out of the OpenAPI document.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::service::auth::Admin;
use crate::service::sso::{
    self, AuthorizeRequest, SESSION_COOKIE, SESSION_LIFETIME_S, TokenRequest,
};
use crate::service::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use marketplace_api::sso::{
    Jwk, JwkSet, OidcTokenRequest, OidcTokens, OpenIdConfiguration, SsoClientSecret, UserInfo,
};
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The documented routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(rotate_configuration_client))
        .routes(routes!(rotate_instance_client))
        .routes(routes!(openid_configuration))
        .routes(routes!(oidc_token))
        .routes(routes!(oidc_jwks))
        .routes(routes!(oidc_userinfo))
}

/// The browser redirects (outside the OpenAPI document).
pub fn browser_router() -> Router<AppState> {
    Router::new()
        .route("/sso/launch/{instance_id}", get(launch))
        .route("/oidc/authorize", get(authorize))
}

/// A redirect (302) that no cache keeps.
fn found(location: &str) -> ApiResult<Response> {
    let location = HeaderValue::from_str(location)
        .map_err(|_| ApiError::Internal("a redirect URL is not a header value".into()))?;
    Ok((
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// Give the shared SSO client of an event configuration a new secret (its client id is the
/// configuration id); the secret is shown once.
#[utoipa::path(post, operation_id = "rotate_configuration_sso_client", path = "/api/v1/event-configurations/{id}/sso-client/secret",
    tag = "sso", security(("api_key" = [])),
    params(("id" = String, Path, description = "Event configuration id")),
    responses((status = 200, body = SsoClientSecret)))]
async fn rotate_configuration_client(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SsoClientSecret>> {
    let client_secret =
        sso::rotate_configuration_client(&state, &admin.organization_id, &id).await?;
    Ok(Json(SsoClientSecret {
        client_id: id,
        client_secret,
    }))
}

/// Give the per-instance SSO client of an instance a new secret (its client id is the instance
/// id); the secret is shown once.
#[utoipa::path(post, operation_id = "rotate_instance_sso_client", path = "/api/v1/instances/{id}/sso-client/secret",
    tag = "sso", security(("api_key" = [])),
    params(("id" = String, Path, description = "Instance id")),
    responses((status = 200, body = SsoClientSecret)))]
async fn rotate_instance_client(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SsoClientSecret>> {
    let client_secret = sso::rotate_instance_client(&state, &admin.organization_id, &id).await?;
    Ok(Json(SsoClientSecret {
        client_id: id,
        client_secret,
    }))
}

/// The OpenID Provider's discovery document.
#[utoipa::path(get, operation_id = "openid_configuration", path = "/.well-known/openid-configuration", tag = "sso", security(()),
    responses((status = 200, body = OpenIdConfiguration)))]
async fn openid_configuration(State(state): State<AppState>) -> Json<OpenIdConfiguration> {
    let issuer = sso::issuer(&state);
    let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Json(OpenIdConfiguration {
        authorization_endpoint: format!("{issuer}/oidc/authorize"),
        token_endpoint: format!("{issuer}/oidc/token"),
        jwks_uri: format!("{issuer}/oidc/jwks"),
        userinfo_endpoint: format!("{issuer}/oidc/userinfo"),
        issuer,
        response_types_supported: list(&["code"]),
        subject_types_supported: list(&["public"]),
        id_token_signing_alg_values_supported: list(&["ES256"]),
        scopes_supported: list(&["openid", "profile", "email"]),
        token_endpoint_auth_methods_supported: list(&["client_secret_basic", "client_secret_post"]),
        code_challenge_methods_supported: list(&["S256"]),
        grant_types_supported: list(&["authorization_code"]),
        claims_supported: list(&[
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "email",
            "name",
            "role",
            "customer_external_id",
            "instance_id",
            "account_identifier",
        ]),
    })
}

/// Trade an authorization code for an ID token and an access token (authorization code grant
/// with PKCE S256; the client authenticates with HTTP Basic or form credentials). Problems carry
/// the OAuth2 `error`: `invalid_client` (401), `invalid_grant`, `invalid_request`,
/// `unsupported_grant_type` (400).
#[utoipa::path(post, operation_id = "oidc_token", path = "/oidc/token", tag = "sso", security(()),
    request_body(content = OidcTokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = OidcTokens)))]
async fn oidc_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let mut form = std::collections::HashMap::new();
    for (key, value) in url::form_urlencoded::parse(&body) {
        form.insert(key.into_owned(), value.into_owned());
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let (client_id, client_secret) = crate::http::client_auth::client_credentials(
        &headers,
        form.get("client_id").cloned(),
        form.get("client_secret").cloned(),
    )?;
    for required in ["grant_type", "code", "redirect_uri", "code_verifier"] {
        if field(required).is_empty() {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("{required} is required"),
            ));
        }
    }
    let tokens = sso::exchange(
        &state,
        TokenRequest {
            grant_type: field("grant_type"),
            code: field("code"),
            redirect_uri: field("redirect_uri"),
            code_verifier: field("code_verifier"),
            client_id: &client_id,
            client_secret: &client_secret,
        },
    )
    .await?;
    let body = OidcTokens {
        access_token: tokens.access_token,
        token_type: "Bearer".into(),
        expires_in: tokens.expires_in,
        id_token: tokens.id_token,
    };
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response())
}

/// The OpenID Provider's public keys (ID tokens name theirs in `kid`).
#[utoipa::path(get, operation_id = "oidc_jwks", path = "/oidc/jwks", tag = "sso", security(()),
    responses((status = 200, body = JwkSet)))]
async fn oidc_jwks(State(state): State<AppState>) -> ApiResult<Json<JwkSet>> {
    let keys = sso::public_keys(&state)
        .await?
        .into_iter()
        .map(|k| Jwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: k.x,
            y: k.y,
            kid: k.kid,
            alg: "ES256".into(),
            key_use: "sig".into(),
        })
        .collect();
    Ok(Json(JwkSet { keys }))
}

/// The signed-in user's claims (`Authorization: Bearer <access token from /oidc/token>`).
#[utoipa::path(get, operation_id = "oidc_userinfo", path = "/oidc/userinfo", tag = "sso",
    security(("sso_access_token" = [])), responses((status = 200, body = UserInfo)))]
async fn oidc_userinfo(
    State(state): State<AppState>,
    request: axum::http::request::Parts,
) -> ApiResult<Json<UserInfo>> {
    let token = crate::http::auth::bearer(&request)?;
    let claims = sso::userinfo(&state, token).await?;
    Ok(Json(UserInfo {
        sub: claims.sub,
        email: claims.email,
        name: claims.name,
        role: claims.role,
        customer_external_id: claims.customer_external_id,
        instance_id: claims.instance_id,
    }))
}

/// `?ticket=...` of a launch link.
#[derive(Debug, Deserialize)]
struct LaunchQuery {
    #[serde(default)]
    ticket: Option<String>,
}

/// `GET /sso/launch/{instance_id}?ticket=...`: consumes the ticket, sets the session cookie and
/// sends the browser to the vendor's `initiate_login_url` (401 `invalid_ticket`).
async fn launch(
    State(state): State<AppState>,
    ApiPath(instance_id): ApiPath<String>,
    ApiQuery(query): ApiQuery<LaunchQuery>,
) -> ApiResult<Response> {
    let ticket = query.ticket.unwrap_or_default();
    let launched = sso::open_launch(&state, &instance_id, &ticket).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/oidc; Max-Age={SESSION_LIFETIME_S}; HttpOnly; Secure; SameSite=Lax",
        launched.session
    );
    let mut response = found(&launched.location)?;
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie)
            .map_err(|_| ApiError::Internal("a cookie is not a header value".into()))?,
    );
    Ok(response)
}

/// The query of `GET /oidc/authorize`.
#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    scope: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// The session cookie's value, if the request carries it.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// `GET /oidc/authorize`: the authorization request of the vendor's product (code flow, PKCE
/// S256), signed in by the session cookie; redirects to `redirect_uri` with a code.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<AuthorizeQuery>,
) -> ApiResult<Response> {
    let request = AuthorizeRequest {
        response_type: query.response_type,
        client_id: query.client_id,
        redirect_uri: query.redirect_uri,
        scope: query.scope,
        state: query.state,
        nonce: query.nonce,
        code_challenge: query.code_challenge,
        code_challenge_method: query.code_challenge_method,
    };
    let session = session_cookie(&headers);
    found(&sso::authorize(&state, session.as_deref(), &request).await?)
}
