//! Durability: the real binary is killed with SIGKILL during a burst of activations; after a
//! restart every acknowledged (201) instance is there, and retries with the same
//! Idempotency-Key never duplicate one.

use super::common::{Backend, KEYS, fresh_database, orders_config, orders_version, sign};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The master key `binary` gives a PostgreSQL service.
pub(super) const MASTER_KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

pub(super) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(super) fn binary(database_url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_marketplace-server"));
    command
        .env("MARKETPLACE_DATABASE_URL", database_url)
        .env("MARKETPLACE_LOG", "warn")
        // Bursts from one address and one token: no rate limit unless a test sets one.
        .env("MARKETPLACE_RATE_LIMIT_PER_TOKEN", "0")
        .env("MARKETPLACE_RATE_LIMIT_PER_IP", "0");
    if database_url.starts_with("postgres") {
        command.env("MARKETPLACE_MASTER_KEY", MASTER_KEY);
    }
    command
}

/// A running server process, killed (SIGKILL) and reaped on drop.
pub(super) struct Running(Child);

impl Running {
    /// Sends SIGTERM, as an orchestrator stopping the process would.
    pub(super) fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    /// Waits for the process to exit on its own, at most `limit`; its status.
    pub(super) fn exit_within(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.0.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it.
    pub(super) fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn serve(database_url: &str, port: u16) -> Running {
    serve_with(database_url, port, &[]).await
}

/// The command of `marketplace-server serve` with extra options.
pub(super) fn serve_command(database_url: &str, port: u16, options: &[&str]) -> Command {
    let mut command = binary(database_url);
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(options)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    command
}

/// Starts `marketplace-server serve` with extra options, without waiting.
pub(super) fn spawn_serve(database_url: &str, port: u16, options: &[&str]) -> Running {
    spawn(serve_command(database_url, port, options))
}

/// Starts a command of the binary.
pub(super) fn spawn(mut command: Command) -> Running {
    Running(command.spawn().unwrap())
}

/// Starts `marketplace-server serve` with extra options; waits until it is ready.
pub(super) async fn serve_with(database_url: &str, port: u16, options: &[&str]) -> Running {
    ready(spawn_serve(database_url, port, options), port).await
}

/// Waits until the process serving on `port` is ready (killed if it never is).
pub(super) async fn ready(mut child: Running, port: u16) -> Running {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill();
    panic!("the server did not start");
}

/// Creates an organization with the binary's `init`; its id and first API key.
pub(super) fn init_organization(database_url: &str) -> (String, String) {
    let init = binary(database_url)
        .args(["init", "--org", "Durable Vendor"])
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let last_line = String::from_utf8_lossy(&init.stdout)
        .lines()
        .last()
        .unwrap()
        .to_owned();
    let created: Value = serde_json::from_str(&last_line).unwrap();
    (
        created["organization_id"].as_str().unwrap().to_owned(),
        created["api_key"].as_str().unwrap().to_owned(),
    )
}

/// Registers the RS256 test key, then creates, publishes and lists "Orders" ([`orders_version`]
/// 1.0.0, customer-deployable, several instances allowed) through the admin API of a running
/// process; the integration's id.
pub(super) async fn list_orders(client: &reqwest::Client, base: &str, api_key: &str) -> String {
    let admin = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(api_key)
            .json(&body)
            .send()
    };
    assert!(
        admin(
            reqwest::Method::POST,
            "/api/v1/signing-keys",
            json!({"kid": "rs", "algorithm": "RS256", "public_key_pem": KEYS[0].3})
        )
        .await
        .unwrap()
        .status()
        .is_success()
    );
    let integration: Value = admin(
        reqwest::Method::POST,
        "/api/v1/integrations",
        json!({"name": "Orders"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let id = integration["id"].as_str().unwrap().to_owned();
    admin(
        reqwest::Method::POST,
        &format!("/api/v1/integrations/{id}/versions"),
        orders_version("1.0.0"),
    )
    .await
    .unwrap();
    admin(
        reqwest::Method::POST,
        &format!("/api/v1/integrations/{id}/versions/1.0.0/publish"),
        json!({}),
    )
    .await
    .unwrap();
    let listing =
        json!({"version": "1.0.0", "customer_deployable": true, "allow_multiple_instances": true});
    assert!(
        admin(
            reqwest::Method::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            listing
        )
        .await
        .unwrap()
        .status()
        .is_success()
    );

    id
}

/// A token of user `u` of the customer "acme" of the organization, for ten minutes.
pub(super) fn acme_token(organization_id: &str) -> String {
    let now = marketplace_server::store::now_ms() / 1000;
    sign(
        &json!({"sub": "u", "customer": "acme", "customer_name": "Acme", "organization": organization_id, "iat": now, "exp": now + 600}),
        "rs",
    )
}

/// Activates with `token` through the embedded API of the process at `base`; the instance.
pub(super) async fn activate_over_http(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &Value,
) -> Value {
    let response = client
        .post(format!("{base}/api/v1/embedded/instances"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

async fn sigkill_during_a_burst(backend: Backend) {
    let (database_url, _dir) = fresh_database(backend).await;
    let (organization_id, api_key) = init_organization(&database_url);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&database_url, port).await;
    let client = reqwest::Client::new();
    let id = list_orders(&client, &base, &api_key).await;
    let admin = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}{path}"))
            .bearer_auth(&api_key)
            .json(&body)
            .send()
    };

    let token = acme_token(&organization_id);
    let body = json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")});
    let activate = {
        let (client, base, token, body) =
            (client.clone(), base.clone(), token.clone(), body.clone());
        move |key: String| {
            let request = client
                .post(format!("{base}/api/v1/embedded/instances"))
                .bearer_auth(&token)
                .header("Idempotency-Key", key.clone())
                .json(&body)
                .timeout(Duration::from_secs(10))
                .send();
            async move {
                match request.await {
                    Ok(r) if r.status() == StatusCode::CREATED => Some((
                        key,
                        r.json::<Value>().await.ok()?["id"].as_str()?.to_owned(),
                    )),
                    _ => None,
                }
            }
        }
    };

    // The burst: 400 activations from 16 concurrent tasks; the server is killed once 100 are acknowledged.
    let keys: Vec<String> = (0..400).map(|i| format!("burst-{i}")).collect();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<String, String>::new()));
    let mut tasks = Vec::new();
    for chunk in keys.chunks(25) {
        let (chunk, acknowledged, activate) =
            (chunk.to_vec(), acknowledged.clone(), activate.clone());
        tasks.push(tokio::spawn(async move {
            for key in chunk {
                if let Some((key, id)) = activate(key).await {
                    acknowledged.lock().unwrap().insert(key, id);
                }
            }
        }));
    }
    loop {
        if acknowledged.lock().unwrap().len() >= 100 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // SIGKILL: no graceful shutdown, no flush.
    server.kill();
    for task in tasks {
        task.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 100 && acknowledged.len() < 400,
        "killed mid-burst: {} acknowledged",
        acknowledged.len()
    );

    // Restart on the same database: every acknowledged instance is there.
    let mut server = serve(&database_url, port).await;
    for (key, instance_id) in &acknowledged {
        let response = admin(
            reqwest::Method::GET,
            &format!("/api/v1/instances/{instance_id}"),
            json!({}),
        )
        .await
        .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::OK,
            "instance {instance_id} (key {key}) survived"
        );
    }
    // Retrying every key (acknowledged or not) gives one instance per key, the same as before.
    let mut per_key = HashMap::new();
    for key in &keys {
        let (key, id) = activate(key.clone()).await.expect("a retry succeeds");
        if let Some(before) = acknowledged.get(&key) {
            assert_eq!(before, &id, "a retry returns the acknowledged instance");
        }
        per_key.insert(key, id);
    }
    let mut stored = HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/instances?limit=200&cursor={c}"),
            None => "/api/v1/instances?limit=200".to_owned(),
        };
        let page: Value = admin(reqwest::Method::GET, &path, json!({}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for item in page["items"].as_array().unwrap() {
            stored.insert(item["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let distinct: HashSet<&String> = per_key.values().collect();
    assert_eq!(distinct.len(), keys.len(), "one instance per key");
    assert_eq!(stored.len(), keys.len(), "nothing duplicated, nothing lost");
    server.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_a_burst_sqlite() {
    sigkill_during_a_burst(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn sigkill_during_a_burst_postgres() {
    sigkill_during_a_burst(Backend::Postgres).await;
}
