//! Webhook triggers and the flow runner, against a real HTTP receiver on loopback.

use super::common::{Backend, TestServer, orders_config};
use crate::on_both_backends;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_backends!(
    webhook_runs_the_flow_with_retries,
    oauth2_client_credentials_authorise_deliveries
);

/// What the receiver saw: (path, authorization header, body).
type Seen = Arc<Mutex<Vec<(String, String, String)>>>;

/// A receiver on loopback: `/in` fails `failures` times with 503 + `Retry-After: 1`, then 200;
/// `/token` answers an OAuth2 token.
async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let state = (seen.clone(), Arc::new(Mutex::new(failures)));
    let app = axum::Router::new()
        .route(
            "/in",
            axum::routing::any(|State((seen, left)): State<(Seen, Arc<Mutex<usize>>)>, headers: HeaderMap, body: String| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().push(("/in".into(), auth, body));
                let mut left = left.lock().unwrap();
                if *left > 0 {
                    *left -= 1;
                    (AxumStatus::SERVICE_UNAVAILABLE, [("retry-after", "1")], "busy")
                } else {
                    (AxumStatus::OK, [("retry-after", "0")], "ok")
                }
            }),
        )
        .route(
            "/token",
            axum::routing::post(|State((seen, _)): State<(Seen, Arc<Mutex<usize>>)>, headers: HeaderMap, body: String| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                seen.lock().unwrap().push(("/token".into(), auth, body));
                axum::Json(json!({"access_token": "at-from-token-endpoint", "token_type": "Bearer", "expires_in": 3600}))
            }),
        )
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

