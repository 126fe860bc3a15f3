//! Alert monitors: CRUD and validation, the signing secret shown once, and the check of
//! executions, logs and instance changes, with one alert per window and its notifications.

use super::common::{Backend, TestServer, customer_id, first_error, items, orders_config};
use crate::on_both_backends;
use axum::http::StatusCode as AxumStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    monitors_are_created_checked_listed_changed_and_deleted,
    a_failed_execution_alerts_once_per_window,
    slow_executions_logs_and_instance_changes_fire_their_triggers
);

/// A flow target on loopback: `/ok` answers 200, `/fail` 400 (not retried), `/slow` 200 after
/// 300 ms, each after logging the attempt.
async fn target() -> String {
    let app = axum::Router::new()
        .route("/ok", axum::routing::any(|| async { "ok" }))
        .route(
            "/fail",
            axum::routing::any(|| async { (AxumStatus::BAD_REQUEST, "no") }),
        )
        .route(
            "/slow",
            axum::routing::any(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "ok"
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

/// An instance of "Orders" for customer `customer`, delivering to `endpoint`; its id.
async fn instance(
    server: &TestServer,
    integration: &str,
    customer: &str,
    endpoint: &str,
) -> String {
    let token = server.token(customer, "ada", "admin");
    let instance = server
        .activate(&token, integration, orders_config(endpoint))
        .await;
    instance["id"].as_str().unwrap().to_owned()
}

/// Runs the instance's flow now (the embedded test run); the execution's status.
async fn run(server: &TestServer, customer: &str, instance_id: &str) -> String {
    let token = server.token(customer, "ada", "admin");
    let (status, execution) = server
        .embedded(
            &token,
            Method::POST,
            &format!("/api/v1/embedded/instances/{instance_id}/test"),
            Some(json!({"input": {"order": {"id": 1}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{execution}");
    execution["status"].as_str().unwrap().to_owned()
}

/// Creates a monitor; its id.
async fn monitor(server: &TestServer, body: Value) -> String {
    let (status, created) = server
        .admin(Method::POST, "/api/v1/alert-monitors", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn get(server: &TestServer, id: &str) -> Value {
    let (status, monitor) = server
        .admin_get(&format!("/api/v1/alert-monitors/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{monitor}");
    monitor
}

/// The notifications of a monitor: (kind, recipient, subject, body).
async fn notifications(
    server: &TestServer,
    monitor_id: &str,
) -> Vec<(String, String, String, String)> {
    sqlx::query_as(
        "SELECT kind, recipient, subject, body FROM notifications WHERE monitor_id = $1 OR \
         (kind = 'email' AND body LIKE $2) ORDER BY id",
    )
    .bind(monitor_id)
    .bind(format!("%{monitor_id}%"))
    .fetch_all(&server.state.store.db.read)
    .await
    .unwrap()
}

/// The `data` of the organization's `alert.triggered` events of a monitor.
async fn alerts(server: &TestServer, monitor_id: &str) -> Vec<Value> {
    let (status, events) = server
        .admin_get("/api/v1/events?type=alert.triggered&limit=200")
        .await;
    items(status, &events)
        .into_iter()
        .map(|e| e["data"].clone())
        .filter(|d| d["monitor_id"] == monitor_id)
        .collect()
}

async fn monitors_are_created_checked_listed_changed_and_deleted(server: TestServer) {
    let integration = server.orders_listed(true).await;
    let sink = target().await;
    let ins = instance(&server, &integration, "acme", &format!("{sink}/ok")).await;

    // Every field error at once, each at its path.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/alert-monitors",
            Some(json!({"triggers": [{"type": "execution_failed"}, {"type": "execution_slow", "threshold_ms": 0}, {"type": "boom"}],
                        "targets": [{"type": "webhook", "url": "not a url"}, {"type": "email", "to": ["ops@example.com", "nope"]}],
                        "dedup_window_s": 100_000, "scope": {"kind": "instance"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/dedup_window_s",
            "/name",
            "/scope/instance_id",
            "/targets/0/url",
            "/targets/1/to/1",
            "/triggers/1/threshold_ms",
            "/triggers/2/type",
        ],
        "{problem}"
    );
    // A scope naming another organization's (or no) instance is refused.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/alert-monitors",
            Some(json!({"name": "x", "triggers": [{"type": "execution_failed"}], "scope": {"kind": "instance", "instance_id": "ins_nope"}})),
        )
        .await;
    assert_eq!(
        (status, first_error(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("/scope/instance_id"), Some("invalid_reference"))
        )
    );

    // The 201 holds the signing secret; nothing else ever shows it.
    let (status, created) = server
        .admin(
            Method::POST,
            "/api/v1/alert-monitors",
            Some(json!({"name": "Failures", "scope": {"kind": "instance", "instance_id": ins},
                        "triggers": [{"type": "execution_failed"}],
                        "targets": [{"type": "webhook", "url": "https://hooks.example.com/alerts"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["signing_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(
        (
            created["enabled"].clone(),
            created["dedup_window_s"].clone(),
            created["last_triggered"].clone()
        ),
        (json!(true), json!(300), Value::Null)
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let org_wide = monitor(
        &server,
        json!({"name": "All", "triggers": [{"type": "instance_paused"}]}),
    )
    .await;
    let shown = get(&server, &id).await;
    assert_eq!(
        shown["scope"],
        json!({"kind": "instance", "instance_id": ins})
    );
    let (status, list) = server.admin_get("/api/v1/alert-monitors?limit=1").await;
    let first = items(status, &list);
    assert_eq!(first.len(), 1);
    let cursor = list["next_cursor"].as_str().unwrap();
    let (status, rest) = server
        .admin_get(&format!("/api/v1/alert-monitors?cursor={cursor}"))
        .await;
    assert_eq!(items(status, &rest).len(), 1);
    let (status, filtered) = server
        .admin_get(&format!("/api/v1/alert-monitors?instance_id={ins}"))
        .await;
    let filtered = items(status, &filtered);
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0]["id"], id.as_str());
    let (status, none) = server
        .admin_get("/api/v1/alert-monitors?customer_id=cus_nobody")
        .await;
    assert!(items(status, &none).is_empty());
    for body in [shown.to_string(), list.to_string(), rest.to_string()] {
        assert!(!body.contains(&secret), "the secret is shown once");
        assert!(!body.contains("signing_secret"));
    }

    // A patch replaces the fields it names and is checked like a creation.
    let (status, patched) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/alert-monitors/{id}"),
            Some(json!({"enabled": false, "dedup_window_s": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            patched["enabled"].clone(),
            patched["dedup_window_s"].clone(),
            patched["name"].clone()
        ),
        (json!(false), json!(60), json!("Failures"))
    );
    let (status, problem) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/alert-monitors/{id}"),
            Some(json!({"triggers": [], "colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("/triggers") && problem.to_string().contains("/colour"));

    // Deleted, it is gone; each change left its event.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/alert-monitors/{org_wide}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .admin_get(&format!("/api/v1/alert-monitors/{org_wide}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, events) = server.admin_get("/api/v1/events?limit=200").await;
    let types: Vec<String> = items(status, &events)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .filter(|t| t.starts_with("alert_monitor."))
        .collect();
    assert_eq!(
        types,
        [
            "alert_monitor.created",
            "alert_monitor.created",
            "alert_monitor.updated",
            "alert_monitor.deleted"
        ]
    );
    assert!(!events.to_string().contains(&secret));

    // The OpenAPI document has the five operations, each with exactly its problems.
    let (_, doc) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    let problems = |path: &str, method: &str| -> Vec<String> {
        let mut codes: Vec<String> = doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is documented"))
            .keys()
            .filter(|c| c.starts_with('4') || c.starts_with('5'))
            .cloned()
            .collect();
        codes.sort();
        codes
    };
    for (path, method, expected) in [
        (
            "/api/v1/alert-monitors",
            "post",
            vec!["400", "401", "403", "413", "415", "422", "500"],
        ),
        ("/api/v1/alert-monitors", "get", vec!["400", "401", "500"]),
        (
            "/api/v1/alert-monitors/{id}",
            "get",
            vec!["401", "404", "500"],
        ),
        (
            "/api/v1/alert-monitors/{id}",
            "patch",
            vec!["400", "401", "403", "404", "413", "415", "422", "500"],
        ),
        (
            "/api/v1/alert-monitors/{id}",
            "delete",
            vec!["401", "403", "404", "500"],
        ),
    ] {
        assert_eq!(problems(path, method), expected, "{method} {path}");
    }
}

async fn a_failed_execution_alerts_once_per_window(server: TestServer) {
    let integration = server.orders_listed(true).await;
    let base = target().await;
    let failing = instance(&server, &integration, "acme", &format!("{base}/fail")).await;
    let other = instance(&server, &integration, "acme", &format!("{base}/fail")).await;
    let id = monitor(
        &server,
        json!({"name": "Failures", "scope": {"kind": "instance", "instance_id": failing},
               "triggers": [{"type": "execution_failed"}],
               "targets": [{"type": "webhook", "url": "https://hooks.example.com/alerts"},
                           {"type": "email", "to": ["ops@example.com"]}]}),
    )
    .await;
    let disabled = monitor(
        &server,
        json!({"name": "Off", "enabled": false, "triggers": [{"type": "execution_failed"}],
               "targets": [{"type": "email", "to": ["off@example.com"]}]}),
    )
    .await;

    // Another instance's failure is out of the monitor's scope.
    assert_eq!(run(&server, "acme", &other).await, "failed");
    assert!(get(&server, &id).await["last_triggered"].is_null());

    assert_eq!(run(&server, "acme", &failing).await, "failed");
    let shown = get(&server, &id).await;
    let last = &shown["last_triggered"];
    assert_eq!(
        (
            last["trigger"].as_str(),
            last["instance_id"].as_str(),
            last["suppressed_count"].as_i64()
        ),
        (Some("execution_failed"), Some(failing.as_str()), Some(0)),
        "{shown}"
    );
    assert!(last["execution_id"].as_str().unwrap().starts_with("exe_"));
    let sent = notifications(&server, &id).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    let organization = server.admin_get("/api/v1/organization").await.1["name"]
        .as_str()
        .unwrap()
        .to_owned();
    let subject = format!("[{organization}] Failures: execution_failed");
    let (kind, recipient, title, body) = &sent[0];
    assert_eq!(
        (kind.as_str(), recipient.as_str(), title),
        ("webhook", "https://hooks.example.com/alerts", &subject)
    );
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["type"], "alert.triggered");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'), "{body}");
    assert_eq!(
        (
            body["data"]["monitor_id"].as_str(),
            body["data"]["monitor_name"].as_str(),
            body["data"]["instance_id"].as_str()
        ),
        (Some(id.as_str()), Some("Failures"), Some(failing.as_str()))
    );
    let (kind, recipient, title, body) = &sent[1];
    assert_eq!((kind.as_str(), title), ("email", &subject));
    assert_eq!(
        serde_json::from_str::<Value>(recipient).unwrap(),
        json!(["ops@example.com"])
    );
    assert!(body.contains("flow `orders` failed"), "{body}");
    let recorded = alerts(&server, &id).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0], body_data(&sent[0].3));

    // A second failure inside the window is only counted.
    assert_eq!(run(&server, "acme", &failing).await, "failed");
    let shown = get(&server, &id).await;
    assert_eq!(shown["last_triggered"]["suppressed_count"], 1, "{shown}");
    assert_eq!(
        notifications(&server, &id).await.len(),
        2,
        "no second notification"
    );
    assert_eq!(alerts(&server, &id).await.len(), 1);

    // The disabled monitor never fired.
    assert!(get(&server, &disabled).await["last_triggered"].is_null());
    assert!(alerts(&server, &disabled).await.is_empty());

    // With a window of 0, every failure alerts.
    server
        .admin(
            Method::PATCH,
            &format!("/api/v1/alert-monitors/{id}"),
            Some(json!({"dedup_window_s": 0})),
        )
        .await;
    assert_eq!(run(&server, "acme", &failing).await, "failed");
    assert_eq!(alerts(&server, &id).await.len(), 2);
    assert_eq!(notifications(&server, &id).await.len(), 4);
}

fn body_data(body: &str) -> Value {
    serde_json::from_str::<Value>(body).unwrap()["data"].clone()
}

async fn slow_executions_logs_and_instance_changes_fire_their_triggers(server: TestServer) {
    let integration = server.orders_listed(true).await;
    let base = target().await;
    let slow = instance(&server, &integration, "acme", &format!("{base}/slow")).await;
    let fast = instance(&server, &integration, "globex", &format!("{base}/ok")).await;
    let slow_monitor = monitor(
        &server,
        json!({"name": "Slow", "triggers": [{"type": "execution_slow", "threshold_ms": 250}]}),
    )
    .await;
    let errors = monitor(
        &server,
        json!({"name": "Errors", "triggers": [{"type": "log", "min_severity": "error"}]}),
    )
    .await;
    let globex_id = customer_id(&server, "globex").await;
    let lifecycle = monitor(
        &server,
        json!({"name": "Lifecycle", "scope": {"kind": "customer", "customer_id": globex_id},
               "triggers": [{"type": "instance_deactivated"}, {"type": "instance_paused"}]}),
    )
    .await;

    // A fast success fires nothing: no slowness, only info logs.
    assert_eq!(run(&server, "globex", &fast).await, "succeeded");
    assert!(get(&server, &slow_monitor).await["last_triggered"].is_null());
    assert!(get(&server, &errors).await["last_triggered"].is_null());

    // A slow success is slow; its logs are info only.
    assert_eq!(run(&server, "acme", &slow).await, "succeeded");
    let last = get(&server, &slow_monitor).await["last_triggered"].clone();
    assert_eq!(
        (last["trigger"].as_str(), last["instance_id"].as_str()),
        (Some("execution_slow"), Some(slow.as_str())),
        "{last}"
    );
    assert!(get(&server, &errors).await["last_triggered"].is_null());

    // Pausing and deactivating a customer's instance fire its lifecycle monitor; another
    // customer's changes do not.
    let (status, _) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{slow}/pause"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(alerts(&server, &lifecycle).await.is_empty());
    let (status, _) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{fast}/pause"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = server
        .admin(Method::DELETE, &format!("/api/v1/instances/{fast}"), None)
        .await;
    assert!(status.is_success(), "{status} {body}");
    let fired: Vec<(String, String)> = alerts(&server, &lifecycle)
        .await
        .iter()
        .map(|d| {
            (
                d["trigger"].as_str().unwrap().to_owned(),
                d["instance_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [
            ("instance_paused".to_owned(), fast.clone()),
            ("instance_deactivated".to_owned(), fast.clone())
        ]
    );
    let last = get(&server, &lifecycle).await["last_triggered"].clone();
    assert!(
        last["event_id"].as_str().unwrap().starts_with("evt_"),
        "{last}"
    );

    // An error log fires `log {min_severity: error}`.
    let failing = instance(&server, &integration, "acme", &format!("{base}/fail")).await;
    assert_eq!(run(&server, "acme", &failing).await, "failed");
    let fired = alerts(&server, &errors).await;
    assert_eq!(fired.len(), 1, "one alert per window: {fired:?}");
    assert_eq!(fired[0]["trigger"], "log");
    assert_eq!(fired[0]["instance_id"], failing.as_str());
}

/// Nothing fires on SQLite either when no monitor exists (the index holds an empty snapshot).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_monitors_executions_record_no_alert() {
    let server = TestServer::start(Backend::Sqlite).await;
    let integration = server.orders_listed(true).await;
    let base = target().await;
    let ins = instance(&server, &integration, "acme", &format!("{base}/fail")).await;
    assert_eq!(run(&server, "acme", &ins).await, "failed");
    let (status, events) = server
        .admin_get("/api/v1/events?type=alert.triggered")
        .await;
    assert!(items(status, &events).is_empty());
}
