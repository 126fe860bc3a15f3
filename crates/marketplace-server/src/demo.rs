//! The demo: a vendor organization with a realistic catalog, created once on the embedded
//! default (through the service's own API), with a demo signing key whose private half is kept
//! beside the database so the demo can sign tokens for its host pages.
//!
//! Its listings span the certification tiers (Salesforce one-click, Slack ready, HubSpot
//! compatible, the rest none): providers and applications, profiles, documentation, connection
//! tests run against a stand-in third party on a loopback port while the demo is created, and a
//! certification request approved by a reviewer key. A second marketplace, `partners-eu`, lists
//! some of them, and a tenant, `resellers`, sees only the ones assigned to it there.

use crate::StartError;
use crate::demo_provider;
use crate::service::state::AppState;
use crate::store::sqlite_path;
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use axum::body::Body;
use axum::http::{Method, Request};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use marketplace_core::attachment::IconKind;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use tower::ServiceExt;

/// What the demo needs to remember between runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Demo {
    /// The demo organization.
    pub organization_id: String,
    /// Its admin API key.
    pub api_key: String,
    /// The demo signing key's id.
    pub kid: String,
    /// The demo signing key (Ed25519, PKCS#8, base64).
    pub private_key_pkcs8: String,
}

impl Demo {
    /// Signs an embedded token for a demo customer user, valid for `seconds`.
    pub fn sign_token(
        &self,
        customer: &str,
        customer_name: &str,
        user: &str,
        role: &str,
        seconds: i64,
    ) -> String {
        let no_scope = serde_json::Map::new();
        self.sign_token_with(customer, customer_name, user, role, seconds, &no_scope)
    }

    /// [`sign_token`](Self::sign_token) with more claims (`marketplace`, `tenant`).
    pub fn sign_token_with(
        &self,
        customer: &str,
        customer_name: &str,
        user: &str,
        role: &str,
        seconds: i64,
        extra: &serde_json::Map<String, serde_json::Value>,
    ) -> String {
        let now = crate::store::now_ms() / 1000;
        let mut claims = json!({"sub": user, "customer": customer, "customer_name": customer_name, "organization": self.organization_id,
                            "role": role, "iat": now, "exp": now + seconds, "name": user});
        if let Some(map) = claims.as_object_mut() {
            map.extend(extra.clone());
        }
        let der = STANDARD.decode(&self.private_key_pkcs8).unwrap_or_default();
        let key = jsonwebtoken::EncodingKey::from_ed_der(&der);
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &key).unwrap_or_default()
    }
}

/// The demo's file: `explicit`, or on SQLite `<file>.demo.json` beside the database.
pub fn demo_file(
    database_url: &str,
    explicit: Option<&std::path::Path>,
) -> Result<std::path::PathBuf, StartError> {
    if let Some(file) = explicit {
        return Ok(file.to_path_buf());
    }
    let mut path = sqlite_path(database_url)
        .ok_or_else(|| {
            StartError::Config(
                "the demo on PostgreSQL needs --demo-file (MARKETPLACE_DEMO_FILE)".into(),
            )
        })?
        .into_os_string();
    path.push(".demo.json");
    Ok(path.into())
}

/// A SubjectPublicKeyInfo PEM of an Ed25519 public key.
fn ed25519_public_pem(public_key: &[u8]) -> String {
    let mut der = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    der.extend_from_slice(public_key);
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        STANDARD.encode(der)
    )
}

async fn call(
    state: &AppState,
    key: &str,
    method: Method,
    path: &str,
    body: Value,
) -> Result<Value, StartError> {
    let request = Request::builder()
        .method(method.clone())
        .uri(path)
        .header("authorization", format!("Bearer {key}"))
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .map_err(|e| StartError::Config(e.to_string()))?;
    let response = crate::app(state.clone())
        .oneshot(request)
        .await
        .map_err(|e| StartError::Config(e.to_string()))?;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .map_err(|e| StartError::Config(e.to_string()))?;
    let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(StartError::Config(format!(
            "demo setup: {method} {path} answered {status}: {value}"
        )));
    }
    Ok(value)
}

/// The origins of the demo host listening on `listen` (`127.0.0.1` is also `localhost`).
pub fn host_origins(listen: std::net::SocketAddr) -> Vec<String> {
    let mut origins = vec![format!("http://{listen}")];
    if listen.ip().is_loopback() {
        origins.push(format!("http://localhost:{}", listen.port()));
    }
    origins
}

