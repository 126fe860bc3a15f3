//! A customer's attachments, for the vendor (`/api/v1/customers/{id}/attachments[...]`, API
//! key) and for the customer's users (`/api/v1/embedded/attachments[...]`, embedded token:
//! viewers read, admins write). Uploads are `multipart/form-data` with a `file` part of at most
//! 10 MiB; downloads are served as attachments, never rendered by the browser.

use crate::error::{ApiError, ApiResult};
use crate::http::extract::{ApiPath, ApiQuery};
use crate::http::{List, page_of, page_request, time::rfc3339};
use crate::service::auth::{Admin, CustomerUser};
use crate::service::customers;
use crate::service::files::{self, AttachmentRecord, Upload, Uploader};
use crate::service::state::AppState;
use axum::Json;
use axum::extract::multipart::MultipartError;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace_api::attachments::{
    AttachmentQuery, AttachmentUpload, AttachmentView, FileBytes, UploadedBy, UploaderKind,
};
use marketplace_core::attachment::{
    MAX_ATTACHMENT_BYTES, attachment_kind, check_size, content_disposition,
};
use marketplace_core::permission::{Action, Decision, authorize};
use utoipa_axum::{router::OpenApiRouter, routes};

/// The routes taking uploads (their body limit is [`UPLOAD_BODY_LIMIT`]).
pub const UPLOAD_ROUTES: [&str; 2] = [
    "/api/v1/customers/{id}/attachments",
    "/api/v1/embedded/attachments",
];

/// The largest multipart body of an upload: the file's 10 MiB and room for the part headers
/// and boundaries (a file over 10 MiB is refused while read, whatever the body's size).
pub const UPLOAD_BODY_LIMIT: usize = MAX_ATTACHMENT_BYTES + 64 * 1024;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload, list))
        .routes(routes!(get_one, delete_one))
        .routes(routes!(download))
        .routes(routes!(embedded_upload, embedded_list))
        .routes(routes!(embedded_get, embedded_delete))
        .routes(routes!(embedded_download))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY_LIMIT))
}

fn view(record: AttachmentRecord) -> AttachmentView {
    let uploaded_by = match record.uploaded_by {
        Uploader::Organization => UploadedBy {
            kind: UploaderKind::Organization,
            user_id: None,
        },
        Uploader::CustomerUser(user) => UploadedBy {
            kind: UploaderKind::CustomerUser,
            user_id: Some(user),
        },
    };
    AttachmentView {
        id: record.id,
        customer_id: record.customer_id,
        name: record.name,
        content_type: record.content_type,
        size: record.size.max(0) as u64,
        sha256: record.sha256,
        uploaded_by,
        created_at: rfc3339(record.created_at),
    }
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge
    } else {
        ApiError::bad_request("invalid_multipart", e.body_text())
    }
}

/// Reads the `file` part of a `multipart/form-data` upload: 415 unless multipart, or when the
/// part's declared type is not accepted (checked before its content is read); 413 as soon as the
/// file goes over 10 MiB; 422 (`/file`, `required`) without a `file` part.
async fn read_upload(state: &AppState, request: Request) -> ApiResult<Upload> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("multipart/form-data"));
    if !is_multipart {
        return Err(ApiError::UnsupportedFileType(
            "an upload must be multipart/form-data with a `file` part".into(),
        ));
    }
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let kind = attachment_kind(field.content_type().unwrap_or_default())?;
        let name = field.file_name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            check_size(bytes.len() + chunk.len(), MAX_ATTACHMENT_BYTES)?;
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Upload { name, kind, bytes });
    }
    Err(ApiError::field(marketplace_core::FieldError::new(
        "/file",
        marketplace_core::FieldErrorCode::Required,
        "a `file` part is required",
    )))
}

/// A download: the stored type, served as an attachment that no browser renders or sniffs.
fn download_response(record: &AttachmentRecord, content: Vec<u8>) -> Response {
    let mut response = content.into_response();
    let headers = response.headers_mut();
    let content_type = HeaderValue::from_str(&record.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, content_type);
    if let Ok(disposition) = HeaderValue::from_str(&content_disposition(&record.name)) {
        headers.insert(header::CONTENT_DISPOSITION, disposition);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    response
}

/// Upload an attachment for a customer (`multipart/form-data`, part `file`, at most 10 MiB; its
/// declared type must be accepted and binaries must match it).
#[utoipa::path(post, path = "/api/v1/customers/{id}/attachments", tag = "attachments", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView)))]
async fn upload(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    request: Request,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    customers::get(&state, &admin.organization_id, &id).await?;
    let upload = read_upload(&state, request).await?;
    let record = files::create_attachment(
        &state,
        &admin.organization_id,
        &id,
        Uploader::Organization,
        upload,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// List a customer's attachments, oldest first (`q`: case-insensitive substring of the name).
#[utoipa::path(get, path = "/api/v1/customers/{id}/attachments", tag = "attachments", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), AttachmentQuery),
    responses((status = 200, body = List<AttachmentView>)))]
async fn list(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<AttachmentQuery>,
) -> ApiResult<Json<List<AttachmentView>>> {
    customers::get(&state, &admin.organization_id, &id).await?;
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = files::list_attachments(
        &state,
        &admin.organization_id,
        &id,
        query.q.as_deref(),
        &page,
    )
    .await?;
    Ok(Json(page_of(page, view)))
}

/// Get an attachment's metadata.
#[utoipa::path(get, path = "/api/v1/customers/{id}/attachments/{attachment_id}", tag = "attachments", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, body = AttachmentView)))]
async fn get_one(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, attachment_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<AttachmentView>> {
    let record = files::get_attachment(&state, &admin.organization_id, &id, &attachment_id).await?;
    Ok(Json(view(record)))
}

/// Download an attachment (`Content-Disposition: attachment`, `nosniff`, `sandbox`).
#[utoipa::path(get, path = "/api/v1/customers/{id}/attachments/{attachment_id}/content", tag = "attachments", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = FileBytes,
        description = "The content, of its stored `Content-Type`")))]
