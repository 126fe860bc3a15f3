//! `marketplace-server rotate-master-key`: every sealed value re-sealed under a new master key.
//! After a rotation the service opens its data with the new key alone, the old key alone opens
//! nothing, and a second run finds nothing left to re-seal. On SQLite's key file, a rotation
//! stopped between its commit and the key file's swap is taken up again.

use super::common::{Backend, fresh_database, orders_config};
use super::durability::{
    MASTER_KEY, Running, acme_token, activate_over_http, binary, free_port, init_organization,
    list_orders, serve_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const NEW_KEY: &str = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8=";

/// Serves the database, activates the Orders integration once, and stops: one sealed instance
/// config. Its organization's API key and the instance id.
async fn one_sealed_instance(database_url: &str) -> (String, String) {
    let (organization_id, api_key) = init_organization(database_url);
    let port = free_port();
    let server = serve_with(database_url, port, &[]).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let integration = list_orders(&client, &base, &api_key).await;
    let body = json!({"integration_id": integration, "config": orders_config("https://erp.example.com/in")});
    let instance = activate_over_http(&client, &base, &acme_token(&organization_id), &body).await;
    drop(server);
    (api_key, instance["id"].as_str().unwrap().to_owned())
}

/// Runs `rotate-master-key` with the given environment; its exit status and output.
fn rotate(database_url: &str, env: &[(&str, &str)]) -> (bool, Value, String) {
    let mut command = binary(database_url);
    command.arg("rotate-master-key");
    for (name, value) in env {
        command.env(name, value);
    }
    let done = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&done.stdout);
    let report = stdout
        .lines()
        .last()
        .and_then(|line| serde_json::from_str(line).ok())
        .unwrap_or(Value::Null);
    (
        done.status.success(),
        report,
        String::from_utf8_lossy(&done.stderr).into_owned(),
    )
}

/// The report's counts for one column: (re-sealed, already current).
fn counts(report: &Value, column: &str) -> (u64, u64) {
    let found = report["columns"]
        .as_array()
        .unwrap_or_else(|| panic!("a report: {report}"))
        .iter()
        .find(|c| c["column"] == column)
        .unwrap_or_else(|| panic!("{column} in {report}"));
    (
        found["resealed"].as_u64().unwrap(),
        found["current"].as_u64().unwrap(),
    )
}

/// The instance read back through the admin API of a service started with `options`.
async fn instance_served(
    database_url: &str,
    options: &[&str],
    api_key: &str,
    instance_id: &str,
) -> (StatusCode, Value) {
    let port = free_port();
    let _server: Running = serve_with(database_url, port, options).await;
    let response = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{port}/api/v1/instances/{instance_id}"
        ))
        .bearer_auth(api_key)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// The old key alone opens nothing after a rotation: a run with it fails, names the row, and
/// changes nothing (the new key alone still opens everything afterwards).
fn assert_old_key_opens_nothing(database_url: &str, old_key: &str, instance_id: &str) {
    let (ok, _, stderr) = rotate(
        database_url,
        &[
            ("MARKETPLACE_MASTER_KEY", old_key),
            ("MARKETPLACE_PREVIOUS_MASTER_KEYS", ""),
        ],
    );
    assert!(!ok, "the old key cannot open what the new one sealed");
    assert!(
        stderr.contains(&format!(
            "instances.sealed_config of the row id = {instance_id}"
        )),
        "the error names the value: {stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn a_rotated_postgres_database_opens_with_the_new_key_alone() {
    let (database_url, _) = fresh_database(Backend::Postgres).await;
    let (api_key, instance_id) = one_sealed_instance(&database_url).await;

    // Step 1 of the guide: the new key, the old one as previous. Every value is re-sealed.
    let (ok, report, stderr) = rotate(
        &database_url,
        &[
            ("MARKETPLACE_MASTER_KEY", NEW_KEY),
            ("MARKETPLACE_PREVIOUS_MASTER_KEYS", MASTER_KEY),
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(
        counts(&report, "instances.sealed_config"),
        (1, 0),
        "{report}"
    );

    assert_old_key_opens_nothing(&database_url, MASTER_KEY, &instance_id);
    // The new key alone: nothing left to re-seal, and every sealed value opens (a value that did
    // not would fail the run).
    let (ok, report, stderr) = rotate(
        &database_url,
        &[
            ("MARKETPLACE_MASTER_KEY", NEW_KEY),
            ("MARKETPLACE_PREVIOUS_MASTER_KEYS", ""),
        ],
    );
    assert!(ok, "{stderr}");
    assert_eq!(
        counts(&report, "instances.sealed_config"),
        (0, 1),
        "{report}"
    );
    let (status, found) = instance_served(
        &database_url,
        &["--master-key", NEW_KEY],
        &api_key,
        &instance_id,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["config"]["account_code"], "ABC-1234", "{found}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rotating_a_sqlite_key_file_replaces_it_and_resumes_after_a_stop() {
    let (database_url, dir) = fresh_database(Backend::Sqlite).await;
    let dir = dir.expect("a SQLite database lives in a folder");
    let key_file = dir.0.join("test.db.key");
    let pending = dir.0.join("test.db.key.new");
    let (api_key, instance_id) = one_sealed_instance(&database_url).await;
    let old_key = std::fs::read_to_string(&key_file).unwrap();

    let (ok, report, stderr) = rotate(&database_url, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(
        counts(&report, "instances.sealed_config"),
        (1, 0),
        "{report}"
    );
    let new_key = std::fs::read_to_string(&key_file).unwrap();
    assert_ne!(new_key, old_key, "the key file holds a new key");
    assert!(!pending.exists(), "the new key replaced the key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file stays private");
    }
    assert_old_key_opens_nothing(&database_url, old_key.trim(), &instance_id);
    let (status, found) = instance_served(&database_url, &[], &api_key, &instance_id).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["config"]["account_code"], "ABC-1234", "{found}");

    // A rotation that committed but stopped before its swap: the old key in the key file, the
    // new one beside it. The service opens values with either, and a second run finishes it.
    std::fs::rename(&key_file, &pending).unwrap();
    std::fs::write(&key_file, &old_key).unwrap();
    let (status, found) = instance_served(&database_url, &[], &api_key, &instance_id).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let (ok, report, stderr) = rotate(&database_url, &[]);
    assert!(ok, "{stderr}");
    assert_eq!(
        counts(&report, "instances.sealed_config"),
        (0, 1),
        "the pending key was taken up again, not a third one made: {report}"
    );
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), new_key);
    assert!(!pending.exists());
}