/// Returns the demo organization, creating it and its catalog on first run; the demo host's
/// origins are added to its allowed origins when missing.
pub async fn ensure(
    state: &AppState,
    file: &std::path::Path,
    host_origins: &[String],
) -> Result<Demo, StartError> {
    let demo = ensure_organization(state, file).await?;
    let key = demo.api_key.clone();
    if let Some(host) = host_origins.first() {
        orbit_app(state, &key, host).await?;
    }
    let organization = call(
        state,
        &key,
        Method::GET,
        "/api/v1/organization",
        Value::Null,
    )
    .await?;
    let mut origins: Vec<String> = organization["allowed_origins"]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|o| o.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let missing: Vec<&String> = host_origins
        .iter()
        .filter(|o| !origins.contains(o))
        .collect();
    if !missing.is_empty() {
        origins.extend(missing.into_iter().cloned());
        call(
            state,
            &key,
            Method::PATCH,
            "/api/v1/organization",
            json!({"allowed_origins": origins}),
        )
        .await?;
    }
    Ok(demo)
}

/// Points Globex's "Orbit CRM" at the OAuth app of the demo host's provider
/// ([`demo_provider`]), on every start: the vendor's values of the app's organization variables.
async fn orbit_app(state: &AppState, key: &str, host: &str) -> Result<(), StartError> {
    let integrations = call(
        state,
        key,
        Method::GET,
        "/api/v1/integrations?limit=200",
        Value::Null,
    )
    .await?;
    let customers = call(
        state,
        key,
        Method::GET,
        "/api/v1/customers?external_id=globex",
        Value::Null,
    )
    .await?;
    let found = |list: &Value, field: &str, value: &str| {
        list["items"].as_array().and_then(|items| {
            items
                .iter()
                .find(|i| i[field] == value)
                .and_then(|i| i["id"].as_str())
                .map(str::to_owned)
        })
    };
    let (Some(orbit), Some(globex)) = (
        found(&integrations, "name", "Orbit CRM"),
        found(&customers, "external_id", "globex"),
    ) else {
        return Ok(());
    };
    call(
        state,
        key,
        Method::PUT,
        &format!("/api/v1/customers/{globex}/config/{orbit}"),
        json!({"values": {
            "orbit_authorize_url": format!("{host}/demo/oauth/authorize"),
            "orbit_token_url": format!("{host}/demo/oauth/token"),
            "orbit_api_url": format!("{host}/demo/oauth/api"),
            "orbit_client_secret": demo_provider::CLIENT_SECRET,
        }}),
    )
    .await?;
    Ok(())
}

