//! The Rust host example against the real service (in-process, SQLite, the demo catalog):
//! its login stub, the catalog rendered through the SDK with its signed tokens, `GET /token`.

use base64::Engine;
use marketplace_server::config::StorageArgs;
use marketplace_server::{AppState, Settings};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_host_signs_in_renders_the_catalog_and_hands_out_tokens() {
    let dir = std::env::temp_dir().join(format!("rust-host-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = format!("sqlite://{}/demo.db", dir.display());
    let storage = StorageArgs {
        database_url: database_url.clone(),
        master_key: Some(base64::engine::general_purpose::STANDARD.encode([9u8; 32])),
        previous_master_keys: Vec::new(),
    };
    let store = marketplace_server::open(&storage).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service_url = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings {
        public_url: service_url.clone(),
        // As `marketplace-server demo` sets it: the demo's connection tests reach a stand-in
        // third party on loopback.
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
    let demo_file = marketplace_server::demo::demo_file(&database_url, None).unwrap();
    marketplace_server::demo::ensure(&state, &demo_file, &[])
        .await
        .unwrap();
    let service = marketplace_server::app(state);
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });

    let demo_file = dir.join("demo.db.demo.json");
    let host = rust_host::Host::from_demo_file(service_url, &demo_file).unwrap();
    let host_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let host_url = format!("http://{}", host_listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(host_listener, rust_host::app(host))
            .await
            .unwrap()
    });

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let home = http
        .get(&host_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("Sign in"), "{home}");
    let refused = http.get(format!("{host_url}/token")).send().await.unwrap();
    assert_eq!(refused.status(), 401);

    let login = http
        .post(format!("{host_url}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user=ada%40globex.example")
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"].to_str().unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();

    let page = http
        .get(&host_url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in ["Slack", "Salesforce", "HubSpot", "NetSuite"] {
        assert!(page.contains(name), "{name} missing from {page}");
    }
    assert!(page.contains("contact us"), "{page}");
    assert!(!page.contains("The marketplace failed"), "{page}");

    let token: serde_json::Value = http
        .get(format!("{host_url}/token"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["sub"], "ada@globex.example");
    assert_eq!(claims["customer"], "globex");
    let _ = std::fs::remove_dir_all(&dir);
}
