//! The SDK end to end against a real service on a loopback port (SQLite), with tokens signed
//! by `HostTokenSigner`.

use base64::Engine;
use marketplace_core::Role;
use marketplace_embedded::api::spec::VariableType;
use marketplace_embedded::transport::{BoxFuture, HttpRequest, HttpResponse, Method, Transport};
use marketplace_embedded::wire::{
    DeployabilityStatus, ExecutionTrigger, FieldErrorCode, InstanceStatus, MarketplaceQuery,
    PageQuery, ReasonCode,
};
use marketplace_embedded::{
    Error, HostClaims, HostTokenSigner, Marketplace, ReqwestTransport, Result, TokenSource,
};
use marketplace_server::config::StorageArgs;
use marketplace_server::{AppState, Settings};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const RS256_KEY: &str = include_str!("../../marketplace-server/tests/keys/rs256.key");
const RS256_PUB: &str = include_str!("../../marketplace-server/tests/keys/rs256.pub");
const OTHER_KEY: &str = include_str!("../../marketplace-server/tests/keys/other.key");

/// A running service with its organization and a listed integration.
struct Server {
    base: String,
    organization_id: String,
    admin_key: String,
    http: reqwest::Client,
    _dir: TempDir,
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl Server {
    async fn start() -> Server {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "marketplace-sdk-test-{}-{n}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let storage = StorageArgs {
            database_url: format!("sqlite://{}/test.db", dir.display()),
            master_key: Some(base64::engine::general_purpose::STANDARD.encode([7u8; 32])),
            previous_master_keys: Vec::new(),
        };
        let store = marketplace_server::open(&storage).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let settings = Settings {
            public_url: base.clone(),
            allow_private_targets: true,
            token_policy: marketplace_core::TokenPolicy::default(),
            delivery_attempts: 1,
            events: Default::default(),
            mail: Default::default(),
            metrics_token: None,
            limits: marketplace_server::service::state::Limits::NONE,
            shutdown_grace_s: 1,
            execution_lease_ms: 30_000,
            rescore_interval_s: 30,
        };
        let state = AppState::new(store, settings);
        let app = marketplace_server::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let (organization_id, admin_key) =
            marketplace_server::service::organization::create_organization(&state.store, "Vendor")
                .await
                .unwrap();
        let server = Server {
            base,
            organization_id,
            admin_key,
            http: reqwest::Client::new(),
            _dir: TempDir(dir),
        };
        server
            .admin(
                reqwest::Method::POST,
                "/api/v1/signing-keys",
                json!({"kid": "rs", "algorithm": "RS256", "public_key_pem": RS256_PUB}),
                201,
            )
            .await;
        server
    }

    async fn admin(&self, method: reqwest::Method, path: &str, body: Value, status: u16) -> Value {
        let response = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.admin_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        let got = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{path}: {body}");
        body
    }

    /// Creates, publishes and lists the orders integration; returns its id.
    async fn listed(&self, name: &str, allow_multiple_instances: bool) -> String {
        use reqwest::Method as M;
        let integration = self
            .admin(
                M::POST,
                "/api/v1/integrations",
                json!({"name": name, "category": "CRM", "labels": ["Sales"]}),
                201,
            )
            .await;
        let id = integration["id"].as_str().unwrap().to_owned();
        let version = orders_version();
        self.admin(
            M::POST,
            &format!("/api/v1/integrations/{id}/versions"),
            version,
            201,
        )
        .await;
        self.admin(
            M::POST,
            &format!("/api/v1/integrations/{id}/versions/1.0.0/publish"),
            Value::Null,
            200,
        )
        .await;
        self.admin(
            M::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            json!({"version": "1.0.0", "overview": "Sends orders", "customer_deployable": true,
                   "allow_multiple_instances": allow_multiple_instances}),
            200,
        )
        .await;
        id
    }

    fn claims(&self, customer: &str) -> HostClaims {
        let mut claims = HostClaims::new(&self.organization_id, "user-1", customer);
        claims.customer_name = Some(format!("Customer {customer}"));
        claims.role = Some(Role::Admin);
        claims
    }

    fn signer() -> HostTokenSigner {
        HostTokenSigner::from_pem("rs", "RS256", RS256_KEY).unwrap()
    }

    fn token(&self, customer: &str) -> String {
        Self::signer().sign(&self.claims(customer)).unwrap()
    }

