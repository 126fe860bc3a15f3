//! Flows beyond one instance's webhook: shared webhook triggers routed to customers, step
//! records with secrets redacted, and scheduled flows (run once per tick across processes).

use super::common::{TestServer, master_key, test_settings};
use crate::on_both_backends;
use axum::http::HeaderMap;
use marketplace_server::AppState;
use marketplace_server::config::StorageArgs;
use marketplace_server::service::scheduler::{Scheduler, run_scheduler};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    shared_webhooks_route_calls_to_active_instances,
    step_records_redact_secrets_and_cap_large_values,
    scheduled_flows_run_each_tick_once,
    schedule_flows_name_a_schedule_variable,
);

/// A version relaying its input to `endpoint`, with a secret, and a scheduled flow.
fn relay_version() -> Value {
    json!({"version": "1.0.0",
        "config": {"pages": [{"title": "Relay", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url", "required": true},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
            {"key": "api_token", "label": "API token", "type": "secret"},
            {"key": "every", "label": "Every", "type": "schedule"}]}]},
        "flows": [
            {"name": "orders", "trigger": "webhook", "deliver": {"url": "endpoint", "connection": "auth"}},
            {"name": "nightly", "trigger": "schedule", "schedule": "every"}]})
}

/// Values of [`relay_version`]; `every` only when given.
fn relay_config(endpoint: &str, every: Option<Value>) -> Value {
    let mut config = json!({"endpoint": endpoint, "auth": {"api_key": "key-SECRET-0001"},
        "api_token": "tok-SECRET-0002"});
    if let Some(every) = every {
        config["every"] = every;
    }
    config
}

async fn relay_listed(server: &TestServer) -> String {
    let listing = json!({"customer_deployable": true, "allow_multiple_instances": true});
    server
        .listed_integration("Relay", relay_version(), listing)
        .await
}

