//! The audit's fixes: list order, revoked users and customers, the customer-delete cascade,
//! instances outliving their listing, the admin instance operations, readiness, and an event for
//! every state change.

use super::common::{
    TestServer, customer_id, first_error, items, orders_config, orders_version, sign, sink,
};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

on_both_backends!(
    logs_and_executions_are_newest_first,
    deleted_users_and_customers_are_revoked,
    customer_delete_takes_all_its_data,
    removing_a_listing_keeps_its_instances,
    admin_instance_operations,
    readiness_follows_the_database,
    every_state_change_records_an_event
);

/// Unix milliseconds now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Waits until the clock is at least `after_ms + 1000`, then returns claims for the user whose
/// `iat` is the current second: a token issued at least one second after `after_ms`.
async fn claims_issued_after(
    server: &TestServer,
    after_ms: i64,
    customer: &str,
    user: &str,
) -> Value {
    while now_ms() < after_ms + 1000 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut claims = server.claims(customer, user, "admin");
    let now = now_ms() / 1000;
    claims["iat"] = json!(now);
    claims["exp"] = json!(now + 600);
    claims
}

/// Parses an RFC 3339 timestamp of a response into Unix milliseconds.
fn millis(at: &Value) -> i128 {
    let text = at.as_str().unwrap_or_else(|| panic!("a timestamp: {at}"));
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .unix_timestamp_nanos()
        / 1_000_000
}

/// The ids of list items.
fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Checks that the list at `path` (which has a query already) holds `expected` items, newest
/// first (ids descending, `time_field` never increasing), and that pages of one item, followed
/// by cursor, walk the same items in the same order.
async fn assert_newest_first(
    server: &TestServer,
    credential: &str,
    path: &str,
    time_field: &str,
    expected: usize,
) {
    let (status, list) = server
        .call(
            Some(credential),
            Method::GET,
            &format!("{path}&limit=200"),
            None,
        )
        .await;
    let all = items(status, &list);
    assert_eq!(all.len(), expected, "{path}: {list}");
    let all_ids = ids(&all);
    let mut descending = all_ids.clone();
    descending.sort();
    descending.reverse();
    assert_eq!(all_ids, descending, "{path}: newest (greatest id) first");
    let times: Vec<i128> = all.iter().map(|i| millis(&i[time_field])).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "{path}: {time_field} never increases: {times:?}"
    );

    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page_path = match &cursor {
            None => format!("{path}&limit=1"),
            Some(c) => format!("{path}&limit=1&cursor={c}"),
        };
        let (status, page) = server
            .call(Some(credential), Method::GET, &page_path, None)
            .await;
        let page_items = items(status, &page);
        assert!(page_items.len() <= 1, "{page_path}: {page}");
        walked.extend(ids(&page_items));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(walked.len() <= expected, "{path}: paging does not end");
    }
    assert_eq!(
        walked, all_ids,
        "{path}: pages of one walk newest to oldest"
    );
}

