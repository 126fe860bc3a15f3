//! A customer's files: the avatar (decoded, centre-cropped, resized to 500×500 and stored as
//! PNG, served by content hash) and attachments (checked against core's rules, stored with their
//! content). Each change is stored with its event (`customer.updated`, `attachment.created`,
//! `attachment.deleted`) in one transaction.

use crate::crypto::sha256_hex_bytes;
use crate::error::{ApiError, ApiResult};
use crate::service::customers::{self, CustomerRecord};
use crate::service::state::AppState;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use image::{
    DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbaImage, imageops::FilterType,
};
use marketplace_core::attachment::{
    AVATAR_SIDE, FileError, FileKind, MAX_IMAGE_PIXELS, centre_square, check_attachment,
    check_image_size, file_name,
};
use marketplace_core::event::{Event, EventType};
use serde_json::json;

pub use crate::store::attachments::{AttachmentRecord, Uploader};

/// Bytes the decoder of an avatar may allocate: 40 Mpx at 8 bytes a pixel (RGBA, 16 bits).
const MAX_DECODE_ALLOC: u64 = MAX_IMAGE_PIXELS * 8;

/// A decoder of an image of the declared kind, PNG, JPEG or WebP (nothing else, whatever its
/// bytes say), its allocations capped and its declared size checked (not empty, at most 40 Mpx)
/// before anything is decoded.
pub fn image_decoder(kind: FileKind, bytes: &[u8]) -> Result<impl ImageDecoder + '_, FileError> {
    let format = match kind {
        FileKind::Png => ImageFormat::Png,
        FileKind::Jpeg => ImageFormat::Jpeg,
        FileKind::Webp => ImageFormat::WebP,
        _ => return Err(FileError::UnsupportedType),
    };
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    reader.limits(limits);
    let decoder = reader.into_decoder().map_err(|_| FileError::InvalidImage)?;
    let (width, height) = decoder.dimensions();
    check_image_size(width, height)?;
    Ok(decoder)
}

/// An image encoded as PNG.
pub fn encode_png(image: RgbaImage) -> Result<Vec<u8>, FileError> {
    let mut png = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut png, ImageFormat::Png)
        .map_err(|_| FileError::InvalidImage)?;
    Ok(png.into_inner())
}

/// Decodes an image of the declared kind ([`image_decoder`]) and renders the avatar: EXIF
/// orientation applied, the centred square cropped, resized to 500×500 (Lanczos3), encoded as
/// PNG. CPU-bound: run it in `spawn_blocking`.
pub fn render_avatar(kind: FileKind, bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    let invalid = |_| FileError::InvalidImage;
    let mut decoder = image_decoder(kind, bytes)?;
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
    image.apply_orientation(orientation);
    let square = centre_square(image.width(), image.height());
    let avatar = image
        .crop_imm(square.x, square.y, square.side, square.side)
        .resize_exact(AVATAR_SIDE, AVATAR_SIDE, FilterType::Lanczos3)
        .into_rgba8();
    encode_png(avatar)
}

/// The URL an avatar is served at.
pub fn avatar_url(state: &AppState, sha256: &str) -> String {
    format!(
        "{}/avatars/{sha256}.png",
        state.settings.public_url.trim_end_matches('/')
    )
}

/// Sets a customer's avatar from an uploaded image of a declared kind (already checked to be
/// an image within 5 MiB): rendered off the async threads, stored with `customer.updated`; the
/// customer's `avatar_url` now points at it.
#[tracing::instrument(name = "files::put_avatar", level = "debug", skip_all)]
pub async fn put_avatar(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    kind: FileKind,
    bytes: bytes::Bytes,
) -> ApiResult<CustomerRecord> {
    let mut customer = customers::get(state, organization_id, customer_id)
        .await?
        .customer;
    let png = tokio::task::spawn_blocking(move || render_avatar(kind, &bytes))
        .await
        .map_err(|e| ApiError::Internal(format!("avatar rendering: {e}")))??;
    let sha256 = sha256_hex_bytes(&png);
    let url = avatar_url(state, &sha256);
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::avatars::put(&mut tx, customer_id, &sha256, png, &url, now).await?;
    customer.avatar_url = Some(url);
    store::events::record(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerUpdated, &customer, now),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(customer_id);
    customers::get(state, organization_id, customer_id).await
}

/// Removes a customer's avatar and clears its `avatar_url` (also one a vendor set by `PATCH`),
/// with `customer.updated`.
#[tracing::instrument(name = "files::delete_avatar", level = "debug", skip_all)]
pub async fn delete_avatar(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
) -> ApiResult<()> {
    let mut customer = customers::get(state, organization_id, customer_id)
        .await?
        .customer;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::avatars::delete(&mut tx, customer_id).await?;
    customer.avatar_url = None;
    store::events::record(
        &mut tx,
        organization_id,
        &Event::for_customer(EventType::CustomerUpdated, &customer, now),
    )
    .await?;
    tx.commit().await?;
    state.tokens.forget_customer(customer_id);
    Ok(())
}

/// The PNG of an avatar by its content hash (404 when no customer has it).
#[tracing::instrument(name = "files::avatar_png", level = "debug", skip_all)]
pub async fn avatar_png(state: &AppState, sha256: &str) -> ApiResult<Vec<u8>> {
    let is_hash = sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !is_hash {
        return Err(ApiError::NotFound("avatar"));
    }
    store::avatars::png_by_sha256(&state.store, sha256)
        .await?
        .ok_or(ApiError::NotFound("avatar"))
}

