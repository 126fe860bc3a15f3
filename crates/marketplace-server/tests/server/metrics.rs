//! `GET /metrics`: behind its bearer token on the public listener (`--metrics-token`), open on
//! its own listener (`--metrics-listen`) and absent from the public one without a token; the
//! series move with requests, activations and token checks; the gauges of queues and pools are
//! set when scraped. The recorder is per process and tests run side by side, so counters are
//! compared as at least what this test did. Backend-independent: SQLite only.

use super::common::{Backend, TestServer, orders_config, sink};
use marketplace_server::Settings;
use reqwest::{Method, StatusCode};
use serde_json::json;

const TOKEN: &str = "scrape-secret-1";

/// The value of one series (`name{labels}` exactly as rendered), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.trim().parse().unwrap())
}

async fn scrape(server: &TestServer) -> String {
    let response = server
        .client
        .get(format!("{}/metrics", server.base))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    response.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_follow_requests_activations_and_token_checks() {
    let server = TestServer::start_with(Backend::Sqlite, |s| Settings {
        metrics_token: Some(TOKEN.into()),
        ..s
    })
    .await;

    // Without the token, or with another: 401.
    for token in [None, Some("scrape-secret-2")] {
        let mut request = server.client.get(format!("{}/metrics", server.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let problem: serde_json::Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "invalid_metrics_token");
    }

    let before = scrape(&server).await;
    let id = server.orders_listed(true).await;
    let token = server.token("metrics-co", "u1", "admin");
    server
        .activate(&token, &id, orders_config(&sink().await))
        .await;
    let (status, _) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": id, "config": {"endpoint": "not a url"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    assert_eq!(status, StatusCode::OK);
    let after = scrape(&server).await;

    let grew = |series: &str| sample(&after, series) - sample(&before, series);
    assert!(
        grew(r#"marketplace_activations_total{result="activated"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        grew(r#"marketplace_activations_total{result="refused"}"#) >= 1.0,
        "{after}"
    );
    // The first use of the token verifies it; the next ones find it in the cache.
    assert!(
        grew(r#"marketplace_token_cache_total{result="miss"}"#) >= 1.0,
        "{after}"
    );
    assert!(
        grew(r#"marketplace_token_cache_total{result="hit"}"#) >= 2.0,
        "{after}"
    );
    // Requests by route template and status, as a histogram whose count counts them.
    let created = r#"http_request_duration_seconds_count{method="POST",route="/api/v1/embedded/instances",status="201"}"#;
    assert!(grew(created) >= 1.0, "{after}");
    let catalog = r#"http_request_duration_seconds_bucket{method="GET",route="/api/v1/embedded/marketplace",status="200",le="10"}"#;
    assert!(grew(catalog) >= 1.0, "{after}");
    // Gauges read at the scrape: both queues, both pools.
    for series in [
        r#"marketplace_queue_depth{queue="event_deliveries"}"#,
        r#"marketplace_queue_depth{queue="notifications"}"#,
        r#"marketplace_queue_oldest_due_seconds{queue="event_deliveries"}"#,
        r#"marketplace_db_pool_connections{pool="read",state="idle"}"#,
        r#"marketplace_db_pool_max_connections{pool="write"}"#,
    ] {
        assert!(
            after.lines().any(|l| l.starts_with(series)),
            "{series} missing:\n{after}"
        );
    }
    assert_eq!(
        sample(
            &after,
            r#"marketplace_db_pool_max_connections{pool="write"}"#
        ),
        1.0,
        "one writer on SQLite"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_listen_serves_metrics_apart_from_the_api() {
    use super::durability::{free_port, init_organization, serve_with};
    let (database_url, _dir) = super::common::fresh_database(Backend::Sqlite).await;
    init_organization(&database_url);
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_listen = format!("127.0.0.1:{metrics_port}");
    let _server = serve_with(&database_url, port, &["--metrics-listen", &metrics_listen]).await;
    let client = reqwest::Client::new();

    // The public listener has no /metrics without a metrics token.
    let public = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    // The metrics listener serves them, without a token, and only them.
    let text = client
        .get(format!("http://{metrics_listen}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let healthz =
        r#"http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}"#;
    assert!(sample(&text, healthz) >= 1.0, "{text}");
    assert!(
        text.contains(r#"marketplace_queue_depth{queue="event_deliveries"} 0"#),
        "{text}"
    );
    let other = client
        .get(format!("http://{metrics_listen}/api/v1/integrations"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
}
