//! Client authentication at the service's OAuth2 token endpoints (the vendor's inbound client,
//! the OpenID Provider's clients), RFC 6749 section 2.3.1: HTTP Basic, or `client_id` and
//! `client_secret` in the form.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderMap, header};
use base64::Engine;

/// Client credentials from `Authorization: Basic` (RFC 6749 section 2.3.1: form-encoded parts).
pub(crate) fn basic_credentials(headers: &HeaderMap) -> ApiResult<Option<(String, String)>> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = || ApiError::unauthorized("invalid_client", "malformed Basic credentials");
    let value = value.to_str().map_err(|_| bad())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Err(bad());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((unescape(id), unescape(secret))))
}

/// The client's id and secret: from `Authorization: Basic` when present, else the form's
/// (401 `invalid_client` when neither holds them).
pub fn client_credentials(
    headers: &HeaderMap,
    form_id: Option<String>,
    form_secret: Option<String>,
) -> ApiResult<(String, String)> {
    if let Some(credentials) = basic_credentials(headers)? {
        return Ok(credentials);
    }
    match (form_id, form_secret) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(ApiError::unauthorized(
            "invalid_client",
            "client credentials are missing (HTTP Basic or client_id and client_secret)",
        )),
    }
}
