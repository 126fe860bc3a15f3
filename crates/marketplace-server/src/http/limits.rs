//! Limits around every request: rate limits on the embedded API and the webhook triggers (per
//! embedded token and per client address, a 429 problem with `Retry-After`), and a time limit on
//! producing an answer (a 503 problem). Each is a flag with an environment variable
//! (`--rate-limit-per-token`, `--rate-limit-per-ip`, `--request-timeout-s`; 0 turns one off).

use crate::error::ApiError;
use crate::service::state::Limits;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The paths the rate limits guard: what customers' browsers and the world call.
const LIMITED_PREFIXES: [&str; 2] = ["/api/v1/embedded/", "/webhooks/"];

/// Checks between two sweeps of the limiters' idle keys.
const SWEEP_EVERY: u64 = 4096;

/// The limiters and the time limit, built once from the settings.
pub struct Limiters {
    per_token: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    timeout: Option<Duration>,
    checks: AtomicU64,
    /// One clock for the whole process: making one runs CPUID, which a virtual machine traps
    /// (it cost about a quarter of the CPU of a catalog read when made per request).
    clock: DefaultClock,
}

/// A keyed limiter of `per_second` requests a second, with bursts of twice that.
fn limiter<K: std::hash::Hash + Eq + Clone>(per_second: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    let rate = NonZeroU32::new(per_second)?;
    let burst = NonZeroU32::new(per_second.saturating_mul(2))?;
    Some(DefaultKeyedRateLimiter::keyed(
        Quota::per_second(rate).allow_burst(burst),
    ))
}

impl Limiters {
    /// The limiters of these settings.
    pub fn new(limits: &Limits) -> Arc<Self> {
        Arc::new(Limiters {
            per_token: limiter(limits.per_token),
            per_ip: limiter(limits.per_ip),
            timeout: (limits.request_timeout_s > 0)
                .then(|| Duration::from_secs(limits.request_timeout_s)),
            checks: AtomicU64::new(0),
            clock: DefaultClock::default(),
        })
    }

    /// Whether a request from `ip` with `token` may go on; else how long until it may.
    fn admit(&self, ip: Option<IpAddr>, token: Option<&str>) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        if let (Some(limiter), Some(ip)) = (&self.per_ip, ip) {
            limiter
                .check_key(&ip)
                .map_err(|later| later.wait_time_from(self.clock.now()))?;
        }
        if let (Some(limiter), Some(token)) = (&self.per_token, token) {
            limiter
                .check_key(&token.to_owned())
                .map_err(|later| later.wait_time_from(self.clock.now()))?;
        }
        Ok(())
    }

    /// Forgets keys whose limit has refilled, so memory follows the active clients.
    fn sweep(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.per_token {
            limiter.retain_recent();
        }
    }
}

/// The middleware: rate limits on the guarded paths, then the time limit on every request.
pub async fn enforce(
    State(limiters): State<Arc<Limiters>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if LIMITED_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        let ip = request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(peer)| peer.ip());
        let token = request
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if let Err(wait) = limiters.admit(ip, token) {
            return ApiError::TooManyRequests {
                code: "rate_limited",
                detail: "too many requests: slow down and retry after the time in Retry-After"
                    .into(),
                retry_after_s: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
            .into_response();
        }
    }
    match limiters.timeout {
        None => next.run(request).await,
        Some(limit) => match tokio::time::timeout(limit, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::Unavailable {
                code: "request_timeout",
                detail: format!(
                    "the answer took longer than {} s: retry later",
                    limit.as_secs()
                ),
            }
            .into_response(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A route answering after `delay`, behind the limits with a 1 s time limit.
    fn slow_app(delay: Duration) -> Router {
        let limits = Limits {
            request_timeout_s: 1,
            ..Limits::NONE
        };
        Router::new()
            .route(
                "/slow",
                get(move || async move {
                    tokio::time::sleep(delay).await;
                    "done"
                }),
            )
            .layer(axum::middleware::from_fn_with_state(
                Limiters::new(&limits),
                enforce,
            ))
    }

    async fn call(app: Router) -> (u16, serde_json::Value) {
        let request = Request::get("/slow").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_over_the_time_limit_is_a_503_problem() {
        let (status, problem) = call(slow_app(Duration::from_secs(5))).await;
        assert_eq!(status, 503);
        assert_eq!(problem["code"], "request_timeout");
        let (status, _) = call(slow_app(Duration::from_millis(900))).await;
        assert_eq!(status, 200, "an answer within the limit goes through");
    }
}
