//! Several marketplaces: their admin routes and refusals, listings per marketplace, publishing
//! to marketplaces, the catalog a token's marketplace and tenant see, the tier filter and a
//! marketplace's minimum tier, partners' signing keys, origins per marketplace, and the
//! cascade of a deleted marketplace, over HTTP.
//!
//! Tenants, their assignments, partner marketplaces and partner keys are written with SQL here
//! (their routes are tested with them); each write bumps the catalog version and drops this
//! process's caches, as the service's own writes do.

use super::common::{
    HOST_ORIGIN, KEYS, TestServer, error_codes, first_error, items, orders_config, orders_version,
    sink,
};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    marketplaces_crud_and_refusals,
    listings_per_marketplace,
    publishing_to_marketplaces,
    tenant_scoped_tokens_see_their_listings,
    tier_filter_and_minimum_tier,
    the_catalog_shows_tiers_and_certification,
    partner_keys_sign_for_their_marketplace_and_tenant,
    origins_per_marketplace,
    deleting_a_marketplace_keeps_instances,
);

/// An origin only the `brand-b` marketplace allows.
const BRAND_ORIGIN: &str = "http://brand.test:4000";

/// Creates a marketplace; returns it.
async fn create(server: &TestServer, key: &str, extra: Value) -> Value {
    let mut body = json!({"key": key, "name": format!("Marketplace {key}")});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    let (status, marketplace) = server
        .admin(Method::POST, "/api/v1/marketplaces", Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{marketplace}");
    marketplace
}

/// The organization's default marketplace.
async fn default_marketplace(server: &TestServer) -> Value {
    let (status, list) = server.admin_get("/api/v1/marketplaces").await;
    items(status, &list)
        .into_iter()
        .find(|m| m["default"] == true)
        .expect("a default marketplace")
}

/// Runs a statement, then bumps the catalog version and drops the caches (as a service write
/// of tenants or assignments does).
async fn sql(server: &TestServer, statement: &'static str, args: &[&str]) {
    let mut query = sqlx::query(statement);
    for arg in args {
        query = query.bind(*arg);
    }
    query.execute(&server.state.store.db.write).await.unwrap();
    sqlx::query("UPDATE organizations SET catalog_version = catalog_version + 1 WHERE id = $1")
        .bind(&server.organization_id)
        .execute(&server.state.store.db.write)
        .await
        .unwrap();
    server.state.catalogs.invalidate(&server.organization_id);
}

/// Adds a tenant; returns its id.
async fn tenant(server: &TestServer, key: &str, app_management: &str) -> String {
    let id = format!("ten_{key}");
    sql(
        server,
        "INSERT INTO tenants (id, organization_id, key, name, app_management, created_at, updated_at) \
         VALUES ($1, $2, $3, $3, $4, 0, 0)",
        &[&id, &server.organization_id, key, app_management],
    )
    .await;
    id
}

/// Assigns a marketplace's listing to a tenant.
async fn assign(server: &TestServer, tenant: &str, marketplace: &str, integration: &str) {
    sql(
        server,
        "INSERT INTO tenant_listings (tenant_id, marketplace_id, integration_id, created_at) VALUES ($1, $2, $3, 0)",
        &[tenant, marketplace, integration],
    )
    .await;
}

/// A token of `customer` with extra claims (`marketplace`, `tenant`), signed with the RS256 key.
fn token(server: &TestServer, customer: &str, extra: Value) -> String {
    let mut claims = server.claims(customer, &format!("{customer}-user"), "admin");
    claims
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    super::common::sign(&claims, "rs")
}

/// The integration ids of a token's catalog.
async fn catalog(server: &TestServer, token: &str, query: &str) -> Vec<String> {
    let (status, list) = server
        .embedded_get(token, &format!("/api/v1/embedded/marketplace{query}"))
        .await;
    items(status, &list)
        .iter()
        .map(|e| e["integration_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates an integration with a draft 1.0.0 of the orders spec; returns its id.
async fn draft(server: &TestServer, name: &str) -> String {
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": name, "category": "crm"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let id = integration["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/integrations/{id}/versions");
    let (status, body) = server
        .admin(Method::POST, &path, Some(orders_version("1.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    id
}

/// Lists a published integration in a marketplace, customer-deployable.
async fn list_in(server: &TestServer, marketplace: &str, integration: &str) -> Value {
    let path = format!("/api/v1/marketplaces/{marketplace}/listings/{integration}");
    let body =
        json!({"version": "1.0.0", "customer_deployable": true, "allow_multiple_instances": true});
    let (status, listing) = server.admin(Method::PUT, &path, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    listing
}

/// The types and data of the organization's events of one type.
async fn events(server: &TestServer, event_type: &str) -> Vec<Value> {
    let (status, list) = server
        .admin_get(&format!("/api/v1/events?type={event_type}"))
        .await;
    items(status, &list)
}

async fn marketplaces_crud_and_refusals(server: TestServer) {
    let default = default_marketplace(&server).await;
    assert_eq!(default["key"], "default");
    let brand = create(
        &server,
        "brand-b",
        json!({"description": "Brand B", "allowed_origins": [BRAND_ORIGIN],
               "front_end_url": "https://brand.example/apps", "min_tier": "ready"}),
    )
    .await;
    let id = brand["id"].as_str().unwrap();
    assert!(id.starts_with("mkt_"), "{brand}");
    assert_eq!(
        (
            &brand["default"],
            &brand["min_tier"],
            &brand["partner"],
            &brand["tenant_id"]
        ),
        (&json!(false), &json!("ready"), &json!(false), &Value::Null)
    );
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/marketplaces",
            Some(json!({"key": "brand-b", "name": "Again"})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate_marketplace_key"))
    );
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/marketplaces",
            Some(json!({"key": "Bad Key", "name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("format")));
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/marketplaces",
            Some(json!({"key": "c", "name": "C", "min_tier": "platinum"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem).0, Some("/min_tier"));

    let (status, list) = server.admin_get("/api/v1/marketplaces").await;
    assert_eq!(items(status, &list).len(), 2);
    let path = format!("/api/v1/marketplaces/{id}");
    let (status, got) = server.admin_get(&path).await;
    assert_eq!((status, &got), (StatusCode::OK, &brand));
    let (status, _) = server.admin_get("/api/v1/marketplaces/mkt_nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The key is immutable; other fields change, null clears.
    let (status, problem) = server
        .admin(Method::PATCH, &path, Some(json!({"key": "brand-c"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("immutable")));
    let (status, patched) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"key": "brand-b", "name": "Brand B EU", "min_tier": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(
        (&patched["name"], &patched["min_tier"], &patched["key"]),
        (&json!("Brand B EU"), &Value::Null, &json!("brand-b"))
    );
    let (status, problem) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/marketplaces/{}", default["id"].as_str().unwrap()),
            Some(json!({"default": false})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem).0, Some("/default"));

    // The default cannot be deleted; moving it lets the old one go.
    let default_path = format!("/api/v1/marketplaces/{}", default["id"].as_str().unwrap());
    let (status, problem) = server.admin(Method::DELETE, &default_path, None).await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("default_marketplace"))
    );
    let (status, moved) = server
        .admin(Method::PATCH, &path, Some(json!({"default": true})))
        .await;
    assert_eq!((status, &moved["default"]), (StatusCode::OK, &json!(true)));
    let (status, old) = server.admin_get(&default_path).await;
    assert_eq!((status, &old["default"]), (StatusCode::OK, &json!(false)));
    assert_eq!(default_marketplace(&server).await["id"], brand["id"]);
    let (status, _) = server.admin(Method::DELETE, &default_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&default_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Two concurrent moves of the default leave exactly one default.
    let one = create(&server, "one", json!({})).await;
    let two = create(&server, "two", json!({})).await;
    let path_of = |m: &Value| format!("/api/v1/marketplaces/{}", m["id"].as_str().unwrap());
    let (one, two) = (path_of(&one), path_of(&two));
    let body = || Some(json!({"default": true}));
    let (a, b) = tokio::join!(
        server.admin(Method::PATCH, &one, body()),
        server.admin(Method::PATCH, &two, body())
    );
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    let (status, list) = server.admin_get("/api/v1/marketplaces").await;
    let defaults = items(status, &list)
        .iter()
        .filter(|m| m["default"] == true)
        .count();
    assert_eq!(defaults, 1);

    // A reviewer key reads only.
    let (status, reviewer) = server
        .admin(
            Method::POST,
            "/api/v1/api-keys",
            Some(json!({"name": "r", "role": "reviewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let secret = reviewer["secret"].as_str().unwrap();
    let (status, _) = server
        .call(Some(secret), Method::GET, "/api/v1/marketplaces", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = server
        .call(
            Some(secret),
            Method::POST,
            "/api/v1/marketplaces",
            Some(json!({"key": "r", "name": "R"})),
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden_role"))
    );

    for event_type in [
        "marketplace.created",
        "marketplace.updated",
        "marketplace.deleted",
    ] {
        let found = events(&server, event_type).await;
        assert!(!found.is_empty(), "{event_type}");
        assert!(found[0]["data"]["marketplace_id"].is_string(), "{found:?}");
    }
}

async fn listings_per_marketplace(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let brand = create(&server, "brand-b", json!({})).await;
    let brand_id = brand["id"].as_str().unwrap();
    let chat = draft(&server, "Chat").await;
    let publish = format!("/api/v1/integrations/{chat}/versions/1.0.0/publish");
    let (status, body) = server.admin(Method::POST, &publish, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listing = list_in(&server, brand_id, &chat).await;
    assert_eq!(listing["marketplace_id"], brand["id"]);
    assert_eq!(listing["visibility"], "visible");
    let path = format!("/api/v1/marketplaces/{brand_id}/listings/{chat}");
    let brief = json!({"market": "EU retail", "buyer_profile": "IT leads", "positioning": "fast"});
    let (status, briefed) = server
        .admin(
            Method::PUT,
            &path,
            Some(
                json!({"version": "1.0.0", "overview": "## Chat", "customer_deployable": true,
                        "allow_multiple_instances": false, "partner_brief": brief}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{briefed}");
    assert_eq!(briefed["partner_brief"], brief);
    // A PUT without a brief keeps it.
    let (status, kept) = server
        .admin(
            Method::PUT,
            &path,
            Some(json!({"version": "1.0.0", "customer_deployable": true,
                        "allow_multiple_instances": true})),
        )
        .await;
    assert_eq!((status, &kept["partner_brief"]), (StatusCode::OK, &brief));
    let (status, got) = server.admin_get(&path).await;
    assert_eq!((status, &got), (StatusCode::OK, &kept));

    // Each marketplace lists its own; the old routes are the default marketplace's.
    let ids = |list: &[Value]| -> Vec<String> {
        list.iter()
            .map(|l| l["integration_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, list) = server
        .admin_get(&format!("/api/v1/marketplaces/{brand_id}/listings"))
        .await;
    assert_eq!(ids(&items(status, &list)), [chat.as_str()]);
    let (status, list) = server.admin_get("/api/v1/marketplace/listings").await;
    assert_eq!(ids(&items(status, &list)), [orders.as_str()]);
    let (status, _) = server
        .admin_get(&format!("/api/v1/marketplace/listings/{chat}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .admin_get(&format!("/api/v1/marketplaces/mkt_nope/listings/{chat}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Tokens see their marketplace's catalog: absent claim → the default.
    let default_token = token(&server, "acme", json!({}));
    let brand_token = token(&server, "acme", json!({"marketplace": "brand-b"}));
    assert_eq!(
        catalog(&server, &default_token, "").await,
        [orders.as_str()]
    );
    assert_eq!(catalog(&server, &brand_token, "").await, [chat.as_str()]);
    let (status, _) = server
        .embedded_get(
            &brand_token,
            &format!("/api/v1/embedded/marketplace/{orders}"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not in this marketplace");
    let unknown = token(&server, "acme", json!({"marketplace": "nope"}));
    let (status, problem) = server
        .embedded_get(&unknown, "/api/v1/embedded/marketplace")
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_marketplace"))
    );

    // An activation through a marketplace records it on the instance.
    let url = sink().await;
    let instance = server
        .activate(&brand_token, &chat, orders_config(&url))
        .await;
    assert_eq!(instance["marketplace_id"], brand["id"]);
    let (status, problem) = server
        .embedded(
            &brand_token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": orders, "config": orders_config(&url)})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");

    // Events name the marketplace; removing a listing leaves its instance.
    let updated = events(&server, "listing.updated").await;
    assert!(
        updated
            .iter()
            .any(|e| e["data"]["marketplace_id"] == brand["id"]),
        "{updated:?}"
    );
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let removed = events(&server, "listing.removed").await;
    assert_eq!(removed[0]["data"]["marketplace_id"], brand["id"]);
    assert!(catalog(&server, &brand_token, "").await.is_empty());
    let instance_path = format!(
        "/api/v1/embedded/instances/{}",
        instance["id"].as_str().unwrap()
    );
    let (status, _) = server.embedded_get(&brand_token, &instance_path).await;
    assert_eq!(status, StatusCode::OK);
}

async fn publishing_to_marketplaces(server: TestServer) {
    create(&server, "brand-b", json!({})).await;
    let id = draft(&server, "Orders").await;
    let publish = format!("/api/v1/integrations/{id}/versions/1.0.0/publish");
    let (status, problem) = server
        .admin(
            Method::POST,
            &publish,
            Some(json!({"marketplaces": ["default", "nope", "brand-b", "other"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let paths = error_codes(&problem);
    assert_eq!(
        paths,
        [
            ("/marketplaces/1", "invalid_reference"),
            ("/marketplaces/3", "invalid_reference")
        ]
    );
    // Nothing was published nor listed.
    let (status, version) = server
        .admin_get(&format!("/api/v1/integrations/{id}/versions/1.0.0"))
        .await;
    assert_eq!(
        (status, &version["state"]),
        (StatusCode::OK, &json!("draft"))
    );
    let (status, list) = server.admin_get("/api/v1/marketplace/listings").await;
    assert!(items(status, &list).is_empty());

    let (status, body) = server
        .admin(
            Method::POST,
            &publish,
            Some(json!({"marketplaces": ["default", "brand-b"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "published");
    let (status, list) = server.admin_get("/api/v1/marketplaces").await;
    for marketplace in items(status, &list) {
        let path = format!(
            "/api/v1/marketplaces/{}/listings/{id}",
            marketplace["id"].as_str().unwrap()
        );
        let (status, listing) = server.admin_get(&path).await;
        assert_eq!(status, StatusCode::OK, "{listing}");
        assert_eq!(
            (
                &listing["version"],
                &listing["customer_deployable"],
                &listing["allow_multiple_instances"]
            ),
            (&json!("1.0.0"), &json!(false), &json!(false)),
            "a new listing: not customer-deployable, single instance"
        );
    }

    // A later version moves an existing listing and keeps its other fields.
    let default = default_marketplace(&server).await;
    list_in(&server, default["id"].as_str().unwrap(), &id).await;
    let path = format!("/api/v1/integrations/{id}/versions");
    let (status, body) = server
        .admin(Method::POST, &path, Some(orders_version("1.1.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions/1.1.0/publish"),
            Some(json!({"marketplaces": ["default"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, listing) = server
        .admin_get(&format!("/api/v1/marketplace/listings/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&listing["version"], &listing["customer_deployable"]),
        (&json!("1.1.0"), &json!(true))
    );
    let updated = events(&server, "listing.updated").await;
    assert!(updated.iter().any(|e| e["data"]["version"] == "1.1.0"));
    // The body stays optional (`null` too), and a malformed one is refused.
    let (status, problem) = server
        .admin(Method::POST, &publish, Some(Value::Null))
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_published")),
        "{problem}"
    );
    let (status, problem) = server
        .admin(Method::POST, &publish, Some(json!({"marketplace": "x"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

async fn tenant_scoped_tokens_see_their_listings(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let chat = server
        .listed_integration(
            "Chat",
            orders_version("1.0.0"),
            json!({"customer_deployable": true, "allow_multiple_instances": true}),
        )
        .await;
    let default_id = default_marketplace(&server).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let resellers = tenant(&server, "resellers", "tenant").await;
    tenant(&server, "everyone", "all").await;
    assign(&server, &resellers, &default_id, &orders).await;

    let scoped = token(&server, "shop", json!({"tenant": "resellers"}));
    assert_eq!(catalog(&server, &scoped, "").await, [orders.as_str()]);
    let (status, _) = server
        .embedded_get(&scoped, &format!("/api/v1/embedded/marketplace/{chat}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let url = sink().await;
    let (status, _) = server
        .embedded(
            &scoped,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": chat, "config": orders_config(&url)})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .embedded(
            &scoped,
            Method::POST,
            &format!("/api/v1/embedded/marketplace/{chat}/validate"),
            Some(json!({"config": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let instance = server.activate(&scoped, &orders, orders_config(&url)).await;

    // The claim set the customer's tenant, with an event; a later token without it keeps it.
    let (status, customers) = server.admin_get("/api/v1/customers?external_id=shop").await;
    let customer_id = items(status, &customers)[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stored: Option<String> =
        sqlx::query_scalar("SELECT tenant_id FROM customers WHERE id = $1")
            .bind(&customer_id)
            .fetch_one(&server.state.store.db.write)
            .await
            .unwrap();
    assert_eq!(stored.as_deref(), Some(resellers.as_str()));
    let updated = events(&server, "customer.updated").await;
    assert!(
        updated
            .iter()
            .any(|e| e["customer_id"] == customer_id.as_str()
                && e["data"]["tenant_id"] == resellers.as_str()),
        "{updated:?}"
    );
    let plain = token(&server, "shop", json!({}));
    assert_eq!(catalog(&server, &plain, "").await, [orders.as_str()]);

    // Unassigning hides the listing; its instance stays manageable.
    sql(
        &server,
        "DELETE FROM tenant_listings WHERE tenant_id = $1",
        &[&resellers],
    )
    .await;
    assert!(catalog(&server, &scoped, "").await.is_empty());
    let instance_path = format!(
        "/api/v1/embedded/instances/{}",
        instance["id"].as_str().unwrap()
    );
    let (status, _) = server.embedded_get(&scoped, &instance_path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, paused) = server
        .embedded(
            &scoped,
            Method::POST,
            &format!("{instance_path}/pause"),
            None,
        )
        .await;
    assert_eq!(
        (status, &paused["status"]),
        (StatusCode::OK, &json!("paused"))
    );

    // A tenant that sees all, no tenant, and an unknown tenant.
    let mut everyone = catalog(
        &server,
        &token(&server, "big", json!({"tenant": "everyone"})),
        "",
    )
    .await;
    everyone.sort();
    let mut both = vec![orders.clone(), chat.clone()];
    both.sort();
    assert_eq!(everyone, both);
    assert_eq!(
        catalog(&server, &token(&server, "solo", json!({})), "")
            .await
            .len(),
        2
    );
    let (status, problem) = server
        .embedded_get(
            &token(&server, "solo", json!({"tenant": "nope"})),
            "/api/v1/embedded/marketplace",
        )
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_tenant"))
    );
}

async fn tier_filter_and_minimum_tier(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let token = token(&server, "acme", json!({}));
    let (status, list) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let entries = items(status, &list);
    assert_eq!(entries[0]["tier"], Value::Null, "no evidence: no tier");
    let (status, problem) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace?tier=platinum")
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    // At least compatible: a listing without a tier is left out.
    assert!(
        catalog(&server, &token, "?tier=compatible")
            .await
            .is_empty()
    );
    assert_eq!(catalog(&server, &token, "").await, [orders.as_str()]);

    // Below the marketplace's minimum tier: shown, not deployable, activation refused (403).
    let default = default_marketplace(&server).await;
    let path = format!("/api/v1/marketplaces/{}", default["id"].as_str().unwrap());
    let (status, body) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"min_tier": "compatible"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, detail) = server
        .embedded_get(&token, &format!("/api/v1/embedded/marketplace/{orders}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["deployability"]["status"], "not_deployable");
    let codes: Vec<&str> = detail["deployability"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"tier_below_minimum"), "{detail}");
    assert_eq!(detail["tier"], Value::Null);
    assert!(detail["applications"].as_array().unwrap().is_empty());
    assert_eq!(detail["collections"], json!([]));
    let url = sink().await;
    let (status, problem) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": orders, "config": orders_config(&url)})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "not_deployable");
    assert_eq!(problem["reasons"][0]["code"], "tier_below_minimum");
}

/// Signs claims with the ES256 test key under another kid (a partner's registration of it).
fn partner_sign(claims: &Value, kid: &str) -> String {
    let (_, _, private, _) = KEYS.iter().find(|k| k.0 == "es").copied().unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(private.as_bytes()).unwrap();
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

async fn partner_keys_sign_for_their_marketplace_and_tenant(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let resellers = tenant(&server, "resellers", "all").await;
    let partner = create(&server, "partner-eu", json!({})).await;
    let partner_id = partner["id"].as_str().unwrap();
    sql(
        &server,
        "UPDATE marketplaces SET tenant_id = $1, partner = 1 WHERE id = $2",
        &[&resellers, partner_id],
    )
    .await;
    list_in(&server, partner_id, &orders).await;
    let public = KEYS.iter().find(|k| k.0 == "es").unwrap().3;
    sqlx::query(
        "INSERT INTO signing_keys (organization_id, kid, algorithm, public_key_pem, created_at, marketplace_id) \
         VALUES ($1, 'partner-key', 'ES256', $2, 0, $3)",
    )
    .bind(&server.organization_id)
    .bind(public)
    .bind(partner_id)
    .execute(&server.state.store.db.write)
    .await
    .unwrap();
    server.state.tokens.forget_keys();
    let signed = |customer: &str, extra: Value| {
        let mut claims = server.claims(customer, "u1", "admin");
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().cloned().unwrap());
        partner_sign(&claims, "partner-key")
    };
    let code = |answer: (StatusCode, Value)| {
        (
            answer.0,
            answer.1["code"]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_default(),
        )
    };
    let path = "/api/v1/embedded/marketplace";
    // Another marketplace (here the default) is refused.
    for extra in [json!({}), json!({"marketplace": "default"})] {
        assert_eq!(
            code(server.embedded_get(&signed("newco", extra), path).await),
            (StatusCode::UNAUTHORIZED, "marketplace_mismatch".to_owned())
        );
    }
    // A new customer joins the partner's tenant.
    let newco = signed("newco", json!({"marketplace": "partner-eu"}));
    assert_eq!(catalog(&server, &newco, "").await, [orders.as_str()]);
    let tenant_of = |external: &'static str| {
        let pool = server.state.store.db.write.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT tenant_id FROM customers WHERE external_id = $1",
            )
            .bind(external)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        tenant_of("newco").await.as_deref(),
        Some(resellers.as_str())
    );
    // A customer of no tenant (seen first through the vendor's key), or a claim naming another
    // tenant, is refused.
    catalog(&server, &token(&server, "oldco", json!({})), "").await;
    let oldco = signed("oldco", json!({"marketplace": "partner-eu"}));
    assert_eq!(
        code(server.embedded_get(&oldco, path).await),
        (StatusCode::UNAUTHORIZED, "tenant_mismatch".to_owned())
    );
    tenant(&server, "direct", "all").await;
    let other = signed(
        "newco",
        json!({"marketplace": "partner-eu", "tenant": "direct"}),
    );
    assert_eq!(
        code(server.embedded_get(&other, path).await),
        (StatusCode::UNAUTHORIZED, "tenant_mismatch".to_owned())
    );
    assert_eq!(
        tenant_of("oldco").await,
        None,
        "a refused token changes nothing"
    );
    // The vendor's key still signs for the partner's marketplace.
    let vendor = token(&server, "newco", json!({"marketplace": "partner-eu"}));
    assert_eq!(catalog(&server, &vendor, "").await, [orders]);
}

async fn origins_per_marketplace(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let brand = create(
        &server,
        "brand-b",
        json!({"allowed_origins": [BRAND_ORIGIN]}),
    )
    .await;
    list_in(&server, brand["id"].as_str().unwrap(), &orders).await;
    let url = format!("{}/api/v1/embedded/marketplace", server.base);
    let get = |token: String, origin: &'static str| {
        server
            .client
            .get(&url)
            .bearer_auth(token)
            .header("Origin", origin)
            .send()
    };
    let preflight = server
        .client
        .request(Method::OPTIONS, &url)
        .header("Origin", BRAND_ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let brand_token = token(&server, "acme", json!({"marketplace": "brand-b"}));
    let ok = get(brand_token.clone(), BRAND_ORIGIN).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["access-control-allow-origin"], BRAND_ORIGIN);
    let ok = get(brand_token, HOST_ORIGIN).await.unwrap();
    assert_eq!(
        ok.status(),
        StatusCode::OK,
        "the organization's origins too"
    );
    // Another marketplace's origin is refused.
    let refused = get(token(&server, "acme", json!({})), BRAND_ORIGIN)
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "origin_not_allowed");

    // The iframe page of a marketplace lets its origins frame it, and takes their messages.
    let page = |query: &'static str| {
        server
            .client
            .get(format!(
                "{}/embed/{}/marketplace{query}",
                server.base, server.organization_id
            ))
            .send()
    };
    let response = page("?marketplace=brand-b").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.ends_with(&format!("frame-ancestors {HOST_ORIGIN} {BRAND_ORIGIN}")),
        "{policy}"
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("brand.test:4000"), "{html}");
    let response = page("").await.unwrap();
    let policy = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!policy.contains(BRAND_ORIGIN), "{policy}");
    let response = page("?marketplace=nope").await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

async fn deleting_a_marketplace_keeps_instances(server: TestServer) {
    let orders = server.orders_listed(true).await;
    let brand = create(&server, "brand-b", json!({})).await;
    let brand_id = brand["id"].as_str().unwrap();
    list_in(&server, brand_id, &orders).await;
    let resellers = tenant(&server, "resellers", "tenant").await;
    assign(&server, &resellers, brand_id, &orders).await;
    let brand_token = token(&server, "acme", json!({"marketplace": "brand-b"}));
    let url = sink().await;
    let instance = server
        .activate(&brand_token, &orders, orders_config(&url))
        .await;
    let count = |table: &'static str| {
        let pool = server.state.store.db.write.clone();
        let id = brand_id.to_owned();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE marketplace_id = $1"
            )))
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    assert_eq!(
        (count("listings").await, count("tenant_listings").await),
        (1, 1)
    );
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplaces/{brand_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        (count("listings").await, count("tenant_listings").await),
        (0, 0)
    );
    assert_eq!(count("instances").await, 1, "instances stay");
    let path = format!("/api/v1/instances/{}", instance["id"].as_str().unwrap());
    let (status, kept) = server.admin_get(&path).await;
    assert_eq!(
        (status, &kept["marketplace_id"]),
        (StatusCode::OK, &brand["id"])
    );
    // Its tokens are refused; the customer manages the instance through another marketplace.
    let (status, problem) = server
        .embedded_get(&brand_token, "/api/v1/embedded/marketplace")
        .await;
    assert_eq!(
        (status, problem["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unknown_marketplace"))
    );
    let (status, _) = server
        .embedded_get(
            &token(&server, "acme", json!({})),
            &format!(
                "/api/v1/embedded/instances/{}",
                instance["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The default listing is untouched.
    let (status, list) = server.admin_get("/api/v1/marketplace/listings").await;
    assert_eq!(items(status, &list).len(), 1);
}

async fn the_catalog_shows_tiers_and_certification(server: TestServer) {
    // Evidence of the compatible tier: a profile and a registered application version.
    let (status, provider) = server
        .admin(
            Method::POST,
            "/api/v1/providers",
            Some(json!({"name": "Shopware", "url": "https://shop.example",
                "logo_url": "https://shop.example/logo.png", "support": {"email": "help@shop.example"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{provider}");
    let (status, app) = server
        .admin(
            Method::POST,
            "/api/v1/applications",
            Some(json!({"provider_id": provider["id"], "name": "Shopware 6"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let app_id = app["id"].as_str().unwrap();
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/applications/{app_id}/versions"),
            Some(json!({"name": "2024.1", "released_on": "2024-01-15"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Shop", "category": "commerce", "profile": {
                "event_services": ["webhook"], "hosting": ["multitenant_cloud"],
                "api": {"kind": "openapi", "url": "https://shop.example/openapi.json"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let shop = integration["id"].as_str().unwrap().to_owned();
    let mut version = orders_version("1.0.0");
    version["documentation"] = json!("# Shop\n<script>alert(1)</script>Syncs orders.");
    version["applications"] = json!([{"application_id": app_id, "versions": ["2024.1"]}]);
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{shop}/versions"),
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{shop}/versions/1.0.0/publish"),
            Some(json!({"marketplaces": ["default"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let default = default_marketplace(&server).await;
    list_in(&server, default["id"].as_str().unwrap(), &shop).await;
    let orders = server.orders_listed(true).await;

    // The entry carries its tier; the filter keeps those at least that tier.
    let token = token(&server, "acme", json!({}));
    let (status, list) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let tiers: Vec<(String, Value)> = items(status, &list)
        .iter()
        .map(|e| {
            (
                e["integration_id"].as_str().unwrap().to_owned(),
                e["tier"].clone(),
            )
        })
        .collect();
    assert_eq!(
        tiers,
        [
            (orders.clone(), Value::Null),
            (shop.clone(), json!("compatible"))
        ]
    );
    assert_eq!(
        catalog(&server, &token, "?tier=compatible").await,
        [shop.as_str()]
    );
    assert!(catalog(&server, &token, "?tier=ready").await.is_empty());

    // The detail: provider, applications, documentation (sanitised), no collections below
    // certified.
    let (status, detail) = server
        .embedded_get(&token, &format!("/api/v1/embedded/marketplace/{shop}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["tier"], "compatible");
    assert_eq!(
        (
            &detail["provider"]["name"],
            &detail["provider"]["support"]["email"]
        ),
        (&json!("Shopware"), &json!("help@shop.example"))
    );
    assert_eq!(
        detail["applications"],
        json!([{"name": "Shopware 6", "versions": ["2024.1"]}])
    );
    assert!(
        detail["documentation"]
            .as_str()
            .unwrap()
            .starts_with("# Shop")
    );
    let html = detail["documentation_html"].as_str().unwrap();
    assert!(
        html.contains("<h1>Shop</h1>") && !html.contains("<script"),
        "{html}"
    );
    assert_eq!(detail["collections"], json!([]));

    // A minimum tier of compatible refuses only the listing below it.
    let path = format!("/api/v1/marketplaces/{}", default["id"].as_str().unwrap());
    let (status, _) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"min_tier": "compatible"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, list) = server
        .embedded_get(&token, "/api/v1/embedded/marketplace")
        .await;
    let statuses: Vec<Value> = items(status, &list)
        .iter()
        .map(|e| e["deployability"]["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("not_deployable"), json!("deployable")]);
}
