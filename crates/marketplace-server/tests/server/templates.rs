//! Reviewer API keys, workflow templates (submit, decide, delete), one-click activation and
//! enabled flows, over HTTP.

use super::common::{TestServer, first_error, items, key, orders_version};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both_backends!(
    reviewer_keys_read_and_decide_only,
    templates_refuse_drafts_and_bad_values,
    one_click_activates_an_approved_template,
    enabled_flows_choose_what_runs,
);

/// The orders version with a second webhook flow, `refunds`.
fn two_flows(number: &str) -> Value {
    let mut version = orders_version(number);
    let refunds = json!({"name": "refunds", "trigger": "webhook"});
    version["flows"].as_array_mut().unwrap().push(refunds);
    version
}

/// A template body for [`two_flows`]: every required customer value but the connection.
fn template_body(flows: &[&str]) -> Value {
    json!({"name": "EU shop", "description": "Orders to the EU endpoint",
        "config": {"endpoint": "http://127.0.0.1:9/in", "account_code": "ABC-1234", "region": "eu"},
        "flows": flows})
}

/// Lists the two-flow integration; returns its id.
async fn listed(server: &TestServer) -> String {
    let listing = json!({"customer_deployable": true, "allow_multiple_instances": true});
    server
        .listed_integration("Orders", two_flows("1.0.0"), listing)
        .await
}

fn templates_path(integration: &str, version: &str) -> String {
    format!("/api/v1/integrations/{integration}/versions/{version}/workflow-templates")
}

