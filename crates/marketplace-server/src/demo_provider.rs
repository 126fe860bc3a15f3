//! Orbit CRM, the demo's OAuth provider: a third party that the demo's "Orbit CRM" integration
//! connects to with an OAuth2 authorization-code connection (docs/connections.md), served by the
//! demo host under `/demo/oauth/` so that **Connect** works with nothing to register.
//!
//! What a real provider does, in small: a consent page (Allow / Deny), the token endpoint
//! (authorization code with the PKCE S256 check, refresh with rotated refresh tokens,
//! `invalid_grant` once revoked), an account page listing the connected apps with **Revoke
//! access**, and an API the integration's flow delivers to (401 to a stale or revoked token).
//! Everything lives in memory: restarting the demo revokes every grant.

use crate::crypto::random_secret;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The demo app's client id at Orbit CRM.
pub const CLIENT_ID: &str = "acme-cloud-marketplace";
/// The demo app's client secret at Orbit CRM (a demo: known to whoever reads this).
pub const CLIENT_SECRET: &str = "orbit-demo-client-secret";
/// Access tokens live an hour, as at most providers.
const ACCESS_SECONDS: u64 = 3600;

/// A consent the user has not answered yet.
#[derive(Debug, Clone)]
struct Request {
    redirect_uri: String,
    state: String,
    code_challenge: String,
    scope: String,
}

/// An issued code, redeemable once.
#[derive(Debug)]
struct Code {
    grant: usize,
    redirect_uri: String,
    code_challenge: String,
}

/// A user's consent: the tokens issued under it die with it.
#[derive(Debug)]
struct Grant {
    scope: String,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Books {
    requests: HashMap<String, Request>,
    codes: HashMap<String, Code>,
    grants: Vec<Grant>,
    access: HashMap<String, usize>,
    refresh: HashMap<String, usize>,
}

/// The provider: its redirect URI (the service's callback) and its books.
#[derive(Debug)]
struct Provider {
    redirect_uri: String,
    books: Mutex<Books>,
}

impl Provider {
    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Orbit CRM's routes, under `/demo/oauth/`; `service_url` is the marketplace
/// service's public URL, whose `/oauth2/callback` is the app's registered redirect URI.
pub fn router(service_url: &str) -> Router {
    let provider = Arc::new(Provider {
        redirect_uri: format!("{service_url}/oauth2/callback"),
        books: Mutex::default(),
    });
    Router::new()
        .route("/demo/oauth/", get(account))
        .route("/demo/oauth/authorize", get(authorize))
        .route("/demo/oauth/decide", post(decide))
        .route("/demo/oauth/token", post(token))
        .route("/demo/oauth/grants/{grant}/revoke", post(revoke))
        .route("/demo/oauth/api", post(api))
        .with_state(provider)
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:420px;margin:32px auto;padding:0 16px;color:#1f2937}}
h1{{font-size:1.3rem}}button{{font:inherit;padding:8px 16px;margin-right:8px;border-radius:6px;border:1px solid #9ca3af;background:#fff;cursor:pointer}}
button.primary{{background:#0f766e;border-color:#0f766e;color:#fff}}li{{margin:8px 0}}</style></head>
<body><p><strong>Orbit CRM</strong> (the demo's OAuth provider)</p>{body}</body></html>"#
    ))
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        page(
            "Orbit CRM: bad request",
            &format!(
                "<h1>Bad request</h1><p>{}</p>",
                ammonia::clean_text(message)
            ),
        ),
    )
        .into_response()
}

/// `GET /authorize?response_type=code&client_id&redirect_uri&state&scope&code_challenge&code_challenge_method=S256`:
/// the consent page.
async fn authorize(
    State(provider): State<Arc<Provider>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).cloned().unwrap_or_default();
    if field("client_id") != CLIENT_ID {
        return bad_request("unknown client_id");
    }
    if field("redirect_uri") != provider.redirect_uri {
        return bad_request("redirect_uri is not the one registered for this app");
    }
    if field("response_type") != "code" || field("code_challenge_method") != "S256" {
        return bad_request("only response_type=code with a code_challenge (S256) is supported");
    }
    if field("code_challenge").is_empty() || field("state").is_empty() {
        return bad_request("code_challenge and state are required");
    }
    let id = random_secret(24);
    let scope = field("scope");
    let scopes: String = scope
        .split_whitespace()
        .map(|s| format!("<li><code>{}</code></li>", ammonia::clean_text(s)))
        .collect();
    provider.books().requests.insert(
        id.clone(),
        Request {
            redirect_uri: field("redirect_uri"),
            state: field("state"),
            code_challenge: field("code_challenge"),
            scope,
        },
    );
    page(
        "Orbit CRM: allow access?",
        &format!(
            r#"<h1>Allow Acme Cloud to use your Orbit CRM account?</h1>
<p>It asks for:</p><ul>{scopes}</ul>
<form method="post" action="decide"><input type="hidden" name="request" value="{id}">
<button class="primary" name="decision" value="allow">Allow</button>
<button name="decision" value="deny">Deny</button></form>"#
        ),
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
struct Decision {
    request: String,
    decision: String,
}

/// `POST /decide`: back to the app's redirect URI with a code, or with `access_denied`.
async fn decide(State(provider): State<Arc<Provider>>, Form(form): Form<Decision>) -> Response {
    let mut books = provider.books();
    let Some(request) = books.requests.remove(&form.request) else {
        return bad_request("this consent was already answered");
    };
    let mut target = match url::Url::parse(&request.redirect_uri) {
        Ok(url) => url,
        Err(_) => return bad_request("the redirect URI is not a URL"),
    };
    if form.decision == "allow" {
        books.grants.push(Grant {
            scope: request.scope.clone(),
            revoked: false,
        });
        let code = random_secret(24);
        let grant = books.grants.len() - 1;
        books.codes.insert(
            code.clone(),
            Code {
                grant,
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
            },
        );
        target.query_pairs_mut().append_pair("code", &code);
    } else {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "The user denied access to Orbit CRM");
    }
    target
        .query_pairs_mut()
        .append_pair("state", &request.state);
    Redirect::to(target.as_str()).into_response()
}

/// An OAuth error answer (RFC 6749 §5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// The client's credentials: HTTP Basic, or `client_id`/`client_secret` in the form.
fn client_authenticated(headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    basic.is_some_and(|b| b == expected)
        || (form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
            && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET))
}

/// `POST /token`: `authorization_code` (with the PKCE check) or `refresh_token` (rotated).
async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !client_authenticated(&headers, &form) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong secret",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut books = provider.books();
    let grant = match field("grant_type") {
        "authorization_code" => {
            let Some(code) = books.codes.remove(field("code")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown or used code",
                );
            };
            let verified = marketplace_core::sso::pkce_s256_matches(
                field("code_verifier"),
                &code.code_challenge,
            );
            if code.redirect_uri != field("redirect_uri") || !verified {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "redirect_uri or code_verifier does not match",
                );
            }
            code.grant
        }
        "refresh_token" => {
            let Some(grant) = books.refresh.remove(field("refresh_token")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "unknown refresh token",
                );
            };
            grant
        }
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "authorization_code or refresh_token",
            );
        }
    };
    let Some(scope) = books
        .grants
        .get(grant)
        .filter(|g| !g.revoked)
        .map(|g| g.scope.clone())
    else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "access was revoked by the user",
        );
    };
    let (access, refresh) = (random_secret(24), random_secret(24));
    books.access.insert(access.clone(), grant);
    books.refresh.insert(refresh.clone(), grant);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(
            json!({"access_token": access, "token_type": "Bearer", "expires_in": ACCESS_SECONDS,
                    "refresh_token": refresh, "scope": scope}),
        ),
    )
        .into_response()
}