/// A receiver on loopback: `/in` answers 200 with what it got (body and authorization) and a
/// cookie.
async fn echo() -> String {
    let app = axum::Router::new().route(
        "/in",
        axum::routing::any(|headers: HeaderMap, body: String| async move {
            let auth = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            let got: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            (
                [("set-cookie", "session=key-SECRET-0001")],
                axum::Json(json!({"got": got, "auth": auth})),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Polls an execution until it finishes.
async fn finished(server: &TestServer, execution_id: &str) -> Value {
    for _ in 0..150 {
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

/// Calls a shared webhook URL; the status and body.
async fn call_shared(
    server: &TestServer,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .post(format!("{}{path}", server.base))
        .json(&body);
    if let Some(key) = key {
        request = request.header("X-Webhook-Key", key);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn shared_webhooks_route_calls_to_active_instances(server: TestServer) {
    let endpoint = echo().await;
    let id = relay_listed(&server).await;
    let admin_path = format!("/api/v1/integrations/{id}/shared-webhook");

    // Creation shows the key once; later answers do not.
    let (status, problem) = server
        .admin(
            Method::PUT,
            &admin_path,
            Some(json!({"route_by": {"pointer": "account"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["path"], "/route_by/pointer");
    let (status, created) = server
        .admin(
            Method::PUT,
            &admin_path,
            Some(json!({"route_by": {"pointer": "/account/id"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let key = created["key"].as_str().unwrap().to_owned();
    assert_eq!(
        created["url_template"],
        format!("{}/webhooks/shared/{id}/{{flow}}", server.base)
    );
    let (status, again) = server
        .admin(
            Method::PUT,
            &admin_path,
            Some(json!({"route_by": {"pointer": "/account/id"}})),
        )
        .await;
    assert_eq!(
        (status, again.get("key")),
        (StatusCode::OK, None),
        "{again}"
    );
    let (status, shown) = server.admin_get(&admin_path).await;
    assert_eq!(
        (status, shown["route_by"].clone(), shown.get("key")),
        (StatusCode::OK, json!({"pointer": "/account/id"}), None)
    );

    // acme has two instances, customer "42" one.
    let acme = server.token("acme", "ada", "admin");
    let first = server
        .activate(&acme, &id, relay_config(&endpoint, None))
        .await;
    server
        .activate(&acme, &id, relay_config(&endpoint, None))
        .await;
    let numbered = server.token("42", "bob", "admin");
    server
        .activate(&numbered, &id, relay_config(&endpoint, None))
        .await;
    let orders = format!("/webhooks/shared/{id}/orders");

    let (status, accepted) = call_shared(
        &server,
        &orders,
        Some(&key),
        &[],
        json!({"account": {"id": "acme"}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let ids = accepted["execution_ids"].as_array().unwrap().clone();
    assert_eq!(ids.len(), 2);
    for exe in &ids {
        let execution = finished(&server, exe.as_str().unwrap()).await;
        assert_eq!(
            (execution["trigger"].as_str(), execution["status"].as_str()),
            (Some("shared_webhook"), Some("succeeded")),
            "{execution}"
        );
    }
    // A number routes as its decimal text; the key may be in the query.
    let (status, accepted) = call_shared(
        &server,
        &format!("{orders}?key={key}"),
        None,
        &[],
        json!({"account": {"id": 42}}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    assert_eq!(accepted["execution_ids"].as_array().unwrap().len(), 1);

    // Refusals, each with its code.
    let acme_body = json!({"account": {"id": "acme"}});
    let cases: [(String, Option<&str>, Value, StatusCode, &str); 7] = [
        (
            orders.clone(),
            Some("whk_wrong"),
            acme_body.clone(),
            StatusCode::UNAUTHORIZED,
            "invalid_webhook_key",
        ),
        (
            orders.clone(),
            None,
            acme_body.clone(),
            StatusCode::UNAUTHORIZED,
            "invalid_webhook_key",
        ),
        (
            orders.clone(),
            Some(&key),
            json!({"account": {}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing_key_missing",
        ),
        (
            orders.clone(),
            Some(&key),
            json!({"account": {"id": true}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "routing_key_missing",
        ),
        (
            orders.clone(),
            Some(&key),
            json!({"account": {"id": "nobody"}}),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/webhooks/shared/{id}/nightly"),
            Some(&key),
            acme_body.clone(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/webhooks/shared/int_unknown/orders".into(),
            Some(&key),
            acme_body.clone(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (path, key, body, expected, code) in cases {
        let (status, problem) = call_shared(&server, &path, key, &[], body.clone()).await;
        assert_eq!(
            (status, problem["code"].as_str()),
            (expected, Some(code)),
            "{path} {body}"
        );
    }

    // A paused instance is skipped; with none active, 409.
    let first_id = first["id"].as_str().unwrap();
    let (status, _) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{first_id}/pause"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, accepted) =
        call_shared(&server, &orders, Some(&key), &[], acme_body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let remaining = accepted["execution_ids"].as_array().unwrap().clone();
    assert_eq!(remaining.len(), 1);
    let execution = finished(&server, remaining[0].as_str().unwrap()).await;
    assert_ne!(execution["instance_id"], first["id"]);
    let (_, instances) = server
        .admin_get(&format!(
            "/api/v1/instances?customer_id={}",
            first["customer_id"].as_str().unwrap()
        ))
        .await;
    for instance in instances["items"].as_array().unwrap() {
        let instance_id = instance["id"].as_str().unwrap();
        if instance_id != first_id {
            server
                .admin(
                    Method::POST,
                    &format!("/api/v1/instances/{instance_id}/pause"),
                    None,
                )
                .await;
        }
    }
    let (status, problem) = call_shared(&server, &orders, Some(&key), &[], acme_body.clone()).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("instance_not_active"))
    );

    // Routing by header.
    let (status, changed) = server
        .admin(
            Method::PUT,
            &admin_path,
            Some(json!({"route_by": {"header": "X-Customer-Id"}})),
        )
        .await;
    assert_eq!(
        (status, changed["route_by"].clone()),
        (StatusCode::OK, json!({"header": "X-Customer-Id"}))
    );
    let (status, accepted) = call_shared(
        &server,
        &orders,
        Some(&key),
        &[("x-customer-id", "42")],
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{accepted}");
    let (status, problem) = call_shared(&server, &orders, Some(&key), &[], json!({})).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("routing_key_missing")
        )
    );

    // A new key replaces the old one.
    let (status, rotated) = server
        .admin(Method::POST, &format!("{admin_path}/key"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_key = rotated["key"].as_str().unwrap();
    assert_ne!(new_key, key);
    let header = [("x-customer-id", "42")];
    let (status, _) = call_shared(&server, &orders, Some(&key), &header, json!({})).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = call_shared(&server, &orders, Some(new_key), &header, json!({})).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // The document names exactly the problems of the call.
    let (_, doc) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let responses = doc["paths"]["/webhooks/shared/{integration_id}/{flow}"]["post"]["responses"]
        .as_object()
        .unwrap();
    let problems: Vec<&str> = responses
        .keys()
        .map(String::as_str)
        .filter(|c| c.starts_with('4') || c.starts_with('5'))
        .collect();
    assert_eq!(problems, ["400", "401", "404", "409", "413", "422", "500"]);

    // Deleted: its URLs are gone.
    let (status, _) = server.admin(Method::DELETE, &admin_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call_shared(&server, &orders, Some(new_key), &header, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.admin_get(&admin_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn step_records_redact_secrets_and_cap_large_values(server: TestServer) {
    let endpoint = echo().await;
    let id = relay_listed(&server).await;
    let token = server.token("acme", "ada", "admin");
    let instance = server
        .activate(&token, &id, relay_config(&endpoint, None))
        .await;
    let url = instance["webhook_urls"][0]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    // The payload carries a secret of the config; the delivery sends another in a header.
    let payload = json!({"note": "token tok-SECRET-0002 here", "n": 1});
    let response = server
        .client
        .post(&url)
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: Value = response.json().await.unwrap();
    let execution = finished(&server, accepted["execution_id"].as_str().unwrap()).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert!(!execution.to_string().contains("SECRET"), "{execution}");
    let steps = execution["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    assert_eq!(names, ["receive", "map", "deliver"]);
    for step in steps {
        assert!(
            step["started_at"].is_string() && step["duration_ms"].is_u64(),
            "{step}"
        );
    }
    let redacted = json!({"note": "token [redacted] here", "n": 1});
    assert_eq!(steps[0]["output"], redacted);
    assert_eq!(
        (&steps[1]["input"], &steps[1]["output"]),
        (&redacted, &redacted)
    );
    let deliver = &steps[2];
    assert_eq!(deliver["input"]["method"], "POST");
    assert_eq!(deliver["input"]["url"], endpoint);
    assert_eq!(deliver["input"]["headers"]["authorization"], "[redacted]");
    assert_eq!(deliver["input"]["body"], redacted);
    assert_eq!(deliver["output"]["status"], 200);
    assert_eq!(deliver["output"]["headers"]["set-cookie"], "[redacted]");
    assert_eq!(
        deliver["output"]["body"],
        json!({"got": redacted, "auth": "Bearer [redacted]"})
    );

    // Over 64 KiB, an input or output keeps a 1 KiB excerpt.
    let big = json!({"blob": "x".repeat(70_000)});
    let response = server.client.post(&url).json(&big).send().await.unwrap();
    let accepted: Value = response.json().await.unwrap();
    let execution = finished(&server, accepted["execution_id"].as_str().unwrap()).await;
    let received = &execution["steps"][0]["output"];
    assert_eq!(received["truncated"], true, "{received}");
    assert_eq!(received["size"], big.to_string().len());
    let excerpt = received["excerpt"].as_str().unwrap();
    assert!(excerpt.len() <= 1024 && big.to_string().starts_with(excerpt));
}

/// The next whole minute at least two minutes from now (Unix ms).
fn future_minute() -> i64 {
    let now = marketplace_server::store::now_ms();
    (now / 60_000 + 2) * 60_000
}

/// Another serving process on the same database: its own state and scheduler loop.
async fn another_process(server: &TestServer) -> AppState {
    let storage = StorageArgs {
        database_url: server.database_url.clone(),
        master_key: Some(master_key()),
        previous_master_keys: Vec::new(),
    };
    let store = marketplace_server::open(&storage).await.unwrap();
    let state = AppState::new(store, test_settings(&server.base));
    tokio::spawn(run_scheduler(state.clone()));
    state
}

async fn count(state: &AppState, sql: &'static str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(&state.store.db.read)
        .await
        .unwrap();
    n
}

async fn scheduled_flows_run_each_tick_once(server: TestServer) {
    let endpoint = echo().await;
    let id = relay_listed(&server).await;
    let token = server.token("acme", "ada", "admin");
    let every = json!({"cron": "* * * * *", "timezone": "Europe/Paris"});
    let instance = server
        .activate(&token, &id, relay_config(&endpoint, Some(every)))
        .await;
    let instance_id = instance["id"].as_str().unwrap();
    let others = [
        another_process(&server).await,
        another_process(&server).await,
    ];

    // A tick at a chosen time: three schedulers race for it, one runs it, once.
    let tick = future_minute();
    let (mut a, mut b, mut c) = (
        Scheduler::default(),
        Scheduler::default(),
        Scheduler::default(),
    );
    let (ra, rb, rc) = tokio::join!(
        a.run_due(&server.state, tick + 1_500),
        b.run_due(&others[0], tick + 1_500),
        c.run_due(&others[1], tick + 1_500),
    );
    let started: Vec<String> = [ra, rb, rc].into_iter().flat_map(Result::unwrap).collect();
    assert_eq!(started.len(), 1, "{started:?}");
    assert!(
        a.run_due(&server.state, tick + 2_500)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        Scheduler::default()
            .run_due(&others[0], tick + 2_500)
            .await
            .unwrap()
            .is_empty()
    );
    let execution = finished(&server, &started[0]).await;
    assert_eq!(
        (
            execution["trigger"].as_str(),
            execution["flow"].as_str(),
            execution["instance_id"].as_str()
        ),
        (Some("schedule"), Some("nightly"), Some(instance_id)),
        "{execution}"
    );
    let scheduled_at = marketplace_core::delivery::rfc3339(tick);
    assert_eq!(
        execution["steps"][0]["output"],
        json!({"scheduled_at": scheduled_at})
    );
    // Missed ticks are not replayed: ten minutes later, only the latest within the grace runs.
    let later = Scheduler::default()
        .run_due(&server.state, tick + 600_000 + 500)
        .await
        .unwrap();
    assert_eq!(later.len(), 1);

    // The serving loops of the three processes run the real ticks, each once.
    let deadline = std::time::Instant::now() + Duration::from_secs(75);
    let real = loop {
        let (status, list) = server
            .admin_get(&format!(
                "/api/v1/executions?type=schedule&instance_id={instance_id}&limit=100"
            ))
            .await;
        let real: Vec<Value> = list["items"]
            .as_array()
            .unwrap_or_else(|| panic!("{status} {list}"))
            .iter()
            .filter(|e| !started.contains(&e["id"].as_str().unwrap().to_owned()))
            .filter(|e| !later.contains(&e["id"].as_str().unwrap().to_owned()))
            .cloned()
            .collect();
        if !real.is_empty() || std::time::Instant::now() > deadline {
            break real;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(!real.is_empty(), "the serving loops ran no tick in 75 s");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ticks = count(&server.state, "SELECT COUNT(*) FROM schedule_ticks").await;
    let runs = count(
        &server.state,
        "SELECT COUNT(*) FROM executions WHERE trigger = 'schedule'",
    )
    .await;
    let distinct = count(
        &server.state,
        "SELECT COUNT(*) FROM (SELECT DISTINCT instance_id, flow, tick_at FROM schedule_ticks) t",
    )
    .await;
    assert_eq!(
        (ticks, distinct),
        (runs, runs),
        "one execution per tick, each tick once"
    );

    // A paused instance does not tick.
    server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{instance_id}/pause"),
            None,
        )
        .await;
    let none = Scheduler::default()
        .run_due(&server.state, tick + 1_200_000 + 500)
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn schedule_flows_name_a_schedule_variable(server: TestServer) {
    let (_, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Timed"})),
        )
        .await;
    let id = integration["id"].as_str().unwrap();
    let mut version = relay_version();
    version["flows"] = json!([{"name": "nightly", "trigger": "schedule", "schedule": "endpoint"}]);
    let (status, problem) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions"),
            Some(version.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        (
            problem["errors"][0]["path"].as_str(),
            problem["errors"][0]["code"].as_str()
        ),
        (Some("/flows/0/schedule"), Some("invalid_reference"))
    );
    version["flows"][0]["schedule"] = json!("every");
    let (status, created) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions"),
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["flows"][0],
        json!({"name": "nightly", "trigger": "schedule", "schedule": "every"})
    );
}