/// Submits a template with the admin key; returns it.
async fn submit(server: &TestServer, integration: &str, flows: &[&str]) -> Value {
    let (status, template) = server
        .admin(
            Method::POST,
            &templates_path(integration, "1.0.0"),
            Some(template_body(flows)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{template}");
    template
}

async fn decide(server: &TestServer, secret: &str, id: &str, body: Value) -> (StatusCode, Value) {
    let path = format!("/api/v1/workflow-templates/{id}/decision");
    server
        .call(Some(secret), Method::POST, &path, Some(body))
        .await
}

/// Approves a template with a fresh reviewer key.
async fn approve(server: &TestServer, id: &str) {
    let (_, reviewer) = key(server, "reviewer").await;
    let (status, body) = decide(server, &reviewer, id, json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The `data` of the organization's events of that type.
async fn events_of(server: &TestServer, event_type: &str) -> Vec<Value> {
    let (status, events) = server
        .admin_get(&format!("/api/v1/events?type={event_type}"))
        .await;
    items(status, &events)
        .into_iter()
        .map(|e| e["data"].clone())
        .collect()
}

async fn reviewer_keys_read_and_decide_only(server: TestServer) {
    let integration = listed(&server).await;
    let (reviewer_id, reviewer) = key(&server, "reviewer").await;
    let (status, keys) = server.admin_get("/api/v1/api-keys").await;
    let roles: Vec<Value> = items(status, &keys)
        .iter()
        .map(|k| k["role"].clone())
        .collect();
    assert_eq!(roles, [json!("admin"), json!("reviewer")]);

    // A reviewer reads like an admin, and writes nothing else than decisions.
    let (status, _) = server
        .call(Some(&reviewer), Method::GET, "/api/v1/integrations", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let writes = [
        (
            Method::POST,
            "/api/v1/integrations".to_owned(),
            json!({"name": "X"}),
        ),
        (
            Method::POST,
            templates_path(&integration, "1.0.0"),
            template_body(&["orders"]),
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            json!({"name": "mine"}),
        ),
    ];
    for (method, path, body) in writes {
        let (status, problem) = server
            .call(Some(&reviewer), method, &path, Some(body))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {problem}");
        assert_eq!(problem["code"], "forbidden_role", "{path}");
    }

    let template = submit(&server, &integration, &["orders"]).await;
    let id = template["id"].as_str().unwrap();
    assert!(id.starts_with("tpl_"), "{template}");
    assert_eq!(template["status"], "pending");
    assert_eq!(template["decision"], Value::Null);
    assert_eq!(template["submitted_by"]["kind"], "organization");
    let admin_key_id = template["submitted_by"]["id"].as_str().unwrap().to_owned();

    // Nobody decides what they submitted.
    let admin_key = server.admin_key.clone();
    let (status, problem) = decide(&server, &admin_key, id, json!({"decision": "approve"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "self_review");
    // A rejection says why.
    let (status, problem) = decide(&server, &reviewer, id, json!({"decision": "reject"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(first_error(&problem), (Some("/notes"), Some("required")));
    let (status, decided) = decide(
        &server,
        &reviewer,
        id,
        json!({"decision": "approve", "notes": "fine"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{decided}");
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decision"]["decision"], "approve");
    assert_eq!(decided["decision"]["decided_by"], reviewer_id.as_str());
    // Once.
    let (status, problem) = decide(
        &server,
        &reviewer,
        id,
        json!({"decision": "reject", "notes": "changed my mind"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "already_decided");
    // An admin key other than the submitter's decides too.
    let second = submit(&server, &integration, &["refunds"]).await;
    let (_, other_admin) = key(&server, "admin").await;
    let (status, rejected) = decide(
        &server,
        &other_admin,
        second["id"].as_str().unwrap(),
        json!({"decision": "reject", "notes": "too broad"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["decision"]["notes"], "too broad");

    let (status, list) = server
        .admin_get(&templates_path(&integration, "1.0.0"))
        .await;
    let statuses: Vec<Value> = items(status, &list)
        .iter()
        .map(|t| t["status"].clone())
        .collect();
    assert_eq!(statuses.len(), 2);
    let submitted = events_of(&server, "workflow_template.submitted").await;
    assert_eq!(submitted.len(), 2);
    let approved = events_of(&server, "workflow_template.approved").await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0]["template_id"], id);
    assert_eq!(approved[0]["decided_by"], reviewer_id.as_str());
    assert_eq!(
        events_of(&server, "workflow_template.rejected").await.len(),
        1
    );
    assert_ne!(admin_key_id, reviewer_id);
}

async fn templates_refuse_drafts_and_bad_values(server: TestServer) {
    let integration = listed(&server).await;
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/integrations/{integration}/versions"),
            Some(two_flows("2.0.0")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, problem) = server
        .admin(
            Method::POST,
            &templates_path(&integration, "2.0.0"),
            Some(template_body(&["orders"])),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "version_draft");
    let (status, _) = server
        .admin(
            Method::POST,
            &templates_path("int_nope", "1.0.0"),
            Some(template_body(&["orders"])),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // body change, expected (path, code)
    let table = [
        (
            json!({"config": {"endpoint": "http://127.0.0.1:9/in", "account_code": "ABC-1234", "api_token": "s3cret"}}),
            ("/config/api_token", "not_editable"),
        ),
        (
            json!({"config": {"endpoint": "http://127.0.0.1:9/in", "account_code": "ABC-1234", "auth": {"api_key": "k"}}}),
            ("/config/auth", "not_editable"),
        ),
        (
            json!({"config": {"endpoint": "http://127.0.0.1:9/in"}}),
            ("/config/account_code", "required"),
        ),
        (
            json!({"config": {"endpoint": "http://127.0.0.1:9/in", "account_code": "nope"}}),
            ("/config/account_code", "pattern"),
        ),
        (json!({"flows": []}), ("/flows", "empty")),
        (
            json!({"flows": ["orders", "nope"]}),
            ("/flows/1", "invalid_reference"),
        ),
        (
            json!({"overrides": {"contacts": []}}),
            ("/overrides/contacts", "invalid_reference"),
        ),
    ];
    for (change, (path, code)) in table {
        let mut body = template_body(&["orders"]);
        body.as_object_mut()
            .unwrap()
            .extend(change.as_object().unwrap().clone());
        let (status, problem) = server
            .admin(
                Method::POST,
                &templates_path(&integration, "1.0.0"),
                Some(body),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}: {problem}"
        );
        assert_eq!(problem["code"], "validation_failed");
        assert_eq!(
            first_error(&problem),
            (Some(path), Some(code)),
            "{change}: {problem}"
        );
    }

    let template = submit(&server, &integration, &["orders"]).await;
    let path = format!(
        "/api/v1/workflow-templates/{}",
        template["id"].as_str().unwrap()
    );
    let (status, got) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, template);
    let (status, _) = server.admin(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.admin_get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let deleted = events_of(&server, "workflow_template.deleted").await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["template_id"], template["id"]);
}

async fn one_click_activates_an_approved_template(server: TestServer) {
    let integration = listed(&server).await;
    let template = submit(&server, &integration, &["orders"]).await;
    let id = template["id"].as_str().unwrap();
    let pending = submit(&server, &integration, &["refunds"]).await;
    let token = server.token("acme", "u1", "admin");

    // Only approved templates show, with the connections a one-click asks.
    let detail_path = format!("/api/v1/embedded/marketplace/{integration}");
    let (status, detail) = server.embedded_get(&token, &detail_path).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["workflow_templates"], json!([]));
    approve(&server, id).await;
    let (_, detail) = server.embedded_get(&token, &detail_path).await;
    assert_eq!(
        detail["workflow_templates"],
        json!([{"id": id, "name": "EU shop", "description": "Orders to the EU endpoint",
            "flows": ["orders"], "connections": ["auth"]}])
    );

    let one_click = |template_id: &str, connections: Value| json!({"integration_id": integration, "template_id": template_id, "connections": connections});
    let auth = json!({"auth": {"api_key": "key-SECRET-0001"}});
    // Refusals: another key, a config, a template not approved, a connection missing.
    let mut other_key = auth.clone();
    other_key["region"] = json!("us");
    let mut with_config = one_click(id, auth.clone());
    with_config["config"] = json!({});
    let refusals = [
        (
            one_click(id, other_key),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("/connections/region", "not_editable")),
        ),
        (
            with_config,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("/config", "invalid")),
        ),
        (
            one_click(id, json!({})),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(("/connections/auth", "required")),
        ),
        (
            one_click(pending["id"].as_str().unwrap(), auth.clone()),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            one_click("tpl_nope", auth.clone()),
            StatusCode::NOT_FOUND,
            None,
        ),
    ];
    for (body, expected, error) in refusals {
        let (status, problem) = server
            .embedded(
                &token,
                Method::POST,
                "/api/v1/embedded/instances",
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, expected, "{body}: {problem}");
        if let Some((path, code)) = error {
            assert_eq!(
                first_error(&problem),
                (Some(path), Some(code)),
                "{body}: {problem}"
            );
        }
    }

    let (status, instance) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(one_click(id, auth)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{instance}");
    assert_eq!(instance["template_id"], id);
    assert_eq!(instance["enabled_flows"], json!(["orders"]));
    let flows: Vec<Value> = instance["webhook_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["flow"].clone())
        .collect();
    assert_eq!(flows, [json!("orders")]);
    // The config is the template's and the connection (masked).
    let (status, shown) = server
        .admin_get(&format!(
            "/api/v1/instances/{}",
            instance["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        shown["config"],
        json!({"endpoint": "http://127.0.0.1:9/in", "account_code": "ABC-1234", "region": "eu",
            "auth": {"api_key": {"set": true}}})
    );
    let activated = server.event_types(instance["id"].as_str().unwrap()).await;
    assert_eq!(activated, ["instance.activated"]);
}

async fn enabled_flows_choose_what_runs(server: TestServer) {
    let integration = listed(&server).await;
    let token = server.token("acme", "u1", "admin");
    let config = json!({"endpoint": "http://127.0.0.1:9/in", "auth": {"api_key": "k"},
        "account_code": "ABC-1234"});
    let instance = server.activate(&token, &integration, config).await;
    assert_eq!(instance["enabled_flows"], json!(["orders", "refunds"]));
    assert_eq!(instance["template_id"], Value::Null);
    let url_of = |instance: &Value, flow: &str| {
        instance["webhook_urls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["flow"] == flow)
            .map(|u| u["url"].as_str().unwrap().to_owned())
    };
    let orders_url = url_of(&instance, "orders").expect("an orders URL");
    let path = format!("/api/v1/instances/{}", instance["id"].as_str().unwrap());

    let (status, problem) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"enabled_flows": ["refunds", "nope"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        first_error(&problem),
        (Some("/enabled_flows/1"), Some("invalid_reference"))
    );
    let (status, patched) = server
        .admin(
            Method::PATCH,
            &path,
            Some(json!({"enabled_flows": ["refunds"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["enabled_flows"], json!(["refunds"]));
    assert_eq!(url_of(&patched, "orders"), None);
    let refunds_url = url_of(&patched, "refunds").expect("a refunds URL");
    let post = |url: String| {
        let client = server.client.clone();
        async move {
            client
                .post(url)
                .json(&json!({"order": {"id": 1}}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(post(orders_url.clone()).await, StatusCode::NOT_FOUND);
    assert_eq!(post(refunds_url).await, StatusCode::ACCEPTED);

    // The customer enables it again: the same URL works again.
    let embedded_path = format!(
        "/api/v1/embedded/instances/{}",
        instance["id"].as_str().unwrap()
    );
    let (status, patched) = server
        .embedded(
            &token,
            Method::PATCH,
            &embedded_path,
            Some(json!({"enabled_flows": ["orders", "refunds"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(url_of(&patched, "orders"), Some(orders_url.clone()));
    assert_eq!(post(orders_url).await, StatusCode::ACCEPTED);
    let types = server.event_types(instance["id"].as_str().unwrap()).await;
    assert_eq!(
        types,
        [
            "instance.activated",
            "instance.reconfigured",
            "instance.reconfigured"
        ]
    );
}
