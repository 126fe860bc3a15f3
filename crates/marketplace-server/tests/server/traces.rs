//! Traces (a build with the `otel` feature): the real binary exports its spans over OTLP/HTTP
//! (JSON encoding) to a collector this test runs on loopback. One admin request gives a trace
//! whose root is the request span (named by its route, carrying the request id), with the
//! service call under it and the SQL statement under that.

use super::common::{Backend, fresh_database};
use super::durability::{free_port, init_organization, ready, serve_command, spawn};
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The spans a collector received, flattened out of their resource and scope batches.
type Received = Arc<Mutex<Vec<Value>>>;

/// A collector on loopback: `POST /v1/traces` with OTLP JSON bodies; its base URL.
async fn collector(received: Received) -> String {
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: axum::Json<Value>| {
            let received = received.clone();
            async move {
                let mut spans = received.lock().unwrap();
                for resource in body["resourceSpans"].as_array().into_iter().flatten() {
                    for scope in resource["scopeSpans"].as_array().into_iter().flatten() {
                        spans.extend(scope["spans"].as_array().into_iter().flatten().cloned());
                    }
                }
                axum::Json(json!({}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

/// A span's string or integer attribute.
fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_object())
        .and_then(|v| v.values().next())
}

// Two threads: the collector answers while the test waits for the process to exit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_exports_its_span_the_service_call_and_the_sql_statement() {
    let (url, _dir) = fresh_database(Backend::Sqlite).await;
    let (_, api_key) = init_organization(&url);
    let received = Received::default();
    let endpoint = collector(received.clone()).await;
    let port = free_port();
    let mut command = serve_command(&url, port, &[]);
    command
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")
        .env("OTEL_SERVICE_NAME", "traced-marketplace");
    let mut server = ready(spawn(command), port).await;

    let created = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/api/v1/integrations"))
        .bearer_auth(&api_key)
        .header("x-request-id", "trace-test-0001")
        .json(&json!({"name": "Traced"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);
    // SIGTERM: the process exports the spans it still holds before it exits.
    server.terminate();
    assert!(server.exit_within(Duration::from_secs(20)).is_some());

    let spans = received.lock().unwrap().clone();
    let request = spans
        .iter()
        .find(|s| attribute(s, "request_id") == Some(&json!("trace-test-0001")))
        .unwrap_or_else(|| panic!("no span with the request id among {} spans", spans.len()));
    assert_eq!(request["name"], "POST /api/v1/integrations", "{request:#}");
    // An integer attribute: OTLP JSON writes 64-bit integers as strings.
    let status = attribute(request, "http.response.status_code").map(|v| v.to_string());
    assert_eq!(status.as_deref().map(|s| s.trim_matches('"')), Some("201"));
    let trace = &request["traceId"];
    let child_of = |parent: &Value, name: &str| {
        spans
            .iter()
            .find(|s| {
                s["traceId"] == *trace && s["parentSpanId"] == parent["spanId"] && s["name"] == name
            })
            .cloned()
    };
    let call = child_of(request, "integrations::create")
        .expect("the service call is a child of the request span");
    let statement = spans
        .iter()
        .find(|s| {
            s["traceId"] == *trace
                && s["parentSpanId"] == call["spanId"]
                && s["name"] == "sql"
                && attribute(s, "db.operation.name") == Some(&json!("INSERT"))
        })
        .expect("an INSERT statement is a child of the service call");
    assert_eq!(
        attribute(statement, "db.collection.name"),
        Some(&json!("integrations"))
    );
}
