//! OAuth2 authorization-code connections over HTTP, against the loopback provider
//! ([`super::oauth_provider`]): authorize → callback → connected, deliveries with the bearer
//! token, a target's 401 forcing one refresh (rotated refresh token), a revoked grant → `error`,
//! `access_denied`, bad and used states, another customer's instance, disconnecting.

use super::common::{HOST_ORIGIN, TestServer};
use super::oauth_provider::{self, CLIENT_ID, CLIENT_SECRET, Provider};
use crate::on_both_backends;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

on_both_backends!(
    connect_deliver_refresh_and_revoke,
    refused_and_replayed_authorizations,
    app_references_and_editing_rules,
);

/// A version whose `crm` connection the customer authorises with the vendor's app, and a flow
/// delivering to `api_url` with it.
fn crm_version(provider: &str) -> Value {
    json!({"version": "1.0.0",
        "config": {"pages": [{"title": "CRM", "elements": [
            {"key": "api_url", "label": "API", "type": "url", "required": true},
            {"key": "crm", "label": "CRM account", "type": "connection", "required": true,
             "connection": {"kind": "oauth2_authorization_code", "app": {
                "authorize_url": "crm_authorize_url", "token_url": "crm_token_url",
                "client_id": "crm_client_id", "client_secret": "crm_client_secret",
                "scopes": "crm_scopes", "auth_method": "post"}}},
            {"key": "crm_authorize_url", "label": "Authorize URL", "type": "url",
             "visibility": "organization", "default": format!("{provider}/authorize")},
            {"key": "crm_token_url", "label": "Token URL", "type": "url",
             "visibility": "organization", "default": format!("{provider}/token")},
            {"key": "crm_client_id", "label": "Client id", "type": "string",
             "visibility": "organization", "default": CLIENT_ID},
            {"key": "crm_client_secret", "label": "Client secret", "type": "secret",
             "visibility": "organization"},
            {"key": "crm_scopes", "label": "Scopes", "type": "string",
             "visibility": "organization", "default": "contacts.read contacts.write"}]}]},
        "flows": [{"name": "push", "trigger": "webhook",
                   "deliver": {"url": "api_url", "connection": "crm"}}]})
}

