//! Three service processes on one PostgreSQL: webhook triggers and activations sent round-robin
//! while one process is killed (SIGKILL) mid-burst. Every acknowledged activation is stored;
//! every acknowledged execution ends recorded once with a final status, including those the
//! killed process was running (the others take them over when their lease ends: at least once,
//! recorded once); no execution stays queued or running. PostgreSQL only.

use super::common::{Backend, fresh_database, orders_config};
use super::durability::{
    acme_token, activate_over_http, free_port, init_organization, list_orders, serve_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A receiver that takes 300 ms to answer each delivery (so executions are in flight when the
/// process dies) and counts the orders it got.
async fn slow_receiver() -> (String, Arc<Mutex<HashMap<String, usize>>>) {
    let seen: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let app = axum::Router::new()
        .route(
            "/in",
            axum::routing::post(
                |axum::extract::State(seen): axum::extract::State<
                    Arc<Mutex<HashMap<String, usize>>>,
                >,
                 body: axum::Json<Value>| async move {
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let order = body["order_id"].as_str().unwrap_or("?").to_owned();
                    *seen.lock().unwrap().entry(order).or_default() += 1;
                    "ok"
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("{base}/in"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn three_processes_share_the_work_and_survive_a_kill() {
    let (database_url, _) = fresh_database(Backend::Postgres).await;
    let (organization_id, api_key) = init_organization(&database_url);
    let options = ["--execution-lease-s", "2", "--allow-private-targets"];
    let ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let mut processes = Vec::new();
    for port in &ports {
        processes.push(serve_with(&database_url, *port, &options).await);
    }
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let client = reqwest::Client::new();
    let integration = list_orders(&client, &bases[0], &api_key).await;
    let (receiver, seen) = slow_receiver().await;
    let token = acme_token(&organization_id);
    let body = json!({"integration_id": integration, "config": orders_config(&receiver)});
    let instance = activate_over_http(&client, &bases[0], &token, &body).await;
    let hook_path = {
        let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
        url[url.find("/webhooks/").unwrap()..].to_owned()
    };

    // The burst: 90 requests, round-robin over the three processes, 9 at a time; process 1 is
    // killed once 30 are acknowledged.
    let triggers = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let activations = Arc::new(Mutex::new(Vec::<String>::new()));
    let acknowledged = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for lane in 0..9usize {
        let (client, bases, hook_path, token, body) = (
            client.clone(),
            bases.clone(),
            hook_path.clone(),
            token.clone(),
            body.clone(),
        );
        let (triggers, activations, acknowledged) =
            (triggers.clone(), activations.clone(), acknowledged.clone());
        tasks.push(tokio::spawn(async move {
            for round in 0..10usize {
                let i = round * 9 + lane;
                let base = &bases[i % 3];
                if i % 3 == 2 {
                    let sent = client
                        .post(format!("{base}/api/v1/embedded/instances"))
                        .bearer_auth(&token)
                        .header("Idempotency-Key", format!("burst-{i}"))
                        .json(&body)
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    if let Ok(r) = sent
                        && r.status() == StatusCode::CREATED
                    {
                        let created: Value = r.json().await.unwrap();
                        activations
                            .lock()
                            .unwrap()
                            .push(created["id"].as_str().unwrap().into());
                        acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                } else {
                    let order = format!("o-{i}");
                    let sent = client
                        .post(format!("{base}{hook_path}"))
                        .json(&json!({"order": {"id": order}}))
                        .timeout(Duration::from_secs(10))
                        .send()
                        .await;
                    if let Ok(r) = sent
                        && r.status() == StatusCode::ACCEPTED
                    {
                        let accepted: Value = r.json().await.unwrap();
                        let id = accepted["execution_id"].as_str().unwrap().to_owned();
                        triggers.lock().unwrap().push((order, id));
                        acknowledged.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    while acknowledged.load(std::sync::atomic::Ordering::SeqCst) < 30 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    processes[1].kill();
    for task in tasks {
        task.await.unwrap();
    }
    let triggers = triggers.lock().unwrap().clone();
    let activations = activations.lock().unwrap().clone();
    assert!(
        triggers.len() >= 30,
        "most triggers were acknowledged: {}",
        triggers.len()
    );

    // Every execution ends (the killed process's ones after their 2 s lease).
    let admin_get = |path: String| {
        let request = client
            .get(format!("{}{path}", bases[0]))
            .bearer_auth(&api_key);
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let mut unfinished = usize::MAX;
    for _ in 0..150 {
        unfinished = 0;
        for status in ["queued", "running"] {
            let page = admin_get(format!("/api/v1/executions?status={status}&limit=200")).await;
            unfinished += page["items"].as_array().unwrap().len();
        }
        if unfinished == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(unfinished, 0, "no execution stays queued or running");
    let page = admin_get("/api/v1/executions?limit=200".into()).await;
    let recorded: HashMap<&str, &Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap(), e))
        .collect();
    let seen = seen.lock().unwrap().clone();
    for (order, id) in &triggers {
        let execution = recorded
            .get(id.as_str())
            .unwrap_or_else(|| panic!("acknowledged execution {id} is recorded"));
        assert_eq!(execution["status"], "succeeded", "{execution}");
        assert!(
            seen.get(order).is_some_and(|n| *n >= 1),
            "{order} was delivered"
        );
    }
    for id in &activations {
        let response = client
            .get(format!("{}/api/v1/instances/{id}", bases[2]))
            .bearer_auth(&api_key)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "acknowledged instance {id} is stored"
        );
    }
}
