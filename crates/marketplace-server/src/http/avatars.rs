//! A customer's avatar: `PUT|DELETE /api/v1/customers/{id}/avatar` (raw PNG, JPEG or WebP, at
//! most 5 MiB) and the public `GET /avatars/{sha256}.png` its `avatar_url` points at.
//!
//! How it meets `PATCH /api/v1/customers/{id}` (`avatar_url`): the last write wins. An upload
//! points `avatar_url` at the stored image; a vendor's URL set afterwards replaces the pointer
//! (the stored image stays served until the avatar is replaced or deleted); `DELETE` removes the
//! stored image and clears `avatar_url`, whoever set it.

use crate::error::{ApiError, ApiResult};
use crate::http::customers::view;
use crate::http::extract::ApiPath;
use crate::service::auth::Admin;
use crate::service::files;
use crate::service::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace_api::attachments::FileBytes;
use marketplace_api::customers::CustomerView;
use marketplace_core::attachment::{MAX_AVATAR_BYTES, avatar_kind};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The route of avatar uploads (its body limit is [`MAX_AVATAR_BYTES`]).
pub const AVATAR_ROUTE: &str = "/api/v1/customers/{id}/avatar";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(put_avatar, delete_avatar))
        .routes(routes!(get_avatar))
}

/// Reads a body of at most `limit` bytes, frame by frame: 413 as soon as it goes over, without
/// holding more than the limit.
pub async fn read_limited(mut body: Body, limit: usize) -> ApiResult<Bytes> {
    let mut out = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| {
            ApiError::bad_request("invalid_body", "the request body could not be read")
        })?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(out.into())
}

/// Set a customer's avatar: a PNG, JPEG or WebP image (the body, of its `Content-Type`), at
/// most 5 MiB and 40 megapixels; stored centre-cropped and resized to 500×500 PNG, served at the
/// customer's new `avatar_url` (`customer.updated`).
#[utoipa::path(put, path = "/api/v1/customers/{id}/avatar", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")),
    request_body(content((FileBytes = "image/png"), (FileBytes = "image/jpeg"), (FileBytes = "image/webp"))),
    responses((status = 200, body = CustomerView)))]
async fn put_avatar(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<CustomerView>> {
    let kind = avatar_kind(declared_type(&headers)).map_err(|_| {
        ApiError::UnsupportedFileType(
            "an avatar must be image/png, image/jpeg or image/webp".into(),
        )
    })?;
    let bytes = read_limited(body, MAX_AVATAR_BYTES).await?;
    let record = files::put_avatar(&state, &admin.organization_id, &id, kind, bytes).await?;
    Ok(Json(view(record)))
}

/// Remove a customer's avatar and clear its `avatar_url` (`customer.updated`).
#[utoipa::path(delete, path = "/api/v1/customers/{id}/avatar", tag = "customers", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), responses((status = 204)))]
async fn delete_avatar(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    files::delete_avatar(&state, &admin.organization_id, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An avatar, by the name `avatar_url` gives it (`{sha256}.png`); public, cached for a year
/// (the name changes with the content).
#[utoipa::path(get, path = "/avatars/{file}", tag = "customers", security(()),
    params(("file" = String, Path, description = "`{sha256}.png`, as in a customer's `avatar_url`")),
    responses((status = 200, content_type = "image/png", body = FileBytes)))]
async fn get_avatar(
    State(state): State<AppState>,
    ApiPath(file): ApiPath<String>,
) -> ApiResult<Response> {
    let sha256 = file
        .strip_suffix(".png")
        .ok_or(ApiError::NotFound("avatar"))?;
    let png = files::avatar_png(&state, sha256).await?;
    Ok(immutable_file("image/png", png))
}

/// The declared `Content-Type` of an upload (empty when missing or not text).
pub(crate) fn declared_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A public file named by its content hash: its type, cached for a year, never sniffed.
pub(crate) fn immutable_file(content_type: &'static str, content: Vec<u8>) -> Response {
    let mut response = content.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_is_read_up_to_its_limit() {
        let body = read_limited(Body::from(vec![7u8; 10]), 10).await.unwrap();
        assert_eq!(body.len(), 10);
        let over = read_limited(Body::from(vec![7u8; 11]), 10).await;
        assert!(matches!(over, Err(ApiError::PayloadTooLarge)), "{over:?}");
    }
}
