//! The guarded outbound client against a real listener on loopback.

use axum::http::StatusCode;
use marketplace_server::egress::{self, SendError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A listener on 127.0.0.1: `/` answers 200, `/moved` redirects to `/`; returns its port and how
/// many requests it saw.
async fn listener() -> (u16, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "ok" }))
        .route(
            "/moved",
            axum::routing::get(|| async { (StatusCode::FOUND, [("location", "/")]) }),
        )
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (port, hits)
}

#[tokio::test]
async fn the_guard_refuses_loopback_by_address_and_by_name() {
    let (port, hits) = listener().await;
    let client = egress::client(false);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let error = egress::send(&client, client.get(&url), false)
            .await
            .expect_err(&url);
        assert!(error.is_blocked(), "{url}: {error}");
        assert!(matches!(error, SendError::Blocked(_)), "{url}");
    }
    // Without `send`, the resolver alone refuses a name that resolves to loopback.
    let error = client
        .get(format!("http://localhost:{port}/"))
        .send()
        .await
        .unwrap_err();
    assert!(egress::is_blocked(&error), "{error:?}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing reached the listener"
    );
}

#[tokio::test]
async fn allowing_private_targets_reaches_loopback() {
    let (port, hits) = listener().await;
    let client = egress::client(true);
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("http://localhost:{port}/"),
    ] {
        let response = egress::send(&client, client.get(&url), true)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(response.status(), StatusCode::OK, "{url}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (port, hits) = listener().await;
    let client = egress::client(true);
    let url = format!("http://127.0.0.1:{port}/moved");
    let response = egress::send(&client, client.get(&url), true).await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn transport_errors_are_not_blocks_and_name_no_url() {
    // A port nothing listens on: bind, read the port, close.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = egress::client(true);
    let url = format!("http://127.0.0.1:{port}/?secret=s3cr3t");
    let error = egress::send(&client, client.get(&url), true)
        .await
        .unwrap_err();
    assert!(!error.is_blocked(), "{error}");
    assert!(!error.to_string().contains("s3cr3t"), "{error}");
}
