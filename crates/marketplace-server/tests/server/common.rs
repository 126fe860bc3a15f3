//! The test harness: a real service on a loopback port over a fresh database, an admin API
//! key, registered signing keys for each algorithm, and helpers to call both APIs.

use base64::Engine;
use marketplace_server::config::StorageArgs;
use marketplace_server::{AppState, Settings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario on both backends: `sqlite::name` and `postgres::name` tests.
///
/// The PostgreSQL half is `#[ignore]`d with its reason, so a plain `cargo test` (which has no
/// PostgreSQL server) reports it as ignored, never as passed; `cargo xtask test` starts a server,
/// sets `MARKETPLACE_TEST_POSTGRES_URL` and runs them with `--include-ignored`, where a missing
/// server fails them.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        pub(crate) mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let server = $crate::server::common::TestServer::start($crate::server::common::Backend::Sqlite).await;
                    super::$name(server).await;
                }
            )*
        }
        pub(crate) mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                #[ignore = "needs PostgreSQL: set MARKETPLACE_TEST_POSTGRES_URL (cargo xtask test starts one)"]
                async fn $name() {
                    let server = $crate::server::common::TestServer::start($crate::server::common::Backend::Postgres).await;
                    super::$name(server).await;
                }
            )*
        }
    };
}

/// The test keys: (kid, algorithm, private PEM, public PEM).
pub(crate) const KEYS: [(&str, &str, &str, &str); 3] = [
    (
        "rs",
        "RS256",
        include_str!("../keys/rs256.key"),
        include_str!("../keys/rs256.pub"),
    ),
    (
        "es",
        "ES256",
        include_str!("../keys/es256.key"),
        include_str!("../keys/es256.pub"),
    ),
    (
        "ed",
        "EdDSA",
        include_str!("../keys/eddsa.key"),
        include_str!("../keys/eddsa.pub"),
    ),
];

/// An origin the test organization allows.
pub(crate) const HOST_ORIGIN: &str = "http://host.test:3000";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running service with its organization.
pub(crate) struct TestServer {
    pub(crate) base: String,
    pub(crate) admin_key: String,
    pub(crate) organization_id: String,
    pub(crate) client: reqwest::Client,
    pub(crate) database_url: String,
    pub(crate) state: AppState,
    _dir: Option<TempDir>,
}

/// A temporary directory, removed on drop.
pub(crate) struct TempDir(pub(crate) std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(prefix: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!(
            "{prefix}-{}-{n}-{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The variable naming the PostgreSQL server of the tests (`postgres://user@host:port/db`).
pub(crate) const POSTGRES_URL_VAR: &str = "MARKETPLACE_TEST_POSTGRES_URL";

/// A fresh database URL on the backend (and the folder holding a SQLite file).
///
/// Panics on PostgreSQL when [`POSTGRES_URL_VAR`] is not set: the PostgreSQL scenarios are
/// `#[ignore]`d, so they only run when asked for, and then they need their server.
pub(crate) async fn fresh_database(backend: Backend) -> (String, Option<TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = TempDir::new("marketplace-test");
            (format!("sqlite://{}/test.db", dir.0.display()), Some(dir))
        }
        Backend::Postgres => {
            let base = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
                panic!(
                    "this test needs PostgreSQL: set {POSTGRES_URL_VAR} (cargo xtask test starts \
                     a server and sets it)"
                )
            });
            let name = format!("t_{}", uuid::Uuid::now_v7().simple());
            let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&base)
                .await
                .expect("connect to PostgreSQL");
            sqlx::Executor::execute(
                &mut admin,
                sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")),
            )
            .await
            .unwrap();
            let url = match base.rfind('/') {
                Some(i)
                    if base[..i].contains('@')
                        || base[..i].ends_with('/')
                        || base[..i].contains(':') =>
                {
                    let (head, tail) = base.split_at(i);
                    let query = tail.find('?').map(|q| &tail[q..]).unwrap_or("");
                    format!("{head}/{name}{query}")
                }
                _ => format!("{base}/{name}"),
            };
            (url, None)
        }
    }
}