/// The provider, the listed integration, and acme's instance (its client secret set by the
/// vendor); returns (provider URL, provider, integration id, acme's token, instance).
async fn setup(server: &TestServer) -> (String, Arc<Provider>, String, String, Value) {
    let (base, provider) = oauth_provider::start().await;
    let listing = json!({"customer_deployable": true, "allow_multiple_instances": true});
    let integration = server
        .listed_integration("CRM", crm_version(&base), listing)
        .await;
    let token = server.token("acme", "ada", "admin");

    // Until the vendor sets the client secret, the listing cannot be activated (missing_default).
    let (status, problem) = server
        .embedded(
            &token,
            Method::POST,
            "/api/v1/embedded/instances",
            Some(json!({"integration_id": integration, "config": {"api_url": format!("{base}/api")}})),
        )
        .await;
    assert_ne!(status, StatusCode::CREATED, "{problem}");
    assert!(
        problem.to_string().contains("missing_default"),
        "the unset app variable is a deployability reason: {problem}"
    );

    let (status, customers) = server.admin_get("/api/v1/customers?external_id=acme").await;
    assert_eq!(status, StatusCode::OK, "{customers}");
    let customer = customers["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, body) = server
        .admin(
            Method::PUT,
            &format!("/api/v1/customers/{customer}/config/{integration}"),
            Some(json!({"values": {"crm_client_secret": CLIENT_SECRET}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let instance = server
        .activate(
            &token,
            &integration,
            json!({"api_url": format!("{base}/api")}),
        )
        .await;
    (base, provider, integration, token, instance)
}

/// `POST .../authorize` with the host's origin; the authorization URL.
async fn authorize(server: &TestServer, token: &str, instance_id: &str) -> String {
    let response = server
        .client
        .post(format!(
            "{}/api/v1/embedded/instances/{instance_id}/connections/crm/authorize",
            server.base
        ))
        .bearer_auth(token)
        .header("origin", HOST_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(body["expires_at"].is_string(), "{body}");
    body["authorize_url"].as_str().unwrap().to_owned()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Opens the authorization URL at the provider; the callback URL it redirects to.
async fn provider_redirect(authorize_url: &str) -> String {
    let response = no_redirects().get(authorize_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{authorize_url}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows the provider's redirect to the callback: the status, headers and the posted data
/// (`{origin, message}`) when it is a page.
async fn callback(url: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = no_redirects().get(url).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let text = response.text().await.unwrap();
    let data = text
        .split_once("id=\"outcome\">")
        .and_then(|(_, rest)| rest.split_once("</script>"))
        .map(|(json, _)| serde_json::from_str(json).unwrap())
        .unwrap_or(Value::Null);
    (status, headers, data)
}

async fn connection(server: &TestServer, token: &str, instance_id: &str) -> (Value, Value) {
    let (status, instance) = server
        .embedded_get(token, &format!("/api/v1/embedded/instances/{instance_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{instance}");
    (instance["connections"][0].clone(), instance)
}

/// Triggers the flow and waits for its execution.
async fn deliver(server: &TestServer, instance: &Value) -> Value {
    let url = instance["webhook_urls"][0]["url"].as_str().unwrap();
    let response = server
        .client
        .post(url)
        .json(&json!({"n": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let accepted: Value = response.json().await.unwrap();
    let id = accepted["execution_id"].as_str().unwrap().to_owned();
    for _ in 0..150 {
        let (_, list) = server.admin_get("/api/v1/executions?limit=200").await;
        if let Some(e) = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id.as_str())
            && e["finished_at"].is_string()
        {
            return e.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("execution {id} did not finish");
}

async fn connect_deliver_refresh_and_revoke(server: TestServer) {
    let (_, provider, _, token, instance) = setup(&server).await;
    let id = instance["id"].as_str().unwrap().to_owned();
    // A required connection that is not connected keeps the instance waiting.
    assert_eq!(instance["status"], "needs_configuration", "{instance}");
    assert_eq!(instance["connections"][0]["key"], "crm", "{instance}");
    assert_eq!(instance["connections"][0]["status"], "not_connected");

    let authorize_url = authorize(&server, &token, &id).await;
    let parsed = url::Url::parse(&authorize_url).unwrap();
    let query: std::collections::HashMap<String, String> =
        parsed.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(
        query["redirect_uri"],
        format!("{}/oauth2/callback", server.base)
    );
    assert_eq!(query["scope"], "contacts.read contacts.write");
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["state"].len(), 43, "256 bits, base64url");
    assert!(!authorize_url.contains(CLIENT_SECRET));

    let callback_url = provider_redirect(&authorize_url).await;
    let (status, headers, data) = callback(&callback_url).await;
    assert_eq!(status, StatusCode::OK, "{data}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(
        data["origin"], HOST_ORIGIN,
        "posted to the recorded origin only"
    );
    assert_eq!(
        data["message"],
        json!({"type": "CONNECTION_AUTHORIZED", "instance_id": id, "key": "crm", "status": "connected"})
    );
    // PKCE verifier and client authentication in the body (auth_method post).
    let form = provider.last_form.lock().unwrap().clone();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert!(form.contains_key("code_verifier"));

    let (crm, shown) = connection(&server, &token, &id).await;
    assert_eq!(crm["status"], "connected", "{shown}");
    assert_eq!(crm["scopes"], json!(["contacts.read", "contacts.write"]));
    assert!(crm["expires_at"].is_string() && crm["connected_at"].is_string());
    assert_eq!(shown["status"], "active", "connected → active");
    assert!(
        !shown.to_string().contains("access-1"),
        "tokens never shown"
    );
    let events = server.event_types(&id).await;
    assert!(
        events.iter().any(|e| e == "connection.status_changed"),
        "{events:?}"
    );

    // The redirect cannot be replayed: 400 and no token request.
    let requests = provider.token_requests.load(Ordering::SeqCst);
    let (status, _, _) = callback(&callback_url).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(provider.token_requests.load(Ordering::SeqCst), requests);

    // A delivery carries the bearer token (the protected endpoint answers 401 otherwise).
    let execution = deliver(&server, &shown).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(
        execution["steps"][2]["input"]["headers"]["authorization"],
        "[redacted]"
    );
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 0);

    // The target refuses the token: one refresh (rotated refresh token) and a retry.
    provider.invalidate_access_token();
    let execution = deliver(&server, &shown).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(provider.refreshes.load(Ordering::SeqCst), 1);
    let form = provider.last_form.lock().unwrap().clone();
    assert_eq!(form["grant_type"], "refresh_token");
    assert_eq!(form["refresh_token"], "refresh-1");
    // The rotated refresh token was saved: the next refresh sends it.
    provider.invalidate_access_token();
    let execution = deliver(&server, &shown).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");
    assert_eq!(
        provider.last_form.lock().unwrap()["refresh_token"],
        "refresh-2"
    );

    // Revoked at the provider: the refresh is refused → `error` with its description.
    provider.revoked.store(true, Ordering::SeqCst);
    provider.invalidate_access_token();
    let execution = deliver(&server, &shown).await;
    assert_eq!(execution["status"], "failed", "{execution}");
    let (crm, shown) = connection(&server, &token, &id).await;
    assert_eq!(crm["status"], "error", "{shown}");
    assert_eq!(crm["error"], "the grant was revoked");
    assert_eq!(shown["status"], "needs_configuration");

    // Reconnect = authorize again.
    provider.revoked.store(false, Ordering::SeqCst);
    let callback_url = provider_redirect(&authorize(&server, &token, &id).await).await;
    let (status, _, data) = callback(&callback_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(data["message"]["status"], "connected");

    // Disconnect: 204, `not_connected`.
    let (status, _) = server
        .embedded(
            &token,
            Method::DELETE,
            &format!("/api/v1/embedded/instances/{id}/connections/crm"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (crm, shown) = connection(&server, &token, &id).await;
    assert_eq!(crm["status"], "not_connected", "{shown}");
    assert_eq!(shown["status"], "needs_configuration");
}

async fn refused_and_replayed_authorizations(server: TestServer) {
    let (_, provider, _, token, instance) = setup(&server).await;
    let id = instance["id"].as_str().unwrap().to_owned();

    // Unknown or missing state: 400, no token request.
    for query in ["state=nope&code=code-100", "code=code-100", ""] {
        let (status, _, _) = callback(&format!("{}/oauth2/callback?{query}", server.base)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
    }
    assert_eq!(provider.token_requests.load(Ordering::SeqCst), 0);

    // The customer says no: CONNECTION_FAILED, nothing stored.
    provider.deny.store(true, Ordering::SeqCst);
    let callback_url = provider_redirect(&authorize(&server, &token, &id).await).await;
    let (status, _, data) = callback(&callback_url).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        data["message"],
        json!({"type": "CONNECTION_FAILED", "instance_id": id, "key": "crm",
               "error": "access_denied", "error_description": "the user said no"})
    );
    assert_eq!(provider.token_requests.load(Ordering::SeqCst), 0);
    let (crm, _) = connection(&server, &token, &id).await;
    assert_eq!(crm["status"], "not_connected");

    // Connected, then a refused attempt leaves the tokens and status untouched.
    provider.deny.store(false, Ordering::SeqCst);
    let callback_url = provider_redirect(&authorize(&server, &token, &id).await).await;
    assert_eq!(callback(&callback_url).await.0, StatusCode::OK);
    provider.deny.store(true, Ordering::SeqCst);
    let callback_url = provider_redirect(&authorize(&server, &token, &id).await).await;
    let (_, _, data) = callback(&callback_url).await;
    assert_eq!(data["message"]["type"], "CONNECTION_FAILED");
    let (crm, shown) = connection(&server, &token, &id).await;
    assert_eq!(crm["status"], "connected");
    let execution = deliver(&server, &shown).await;
    assert_eq!(execution["status"], "succeeded", "{execution}");

    // Without an Origin header the page posts to the service's own origin.
    provider.deny.store(false, Ordering::SeqCst);
    let (status, body) = server
        .embedded(
            &token,
            Method::POST,
            &format!("/api/v1/embedded/instances/{id}/connections/crm/authorize"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let callback_url = provider_redirect(body["authorize_url"].as_str().unwrap()).await;
    let (_, _, data) = callback(&callback_url).await;
    assert_eq!(data["origin"], server.base);

    // Another customer's instance, an unknown connection: 404. A viewer: 403.
    let other = server.token("initech", "ivy", "admin");
    let path = format!("/api/v1/embedded/instances/{id}/connections/crm/authorize");
    assert_eq!(
        server.embedded(&other, Method::POST, &path, None).await.0,
        StatusCode::NOT_FOUND
    );
    let viewer = server.token("acme", "vic", "viewer");
    assert_eq!(
        server.embedded(&viewer, Method::POST, &path, None).await.0,
        StatusCode::FORBIDDEN
    );
    let unknown = format!("/api/v1/embedded/instances/{id}/connections/api_url/authorize");
    assert_eq!(
        server
            .embedded(&token, Method::POST, &unknown, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let delete = format!("/api/v1/embedded/instances/{id}/connections/crm");
    assert_eq!(
        server
            .embedded(&other, Method::DELETE, &delete, None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    // The admin twin.
    let (status, body) = server
        .admin(
            Method::POST,
            &format!("/api/v1/instances/{id}/connections/crm/authorize"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server
        .admin(
            Method::DELETE,
            &format!("/api/v1/instances/{id}/connections/crm"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn app_references_and_editing_rules(server: TestServer) {
    let (base, _, _, token, instance) = setup(&server).await;
    let id = instance["id"].as_str().unwrap();

    // The customer cannot write the connection's value.
    let (status, problem) = server
        .embedded(
            &token,
            Method::PATCH,
            &format!("/api/v1/embedded/instances/{id}"),
            Some(json!({"config": {"api_url": format!("{base}/api"),
                "crm": {"authorize_url": "https://evil.example", "token_url": "https://evil.example",
                        "client_id": "x", "client_secret": "y"}}})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("not_editable"), "{problem}");
    // Reconfiguring does not make it active while the connection is not connected.
    let (status, shown) = server
        .embedded(
            &token,
            Method::PATCH,
            &format!("/api/v1/embedded/instances/{id}"),
            Some(json!({"config": {"api_url": format!("{base}/api/v2")}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{shown}");
    assert_eq!(shown["status"], "needs_configuration");
    // The customer's view of the spec shows no app variable.
    assert!(!instance["config"].to_string().contains("crm_client_secret"));

    // Each app field must name an organization variable of the right type.
    let mut version = crm_version(&base);
    version["config"]["pages"][0]["elements"][1]["connection"]["app"]["client_secret"] =
        json!("crm_client_id");
    version["config"]["pages"][0]["elements"][1]["connection"]["app"]["token_url"] =
        json!("api_url");
    let (status, integration) = server
        .admin(
            Method::POST,
            "/api/v1/integrations",
            Some(json!({"name": "Bad CRM"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{integration}");
    let (status, problem) = server
        .admin(
            Method::POST,
            &format!(
                "/api/v1/integrations/{}/versions",
                integration["id"].as_str().unwrap()
            ),
            Some(version),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let mut paths: Vec<(String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    paths.sort();
    let at = "/config/pages/0/elements/1/connection/app";
    assert_eq!(
        paths,
        vec![
            (
                format!("{at}/client_secret"),
                "invalid_reference".to_owned()
            ),
            (format!("{at}/token_url"), "invalid_reference".to_owned()),
        ]
    );
}
