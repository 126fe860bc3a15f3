//! The credentials of a request, as extractors: `Admin` (an API key) and `CustomerUser` (an
//! embedded token), and `VendorClient` (an inbound client's access token); each reads
//! `Authorization: Bearer ...` and asks its service.

use crate::error::ApiError;
use crate::service::auth::{self, Admin, CustomerUser};
use crate::service::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};

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

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        auth::authenticate_api_key(state, bearer(parts)?).await
    }
}

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
        auth::authenticate_token(state, bearer(parts)?, origin).await
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
