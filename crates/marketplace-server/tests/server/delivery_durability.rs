//! Deliveries and real processes: the binary is killed (SIGKILL) while deliveries are in flight
//! and a restart delivers them again with the same `webhook-id`, none lost; two processes on one
//! PostgreSQL database drain one queue without ever attempting a delivery twice (SQLite serves
//! one process: its single writer is the process's own).

use super::common::{Backend, KEYS, fresh_database, orders_config, orders_version, sign};
use super::durability::{free_port, init_organization, serve_with};
use super::vendor_events::{Reply, Vendor};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

/// The admin API of one process.
struct Admin {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Admin {
    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ok(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method, path, body).await;
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Every delivery of the organization.
    async fn deliveries(&self) -> Vec<Value> {
        let (_, list) = self
            .call(Method::GET, "/api/v1/deliveries?limit=200", None)
            .await;
        list["items"].as_array().cloned().unwrap_or_default()
    }
}

/// Lists "Orders" with an event configuration sending `instance.activated` to the vendor;
/// returns the integration id.
async fn orders_with_events(admin: &Admin, vendor: &Vendor) -> String {
    admin
        .ok(
            Method::POST,
            "/api/v1/signing-keys",
            Some(json!({"kid": "rs", "algorithm": "RS256", "public_key_pem": KEYS[0].3})),
        )
        .await;
    let integration = admin
        .ok(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Orders"})),
        )
        .await;
    let id = integration["id"].as_str().unwrap().to_owned();
    admin
        .ok(
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions"),
            Some(orders_version("1.0.0")),
        )
        .await;
    admin
        .ok(
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions/1.0.0/publish"),
            None,
        )
        .await;
    let listing =
        json!({"version": "1.0.0", "customer_deployable": true, "allow_multiple_instances": true});
    admin
        .ok(
            Method::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            Some(listing),
        )
        .await;
    let configuration = admin
        .ok(
            Method::POST,
            "/api/v1/event-configurations",
            Some(json!({"name": "Vendor", "working": {"url": vendor.url("/hook"), "event_types": ["instance.activated"]}})),
        )
        .await;
    let configuration = configuration["id"].as_str().unwrap();
    admin
        .ok(
            Method::POST,
            &format!("/api/v1/event-configurations/{configuration}/publish"),
            None,
        )
        .await;
    admin
        .ok(
            Method::PUT,
            &format!("/api/v1/integrations/{id}/event-configuration"),
            Some(json!({"event_configuration_id": configuration})),
        )
        .await;
    id
}

/// Activates `integration` for customer `customer` through a process; the instance id.
async fn activate(base: &str, organization_id: &str, integration: &str, customer: &str) -> String {
    let now = marketplace_server::store::now_ms() / 1000;
    let token = sign(
        &json!({"sub": "u", "customer": customer, "customer_name": customer, "organization": organization_id, "iat": now, "exp": now + 600}),
        "rs",
    );
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/embedded/instances"))
        .bearer_auth(token)
        .json(&json!({"integration_id": integration, "config": orders_config("https://erp.example.com/in")}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Options of a process delivering to loopback with short timeouts and leases.
const OPTIONS: [&str; 7] = [
    "--allow-private-targets",
    "--event-timeout-ms",
    "1500",
    "--event-lease-margin-ms",
    "500",
    "--event-retry-base-ms",
    "100",
];

/// Polls until `n` deliveries exist and all succeeded; returns them.
async fn all_succeeded(admin: &Admin, n: usize) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..600 {
        last = admin.deliveries().await;
        if last.len() == n && last.iter().all(|d| d["status"] == "succeeded") {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not every delivery succeeded: {last:#?}");
}

async fn sigkill_mid_delivery(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let (organization_id, key) = init_organization(&database_url);
    let vendor = Vendor::start().await;
    // The first four requests hang (in flight when the process dies); the rest answer 200.
    for _ in 0..4 {
        vendor.then(Reply::Stall(Duration::from_secs(30)));
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut first = serve_with(&database_url, port, &OPTIONS).await;
    let admin = Admin {
        client: reqwest::Client::new(),
        base: base.clone(),
        key,
    };
    let integration = orders_with_events(&admin, &vendor).await;
    for i in 0..8 {
        activate(&base, &organization_id, &integration, &format!("c{i}")).await;
    }
    vendor.wait_for(8).await;
    first.kill();

    let mut second = serve_with(&database_url, port, &OPTIONS).await;
    let deliveries = all_succeeded(&admin, 8).await;
    second.kill();
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for request in vendor.seen() {
        *per_id.entry(request.header("webhook-id")).or_default() += 1;
    }
    for delivery in &deliveries {
        let id = delivery["event_id"].as_str().unwrap();
        assert!(per_id.contains_key(id), "event {id} reached the vendor");
    }
    assert_eq!(per_id.len(), 8, "one webhook-id per event: {per_id:?}");
    assert!(
        per_id.values().filter(|n| **n >= 2).count() >= 4,
        "the interrupted ones were sent again with the same webhook-id: {per_id:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_delivery_sqlite() {
    sigkill_mid_delivery(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn sigkill_mid_delivery_postgres() {
    sigkill_mid_delivery(Backend::Postgres).await;
}

async fn two_processes_share_the_queue(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let (organization_id, key) = init_organization(&database_url);
    let vendor = Vendor::start().await;
    let ports = [free_port(), free_port()];
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut processes = Vec::new();
    for port in ports {
        processes.push(serve_with(&database_url, port, &OPTIONS).await);
    }
    let admin = Admin {
        client: reqwest::Client::new(),
        base: bases[0].clone(),
        key,
    };
    let integration = orders_with_events(&admin, &vendor).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (base, organization_id, integration) = (
            bases[i % 2].clone(),
            organization_id.clone(),
            integration.clone(),
        );
        tasks.push(tokio::spawn(async move {
            activate(&base, &organization_id, &integration, &format!("c{i}")).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let deliveries = all_succeeded(&admin, 60).await;
    for process in &mut processes {
        process.kill();
    }
    assert!(
        deliveries.iter().all(|d| d["attempt_count"] == 1),
        "no delivery was attempted twice"
    );
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for request in vendor.seen() {
        *per_id.entry(request.header("webhook-id")).or_default() += 1;
    }
    assert_eq!(per_id.len(), 60);
    assert!(
        per_id.values().all(|n| *n == 1),
        "each event reached the vendor once: {per_id:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn two_processes_share_the_queue_postgres() {
    two_processes_share_the_queue(Backend::Postgres).await;
}
