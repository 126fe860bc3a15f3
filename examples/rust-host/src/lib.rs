//! A vendor's Rust backend embedding the marketplace (the example of the README's "Rust apps").
//!
//! It has its own login (a stub: pick a user), signs embedded tokens for the signed-in user with
//! [`HostTokenSigner`], renders the user's marketplace server-side through the Rust SDK
//! ([`Marketplace`]), and hands tokens to its JavaScript frontends at `GET /token`.

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use marketplace_embedded::wire::{DeployabilityStatus, MarketplaceQuery};
use marketplace_embedded::{HostClaims, HostTokenSigner, Marketplace, TokenSource};
use serde::Deserialize;
use std::sync::Arc;

/// The host app's users: (id in the host app, display name, customer external id, customer name).
pub const USERS: [(&str, &str, &str, &str); 2] = [
    ("ada@globex.example", "Ada", "globex", "Globex Corporation"),
    ("bob@initech.example", "Bob", "initech", "Initech"),
];

/// The cookie naming the signed-in user (a stub: a real app has real sessions).
const COOKIE: &str = "host_user";

/// What the host knows of the marketplace service.
pub struct Host {
    /// The service, e.g. `http://127.0.0.1:8080`.
    pub service_url: String,
    /// The vendor's organization on the service.
    pub organization_id: String,
    /// Signs tokens with the key registered on the service under its `kid`.
    pub signer: HostTokenSigner,
}

impl Host {
    /// From the demo's file (`marketplace.db.demo.json`, written by `marketplace-server demo`):
    /// its organization and Ed25519 signing key.
    pub fn from_demo_file(service_url: String, path: &std::path::Path) -> Result<Host, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let demo: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let field = |name: &str| {
            demo[name]
                .as_str()
                .map(str::to_owned)
                .ok_or(format!("{}: no {name}", path.display()))
        };
        let pem = pkcs8_pem(&field("private_key_pkcs8")?)?;
        let signer =
            HostTokenSigner::from_pem(field("kid")?, "EdDSA", &pem).map_err(|e| e.to_string())?;
        Ok(Host {
            service_url,
            organization_id: field("organization_id")?,
            signer,
        })
    }

    /// A fresh token for one of [`USERS`].
    pub fn token_for(&self, user: &str) -> Option<String> {
        let (sub, name, customer, customer_name) = USERS.iter().find(|u| u.0 == user)?;
        let mut claims = HostClaims::new(&self.organization_id, *sub, *customer);
        claims.name = Some((*name).to_owned());
        claims.email = Some((*sub).to_owned());
        claims.customer_name = Some((*customer_name).to_owned());
        self.signer.sign(&claims).ok()
    }
}

/// A base64 PKCS#8 DER key as PEM.
fn pkcs8_pem(der_base64: &str) -> Result<String, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    let der = engine.decode(der_base64).map_err(|e| e.to_string())?;
    let body = engine.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Ok(format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    ))
}

/// The host app's routes.
pub fn app(host: Host) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/token", get(token))
        .with_state(Arc::new(host))
}

/// The signed-in user, from the cookie.
fn signed_in(headers: &HeaderMap) -> Option<&'static str> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let value = cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)?
        .1;
    USERS.iter().map(|u| u.0).find(|u| *u == value)
}

/// The login form, or the signed-in user's marketplace rendered through the SDK.
async fn home(State(host): State<Arc<Host>>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in(&headers) else {
        let options: String = USERS
            .iter()
            .map(|(id, name, _, customer)| {
                format!(r#"<option value="{id}">{name} ({customer})</option>"#)
            })
            .collect();
        return page(
            "Sign in",
            &format!(
                r#"<form method="post" action="/login"><label for="user">User</label>
<select id="user" name="user">{options}</select> <button type="submit">Sign in</button></form>"#
            ),
        );
    };
    let Some(token) = host.token_for(user) else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "cannot sign a token").into_response();
    };
    let client = Marketplace::new(host.service_url.clone(), TokenSource::Fixed(token));
    let body = match client.catalog(&MarketplaceQuery::default()).await {
        Ok(catalog) => {
            let rows: String = catalog
                .items
                .iter()
                .map(|entry| {
                    let state = if entry.activated {
                        format!("activated ({})", entry.instance_count)
                    } else {
                        match entry.deployability.status {
                            DeployabilityStatus::Deployable => "available".to_owned(),
                            DeployabilityStatus::ContactVendor => "contact us".to_owned(),
                            // Not deployable, or a status newer than this SDK.
                            _ => "not available".to_owned(),
                        }
                    };
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&entry.name),
                        escape(&entry.category),
                        escape(&entry.description),
                        escape(&state)
                    )
                })
                .collect();
            format!(
                r#"<p>Signed in as {user}. <form method="post" action="/logout" style="display:inline"><button>Sign out</button></form></p>
<table><thead><tr><th scope="col">Integration</th><th scope="col">Category</th><th scope="col">Description</th><th scope="col">State</th></tr></thead>
<tbody>{rows}</tbody></table>
<p>Rendered server-side by the Rust SDK. A JavaScript frontend gets its token from <a href="/token">/token</a>.</p>"#
            )
        }
        Err(error) => format!(
            "<p role=\"alert\">The marketplace failed: {}</p>",
            escape(&error.to_string())
        ),
    };
    page("Integrations", &body)
}

/// The login form's body.
#[derive(Deserialize)]
struct Login {
    user: String,
}

/// Signs a user in (a stub: no password).
async fn login(Form(login): Form<Login>) -> Response {
    if !USERS.iter().any(|u| u.0 == login.user) {
        return (StatusCode::BAD_REQUEST, "unknown user").into_response();
    }
    let cookie = format!("{COOKIE}={}; Path=/; HttpOnly; SameSite=Lax", login.user);
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// Signs out.
async fn logout() -> Response {
    let cookie = format!("{COOKIE}=; Path=/; Max-Age=0");
    ([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response()
}

/// `GET /token`: a fresh embedded token for the signed-in user, for the host's frontends.
async fn token(State(host): State<Arc<Host>>, headers: HeaderMap) -> Response {
    match signed_in(&headers).and_then(|user| host.token_for(user)) {
        Some(token) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(serde_json::json!({"token": token})),
        )
            .into_response(),
        None => (StatusCode::UNAUTHORIZED, "sign in first").into_response(),
    }
}

/// A page of the host app.
fn page(title: &str, body: &str) -> Response {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} · Acme Cloud (Rust host)</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:900px;margin:32px auto;padding:0 16px}}
table{{border-collapse:collapse;width:100%}}th,td{{text-align:left;border-bottom:1px solid #e5e7eb;padding:6px 8px}}</style></head>
<body><h1>{title}</h1>{body}</body></html>"#
    ))
    .into_response()
}

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
