//! Integration icons: uploaded through the admin API as PNG, WebP or SVG, stored by content hash
//! and served at `/icons/{sha256}.{png|svg}` (the integration's `icon_url`), so hosts may cache
//! an icon for ever. A raster icon is decoded (at most 40 megapixels, as avatars are), fitted into 256×256 and
//! stored as PNG (metadata dropped); an SVG keeps only drawing elements and attributes (no
//! script, style, link, image, text or event handler). Each change is stored with
//! `integration.updated` and bumps the catalog.

use crate::crypto::sha256_hex_bytes;
use crate::error::{ApiError, ApiResult};
use crate::service::files;
use crate::service::integrations::{self, commit_catalog_change, integration_event};
use crate::service::state::AppState;
use crate::store::integrations::IntegrationRecord;
use crate::store::{self, now_ms};
use image::{DynamicImage, imageops::FilterType};
use marketplace_core::attachment::{FileError, FileKind, ICON_SIDE, IconKind, StoredIcon};
use marketplace_core::event::EventType;
use serde_json::json;
use std::collections::HashSet;

/// SVG elements an icon may hold: shapes, groups, gradients and clipping.
const SVG_ELEMENTS: [&str; 17] = [
    "svg",
    "g",
    "path",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "rect",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
    "clipPath",
    "title",
    "desc",
    "symbol",
];

/// SVG attributes an icon's elements may carry: geometry and paint, nothing that links or runs.
const SVG_ATTRIBUTES: [&str; 43] = [
    "id",
    "viewBox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "transform",
    "fill",
    "fill-opacity",
    "fill-rule",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "stroke-miterlimit",
    "stroke-dasharray",
    "stroke-dashoffset",
    "stroke-opacity",
    "opacity",
    "clip-path",
    "clip-rule",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "spreadMethod",
    "preserveAspectRatio",
    "clipPathUnits",
    "vector-effect",
];

/// Decodes a PNG or WebP icon ([`files::image_decoder`]), fits it into [`ICON_SIDE`] (never
/// enlarged) and encodes it as PNG. CPU-bound: run it in `spawn_blocking`.
pub fn render_raster(kind: FileKind, bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    if !matches!(kind, FileKind::Png | FileKind::Webp) {
        return Err(FileError::UnsupportedType);
    }
    let decoder = files::image_decoder(kind, bytes)?;
    let mut icon = DynamicImage::from_decoder(decoder).map_err(|_| FileError::InvalidImage)?;
    if icon.width() > ICON_SIDE || icon.height() > ICON_SIDE {
        icon = icon.resize(ICON_SIDE, ICON_SIDE, FilterType::Lanczos3);
    }
    files::encode_png(icon.into_rgba8())
}

