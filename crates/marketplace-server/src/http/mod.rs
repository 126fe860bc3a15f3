//! The HTTP surface: one module per resource, each owning its handlers and body types; this
//! module assembles them, documents them (OpenAPI) and answers what no route matches.

pub mod api_keys;
pub mod cors;
pub mod customers;
pub mod embed_page;
pub mod embedded;
pub mod instances;
pub mod integrations;
pub mod listings;
pub mod observability;
pub mod openapi;
pub mod organization;
pub mod signing_keys;
pub mod webhooks;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
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
        .route(
            "/healthz",
            axum::routing::get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cors::cors,
        ))
        .layer(axum::middleware::from_fn(refuse_announced_oversize))
        .layer(axum::middleware::from_fn(log_request))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Answers 413 at once when `Content-Length` announces a body over the limit, before reading it
/// (bodies without a length are still cut at the limit while being read).
async fn refuse_announced_oversize(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return ApiError::PayloadTooLarge.into_response();
    }
    next.run(request).await
}

/// Logs each request at debug level (`MARKETPLACE_LOG=debug`): method, route template (never the
/// path itself, which holds webhook secrets), status and duration.
async fn log_request(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "(no route)".to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::debug!(%method, route, status = response.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
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
        .merge(customers::router())
        .merge(instances::router())
        .merge(observability::router())
        .merge(embedded::router())
        .merge(webhooks::router())
}

/// `?limit=&cursor=` of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page size, checked.
    pub fn limit(&self) -> ApiResult<i64> {
        match self.limit {
            None => Ok(50),
            Some(n) if (1..=200).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::bad_request(
                "invalid_query",
                "limit must be between 1 and 200",
            )),
        }
    }
}

/// A page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    /// A page from `limit + 1` fetched rows: the extra row says there is a next page.
    pub fn page<R>(
        mut rows: Vec<R>,
        limit: i64,
        cursor_of: impl Fn(&R) -> String,
        view: impl Fn(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(&cursor_of)
        } else {
            None
        };
        List {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// Decodes a JSON value into a body type; a shape problem is a 422 naming the field.
pub fn decode<T: DeserializeOwned>(value: serde_json::Value) -> ApiResult<T> {
    crate::extract::parse_json(&serde_json::to_vec(&value).unwrap_or_default())
}

/// A dynamic `WHERE` clause with `$N` placeholders and its arguments, in order.
#[derive(Debug, Default)]
pub struct Filter {
    clauses: Vec<String>,
    args: Vec<FilterArg>,
}

/// An argument of a [`Filter`].
#[derive(Debug, Clone)]
pub enum FilterArg {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

impl Filter {
    /// Adds a clause whose `?` marks take the given arguments, in order.
    pub fn and(&mut self, clause: &str, args: impl IntoIterator<Item = FilterArg>) -> &mut Self {
        let mut sql = String::new();
        let mut args = args.into_iter();
        for part in clause.split_inclusive('?') {
            if let Some(prefix) = part.strip_suffix('?') {
                sql.push_str(prefix);
                self.args.push(args.next().expect("one argument per ?"));
                sql.push_str(&format!("${}", self.args.len()));
            } else {
                sql.push_str(part);
            }
        }
        self.clauses.push(sql);
        self
    }

    /// Adds `clause` with one text argument when the value is present.
    pub fn and_opt(&mut self, clause: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.and(clause, [FilterArg::Text(v.to_owned())]);
        }
        self
    }

    /// The `WHERE ...` text.
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// Binds the arguments to a query, in order.
    pub fn bind<'q, O>(
        &self,
        mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>> {
        for arg in &self.args {
            query = match arg {
                FilterArg::Text(s) => query.bind(s.clone()),
                FilterArg::Int(i) => query.bind(*i),
            };
        }
        query
    }
}

/// A case-insensitive `LIKE` pattern for a substring (wildcards in the input escaped).
pub fn like_pattern(s: &str) -> String {
    let escaped = s
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Runs a page query: `SELECT ... FROM table {filter} AND id > cursor ORDER BY id LIMIT n+1`.
pub async fn fetch_page<R>(
    state: &AppState,
    select: &str,
    filter: Filter,
    page: &PageQuery,
) -> ApiResult<(Vec<R>, i64)>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    fetch_page_by(state, select, "id", filter, page).await
}

/// [`fetch_page`] for tables whose unique, ordered key column is not `id`.
pub async fn fetch_page_by<R>(
    state: &AppState,
    select: &str,
    key: &str,
    mut filter: Filter,
    page: &PageQuery,
) -> ApiResult<(Vec<R>, i64)>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let limit = page.limit()?;
    filter.and_opt(&format!("{key} > ?"), page.cursor.as_deref());
    let sql = format!(
        "{select} {} ORDER BY {key} LIMIT {}",
        filter.sql(),
        limit + 1
    );
    let rows = filter
        .bind(sqlx::query_as::<_, R>(&sql))
        .fetch_all(&state.db.read)
        .await?;
    Ok((rows, limit))
}
