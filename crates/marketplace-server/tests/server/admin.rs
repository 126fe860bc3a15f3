//! The admin API: organization, keys, integrations and versions, listings, customers.

use super::common::{TestServer, orders_version};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    organization_and_keys,
    integrations_and_versions,
    customers_and_vendor_values
);

async fn organization_and_keys(server: TestServer) {
    let (status, org) = server.admin_get("/api/v1/organization").await;
    assert_eq!(
        (status, org["name"].as_str()),
        (StatusCode::OK, Some("Test Vendor"))
    );
    let (status, problem) = server
        .admin(
            Method::PATCH,
            "/api/v1/organization",
            Some(json!({"allowed_origins": ["not an origin", "https://ok.example/"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["path"], "/allowed_origins/0");
    let (status, org) = server
        .admin(Method::PATCH, "/api/v1/organization", Some(json!({"allowed_origins": ["https://ok.example/"], "theme": {"theme": "dark", "accent": "#112233"}})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(org["allowed_origins"], json!(["https://ok.example"]));

    // API keys: the secret is shown once and works; deleting it makes it fail; the last key stays.
    let (status, created) = server
        .admin(
            Method::POST,
            "/api/v1/api-keys",
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = created["secret"].as_str().unwrap().to_owned();
    let (status, list) = server
        .call(Some(&secret), Method::GET, "/api/v1/api-keys", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(
        !list.to_string().contains(&secret),
        "listing never shows a secret"
    );
    let id = created["id"].as_str().unwrap();
    let (status, _) = server
        .admin(Method::DELETE, &format!("/api/v1/api-keys/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = server
        .call(Some(&secret), Method::GET, "/api/v1/organization", None)
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_api_key"))
    );
    let (_, list) = server.admin_get("/api/v1/api-keys").await;
    let last = list["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .admin(Method::DELETE, &format!("/api/v1/api-keys/{last}"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // Signing keys: bad PEM and algorithm are 422 (every problem), duplicates 409, rotation keeps several.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/signing-keys",
            Some(json!({"kid": "", "algorithm": "HS256", "public_key_pem": "nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/kid", "/algorithm"]);
    let (status, _) = server
        .admin(Method::POST, "/api/v1/signing-keys", Some(json!({"kid": "x", "algorithm": "ES256", "public_key_pem": super::common::KEYS[0].3})))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "an RSA key is not an ES256 key"
    );
    let (status, _) = server
        .admin(Method::POST, "/api/v1/signing-keys", Some(json!({"kid": "rs", "algorithm": "RS256", "public_key_pem": super::common::KEYS[0].3})))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, keys) = server.admin_get("/api/v1/signing-keys?limit=2").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys["items"].as_array().unwrap().len(), 2);
    let cursor = keys["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .admin_get(&format!("/api/v1/signing-keys?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(
        (
            rest["items"].as_array().unwrap().len(),
            rest["next_cursor"].clone()
        ),
        (1, json!(null))
    );
    let (status, _) = server.admin_get("/api/v1/signing-keys?limit=500").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

async fn integrations_and_versions(server: TestServer) {
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": " ", "icon_url": "ftp://x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let (_, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(
                json!({"name": "Orders Sync", "category": "ERP", "labels": ["Finance", "finance"]}),
            ),
        )
        .await;
    assert_eq!(
        (
            integration["category"].as_str(),
            integration["labels"].clone()
        ),
        (Some("erp"), json!(["finance"]))
    );
    let id = integration["id"].as_str().unwrap();
    let versions = format!("/api/v1/integrations/{id}/versions");

    // Every problem of a version at once, with paths into the body.
    let mut bad = orders_version("1.0.0");
    bad["config"]["pages"][0]["elements"][1]["key"] = json!("Bad Key");
    bad["flows"] = json!([{"name": "orders", "trigger": "webhook", "deliver": {"url": "region"}}]);
    let (status, problem) = server.admin(Method::POST, &versions, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["path"],
        "/config/pages/0/elements/1/key"
    );

    let (status, _) = server
        .admin(Method::POST, &versions, Some(orders_version("1.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = server
        .admin(Method::POST, &versions, Some(orders_version("1.0.0")))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_version"))
    );
    // A draft can be replaced until published; then it is immutable.
    let mut changed = orders_version("1.0.0");
    changed["config"]["pages"][0]["title"] = json!("Renamed");
    let (status, version) = server
        .admin(
            Method::PUT,
            &format!("{versions}/1.0.0"),
            Some(changed.clone()),
        )
        .await;
    assert_eq!(
        (status, version["config"]["pages"][0]["title"].as_str()),
        (StatusCode::OK, Some("Renamed"))
    );
    let (status, _) = server
        .admin(Method::POST, &format!("{versions}/1.0.0/publish"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = server
        .admin(Method::PUT, &format!("{versions}/1.0.0"), Some(changed))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_published"))
    );
    // Order: a new version must be greater than every published one.
    let (status, problem) = server
        .admin(Method::POST, &versions, Some(orders_version("0.9.0")))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("version_order"))
    );
    let (status, _) = server
        .admin(Method::POST, &versions, Some(orders_version("1.1.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = server.admin_get(&versions).await;
    let numbers: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["1.1.0", "1.0.0"]);

    // Listings.
    let listing = format!("/api/v1/marketplace/listings/{id}");
    let (status, problem) = server
        .admin(Method::PUT, &listing, Some(json!({"version": "9.9.9", "customer_deployable": true, "allow_multiple_instances": false})))
        .await;
    assert_eq!(
        (status, problem["errors"][0]["path"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("/version"))
    );
    let (status, listed) = server
        .admin(Method::PUT, &listing, Some(json!({"version": "1.0.0", "overview": "# Orders", "customer_deployable": true, "allow_multiple_instances": false})))
        .await;
    assert_eq!(
        (status, listed["customer_deployable"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (_, all) = server.admin_get("/api/v1/marketplace/listings").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let (status, _) = server.admin(Method::DELETE, &listing, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&listing).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Search is a case-insensitive substring.
    let (_, found) = server.admin_get("/api/v1/integrations?q=ORDERS").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let (_, found) = server.admin_get("/api/v1/integrations?q=nothing").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
}

async fn customers_and_vendor_values(server: TestServer) {
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "", "external_id": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"].as_array().unwrap().len(), 2);
    let (status, acme) = server
        .admin(Method::POST, "/api/v1/customers", Some(json!({"name": "Acme Corp", "external_id": "acme-1", "labels": ["Gold", "EU", "gold"]})))
        .await;
    assert_eq!(
        (status, acme["labels"].clone()),
        (StatusCode::CREATED, json!(["gold", "eu"]))
    );
    let (status, _) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Other", "external_id": "acme-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Globex", "external_id": "globex", "labels": ["silver"]})),
        )
        .await;
    for (query, expected) in [
        ("search=ACME", 1),
        ("search=GOL", 1),
        ("label=Gold", 1),
        ("label=silver", 1),
        ("external_id=globex", 1),
        ("search=zzz", 0),
        ("", 2),
    ] {
        let (_, list) = server
            .admin_get(&format!("/api/v1/customers?{query}"))
            .await;
        assert_eq!(list["items"].as_array().unwrap().len(), expected, "{query}");
    }
    let id = acme["id"].as_str().unwrap();
    let (status, patched) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/customers/{id}"),
            Some(json!({"description": "Rockets"})),
        )
        .await;
    assert_eq!(
        (status, patched["description"].as_str()),
        (StatusCode::OK, Some("Rockets"))
    );

    // Vendor-set values: organization and embedded variables only, secrets masked.
    let integration = server
        .listed_integration(
            "Vendor values",
            json!({"version": "1.0.0", "config": {"pages": [{"title": "P", "elements": [
                {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true},
                {"key": "vendor_secret", "label": "Secret", "type": "secret", "visibility": "organization"},
                {"key": "mine", "label": "Mine", "type": "string"}]}]}}),
            json!({"customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await;
    let config = format!("/api/v1/customers/{id}/config/{integration}");
    let (status, problem) = server
        .admin(
            Method::PUT,
            &config,
            Some(json!({"values": {"mine": "x", "plan": 5}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/values/plan", "/values/mine"]);
    let (status, values) = server
        .admin(
            Method::PUT,
            &config,
            Some(json!({"values": {"plan": "gold", "vendor_secret": "v-SECRET"}})),
        )
        .await;
    assert_eq!(
        (status, values["values"].clone()),
        (
            StatusCode::OK,
            json!({"plan": "gold", "vendor_secret": {"set": true}})
        )
    );
    let (_, values) = server
        .admin(
            Method::PUT,
            &config,
            Some(json!({"values": {"plan": "silver"}})),
        )
        .await;
    assert_eq!(
        values["values"]["vendor_secret"],
        json!({"set": true}),
        "an omitted secret keeps its value"
    );

    // Deleting needs the exact name, and takes the customer's users and instances along.
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{id}?confirm_name=acme%20corp"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/customers/{id}?confirm_name=Acme%20Corp"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, events) = server
        .admin_get("/api/v1/events?type=customer.deleted")
        .await;
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}