/// The demo organization, created with its catalog on first run.
async fn ensure_organization(state: &AppState, file: &std::path::Path) -> Result<Demo, StartError> {
    if let Ok(text) = std::fs::read_to_string(file)
        && let Ok(demo) = serde_json::from_str::<Demo>(&text)
    {
        let exists = crate::service::organization::get(state, &demo.organization_id).await;
        if exists.is_ok() {
            return Ok(demo);
        }
    }
    let (organization_id, api_key) =
        crate::service::organization::create_organization(&state.store, "Demo Vendor (Acme Cloud)")
            .await?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|e| StartError::Config(format!("key generation: {e}")))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|e| StartError::Config(format!("key: {e}")))?;
    let demo = Demo {
        organization_id,
        api_key,
        kid: "demo-key-1".into(),
        private_key_pkcs8: STANDARD.encode(pkcs8.as_ref()),
    };
    let key = demo.api_key.clone();
    call(state, &key, Method::POST, "/api/v1/signing-keys",
        json!({"kid": demo.kid, "algorithm": "EdDSA", "public_key_pem": ed25519_public_pem(pair.public_key().as_ref())})).await?;
    call(
        state,
        &key,
        Method::PATCH,
        "/api/v1/organization",
        json!({"theme": {"theme": "light", "accent": "#4f46e5"}}),
    )
    .await?;
    // The common data model's `event`, used by Salesforce's collection (before its version).
    call(
        state,
        &key,
        Method::PUT,
        "/api/v1/record-types/event",
        event_record_type(),
    )
    .await?;
    let reviewer = call(
        state,
        &key,
        Method::POST,
        "/api/v1/api-keys",
        json!({"name": "Demo reviewer", "role": "reviewer"}),
    )
    .await?;
    let reviewer = reviewer["secret"].as_str().unwrap_or_default().to_owned();
    let applications = providers_and_applications(state, &key).await?;
    let mut ids = HashMap::new();
    for item in catalog()
        .into_iter()
        .map(with_mappings)
        .map(with_evidence)
        .map(with_price)
    {
        let integration = call(
            state,
            &key,
            Method::POST,
            "/api/v1/integrations",
            item["integration"].clone(),
        )
        .await?;
        let id = integration["id"].as_str().unwrap_or_default().to_owned();
        let name = item["integration"]["name"].as_str().unwrap_or_default();
        ids.insert(name.to_owned(), id.clone());
        let version = item["version"]["version"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        call(
            state,
            &key,
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions"),
            item["version"].clone(),
        )
        .await?;
        call(
            state,
            &key,
            Method::POST,
            &format!("/api/v1/integrations/{id}/versions/{version}/publish"),
            json!({}),
        )
        .await?;
        let mut listing = item["listing"].clone();
        listing["version"] = json!(version);
        call(
            state,
            &key,
            Method::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            listing,
        )
        .await?;
        let icon = demo_icon(name).into_bytes().into();
        crate::service::icons::put_icon(state, &demo.organization_id, &id, IconKind::Svg, icon)
            .await
            .map_err(|e| StartError::Config(format!("demo icon of {name}: {e}")))?;
        if let Some(template) = item.get("template") {
            approved_template(state, &key, &reviewer, &id, &version, template.clone()).await?;
        }
        if let Some(supported) = item.get("applications").and_then(Value::as_array) {
            let body: Vec<Value> = supported
                .iter()
                .map(|s| {
                    let name = s["application"].as_str().unwrap_or_default();
                    json!({"application_id": applications.get(name), "versions": s["versions"]})
                })
                .collect();
            call(
                state,
                &key,
                Method::PUT,
                &format!("/api/v1/integrations/{id}/versions/{version}/applications"),
                Value::Array(body),
            )
            .await?;
        }
    }
    call(state, &key, Method::POST, "/api/v1/customers",
        json!({"name": "Globex Corporation", "external_id": "globex", "labels": ["Enterprise", "EU"], "description": "Demo customer"})).await?;
    connection_tests(state, &key, &ids).await?;
    certify(state, &key, &reviewer, &ids, "Salesforce").await?;
    partners_marketplace(state, &key, &ids).await?;
    let text = serde_json::to_string_pretty(&demo).unwrap_or_default();
    write_private(file, &text)
        .map_err(|e| StartError::Config(format!("{}: {e}", file.display())))?;
    Ok(demo)
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

/// Prints where to go and how to call the API.
pub fn print_welcome(demo: &Demo, public_url: &str, host_url: &str) {
    let token = demo.sign_token(
        "globex",
        "Globex Corporation",
        "ada@globex.example",
        "admin",
        3600,
    );
    println!("\nDemo marketplace ready.\n");
    println!(
        "  Host app:       {host_url}   (the three ways of embedding: iframe, native JS, Rust)"
    );
    println!(
        "  Iframe page:    {public_url}/embed/{}/marketplace",
        demo.organization_id
    );
    println!(
        "  Portal:         {public_url}/portal/{}   (the customer portal: invited users sign in)",
        demo.organization_id
    );
    println!(
        "  Second marketplace: {host_url}/iframe-host/?customer=initech&marketplace=partners-eu&tenant=resellers   \
         (partners-eu, as a customer of the resellers tenant: Salesforce and Slack only)"
    );
    println!("  Service:        {public_url}");
    println!("  OpenAPI:        {public_url}/api/v1/openapi.json");
    println!("  Organization:   {}", demo.organization_id);
    println!("  Admin API key:  {}", demo.api_key);
    println!("\nTry it (a customer user's token, valid for one hour):\n");
    println!("  TOKEN={token}");
    println!(
        "  curl -s {public_url}/api/v1/embedded/marketplace -H \"Authorization: Bearer $TOKEN\""
    );
    println!(
        "  curl -s {public_url}/api/v1/customers -H \"Authorization: Bearer {}\"",
        demo.api_key
    );
    println!(
        "\nInvite a customer user to the portal (without --smtp-url the email is only logged; open \
         the answer's accept_url):\n"
    );
    println!(
        "  curl -s {public_url}/api/v1/customers/$CUSTOMER_ID/invitations -H \"Authorization: Bearer {}\" \
         -H 'content-type: application/json' -d '{{\"email\": \"ada@example.com\", \"role\": \"admin\"}}'\n",
        demo.api_key
    );
}

fn flow(deliver_url: &str, connection: Option<&str>) -> Value {
    let mut deliver = json!({"url": deliver_url, "method": "POST"});
    if let Some(c) = connection {
        deliver["connection"] = json!(c);
    }
    json!([{"name": "events", "trigger": "webhook",
             "map": [{"to": "/id", "from": "/id"}, {"to": "/source", "value": "acme-cloud"},
                     {"to": "/kind", "from": "/type", "table": {"order": "Order", "refund": "Refund"}, "default": "Other"}],
             "deliver": deliver},
            {"name": "manual_sync", "trigger": "manual", "deliver": deliver}])
}

/// The demo's record type: an event of the vendor's product, as its integrations exchange it.
fn event_record_type() -> Value {
    json!({"description": "An event of Acme Cloud (an order, a refund...)", "schema": {
        "type": "object",
        "properties": {
            "id": {"type": "string", "description": "The event's id"},
            "source": {"type": "string"},
            "kind": {"type": "string", "enum": ["Order", "Refund", "Other"]},
            "summary": {"type": "string", "description": "One line for people"}
        }
    }})
}

/// Salesforce's collection: incoming events into `event` records, with a formula the customer
/// may override (how the summary line reads), and its test.
fn salesforce_collection() -> Value {
    json!({"name": "salesforce_events", "record_type": "event", "direction": "to",
           "notes": "Acme Cloud events as Salesforce sees them.",
           "mappings": [
               {"kind": "field", "to": "/id", "from": "/id"},
               {"kind": "static", "to": "/source", "value": "acme-cloud"},
               {"kind": "translation", "to": "/kind", "from": "/type", "table": {"order": "Order", "refund": "Refund"}, "default": "Other"},
               {"kind": "formula", "to": "/summary", "formula": "(.type // \"event\") + \" \" + (.id // \"\" | tostring)",
                "overridable": true, "notes": "The summary line: edit it to your taste"}],
           "tests": [{"name": "an order", "input": {"id": "o_1", "type": "order"},
                      "expected": {"id": "o_1", "source": "acme-cloud", "kind": "Order", "summary": "order o_1"}}]})
}

/// Salesforce's version maps its events through a collection (a formula the customer may
/// override) and offers an approved workflow template: its `events` flow only, into Acme's EU
/// org; the customer gives only the connection.
fn with_mappings(mut item: Value) -> Value {
    if item["integration"]["name"] == "Salesforce" {
        item["version"]["collections"] = json!([salesforce_collection()]);
        item["version"]["flows"][0]["map"] = json!({"collection": "salesforce_events"});
        item["template"] = json!({"name": "Events to Acme's EU org",
            "description": "Every Acme Cloud event into the EU Salesforce org",
            "config": {"instance_url": "https://acme-eu.my.salesforce.com"}, "flows": ["events"]});
    }
    item
}

/// Submits a workflow template with the demo's admin key and approves it with the reviewer key
/// (nobody decides what they submitted), so the marketplace lists it.
async fn approved_template(
    state: &AppState,
    key: &str,
    reviewer: &str,
    integration_id: &str,
    version: &str,
    template: Value,
) -> Result<(), StartError> {
    let created = call(
        state,
        key,
        Method::POST,
        &format!("/api/v1/integrations/{integration_id}/versions/{version}/workflow-templates"),
        template,
    )
    .await?;
    let id = created["id"].as_str().unwrap_or_default();
    call(
        state,
        reviewer,
        Method::POST,
        &format!("/api/v1/workflow-templates/{id}/decision"),
        json!({"decision": "approve", "notes": "Demo template, checked"}),
    )
    .await?;
    Ok(())
}

/// The demo's providers and their applications (with released versions): Salesforce's and
/// Slack's profiles are complete (the `ready` checks pass), HubSpot's has no logo nor support
/// (its integration stops at `compatible`, and the tier report says what to add). Returns the
/// applications' ids by name.
async fn providers_and_applications(
    state: &AppState,
    key: &str,
) -> Result<HashMap<String, String>, StartError> {
    let providers = [
        (
            json!({"name": "Salesforce, Inc.", "url": "https://www.salesforce.com",
                   "logo_url": "https://icons.example.com/salesforce.svg",
                   "support": {"email": "support@salesforce.example", "url": "https://help.salesforce.com"}}),
            json!({"name": "Sales Cloud", "product_url": "https://www.salesforce.com/sales/",
                   "logo_url": "https://icons.example.com/sales-cloud.svg"}),
            [("Spring '25", "2025-02-10"), ("Summer '25", "2025-06-09")],
        ),
        (
            json!({"name": "Slack Technologies", "url": "https://slack.com",
                   "logo_url": "https://icons.example.com/slack.svg",
                   "support": {"email": "feedback@slack.example", "url": "https://slack.com/help"}}),
            json!({"name": "Slack", "product_url": "https://slack.com/features",
                   "logo_url": "https://icons.example.com/slack.svg"}),
            [("2024.12", "2024-12-02"), ("2025.06", "2025-06-02")],
        ),
        (
            json!({"name": "HubSpot, Inc.", "url": "https://www.hubspot.com"}),
            json!({"name": "Marketing Hub", "product_url": "https://www.hubspot.com/products/marketing"}),
            [("2025-01", "2025-01-15"), ("2025-07", "2025-07-15")],
        ),
    ];
    let mut ids = HashMap::new();
    for (provider, mut application, versions) in providers {
        let provider = call(state, key, Method::POST, "/api/v1/providers", provider).await?;
        application["provider_id"] = provider["id"].clone();
        let application = call(
            state,
            key,
            Method::POST,
            "/api/v1/applications",
            application,
        )
        .await?;
        let id = application["id"].as_str().unwrap_or_default().to_owned();
        for (name, released_on) in versions {
            call(
                state,
                key,
                Method::POST,
                &format!("/api/v1/applications/{id}/versions"),
                json!({"name": name, "released_on": released_on}),
            )
            .await?;
        }
        let name = application["name"].as_str().unwrap_or_default().to_owned();
        ids.insert(name, id);
    }
    Ok(ids)
}

/// The certification evidence of the demo's integrations that have some: the integration's
/// profile, the application versions its version supports, its documentation and the `manual`
/// flow that tests the connection.
fn with_evidence(mut item: Value) -> Value {
    let profile_of = |events: Value, hosting: Value, api: &str| json!({"event_services": events, "hosting": hosting, "api": {"kind": "openapi", "url": api}});
    let (profile, applications, documentation, connection_test) = match item["integration"]["name"]
        .as_str()
    {
        Some("Salesforce") => (
            profile_of(
                json!(["webhook", "event"]),
                json!(["multitenant_cloud"]),
                "https://developer.salesforce.com/openapi/sobjects.json",
            ),
            json!([{"application": "Sales Cloud", "versions": ["Spring '25", "Summer '25"]}]),
            "## Features\n\n- Accounts, contacts and opportunities kept in sync.\n- Acme Cloud events become Salesforce events (the `salesforce_events` collection).\n\n## Workflows\n\n1. Connect your org (a connected app).\n2. Pick the objects to sync and a schedule.\n3. Or switch on the *Events to Acme's EU org* setup in one click.",
            Some("manual_sync"),
        ),
        Some("Slack") => (
            profile_of(
                json!(["webhook"]),
                json!(["multitenant_cloud"]),
                "https://api.slack.com/specs/openapi/v2/slack_web.json",
            ),
            json!([{"application": "Slack", "versions": ["2024.12", "2025.06"]}]),
            "## Features\n\nA message per order or refund, in the channel of your choice.",
            Some("manual_sync"),
        ),
        Some("HubSpot") => (
            profile_of(
                json!(["webhook"]),
                json!(["multitenant_cloud"]),
                "https://api.hubspot.com/api-catalog-public/v1/apis",
            ),
            json!([{"application": "Marketing Hub", "versions": ["2025-07"]}]),
            "",
            None,
        ),
        _ => return item,
    };
    item["integration"]["profile"] = profile;
    item["applications"] = applications;
    item["version"]["documentation"] = json!(documentation);
    if let Some(flow) = connection_test {
        item["version"]["connection_test"] = json!(flow);
    }
    item
}

/// Runs the connection tests of Salesforce's and Slack's versions, as a vendor does: an instance
/// of each for the vendor's own test account, pointed at a stand-in for the third party that
/// answers on a loopback port while the demo is created; the instances are deactivated after.
async fn connection_tests(
    state: &AppState,
    key: &str,
    ids: &HashMap<String, String>,
) -> Result<(), StartError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let third_party = format!("http://{}", listener.local_addr()?);
    let stand_in = axum::Router::new()
        .route(
            "/token",
            axum::routing::post(|| async {
                axum::Json(json!({"access_token": "demo-access-token", "token_type": "bearer", "expires_in": 3600}))
            }),
        )
        .fallback(|| async { axum::Json(json!({"ok": true})) });
    let server = tokio::spawn(async move { axum::serve(listener, stand_in).await });
    let account = call(
        state,
        key,
        Method::POST,
        "/api/v1/customers",
        json!({"name": "Acme Cloud (connection tests)", "external_id": "acme-connection-tests",
               "description": "The vendor's own account for connection tests"}),
    )
    .await?;
    let account = account["id"].as_str().unwrap_or_default().to_owned();
    let configs = [
        (
            "Salesforce",
            json!({"instance_url": format!("{third_party}/services/data"), "auth": {
            "token_url": format!("{third_party}/token"), "client_id": "demo", "client_secret": "demo-secret"}}),
        ),
        (
            "Slack",
            json!({"webhook_url": format!("{third_party}/hooks/demo")}),
        ),
    ];
    let mut result = Ok(());
    for (name, config) in configs {
        let integration = ids.get(name).cloned().unwrap_or_default();
        result = connection_test(state, key, &account, &integration, config).await;
        if result.is_err() {
            break;
        }
    }
    server.abort();
    result
}

