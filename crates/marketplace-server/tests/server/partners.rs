//! Partners over HTTP: marketplace credentials, registration tokens, the registration of a
//! partner marketplace, partner authentication, the partner's marketplace and signing keys.

use super::common::{KEYS, TestServer, first_error, items};
use super::tenants::{default_marketplace, organization_events, tenant};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    credentials_are_shown_once_and_at_most_two,
    registration_tokens_are_single_use,
    partners_manage_their_marketplace_and_keys,
    partners_submit_workflow_templates,
    partner_catalog_is_the_external_search,
);

/// Calls the partner API with HTTP Basic credentials; returns status, body and
/// `WWW-Authenticate`.
async fn partner(
    server: &TestServer,
    (client_id, secret): (&str, &str),
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value, Option<String>) {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base))
        .basic_auth(client_id, Some(secret));
    if let Some(b) = body {
        request = request.json(&b);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, challenge)
}

/// Issues a registration token for a tenant; returns it.
async fn registration(server: &TestServer, tenant_id: &str) -> String {
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/marketplace-registrations",
            Some(json!({"tenant_id": tenant_id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("reg_"), "{body}");
    body["token"].as_str().unwrap().to_owned()
}

fn register_body(key: &str) -> Value {
    json!({"key": key, "name": "Acme partners", "front_end_url": "https://acme.example/apps",
           "allowed_origins": ["https://acme.example"]})
}

/// Registers a partner marketplace; returns the answer.
async fn register(server: &TestServer, token: &str, key: &str) -> (StatusCode, Value) {
    server
        .call(
            Some(token),
            Method::POST,
            "/api/v1/marketplaces/register",
            Some(register_body(key)),
        )
        .await
}

async fn credentials_are_shown_once_and_at_most_two(server: TestServer) {
    let marketplace = default_marketplace(&server);
    let path = format!("/api/v1/marketplaces/{marketplace}/credentials");
    let (status, first) = server.admin(Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let client_id = first["client_id"].as_str().unwrap().to_owned();
    let secret = first["client_secret"].as_str().unwrap().to_owned();
    assert!(client_id.starts_with("mkc_"), "{first}");
    assert!(first["last_used_at"].is_null());
    let (status, second) = server.admin(Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let (status, problem) = server.admin(Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "too_many_credentials");
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/marketplaces/mkt_nope/credentials",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // The stored form is the hash; the list never shows a secret.
    let stored: String =
        sqlx::query_scalar("SELECT secret_hash FROM marketplace_credentials WHERE client_id = $1")
            .bind(&client_id)
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap();
    assert_ne!(stored, secret);
    assert_eq!(stored, marketplace_server::crypto::sha256_hex(&secret));
    let (status, list) = server.admin_get(&path).await;
    let listed = items(status, &list);
    assert_eq!(listed.len(), 2);
    assert!(!list.to_string().contains(&secret));
    assert!(listed.iter().all(|c| c.get("client_secret").is_none()));

    // The partner authenticates with them; the use is recorded.
    let (status, body, _) = partner(
        &server,
        (&client_id, &secret),
        Method::GET,
        "/api/v1/partner/marketplace",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], marketplace.as_str());
    assert_eq!(body["default"], true);
    let (_, list) = server.admin_get(&path).await;
    let used = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == client_id.as_str())
        .unwrap()
        .clone();
    assert!(used["last_used_at"].is_string(), "{used}");

    // Wrong secret, unknown client, no credentials: 401 invalid_client with a Basic challenge.
    for (id, secret) in [
        (client_id.as_str(), "mcs_wrong"),
        ("mkc_nope", secret.as_str()),
    ] {
        let (status, problem, challenge) = partner(
            &server,
            (id, secret),
            Method::GET,
            "/api/v1/partner/marketplace",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
        assert_eq!(problem["code"], "invalid_client");
        assert_eq!(challenge.as_deref(), Some("Basic"));
    }
    let (status, problem) = server
        .call(None, Method::GET, "/api/v1/partner/marketplace", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["code"], "invalid_client");

    // Revoked credentials no longer authenticate; a third may then be created.
    let (status, _) = server
        .admin(Method::DELETE, &format!("{path}/{client_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .admin(Method::DELETE, &format!("{path}/{client_id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = partner(
        &server,
        (&client_id, &secret),
        Method::GET,
        "/api/v1/partner/marketplace",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = server.admin(Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::CREATED);

    let events = organization_events(&server).await;
    for expected in [
        "marketplace.credentials_created",
        "marketplace.credentials_revoked",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected}: {events:?}"
        );
    }
}

async fn registration_tokens_are_single_use(server: TestServer) {
    let tenant_id = tenant(&server, "acme", "tenant").await;

    // Refusals of the registration body.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/marketplace-registrations",
            Some(json!({"tenant_id": "ten_nope", "expires_in_s": 604801})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths, ["/expires_in_s", "/tenant_id"], "{problem}");
    assert_eq!(problem["errors"][1]["code"], "invalid_reference");

    let token = registration(&server, &tenant_id).await;
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM marketplace_registrations WHERE token_hash = $1")
            .bind(&token)
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap();
    assert_eq!(stored, 0, "the token is stored hashed");

    // A 409 (the key is taken) and a 422 leave the token unused.
    let (status, problem) = register(&server, &token, "default").await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "duplicate_marketplace_key");
    let (status, problem) = register(&server, &token, "Not A Key").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("format")));

    let (status, registered) = register(&server, &token, "acme").await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let marketplace = &registered["marketplace"];
    assert_eq!(marketplace["partner"], true);
    assert_eq!(marketplace["default"], false);
    assert_eq!(marketplace["key"], "acme");
    assert_eq!(marketplace["tenant_id"], tenant_id.as_str());
    assert!(
        registered["client_id"]
            .as_str()
            .unwrap()
            .starts_with("mkc_")
    );
    let client = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );
    let (status, mine, _) = partner(
        &server,
        client,
        Method::GET,
        "/api/v1/partner/marketplace",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(&mine, marketplace);

    // Used, unknown, expired or missing: 401 invalid_registration_token.
    let (status, problem) = register(&server, &token, "acme-2").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "invalid_registration_token");
    let (status, problem) = register(&server, "mrt_unknown", "acme-3").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "invalid_registration_token");
    let expiring = registration(&server, &tenant_id).await;
    sqlx::query("UPDATE marketplace_registrations SET expires_at = 1 WHERE used_at IS NULL")
        .execute(&server.state.store.db.write)
        .await
        .unwrap();
    let (status, problem) = register(&server, &expiring, "acme-4").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "invalid_registration_token");
    let (status, problem) = server
        .call(
            None,
            Method::POST,
            "/api/v1/marketplaces/register",
            Some(register_body("acme-5")),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    assert_eq!(problem["code"], "invalid_registration_token");

    // The tenant now has a marketplace: it cannot be deleted.
    let (status, problem) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/tenants/{tenant_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "tenant_in_use");

    let events = organization_events(&server).await;
    for expected in ["marketplace.created", "marketplace.registered"] {
        assert_eq!(
            events.iter().filter(|e| *e == expected).count(),
            1,
            "{expected}: {events:?}"
        );
    }
}