/// Polls an execution until it finishes.
async fn finished(server: &TestServer, execution_id: &str) -> Value {
    for _ in 0..100 {
        let (_, list) = server.admin_get("/api/v1/executions?limit=200").await;
        if let Some(e) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == execution_id)
            && e["finished_at"].is_string()
        {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("execution {execution_id} did not finish");
}

async fn webhook_runs_the_flow_with_retries(server: TestServer) {
    let (receiver_base, seen) = receiver(1).await;
    let id = server.orders_listed(true).await;
    let instance = server
        .activate(
            &server.token("acme", "ada", "admin"),
            &id,
            orders_config(&format!("{receiver_base}/in")),
        )
        .await;
    let url = instance["webhook_urls"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    let response = server
        .client
        .post(&url)
        .json(&json!({"order": {"id": 7}, "addr": {"cc": "DE"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: Value = response.json().await.unwrap();
    let execution = finished(&server, accepted["execution_id"].as_str().unwrap()).await;
    assert_eq!(
        (execution["status"].as_str(), execution["attempts"].as_i64()),
        (Some("succeeded"), Some(2)),
        "{execution}"
    );
    assert_eq!(execution["trigger"], "webhook");
    let steps: Vec<&str> = execution["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["receive", "map", "deliver"]);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 2, "one retry after the 503");
        let (_, auth, body) = &seen[1];
        assert_eq!(auth, "Bearer key-SECRET-0001");
        let body: Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            body,
            json!({"order_id": 7, "source": "shop", "country": "Germany"})
        );
    }

    // Logs and executions answer every filter.
    let instance_id = instance["id"].as_str().unwrap();
    let (_, warnings) = server
        .admin_get(&format!(
            "/api/v1/logs?severity=warn&q=ATTEMPT&instance_id={instance_id}"
        ))
        .await;
    assert_eq!(warnings["items"].as_array().unwrap().len(), 1, "{warnings}");
    assert!(!warnings.to_string().contains("SECRET"));
    let (_, none) = server
        .admin_get("/api/v1/logs?since=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    let (_, all) = server
        .admin_get("/api/v1/logs?until=2999-01-01T00:00:00Z&type=delivery&version=1.0.0")
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    let (status, _) = server.admin_get("/api/v1/logs?since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, executions) = server
        .admin_get(&format!(
            "/api/v1/executions?status=succeeded&integration_id={id}&type=webhook"
        ))
        .await;
    assert_eq!(executions["items"].as_array().unwrap().len(), 1);
    let token = server.token("acme", "ada", "viewer");
    let (status, own) = server
        .embedded_get(
            &token,
            &format!("/api/v1/embedded/instances/{instance_id}/executions"),
        )
        .await;
    assert_eq!(
        (status, own["items"].as_array().unwrap().len()),
        (StatusCode::OK, 1)
    );

    // A test run from the embedded API runs now and answers the execution.
    let admin_token = server.token("acme", "ada", "admin");
    let (status, run) = server
        .embedded(
            &admin_token,
            Method::POST,
            &format!("/api/v1/embedded/instances/{instance_id}/test"),
            Some(json!({"input": {"order": {"id": 8}}})),
        )
        .await;
    assert_eq!(
        (status, run["status"].as_str(), run["trigger"].as_str()),
        (StatusCode::OK, Some("succeeded"), Some("test")),
        "{run}"
    );

    // Unknown secrets are 404; a paused instance does not run.
    let (status, _) = server
        .call(
            None,
            Method::POST,
            "/webhooks/not-a-secret",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{instance_id}/pause"),
            None,
        )
        .await;
    let response = server
        .client
        .post(&url)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

async fn oauth2_client_credentials_authorise_deliveries(server: TestServer) {
    let (receiver_base, seen) = receiver(0).await;
    let version = json!({"version": "1.0.0", "config": {"pages": [{"title": "P", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url", "required": true},
            {"key": "oauth", "label": "OAuth", "type": "connection", "connection": {"kind": "oauth2_client_credentials"}, "required": true}]}]},
        "flows": [{"name": "push", "trigger": "webhook", "deliver": {"url": "endpoint", "connection": "oauth", "method": "PUT"}}]});
    let id = server
        .listed_integration(
            "OAuth",
            version,
            json!({"customer_deployable": true, "allow_multiple_instances": true}),
        )
        .await;
    let config = json!({"endpoint": format!("{receiver_base}/in"),
        "oauth": {"token_url": format!("{receiver_base}/token"), "client_id": "cid", "client_secret": "csecret", "scopes": "orders:write"}});
    let instance = server
        .activate(&server.token("acme", "ada", "admin"), &id, config)
        .await;
    let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
    let accepted: Value = server
        .client
        .post(url)
        .body("plain text")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let execution = finished(&server, accepted["execution_id"].as_str().unwrap()).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    let seen = seen.lock().unwrap();
    let token_call = seen
        .iter()
        .find(|s| s.0 == "/token")
        .expect("the token endpoint was called");
    assert!(
        token_call.1.starts_with("Basic "),
        "client credentials in basic auth"
    );
    assert!(
        token_call.2.contains("grant_type=client_credentials")
            && token_call.2.contains("scope=orders%3Awrite"),
        "{}",
        token_call.2
    );
    let delivery = seen.iter().find(|s| s.0 == "/in").expect("delivered");
    assert_eq!(delivery.1, "Bearer at-from-token-endpoint");
    assert_eq!(
        serde_json::from_str::<Value>(&delivery.2).unwrap(),
        json!({"body": "plain text"})
    );
}

/// Deliveries refuse loopback and private targets unless the service allows them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_targets_are_refused_by_default() {
    let server = TestServer::start_with(Backend::Sqlite, |s| marketplace_server::Settings {
        allow_private_targets: false,
        ..s
    })
    .await;
    let (receiver_base, seen) = receiver(0).await;
    let id = server.orders_listed(true).await;
    let instance = server
        .activate(
            &server.token("acme", "ada", "admin"),
            &id,
            orders_config(&format!("{receiver_base}/in")),
        )
        .await;
    let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
    let accepted: Value = server
        .client
        .post(url)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let execution = finished(&server, accepted["execution_id"].as_str().unwrap()).await;
    assert_eq!(execution["status"], "failed");
    assert!(
        execution["steps"][2]["error"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{execution}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing reached the loopback receiver"
    );
}