/// One connection test: an instance with `config`, the test run (it must pass), the instance
/// deactivated.
async fn connection_test(
    state: &AppState,
    key: &str,
    customer_id: &str,
    integration_id: &str,
    config: Value,
) -> Result<(), StartError> {
    let instance = call(
        state,
        key,
        Method::POST,
        &format!("/api/v1/customers/{customer_id}/instances"),
        json!({"integration_id": integration_id, "name": "Connection test", "config": config}),
    )
    .await?;
    let instance_id = instance["id"].as_str().unwrap_or_default().to_owned();
    let version = instance["version"].as_str().unwrap_or_default().to_owned();
    let run = call(
        state,
        key,
        Method::POST,
        &format!("/api/v1/integrations/{integration_id}/versions/{version}/connection-test"),
        json!({"instance_id": instance_id}),
    )
    .await?;
    if run["passed"] != json!(true) {
        return Err(StartError::Config(format!(
            "demo setup: the connection test of {integration_id} failed: {run}"
        )));
    }
    call(
        state,
        key,
        Method::DELETE,
        &format!("/api/v1/instances/{instance_id}"),
        Value::Null,
    )
    .await?;
    Ok(())
}

/// Files a certification request for the listed version of `name` with the admin key and
/// approves it with the reviewer key: the version reaches `certified` (and `one_click` with its
/// approved workflow template).
async fn certify(
    state: &AppState,
    key: &str,
    reviewer: &str,
    ids: &HashMap<String, String>,
    name: &str,
) -> Result<(), StartError> {
    let id = ids.get(name).cloned().unwrap_or_default();
    let request = call(
        state,
        key,
        Method::POST,
        &format!("/api/v1/integrations/{id}/versions/1.0.0/certification-requests"),
        json!({"notes": "Collections tested, documentation written, connection test passed."}),
    )
    .await?;
    let request = request["id"].as_str().unwrap_or_default();
    call(
        state,
        reviewer,
        Method::POST,
        &format!("/api/v1/certification-requests/{request}/decision"),
        json!({"decision": "approve", "notes": "Demo certification, checked"}),
    )
    .await?;
    Ok(())
}

