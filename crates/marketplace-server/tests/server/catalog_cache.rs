//! Two service processes on one PostgreSQL database (two services in this test, each with its
//! own memory, as two processes have): each keeps its catalog and customer snapshots, and
//! neither ever serves one older than a write the other committed, because one indexed read of
//! the catalog and customer versions (bumped by the writes, the customer's by triggers) tells it.

use super::common::{Backend, TestServer, customer_id, orders_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The customer's catalog as `server` serves it: each listed integration's (activated,
/// instance count, deployability status), by name.
async fn seen(server: &TestServer, token: &str) -> Vec<(String, Value, Value, Value)> {
    let (status, catalog) = server
        .embedded_get(token, "/api/v1/embedded/marketplace")
        .await;
    assert_eq!(status, StatusCode::OK, "{catalog}");
    let mut entries: Vec<_> = catalog["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_owned(),
                e["activated"].clone(),
                e["instance_count"].clone(),
                e["deployability"]["status"].clone(),
            )
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn a_process_never_serves_a_catalog_older_than_another_process_wrote() {
    let a = TestServer::start(Backend::Postgres).await;
    let orders = a.orders_listed(false).await;
    let priced = a
        .listed_integration(
            "Vendor values",
            json!({"version": "1.0.0", "config": {"pages": [{"title": "P", "elements": [
                {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true}]}]}}),
            json!({"customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await;
    let b = TestServer::on_existing(
        a.database_url.clone(),
        None,
        a.organization_id.clone(),
        a.admin_key.clone(),
    )
    .await;
    let token = a.token("cache-co", "u-1", "admin");
    let entry = |name: &str, activated: bool, count: u64, status: &str| {
        (
            name.to_owned(),
            json!(activated),
            json!(count),
            json!(status),
        )
    };

    // Both processes have read (and kept) the catalog.
    let before = vec![
        entry("Orders", false, 0, "deployable"),
        entry("Vendor values", false, 0, "contact_vendor"),
    ];
    for server in [&a, &b, &a] {
        assert_eq!(seen(server, &token).await, before);
    }

    // An activation through B: A's next read shows it.
    let instance = b
        .activate(&token, &orders, orders_config("https://erp.example.com/in"))
        .await;
    let instance_id = instance["id"].as_str().unwrap();
    assert_eq!(
        seen(&a, &token).await[0],
        entry("Orders", true, 1, "not_deployable")
    );

    // The vendor's values for the customer, set through B (a trigger on customer_configs).
    let customer_id = customer_id(&b, "cache-co").await;
    let (status, body) = b
        .admin(
            Method::PUT,
            &format!("/api/v1/customers/{customer_id}/config/{priced}"),
            Some(json!({"values": {"plan": "gold"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        seen(&a, &token).await[1],
        entry("Vendor values", false, 0, "deployable")
    );

    // A deactivation through B.
    let (status, body) = b
        .embedded(
            &token,
            Method::DELETE,
            &format!("/api/v1/embedded/instances/{instance_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        seen(&a, &token).await[0],
        entry("Orders", false, 0, "deployable")
    );

    // A catalog write through B (the listing withdrawn).
    let (status, body) = b
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplace/listings/{orders}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        seen(&a, &token).await,
        vec![entry("Vendor values", false, 0, "deployable")]
    );
}