    /// A client with a fixed signed token over a counting transport.
    fn client(&self, customer: &str) -> (Marketplace, Arc<Counting>) {
        let transport = Arc::new(Counting::default());
        let client = Marketplace::with_transport(
            self.base.clone(),
            TokenSource::Fixed(self.token(customer)),
            transport.clone(),
        );
        (client, transport)
    }
}

/// A transport counting requests (all, and writes) over reqwest.
#[derive(Default)]
struct Counting {
    inner: ReqwestTransport,
    all: AtomicUsize,
    writes: AtomicUsize,
}

impl Counting {
    fn writes(&self) -> usize {
        self.writes.load(Ordering::SeqCst)
    }

    fn reads(&self) -> usize {
        self.all.load(Ordering::SeqCst) - self.writes()
    }
}

impl Transport for Counting {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        self.all.fetch_add(1, Ordering::SeqCst);
        if request.method != Method::Get {
            self.writes.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.send(request)
    }
}

fn orders_version() -> Value {
    json!({"version": "1.0.0",
        "config": {"pages": [{"title": "Connection", "elements": [
            {"key": "endpoint", "label": "Endpoint URL", "type": "url", "required": true},
            {"key": "auth", "label": "API credentials", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"},
            {"key": "account_code", "label": "Account code", "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "required": true},
            {"key": "api_token", "label": "API token", "type": "secret"},
            {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded"},
            {"key": "tier", "label": "Tier", "type": "string", "visibility": "organization", "default": "standard"}]}]},
        "flows": [{"name": "orders", "trigger": "webhook",
                   "map": [{"to": "/order_id", "from": "/order/id"}],
                   "deliver": {"url": "endpoint", "connection": "auth", "method": "POST"}}]})
}

fn orders_config(endpoint: &str) -> Value {
    json!({"endpoint": endpoint, "auth": {"api_key": "key-SECRET-0001"},
           "account_code": "ABC-1234", "api_token": "tok-SECRET-0002"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_method_works_end_to_end() {
    let server = Server::start().await;
    let id = server.listed("Orders", false).await;
    server.listed("Invoices", true).await;
    let (client, _) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);

    let page = client.catalog(&MarketplaceQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_cursor, None);
    let filtered = client
        .catalog(&MarketplaceQuery {
            q: Some("ord ers".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(filtered.items.is_empty());
    let filtered = client
        .catalog(&MarketplaceQuery {
            q: Some("ORDERS".into()),
            limit: Some(1),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(filtered.items.len(), 1);
    assert_eq!(filtered.items[0].integration_id, id);
    assert!(filtered.items[0].deployability.is_deployable());

    let detail = client.integration(&id).await.unwrap();
    assert_eq!(detail.entry.version, "1.0.0");
    assert_eq!(detail.overview, "Sends orders");
    assert_eq!(detail.flows, vec!["orders".to_owned()]);
    let keys: Vec<&str> = detail.config.variables().map(|v| v.key.as_str()).collect();
    assert_eq!(
        keys,
        ["endpoint", "auth", "region", "account_code", "api_token"]
    );

    let verdict = client
        .validate(&id, &json!({"region": "mars"}))
        .await
        .unwrap();
    assert!(!verdict.valid);
    assert!(
        verdict
            .errors
            .iter()
            .any(|e| e.path == "/account_code" && e.code == FieldErrorCode::Required)
    );
    let verdict = client
        .validate(&id, &orders_config(&endpoint))
        .await
        .unwrap();
    assert!(verdict.valid, "{:?}", verdict.errors);

    let instance = client
        .activate(
            &id,
            Some("My orders"),
            &orders_config(&endpoint),
            Some("key-1"),
        )
        .await
        .unwrap();
    assert_eq!(instance.name, "My orders");
    assert_eq!(instance.status, InstanceStatus::Active);
    assert_eq!(instance.config["api_token"], json!({"set": true}));
    assert_eq!(instance.webhook_urls.len(), 1);
    let replay = client
        .activate(
            &id,
            Some("My orders"),
            &orders_config(&endpoint),
            Some("key-1"),
        )
        .await
        .unwrap();
    assert_eq!(replay.id, instance.id);

    let list = client.instances(&PageQuery::default()).await.unwrap();
    assert_eq!(list.items.len(), 1);
    assert_eq!(client.instance(&instance.id).await.unwrap().id, instance.id);

    // Secrets omitted keep their values; the masked config is accepted locally.
    let update = json!({"endpoint": endpoint, "account_code": "XYZ-9999", "region": "us",
                        "auth": {"api_key": {"set": true}}});
    let changed = client
        .reconfigure(&instance.id, Some("Renamed"), Some(&update))
        .await
        .unwrap();
    assert_eq!(changed.name, "Renamed");
    assert_eq!(changed.config["account_code"], "XYZ-9999");
    assert_eq!(changed.config["api_token"], json!({"set": true}));
    let renamed = client
        .reconfigure(&instance.id, Some("Again"), None)
        .await
        .unwrap();
    assert_eq!(renamed.name, "Again");
    assert_eq!(renamed.config["account_code"], "XYZ-9999");

    let paused = client.pause(&instance.id).await.unwrap();
    assert_eq!(paused.status, InstanceStatus::Paused);
    let resumed = client.resume(&instance.id).await.unwrap();
    assert_eq!(resumed.status, InstanceStatus::Active);

    let execution = client
        .test(&instance.id, Some("orders"), &json!({"order": {"id": 7}}))
        .await
        .unwrap();
    assert_eq!(execution.instance_id, instance.id);
    assert_eq!(execution.trigger, ExecutionTrigger::Test);
    let executions = client
        .executions(&instance.id, &PageQuery::default())
        .await
        .unwrap();
    assert!(executions.items.iter().any(|e| e.id == execution.id));
    let logs = client
        .logs(&instance.id, &PageQuery::default())
        .await
        .unwrap();
    assert!(!logs.items.is_empty());
    assert!(logs.items.iter().all(|l| l.instance_id == instance.id));
    // Paging: one entry at a time walks the same entries, in the same order.
    let mut paged = Vec::new();
    let mut page = PageQuery {
        limit: Some(1),
        cursor: None,
    };
    loop {
        let one = client.logs(&instance.id, &page).await.unwrap();
        assert!(one.items.len() <= 1);
        paged.extend(one.items.into_iter().map(|l| l.id));
        match one.next_cursor {
            Some(cursor) => page.cursor = Some(cursor),
            None => break,
        }
    }
    let all: Vec<String> = logs.items.iter().map(|l| l.id.clone()).collect();
    assert_eq!(paged, all);
    assert!(paged.len() > 1);

    let gone = client.deactivate(&instance.id).await.unwrap();
    assert_eq!(gone.status, InstanceStatus::Deactivated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_writes_fail_locally_without_a_request() {
    let server = Server::start().await;
    let id = server.listed("Orders", false).await;
    let (client, transport) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);

    let mut bad = orders_config(&endpoint);
    bad["account_code"] = json!("abc");
    bad["region"] = json!("mars");
    let error = client.activate(&id, None, &bad, None).await.unwrap_err();
    let Error::Validation(errors) = &error else {
        panic!("local validation: {error:?}");
    };
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    assert!(
        paths.contains(&"/account_code") && paths.contains(&"/region"),
        "{paths:?}"
    );
    assert_eq!(error.code(), "validation_failed");
    let error = client
        .activate(&id, None, &json!({"region": "eu"}), None)
        .await
        .unwrap_err();
    assert!(
        error
            .field_errors()
            .iter()
            .any(|e| e.path == "/endpoint" && e.code == FieldErrorCode::Required),
        "{error:?}"
    );
    assert_eq!(transport.writes(), 0, "nothing was written");
    assert!(
        client
            .instances(&PageQuery::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let instance = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    assert_eq!(transport.writes(), 1);
    let error = client
        .reconfigure(
            &instance.id,
            None,
            Some(&json!({"endpoint": "not a url", "account_code": "ABC-1234"})),
        )
        .await
        .unwrap_err();
    assert!(
        error.field_errors().iter().any(|e| e.path == "/endpoint"),
        "{error:?}"
    );
    let error = client
        .reconfigure(&instance.id, None, Some(&json!({"endpoint": endpoint})))
        .await
        .unwrap_err();
    assert!(
        error
            .field_errors()
            .iter()
            .any(|e| e.path == "/account_code" && e.code == FieldErrorCode::Required),
        "{error:?}"
    );
    assert_eq!(transport.writes(), 1, "no reconfiguration was sent");
    assert_eq!(
        client.instance(&instance.id).await.unwrap().config["account_code"],
        "ABC-1234"
    );
}

/// Once the client has seen the integration's detail and the instance, a valid activation and a
/// valid reconfiguration are checked locally and sent with no read before them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_specs_and_instances_are_checked_with_no_read() {
    let server = Server::start().await;
    let id = server.listed("Orders", true).await;
    let (client, transport) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);
    client.integration(&id).await.unwrap();
    let reads = transport.reads();
    let instance = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    assert_eq!(
        transport.reads(),
        reads,
        "the activation read nothing first"
    );
    let mut changed = orders_config(&endpoint);
    changed["account_code"] = json!("XYZ-9876");
    let reconfigured = client
        .reconfigure(&instance.id, Some("EU"), Some(&changed))
        .await
        .unwrap();
    assert_eq!(
        transport.reads(),
        reads,
        "the reconfiguration read nothing first"
    );
    assert_eq!(reconfigured.config["account_code"], "XYZ-9876");
    assert_eq!(transport.writes(), 2);
    // A bad value is still refused locally, from what the client has seen.
    let error = client
        .reconfigure(&instance.id, None, Some(&json!({"endpoint": "not a url"})))
        .await
        .unwrap_err();
    assert!(
        error.field_errors().iter().any(|e| e.path == "/endpoint"),
        "{error:?}"
    );
    assert_eq!(transport.writes(), 2, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_errors_map_to_problems() {
    let server = Server::start().await;
    let id = server.listed("Orders", false).await;
    let (client, _) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);

    let error = client.instance("ins_missing").await.unwrap_err();
    assert!(
        matches!(&error, Error::Problem { status: 404, code, .. } if code == "not_found"),
        "{error:?}"
    );
    let error = client.integration("int_missing").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    assert!(
        error.request_id().is_some_and(|id| !id.is_empty()),
        "a problem names its request: {error:?}"
    );

    let instance = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    let error = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap_err();
    let Error::Problem {
        status,
        code,
        reasons,
        ..
    } = &error
    else {
        panic!("a problem: {error:?}");
    };
    assert_eq!((*status, code.as_str()), (409, "not_deployable"));
    assert_eq!(reasons[0].code, ReasonCode::InstanceExists);

    let error = client
        .test(&instance.id, Some("no_such_flow"), &json!({}))
        .await
        .unwrap_err();
    let Error::Problem { status, errors, .. } = &error else {
        panic!("a problem: {error:?}");
    };
    assert_eq!(*status, 422);
    assert_eq!(errors[0].path, "/flow");
    assert_eq!(errors[0].code, FieldErrorCode::InvalidReference);

    // A viewer may read but not write.
    let mut claims = server.claims("acme");
    claims.role = Some(Role::Viewer);
    let viewer = Marketplace::new(
        server.base.clone(),
        TokenSource::Fixed(Server::signer().sign(&claims).unwrap()),
    );
    assert_eq!(
        viewer
            .instances(&PageQuery::default())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let error = viewer.pause(&instance.id).await.unwrap_err();
    assert_eq!(error.status(), Some(403));

    // A fixed token the service does not know: 401, no retry possible.
    let stranger = HostTokenSigner::from_pem("rs", "RS256", OTHER_KEY).unwrap();
    let bad = Marketplace::new(
        server.base.clone(),
        TokenSource::Fixed(stranger.sign(&server.claims("acme")).unwrap()),
    );
    let error = bad.instances(&PageQuery::default()).await.unwrap_err();
    assert_eq!(error.status(), Some(401), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callback_tokens_are_refreshed_before_they_expire() {
    let server = Server::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let claims = server.claims("acme");
    let source = {
        let calls = calls.clone();
        TokenSource::callback(move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let mut claims = claims.clone();
            // The first token is within the refresh margin (30 s) of its expiry already.
            claims.lifetime = Duration::from_secs(if n == 0 { 20 } else { 600 });
            async move { Server::signer().sign(&claims).map_err(|e| e.to_string()) }
        })
    };
    let client = Marketplace::new(server.base.clone(), source);
    client.instances(&PageQuery::default()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    client.instances(&PageQuery::default()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "refreshed before exp");
    client.instances(&PageQuery::default()).await.unwrap();
    client.catalog(&MarketplaceQuery::default()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2, "a fresh token is reused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_401_is_retried_once_with_a_fresh_token() {
    let server = Server::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let claims = server.claims("acme");
    let source = {
        let calls = calls.clone();
        TokenSource::callback(move || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            let claims = claims.clone();
            async move {
                // The first token is signed with a key the service does not know.
                let signer = if n == 0 {
                    HostTokenSigner::from_pem("rs", "RS256", OTHER_KEY).unwrap()
                } else {
                    Server::signer()
                };
                signer.sign(&claims).map_err(|e| e.to_string())
            }
        })
    };
    let transport = Arc::new(Counting::default());
    let client = Marketplace::with_transport(server.base.clone(), source, transport.clone());
    client.instances(&PageQuery::default()).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(transport.all.load(Ordering::SeqCst), 2);

    // A source that keeps failing is asked once more, then the 401 is returned.
    let failing = TokenSource::callback(|| async {
        HostTokenSigner::from_pem("rs", "RS256", OTHER_KEY)
            .unwrap()
            .sign(&HostClaims::new("org_x", "u", "c"))
            .map_err(|e| e.to_string())
    });
    let client = Marketplace::new(server.base.clone(), failing);
    let error = client.instances(&PageQuery::default()).await.unwrap_err();
    assert_eq!(error.status(), Some(401));

    // A source that cannot give a token is a token error.
    let broken = TokenSource::callback(|| async { Err("the host is down".to_owned()) });
    let client = Marketplace::new(server.base.clone(), broken);
    let error = client.instances(&PageQuery::default()).await.unwrap_err();
    assert_eq!(error, Error::Token("the host is down".into()));
}

impl Server {
    /// Links a published event configuration asking the vendor (at an address nobody answers:
    /// this server runs no delivery worker) to confirm each activation of `integration`.
    async fn confirmed_activations(&self, integration: &str) {
        use reqwest::Method as M;
        let working = json!({"url": format!("{}/vendor-hook", self.base),
            "event_types": ["instance.activated"], "activation": "confirm"});
        let created = self
            .admin(
                M::POST,
                "/api/v1/event-configurations",
                json!({"name": "Vendor", "working": working}),
                201,
            )
            .await;
        let id = created["id"].as_str().unwrap();
        self.admin(
            M::POST,
            &format!("/api/v1/event-configurations/{id}/publish"),
            Value::Null,
            200,
        )
        .await;
        self.admin(
            M::PUT,
            &format!("/api/v1/integrations/{integration}/event-configuration"),
            json!({"event_configuration_id": id}),
            200,
        )
        .await;
    }
}

/// A pending instance (the vendor has not confirmed it) allows only deactivation: the SDK
/// mirrors no state machine, so the service refuses the rest with `invalid_state`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_instance_only_deactivates() {
    let server = Server::start().await;
    let id = server.listed("Orders", false).await;
    server.confirmed_activations(&id).await;
    let (client, _) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);
    let instance = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    assert_eq!(instance.status, InstanceStatus::Pending);
    assert_eq!(instance.status_message, None);

    let error = client.pause(&instance.id).await.unwrap_err();
    assert_eq!(
        (error.status(), error.code()),
        (Some(409), "invalid_state"),
        "{error:?}"
    );
    let error = client.resume(&instance.id).await.unwrap_err();
    assert_eq!(error.code(), "invalid_state", "{error:?}");
    let update = json!({"endpoint": endpoint, "account_code": "XYZ-9999",
                        "auth": {"api_key": {"set": true}}});
    let error = client
        .reconfigure(&instance.id, None, Some(&update))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_state", "{error:?}");
    let read = client.instance(&instance.id).await.unwrap();
    assert_eq!(read.status, InstanceStatus::Pending);

    let gone = client.deactivate(&instance.id).await.unwrap();
    assert_eq!(gone.status, InstanceStatus::Deactivated);
}

/// Answers one canned response and keeps the request it got.
struct Recording {
    answer: Value,
    got: std::sync::Mutex<Vec<HttpRequest>>,
}

impl Transport for Recording {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        self.got.lock().unwrap().push(request);
        let body = serde_json::to_vec(&self.answer).unwrap();
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: Vec::new(),
                body,
            })
        })
    }
}

/// `launch_instance` posts to the instance's `launch` endpoint and gives the URL to open (the
/// service side of SSO is tested with the service).
#[tokio::test]
async fn launch_instance_posts_and_reads_the_url() {
    let transport = Arc::new(Recording {
        answer: json!({"url": "https://vendor.example/sso/start?ticket=t1"}),
        got: std::sync::Mutex::new(Vec::new()),
    });
    let client = Marketplace::with_transport(
        "http://service.invalid/",
        TokenSource::Fixed("t".into()),
        transport.clone(),
    );
    let launched = client.launch_instance("ins_1/x").await.unwrap();
    assert_eq!(launched.url, "https://vendor.example/sso/start?ticket=t1");
    let got = transport.got.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].method, Method::Post);
    assert_eq!(
        got[0].url,
        "http://service.invalid/api/v1/embedded/instances/ins_1%2Fx/launch"
    );
}

/// Answers every request with one canned response, as a newer service would.
struct Canned(Value);

impl Transport for Canned {
    fn send(&self, _: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        let body = serde_json::to_vec(&self.0).unwrap();
        Box::pin(async move {
            Ok(HttpResponse {
                status: 200,
                headers: Vec::new(),
                body,
            })
        })
    }
}

#[tokio::test]
async fn a_newer_service_is_read_and_only_local_checks_give_up() {
    let detail = json!({"integration_id": "int_1", "name": "Paint", "description": "",
        "category": "art", "labels": [], "icon_url": null, "version": "2.0.0", "activated": false,
        "instance_count": 0, "deployability": {"status": "ask_the_moon", "reasons": [
            {"code": "lunar_eclipse", "message": "wait"}]},
        "overview": "", "overview_html": "", "flows": [], "sparkles": true,
        "config": {"pages": [{"title": "P", "elements": [
            {"key": "colour", "label": "Colour", "type": "colour", "palette": "web"}]}]}});
    let client = Marketplace::with_transport(
        "http://newer.invalid",
        TokenSource::Fixed("t".into()),
        Arc::new(Canned(detail)),
    );
    let read = client.integration("int_1").await.unwrap();
    assert_eq!(
        read.entry.deployability.status,
        DeployabilityStatus::Other("ask_the_moon".into())
    );
    assert_eq!(
        read.config.variables().next().unwrap().variable_type,
        VariableType::Other("colour".into())
    );
    let error = client.check("int_1", &json!({})).await.unwrap_err();
    assert_eq!(error.code(), "decode", "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_activates_an_approved_template() {
    use reqwest::Method as M;
    let server = Server::start().await;
    let id = server.listed("Orders", true).await;
    let template = server
        .admin(
            M::POST,
            &format!("/api/v1/integrations/{id}/versions/1.0.0/workflow-templates"),
            json!({"name": "EU", "config": {"endpoint": format!("{}/healthz", server.base),
                "account_code": "ABC-1234"}, "flows": ["orders"]}),
            201,
        )
        .await;
    let template_id = template["id"].as_str().unwrap();
    let reviewer = server
        .admin(
            M::POST,
            "/api/v1/api-keys",
            json!({"name": "review", "role": "reviewer"}),
            201,
        )
        .await;
    let decided = server
        .http
        .post(format!(
            "{}/api/v1/workflow-templates/{template_id}/decision",
            server.base
        ))
        .bearer_auth(reviewer["secret"].as_str().unwrap())
        .json(&json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(decided.status().as_u16(), 200);
    let (client, _) = server.client("acme");

    let detail = client.integration(&id).await.unwrap();
    assert_eq!(detail.workflow_templates.len(), 1);
    let summary = &detail.workflow_templates[0];
    assert_eq!(summary.id, template_id);
    assert_eq!(summary.connections, ["auth"]);
    let connections = json!({"region": "us"}).as_object().cloned().unwrap();
    let refused = client
        .activate_template(&id, template_id, None, &connections, None)
        .await
        .unwrap_err();
    let Error::Problem { status, errors, .. } = &refused else {
        panic!("a problem: {refused:?}");
    };
    assert_eq!(*status, 422);
    assert_eq!(errors[0].path, "/connections/region");
    let connections = json!({"auth": {"api_key": "key-SECRET-0001"}})
        .as_object()
        .cloned()
        .unwrap();
    let instance = client
        .activate_template(
            &id,
            template_id,
            Some("EU orders"),
            &connections,
            Some("k-1"),
        )
        .await
        .unwrap();
    assert_eq!(instance.template_id.as_deref(), Some(template_id));
    assert_eq!(instance.enabled_flows, ["orders"]);
    assert_eq!(instance.name, "EU orders");
    let disabled = client.enable_flows(&instance.id, &[]).await.unwrap();
    assert!(disabled.enabled_flows.is_empty());
    assert!(disabled.webhook_urls.is_empty());
}

/// The mapping methods against the real service: read an instance's overrides of a collection,
/// replace them (a customer only overridable mappings: `not_editable`), preview with and without
/// overrides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_mappings_read_write_and_preview() {
    use marketplace_embedded::wire::{Mapping, MappingKind};
    use reqwest::Method as M;
    let server = Server::start().await;
    server
        .admin(
            M::PUT,
            "/api/v1/record-types/contact",
            json!({"schema": {"type": "object", "required": ["email"], "properties": {
                "email": {"type": "string"}, "source": {"type": "string"}}}}),
            201,
        )
        .await;
    let integration = server
        .admin(
            M::POST,
            "/api/v1/integrations",
            json!({"name": "Contacts"}),
            201,
        )
        .await;
    let id = integration["id"].as_str().unwrap().to_owned();
    let mut version = orders_version();
    version["flows"][0]["map"] = json!({"collection": "contacts"});
    version["collections"] = json!([{"name": "contacts", "record_type": "contact",
        "direction": "to", "mappings": [
            {"kind": "field", "to": "/email", "from": "/Email", "overridable": true},
            {"kind": "formula", "to": "/source", "formula": "\"shop-\" + .cc"}]}]);
    let versions = format!("/api/v1/integrations/{id}/versions");
    server.admin(M::POST, &versions, version, 201).await;
    server
        .admin(
            M::POST,
            &format!("{versions}/1.0.0/publish"),
            Value::Null,
            200,
        )
        .await;
    server
        .admin(
            M::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            json!({"version": "1.0.0", "customer_deployable": true,
                   "allow_multiple_instances": false}),
            200,
        )
        .await;
    let (client, _) = server.client("acme");
    let config = orders_config("http://127.0.0.1:9/in");
    let instance = client.activate(&id, None, &config, None).await.unwrap();

    let read = client
        .instance_mappings(&instance.id, "contacts")
        .await
        .unwrap();
    assert!(read.overrides.is_empty());
    assert_eq!(read.effective.len(), 2);
    let input = json!({"Email": "ada@example.com", "Mail": "ada@work.example", "cc": "DE"});
    let preview = client
        .preview_instance_mappings(&instance.id, "contacts", &input, None)
        .await
        .unwrap();
    assert_eq!(
        preview.output,
        json!({"email": "ada@example.com", "source": "shop-DE"})
    );
    assert!(preview.errors.is_empty());

    let work_mail = Mapping {
        kind: Some(MappingKind::Field),
        to: "/email".into(),
        from: Some("/Mail".into()),
        ..Mapping::default()
    };
    let tried = client
        .preview_instance_mappings(
            &instance.id,
            "contacts",
            &input,
            Some(std::slice::from_ref(&work_mail)),
        )
        .await
        .unwrap();
    assert_eq!(tried.output["email"], "ada@work.example");
    let written = client
        .put_instance_mappings(&instance.id, "contacts", std::slice::from_ref(&work_mail))
        .await
        .unwrap();
    assert_eq!(written.overrides, std::slice::from_ref(&work_mail));
    assert_eq!(written.effective[0].from.as_deref(), Some("/Mail"));
    assert!(
        written.effective[0].overridable,
        "the collection says it stays overridable"
    );

    let source = Mapping {
        kind: Some(MappingKind::Static),
        to: "/source".into(),
        value: Some(json!("crm")),
        ..Mapping::default()
    };
    let error = client
        .put_instance_mappings(&instance.id, "contacts", &[source])
        .await
        .unwrap_err();
    let Error::Problem { status, errors, .. } = &error else {
        panic!("a problem: {error:?}");
    };
    assert_eq!(*status, 422);
    assert_eq!(errors[0].path, "/overrides/0/to");
    assert_eq!(errors[0].code, FieldErrorCode::NotEditable);
    let read = client
        .instance_mappings(&instance.id, "contacts")
        .await
        .unwrap();
    assert_eq!(read.overrides, [work_mail]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_reviews_and_a_cancellation_reason() {
    use marketplace_embedded::wire::{DeactivateBody, ReviewBody};
    let server = Server::start().await;
    let id = server.listed("Orders", false).await;
    server
        .admin(
            reqwest::Method::PUT,
            &format!("/api/v1/marketplace/listings/{id}"),
            json!({"version": "1.0.0", "overview": "Sends orders", "customer_deployable": true,
                   "allow_multiple_instances": false,
                   "pricing": {"currency": "EUR", "up_front": "0", "monthly": "9.9"}}),
            200,
        )
        .await;
    let (client, _) = server.client("acme");
    let endpoint = format!("{}/healthz", server.base);

    let detail = client.integration(&id).await.unwrap();
    assert_eq!(detail.entry.pricing.as_ref().unwrap().monthly, "9.90");
    assert_eq!(detail.review_prompt, None, "not subscribed yet");
    let first = client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    let detail = client.integration(&id).await.unwrap();
    assert_eq!(detail.review_prompt.as_deref(), Some("review"));

    let body = ReviewBody {
        rating: Some(2),
        text: Some("Too slow".into()),
        follow_up: None,
    };
    let review = client.review(&id, &body).await.unwrap();
    assert_eq!((review.rating, review.mine), (2, Some(true)));
    let error = client.review(&id, &body).await.unwrap_err();
    assert!(
        matches!(&error, Error::Problem { status: 409, code, .. } if code == "review_exists"),
        "{error:?}"
    );
    let (other, _) = server.client("globex");
    let theirs = other.reviews(&id).await.unwrap();
    assert_eq!(theirs.items.len(), 1);
    assert_eq!(theirs.items[0].mine, Some(false), "another customer's");
    assert_eq!(theirs.items[0].customer_id, None, "authors unnamed");

    // A reason outside the list is refused where it is; a picked one ends the subscription.
    let wrong = DeactivateBody {
        reason: "unspecified".into(),
        comment: None,
    };
    let error = client
        .deactivate_with_reason(&first.id, &wrong)
        .await
        .unwrap_err();
    let Error::Problem { status, errors, .. } = &error else {
        panic!("a problem: {error:?}");
    };
    assert_eq!((*status, errors[0].path.as_str()), (422, "/reason"));
    assert_eq!(errors[0].code, FieldErrorCode::Option);
    let reason = DeactivateBody {
        reason: "too_expensive".into(),
        comment: Some("Over budget".into()),
    };
    let gone = client
        .deactivate_with_reason(&first.id, &reason)
        .await
        .unwrap();
    assert_eq!(gone.status, InstanceStatus::Deactivated);
    let subscriptions = client.subscriptions(&PageQuery::default()).await.unwrap();
    assert_eq!(subscriptions.items.len(), 1);
    let ended = &subscriptions.items[0];
    assert_eq!(ended.cancelled_by.as_deref(), Some("customer"));
    let cancellation = ended.cancellation.as_ref().unwrap();
    assert_eq!(cancellation.reason, "too_expensive");
    assert_eq!(cancellation.comment.as_deref(), Some("Over budget"));

    // Coming back: a returning subscription, and the detail asks for a follow-up.
    client
        .activate(&id, None, &orders_config(&endpoint), None)
        .await
        .unwrap();
    let detail = client.integration(&id).await.unwrap();
    assert_eq!(detail.review_prompt.as_deref(), Some("follow_up"));
    let mine = client.reviews(&id).await.unwrap().items.remove(0);
    let follow_up = ReviewBody {
        follow_up: Some("Faster now".into()),
        ..ReviewBody::default()
    };
    let edited = client.edit_review(&mine.id, &follow_up).await.unwrap();
    assert_eq!(edited.follow_up.as_deref(), Some("Faster now"));
    assert!(edited.returned);
    assert_eq!(client.integration(&id).await.unwrap().review_prompt, None);
    let subscriptions = client.subscriptions(&PageQuery::default()).await.unwrap();
    assert_eq!(subscriptions.items.len(), 2);
    assert!(subscriptions.items[1].returning);
    assert_eq!(subscriptions.items[0].status, "cancelled");
}
