//! A small OAuth2 provider on loopback for the connection tests: `/authorize` redirects with a
//! code (or `error=access_denied` when told to deny), `/token` answers the authorization_code
//! grant (checking PKCE S256, the redirect URI and the client) and the refresh_token grant
//! (rotating refresh tokens; `invalid_grant` once revoked), and `/api` is a protected endpoint
//! answering 401 to any token but the latest.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The client the provider knows.
pub(crate) const CLIENT_ID: &str = "marketplace-app";
/// Its secret.
pub(crate) const CLIENT_SECRET: &str = "app-SECRET-4242";

/// What the provider saw, and switches the tests flip.
#[derive(Default)]
pub(crate) struct Provider {
    /// Codes issued: code → (code_challenge, redirect_uri, scope).
    codes: Mutex<HashMap<String, (String, String, String)>>,
    /// The refresh token that is valid now.
    refresh_token: Mutex<Option<String>>,
    /// The access token that is valid now.
    access_token: Mutex<Option<String>>,
    /// Requests to `/token`, by grant.
    pub(crate) token_requests: AtomicUsize,
    /// Refresh grants answered.
    pub(crate) refreshes: AtomicUsize,
    /// Whether `/authorize` denies.
    pub(crate) deny: AtomicBool,
    /// Whether the grant is revoked (refresh answers `invalid_grant`).
    pub(crate) revoked: AtomicBool,
    /// The `expires_in` of issued tokens.
    pub(crate) expires_in: AtomicI64,
    /// A counter for token values.
    issued: AtomicUsize,
    /// The last `/token` form, decoded.
    pub(crate) last_form: Mutex<HashMap<String, String>>,
}

impl Provider {
    /// The access token that `/api` accepts now.
    pub(crate) fn access_token(&self) -> Option<String> {
        self.access_token.lock().unwrap().clone()
    }

    /// Makes the current access token invalid (as a provider-side rotation would).
    pub(crate) fn invalidate_access_token(&self) {
        *self.access_token.lock().unwrap() = Some("nobody-has-this".into());
    }

    fn issue(&self) -> (String, String) {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let (access, refresh) = (format!("access-{n}"), format!("refresh-{n}"));
        *self.access_token.lock().unwrap() = Some(access.clone());
        *self.refresh_token.lock().unwrap() = Some(refresh.clone());
        (access, refresh)
    }
}

/// Starts the provider on 127.0.0.1:0: its base URL and its state.
pub(crate) async fn start() -> (String, Arc<Provider>) {
    let provider = Arc::new(Provider::default());
    provider.expires_in.store(3600, Ordering::SeqCst);
    let app = axum::Router::new()
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .route("/api", axum::routing::any(api))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, provider)
}

async fn authorize(
    State(provider): State<Arc<Provider>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let redirect = get("redirect_uri");
    let state = get("state");
    let sep = if redirect.contains('?') { '&' } else { '?' };
    if get("response_type") != "code"
        || get("client_id") != CLIENT_ID
        || get("code_challenge_method") != "S256"
        || get("code_challenge").is_empty()
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    if provider.deny.load(Ordering::SeqCst) {
        let location = format!(
            "{redirect}{sep}error=access_denied&error_description=the+user+said+no&state={state}"
        );
        return Redirect::to(&location).into_response();
    }
    let code = format!("code-{}", provider.issued.load(Ordering::SeqCst) + 100);
    provider.codes.lock().unwrap().insert(
        code.clone(),
        (get("code_challenge"), redirect.clone(), get("scope")),
    );
    Redirect::to(&format!("{redirect}{sep}code={code}&state={state}")).into_response()
}

fn oauth_error(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

async fn token(
    State(provider): State<Arc<Provider>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    provider.token_requests.fetch_add(1, Ordering::SeqCst);
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    *provider.last_form.lock().unwrap() = form.clone();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let by_basic = headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&basic);
    let by_post = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
    if !by_basic && !by_post {
        return oauth_error("invalid_client", "unknown client");
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (access, refresh, scope) = match get("grant_type").as_str() {
        "authorization_code" => {
            let Some((challenge, redirect, scope)) =
                provider.codes.lock().unwrap().remove(&get("code"))
            else {
                return oauth_error("invalid_grant", "unknown code");
            };
            if redirect != get("redirect_uri") {
                return oauth_error("invalid_grant", "redirect_uri mismatch");
            }
            if !marketplace_core::sso::pkce_s256_matches(&get("code_verifier"), &challenge) {
                return oauth_error("invalid_grant", "PKCE verification failed");
            }
            let (access, refresh) = provider.issue();
            (access, refresh, scope)
        }
        "refresh_token" => {
            if provider.revoked.load(Ordering::SeqCst) {
                return oauth_error("invalid_grant", "the grant was revoked");
            }
            let current = provider.refresh_token.lock().unwrap().clone();
            if current.as_deref() != Some(get("refresh_token").as_str()) {
                return oauth_error("invalid_grant", "stale refresh token");
            }
            provider.refreshes.fetch_add(1, Ordering::SeqCst);
            let (access, refresh) = provider.issue();
            (access, refresh, "contacts.read".to_owned())
        }
        _ => return oauth_error("unsupported_grant_type", "no"),
    };
    axum::Json(
        json!({"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
        "expires_in": provider.expires_in.load(Ordering::SeqCst), "scope": scope}),
    )
    .into_response()
}

async fn api(State(provider): State<Arc<Provider>>, headers: HeaderMap, body: String) -> Response {
    let expected = provider.access_token().map(|t| format!("Bearer {t}"));
    let got = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if expected.is_none() || got != expected {
        return (StatusCode::UNAUTHORIZED, "bad token").into_response();
    }
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    axum::Json(json!({"ok": true, "got": body, "auth": got})).into_response()
}
