//! The OAuth2 client-credentials token cache against a real token endpoint on loopback.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use base64::Engine;
use marketplace_server::egress;
use marketplace_server::service::oauth_client::{ClientCredentials, TokenCache};
use serde_json::json;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the token endpoint saw and answers.
#[derive(Default)]
struct Endpoint {
    /// Token requests with valid client credentials.
    fetches: AtomicUsize,
    /// The `expires_in` it answers.
    expires_in: AtomicI64,
    /// The last form body.
    form: Mutex<String>,
}

/// A token endpoint on 127.0.0.1 accepting client `id` with secret `secret` (HTTP Basic); it
/// answers `t1`, `t2`, ... slowly, so concurrent callers overlap.
async fn token_endpoint(expires_in: i64) -> (String, Arc<Endpoint>) {
    let endpoint = Arc::new(Endpoint::default());
    endpoint.expires_in.store(expires_in, Ordering::SeqCst);
    let app = axum::Router::new()
        .route(
            "/token",
            axum::routing::post(
                |State(endpoint): State<Arc<Endpoint>>, headers: HeaderMap, body: String| async move {
                    let basic = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD.encode("id:secret")
                    );
                    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&basic) {
                        let error = json!({"error": "invalid_client", "error_description": "bad secret"});
                        return (StatusCode::UNAUTHORIZED, axum::Json(error)).into_response();
                    }
                    *endpoint.form.lock().unwrap() = body;
                    let n = endpoint.fetches.fetch_add(1, Ordering::SeqCst) + 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    axum::Json(json!({
                        "access_token": format!("t{n}"),
                        "token_type": "bearer",
                        "expires_in": endpoint.expires_in.load(Ordering::SeqCst),
                    }))
                    .into_response()
                },
            ),
        )
        .with_state(endpoint.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/token", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, endpoint)
}

const NOW: i64 = 1_700_000_000_000;

/// `calls` concurrent `token()` calls for one key at `now_ms`; their tokens.
async fn concurrently(
    cache: &Arc<TokenCache>,
    url: &str,
    calls: usize,
    now_ms: i64,
) -> Vec<String> {
    let http = egress::client(true);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..calls {
        let (cache, http, url) = (cache.clone(), http.clone(), url.to_owned());
        tasks.spawn(async move {
            let credentials = ClientCredentials {
                token_url: &url,
                client_id: "id",
                client_secret: "secret",
                scope: Some("events:write"),
            };
            cache
                .token(&http, ("ec_1", 3), &credentials, now_ms)
                .await
                .unwrap()
        });
    }
    tasks.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_share_one_fetch_until_invalidated() {
    let (url, endpoint) = token_endpoint(3600).await;
    let cache = Arc::new(TokenCache::new(true));
    let tokens = concurrently(&cache, &url, 20, NOW).await;
    assert_eq!(tokens, vec!["t1"; 20]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 1);
    let form = endpoint.form.lock().unwrap().clone();
    assert!(form.contains("grant_type=client_credentials"), "{form}");
    assert!(form.contains("scope=events%3Awrite"), "{form}");

    // Cached until 60 s before expiry.
    let later = NOW + (3600 - 61) * 1000;
    assert_eq!(concurrently(&cache, &url, 1, later).await, ["t1"]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(concurrently(&cache, &url, 1, later + 2000).await, ["t2"]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 2);

    cache.invalidate(("ec_1", 3));
    assert_eq!(concurrently(&cache, &url, 5, later + 2000).await, ["t3"; 5]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_living_less_than_the_margin_is_fetched_again_on_the_next_call() {
    let (url, endpoint) = token_endpoint(30).await;
    let cache = Arc::new(TokenCache::new(true));
    // Callers that waited for the fetch still share it.
    assert_eq!(concurrently(&cache, &url, 10, NOW).await, ["t1"; 10]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(concurrently(&cache, &url, 1, NOW + 1000).await, ["t2"]);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_error_answer_names_its_status() {
    let (url, endpoint) = token_endpoint(3600).await;
    let cache = TokenCache::new(true);
    let credentials = ClientCredentials {
        token_url: &url,
        client_id: "id",
        client_secret: "wrong",
        scope: None,
    };
    let error = cache
        .token(&egress::client(true), ("ec_1", 1), &credentials, NOW)
        .await
        .unwrap_err();
    assert!(error.message.contains("401"), "{error}");
    assert!(error.message.contains("invalid_client"), "{error}");
    assert!(!error.blocked);
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_private_token_endpoint_is_refused_unless_allowed() {
    let (url, endpoint) = token_endpoint(3600).await;
    let credentials = ClientCredentials {
        token_url: &url,
        client_id: "id",
        client_secret: "secret",
        scope: None,
    };
    let error = TokenCache::default()
        .token(&egress::client(true), ("ec_1", 1), &credentials, NOW)
        .await
        .unwrap_err();
    assert!(error.blocked, "{error}");
    assert_eq!(endpoint.fetches.load(Ordering::SeqCst), 0);
}
