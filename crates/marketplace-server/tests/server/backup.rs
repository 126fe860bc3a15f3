//! `marketplace-server backup`: an online copy of a SQLite database (`VACUUM INTO`) and of its key
//! file, taken while the service runs and then served as a restore would: the data is there and
//! its sealed secrets open. SQLite only (PostgreSQL has `pg_dump`).

use super::common::{Backend, fresh_database, orders_config};
use super::durability::{
    acme_token, activate_over_http, binary, free_port, init_organization, list_orders, serve_with,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_online_is_served_after_a_restore() {
    let (database_url, dir) = fresh_database(Backend::Sqlite).await;
    let dir = dir.expect("a SQLite database lives in a folder");
    let (organization_id, api_key) = init_organization(&database_url);
    let port = free_port();
    let mut server = serve_with(&database_url, port, &[]).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let integration = list_orders(&client, &base, &api_key).await;
    let body = json!({"integration_id": integration, "config": orders_config("https://erp.example.com/in")});
    let instance = activate_over_http(&client, &base, &acme_token(&organization_id), &body).await;
    let instance_id = instance["id"].as_str().unwrap().to_owned();

    // Online, while the service runs.
    let copy = dir.0.join("copy.db");
    let backup = |to: &std::path::Path| {
        binary(&database_url)
            .args(["backup", "--to"])
            .arg(to)
            .output()
            .unwrap()
    };
    let done = backup(&copy);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(
        dir.0.join("copy.db.key").exists(),
        "the key file is copied beside it"
    );
    let again = backup(&copy);
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    server.kill();

    // The restore: the copy served, its data there and its sealed values opened.
    let restored_port = free_port();
    let _restored = serve_with(&format!("sqlite://{}", copy.display()), restored_port, &[]).await;
    let restored = format!("http://127.0.0.1:{restored_port}");
    let admin_get = |path: String| {
        let request = client
            .get(format!("{restored}{path}"))
            .bearer_auth(&api_key);
        async move {
            let response = request.send().await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    let (status, found) = admin_get(format!("/api/v1/integrations/{integration}")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["name"], "Orders");
    let (status, found) = admin_get(format!("/api/v1/instances/{instance_id}")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["config"]["account_code"], "ABC-1234", "{found}");
    assert_eq!(
        found["config"]["auth"]["api_key"],
        json!({"set": true}),
        "secrets stay masked"
    );
}
