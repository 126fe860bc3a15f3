//! The credentials of a request, as extractors: `Admin` (an API key) and `CustomerUser` (an
//! embedded token, or else a portal session cookie), and `VendorClient` (an inbound client's
//! access token); each reads `Authorization: Bearer ...` (or the cookie) and asks its service.

use crate::error::ApiError;
use crate::service::auth::{self, Admin, CustomerUser, Decider};
use crate::service::portal;
use crate::service::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{Method, header, request::Parts};
use axum_extra::extract::cookie::CookieJar;
use marketplace_core::api_key::KeyAccess;

pub(crate) fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("missing_credentials", "the Authorization header is missing")
    })?;
    let value = value.to_str().map_err(|_| {
        ApiError::unauthorized(
            "invalid_credentials",
            "the Authorization header is not text",
        )
    })?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(ApiError::unauthorized(
            "invalid_credentials",
            "expected `Authorization: Bearer <credentials>`",
        )),
    }
}

/// An admin API key; a reviewer key is refused (403 `forbidden_role`) on unsafe methods.
impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let access = if matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
            KeyAccess::Read
        } else {
            KeyAccess::Write
        };
        auth::authenticate_api_key(state, bearer(parts)?, access).await
    }
}

/// An admin or reviewer API key on a decision route (templates; later certification requests
/// and disputes).
impl FromRequestParts<AppState> for Decider {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let admin = auth::authenticate_api_key(state, bearer(parts)?, KeyAccess::Decide).await?;
        Ok(Decider {
            organization_id: admin.organization_id,
            key_id: admin.key_id,
        })
    }
}

/// The value of the portal's session cookie, if the request carries one.
pub(crate) fn session_cookie(parts: &Parts) -> Option<String> {
    CookieJar::from_headers(&parts.headers)
        .get(portal::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

/// A customer user: by embedded token when `Authorization` is present (a Bearer wins), else by
/// the portal's session cookie, where POST, PUT, PATCH and DELETE also need `X-CSRF-Token` and
/// the service's own `Origin`.
impl FromRequestParts<AppState> for CustomerUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let origin = parts
            .headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        let session = session_cookie(parts);
        let Some(secret) = session.filter(|_| !parts.headers.contains_key(header::AUTHORIZATION))
        else {
            return auth::authenticate_token(state, bearer(parts)?, origin).await;
        };
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        let proof = (!safe).then(|| portal::CsrfProof {
            csrf_token: parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok()),
            origin,
        });
        portal::authenticate_session(state, &secret, proof).await
    }
}

impl FromRequestParts<AppState> for crate::service::vendor::VendorClient {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        crate::service::vendor::authenticate(state, bearer(parts)?).await
    }
}
