//! `GET /embed/{organization_id}/marketplace`: the marketplace page hosts embed in an iframe, and
//! its assets under `/embed/assets/`. The same page is the customer portal
//! (`GET /portal/{organization_id}`, served by `http::portal` through [`render`] with
//! `data-mode="portal"` on its body and `frame-ancestors 'none'`).
//!
//! The page is a shell: it carries no customer data and no token. Its script announces itself to
//! the parent window by postMessage, receives the token from an allowed origin only, and calls
//! the embedded API. `Content-Security-Policy: frame-ancestors` names the organization's allowed
//! origins, so no other site can frame it; scripts, styles and requests are same-origin only.
//! `?marketplace={key}` adds that marketplace's allowed origins (a brand's or partner's site),
//! both to `frame-ancestors` and to the origins the page takes messages from.
//!
//! The page cannot load the WebAssembly module, so the data of core's rules that it and its form
//! need (connection inputs, the masked placeholder, theme names, accent pattern) is written into
//! it as JSON (`<script type="application/json" id="marketplace-rules">`, a data block that CSP
//! does not treat as a script), read by `assets/embed/rules.js`.

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::service::{marketplaces, organization};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use marketplace_core::organization::{is_accent_colour, is_theme_name};
use serde::Deserialize;

/// The page's script (plain JavaScript, an ES module).
const SCRIPT: &str = include_str!("../../assets/embed/marketplace.js");
/// The form generated from a spec. Its one source: `cargo xtask wasm` copies this file into the
/// npm package (kept here so that this crate packages on its own).
const FORM: &str = include_str!("../../assets/embed/form.js");
/// The catalog's tier badge and filter and the detail's certification sections; like the form,
/// copied into the npm package by `cargo xtask wasm`.
const CATALOG: &str = include_str!("../../assets/embed/catalog.js");
/// The phrase table (English, German) of the page, the form and the catalog; like the form,
/// copied into the npm package by `cargo xtask wasm`.
const PHRASES: &str = include_str!("../../assets/embed/phrases.js");
/// `rules()` for the page and the form: core's data, read from the page.
const RULES: &str = include_str!("../../assets/embed/rules.js");
/// The portal's screens (sign-in, users, attachments), imported by the page's script.
const PORTAL: &str = include_str!("../../assets/embed/portal.js");
/// The page's styles (light and dark, themable with `--mk-*` custom properties); like the
/// form, copied into the npm package by `cargo xtask wasm`, for native marketplaces.
const STYLE: &str = include_str!("../../assets/embed/marketplace.css");

/// The page and its assets (not part of the JSON API, so not in the OpenAPI document).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/embed/{organization_id}/marketplace", get(page))
        .route("/embed/assets/{file}", get(asset))
}

/// `?theme=light|dark&accent=%23rrggbb`: overrides of the organization's theme defaults;
/// `&marketplace={key}`: the marketplace embedded, whose origins may frame the page too.
#[derive(Debug, Default, Deserialize)]
pub struct ThemeQuery {
    theme: Option<String>,
    accent: Option<String>,
    marketplace: Option<String>,
}

/// Where the page runs: in the host's iframe (token by postMessage) or as the customer portal
/// (cookie session, never framed). The page's `<body data-mode>` says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageMode {
    /// `GET /embed/{organization_id}/marketplace`: framed by the allowed origins.
    Iframe,
    /// `GET /portal/{organization_id}[/accept]`: `frame-ancestors 'none'`.
    Portal,
}

/// The page shell for an organization.
async fn page(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    Query(query): Query<ThemeQuery>,
) -> ApiResult<Response> {
    render(&state, &organization_id, query, PageMode::Iframe).await
}

/// The page for an organization in a mode (404 for an unknown organization, or an unknown
/// `?marketplace=`).
pub async fn render(
    state: &AppState,
    organization_id: &str,
    query: ThemeQuery,
    mode: PageMode,
) -> ApiResult<Response> {
    let organization = organization::get(state, organization_id).await?;
    let theme = query
        .theme
        .filter(|t| is_theme_name(t))
        .unwrap_or(organization.theme.theme);
    let accent = query
        .accent
        .filter(|a| is_accent_colour(a))
        .unwrap_or(organization.theme.accent);
    let mut allowed_origins = organization.allowed_origins.clone();
    if let (PageMode::Iframe, Some(key)) = (mode, query.marketplace.as_deref()) {
        let directory = marketplaces::directory(state, organization_id).await?;
        let marketplace = directory
            .marketplace(Some(key))
            .ok_or(ApiError::NotFound("marketplace"))?;
        for origin in &marketplace.allowed_origins {
            if !allowed_origins.contains(origin) {
                allowed_origins.push(origin.clone());
            }
        }
    }
    let origins =
        serde_json::to_string(&allowed_origins).map_err(|e| ApiError::Internal(e.to_string()))?;
    let html = format!(
        r#"<!doctype html>
<html lang="en" data-theme="{theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Integrations · {name}</title>
<link rel="stylesheet" href="/embed/assets/marketplace.css">
</head>
<body data-mode="{mode}" data-organization="{organization}" data-origins="{origins}" data-theme="{theme}" data-accent="{accent}">
<main id="app" aria-live="polite"><p>Loading the marketplace…</p></main>
<script type="application/json" id="marketplace-rules">{rules}</script>
<script type="module" src="/embed/assets/marketplace.js"></script>
</body>
</html>
"#,
        mode = match mode {
            PageMode::Iframe => "iframe",
            PageMode::Portal => "portal",
        },
        theme = escape(&theme),
        name = escape(&organization.name),
        organization = escape(&organization.id),
        origins = escape(&origins),
        accent = escape(&accent),
        rules = rules_json()?,
    );
    let ancestors = if mode == PageMode::Portal || allowed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        allowed_origins.join(" ")
    };
    let policy = format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; \
         connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    );
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_str(&policy).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    Ok(response)
}

/// One of the page's assets.
async fn asset(Path(file): Path<String>) -> ApiResult<Response> {
    let (body, kind) = match file.as_str() {
        "marketplace.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        "form.js" => (FORM, "text/javascript; charset=utf-8"),
        "catalog.js" => (CATALOG, "text/javascript; charset=utf-8"),
        "phrases.js" => (PHRASES, "text/javascript; charset=utf-8"),
        "rules.js" => (RULES, "text/javascript; charset=utf-8"),
        "portal.js" => (PORTAL, "text/javascript; charset=utf-8"),
        "marketplace.css" => (STYLE, "text/css; charset=utf-8"),
        _ => return Err(ApiError::NotFound("asset")),
    };
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response())
}

/// Core's `page_rules()` as JSON for a `<script type="application/json">` block: every `<`
/// written `\u003c`, so that no `</script>` can close it early.
fn rules_json() -> ApiResult<String> {
    serde_json::to_string(&marketplace_core::page_rules())
        .map(|json| json.replace('<', "\\u003c"))
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// Escapes text for an HTML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;"
        );
    }

    #[test]
    fn the_page_carries_cores_rules_as_json() {
        let json = rules_json().unwrap();
        assert!(!json.contains('<'), "{json}");
        let data: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(data, marketplace_core::page_rules());
        assert_eq!(data["theme_names"], serde_json::json!(["light", "dark"]));
        assert_eq!(
            data["accent_pattern"],
            marketplace_core::organization::ACCENT_PATTERN
        );
    }
}
