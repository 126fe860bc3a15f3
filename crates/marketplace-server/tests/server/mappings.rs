//! Mapping collections over HTTP: record types, a version's collections (their refusals,
//! validation paths, tests, previews with formulas and limits), publication freezing record
//! types, an instance's overrides (vendor and customer), a flow mapping with a collection run
//! through its webhook, and what an upgrade keeps of the overrides.

use super::common::{TestServer, first_error, items};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

on_both_backends!(
    record_types_and_collections,
    instance_overrides_flows_and_upgrades,
);

/// The `contact` record type: an email is required, the country is one of three.
fn contact_schema() -> Value {
    json!({"type": "object", "required": ["email"], "properties": {
        "email": {"type": "string"}, "name": {"type": "string"}, "source": {"type": "string"},
        "country": {"type": "string", "enum": ["Germany", "France", "Other"]}}})
}

/// The `contacts` collection: a shop's customer into a `contact`, with a passing and a failing
/// test.
fn contacts() -> Value {
    json!({"name": "contacts", "record_type": "contact", "direction": "to",
        "foreign_schema": {"type": "object", "properties": {"Email": {"type": "string"},
            "first": {"type": "string"}, "last": {"type": "string"}, "cc": {"type": "string"}}},
        "notes": "A shop customer as a contact.",
        "mappings": [
            {"kind": "field", "to": "/email", "from": "/Email", "overridable": true},
            {"kind": "formula", "to": "/name", "formula": ".first + \" \" + .last"},
            {"kind": "translation", "to": "/country", "from": "/cc",
             "table": {"DE": "Germany", "FR": "France"}, "default": "Other", "overridable": true},
            {"kind": "static", "to": "/source", "value": "shop"}],
        "tests": [
            {"name": "german", "input": {"Email": "ada@example.com", "first": "Ada", "last": "L", "cc": "DE"},
             "expected": {"email": "ada@example.com", "name": "Ada L", "country": "Germany", "source": "shop"}},
            {"name": "wrong", "input": {"Email": "bob@example.com", "first": "Bob", "last": "M", "cc": "FR"},
             "expected": {"email": "bob@example.com"}}]})
}

