//! Extractors whose rejections are problems: JSON bodies (with the failing field's path), paths
//! and queries. Handlers use these instead of axum's own, so no error leaves as `text/plain`.

use crate::error::ApiError;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{StatusCode, header, request::Parts};
use marketplace_core::{FieldError, FieldErrorCode};
use serde::de::DeserializeOwned;

/// A JSON body; 415 unless `application/json`, 400 on bad JSON, 422 with the path on a bad shape,
/// 413 when too large.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = bytes::Bytes::from_request(req, state)
            .await
            .map_err(bytes_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// An optional JSON body: `None` when the request has no body at all, else as [`ApiJson`].
#[derive(Debug, Clone, Default)]
pub struct MaybeJson<T>(pub Option<T>);

impl<S, T> FromRequest<S> for MaybeJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        // The parts go along: they carry the body limit.
        let bytes = bytes::Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(bytes_rejection)?;
        if bytes.is_empty() {
            return Ok(MaybeJson(None));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(value)| MaybeJson(Some(value)))
    }
}

/// Parses a JSON body: 400 for bad JSON, 422 naming the failing field for a bad shape.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::bad_request(
                "invalid_json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let message = inner.to_string();
        let mut path = to_pointer(e.path());
        let code = if let Some(field) = named_field(&message, "missing field `") {
            // serde reports a missing field at the object that lacks it: the path names it.
            path = marketplace_core::pointer::push(&path, field);
            FieldErrorCode::Required
        } else if message.starts_with("unknown field") {
            // Reported at the member itself: the path already names it.
            FieldErrorCode::UnknownKey
        } else {
            FieldErrorCode::Type
        };
        ApiError::field(FieldError::new(path, code, message))
    })?;
    deserializer.end().map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    Ok(value)
}

/// The field a serde message names after `prefix` (``missing field `name` ``).
fn named_field<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.find('`').map(|end| &rest[..end])
}

fn to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out = marketplace_core::pointer::push_index(&out, *index),
            Segment::Map { key } => out = marketplace_core::pointer::push(&out, key),
            Segment::Enum { variant } => out = marketplace_core::pointer::push(&out, variant),
            Segment::Unknown => {}
        }
    }
    out
}

fn bytes_rejection(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("invalid_body", rejection.body_text())
    }
}

/// Path parameters; 400 when they do not parse.
#[derive(Debug, Clone)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| ApiError::bad_request("invalid_path", e.body_text()))
    }
}

/// Query parameters; 400 when they do not parse.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| ApiError::bad_request("invalid_query", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        flag: bool,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Vec<Inner>,
    }

    fn refusal(body: &str) -> (String, FieldErrorCode) {
        match parse_json::<Outer>(body.as_bytes()) {
            Err(ApiError::Validation(errors)) => (errors[0].path.clone(), errors[0].code),
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn a_refused_field_is_named_by_its_path() {
        assert_eq!(
            refusal(r#"{"inner": []}"#),
            ("/name".into(), FieldErrorCode::Required)
        );
        assert_eq!(
            refusal(r#"{"name": "a", "inner": [{"flag": true}, {}]}"#),
            ("/inner/1/flag".into(), FieldErrorCode::Required)
        );
        assert_eq!(
            refusal(r#"{"name": "a", "inner": [{"flag": true, "extra": 1}]}"#),
            ("/inner/0/extra".into(), FieldErrorCode::UnknownKey)
        );
        assert_eq!(
            refusal(r#"{"name": 1, "inner": []}"#),
            ("/name".into(), FieldErrorCode::Type)
        );
    }
}