/// Keeps of an SVG document only its drawing ([`SVG_ELEMENTS`] with [`SVG_ATTRIBUTES`]; text
/// and comments inside dropped), as a standalone SVG file. `InvalidImage` when it is not UTF-8
/// or holds no `<svg>` element at its root.
pub fn sanitize_svg(bytes: &[u8]) -> Result<Vec<u8>, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|_| FileError::InvalidImage)?;
    let clean = ammonia::Builder::empty()
        .tags(SVG_ELEMENTS.into_iter().collect::<HashSet<_>>())
        .generic_attributes(SVG_ATTRIBUTES.into_iter().collect::<HashSet<_>>())
        .clean_content_tags(["script", "style", "foreignObject", "text"].into())
        .strip_comments(true)
        .clean(text)
        .to_string();
    let clean = clean.trim();
    let drawing = clean
        .strip_prefix("<svg")
        .filter(|_| clean.ends_with("</svg>"))
        .ok_or(FileError::InvalidImage)?;
    Ok(format!(r#"<svg xmlns="http://www.w3.org/2000/svg"{drawing}"#).into_bytes())
}

/// The URL an icon is served at.
pub fn icon_url(state: &AppState, sha256: &str, stored: StoredIcon) -> String {
    format!(
        "{}/icons/{}",
        state.settings.public_url.trim_end_matches('/'),
        stored.file_name(sha256)
    )
}

/// Sets an integration's icon from an upload of a declared kind (already within
/// [`marketplace_core::attachment::MAX_ICON_BYTES`]): rendered or sanitised off the async
/// threads, stored with `integration.updated`; the integration's `icon_url` points at it.
#[tracing::instrument(name = "icons::put_icon", level = "debug", skip_all)]
pub async fn put_icon(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
    kind: IconKind,
    bytes: bytes::Bytes,
) -> ApiResult<IntegrationRecord> {
    let mut integration = integrations::get(state, organization_id, integration_id)
        .await?
        .integration;
    let (content, stored) = tokio::task::spawn_blocking(move || match kind {
        IconKind::Raster(kind) => render_raster(kind, &bytes).map(|png| (png, StoredIcon::Png)),
        IconKind::Svg => sanitize_svg(&bytes).map(|svg| (svg, StoredIcon::Svg)),
    })
    .await
    .map_err(|e| ApiError::Internal(format!("icon rendering: {e}")))??;
    let sha256 = sha256_hex_bytes(&content);
    let url = icon_url(state, &sha256, stored);
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::icons::put(
        &mut tx,
        integration_id,
        &sha256,
        stored.content_type(),
        content,
        now,
    )
    .await?;
    store::integrations::set_icon_url(&mut tx, integration_id, Some(&url), now).await?;
    integration.icon_url = Some(url);
    let event = integration_event(
        EventType::IntegrationUpdated,
        integration_id,
        json!({"name": integration.name, "icon_url": integration.icon_url}),
    );
    commit_catalog_change(state, tx, organization_id, event).await?;
    integrations::get(state, organization_id, integration_id).await
}

/// Removes an integration's uploaded icon and clears its `icon_url` (also a URL the vendor set),
/// with `integration.updated`.
#[tracing::instrument(name = "icons::delete_icon", level = "debug", skip_all)]
pub async fn delete_icon(
    state: &AppState,
    organization_id: &str,
    integration_id: &str,
) -> ApiResult<()> {
    let integration = integrations::get(state, organization_id, integration_id)
        .await?
        .integration;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::icons::delete(&mut tx, integration_id).await?;
    store::integrations::set_icon_url(&mut tx, integration_id, None, now).await?;
    let event = integration_event(
        EventType::IntegrationUpdated,
        integration_id,
        json!({"name": integration.name, "icon_url": null}),
    );
    commit_catalog_change(state, tx, organization_id, event).await
}

/// A stored icon by its served file name (`{sha256}.png` or `.svg`; 404 when no integration
/// has it).
#[tracing::instrument(name = "icons::icon_content", level = "debug", skip_all)]
pub async fn icon_content(state: &AppState, file: &str) -> ApiResult<(StoredIcon, Vec<u8>)> {
    let (sha256, stored) = StoredIcon::parse_file_name(file).ok_or(ApiError::NotFound("icon"))?;
    let content = store::icons::content(&state.store, sha256, stored.content_type())
        .await?
        .ok_or(ApiError::NotFound("icon"))?;
    Ok((stored, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageFormat;

    fn sanitized(svg: &str) -> String {
        String::from_utf8(sanitize_svg(svg.as_bytes()).expect("an SVG")).unwrap()
    }

    #[test]
    fn an_svg_keeps_its_drawing_and_loses_what_runs_or_links() {
        let svg = sanitized(
            r##"<?xml version="1.0"?><!-- c --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" onload="alert(1)">
            <script>alert(2)</script><style>path{fill:url(https://x.example/a)}</style>
            <defs><linearGradient id="g"><stop offset="0" stop-color="#f00"/></linearGradient></defs>
            <a href="javascript:alert(3)"><path d="M0 0h24v24H0z" fill="url(#g)" style="x"/></a>
            <image href="https://tracker.example/p.png"/><use href="#g"/>
            <foreignObject><div>html</div></foreignObject></svg>"##,
        );
        assert!(
            svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#),
            "{svg}"
        );
        for kept in [
            r#"viewBox="0 0 24 24""#,
            "<linearGradient",
            r#"d="M0 0h24v24H0z""#,
            "fill=\"url(#g)\"",
        ] {
            assert!(svg.contains(kept), "{kept} lost in {svg}");
        }
        for gone in [
            "onload",
            "script",
            "alert",
            "style",
            "href",
            "<image",
            "<use",
            "foreignObject",
            "<div",
            "html",
            "<!--",
        ] {
            assert!(!svg.contains(gone), "{gone} survived in {svg}");
        }
    }

    #[test]
    fn what_is_not_an_svg_is_refused() {
        for bad in ["<html><body>hi</body></html>", "plain text", "<svg"] {
            assert_eq!(
                sanitize_svg(bad.as_bytes()),
                Err(FileError::InvalidImage),
                "{bad}"
            );
        }
        assert_eq!(sanitize_svg(&[0xff, 0xfe]), Err(FileError::InvalidImage));
    }

    #[test]
    fn a_large_raster_is_fitted_and_a_small_one_kept() {
        for ((w, h), expected) in [((1024, 512), (256, 128)), ((64, 64), (64, 64))] {
            let mut png = std::io::Cursor::new(Vec::new());
            image::RgbImage::new(w, h)
                .write_to(&mut png, ImageFormat::Png)
                .unwrap();
            let icon = render_raster(FileKind::Png, png.get_ref()).expect("renders");
            let decoded = image::load_from_memory_with_format(&icon, ImageFormat::Png).unwrap();
            assert_eq!((decoded.width(), decoded.height()), expected);
        }
        assert_eq!(
            render_raster(FileKind::Webp, b"not webp"),
            Err(FileError::InvalidImage)
        );
    }
}