/// A version with the `contacts` collection and a webhook flow mapping with it.
fn contacts_version(number: &str) -> Value {
    json!({"version": number,
        "config": {"pages": [{"title": "Target", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url", "required": true},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "api_key"}, "required": true}]}]},
        "flows": [{"name": "contacts", "trigger": "webhook", "map": {"collection": "contacts"},
                   "deliver": {"url": "endpoint", "connection": "auth"}}],
        "collections": [contacts()]})
}

async fn put_contact_type(server: &TestServer) {
    let (status, body) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/contact",
            Some(json!({"description": "A person", "schema": contact_schema()})),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
}

async fn new_integration(server: &TestServer) -> String {
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Contacts"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    integration["id"].as_str().unwrap().to_owned()
}

/// The `(path, code)` of every field error of a problem or a validation answer.
fn errors(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(path: &str, code: &str) -> (String, String) {
    (path.to_owned(), code.to_owned())
}

async fn record_types_and_collections(server: TestServer) {
    // Record types: create 201, replace 200, refusals with their paths.
    let body = json!({"description": "A person", "schema": contact_schema()});
    let (status, created) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/contact",
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["schema"], contact_schema());
    let (status, _) = server
        .admin(Method::PUT, "/api/v1/record-types/contact", Some(body))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, problem) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/contact",
            Some(json!({"schema": {"type": "object", "pattern": "^x"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/schema/pattern"), Some("unknown_key"))
    );
    let (status, problem) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/Contact",
            Some(json!({"schema": {"type": "object"}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(first_error(&problem), (Some("/name"), Some("invalid_key")));
    let (status, list) = server.admin_get("/api/v1/record-types").await;
    assert_eq!(items(status, &list).len(), 1);
    let (status, _) = server.admin_get("/api/v1/record-types/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A version document with collections: its refusals, with paths into the document.
    let id = new_integration(&server).await;
    let versions = format!("/api/v1/integrations/{id}/versions");
    let mut unknown_collection = contacts_version("1.0.0");
    unknown_collection["collections"] = json!([]);
    let (status, problem) = server
        .admin(Method::POST, &versions, Some(unknown_collection))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        errors(&problem),
        [pair("/flows/0/map/collection", "invalid_reference")]
    );
    let mut bad_target = contacts_version("1.0.0");
    bad_target["collections"][0]["mappings"][0]["to"] = json!("/nowhere");
    let (status, problem) = server
        .admin(Method::POST, &versions, Some(bad_target))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        errors(&problem).contains(&pair("/collections/0/mappings/0/to", "unknown_field")),
        "{problem}"
    );
    let (status, version) = server
        .admin(Method::POST, &versions, Some(contacts_version("1.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{version}");
    assert_eq!(
        version["collections"][0]["mappings"][2]["kind"],
        "translation"
    );
    assert_eq!(
        version["flows"][0]["map"],
        json!({"collection": "contacts"})
    );

    // Collections: read with their tests run, replaced, validated, deleted.
    let collections = format!("{versions}/1.0.0/collections");
    let (status, list) = server.admin_get(&collections).await;
    let list = items(status, &list);
    let passed: Vec<(&str, bool)> = list[0]["tests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(passed, [("german", true), ("wrong", false)]);
    let (status, one) = server.admin_get(&format!("{collections}/contacts")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["notes"], "A shop customer as a contact.");
    let (status, _) = server.admin_get(&format!("{collections}/nothing")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let mut extra = contacts();
    extra.as_object_mut().unwrap().remove("name");
    extra["tests"] = json!([]);
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("{collections}/extra"),
            Some(extra.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["name"], "extra");
    let (status, _) = server
        .admin(
            Method::PUT,
            &format!("{collections}/extra"),
            Some(extra.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut bad = extra.clone();
    bad["mappings"][2]["table"]["DE"] = json!("Deutschland");
    let mut bad_named = bad.clone();
    bad_named["name"] = json!("extra");
    let (status, problem) = server
        .admin(
            Method::PUT,
            &format!("{collections}/extra"),
            Some(bad.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&problem), [pair("/mappings/2/table/DE", "option")]);
    let (status, answer) = server
        .admin(
            Method::POST,
            &format!("{collections}/validate"),
            Some(json!({"collection": bad_named})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["valid"], false);
    assert_eq!(
        errors(&answer),
        [pair("/collection/mappings/2/table/DE", "option")]
    );
    let mut forbidden = contacts();
    forbidden["mappings"][1]["formula"] = json!("[range(100000)]");
    let (status, answer) = server
        .admin(
            Method::POST,
            &format!("{collections}/validate"),
            Some(json!({"collection": forbidden})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        errors(&answer),
        [pair("/collection/mappings/1/formula", "formula_forbidden")]
    );
    let (status, answer) = server
        .admin(
            Method::POST,
            &format!("{collections}/validate"),
            Some(json!({"collection": contacts()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"valid": true, "errors": []}));
    let (status, _) = server
        .admin(Method::DELETE, &format!("{collections}/extra"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .admin(Method::DELETE, &format!("{collections}/extra"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, problem) = server
        .admin(Method::DELETE, &format!("{collections}/contacts"), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "collection_in_use");

    // Previews: a formula, an override, a formula over its input limit, a target check.
    let preview = format!("{collections}/contacts/preview");
    let input = json!({"Email": "ada@example.com", "first": "Ada", "last": "L", "cc": "ES"});
    let (status, answer) = server
        .admin(Method::POST, &preview, Some(json!({"input": input})))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        answer,
        json!({"output": {"email": "ada@example.com", "name": "Ada L", "country": "Other",
            "source": "shop"}, "errors": []})
    );
    let (status, answer) = server
        .admin(
            Method::POST,
            &preview,
            Some(json!({"input": input, "overrides": [
                {"kind": "formula", "to": "/name", "formula": ".first"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["output"]["name"], "Ada");
    let (status, problem) = server
        .admin(
            Method::POST,
            &preview,
            Some(json!({"input": input, "overrides": [{"kind": "formula", "to": "/name"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/overrides/0"), Some("invalid"))
    );
    let big = json!({"Email": "x@example.com", "first": "x".repeat(300 * 1024), "last": "y"});
    let (status, answer) = server
        .admin(Method::POST, &preview, Some(json!({"input": big})))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(errors(&answer), [pair("/mappings/1", "formula_limit")]);
    let (status, answer) = server
        .admin(Method::POST, &preview, Some(json!({"input": {"cc": "DE"}})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        errors(&answer)
            .iter()
            .any(|(path, _)| path.starts_with("/output")),
        "the output misses the required email: {answer}"
    );

    // A record type in use stays; an unused one goes, with its event.
    let (status, problem) = server
        .admin(Method::DELETE, "/api/v1/record-types/contact", None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "record_type_in_use");
    let (status, _) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/unused",
            Some(json!({"schema": {"type": "object"}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = server
        .admin(Method::DELETE, "/api/v1/record-types/unused", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for (kind, count) in [("record_type.updated", 3), ("record_type.deleted", 1)] {
        let (status, events) = server
            .admin_get(&format!("/api/v1/events?type={kind}"))
            .await;
        assert_eq!(items(status, &events).len(), count, "{kind}: {events}");
    }

    // Publishing freezes the record type: a later change of it does not reach the version.
    let (status, published) = server
        .admin(Method::POST, &format!("{versions}/1.0.0/publish"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["record_types"][0]["name"], "contact");
    let mut stricter = contact_schema();
    stricter["required"] = json!(["email", "phone"]);
    stricter["properties"]["phone"] = json!({"type": "string"});
    let (status, _) = server
        .admin(
            Method::PUT,
            "/api/v1/record-types/contact",
            Some(json!({"schema": stricter})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, one) = server.admin_get(&format!("{collections}/contacts")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(one["tests"][0]["passed"], true, "{one}");
    for method in [Method::PUT, Method::DELETE] {
        let body = (method == Method::PUT).then(contacts);
        let (status, problem) = server
            .admin(method, &format!("{collections}/contacts"), body)
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(problem["code"], "version_published");
    }
}

/// A receiver on loopback that keeps every JSON body it gets; its `/in` URL and the bodies.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(move |axum::Json(body): axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(body);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

/// Posts to a webhook URL and waits for the execution's end.
async fn run_webhook(server: &TestServer, url: &str, input: Value) -> Value {
    let response = server.client.post(url).json(&input).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["execution_id"].as_str().unwrap();
    for _ in 0..150 {
        let (status, list) = server.admin_get("/api/v1/executions?limit=200").await;
        if let Some(execution) = items(status, &list)
            .into_iter()
            .find(|e| e["id"] == id && e["finished_at"].is_string())
        {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("execution {id} did not finish");
}

async fn instance_overrides_flows_and_upgrades(server: TestServer) {
    put_contact_type(&server).await;
    let listing = json!({"customer_deployable": true, "allow_multiple_instances": false});
    let id = server
        .listed_integration("Contacts", contacts_version("1.0.0"), listing)
        .await;
    let (endpoint, seen) = receiver().await;
    let token = server.token("acme", "ada", "admin");
    let instance = server
        .activate(
            &token,
            &id,
            json!({"endpoint": endpoint, "auth": {"api_key": "key-1"}}),
        )
        .await;
    let instance_id = instance["id"].as_str().unwrap().to_owned();
    // The view names the collections its flows apply: what the customer may see and override.
    assert_eq!(instance["collections"], json!(["contacts"]), "{instance}");
    let admin_path = format!("/api/v1/instances/{instance_id}/mappings/contacts");
    let embedded_path = format!("/api/v1/embedded/instances/{instance_id}/mappings/contacts");

    // Reads: the admin and the customer see the same; others see nothing.
    let (status, mappings) = server.admin_get(&admin_path).await;
    assert_eq!(status, StatusCode::OK, "{mappings}");
    assert_eq!(mappings["collection"], "contacts");
    assert_eq!(mappings["overrides"], json!([]));
    assert_eq!(mappings["effective"], contacts()["mappings"]);
    let (status, same) = server.embedded_get(&token, &embedded_path).await;
    assert_eq!((status, &same), (StatusCode::OK, &mappings));
    let other = server.token("globex", "gus", "admin");
    let (status, _) = server.embedded_get(&other, &embedded_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .embedded(
            &other,
            Method::POST,
            &format!("{embedded_path}/preview"),
            Some(json!({"input": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server
        .embedded_get(
            &token,
            &format!("/api/v1/embedded/instances/{instance_id}/mappings/nothing"),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Customer overrides: only overridable mappings, only with the right to reconfigure.
    let france = json!({"kind": "translation", "to": "/country", "from": "/cc",
        "table": {"DE": "France"}, "default": "Other", "overridable": true});
    let (status, problem) = server
        .embedded(
            &token,
            Method::PUT,
            &embedded_path,
            Some(json!({"overrides": [{"kind": "static", "to": "/source", "value": "crm"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/overrides/0/to"), Some("not_editable"))
    );
    let viewer = server.token("acme", "vic", "viewer");
    let (status, _) = server
        .embedded(
            &viewer,
            Method::PUT,
            &embedded_path,
            Some(json!({"overrides": [france]})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = server
        .embedded(
            &token,
            Method::PUT,
            &embedded_path,
            Some(json!({"overrides": [france]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["overrides"], json!([france]));
    assert_eq!(body["effective"][2], france);
    let input = json!({"Email": "ada@example.com", "first": "Ada", "last": "L", "cc": "DE"});
    let (status, answer) = server
        .embedded(
            &viewer,
            Method::POST,
            &format!("{embedded_path}/preview"),
            Some(json!({"input": input})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["output"]["country"], "France");
    assert_eq!(answer["errors"], json!([]));
    let (status, problem) = server
        .embedded(
            &token,
            Method::POST,
            &format!("{embedded_path}/preview"),
            Some(json!({"input": input, "overrides": [{"kind": "static", "to": "/source", "value": "x"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        first_error(&problem),
        (Some("/overrides/0/to"), Some("not_editable"))
    );
    let events = server.event_types(&instance_id).await;
    assert_eq!(
        events
            .iter()
            .filter(|t| *t == "instance.mappings_changed")
            .count(),
        1,
        "{events:?}"
    );
    let (status, changed) = server
        .admin_get(&format!(
            "/api/v1/events?type=instance.mappings_changed&instance_id={instance_id}"
        ))
        .await;
    let changed = items(status, &changed);
    assert_eq!(changed[0]["data"]["collection"], "contacts");
    assert!(
        !changed[0]["data"].to_string().contains("France"),
        "events name the collection, never values"
    );

    // The vendor may override any mapping.
    let crm = json!({"kind": "static", "to": "/source", "value": "crm"});
    let (status, body) = server
        .admin(
            Method::PUT,
            &admin_path,
            Some(json!({"overrides": [france, crm]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["effective"][3], crm);

    // The flow maps with the effective mappings, checked against the record type.
    let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
    let execution = run_webhook(&server, url, input.clone()).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(
        seen.lock().unwrap().last(),
        Some(
            &json!({"email": "ada@example.com", "name": "Ada L", "country": "France",
            "source": "crm"})
        )
    );
    let execution = run_webhook(&server, url, json!({"first": "No", "last": "Email"})).await;
    assert_eq!(execution["status"], "failed", "{execution}");
    let map = &execution["steps"][1];
    assert_eq!(
        (&map["step"], &map["status"]),
        (&json!("map"), &json!("failed"))
    );
    assert!(
        map["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"].as_str().unwrap().starts_with("/output")),
        "{map}"
    );
    assert_eq!(
        execution["steps"].as_array().unwrap().len(),
        2,
        "no delivery"
    );
    assert_eq!(seen.lock().unwrap().len(), 1);

    // An upgrade keeps the overrides still overridable and drops the others.
    let versions = format!("/api/v1/integrations/{id}/versions");
    let (status, body) = server
        .admin(Method::POST, &versions, Some(contacts_version("2.0.0")))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = server
        .admin(Method::POST, &format!("{versions}/2.0.0/publish"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, upgraded) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{instance_id}/upgrade"),
            Some(json!({"version": "2.0.0"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{upgraded}");
    assert_eq!(
        upgraded["report"]["mappings"],
        json!({"carried_over": ["contacts/country"], "dropped": ["contacts/source"]})
    );
    let (status, mappings) = server.admin_get(&admin_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mappings["overrides"], json!([france]));
}