/// The integrations the `partners-eu` marketplace lists, and those assigned to the `resellers`
/// tenant there.
const PARTNER_LISTINGS: [&str; 4] = ["Salesforce", "Slack", "HubSpot", "Shopify"];
/// The listings of `partners-eu` the `resellers` tenant sees.
const RESELLER_LISTINGS: [&str; 2] = ["Salesforce", "Slack"];

/// A second marketplace, `partners-eu` (at least `compatible` to activate: Shopify, without a
/// tier, is listed but not deployable there), and a tenant, `resellers`, whose customers see
/// only Salesforce and Slack in it.
async fn partners_marketplace(
    state: &AppState,
    key: &str,
    ids: &HashMap<String, String>,
) -> Result<(), StartError> {
    let marketplace = call(state, key, Method::POST, "/api/v1/marketplaces",
        json!({"key": "partners-eu", "name": "Partners (EU)", "description": "Acme Cloud's partner marketplace for Europe",
               "front_end_url": "https://partners.acme-cloud.example", "allowed_origins": [], "min_tier": "compatible"})).await?;
    let marketplace = marketplace["id"].as_str().unwrap_or_default().to_owned();
    for name in PARTNER_LISTINGS {
        let id = ids.get(name).cloned().unwrap_or_default();
        call(
            state,
            key,
            Method::PUT,
            &format!("/api/v1/marketplaces/{marketplace}/listings/{id}"),
            json!({"version": "1.0.0", "overview": format!("## {name}\n\nFor Acme Cloud's partners in Europe."),
                   "customer_deployable": true, "allow_multiple_instances": false}),
        )
        .await?;
    }
    let tenant = call(state, key, Method::POST, "/api/v1/tenants",
        json!({"key": "resellers", "name": "Resellers", "description": "Customers of Acme Cloud's resellers",
               "app_management": "tenant"})).await?;
    let tenant = tenant["id"].as_str().unwrap_or_default().to_owned();
    for name in RESELLER_LISTINGS {
        let id = ids.get(name).cloned().unwrap_or_default();
        call(
            state,
            key,
            Method::PUT,
            &format!("/api/v1/tenants/{tenant}/listings/{marketplace}/{id}"),
            Value::Null,
        )
        .await?;
    }
    Ok(())
}