/// Runs the instance's flow once with test input; returns the finished execution.
async fn test_run(server: &TestServer, token: &str, instance_id: &str, order: i64) -> Value {
    let (status, execution) = server
        .embedded(
            token,
            Method::POST,
            &format!("/api/v1/embedded/instances/{instance_id}/test"),
            Some(json!({"input": {"order": {"id": order}}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{execution}");
    assert_eq!(execution["status"], "succeeded", "{execution}");
    execution
}

/// The user ids listed for a customer.
async fn user_ids(server: &TestServer, customer_id: &str) -> Vec<String> {
    let (status, list) = server
        .admin_get(&format!("/api/v1/customers/{customer_id}/users"))
        .await;
    let mut users = ids(&items(status, &list));
    users.sort();
    users
}

async fn logs_and_executions_are_newest_first(server: TestServer) {
    let endpoint = sink().await;
    let id = server.orders_listed(false).await;
    let token = server.token("acme", "ada", "admin");
    let instance = server.activate(&token, &id, orders_config(&endpoint)).await;
    let instance_id = instance["id"].as_str().unwrap();
    let mut runs = Vec::new();
    for order in 1..=3 {
        runs.push(test_run(&server, &token, instance_id, order).await["id"].clone());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let (_, logs) = server
        .admin_get(&format!("/api/v1/logs?instance_id={instance_id}&limit=200"))
        .await;
    let log_count = logs["items"].as_array().unwrap().len();
    assert!(log_count >= 3, "every run logs: {logs}");

    let admin_key = server.admin_key.clone();
    let executions = format!("/api/v1/executions?instance_id={instance_id}");
    assert_newest_first(&server, &admin_key, &executions, "started_at", 3).await;
    let (_, list) = server.admin_get(&executions).await;
    runs.reverse();
    assert_eq!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].clone())
            .collect::<Vec<_>>(),
        runs,
        "the last run comes first"
    );
    let logs = format!("/api/v1/logs?instance_id={instance_id}");
    assert_newest_first(&server, &admin_key, &logs, "at", log_count).await;
    let embedded = format!("/api/v1/embedded/instances/{instance_id}");
    assert_newest_first(
        &server,
        &token,
        &format!("{embedded}/executions?"),
        "started_at",
        3,
    )
    .await;
    assert_newest_first(
        &server,
        &token,
        &format!("{embedded}/logs?"),
        "at",
        log_count,
    )
    .await;
}

async fn deleted_users_and_customers_are_revoked(server: TestServer) {
    server.orders_listed(false).await;
    let catalog = "/api/v1/embedded/marketplace";
    let ada = server.token("acme", "ada", "admin");
    let bob = server.token("acme", "bob", "viewer");
    for token in [&ada, &bob] {
        let (status, body) = server.embedded_get(token, catalog).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let acme = customer_id(&server, "acme").await;
    assert_eq!(user_ids(&server, &acme).await, ["ada", "bob"]);

    // Deleting a user revokes the tokens issued before: 401 token_revoked, and no re-creation.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{acme}/users/ada"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deleted_at = now_ms();
    let (status, problem) = server.embedded_get(&ada, catalog).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_revoked")),
        "{problem}"
    );
    assert_eq!(
        user_ids(&server, &acme).await,
        ["bob"],
        "ada is not re-created"
    );
    let (status, body) = server.embedded_get(&bob, catalog).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "another user's token still works: {body}"
    );

    // A token issued after the deletion works, and brings the user back.
    let fresh = sign(
        &claims_issued_after(&server, deleted_at, "acme", "ada").await,
        "rs",
    );
    let (status, body) = server.embedded_get(&fresh, catalog).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(user_ids(&server, &acme).await, ["ada", "bob"]);

    // Deleting a customer revokes its users' earlier tokens, even one naming the customer.
    let gus = server.token("globex", "gus", "admin");
    assert!(
        server.claims("globex", "gus", "admin")["customer_name"].is_string(),
        "the token can create its customer"
    );
    let (status, body) = server.embedded_get(&gus, catalog).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let globex = customer_id(&server, "globex").await;
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{globex}?confirm_name=Customer%20globex"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = server.embedded_get(&gus, catalog).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_revoked")),
        "{problem}"
    );
    let (status, list) = server
        .admin_get("/api/v1/customers?external_id=globex")
        .await;
    assert_eq!(
        items(status, &list).len(),
        0,
        "the customer is not re-created"
    );
}

