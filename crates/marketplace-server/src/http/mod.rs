//! The HTTP surface: one module per resource, each owning its handlers and body types; this
//! module assembles them, documents them (OpenAPI) and answers what no route matches.

pub mod alert_monitors;
pub mod api_keys;
pub mod applications;
pub mod attachments;
pub mod auth;
pub mod avatars;
pub mod certification;
pub mod client_auth;
pub mod commerce;
pub mod connections;
pub mod cors;
pub mod customers;
pub mod deliveries;
pub mod embed_page;
pub mod embedded;
pub mod event_configurations;
pub mod extract;
pub mod icons;
pub mod instances;
pub mod integrations;
pub mod limits;
pub mod listings;
pub mod mappings;
pub mod marketplaces;
pub mod metrics;
pub mod observability;
pub mod oidc;
pub mod openapi;
pub mod organization;
pub mod partners;
pub mod portal;
pub mod providers;
pub mod signing_keys;
pub mod templates;
pub mod tenants;
pub mod time;
pub mod vendor;
pub mod webhooks;

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{Page, PageRequest};
use axum::Router;
use marketplace_api::Page as List;
use serde::de::DeserializeOwned;
use utoipa_axum::router::OpenApiRouter;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole application: API, webhook triggers, the iframe page, health, OpenAPI document.
pub fn app(state: AppState) -> Router {
    let (router, api) = api_router().split_for_parts();
    let api = openapi::finish(api);
    router
        .merge(openapi::router(api))
        .merge(embed_page::router())
        .merge(portal::page_router())
        .merge(oidc::browser_router())
        .merge(metrics::public_router(&state))
        .route("/healthz", axum::routing::get(healthz))
        .route("/readyz", axum::routing::get(readyz))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        // Inside CORS, so a browser can read a 429 or 503 (preflights are answered by CORS).
        .layer(axum::middleware::from_fn_with_state(
            limits::Limiters::new(&state.settings.limits),
            limits::enforce,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .layer(axum::middleware::from_fn(trace_request))
        // JSON, pages and scripts in gzip or Brotli when the client accepts it (not images,
        // event streams, or bodies under 32 bytes: tower-http's default predicate).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// `GET /healthz`: the process lives.
async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok"}))
}

/// What answers while the service starts (the database being opened and migrated): `/healthz`
/// 200, so an orchestrator does not kill a process in a long migration; anything else, `/readyz`
/// included, 503 `starting`.
pub fn starting_app() -> Router {
    Router::new()
        .route("/healthz", axum::routing::get(healthz))
        .fallback(|| async {
            ApiError::Unavailable {
                code: "starting",
                detail: "the service is starting (its database is being migrated): retry shortly"
                    .into(),
            }
        })
        .layer(axum::middleware::from_fn(trace_request))
}

/// The one app a listener serves from its start: [`starting_app`] until `ready` holds the app,
/// then that app.
pub fn switch(ready: std::sync::Arc<std::sync::OnceLock<Router>>) -> Router {
    use tower::ServiceExt;
    let starting = starting_app();
    Router::new().fallback_service(tower::service_fn(move |request: axum::extract::Request| {
        let app = ready.get().unwrap_or(&starting).clone();
        app.oneshot(request)
    }))
}

/// The body limit of a route: [`MAX_BODY_BYTES`], except the uploads of files.
fn body_limit(route: Option<&str>) -> usize {
    match route {
        Some(avatars::AVATAR_ROUTE) => marketplace_core::attachment::MAX_AVATAR_BYTES,
        Some(icons::ICON_ROUTE) => marketplace_core::attachment::MAX_ICON_BYTES,
        Some(route) if attachments::UPLOAD_ROUTES.contains(&route) => {
            attachments::UPLOAD_BODY_LIMIT
        }
        _ => MAX_BODY_BYTES,
    }
}

/// Answers 413 at once when `Content-Length` announces a body over the route's limit, before
/// reading it (bodies without a length are still cut at the limit while being read).
async fn refuse_announced_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let limit = body_limit(
        request
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .map(|p| p.as_str()),
    );
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(request).await
}

/// The header naming a request: the caller's, or one the service makes.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The caller's `x-request-id` is taken when it is 1 to 128 visible ASCII characters.
fn is_request_id(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic())
}

