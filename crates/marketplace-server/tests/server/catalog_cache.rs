//! Two service processes on one PostgreSQL database (two services in this test, each with its
//! own memory, as two processes have), each keeping its catalog and customer snapshots. One
//! listens for cache notifications (`service::cache_notifications`) and drops its copies when
//! the other's write is notified, within moments, reading no version in between. The other does
//! not listen, and never serves a snapshot older than a write the first committed: one indexed
//! read of the catalog and customer versions (bumped by the writes, the customer's by triggers)
//! tells it.

use super::common::{Backend, TestServer, customer_id, orders_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// One catalog entry as [`seen`] gives it.
type Seen = (String, Value, Value, Value);

/// How long a notified change may take to show in a listening process (moments, in fact).
const NOTIFIED_WITHIN: Duration = Duration::from_secs(5);

/// Waits until the server's listener of cache notifications is connected.
async fn listening(server: &TestServer) {
    let deadline = Instant::now() + NOTIFIED_WITHIN;
    while !server.state.cache_listener.is_live() {
        assert!(Instant::now() < deadline, "the listener never connected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What `server` serves once `wanted` holds of it, read again until then (a listening process
/// drops its copy when the notification arrives); the last read if it never holds.
async fn seen_soon(
    server: &TestServer,
    token: &str,
    wanted: impl Fn(&[Seen]) -> bool,
) -> Vec<Seen> {
    let deadline = Instant::now() + NOTIFIED_WITHIN;
    loop {
        let now = seen(server, token).await;
        if wanted(&now) || Instant::now() >= deadline {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Another service on `a`'s database, which does not listen for cache notifications (its
/// workers do not run).
async fn second_process(a: &TestServer) -> TestServer {
    TestServer::on_existing(
        a.database_url.clone(),
        None,
        a.organization_id.clone(),
        a.admin_key.clone(),
    )
    .await
}

fn entry(name: &str, activated: bool, count: u64, status: &str) -> Seen {
    (
        name.to_owned(),
        json!(activated),
        json!(count),
        json!(status),
    )
}

/// The customer's catalog as `server` serves it: each listed integration's (activated,
/// instance count, deployability status), by name.
async fn seen(server: &TestServer, token: &str) -> Vec<Seen> {
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
async fn each_process_serves_what_the_other_wrote() {
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
    let b = second_process(&a).await;
    // A listens (its workers run); B does not.
    listening(&a).await;
    assert!(!b.state.cache_listener.is_live());
    let token = a.token("cache-co", "u-1", "admin");

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
    let want = entry("Orders", true, 1, "not_deployable");
    assert_eq!(seen_soon(&a, &token, |s| s[0] == want).await[0], want);

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
    let want = entry("Vendor values", false, 0, "deployable");
    assert_eq!(seen_soon(&a, &token, |s| s[1] == want).await[1], want);

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
    let want = entry("Orders", false, 0, "deployable");
    assert_eq!(seen_soon(&a, &token, |s| s[0] == want).await[0], want);

    // A catalog write through B (the listing withdrawn).
    let (status, body) = b
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplace/listings/{orders}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let want = vec![entry("Vendor values", false, 0, "deployable")];
    assert_eq!(seen_soon(&a, &token, |s| s == want).await, want);

    // Writes through A: B, which does not listen, shows each on its very next read.
    let instance = a.activate(&token, &priced, json!({})).await;
    assert_eq!(
        seen(&b, &token).await,
        vec![entry("Vendor values", true, 1, "not_deployable")]
    );
    let (status, body) = a
        .embedded(
            &token,
            Method::DELETE,
            &format!(
                "/api/v1/embedded/instances/{}",
                instance["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(seen(&b, &token).await, want);
    let (status, body) = a
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplace/listings/{priced}"),
            None,
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(seen(&b, &token).await, vec![]);
}

/// A listening process serves its copies without asking the database. A change written behind
/// the triggers' back (so nobody is notified) stays unseen while the process listens. Once its
/// listening connection is lost, it checks the versions again on every read, and it drops its
/// copies when it listens again: the change shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn a_listening_process_reads_from_memory_until_its_connection_is_lost() {
    let a = TestServer::start(Backend::Postgres).await;
    a.orders_listed(false).await;
    listening(&a).await;
    let token = a.token("silent-co", "u-1", "admin");
    let before = vec![entry("Orders", false, 0, "deployable")];
    assert_eq!(seen(&a, &token).await, before);

    // The listing withdrawn from customers and the catalog version bumped, with the session's
    // triggers off: no notification.
    let mut tx = a.state.store.begin().await.unwrap();
    for statement in [
        "SET LOCAL session_replication_role = replica",
        "UPDATE listings SET customer_deployable = 0",
        "UPDATE organizations SET catalog_version = catalog_version + 1",
    ] {
        sqlx::query(statement)
            .execute(tx.conn().await.unwrap())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        seen(&a, &token).await,
        before,
        "a listening process read the versions"
    );

    // Its listening connection ended by the server.
    let ended: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN %') AS ended",
    )
    .fetch_one(&a.state.store.db.read)
    .await
    .unwrap();
    assert_eq!(ended, 1, "one listening connection");
    let after = vec![entry("Orders", false, 0, "contact_vendor")];
    assert_eq!(seen_soon(&a, &token, |s| s == after).await, after);
    listening(&a).await;
}

/// A customer moved into a tenant through B (which sees only the listings assigned to it, none
/// here): A, listening, serves the customer the tenant's catalog within moments, not after the
/// 5 s recheck it makes when it does not listen.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
async fn a_customer_moved_into_a_tenant_is_seen_by_the_other_process() {
    let a = TestServer::start(Backend::Postgres).await;
    a.orders_listed(false).await;
    let b = second_process(&a).await;
    listening(&a).await;
    let token = a.token("moved-co", "u-1", "admin");
    assert_eq!(seen(&a, &token).await.len(), 1);
    let tenant = super::tenants::tenant(&b, "resellers", "tenant").await;
    let customer_id = customer_id(&b, "moved-co").await;
    let started = Instant::now();
    let (status, body) = b
        .admin(
            Method::PATCH,
            &format!("/api/v1/customers/{customer_id}"),
            Some(json!({"tenant_id": tenant})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(seen_soon(&a, &token, <[Seen]>::is_empty).await, vec![]);
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "seen only after {:?}: the recheck, not the notification",
        started.elapsed()
    );
}