/// A demo integration's icon: a rounded square in a colour of its name, with a light ring.
fn demo_icon(name: &str) -> String {
    const COLOURS: [&str; 8] = [
        "#0b5cab", "#e8590c", "#2b8a3e", "#862e9c", "#c92a2a", "#1098ad", "#5f3dc4", "#d6336c",
    ];
    let colour = COLOURS[name.bytes().map(usize::from).sum::<usize>() % COLOURS.len()];
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="48" height="48" viewBox="0 0 48 48"><rect width="48" height="48" rx="11" fill="{colour}"/><circle cx="24" cy="24" r="11" fill="none" stroke="#fff" stroke-width="5" stroke-opacity="0.9"/></svg>"##
    )
}

/// The demo's prices: a few paid listings, so the catalog shows prices and asks for reviews.
const PRICES: [(&str, &str, &str, &str); 3] = [
    ("Salesforce", "USD", "0", "29"),
    ("NetSuite", "USD", "199", "49"),
    ("SAP S/4HANA", "EUR", "499", "99.5"),
];

/// A catalog item with its listing's price, when the demo gives it one.
fn with_price(mut item: Value) -> Value {
    let name = item["integration"]["name"].as_str().unwrap_or_default();
    if let Some((_, currency, up_front, monthly)) = PRICES.iter().find(|(n, ..)| *n == name) {
        item["listing"]["pricing"] =
            json!({"currency": currency, "up_front": up_front, "monthly": monthly});
    }
    item
}

