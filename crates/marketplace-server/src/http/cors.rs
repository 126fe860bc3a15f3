//! CORS for the embedded API: a native JS marketplace runs on the host's origin, so the embedded
//! API answers cross-origin requests from origins some organization or marketplace allows. The
//! embedded extractor then checks the origin against the token's own organization and
//! marketplace (an origin only another marketplace allows is 403 `origin_not_allowed`).

use crate::error::ApiError;
use crate::service::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key, x-request-id";
const ALLOWED_METHODS: &str = "GET, POST, PATCH, DELETE, OPTIONS";

/// The middleware.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let embedded = request.uri().path().starts_with("/api/v1/embedded/");
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_owned);
    let Some(origin) = origin.filter(|_| embedded) else {
        return next.run(request).await;
    };
    let allowed = match crate::service::auth::is_known_origin(&state, &origin).await {
        Ok(allowed) => allowed,
        Err(e) => {
            tracing::error!(error = %e, "could not load allowed origins");
            false
        }
    };
    if request.method() == Method::OPTIONS {
        if !allowed {
            return ApiError::forbidden(
                "origin_not_allowed",
                "this origin may not call the embedded API",
            )
            .into_response();
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
        add_origin(&mut response, &origin);
        return response;
    }
    let mut response = next.run(request).await;
    if allowed {
        add_origin(&mut response, &origin);
    }
    response
}

fn add_origin(response: &mut Response, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("content-type, x-request-id"),
        );
    }
}