/// An uploaded file: the part's name and declared kind, and its bytes (within the limit).
#[derive(Debug, Clone)]
pub struct Upload {
    /// The name the client gave (cleaned here).
    pub name: String,
    /// The declared kind.
    pub kind: FileKind,
    /// The content.
    pub bytes: Vec<u8>,
}

/// The event of an attachment change: its id, name, type, size and uploader, never its content.
fn attachment_event(event_type: EventType, record: &AttachmentRecord, at: i64) -> Event {
    let (kind, user_id) = match &record.uploaded_by {
        Uploader::Organization => ("organization", None),
        Uploader::CustomerUser(user) => ("customer_user", Some(user.as_str())),
    };
    let data = json!({"attachment_id": record.id, "name": record.name,
        "content_type": record.content_type, "size": record.size, "sha256": record.sha256,
        "uploaded_by": {"kind": kind, "user_id": user_id}});
    Event::for_organization(event_type, at, data).with_customer(&record.customer_id.as_str().into())
}

/// Stores an attachment of a customer (of the organization: 404 otherwise) after core's checks
/// (size, the content against its declared kind), with `attachment.created`.
#[tracing::instrument(name = "files::create_attachment", level = "debug", skip_all)]
pub async fn create_attachment(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    uploader: Uploader,
    upload: Upload,
) -> ApiResult<AttachmentRecord> {
    customers::get(state, organization_id, customer_id).await?;
    check_attachment(upload.kind, &upload.bytes)?;
    let now = now_ms();
    let record = AttachmentRecord {
        id: new_id("att"),
        customer_id: customer_id.to_owned(),
        name: file_name(&upload.name),
        content_type: upload.kind.mime().to_owned(),
        size: upload.bytes.len() as i64,
        sha256: sha256_hex_bytes(&upload.bytes),
        uploaded_by: uploader,
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    store::attachments::insert(&mut tx, organization_id, &record, upload.bytes).await?;
    store::events::record(
        &mut tx,
        organization_id,
        &attachment_event(EventType::AttachmentCreated, &record, now),
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}

/// A page of a customer's attachments, oldest first, optionally only names containing `q`
/// (case-insensitive).
#[tracing::instrument(name = "files::list_attachments", level = "debug", skip_all)]
pub async fn list_attachments(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    q: Option<&str>,
    page: &PageRequest,
) -> ApiResult<Page<AttachmentRecord>> {
    Ok(store::attachments::list(&state.store, organization_id, customer_id, q, page).await?)
}

/// One attachment of a customer (404 otherwise).
#[tracing::instrument(name = "files::get_attachment", level = "debug", skip_all)]
pub async fn get_attachment(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> ApiResult<AttachmentRecord> {
    store::attachments::get(&state.store, organization_id, customer_id, id)
        .await?
        .ok_or(ApiError::NotFound("attachment"))
}

/// One attachment of a customer with its content (404 otherwise).
#[tracing::instrument(name = "files::attachment_content", level = "debug", skip_all)]
pub async fn attachment_content(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> ApiResult<(AttachmentRecord, Vec<u8>)> {
    let record = get_attachment(state, organization_id, customer_id, id).await?;
    let content = store::attachments::content(&state.store, organization_id, customer_id, id)
        .await?
        .ok_or(ApiError::NotFound("attachment"))?;
    Ok((record, content))
}

/// Deletes an attachment of a customer (404 otherwise), with `attachment.deleted`.
#[tracing::instrument(name = "files::delete_attachment", level = "debug", skip_all)]
pub async fn delete_attachment(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    let record = store::attachments::delete(&mut tx, organization_id, customer_id, id)
        .await?
        .ok_or(ApiError::NotFound("attachment"))?;
    store::events::record(
        &mut tx,
        organization_id,
        &attachment_event(EventType::AttachmentDeleted, &record, now_ms()),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage};

    fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn an_avatar_is_the_centre_square_at_500_pixels() {
        // 300×100: red 100 px on each side, blue in the middle square.
        let image = RgbImage::from_fn(300, 100, |x, _| {
            if (100..200).contains(&x) {
                Rgb([0, 0, 255])
            } else {
                Rgb([255, 0, 0])
            }
        });
        let png = render_avatar(FileKind::Png, &encoded(&image, ImageFormat::Png)).unwrap();
        let avatar = image::load_from_memory_with_format(&png, ImageFormat::Png)
            .unwrap()
            .into_rgba8();
        assert_eq!(avatar.dimensions(), (AVATAR_SIDE, AVATAR_SIDE));
        for (x, y) in [(0, 0), (250, 250), (499, 499)] {
            assert_eq!(avatar.get_pixel(x, y).0, [0, 0, 255, 255], "({x}, {y})");
        }
    }

    #[test]
    fn an_image_must_decode_as_its_declared_kind() {
        let image = RgbImage::from_pixel(10, 10, Rgb([1, 2, 3]));
        let png = encoded(&image, ImageFormat::Png);
        assert_eq!(
            render_avatar(FileKind::Jpeg, &png),
            Err(FileError::InvalidImage)
        );
        assert_eq!(
            render_avatar(FileKind::Webp, b"not an image"),
            Err(FileError::InvalidImage)
        );
        assert_eq!(
            render_avatar(FileKind::Pdf, &png),
            Err(FileError::UnsupportedType)
        );
        assert!(render_avatar(FileKind::Jpeg, &encoded(&image, ImageFormat::Jpeg)).is_ok());
    }
}