/// The demo catalog: nine integrations across six categories.
fn catalog() -> Vec<Value> {
    let entry = |name: &str,
                 description: &str,
                 category: &str,
                 labels: Value,
                 pages: Value,
                 flows: Value,
                 deployable: bool,
                 multiple: bool,
                 overview: &str| {
        json!({
            "integration": {"name": name, "description": description, "category": category, "labels": labels},
            "version": {"version": "1.0.0", "config": {"pages": pages}, "flows": flows},
            "listing": {"overview": overview, "customer_deployable": deployable, "allow_multiple_instances": multiple},
        })
    };
    vec![
        entry(
            "Salesforce",
            "Sync accounts, contacts and opportunities with Salesforce.",
            "CRM",
            json!(["popular", "sales"]),
            json!([
                {"title": "Connection", "tagline": "Connect your Salesforce org", "elements": [
                    {"header": "Salesforce API"},
                    {"key": "instance_url", "label": "Instance URL", "type": "url", "required": true, "description": "https://yourorg.my.salesforce.com"},
                    {"key": "auth", "label": "Connected app", "type": "connection", "connection": {"kind": "oauth2_client_credentials"}, "required": true}]},
                {"title": "Sync", "tagline": "What to sync, and when", "elements": [
                    {"key": "objects", "label": "Objects", "type": "picklist", "options": ["Account", "Contact", "Opportunity", "Lead"], "collection": "value_list", "default": ["Account", "Contact"]},
                    {"key": "schedule", "label": "Schedule", "type": "schedule", "default": {"cron": "*/15 * * * *", "timezone": "UTC"}},
                    {"key": "include_archived", "label": "Include archived records", "type": "boolean", "default": false},
                    {"key": "plan_tier", "label": "Plan tier", "type": "picklist", "options": ["standard", "premium"], "visibility": "organization", "default": "standard"}]}
            ]),
            flow("instance_url", Some("auth")),
            true,
            false,
            "## Salesforce\n\nKeep **accounts**, **contacts** and **opportunities** in sync, every 15 minutes or on your schedule.",
        ),
        entry(
            "HubSpot",
            "Push new contacts and deals to HubSpot.",
            "CRM",
            json!(["marketing", "sales"]),
            json!([
                {"title": "Credentials", "elements": [
                    {"key": "api_key", "label": "Private app token", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
                    {"key": "portal_id", "label": "Portal ID", "type": "string", "pattern": "^[0-9]{6,10}$", "required": true}]},
                {"title": "Mapping", "elements": [
                    {"key": "field_map", "label": "Field mapping", "type": "object_field_map", "fields": ["email", "first_name", "last_name", "company"]},
                    {"key": "lifecycle_stage", "label": "Lifecycle stage", "type": "picklist", "options": ["subscriber", "lead", "customer"], "default": "lead"}]}
            ]),
            json!([]),
            true,
            false,
            "## HubSpot\n\nEvery new signup becomes a HubSpot contact.",
        ),
        entry(
            "Slack",
            "Post notifications to Slack channels.",
            "Messaging",
            json!(["popular", "notifications"]),
            json!([
                {"title": "Channel", "elements": [
                    {"key": "webhook_url", "label": "Incoming webhook URL", "type": "url", "required": true},
                    {"key": "channel", "label": "Channel", "type": "string", "pattern": "^#[a-z0-9_-]+$", "default": "#general"},
                    {"key": "mention_here", "label": "Mention @here", "type": "boolean", "default": false},
                    {"key": "template", "label": "Message template", "type": "text", "max_length": 2000, "default": "New {{kind}}: {{id}}"}]}
            ]),
            flow("webhook_url", None),
            true,
            true,
            "## Slack\n\nGet a message for every order. Add one instance per channel.",
        ),
        entry(
            "NetSuite",
            "Export orders and invoices to NetSuite.",
            "ERP",
            json!(["finance", "enterprise"]),
            json!([
                {"title": "Connection", "elements": [
                    {"key": "endpoint", "label": "RESTlet URL", "type": "url", "required": true},
                    {"key": "auth", "label": "Integration user", "type": "connection", "connection": {"kind": "basic"}, "required": true}]},
                {"title": "Accounting", "elements": [
                    {"key": "account_code", "label": "Account code", "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "required": true},
                    {"key": "subsidiary", "label": "Subsidiary", "type": "integer", "min": 1, "max": 999, "default": 1},
                    {"key": "start_date", "label": "Export orders from", "type": "date"},
                    {"key": "tenant_token", "label": "Tenant token", "type": "secret", "visibility": "organization", "required": true}]}
            ]),
            flow("endpoint", Some("auth")),
            true,
            false,
            "## NetSuite\n\nYour account manager enables this integration for your tenant first.",
        ),
        entry(
            "Shopify",
            "Receive Shopify orders and refunds.",
            "E-commerce",
            json!(["orders"]),
            json!([
                {"title": "Store", "elements": [
                    {"key": "shop_url", "label": "Shop URL", "type": "url", "required": true},
                    {"key": "access_token", "label": "Admin API token", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
                    {"key": "currency", "label": "Currency", "type": "picklist", "options": ["EUR", "USD", "GBP"], "default": "EUR"},
                    {"key": "headers", "label": "Extra headers", "type": "string", "collection": "key_value_list"}]}
            ]),
            flow("shop_url", Some("access_token")),
            true,
            true,
            "## Shopify\n\nOne instance per store.",
        ),
        entry(
            "Zendesk",
            "Open Zendesk tickets from failed payments.",
            "Support",
            json!(["tickets"]),
            json!([
                {"title": "Account", "elements": [
                    {"key": "subdomain_url", "label": "Zendesk URL", "type": "url", "required": true},
                    {"key": "agent", "label": "Agent credentials", "type": "connection", "connection": {"kind": "basic"}, "required": true},
                    {"key": "requester_email", "label": "Requester email", "type": "email", "required": true}]},
                {"title": "Tickets", "elements": [
                    {"key": "priority", "label": "Priority", "type": "picklist", "options": ["low", "normal", "high", "urgent"], "default": "normal"},
                    {"key": "sla_hours", "label": "SLA (hours)", "type": "integer", "min": 1, "max": 168, "default": 24},
                    {"key": "custom_fields", "label": "Custom fields", "type": "json"}]}
            ]),
            flow("subdomain_url", Some("agent")),
            true,
            false,
            "## Zendesk\n\nA ticket for every failed payment.",
        ),
        entry(
            "SAP S/4HANA",
            "Enterprise ERP connector, set up by our team.",
            "ERP",
            json!(["enterprise"]),
            json!([
                {"title": "System", "elements": [
                    {"key": "host", "label": "Gateway URL", "type": "url", "required": true},
                    {"key": "client", "label": "Client", "type": "string", "pattern": "^[0-9]{3}$", "required": true},
                    {"key": "auth", "label": "Technical user", "type": "connection", "connection": {"kind": "basic"}, "required": true}]}
            ]),
            json!([]),
            false,
            false,
            "## SAP S/4HANA\n\nContact us: our team configures SAP for you.",
        ),
        entry(
            "Orbit CRM",
            "Send new customers to Orbit CRM: connect your account in one click.",
            "CRM",
            json!(["oauth", "sales"]),
            json!([
                {"title": "Account", "tagline": "Connect your Orbit CRM account", "elements": [
                    {"key": "orbit", "label": "Orbit CRM account", "type": "connection", "required": true,
                     "connection": {"kind": "oauth2_authorization_code", "app": {
                        "authorize_url": "orbit_authorize_url", "token_url": "orbit_token_url",
                        "client_id": "orbit_client_id", "client_secret": "orbit_client_secret",
                        "scopes": "orbit_scopes", "auth_method": "basic"}}},
                    {"key": "pipeline", "label": "Pipeline", "type": "picklist", "options": ["Sales", "Partners", "Renewals"], "default": "Sales"},
                    // The vendor's OAuth app at Orbit CRM (set per customer when the demo starts:
                    // the demo host's address may change between runs).
                    {"key": "orbit_authorize_url", "label": "Authorize URL", "type": "url", "visibility": "organization"},
                    {"key": "orbit_token_url", "label": "Token URL", "type": "url", "visibility": "organization"},
                    {"key": "orbit_api_url", "label": "API URL", "type": "url", "visibility": "organization"},
                    {"key": "orbit_client_id", "label": "Client id", "type": "string", "visibility": "organization", "default": demo_provider::CLIENT_ID},
                    {"key": "orbit_client_secret", "label": "Client secret", "type": "secret", "visibility": "organization"},
                    {"key": "orbit_scopes", "label": "Scopes", "type": "string", "visibility": "organization", "default": "contacts.read contacts.write"}]}
            ]),
            flow("orbit_api_url", Some("orbit")),
            true,
            false,
            "## Orbit CRM\n\nEvery new customer becomes an Orbit CRM contact. Click **Connect** and approve in the popup: there is nothing to copy.",
        ),
        entry(
            "Google Sheets",
            "Append rows to a spreadsheet.",
            "Productivity",
            json!(["reports", "free"]),
            json!([
                {"title": "Sheet", "elements": [
                    {"key": "sheet_url", "label": "Apps Script web app URL", "type": "url", "required": true},
                    {"key": "sheet_name", "label": "Sheet name", "type": "string", "min_length": 1, "max_length": 100, "default": "Orders"},
                    {"key": "since", "label": "Export since", "type": "timestamp"},
                    {"key": "notify", "label": "Notify", "type": "email", "collection": "value_list"}]}
            ]),
            flow("sheet_url", None),
            true,
            true,
            "## Google Sheets\n\nA row per order, in the sheet of your choice.",
        ),
    ]
}