pub(crate) fn master_key() -> String {
    base64::engine::general_purpose::STANDARD.encode([42u8; 32])
}

/// Settings for tests: deliveries may reach loopback, short retries.
pub(crate) fn test_settings(public_url: &str) -> Settings {
    Settings {
        public_url: public_url.to_owned(),
        allow_private_targets: true,
        token_policy: marketplace_core::TokenPolicy::default(),
        delivery_attempts: 3,
        events: marketplace_server::service::deliveries::EventSettings {
            retry_base_ms: 50,
            retry_window_s: 60,
            timeout_ms: 2000,
            vendor_answer_timeout_s: 3600,
            lease_margin_ms: 1000,
        },
        mail: Default::default(),
        metrics_token: None,
        shutdown_grace_s: 1,
        execution_lease_ms: 30_000,
        rescore_interval_s: 30,
        limits: marketplace_server::service::state::Limits::NONE,
    }
}

impl TestServer {
    /// Starts a service on a fresh database of the backend, with the default test settings.
    pub(crate) async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, |s| s).await
    }

    /// Starts a service, letting the caller adjust the settings.
    pub(crate) async fn start_with(
        backend: Backend,
        adjust: impl FnOnce(Settings) -> Settings,
    ) -> TestServer {
        let (database_url, dir) = fresh_database(backend).await;
        let storage = StorageArgs {
            database_url: database_url.clone(),
            master_key: Some(master_key()),
            previous_master_keys: Vec::new(),
        };
        let store = marketplace_server::open(&storage)
            .await
            .expect("open the database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(store, adjust(test_settings(&base)));
        let app = marketplace_server::app(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        marketplace_server::start_workers(&state);
        let (organization_id, admin_key) =
            marketplace_server::service::organization::create_organization(
                &state.store,
                "Test Vendor",
            )
            .await
            .unwrap();
        let server = TestServer {
            base,
            admin_key,
            organization_id,
            client: reqwest::Client::new(),
            database_url,
            state,
            _dir: dir,
        };
        for (kid, algorithm, _, public) in KEYS {
            let (status, body) = server
                .admin(
                    Method::POST,
                    "/api/v1/signing-keys",
                    Some(json!({"kid": kid, "algorithm": algorithm, "public_key_pem": public})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let (status, _) = server
            .admin(
                Method::PATCH,
                "/api/v1/organization",
                Some(json!({"allowed_origins": [HOST_ORIGIN]})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        server
    }

    /// Serves an existing database (its organization and admin key already in it), as a newer
    /// release started on it would: the migrations it lacks run first.
    pub(crate) async fn on_existing(
        database_url: String,
        dir: Option<TempDir>,
        organization_id: String,
        admin_key: String,
    ) -> TestServer {
        let storage = StorageArgs {
            database_url: database_url.clone(),
            master_key: Some(master_key()),
            previous_master_keys: Vec::new(),
        };
        let store = marketplace_server::open(&storage)
            .await
            .expect("open and migrate the database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = AppState::new(store, test_settings(&base));
        let app = marketplace_server::app(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        TestServer {
            base,
            admin_key,
            organization_id,
            client: reqwest::Client::new(),
            database_url,
            state,
            _dir: dir,
        }
    }

    /// Calls the service with a bearer credential; returns the status and the JSON body (or null).
    pub(crate) async fn call(
        &self,
        credential: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(c) = credential {
            request = request.bearer_auth(c);
        }
        if let Some(b) = body {
            request = request.json(&b);
        }
        let response = request.send().await.expect("the service answers");
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = response.bytes().await.unwrap();
        if !status.is_success() && !bytes.is_empty() {
            assert_eq!(
                content_type,
                "application/problem+json",
                "errors are problems: {status} {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Calls the admin API.
    pub(crate) async fn admin(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(Some(&self.admin_key.clone()), method, path, body)
            .await
    }

    /// `GET`s a path of the admin API.
    pub(crate) async fn admin_get(&self, path: &str) -> (StatusCode, Value) {
        self.admin(Method::GET, path, None).await
    }

    /// `GET`s a path of the embedded API with a token.
    pub(crate) async fn embedded_get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.call(Some(token), Method::GET, path, None).await
    }

    /// The types of an instance's events, oldest first.
    pub(crate) async fn event_types(&self, instance_id: &str) -> Vec<String> {
        let (status, events) = self
            .admin_get(&format!("/api/v1/events?instance_id={instance_id}"))
            .await;
        items(status, &events)
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Activates an integration for the token's customer with `config`; returns the instance.
    pub(crate) async fn activate(&self, token: &str, integration: &str, config: Value) -> Value {
        let (status, instance) = self
            .embedded(
                token,
                Method::POST,
                "/api/v1/embedded/instances",
                Some(json!({"integration_id": integration, "config": config})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{instance}");
        instance
    }

    /// Calls the embedded API with a token.
    pub(crate) async fn embedded(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call(Some(token), method, path, body).await
    }

    /// Standard claims for a user of a customer, valid for ten minutes.
    pub(crate) fn claims(&self, customer: &str, user: &str, role: &str) -> Value {
        let now = marketplace_server::store::now_ms() / 1000;
        json!({"sub": user, "customer": customer, "customer_name": format!("Customer {customer}"),
               "organization": self.organization_id, "role": role, "iat": now - 5, "exp": now + 600})
    }

    /// A token for a user of a customer, signed with the RS256 test key.
    pub(crate) fn token(&self, customer: &str, user: &str, role: &str) -> String {
        sign(&self.claims(customer, user, role), "rs")
    }

    /// Lists "Orders" ([`orders_version`] 1.0.0), customer-deployable; returns its id.
    pub(crate) async fn orders_listed(&self, allow_multiple_instances: bool) -> String {
        let listing = json!({"customer_deployable": true,
                             "allow_multiple_instances": allow_multiple_instances});
        self.listed_integration("Orders", orders_version("1.0.0"), listing)
            .await
    }

    /// Creates, publishes and lists an integration; returns its id.
    pub(crate) async fn listed_integration(
        &self,
        name: &str,
        version: Value,
        listing: Value,
    ) -> String {
        let (status, integration) = self
            .admin(
                Method::POST,
                "/api/v1/integrations",
                Some(json!({"name": name, "category": "CRM", "labels": ["Sales"]})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{integration}");
        let id = integration["id"].as_str().unwrap().to_owned();
        let number = version["version"].as_str().unwrap().to_owned();
        let (status, body) = self
            .admin(
                Method::POST,
                &format!("/api/v1/integrations/{id}/versions"),
                Some(version),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = self
            .admin(
                Method::POST,
                &format!("/api/v1/integrations/{id}/versions/{number}/publish"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut listing = listing;
        listing["version"] = json!(number);
        let (status, body) = self
            .admin(
                Method::PUT,
                &format!("/api/v1/marketplace/listings/{id}"),
                Some(listing),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        id
    }
}

/// Creates an API key of that role; returns (id, secret).
pub(crate) async fn key(server: &TestServer, role: &str) -> (String, String) {
    let (status, key) = server
        .admin(
            Method::POST,
            "/api/v1/api-keys",
            Some(json!({"name": role, "role": role})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{key}");
    assert_eq!(key["role"], role);
    (
        key["id"].as_str().unwrap().to_owned(),
        key["secret"].as_str().unwrap().to_owned(),
    )
}

/// A customer created through the admin API (its external id the lower-cased name); its id.
pub(crate) async fn customer(server: &TestServer, name: &str) -> String {
    let (status, body) = server
        .admin(
            Method::POST,
            "/api/v1/customers",
            Some(json!({"name": name, "external_id": name.to_lowercase()})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The id of the customer with this external id.
pub(crate) async fn customer_id(server: &TestServer, external_id: &str) -> String {
    let (status, list) = server
        .admin_get(&format!("/api/v1/customers?external_id={external_id}"))
        .await;
    let found = items(status, &list);
    assert_eq!(found.len(), 1, "{list}");
    found[0]["id"].as_str().unwrap().to_owned()
}

/// Signs claims with one of the test keys (by kid).
pub(crate) fn sign(claims: &Value, kid: &str) -> String {
    let (_, algorithm, private, _) = KEYS
        .iter()
        .find(|k| k.0 == kid)
        .copied()
        .expect("a test key");
    let (alg, key) = match algorithm {
        "RS256" => (
            jsonwebtoken::Algorithm::RS256,
            jsonwebtoken::EncodingKey::from_rsa_pem(private.as_bytes()).unwrap(),
        ),
        "ES256" => (
            jsonwebtoken::Algorithm::ES256,
            jsonwebtoken::EncodingKey::from_ec_pem(private.as_bytes()).unwrap(),
        ),
        _ => (
            jsonwebtoken::Algorithm::EdDSA,
            jsonwebtoken::EncodingKey::from_ed_pem(private.as_bytes()).unwrap(),
        ),
    };
    let mut header = jsonwebtoken::Header::new(alg);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

/// The example spec of the design, with a webhook flow delivering to `endpoint` with `auth`.
pub(crate) fn orders_version(number: &str) -> Value {
    json!({"version": number,
        "config": {"pages": [{"title": "Connection", "tagline": "Where orders go", "elements": [
            {"header": "Endpoint"},
            {"key": "endpoint", "label": "Endpoint URL", "type": "url", "required": true},
            {"key": "auth", "label": "API credentials", "type": "connection", "connection": {"kind": "api_key"}, "required": true},
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"},
            {"key": "batch_size", "label": "Batch size", "type": "integer", "min": 1, "max": 500, "default": 50},
            {"key": "account_code", "label": "Account code", "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "required": true},
            {"key": "api_token", "label": "API token", "type": "secret"},
            {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded"},
            {"key": "tier", "label": "Tier", "type": "string", "visibility": "organization", "default": "standard"}]}]},
        "flows": [{"name": "orders", "trigger": "webhook",
                   "map": [{"to": "/order_id", "from": "/order/id"}, {"to": "/source", "value": "shop"},
                           {"to": "/country", "from": "/addr/cc", "table": {"DE": "Germany"}, "default": "Other"}],
                   "deliver": {"url": "endpoint", "connection": "auth", "method": "POST"}}]})
}

/// Valid customer values for [`orders_version`].
pub(crate) fn orders_config(endpoint: &str) -> Value {
    json!({"endpoint": endpoint, "auth": {"api_key": "key-SECRET-0001"}, "account_code": "ABC-1234", "api_token": "tok-SECRET-0002"})
}

/// The `items` of a list answer, checked to be a 200.
pub(crate) fn items(status: StatusCode, list: &Value) -> Vec<Value> {
    assert_eq!(status, StatusCode::OK, "{list}");
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .clone()
}

/// A delivery target on loopback answering 200 to anything; returns its `/in` URL.
pub(crate) async fn sink() -> String {
    let app = axum::Router::new().route("/in", axum::routing::any(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// The `path` and `code` of a problem's first field error.
pub(crate) fn first_error(problem: &Value) -> (Option<&str>, Option<&str>) {
    let error = &problem["errors"][0];
    (error["path"].as_str(), error["code"].as_str())
}

/// Every field error of a problem (or of a validation verdict) as `(path, code)`, in order.
pub(crate) fn error_codes(problem: &Value) -> Vec<(&str, &str)> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["path"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect()
}
