//! Delivery signatures checked by code that is not ours: real deliveries, captured by the
//! scripted vendor endpoint with their exact bytes, are replayed to the Node and Python endpoints
//! of `docs/events.md` (`docs/events/endpoint.js`, `docs/events/endpoint.py`), which verify them
//! with the Standard Webhooks packages (`standardwebhooks` from npm and from the Python Package
//! Index, pinned in `xtask/webhook-tools`). `cargo xtask test` installs them and names their
//! folders in `MARKETPLACE_TEST_WEBHOOK_VERIFIER` and `MARKETPLACE_TEST_WEBHOOK_VERIFIER_PY`.

use crate::server::common::{Backend, TestServer, orders_config};
use crate::server::vendor_events::{Received, Vendor};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The environment variable naming the folder whose `node_modules` holds `standardwebhooks`.
const VERIFIER_VAR: &str = "MARKETPLACE_TEST_WEBHOOK_VERIFIER";
/// The environment variable naming the Python virtual environment holding `standardwebhooks`.
const PYTHON_VAR: &str = "MARKETPLACE_TEST_WEBHOOK_VERIFIER_PY";

/// Which documented endpoint runs, with where its library is.
#[derive(Debug, Clone)]
enum Language {
    /// `docs/events/endpoint.js`, with the folder holding `node_modules`.
    Node(PathBuf),
    /// `docs/events/endpoint.py`, with the virtual environment.
    Python(PathBuf),
}

impl Language {
    /// Both endpoints, their libraries' folders from the environment.
    fn both() -> [Language; 2] {
        let folder = |var: &str| {
            std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
                panic!("{var} names no folder: run `cargo xtask test --only test`, which installs the standardwebhooks packages")
            })
        };
        [
            Language::Node(folder(VERIFIER_VAR)),
            Language::Python(folder(PYTHON_VAR)),
        ]
    }

    /// The command running the endpoint.
    fn command(&self) -> Command {
        match self {
            Language::Node(modules) => {
                let mut command = Command::new("node");
                command
                    .arg(root().join("docs/events/endpoint.js"))
                    .env("NODE_PATH", modules.join("node_modules"));
                command
            }
            Language::Python(venv) => {
                let mut command = Command::new(venv.join("bin/python3"));
                command.arg(root().join("docs/events/endpoint.py"));
                command
            }
        }
    }
}

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running documented endpoint, stopped on drop.
struct Endpoint {
    child: Child,
    url: String,
}

impl Endpoint {
    /// Starts the documented endpoint with `secret` on a free port; waits until it listens.
    async fn start(language: &Language, secret: &str) -> Endpoint {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = language
            .command()
            .env("SIGNING_SECRET", secret)
            .env("PORT", port.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{language:?} runs (cargo xtask test installs it): {e}"));
        let endpoint = Endpoint {
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
        panic!("the {language:?} endpoint did not listen on port {port}");
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

impl Drop for Endpoint {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Deliveries before and after a signing-secret rotation verify with the npm and the Python
/// library: the first with the old secret only, the second (two signatures) with the old and the
/// new one; a changed body or `webhook-id` does not verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the standardwebhooks npm and Python packages: cargo xtask test installs them"]
async fn deliveries_verify_with_the_standard_webhooks_libraries() {
    let languages = Language::both();
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

    for language in &languages {
        let old = Endpoint::start(language, &old_secret).await;
        let new = Endpoint::start(language, &new_secret).await;
        assert_eq!(
            old.verify(&before).await,
            StatusCode::OK,
            "{language:?}: before, old secret"
        );
        assert_eq!(
            new.verify(&before).await,
            StatusCode::UNAUTHORIZED,
            "{language:?}: before the rotation the new secret did not sign"
        );
        assert_eq!(
            old.verify(&after).await,
            StatusCode::OK,
            "{language:?}: after, old secret"
        );
        assert_eq!(
            new.verify(&after).await,
            StatusCode::OK,
            "{language:?}: after, new secret"
        );
        let mut tampered = after.body.to_vec();
        let last = tampered.len() - 2;
        tampered[last] ^= 1;
        let id = after.header("webhook-id");
        assert_eq!(
            new.replay(&after, &id, &tampered).await,
            StatusCode::UNAUTHORIZED,
            "{language:?}: a changed body does not verify"
        );
        assert_eq!(
            new.replay(&after, &before.header("webhook-id"), &after.body)
                .await,
            StatusCode::UNAUTHORIZED,
            "{language:?}: another webhook-id does not verify"
        );
    }
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
