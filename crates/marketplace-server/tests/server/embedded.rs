//! The embedded API: a customer's whole journey, idempotency, concurrency, and secrets at rest.

use super::common::{HOST_ORIGIN, TestServer, error_codes, orders_config, orders_version, sign};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    customer_journey,
    idempotent_and_concurrent_activation,
    secrets_never_leave_or_rest_in_clear,
    cors_and_origins
);

async fn customer_journey(server: TestServer) {
    let id = server
        .listed_integration("Orders", orders_version("1.0.0"), json!({"overview": "# Orders", "customer_deployable": true, "allow_multiple_instances": false}))
        .await;
    let token = server.token("acme", "ada", "admin");

    // Catalog and detail: the customer sees only customer variables.
    let (status, catalog) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace?q=ORD")
        .await;
    assert_eq!(status, StatusCode::OK, "{catalog}");
    let entry = &catalog["items"][0];
    assert_eq!(
        (entry["integration_id"].as_str(), entry["activated"].clone()),
        (Some(id.as_str()), json!(false))
    );
    assert_eq!(
        entry["deployability"],
        json!({"status": "deployable", "reasons": []})
    );
    let (_, detail) = server
        .embedded_get(&token, &format!("/api/v1/embedded/marketplace/{id}"))
        .await;
    assert_eq!(detail["overview"], "# Orders");
    assert_eq!(detail["flows"], json!(["orders"]));
    let keys: Vec<&str> = detail["config"]["pages"][0]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert_eq!(
        keys,
        [
            "endpoint",
            "auth",
            "region",
            "batch_size",
            "account_code",
            "api_token"
        ]
    );

    // Validate: every problem at once, as a verdict (200).
    let (status, verdict) = server
        .embedded(
            &token,
            Method::POST,
            &format!("/api/v1/embedded/marketplace/{id}/validate"),
            Some(json!({"config": {"endpoint": "x", "tier": "gold"}})),
        )
        .await;
    assert_eq!(
        (status, verdict["valid"].clone()),
        (StatusCode::OK, json!(false))
    );
    let codes = error_codes(&verdict);
    assert_eq!(
        codes,
        [
            ("/endpoint", "format"),
            ("/tier", "not_editable"),
            ("/auth", "required"),
            ("/account_code", "required")
        ]
    );

    // Activate: 422 with paths under /config, then 201 with masked secrets and webhook URLs.
    let (status, problem) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": id, "config": {"endpoint": "x"}})),
        )
        .await;
    assert_eq!(
        (status, problem["errors"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/config/endpoint"))
    );
    let (status, instance) = server
        .embedded(&token, Method::POST, "/api/v1/embedded/instances", Some(json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{instance}");
    assert_eq!(instance["status"], "active");
    assert_eq!(
        instance["config"]["auth"],
        json!({"api_key": {"set": true}})
    );
    assert_eq!(instance["config"]["api_token"], json!({"set": true}));
    let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/webhooks/", server.base))
            && url.len() > server.base.len() + 30,
        "{url}"
    );
    let instance_id = instance["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/embedded/instances/{instance_id}");

    // A second activation is refused: multiple instances are not allowed (409 with reasons).
    let (status, problem) = server
        .embedded(&token, Method::POST, "/api/v1/embedded/instances", Some(json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")})))
        .await;
    assert_eq!(
        (status, problem["reasons"][0]["code"].as_str()),
        (StatusCode::CONFLICT, Some("instance_exists"))
    );
    let (_, catalog) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    assert_eq!(
        (
            catalog["items"][0]["activated"].clone(),
            catalog["items"][0]["instance_count"].clone()
        ),
        (json!(true), json!(1))
    );

    // Reconfigure without the secrets: they are kept; a bad value is 422.
    let (status, problem) = server
        .embedded(
            &token,
            Method::PATCH,
            &path,
            Some(json!({"config": {"endpoint": "https://e.example", "batch_size": 0}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, reconfigured) = server
        .embedded(&token, Method::PATCH, &path, Some(json!({"name": "EU orders", "config": {"endpoint": "https://e.example", "account_code": "XYZ-0001", "auth": {"api_key": {"set": true}}}})))
        .await;
    assert_eq!(status, StatusCode::OK, "{reconfigured}");
    assert_eq!(
        (
            reconfigured["name"].as_str(),
            reconfigured["config"]["api_token"].clone()
        ),
        (Some("EU orders"), json!({"set": true}))
    );
    let stored = marketplace_server::service::instances::load(
        &server.state,
        &server.organization_id,
        &instance_id,
        None,
    )
    .await
    .unwrap();
    assert_eq!(stored.config["auth"]["api_key"], "key-SECRET-0001");
    assert_eq!(stored.config["api_token"], "tok-SECRET-0002");

    // Pause, resume, deactivate; illegal transitions are 409.
    for (action, expected_status, expected) in [
        ("pause", 200, "paused"),
        ("pause", 409, ""),
        ("resume", 200, "active"),
        ("resume", 409, ""),
    ] {
        let (status, body) = server
            .embedded(&token, Method::POST, &format!("{path}/{action}"), None)
            .await;
        assert_eq!(status.as_u16(), expected_status, "{action}: {body}");
        if status.is_success() {
            assert_eq!(body["status"], expected);
        }
    }
    let (status, gone) = server.embedded(&token, Method::DELETE, &path, None).await;
    assert_eq!(
        (
            status,
            gone["status"].as_str(),
            gone["webhook_urls"].clone()
        ),
        (StatusCode::OK, Some("deactivated"), json!([]))
    );
    let (status, _) = server
        .embedded(&token, Method::PATCH, &path, Some(json!({"config": {}})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Every change left its event, without secrets.
    let (_, events) = server
        .admin_get(&format!("/api/v1/events?instance_id={instance_id}"))
        .await;
    let types: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "instance.activated",
            "instance.reconfigured",
            "instance.paused",
            "instance.resumed",
            "instance.deactivated"
        ]
    );
    assert!(!events.to_string().contains("SECRET"));
    let (_, created) = server
        .admin_get("/api/v1/events?type=customer.created")
        .await;
    assert_eq!(
        created["items"].as_array().unwrap().len(),
        1,
        "the customer was created on first sight"
    );

    // The vendor sees the instance, organization values included; the customer's users are listed.
    let (_, listed) = server
        .admin_get(&format!(
            "/api/v1/instances?status=deactivated&integration_id={id}"
        ))
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let customer_id = listed["items"][0]["customer_id"].as_str().unwrap();
    let (_, users) = server
        .admin_get(&format!("/api/v1/customers/{customer_id}/users"))
        .await;
    assert_eq!(
        (
            users["items"][0]["id"].as_str(),
            users["items"][0]["role"].as_str()
        ),
        (Some("ada"), Some("admin"))
    );
}

async fn idempotent_and_concurrent_activation(server: TestServer) {
    let single = server
        .listed_integration(
            "Single",
            orders_version("1.0.0"),
            json!({"customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await;
    let multi = server
        .listed_integration(
            "Multi",
            orders_version("1.0.0"),
            json!({"customer_deployable": true, "allow_multiple_instances": true}),
        )
        .await;
    let token = server.token("acme", "ada", "admin");
    let body =
        json!({"integration_id": multi, "config": orders_config("https://erp.example.com/in")});
    let post = |key: Option<&'static str>, body: Value| {
        let mut request = server
            .client
            .post(format!("{}/api/v1/embedded/instances", server.base))
            .bearer_auth(&token)
            .json(&body);
        if let Some(k) = key {
            request = request.header("Idempotency-Key", k);
        }
        request.send()
    };
    // The same key twice: the same instance, nothing doubles; another body with the key: 409.
    let first = post(Some("k-1"), body.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = post(Some("k-1"), body.clone()).await.unwrap();
    assert_eq!(
        (
            again.status(),
            again.headers()["idempotent-replayed"]
                .to_str()
                .unwrap()
                .to_owned()
        ),
        (StatusCode::CREATED, "true".into())
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(first["id"], again["id"]);
    assert!(
        !again.to_string().contains("SECRET"),
        "the stored response holds no secret"
    );
    let mut other = body.clone();
    other["name"] = json!("different");
    assert_eq!(
        post(Some("k-1"), other).await.unwrap().status(),
        StatusCode::CONFLICT
    );
    let (_, list) = server
        .embedded_get(&token, "/api/v1/embedded/instances")
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);

    // Concurrent retries with one key: still one instance.
    let url = format!("{}/api/v1/embedded/instances", server.base);
    let retries: Vec<_> = (0..6)
        .map(|_| spawn_post(&server.client, &url, &token, Some("k-2"), body.clone()))
        .collect();
    let mut ids = std::collections::HashSet::new();
    for handle in retries {
        let (status, view) = handle.await.unwrap();
        assert_eq!(status, 201, "{view}");
        ids.insert(view["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");

    // Concurrent activations where multiple instances are not allowed: exactly one wins. In
    // the same burst another customer activates eight times: activations committed together
    // (SQLite's group commit) keep a refusal to its own request, so all eight are stored.
    let single_body =
        json!({"integration_id": single, "config": orders_config("https://erp.example.com/in")});
    let globex = server.token("globex", "gus", "admin");
    let (racers, others): (Vec<_>, Vec<_>) = (0..8)
        .map(|_| {
            (
                spawn_post(&server.client, &url, &token, None, single_body.clone()),
                spawn_post(&server.client, &url, &globex, None, body.clone()),
            )
        })
        .unzip();
    let mut statuses = Vec::new();
    for handle in racers {
        statuses.push(handle.await.unwrap().0);
    }
    statuses.sort();
    assert_eq!(statuses, [201, 409, 409, 409, 409, 409, 409, 409]);
    let mut acknowledged = std::collections::HashSet::new();
    for handle in others {
        let (status, view) = handle.await.unwrap();
        assert_eq!(status, 201, "{view}");
        acknowledged.insert(view["id"].as_str().unwrap().to_owned());
    }
    let (_, list) = server
        .embedded_get(&globex, "/api/v1/embedded/instances")
        .await;
    let stored: std::collections::HashSet<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((acknowledged.len(), stored), (8, acknowledged));
}

/// Posts an activation on its own task; returns the status and body.
fn spawn_post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    key: Option<&'static str>,
    body: Value,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let mut request = client.post(url).bearer_auth(token).json(&body);
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    tokio::spawn(async move {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    })
}

async fn secrets_never_leave_or_rest_in_clear(server: TestServer) {
    let id = server.orders_listed(true).await;
    let mut claims = server.claims("acme", "ada", "admin");
    claims["embedded_config"] = json!({"tenant": "tenant-SECRET-0003"});
    let token = sign(&claims, "es");
    let (status, instance) = server
        .embedded(&token, Method::POST, "/api/v1/embedded/instances", Some(json!({"integration_id": id, "config": orders_config("https://erp.example.com/in")})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{instance}");
    assert!(
        instance["config"].get("tenant").is_none(),
        "embedded values are hidden from the customer"
    );
    let customer_id = instance["customer_id"].as_str().unwrap();
    let (_, values) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/customers/{customer_id}/config/{id}"),
            Some(json!({"values": {"tier": "vendor-SECRET-0004"}})),
        )
        .await;
    assert_eq!(
        values["values"]["tier"], "vendor-SECRET-0004",
        "tier is not a secret variable; the vendor sees it"
    );
    let (_, admin_view) = server
        .admin_get(&format!(
            "/api/v1/instances/{}",
            instance["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        admin_view["config"]["tenant"], "tenant-SECRET-0003",
        "the vendor sees embedded values"
    );
    assert_eq!(
        admin_view["config"]["auth"],
        json!({"api_key": {"set": true}})
    );

    // No secret anywhere in the raw database: not in instances, configs, idempotency records or events.
    let secrets = [
        "key-SECRET-0001",
        "tok-SECRET-0002",
        "tenant-SECRET-0003",
        "vendor-SECRET-0004",
    ];
    let dump = raw_dump(&server).await;
    for secret in secrets {
        // PostgreSQL shows binary columns in hex: look for both forms.
        let hex: String = secret.bytes().map(|b| format!("{b:02x}")).collect();
        assert!(
            !dump.contains(secret) && !dump.contains(&hex),
            "{secret} found in the raw database"
        );
    }
    assert!(
        dump.contains("Customer acme"),
        "the dump is real: it holds the customer stored in clear"
    );
}

/// Every stored byte, as text: the SQLite file (and its WAL), or every PostgreSQL row.
pub(crate) async fn raw_dump(server: &TestServer) -> String {
    if let Some(path) = marketplace_server::store::sqlite_path(&server.database_url) {
        let mut out = String::new();
        for suffix in ["", "-wal"] {
            let mut file = path.clone().into_os_string();
            file.push(suffix);
            if let Ok(bytes) = std::fs::read(&file) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        out
    } else {
        let mut out = String::new();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'")
                .fetch_all(&server.state.store.db.read)
                .await
                .unwrap();
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT row_to_json(t)::text FROM {table} t"
            )))
            .fetch_all(&server.state.store.db.read)
            .await
            .unwrap();
            out.push_str(&rows.join("\n"));
        }
        out
    }
}

async fn cors_and_origins(server: TestServer) {
    server.orders_listed(true).await;
    let token = server.token("acme", "ada", "viewer");
    let url = format!("{}/api/v1/embedded/marketplace", server.base);
    let preflight = server
        .client
        .request(Method::OPTIONS, &url)
        .header("Origin", HOST_ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        HOST_ORIGIN
    );
    let foreign = server
        .client
        .request(Method::OPTIONS, &url)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let ok = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("Origin", HOST_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            ok.status(),
            ok.headers()["access-control-allow-origin"]
                .to_str()
                .unwrap()
        ),
        (StatusCode::OK, HOST_ORIGIN)
    );
    let refused = server
        .client
        .get(&url)
        .bearer_auth(&token)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}
