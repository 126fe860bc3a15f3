//! Providers, applications, an integration's profile, a version's document, connection tests,
//! tiers and certification requests, over HTTP: a version climbing tier by tier to one-click,
//! and every refusal on the way.

use super::common::{TestServer, error_codes, first_error, items, key, sink};
use crate::on_both_backends;
use marketplace_core::certification::Tier;
use marketplace_server::service::certification;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    providers_and_applications,
    profiles_and_version_documents,
    a_version_climbs_to_one_click,
    requests_are_refused_with_their_reasons,
    connection_tests_name_their_instance,
    certification_is_documented,
);

/// A provider with a complete profile; returns its id.
async fn provider(server: &TestServer, name: &str) -> String {
    let (status, provider) = server
        .admin(
            Method::POST,
            "/api/v1/providers",
            Some(json!({"name": name, "url": "https://shop.example",
                "logo_url": "https://shop.example/logo.png",
                "support": {"email": "help@shop.example"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{provider}");
    provider["id"].as_str().unwrap().to_owned()
}

/// An application of the provider with a complete profile and the version `2024.1`; returns
/// its id.
async fn application(server: &TestServer, provider_id: &str, name: &str) -> String {
    let (status, app) = server
        .admin(
            Method::POST,
            "/api/v1/applications",
            Some(json!({"provider_id": provider_id, "name": name,
                "product_url": "https://shop.example/product",
                "logo_url": "https://shop.example/app.png"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let id = app["id"].as_str().unwrap().to_owned();
    let (status, app) = server
        .admin(
            Method::POST,
            &format!("/api/v1/applications/{id}/versions"),
            Some(json!({"name": "2024.1", "released_on": "2024-01-15"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    id
}

/// Creates an integration; returns its id.
async fn integration(server: &TestServer, name: &str) -> String {
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": name, "category": "commerce"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    integration["id"].as_str().unwrap().to_owned()
}

/// A version whose `ping` flow (manual) delivers to `endpoint` and whose `orders` flow is a
/// webhook; no collection, documentation or connection test yet.
fn shop_version(number: &str) -> Value {
    json!({"version": number,
        "config": {"pages": [{"title": "Shop", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url", "required": true}]}]},
        "flows": [{"name": "ping", "trigger": "manual", "deliver": {"url": "endpoint"}},
                  {"name": "orders", "trigger": "webhook", "deliver": {"url": "endpoint"}}]})
}

/// The `contacts` collection: with a passing test and notes.
fn contacts() -> Value {
    json!({"name": "contacts", "record_type": "contact", "direction": "to",
        "notes": "A shop customer as a contact.",
        "mappings": [{"kind": "field", "to": "/email", "from": "/Email"},
                     {"kind": "static", "to": "/source", "value": "shop"}],
        "tests": [{"name": "ada", "input": {"Email": "ada@example.com"},
                   "expected": {"email": "ada@example.com", "source": "shop"}}]})
}

async fn put_contact_type(server: &TestServer) {
    let schema = json!({"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string"}, "source": {"type": "string"}}});
    let (status, body) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/contact",
            Some(json!({"schema": schema})),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

fn version_path(integration: &str, version: &str) -> String {
    format!("/api/v1/integrations/{integration}/versions/{version}")
}

/// The version's tier and the codes of its failing checks.
async fn tier(server: &TestServer, integration: &str, version: &str) -> (Value, Vec<String>) {
    let (status, report) = server
        .admin_get(&format!("{}/tier", version_path(integration, version)))
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["checks"].as_array().unwrap().len(), 12, "{report}");
    let failing = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            let passed = c["passed"].as_bool().unwrap();
            // A next action says what to do exactly when a check fails.
            assert_eq!(passed, c["next_action"].is_null(), "{c}");
            !passed
        })
        .map(|c| c["code"].as_str().unwrap().to_owned())
        .collect();
    (report["tier"].clone(), failing)
}

/// The `data` of the organization's events of that type.
async fn events_of(server: &TestServer, event_type: &str) -> Vec<Value> {
    let (status, events) = server
        .admin_get(&format!("/api/v1/events?type={event_type}&limit=200"))
        .await;
    items(status, &events)
        .into_iter()
        .map(|e| e["data"].clone())
        .collect()
}

/// Publishes a version and lists it, customer-deployable with several instances allowed.
async fn publish_and_list(server: &TestServer, integration: &str, version: &str) {
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("{}/publish", version_path(integration, version)),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let listing = json!({"version": version, "overview": "", "customer_deployable": true,
        "allow_multiple_instances": true});
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/marketplace/listings/{integration}"),
            Some(listing),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Activates the integration for a customer with that endpoint; returns the instance id.
async fn instance(server: &TestServer, integration: &str, endpoint: &str) -> String {
    let token = server.token("acme", "u1", "admin");
    let instance = server
        .activate(&token, integration, json!({"endpoint": endpoint}))
        .await;
    instance["id"].as_str().unwrap().to_owned()
}

async fn connection_test(
    server: &TestServer,
    integration: &str,
    version: &str,
    instance: &str,
) -> (StatusCode, Value) {
    server
        .admin(
            Method::POST,
            &format!("{}/connection-test", version_path(integration, version)),
            Some(json!({"instance_id": instance})),
        )
        .await
}

/// What the catalog learns of a listed version: its tier (`service::certification::tiers`) and
/// its details (`catalog_details`, summarised as JSON).
async fn catalog_view(
    server: &TestServer,
    integration: &str,
    version: &str,
) -> (Option<Tier>, Value) {
    let state = &server.state;
    let key = (integration.to_owned(), version.to_owned());
    let tiers = certification::tiers(state, &server.organization_id, std::slice::from_ref(&key))
        .await
        .unwrap();
    let tier = tiers[&key];
    let loaded = marketplace_server::service::catalog::load_version(state, integration, version)
        .await
        .unwrap()
        .unwrap();
    let details =
        certification::catalog_details(state, &server.organization_id, integration, &loaded, tier)
            .await
            .unwrap();
    let summary = json!({
        "provider": details.provider.map(|p| p.name),
        "applications": details.applications.iter().map(|a| json!([a.name, a.versions])).collect::<Vec<_>>(),
        "documentation": details.documentation,
        "collections": details.collections.iter().map(|c| json!([c.name, c.record_type])).collect::<Vec<_>>(),
    });
    (tier, summary)
}

async fn providers_and_applications(server: TestServer) {
    // Providers: create, read, list, change; every field problem at once.
    let provider_id = provider(&server, "Shopware").await;
    assert!(provider_id.starts_with("prv_"), "{provider_id}");
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/providers",
            Some(json!({"url": "not a url"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"/name") && paths.contains(&"/url"),
        "{problem}"
    );
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/providers/{provider_id}"),
            Some(json!({"name": "Shopware AG"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Shopware AG");
    assert_eq!(changed["support"]["email"], "help@shop.example", "kept");
    let (status, list) = server.admin_get("/api/v1/providers").await;
    assert_eq!(items(status, &list).len(), 1);
    let (status, _) = server.admin_get("/api/v1/providers/prv_nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Applications: an unknown provider is an invalid reference.
    let (status, problem) = server
        .admin(
            Method::POST,
            "/api/v1/applications",
            Some(json!({"provider_id": "prv_nope", "name": "Shop"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/provider_id"), Some("invalid_reference"))
    );
    let app_id = application(&server, &provider_id, "Shopware 6").await;
    let other_provider = provider(&server, "Magento").await;
    application(&server, &other_provider, "Magento Open Source").await;

    // Versions: the latest is the greatest release date up to today; names are unique.
    let versions = format!("/api/v1/applications/{app_id}/versions");
    let (status, app) = server
        .admin(
            Method::POST,
            &versions,
            Some(json!({"name": "2099.1", "released_on": "2099-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    assert_eq!(app["versions"].as_array().unwrap().len(), 2);
    assert_eq!(
        app["latest"],
        json!({"name": "2024.1", "released_on": "2024-01-15"})
    );
    let (status, problem) = server
        .admin(
            Method::POST,
            &versions,
            Some(json!({"name": "2024.1", "released_on": "2024-02-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "duplicate_application_version");
    let (status, problem) = server
        .admin(
            Method::POST,
            &versions,
            Some(json!({"name": "2025.1", "released_on": "15/01/2025"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/released_on"), Some("format"))
    );

    // Filters.
    let (status, list) = server
        .admin_get(&format!("/api/v1/applications?provider_id={provider_id}"))
        .await;
    let names: Vec<Value> = items(status, &list)
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, [json!("Shopware 6")]);
    let (status, list) = server.admin_get("/api/v1/applications?q=MAGENTO").await;
    let names: Vec<Value> = items(status, &list)
        .iter()
        .map(|a| a["name"].clone())
        .collect();
    assert_eq!(names, [json!("Magento Open Source")]);
    let (status, problem) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/applications/{app_id}"),
            Some(json!({"provider_id": "prv_nope"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/provider_id"), Some("invalid_reference"))
    );

    // A version declares 2024.1: neither it nor the application can go, nor the provider.
    let integration = integration(&server, "Shop").await;
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{integration}/versions"),
            Some(shop_version("1.0.0")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let supported = format!("{}/applications", version_path(&integration, "1.0.0"));
    let (status, problem) = server
        .admin(
            Method::PUT,
            &supported,
            Some(
                json!([{"application_id": app_id, "versions": ["2024.1", "1999.9"]},
                        {"application_id": "app_nope", "versions": []}]),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = error_codes(&problem);
    assert_eq!(
        errors,
        [
            ("/0/versions/1", "invalid_reference"),
            ("/1/application_id", "invalid_reference")
        ]
    );
    let declared = json!([{"application_id": app_id, "versions": ["2024.1"]}]);
    let (status, body) = server
        .admin(Method::PUT, &supported, Some(declared.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, declared);
    let (status, version) = server.admin_get(&version_path(&integration, "1.0.0")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version["applications"], declared);
    let refusals = [
        (
            format!("/api/v1/applications/{app_id}/versions/2024.1"),
            "application_in_use",
        ),
        (
            format!("/api/v1/applications/{app_id}"),
            "application_in_use",
        ),
        (
            format!("/api/v1/providers/{provider_id}"),
            "provider_in_use",
        ),
    ];
    for (path, code) in &refusals {
        let (status, problem) = server.admin(Method::DELETE, path, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{path}: {problem}");
        assert_eq!(problem["code"], *code, "{path}");
    }
    // An undeclared version goes; an unknown one is not found.
    let (status, _) = server
        .admin(Method::DELETE, &format!("{versions}/2099.1"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .admin(Method::DELETE, &format!("{versions}/2099.1"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Once undeclared, everything goes, in order.
    let (status, _) = server.admin(Method::PUT, &supported, Some(json!([]))).await;
    assert_eq!(status, StatusCode::OK);
    for (path, _) in &refusals {
        let (status, problem) = server.admin(Method::DELETE, path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{path}: {problem}");
    }
    let (status, _) = server
        .admin_get(&format!("/api/v1/applications/{app_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Every change is an event.
    for (event_type, count) in [
        ("provider.created", 2),
        ("provider.updated", 1),
        ("provider.deleted", 1),
        ("application.created", 2),
        ("application.deleted", 1),
        ("application.version_added", 3),
        ("application.version_removed", 2),
        ("version.applications_updated", 2),
    ] {
        assert_eq!(
            events_of(&server, event_type).await.len(),
            count,
            "{event_type}"
        );
    }

    // A reviewer key reads, and writes nothing here.
    let (_, reviewer) = key(&server, "reviewer").await;
    let (status, _) = server
        .call(Some(&reviewer), Method::GET, "/api/v1/providers", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = server
        .call(
            Some(&reviewer),
            Method::POST,
            "/api/v1/providers",
            Some(json!({"name": "X"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "forbidden_role");
}

async fn profiles_and_version_documents(server: TestServer) {
    // The profile: empty by default, set on create, replaced by PATCH, checked.
    let id = integration(&server, "Shop").await;
    let (status, shown) = server
        .admin_get(&format!("/api/v1/integrations/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown["profile"],
        json!({"event_services": [], "hosting": [], "api": null})
    );
    let profile = json!({"event_services": ["webhook", "queue"], "hosting": ["multitenant_cloud"],
        "api": {"kind": "openapi", "url": "https://api.shop.example/openapi.json"}});
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"profile": profile})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["profile"], profile);
    assert_eq!(changed["name"], "Shop", "kept");
    let (status, changed) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"description": "Orders"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["profile"], profile, "kept");
    let (status, created) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Other", "profile": {"hosting": ["on_premise"]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["profile"]["hosting"], json!(["on_premise"]));
    let (status, problem) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"profile": {"hosting": ["on_premise", "in_the_sea"],
                "api": {"kind": "openapi", "url": "nowhere"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/profile/hosting/1"), Some("option"))
    );
    let (status, problem) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"profile": {"api": {"kind": "openapi", "url": "nowhere"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem).0, Some("/profile/api/url"));

    // A version's document: stored, shown, replaced with the draft, checked at once.
    let provider_id = provider(&server, "Shopware").await;
    let app_id = application(&server, &provider_id, "Shopware 6").await;
    let mut body = shop_version("1.0.0");
    body["documentation"] = json!("# Shop\nSyncs orders.");
    body["connection_test"] = json!("ping");
    body["applications"] = json!([{"application_id": app_id, "versions": ["2024.1"]}]);
    let versions = format!("/api/v1/integrations/{id}/versions");
    let (status, version) = server
        .admin(Method::POST, &versions, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    assert_eq!(version["documentation"], "# Shop\nSyncs orders.");
    assert_eq!(version["connection_test"], "ping");
    assert_eq!(version["applications"], body["applications"]);

    let mut bad = shop_version("1.1.0");
    bad["connection_test"] = json!("orders");
    bad["applications"] = json!([{"application_id": "app_nope", "versions": []}]);
    bad["flows"][0]["deliver"]["url"] = json!("nowhere");
    let (status, problem) = server.admin(Method::POST, &versions, Some(bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let paths: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/flows/0/deliver/url"), "{problem}");
    assert!(
        paths.contains(&"/applications/0/application_id"),
        "{problem}"
    );
    let mut webhook_test = shop_version("1.1.0");
    webhook_test["connection_test"] = json!("orders");
    let (status, problem) = server
        .admin(Method::POST, &versions, Some(webhook_test))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/connection_test"), Some("invalid_reference"))
    );

    // Replacing the draft replaces its document.
    let mut replaced = shop_version("1.0.0");
    replaced["documentation"] = json!("# Shop 2");
    let (status, version) = server
        .admin(
            Method::PUT,
            &version_path(&id, "1.0.0"),
            Some(replaced.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{version}");
    assert_eq!(version["documentation"], "# Shop 2");
    assert_eq!(version["connection_test"], Value::Null);
    assert_eq!(version["applications"], json!([]));
}

async fn a_version_climbs_to_one_click(server: TestServer) {
    put_contact_type(&server).await;
    let provider_id = provider(&server, "Shopware").await;
    let app_id = application(&server, &provider_id, "Shopware 6").await;
    let id = integration(&server, "Shop").await;
    let versions = format!("/api/v1/integrations/{id}/versions");
    let mut body = shop_version("1.0.0");
    body["connection_test"] = json!("ping");
    let (status, created) = server
        .admin(Method::POST, &versions, Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // Nothing declared: not even compatible.
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, Value::Null);
    assert_eq!(failing.len(), 12, "{failing:?}");

    // The profile, then the supported applications: compatible.
    let profile = json!({"event_services": ["webhook"], "hosting": ["multitenant_cloud"],
        "api": {"kind": "connector", "url": "https://connectors.example/shop"}});
    let (status, _) = server
        .admin(
            Method::PATCH,
            &format!("/api/v1/integrations/{id}"),
            Some(json!({"profile": profile})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, Value::Null);
    assert!(
        failing.contains(&"application_versioning".into()),
        "{failing:?}"
    );
    let supported = json!([{"application_id": app_id, "versions": ["2024.1"]}]);
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("{}/applications", version_path(&id, "1.0.0")),
            Some(supported),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "compatible");
    assert!(
        !failing.contains(&"provider_profile".into())
            && !failing.contains(&"application_profile".into()),
        "{failing:?}"
    );

    // Collections with tests, and documentation, on the draft: the certified checks but the
    // reviewer's pass; the tier still waits for a connection test.
    body["collections"] = json!([contacts()]);
    body["documentation"] = json!("# Shop\nContacts from the shop.");
    body["applications"] = json!([{"application_id": app_id, "versions": ["2024.1"]}]);
    let (status, replaced) = server
        .admin(Method::PUT, &version_path(&id, "1.0.0"), Some(body))
        .await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "compatible");
    assert_eq!(
        failing,
        ["connection_test", "reviewer_approval", "workflow_template"]
    );

    // Published and activated: a failing connection test leaves it compatible...
    publish_and_list(&server, &id, "1.0.0").await;
    let failing_instance = instance(&server, &id, "http://127.0.0.1:9/in").await;
    let (status, run) = connection_test(&server, &id, "1.0.0", &failing_instance).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["passed"], false, "{run}");
    let (status, executions) = server
        .admin_get(&format!(
            "/api/v1/executions?instance_id={failing_instance}"
        ))
        .await;
    let executions = items(status, &executions);
    assert_eq!(executions.len(), 1, "{executions:?}");
    assert_eq!(executions[0]["id"], run["execution_id"]);
    assert_eq!(executions[0]["flow"], "ping");
    assert_eq!(executions[0]["status"], "failed");
    let (tier_now, _) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "compatible");

    // ... a passing one makes it ready.
    let passing_instance = instance(&server, &id, &sink().await).await;
    let (status, run) = connection_test(&server, &id, "1.0.0", &passing_instance).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["passed"], true, "{run}");
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "ready");
    assert_eq!(failing, ["reviewer_approval", "workflow_template"]);
    let details = catalog_view(&server, &id, "1.0.0").await;
    assert_eq!(details.0, Some(Tier::Ready));
    assert_eq!(
        details.1,
        json!({"provider": "Shopware", "applications": [["Shopware 6", ["2024.1"]]],
            "documentation": "# Shop\nContacts from the shop.", "collections": []})
    );
    let completed = events_of(&server, "connection_test.completed").await;
    let passed: Vec<Value> = completed.iter().map(|d| d["passed"].clone()).collect();
    assert_eq!(passed, [json!(false), json!(true)]);

    // A certification request, decided by another key.
    let requests = format!("{}/certification-requests", version_path(&id, "1.0.0"));
    let (status, request) = server
        .admin(
            Method::POST,
            &requests,
            Some(json!({"notes": "Contacts are mapped."})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{request}");
    assert_eq!(request["status"], "pending");
    assert_eq!(request["decision"], Value::Null);
    let request_id = request["id"].as_str().unwrap().to_owned();
    assert!(request_id.starts_with("crq_"));
    let (status, problem) = server.admin(Method::POST, &requests, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "certification_pending");

    let decision = format!("/api/v1/certification-requests/{request_id}/decision");
    let (status, problem) = server
        .admin(
            Method::POST,
            &decision,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "self_review");
    let (reviewer_id, reviewer) = key(&server, "reviewer").await;
    let (status, problem) = server
        .call(
            Some(&reviewer),
            Method::POST,
            &decision,
            Some(json!({"decision": "reject"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/notes"), Some("required")));
    let (status, approved) = server
        .call(
            Some(&reviewer),
            Method::POST,
            &decision,
            Some(json!({"decision": "approve", "notes": "Looks right."})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decision"]["decided_by"], reviewer_id);
    let (status, problem) = server
        .call(
            Some(&reviewer),
            Method::POST,
            &decision,
            Some(json!({"decision": "reject", "notes": "changed my mind"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "already_decided");
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "certified");
    assert_eq!(failing, ["workflow_template"]);
    let (catalog_tier, details) = catalog_view(&server, &id, "1.0.0").await;
    assert_eq!(catalog_tier, Some(Tier::Certified));
    assert_eq!(details["collections"], json!([["contacts", "contact"]]));

    // An approved workflow template: one click.
    let (status, template) = server
        .admin(
            Method::POST,
            &format!("{}/workflow-templates", version_path(&id, "1.0.0")),
            Some(
                json!({"name": "Default", "config": {"endpoint": "https://shop.example/in"},
                "flows": ["orders"]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    let (tier_now, _) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "certified", "a pending template does not count");
    let (status, body) = server
        .call(
            Some(&reviewer),
            Method::POST,
            &format!(
                "/api/v1/workflow-templates/{}/decision",
                template["id"].as_str().unwrap()
            ),
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (tier_now, failing) = tier(&server, &id, "1.0.0").await;
    assert_eq!(tier_now, "one_click");
    assert!(failing.is_empty(), "{failing:?}");

    // The requests, listed and filtered; events of each step.
    let (status, list) = server
        .admin_get(&format!(
            "/api/v1/certification-requests?status=approved&integration_id={id}"
        ))
        .await;
    let listed: Vec<Value> = items(status, &list)
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(listed, [json!(request_id)]);
    let (status, list) = server
        .admin_get("/api/v1/certification-requests?status=pending")
        .await;
    assert!(items(status, &list).is_empty());
    let (status, problem) = server
        .admin_get("/api/v1/certification-requests?status=maybe")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["code"], "invalid_query");
    let (status, shown) = server
        .call(
            Some(&reviewer),
            Method::GET,
            &format!("/api/v1/certification-requests/{request_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, approved);
    assert_eq!(events_of(&server, "certification.requested").await.len(), 1);
    let approvals = events_of(&server, "certification.approved").await;
    assert_eq!(approvals[0]["request_id"], json!(request_id));
    assert_eq!(approvals[0]["decided_by"], json!(reviewer_id));
}

async fn requests_are_refused_with_their_reasons(server: TestServer) {
    // A published version with nothing declared: every check to certified but the reviewer's
    // fails, each a reason.
    let id = integration(&server, "Bare").await;
    let versions = format!("/api/v1/integrations/{id}/versions");
    let (status, _) = server
        .admin(Method::POST, &versions, Some(shop_version("1.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    publish_and_list(&server, &id, "1.0.0").await;
    let (status, problem) = server
        .admin(
            Method::POST,
            &format!("{}/certification-requests", version_path(&id, "1.0.0")),
            Some(json!({"notes": ""})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "requirements_unmet");
    let reasons: Vec<&str> = problem["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty(), "{r}");
            r["code"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "event_services",
            "hosting_model",
            "application_versioning",
            "api_description",
            "provider_profile",
            "application_profile",
            "connection_test",
            "mapping_collections",
            "mapping_tests",
            "documentation"
        ]
    );

    // A draft cannot be certified; an unknown version or request is not found.
    let (status, _) = server
        .admin(Method::POST, &versions, Some(shop_version("2.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, problem) = server
        .admin(
            Method::POST,
            &format!("{}/certification-requests", version_path(&id, "2.0.0")),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "version_draft");
    let (status, _) = server
        .admin(
            Method::POST,
            &format!("{}/certification-requests", version_path(&id, "9.0.0")),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .admin_get(&format!("{}/tier", version_path(&id, "9.0.0")))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .admin_get("/api/v1/certification-requests/crq_nope")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .admin(
            Method::POST,
            "/api/v1/certification-requests/crq_nope/decision",
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, list) = server.admin_get("/api/v1/certification-requests").await;
    assert!(items(status, &list).is_empty(), "nothing was filed");
}

async fn connection_tests_name_their_instance(server: TestServer) {
    let id = integration(&server, "Shop").await;
    let versions = format!("/api/v1/integrations/{id}/versions");
    let mut body = shop_version("1.0.0");
    body["connection_test"] = json!("ping");
    let (status, _) = server.admin(Method::POST, &versions, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED);
    publish_and_list(&server, &id, "1.0.0").await;
    let own = instance(&server, &id, &sink().await).await;

    // Another integration's instance, or none, is not this version's.
    let other = integration(&server, "Other").await;
    let (status, _) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{other}/versions"),
            Some(shop_version("1.0.0")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    publish_and_list(&server, &other, "1.0.0").await;
    let foreign = instance(&server, &other, &sink().await).await;
    for instance_id in [foreign.as_str(), "ins_nope"] {
        let (status, problem) = connection_test(&server, &id, "1.0.0", instance_id).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(
            first_error(&problem),
            (Some("/instance_id"), Some("invalid_reference"))
        );
    }
    // A version naming no connection test cannot run one.
    let (status, problem) = connection_test(&server, &other, "1.0.0", &foreign).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "connection_test_missing");
    // A body without an instance is a field error; an unknown version is not found.
    let (status, problem) = server
        .admin(
            Method::POST,
            &format!("{}/connection-test", version_path(&id, "1.0.0")),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = connection_test(&server, &id, "3.0.0", &own).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The run is stored: the check passes.
    let (status, run) = connection_test(&server, &id, "1.0.0", &own).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["passed"], true);
    let (_, failing) = tier(&server, &id, "1.0.0").await;
    assert!(!failing.contains(&"connection_test".into()), "{failing:?}");
}

async fn certification_is_documented(server: TestServer) {
    let (status, doc) = server
        .call(None, Method::GET, "/api/v1/openapi.json", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let version = "/api/v1/integrations/{id}/versions/{version}";
    let with_body = "400 401 403 404 409 413 415 422 500";
    for (path, method, expected) in [
        (
            "/api/v1/providers".to_owned(),
            "post",
            "400 401 403 413 415 422 500",
        ),
        (
            "/api/v1/providers/{id}".to_owned(),
            "delete",
            "401 403 404 409 500",
        ),
        ("/api/v1/applications".to_owned(), "get", "400 401 500"),
        (
            "/api/v1/applications/{id}/versions".to_owned(),
            "post",
            with_body,
        ),
        (
            "/api/v1/applications/{id}/versions/{name}".to_owned(),
            "delete",
            "401 403 404 409 500",
        ),
        (
            format!("{version}/applications"),
            "put",
            "400 401 403 404 413 415 422 500",
        ),
        (format!("{version}/connection-test"), "post", with_body),
        (format!("{version}/tier"), "get", "401 404 500"),
        (
            format!("{version}/certification-requests"),
            "post",
            with_body,
        ),
        (
            "/api/v1/certification-requests".to_owned(),
            "get",
            "400 401 500",
        ),
        (
            "/api/v1/certification-requests/{id}/decision".to_owned(),
            "post",
            with_body,
        ),
    ] {
        let responses = doc["paths"][&path][method]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} is documented"));
        let mut documented: Vec<&str> = responses
            .keys()
            .map(String::as_str)
            .filter(|c| c.starts_with('4') || c.starts_with('5'))
            .collect();
        documented.sort_unstable();
        assert_eq!(documented.join(" "), expected, "{method} {path}");
    }
    assert_eq!(
        doc["paths"][format!("{version}/tier")]["get"]["responses"]["200"]["content"]["application/json"]
            ["schema"]["$ref"],
        "#/components/schemas/TierView"
    );
}