async fn partners_manage_their_marketplace_and_keys(server: TestServer) {
    let tenant_id = tenant(&server, "acme", "tenant").await;
    let token = registration(&server, &tenant_id).await;
    let (status, registered) = register(&server, &token, "acme").await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let marketplace_id = registered["marketplace"]["id"].as_str().unwrap();
    let client = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );

    let (status, changed, _) = partner(
        &server,
        client,
        Method::PATCH,
        "/api/v1/partner/marketplace",
        Some(json!({"name": "Acme EU", "allowed_origins": ["https://eu.acme.example"]})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Acme EU");
    assert_eq!(
        changed["allowed_origins"],
        json!(["https://eu.acme.example"])
    );
    assert_eq!(changed["front_end_url"], "https://acme.example/apps");
    let (status, problem, _) = partner(
        &server,
        client,
        Method::PATCH,
        "/api/v1/partner/marketplace",
        Some(json!({"key": "other"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("immutable")));
    let (status, problem, _) = partner(
        &server,
        client,
        Method::PATCH,
        "/api/v1/partner/marketplace",
        Some(json!({"front_end_url": "ftp://nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem).0, Some("/front_end_url"));

    // Signing keys: bound to the marketplace; kid unique per organization.
    let (_, algorithm, _, public_pem) = KEYS[0];
    let key = |kid: &str| json!({"kid": kid, "algorithm": algorithm, "public_key_pem": public_pem});
    let (status, problem, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/signing-keys",
        Some(key(KEYS[0].0)),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "duplicate_kid");
    let (status, created, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/signing-keys",
        Some(key("acme-1")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["kid"], "acme-1");
    let bound: Option<String> =
        sqlx::query_scalar("SELECT marketplace_id FROM signing_keys WHERE kid = 'acme-1'")
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap();
    assert_eq!(bound.as_deref(), Some(marketplace_id));
    let (status, problem, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/signing-keys",
        Some(json!({"kid": "acme-2", "algorithm": "RS256", "public_key_pem": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, list, _) = partner(
        &server,
        client,
        Method::GET,
        "/api/v1/partner/signing-keys",
        None,
    )
    .await;
    assert_eq!(
        items(status, &list).len(),
        1,
        "only the partner's own keys: {list}"
    );
    assert_eq!(list["items"][0]["kid"], "acme-1");
    // Another marketplace's (the vendor's) kid is not the partner's to delete.
    let (status, _, _) = partner(
        &server,
        client,
        Method::DELETE,
        &format!("/api/v1/partner/signing-keys/{}", KEYS[0].0),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = partner(
        &server,
        client,
        Method::DELETE,
        "/api/v1/partner/signing-keys/acme-1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, _) = partner(
        &server,
        client,
        Method::DELETE,
        "/api/v1/partner/signing-keys/acme-1",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let events = organization_events(&server).await;
    assert!(
        events.iter().any(|e| e == "marketplace.updated"),
        "{events:?}"
    );
}

async fn partners_submit_workflow_templates(server: TestServer) {
    let integration = server.orders_listed(false).await;
    let tenant_id = tenant(&server, "acme", "all").await;
    let token = registration(&server, &tenant_id).await;
    let (status, registered) = register(&server, &token, "acme").await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let marketplace_id = registered["marketplace"]["id"].as_str().unwrap();
    let client = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );
    let body = |version: &str| {
        json!({"integration_id": integration, "version": version, "name": "EU shop",
               "config": {"endpoint": "http://127.0.0.1:9/in", "account_code": "ABC-1234", "region": "eu"},
               "flows": ["orders"]})
    };

    // Listed in the default marketplace only: not the partner's to template.
    let (status, problem, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/workflow-templates",
        Some(body("1.0.0")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    sqlx::query(
        "INSERT INTO listings (marketplace_id, integration_id, organization_id, version, overview, \
         customer_deployable, allow_multiple_instances, updated_at) VALUES ($1, $2, $3, '1.0.0', '', 1, 0, 0)",
    )
    .bind(marketplace_id)
    .bind(&integration)
    .bind(&server.organization_id)
    .execute(&server.state.store.db.write)
    .await
    .unwrap();
    let (status, problem, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/workflow-templates",
        Some(body("2.0.0")),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    let mut unknown = body("1.0.0");
    unknown["config"]["nope"] = json!(1);
    let (status, problem, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/workflow-templates",
        Some(unknown),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    let (status, template, _) = partner(
        &server,
        client,
        Method::POST,
        "/api/v1/partner/workflow-templates",
        Some(body("1.0.0")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    assert_eq!(template["status"], "pending");
    assert_eq!(
        template["submitted_by"],
        json!({"kind": "partner", "id": marketplace_id})
    );

    // Any admin or reviewer key decides it.
    let (status, decided) = server
        .admin(
            Method::POST,
            &format!(
                "/api/v1/workflow-templates/{}/decision",
                template["id"].as_str().unwrap()
            ),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved");
}

async fn partner_catalog_is_the_external_search(server: TestServer) {
    let integration = server.orders_listed(false).await;
    let tenant_id = tenant(&server, "acme", "tenant").await;
    let token = registration(&server, &tenant_id).await;
    let (status, registered) = register(&server, &token, "acme").await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let marketplace_id = registered["marketplace"]["id"].as_str().unwrap().to_owned();
    let client = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );
    sqlx::query(
        "INSERT INTO listings (marketplace_id, integration_id, organization_id, version, overview, \
         customer_deployable, allow_multiple_instances, partner_brief, updated_at) \
         VALUES ($1, $2, $3, '1.0.0', '', 1, 0, '{\"market\":\"EU retail\",\"buyer_profile\":\"\",\"positioning\":\"\"}', 0)",
    )
    .bind(&marketplace_id)
    .bind(&integration)
    .bind(&server.organization_id)
    .execute(&server.state.store.db.write)
    .await
    .unwrap();
    let catalog = |query: &'static str| {
        let server = &server;
        async move {
            let (status, body, _) = partner(
                server,
                client,
                Method::GET,
                &format!("/api/v1/partner/catalog{query}"),
                None,
            )
            .await;
            (status, body)
        }
    };
    let set_visibility = |visibility: &'static str| {
        let server = &server;
        let marketplace_id = marketplace_id.clone();
        async move {
            sqlx::query("UPDATE listings SET visibility = $1 WHERE marketplace_id = $2")
                .bind(visibility)
                .bind(&marketplace_id)
                .execute(&server.state.store.db.write)
                .await
                .unwrap();
            sqlx::query(
                "UPDATE organizations SET catalog_version = catalog_version + 1 WHERE id = $1",
            )
            .bind(&server.organization_id)
            .execute(&server.state.store.db.write)
            .await
            .unwrap();
            server.state.catalogs.invalidate(&server.organization_id);
        }
    };

    // The tenant manages its apps: nothing assigned, nothing found.
    let (status, body) = catalog("").await;
    assert!(items(status, &body).is_empty(), "{body}");
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/tenants/{tenant_id}/listings/{marketplace_id}/{integration}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = catalog("").await;
    let found = items(status, &body);
    assert_eq!(found.len(), 1, "{body}");
    assert_eq!(found[0]["integration_id"], integration.as_str());
    assert_eq!(found[0]["partner_brief"]["market"], "EU retail");
    for customer_field in ["activated", "instance_count", "deployability"] {
        assert!(found[0].get(customer_field).is_none(), "{body}");
    }
    let (status, body) = catalog("?q=orders&category=crm").await;
    assert_eq!(items(status, &body).len(), 1, "{body}");
    let (status, body) = catalog("?q=nothing-like-it").await;
    assert!(items(status, &body).is_empty(), "{body}");
    let (status, body) = catalog("?tier=platinum").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    for hidden in ["hidden_from_external_search", "delisted"] {
        set_visibility(hidden).await;
        let (status, body) = catalog("").await;
        assert!(items(status, &body).is_empty(), "{hidden}: {body}");
    }
    set_visibility("visible").await;
    let (status, body) = catalog("").await;
    assert_eq!(items(status, &body).len(), 1, "{body}");
}