/// `GET /`: the user's account page, listing the apps they connected, each with **Revoke access**.
async fn account(State(provider): State<Arc<Provider>>) -> Html<String> {
    let books = provider.books();
    let rows: String = books
        .grants
        .iter()
        .enumerate()
        .filter(|(_, g)| !g.revoked)
        .map(|(i, g)| {
            format!(
                r#"<li>Acme Cloud (<code>{}</code>) <form method="post" action="grants/{i}/revoke" style="display:inline"><button>Revoke access</button></form></li>"#,
                ammonia::clean_text(&g.scope)
            )
        })
        .collect();
    let list = if rows.is_empty() {
        "<p>No connected apps.</p>".to_owned()
    } else {
        format!("<ul>{rows}</ul>")
    };
    page(
        "Orbit CRM: connected apps",
        &format!("<h1>Connected apps</h1>{list}"),
    )
}

/// `POST /grants/{grant}/revoke`: the user withdraws their consent; its tokens stop working.
async fn revoke(State(provider): State<Arc<Provider>>, Path(grant): Path<usize>) -> Response {
    if let Some(g) = provider.books().grants.get_mut(grant) {
        g.revoked = true;
    }
    Redirect::to("/demo/oauth/").into_response()
}

/// `POST /api`: what the integration's flow delivers to; 401 without a live access token.
async fn api(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let books = provider.books();
    let live = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|token| books.access.get(token))
        .and_then(|grant| books.grants.get(*grant))
        .is_some_and(|g| !g.revoked);
    if live {
        Json(json!({"received": true})).into_response()
    } else {
        oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is unknown or revoked",
        )
    }
}