async fn customer_delete_takes_all_its_data(server: TestServer) {
    let endpoint = sink().await;
    let id = server.orders_listed(true).await;
    // The customer: two users, two instances (one deactivated), runs, vendor values.
    let ada = server.token("acme", "ada", "admin");
    let bob = server.token("acme", "bob", "viewer");
    let (status, _) = server
        .embedded_get(&bob, "/api/v1/embedded/instances")
        .await;
    assert_eq!(status, StatusCode::OK);
    let first = server.activate(&ada, &id, orders_config(&endpoint)).await;
    let second = server.activate(&ada, &id, orders_config(&endpoint)).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    let second_id = second["id"].as_str().unwrap().to_owned();
    test_run(&server, &ada, &first_id, 1).await;
    test_run(&server, &ada, &second_id, 2).await;
    let (status, gone) = server
        .embedded(
            &ada,
            Method::DELETE,
            &format!("/api/v1/embedded/instances/{second_id}"),
            None,
        )
        .await;
    assert_eq!(
        (status, gone["status"].as_str()),
        (StatusCode::OK, Some("deactivated"))
    );
    let acme = customer_id(&server, "acme").await;
    let acme_config = format!("/api/v1/customers/{acme}/config/{id}");
    let (status, body) = server
        .admin(
            Method::PUT,
            &acme_config,
            Some(json!({"values": {"tier": "gold"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(user_ids(&server, &acme).await, ["ada", "bob"]);

    // Another customer, which must be left alone.
    let cleo = server.token("initech", "cleo", "admin");
    let kept = server.activate(&cleo, &id, orders_config(&endpoint)).await;
    let kept_id = kept["id"].as_str().unwrap().to_owned();
    test_run(&server, &cleo, &kept_id, 3).await;
    let initech = customer_id(&server, "initech").await;
    let initech_config = format!("/api/v1/customers/{initech}/config/{id}");
    server
        .admin(
            Method::PUT,
            &initech_config,
            Some(json!({"values": {"tier": "silver"}})),
        )
        .await;

    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{acme}?confirm_name=Customer%20acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Through the admin API: nothing of the customer is left.
    for instance in [&first_id, &second_id] {
        let (status, body) = server
            .admin_get(&format!("/api/v1/instances/{instance}"))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{instance}: {body}");
    }
    for list in ["instances", "executions", "logs"] {
        let (status, body) = server
            .admin_get(&format!("/api/v1/{list}?customer_id={acme}"))
            .await;
        assert_eq!(items(status, &body).len(), 0, "{list}: {body}");
    }
    for path in [format!("/api/v1/customers/{acme}/users"), acme_config] {
        let (status, _) = server.admin_get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // In the database itself: no row of the customer or of its instances.
    for table in [
        "instances",
        "customer_users",
        "customer_configs",
        "executions",
        "logs",
        "idempotency_keys",
    ] {
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE customer_id = $1"
        )))
        .bind(&acme)
        .fetch_one(&server.state.store.db.read)
        .await
        .unwrap();
        assert_eq!(rows, 0, "rows of the deleted customer left in {table}");
    }
    let urls: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_urls WHERE instance_id IN ($1, $2)")
            .bind(&first_id)
            .bind(&second_id)
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap();
    assert_eq!(urls, 0, "webhook URLs of the deleted instances");

    // The other customer keeps everything.
    let (status, body) = server
        .admin_get(&format!("/api/v1/instances/{kept_id}"))
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("active"))
    );
    for list in ["instances", "executions", "logs"] {
        let (status, body) = server
            .admin_get(&format!("/api/v1/{list}?customer_id={initech}"))
            .await;
        assert!(!items(status, &body).is_empty(), "{list}: {body}");
    }
    let (_, values) = server.admin_get(&initech_config).await;
    assert_eq!(values["values"]["tier"], "silver", "{values}");
    assert_eq!(user_ids(&server, &initech).await, ["cleo"]);
}

async fn removing_a_listing_keeps_its_instances(server: TestServer) {
    let id = server.orders_listed(false).await;
    let token = server.token("acme", "ada", "admin");
    let instance = server
        .activate(&token, &id, orders_config("https://erp.example.com/in"))
        .await;
    let instance_id = instance["id"].as_str().unwrap();
    let acme = customer_id(&server, "acme").await;
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplace/listings/{id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // The instance is still there for both APIs.
    let (status, body) = server
        .admin_get(&format!("/api/v1/instances/{instance_id}"))
        .await;
    assert_eq!(
        (status, body["version"].as_str(), body["status"].as_str()),
        (StatusCode::OK, Some("1.0.0"), Some("active")),
        "{body}"
    );
    let (status, body) = server
        .embedded_get(&token, &format!("/api/v1/embedded/instances/{instance_id}"))
        .await;
    assert_eq!(
        (status, body["id"].as_str()),
        (StatusCode::OK, Some(instance_id)),
        "{body}"
    );

    // The vendor still reads and sets the customer's values, against the instance's version.
    let config = format!("/api/v1/customers/{acme}/config/{id}");
    let (status, body) = server.admin_get(&config).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .admin(
            Method::PUT,
            &config,
            Some(json!({"values": {"tier": "gold"}})),
        )
        .await;
    assert_eq!(
        (status, body["values"]["tier"].as_str()),
        (StatusCode::OK, Some("gold")),
        "{body}"
    );
    let (status, problem) = server
        .admin(
            Method::PUT,
            &config,
            Some(json!({"values": {"endpoint": "https://x.example"}})),
        )
        .await;
    assert_eq!(
        (status, first_error(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("/values/endpoint"), Some("not_editable"))
        ),
        "the instance's spec is known: {problem}"
    );
    let (_, body) = server.admin_get(&config).await;
    assert_eq!(body["values"]["tier"], "gold", "{body}");
}

async fn admin_instance_operations(server: TestServer) {
    let id = server
        .listed_integration(
            "Orders",
            orders_version("1.0.0"),
            json!({"customer_deployable": false, "allow_multiple_instances": false}),
        )
        .await;
    let (status, customer) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Initech", "external_id": "initech"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let customer_id = customer["id"].as_str().unwrap();

    // The customer may not activate it; the vendor may, on its behalf.
    let token = server.token("initech", "ada", "admin");
    let (status, problem) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")})),
        )
        .await;
    assert_eq!(
        (status, problem["reasons"][0]["code"].as_str()),
        (
            StatusCode::FORBIDDEN,
            Some("listing_not_customer_deployable")
        )
    );
    let (status, instance) = server
        .admin(
            Method::POST,
            &format!("/api/v1/customers/{customer_id}/instances"),
            Some(json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")})),
        )
        .await;
    assert_eq!(
        (
            status,
            instance["status"].as_str(),
            instance["customer_id"].as_str()
        ),
        (StatusCode::CREATED, Some("active"), Some(customer_id)),
        "{instance}"
    );
    let instance_id = instance["id"].as_str().unwrap();
    let path = format!("/api/v1/instances/{instance_id}");

    // The vendor sets an organization variable; the customer never sees it.
    let mut config = json!({"endpoint": "https://erp.example.com/v2", "account_code": "ABC-1234",
                            "auth": {"api_key": {"set": true}}, "tier": "gold"});
    let (status, patched) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"config": config.clone()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (
            patched["config"]["tier"].as_str(),
            patched["config"]["endpoint"].as_str(),
            patched["config"]["api_token"].clone()
        ),
        (
            Some("gold"),
            Some("https://erp.example.com/v2"),
            json!({"set": true})
        )
    );
    let (status, seen) = server
        .embedded_get(&token, &format!("/api/v1/embedded/instances/{instance_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{seen}");
    assert_eq!(seen["config"]["endpoint"], "https://erp.example.com/v2");
    assert!(seen["config"].get("tier").is_none(), "{seen}");
    config["batch_size"] = json!(0);
    let (status, problem) = server
        .admin(Method::PATCH, &path, Some(json!({"config": config})))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/config/batch_size")),
        "{problem}"
    );

    // Upgrade: a published version, with a report; a draft or an unknown version is refused.
    let mut next = orders_version("1.1.0");
    let elements = next["config"]["pages"][0]["elements"]
        .as_array_mut()
        .unwrap();
    elements.retain(|e| e["key"] != "account_code");
    elements.push(
        json!({"key": "warehouse", "label": "Warehouse", "type": "string", "required": true}),
    );
    let versions = format!("/api/v1/integrations/{id}/versions");
    let (status, body) = server.admin(Method::POST, &versions, Some(next)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .admin(Method::POST, &format!("{versions}/1.1.0/publish"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .admin(Method::POST, &versions, Some(orders_version("1.2.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let upgrade = format!("{path}/upgrade");
    let (status, problem) = server
        .admin(Method::POST, &upgrade, Some(json!({"version": "1.2.0"})))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/version")),
        "a draft: {problem}"
    );
    let (status, problem) = server
        .admin(Method::POST, &upgrade, Some(json!({"version": "9.9.9"})))
        .await;
    assert_eq!(
        (status, first_error(&problem)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some("/version"), Some("invalid_reference"))
        ),
        "an unknown version: {problem}"
    );
    let (status, upgraded) = server
        .admin(Method::POST, &upgrade, Some(json!({"version": "1.1.0"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{upgraded}");
    let sorted = |list: &Value| {
        let mut keys: Vec<String> = list
            .as_array()
            .unwrap_or_else(|| panic!("a list of keys: {list}"))
            .iter()
            .map(|k| k.as_str().unwrap().to_owned())
            .collect();
        keys.sort();
        keys
    };
    let report = &upgraded["report"];
    assert_eq!(
        sorted(&report["carried_over"]),
        ["api_token", "auth", "endpoint", "tier"]
    );
    assert_eq!(sorted(&report["dropped"]), ["account_code"]);
    assert_eq!(sorted(&report["newly_required"]), ["warehouse"]);
    assert_eq!(
        (
            upgraded["instance"]["version"].as_str(),
            upgraded["instance"]["status"].as_str()
        ),
        (Some("1.1.0"), Some("needs_configuration"))
    );
}

async fn readiness_follows_the_database(server: TestServer) {
    let (status, body) = server.call(None, Method::GET, "/healthz", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, body) = server.call(None, Method::GET, "/readyz", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ready"})));

    // With the database closed, the service is alive but not ready.
    server.state.store.db.close().await;
    let (status, problem) = server.call(None, Method::GET, "/readyz", None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("not_ready")),
        "{problem}"
    );
    let (status, body) = server.call(None, Method::GET, "/healthz", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
}

/// The event types every admin change must record, in the order the scenario causes them.
const EVENT_TYPES: [&str; 15] = [
    "integration.created",
    "integration.updated",
    "version.created",
    "version.updated",
    "version.published",
    "listing.updated",
    "customer.vendor_values_updated",
    "customer_user.updated",
    "customer_user.deleted",
    "listing.removed",
    "api_key.created",
    "api_key.revoked",
    "signing_key.created",
    "signing_key.revoked",
    "organization.updated",
];

/// The events of one type, oldest first.
async fn events_of(server: &TestServer, event_type: &str) -> Vec<Value> {
    let (status, list) = server
        .admin_get(&format!("/api/v1/events?type={event_type}&limit=200"))
        .await;
    items(status, &list)
}

async fn every_state_change_records_an_event(server: TestServer) {
    let mut before = Vec::new();
    for event_type in EVENT_TYPES {
        before.push(events_of(&server, event_type).await.len());
    }
    let ok = |status: StatusCode, body: &Value| {
        assert!(status.is_success(), "{status}: {body}");
    };

    // Integration, version, listing.
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Vendor values", "category": "CRM"})),
        )
        .await;
    ok(status, &integration);
    let id = integration["id"].as_str().unwrap().to_owned();
    let (status, body) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"description": "Plans and secrets"})),
        )
        .await;
    ok(status, &body);
    let version = json!({"version": "1.0.0", "config": {"pages": [{"title": "P", "elements": [
        {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization"},
        {"key": "vendor_secret", "label": "Secret", "type": "secret", "visibility": "organization"},
        {"key": "mine", "label": "Mine", "type": "string"}]}]}});
    let versions = format!("/api/v1/integrations/{id}/versions");
    let (status, body) = server
        .admin(Method::POST, &versions, Some(version.clone()))
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(Method::PUT, &format!("{versions}/1.0.0"), Some(version))
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(Method::POST, &format!("{versions}/1.0.0/publish"), None)
        .await;
    ok(status, &body);
    let listing = format!("/api/v1/marketplace/listings/{id}");
    let (status, body) = server
        .admin(
            Method::PUT,
            &listing,
            Some(json!({"version": "1.0.0", "customer_deployable": true, "allow_multiple_instances": false})),
        )
        .await;
    ok(status, &body);

    // Customer values and users.
    let token = server.token("acme", "ada", "admin");
    let (status, body) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    ok(status, &body);
    let acme = customer_id(&server, "acme").await;
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/customers/{acme}/config/{id}"),
            Some(json!({"values": {"plan": "plan-VALUE-0006", "vendor_secret": "v-SECRET-0005"}})),
        )
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/customers/{acme}/users/ada"),
            Some(json!({"name": "Ada"})),
        )
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{acme}/users/ada"),
            None,
        )
        .await;
    ok(status, &body);
    let (status, body) = server.admin(Method::DELETE, &listing, None).await;
    ok(status, &body);

    // Keys and the organization.
    let (status, key) = server
        .admin(
            Method::POST,
            "/api/v1/api-keys",
            Some(json!({"name": "ci"})),
        )
        .await;
    ok(status, &key);
    let (status, body) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/api-keys/{}", key["id"].as_str().unwrap()),
            None,
        )
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/signing-keys",
            Some(json!({"kid": "rotated", "algorithm": "EdDSA", "public_key_pem": super::common::KEYS[2].3})),
        )
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(Method::DELETE, "/api/v1/signing-keys/rotated", None)
        .await;
    ok(status, &body);
    let (status, body) = server
        .admin(
            Method::PATCH,
            "/api/v1/organization",
            Some(json!({"name": "Renamed Vendor"})),
        )
        .await;
    ok(status, &body);

    // Exactly one new event of each type.
    let mut new_events = Vec::new();
    let mut counts = Vec::new();
    for (event_type, before) in EVENT_TYPES.into_iter().zip(before) {
        let events = events_of(&server, event_type).await;
        counts.push((event_type, events.len().saturating_sub(before)));
        new_events.extend(events.into_iter().skip(before).map(|e| (event_type, e)));
    }
    assert_eq!(counts, EVENT_TYPES.map(|t| (t, 1)), "one event per change");
    for (event_type, event) in &new_events {
        assert_eq!(event["type"], *event_type, "{event}");
        if event_type.starts_with("integration.")
            || event_type.starts_with("version.")
            || event_type.starts_with("listing.")
        {
            assert_eq!(
                event["integration_id"].as_str(),
                Some(id.as_str()),
                "{event}"
            );
        }
        if event_type.starts_with("customer") {
            assert_eq!(
                event["customer_id"].as_str(),
                Some(acme.as_str()),
                "{event}"
            );
        }
    }
    let (_, values_event) = new_events
        .iter()
        .find(|(t, _)| *t == "customer.vendor_values_updated")
        .unwrap();
    let data = values_event["data"].to_string();
    assert!(
        data.contains("\"plan\"") && data.contains("\"vendor_secret\""),
        "the changed keys are listed: {data}"
    );
    let everything = json!(new_events.iter().map(|(_, e)| e).collect::<Vec<_>>()).to_string();
    assert!(
        !everything.contains("v-SECRET-0005") && !everything.contains("plan-VALUE-0006"),
        "events hold keys, never values: {everything}"
    );
}
