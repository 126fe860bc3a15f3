//! The demo host: what a vendor's own app would be, on its own origin. It serves the example
//! pages (`examples/iframe-host`, `examples/js-native-marketplace`, `examples/react-host`), the
//! built npm package at `/pkg/`, and a login stub that signs embedded tokens with the demo key,
//! as the vendor's backend would for its signed-in user. It also plays Orbit CRM, the OAuth
//! provider of the demo's "Orbit CRM" integration ([`crate::demo_provider`]).

use crate::demo::Demo;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// What the host's pages need to know.
#[derive(Debug, Clone)]
pub struct HostSite {
    /// The demo organization and its signing key.
    pub demo: Demo,
    /// The service's public URL.
    pub service_url: String,
    /// The `examples/` folder.
    pub examples_dir: PathBuf,
    /// The built npm package.
    pub package_dir: PathBuf,
    /// The Rust host example's URL, if it runs.
    pub rust_host_url: Option<String>,
}

/// The host app's routes.
pub fn router(site: HostSite) -> Router {
    let examples = site.examples_dir.clone();
    let package = site.package_dir.clone();
    let provider = crate::demo_provider::router(&site.service_url);
    Router::new()
        .route("/", get(index))
        .route("/demo/config.js", get(config))
        .route("/demo/token", get(token))
        .nest_service("/iframe-host", ServeDir::new(examples.join("iframe-host")))
        .nest_service(
            "/js-native-marketplace",
            ServeDir::new(examples.join("js-native-marketplace")),
        )
        // Its bundle (`dist/`) is built by `cargo xtask demo` and the browser tests.
        .nest_service("/react-host", ServeDir::new(examples.join("react-host")))
        .nest_service("/pkg", ServeDir::new(package))
        .with_state(Arc::new(site))
        .merge(provider)
}

/// The host's home: the ways of embedding.
async fn index(State(site): State<Arc<HostSite>>) -> Html<String> {
    let rust = match &site.rust_host_url {
        Some(url) => format!(
            r#"<li><a href="{url}">Rust host</a>: an axum backend rendering the catalog through the Rust SDK.</li>"#
        ),
        None => "<li>Rust host: <code>cargo run -p rust-host</code> (see the README).</li>".into(),
    };
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo host app</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:760px;margin:40px auto;padding:0 16px}}</style></head>
<body><h1>Acme Cloud: the demo host app</h1>
<p>This origin plays the vendor's own app. The marketplace service runs at <a href="{service}">{service}</a>.</p>
<ul>
<li><a href="/iframe-host/">Iframe</a>: the service's marketplace page embedded with <code>mountMarketplace</code>.</li>
<li><a href="/js-native-marketplace/">Native JavaScript</a>: a marketplace drawn by the host from the WebAssembly package.</li>
<li><a href="/react-host/">React</a>: the iframe inline and as a popover, through the <code>useMarketplace</code> and <code>useMarketplaceClient</code> hooks.</li>
{rust}
</ul>
<p><a href="/demo/oauth/">Orbit CRM</a> plays a third party here: the "Orbit CRM" integration connects to it with
OAuth (<strong>Connect</strong> in the instance's page); revoke its access there and the instance shows <strong>Reconnect</strong>.</p></body></html>"#,
        service = site.service_url,
    ))
}

/// `/demo/config.js`: the service's URL and the organization, as an ES module.
async fn config(State(site): State<Arc<HostSite>>) -> Response {
    let body = format!(
        "export default {};\n",
        json!({"baseUrl": site.service_url, "organizationId": site.demo.organization_id})
    );
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `?customer=&user=&marketplace=&tenant=`: whom the login stub signs in (default: Globex's
/// Ada), and the token's `marketplace` and `tenant` claims (keys; absent: none).
#[derive(Debug, Deserialize)]
struct Login {
    customer: Option<String>,
    user: Option<String>,
    marketplace: Option<String>,
    tenant: Option<String>,
}

/// The login stub: a fresh 10-minute token for the signed-in user of the host app.
async fn token(State(site): State<Arc<HostSite>>, Query(login): Query<Login>) -> Response {
    let customer = login.customer.unwrap_or_else(|| "globex".into());
    let user = login.user.unwrap_or_else(|| "ada@globex.example".into());
    let name = if customer == "globex" {
        "Globex Corporation".to_owned()
    } else {
        customer.clone()
    };
    let mut scope = serde_json::Map::new();
    if let Some(marketplace) = login.marketplace {
        scope.insert("marketplace".into(), json!(marketplace));
    }
    if let Some(tenant) = login.tenant {
        scope.insert("tenant".into(), json!(tenant));
    }
    let token = site
        .demo
        .sign_token_with(&customer, &name, &user, "admin", 600, &scope);
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"token": token})),
    )
        .into_response()
}
