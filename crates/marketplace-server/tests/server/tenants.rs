//! Tenants and the listings assigned to them, over HTTP.

use super::common::{TestServer, first_error, items};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both_backends!(
    tenants_are_created_changed_and_deleted,
    listings_are_assigned_to_tenants,
    customers_belong_to_a_tenant,
);

/// Creates a tenant; returns its id.
pub(crate) async fn tenant(server: &TestServer, key: &str, app_management: &str) -> String {
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"key": key, "name": key.to_uppercase(), "app_management": app_management})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The organization's default marketplace id.
pub(crate) fn default_marketplace(server: &TestServer) -> String {
    marketplace_server::store::organizations::default_marketplace_id(&server.organization_id)
}

/// The event types of the organization, oldest first.
pub(crate) async fn organization_events(server: &TestServer) -> Vec<String> {
    let (status, events) = server.admin_get("/api/v1/events?limit=200").await;
    items(status, &events)
        .iter()
        .map(|e| e["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn tenants_are_created_changed_and_deleted(server: TestServer) {
    let (status, created) = server
        .admin(
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"key": "resellers", "name": "Resellers", "description": "EU resellers"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("ten_"), "{created}");
    assert_eq!(created["app_management"], "all");
    assert_eq!(created["description"], "EU resellers");

    // Refusals of the fields, every one at once.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"key": "Bad Key", "name": " "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("format")));
    assert_eq!(problem["errors"][1]["path"], "/name");
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"key": "other", "name": "Other", "app_management": "some"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/app_management"), Some("option"))
    );
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/tenants",
            Some(json!({"key": "resellers", "name": "Again"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "duplicate_tenant_key");

    // Read, list, change; the key is immutable.
    let path = format!("/api/v1/tenants/{id}");
    let (status, got) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, created);
    let (status, list) = server.admin_get("/api/v1/tenants").await;
    assert_eq!(items(status, &list).len(), 1);
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"name": "Partners", "app_management": "tenant", "key": "resellers"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Partners");
    assert_eq!(changed["app_management"], "tenant");
    assert_eq!(changed["description"], "EU resellers");
    let (status, problem) = server
        .admin(Method::PATCH, &path, Some(json!({"key": "renamed"})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/key"), Some("immutable")));
    let (status, _) = server
        .admin(
            Method::PATCH,
            "/api/v1/tenants/ten_nope",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // In use by a customer: 409 until the customer leaves it.
    let (status, customer) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Acme", "external_id": "acme"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{customer}");
    let customer_id = customer["id"].as_str().unwrap();
    sqlx::query("UPDATE customers SET tenant_id = $1 WHERE id = $2")
        .bind(id)
        .bind(customer_id)
        .execute(&server.state.store.db.write)
        .await
        .unwrap();
    let (status, problem) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "tenant_in_use");
    sqlx::query("UPDATE customers SET tenant_id = NULL WHERE id = $1")
        .bind(customer_id)
        .execute(&server.state.store.db.write)
        .await
        .unwrap();
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let events = organization_events(&server).await;
    for expected in ["tenant.created", "tenant.updated", "tenant.deleted"] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected}: {events:?}"
        );
    }
}

async fn listings_are_assigned_to_tenants(server: TestServer) {
    let integration = server.orders_listed(false).await;
    let id = tenant(&server, "resellers", "tenant").await;
    let marketplace = default_marketplace(&server);
    let path = format!("/api/v1/tenants/{id}/listings/{marketplace}/{integration}");
    let version_before: i64 =
        sqlx::query_scalar("SELECT catalog_version FROM organizations WHERE id = $1")
            .bind(&server.organization_id)
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap_or(0);

    let (status, body) = server.admin(Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!({"tenant_id": id, "marketplace_id": marketplace, "integration_id": integration})
    );
    let (status, _) = server.admin(Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let version_after: i64 =
        sqlx::query_scalar("SELECT catalog_version FROM organizations WHERE id = $1")
            .bind(&server.organization_id)
            .fetch_one(&server.state.store.db.read)
            .await
            .unwrap_or(0);
    assert!(version_after > version_before, "the catalog version moves");

    let (status, list) = server
        .admin_get(&format!("/api/v1/tenants/{id}/listings"))
        .await;
    assert_eq!(items(status, &list), vec![body.clone()]);
    let (status, list) = server
        .admin_get(&format!(
            "/api/v1/tenants/{id}/listings?marketplace_id=mkt_other"
        ))
        .await;
    assert!(items(status, &list).is_empty());

    // No listing, no tenant: 404.
    for missing in [
        format!("/api/v1/tenants/{id}/listings/{marketplace}/int_nope"),
        format!("/api/v1/tenants/{id}/listings/mkt_nope/{integration}"),
        format!("/api/v1/tenants/ten_nope/listings/{marketplace}/{integration}"),
    ] {
        let (status, problem) = server.admin(Method::PUT, &missing, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}: {problem}");
    }
    let (status, _) = server.admin_get("/api/v1/tenants/ten_nope/listings").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A deleted listing takes its assignments.
    let (status, _) = server.admin(Method::PUT, &path, None).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/marketplace/listings/{integration}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, list) = server
        .admin_get(&format!("/api/v1/tenants/{id}/listings"))
        .await;
    assert!(items(status, &list).is_empty());

    let events = organization_events(&server).await;
    for expected in ["tenant.listing_assigned", "tenant.listing_unassigned"] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected}: {events:?}"
        );
    }
}

async fn customers_belong_to_a_tenant(server: TestServer) {
    let id = tenant(&server, "resellers", "all").await;
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Acme", "external_id": "acme", "tenant_id": "ten_nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/tenant_id"), Some("invalid_reference"))
    );
    let (status, acme) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Acme", "external_id": "acme", "tenant_id": id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{acme}");
    assert_eq!(acme["tenant_id"], id.as_str());
    let (status, globex) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": "Globex", "external_id": "globex"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{globex}");
    assert!(globex["tenant_id"].is_null(), "{globex}");
    let globex_path = format!("/api/v1/customers/{}", globex["id"].as_str().unwrap());

    let (status, problem) = server
        .admin(
            Method::PATCH,
            &globex_path,
            Some(json!({"tenant_id": "ten_nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/tenant_id"), Some("invalid_reference"))
    );
    let (status, changed) = server
        .admin(Method::PATCH, &globex_path, Some(json!({"tenant_id": id})))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["tenant_id"], id.as_str());
    // Another field leaves the tenant; null clears it.
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &globex_path,
            Some(json!({"description": "b2b"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["tenant_id"], id.as_str());
    let (status, list) = server
        .admin_get(&format!("/api/v1/customers?tenant_id={id}"))
        .await;
    assert_eq!(items(status, &list).len(), 2);
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &globex_path,
            Some(json!({"tenant_id": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(changed["tenant_id"].is_null(), "{changed}");
    let (status, list) = server
        .admin_get(&format!("/api/v1/customers?tenant_id={id}"))
        .await;
    let listed = items(status, &list);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["external_id"], "acme");
}