async fn download(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, attachment_id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let (record, content) =
        files::attachment_content(&state, &admin.organization_id, &id, &attachment_id).await?;
    Ok(download_response(&record, content))
}

/// Delete an attachment (`attachment.deleted`).
#[utoipa::path(delete, path = "/api/v1/customers/{id}/attachments/{attachment_id}", tag = "attachments", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 204)))]
async fn delete_one(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, attachment_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    files::delete_attachment(&state, &admin.organization_id, &id, &attachment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the user may do `action` on their customer's attachments (403 for a viewer's write).
fn allow(user: &CustomerUser, action: Action) -> ApiResult<()> {
    match authorize(
        &user.actor(),
        action,
        Some(&user.customer_id.as_str().into()),
    ) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ApiError::forbidden(
            "forbidden_role",
            "a viewer may not change anything",
        )),
        Decision::NotFound => Err(ApiError::NotFound("attachment")),
    }
}

/// Upload an attachment for the token's customer (admins).
#[utoipa::path(post, operation_id = "embedded_upload_attachment", path = "/api/v1/embedded/attachments", tag = "embedded",
    security(("embedded_token" = [])),
    request_body(content = AttachmentUpload, content_type = "multipart/form-data"),
    responses((status = 201, body = AttachmentView)))]
async fn embedded_upload(
    State(state): State<AppState>,
    user: CustomerUser,
    request: Request,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    allow(&user, Action::ManageAttachments)?;
    let upload = read_upload(&state, request).await?;
    let uploader = Uploader::CustomerUser(user.user_id.clone());
    let record = files::create_attachment(
        &state,
        &user.organization_id,
        &user.customer_id,
        uploader,
        upload,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(record))))
}

/// List the token's customer's attachments, oldest first.
#[utoipa::path(get, operation_id = "embedded_list_attachments", path = "/api/v1/embedded/attachments", tag = "embedded",
    security(("embedded_token" = [])), params(AttachmentQuery),
    responses((status = 200, body = List<AttachmentView>)))]
async fn embedded_list(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(query): ApiQuery<AttachmentQuery>,
) -> ApiResult<Json<List<AttachmentView>>> {
    allow(&user, Action::ReadAttachments)?;
    let page = page_request(query.limit, query.cursor.as_ref())?;
    let page = files::list_attachments(
        &state,
        &user.organization_id,
        &user.customer_id,
        query.q.as_deref(),
        &page,
    )
    .await?;
    Ok(Json(page_of(page, view)))
}

/// Get one of the token's customer's attachments.
#[utoipa::path(get, operation_id = "embedded_get_attachment", path = "/api/v1/embedded/attachments/{attachment_id}", tag = "embedded",
    security(("embedded_token" = [])), params(("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, body = AttachmentView)))]
async fn embedded_get(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(attachment_id): ApiPath<String>,
) -> ApiResult<Json<AttachmentView>> {
    allow(&user, Action::ReadAttachments)?;
    let record = files::get_attachment(
        &state,
        &user.organization_id,
        &user.customer_id,
        &attachment_id,
    )
    .await?;
    Ok(Json(view(record)))
}

/// Download one of the token's customer's attachments.
#[utoipa::path(get, operation_id = "embedded_download_attachment", path = "/api/v1/embedded/attachments/{attachment_id}/content", tag = "embedded",
    security(("embedded_token" = [])), params(("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = FileBytes,
        description = "The content, of its stored `Content-Type`")))]
async fn embedded_download(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(attachment_id): ApiPath<String>,
) -> ApiResult<Response> {
    allow(&user, Action::ReadAttachments)?;
    let (record, content) = files::attachment_content(
        &state,
        &user.organization_id,
        &user.customer_id,
        &attachment_id,
    )
    .await?;
    Ok(download_response(&record, content))
}

/// Delete one of the token's customer's attachments (admins).
#[utoipa::path(delete, operation_id = "embedded_delete_attachment", path = "/api/v1/embedded/attachments/{attachment_id}", tag = "embedded",
    security(("embedded_token" = [])), params(("attachment_id" = String, Path, description = "Attachment id")),
    responses((status = 204)))]
async fn embedded_delete(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(attachment_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    allow(&user, Action::ManageAttachments)?;
    files::delete_attachment(
        &state,
        &user.organization_id,
        &user.customer_id,
        &attachment_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
