//! Delivery signatures checked by code that is not ours: real deliveries, captured by the
//! scripted vendor endpoint with their exact bytes, are replayed to the Node endpoint of
//! `docs/events.md` (`docs/events/endpoint.js`), which verifies them with the Standard Webhooks
//! npm package (`standardwebhooks`, pinned by `xtask/webhook-tools`). `cargo xtask test` installs
//! the package and names its folder in `MARKETPLACE_TEST_WEBHOOK_VERIFIER`.

use crate::server::common::{Backend, TestServer, orders_config};
use crate::server::vendor_events::{Received, Vendor};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The environment variable naming the folder whose `node_modules` holds `standardwebhooks`.
const VERIFIER_VAR: &str = "MARKETPLACE_TEST_WEBHOOK_VERIFIER";

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running copy of `docs/events/endpoint.js`, stopped on drop.
struct NodeEndpoint {
    child: Child,
    url: String,
}

impl NodeEndpoint {
    /// Starts the documented endpoint with `secret` on a free port; waits until it listens.
    async fn start(modules: &Path, secret: &str) -> NodeEndpoint {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("node")
            .arg(root().join("docs/events/endpoint.js"))
            .env("SIGNING_SECRET", secret)
            .env("PORT", port.to_string())
            .env("NODE_PATH", modules.join("node_modules"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("node runs (cargo xtask test installs it)");
        let endpoint = NodeEndpoint {
            child,
            url: format!("http://127.0.0.1:{port}/events"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return endpoint;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("docs/events/endpoint.js did not listen on port {port}");
    }

    /// Sends a captured delivery again, with its signature headers and `body`; the status.
    async fn replay(&self, delivery: &Received, id: &str, body: &[u8]) -> StatusCode {
        reqwest::Client::new()
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", delivery.header("webhook-timestamp"))
            .header("webhook-signature", delivery.header("webhook-signature"))
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends a captured delivery again exactly as it came; the status.
    async fn verify(&self, delivery: &Received) -> StatusCode {
        self.replay(delivery, &delivery.header("webhook-id"), &delivery.body)
            .await
    }
}

impl Drop for NodeEndpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deliveries before and after a signing-secret rotation verify with the npm library: the
/// first with the old secret only, the second (two signatures) with the old and the new one;
/// a changed body or `webhook-id` does not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the standardwebhooks npm package: cargo xtask test installs it"]
async fn deliveries_verify_with_the_standard_webhooks_library() {
    let modules = std::env::var_os(VERIFIER_VAR).map(PathBuf::from).unwrap_or_else(|| {
        panic!("{VERIFIER_VAR} names no folder: run `cargo xtask test --only test`, which installs the standardwebhooks npm package")
    });
    let server = TestServer::start(Backend::Sqlite).await;
    let vendor = Vendor::start().await;
    let integration = server.orders_listed(true).await;
    let (configuration, old_secret) = server
        .event_configuration(
            &integration,
            json!({"url": vendor.url("/hook"), "event_types": ["instance.activated"]}),
        )
        .await;
    let token = server.token("acme", "u1", "admin");
    server
        .activate(&token, &integration, orders_config(&vendor.url("/in")))
        .await;
    let before = vendor.wait_for(1).await.remove(0);
    let (status, rotated) = server
        .admin(
            Method::POST,
            &format!("/api/v1/event-configurations/{configuration}/signing-secret"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_secret = rotated["signing_secret"].as_str().unwrap().to_owned();
    assert_ne!(new_secret, old_secret);
    server
        .activate(&token, &integration, orders_config(&vendor.url("/in")))
        .await;
    let after = vendor.wait_for(2).await.remove(1);
    assert_eq!(
        after.header("webhook-signature").split(' ').count(),
        2,
        "after a rotation both secrets sign: {}",
        after.header("webhook-signature")
    );

    let old = NodeEndpoint::start(&modules, &old_secret).await;
    let new = NodeEndpoint::start(&modules, &new_secret).await;
    assert_eq!(
        old.verify(&before).await,
        StatusCode::OK,
        "before, old secret"
    );
    assert_eq!(
        new.verify(&before).await,
        StatusCode::UNAUTHORIZED,
        "before the rotation the new secret did not sign"
    );
    assert_eq!(
        old.verify(&after).await,
        StatusCode::OK,
        "after, old secret"
    );
    assert_eq!(
        new.verify(&after).await,
        StatusCode::OK,
        "after, new secret"
    );
    let mut tampered = after.body.to_vec();
    let last = tampered.len() - 2;
    tampered[last] ^= 1;
    let id = after.header("webhook-id");
    assert_eq!(
        new.replay(&after, &id, &tampered).await,
        StatusCode::UNAUTHORIZED,
        "a changed body does not verify"
    );
    assert_eq!(
        new.replay(&after, &before.header("webhook-id"), &after.body)
            .await,
        StatusCode::UNAUTHORIZED,
        "another webhook-id does not verify"
    );
}

/// The endpoints of `docs/events.md` are the files the tests run, word for word.
#[test]
fn the_documented_endpoints_are_the_tested_files() {
    for page in ["docs/events.md", "README.md"] {
        let doc = std::fs::read_to_string(root().join(page)).unwrap();
        for file in ["docs/events/endpoint.js", "docs/events/endpoint.py"] {
            let code = std::fs::read_to_string(root().join(file)).unwrap();
            assert!(doc.contains(&code), "{page} does not quote {file} as it is");
        }
    }
}