/// A new request id: this process's random prefix and a counter (no system call per request).
fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| crate::crypto::random_secret(9));
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{prefix}-{n:x}")
}

/// Names each request and traces it: its id (the caller's `x-request-id`, else a new one) is on
/// the tracing span of everything the request logs, echoed in the response's `x-request-id`, and
/// in scope ([`crate::error::REQUEST_ID`]) for the problems built while answering, which carry it
/// as `request_id`, to quote to support. Logs the request at debug level
/// (`MARKETPLACE_LOG=debug`): method, route template (never the path itself, which holds webhook
/// secrets), status and duration.
async fn trace_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use tracing::Instrument;
    let id = request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_request_id(v))
        .map_or_else(new_request_id, str::to_owned);
    let method = request.method().clone();
    let matched = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    // One field: a span's fields are formatted when it is made, on every request (three made
    // the catalog read ~20 % slower). A build that exports spans (`otel`) names them too.
    #[cfg(not(feature = "otel"))]
    let span = tracing::info_span!("request", request_id = %id);
    #[cfg(feature = "otel")]
    let span = {
        let route = matched.as_ref().map_or("(no route)", |p| p.as_str());
        tracing::info_span!(
            "request",
            request_id = %id,
            otel.name = %format_args!("{method} {route}"),
            otel.kind = "server",
            http.request.method = %method,
            http.route = route,
            http.response.status_code = tracing::field::Empty,
        )
    };
    let started = std::time::Instant::now();
    let answer = crate::error::REQUEST_ID.scope(id.clone(), next.run(request));
    let mut response = answer.instrument(span.clone()).await;
    let route = matched.as_ref().map(|p| p.as_str());
    let (status, elapsed) = (response.status().as_u16(), started.elapsed());
    crate::telemetry::request(&method, route, status, elapsed);
    #[cfg(feature = "otel")]
    span.record("http.response.status_code", status);
    span.in_scope(|| {
        tracing::debug!(
            %method,
            route = route.unwrap_or("(no route)"),
            status,
            micros = elapsed.as_micros() as u64,
            "request"
        );
    });
    if let Ok(value) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// Every documented route.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::base())
        .merge(organization::router())
        .merge(api_keys::router())
        .merge(signing_keys::router())
        .merge(integrations::router())
        .merge(listings::router())
        .merge(marketplaces::router())
        .merge(customers::router())
        .merge(commerce::router())
        .merge(avatars::router())
        .merge(icons::router())
        .merge(attachments::router())
        .merge(instances::router())
        .merge(connections::router())
        .merge(observability::router())
        .merge(embedded::router())
        .merge(webhooks::router())
        .merge(event_configurations::router())
        .merge(deliveries::router())
        .merge(vendor::router())
        .merge(oidc::router())
        .merge(portal::router())
        .merge(alert_monitors::router())
        .merge(templates::router())
        .merge(mappings::router())
        .merge(tenants::router())
        .merge(partners::router())
        .merge(providers::router())
        .merge(applications::router())
        .merge(certification::router())
}

/// The page a list query asks for: its size checked (1 to 200, default 50) and its cursor.
pub fn page_request(limit: Option<u32>, cursor: Option<&String>) -> ApiResult<PageRequest> {
    let limit = match limit {
        None => 50,
        Some(n) if (1..=200).contains(&n) => n,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "limit must be between 1 and 200",
            ));
        }
    };
    Ok(PageRequest {
        limit,
        cursor: cursor.cloned(),
    })
}

/// A page of stored items, each turned into its wire form.
pub fn page_of<R, T>(page: Page<R>, view: impl FnMut(R) -> T) -> List<T> {
    let page = page.map(view);
    List {
        items: page.items,
        next_cursor: page.next_cursor,
    }
}

/// Decodes a JSON value into a body type; a shape problem is a 422 naming the field.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    extract::parse_json(&serde_json::to_vec(&value).unwrap_or_default())
}

/// `GET /readyz`: 200 when the database answers, else a 503 problem (`not_ready`).
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> ApiResult<axum::Json<serde_json::Value>> {
    match state.store.ping().await {
        Ok(()) => Ok(axum::Json(serde_json::json!({"status": "ready"}))),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            Err(ApiError::Unavailable {
                code: "not_ready",
                detail: "the database does not answer".into(),
            })
        }
    }
}
