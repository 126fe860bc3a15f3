//! `rust-host`: the example host backend. Configuration from the environment:
//! `MARKETPLACE_URL` (default `http://127.0.0.1:8080`), `MARKETPLACE_DEMO_FILE` (default
//! `marketplace.db.demo.json`, written by `marketplace-server demo`), `RUST_HOST_LISTEN`
//! (default `127.0.0.1:8082`).

use rust_host::{Host, app};

#[tokio::main]
async fn main() -> Result<(), String> {
    let var =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let service_url = var("MARKETPLACE_URL", "http://127.0.0.1:8080");
    let demo_file = var("MARKETPLACE_DEMO_FILE", "marketplace.db.demo.json");
    let listen = var("RUST_HOST_LISTEN", "127.0.0.1:8082");
    let host = Host::from_demo_file(service_url, std::path::Path::new(&demo_file))?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| format!("{listen}: {e}"))?;
    println!("Rust host app: http://{listen}");
    axum::serve(listener, app(host))
        .await
        .map_err(|e| e.to_string())
}
