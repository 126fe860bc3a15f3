//! Where the client's tokens come from, and when they are due for a refresh.

use crate::transport::BoxFuture;
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// Seconds before `exp` at which a token is refreshed.
pub const REFRESH_MARGIN_SECS: u64 = 30;

/// A callback giving a fresh token (typically asking the host's backend to sign one).
#[cfg(not(target_arch = "wasm32"))]
pub type TokenCallback = Arc<dyn Fn() -> BoxFuture<'static, Result<String, String>> + Send + Sync>;

/// A callback giving a fresh token (typically asking the host's backend to sign one).
#[cfg(target_arch = "wasm32")]
pub type TokenCallback = Arc<dyn Fn() -> BoxFuture<'static, Result<String, String>>>;

/// Where the client gets its embedded token.
#[derive(Clone)]
pub enum TokenSource {
    /// One token, used as is (no refresh: a `401` is returned to the caller).
    Fixed(String),
    /// A callback asked for a token at first use, shortly before `exp`, and after a `401`.
    Callback(TokenCallback),
}

impl TokenSource {
    /// A callback source from an async closure.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn callback<F, Fut>(f: F) -> TokenSource
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<String, String>> + Send + 'static,
    {
        TokenSource::Callback(Arc::new(move || Box::pin(f())))
    }

    /// A callback source from an async closure.
    #[cfg(target_arch = "wasm32")]
    pub fn callback<F, Fut>(f: F) -> TokenSource
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = Result<String, String>> + 'static,
    {
        TokenSource::Callback(Arc::new(move || Box::pin(f())))
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Fixed(_) => f.write_str("TokenSource::Fixed([redacted])"),
            TokenSource::Callback(_) => f.write_str("TokenSource::Callback(..)"),
        }
    }
}

/// The `exp` claim of a JWT, read from its payload without checking the signature (the
/// service checks it); `None` when the token is not a JWT or has no numeric `exp`.
pub fn token_expiry(token: &str) -> Option<u64> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_u64()
}

/// Whether a token expiring at `exp` is due for a refresh at `now` (Unix seconds).
pub fn needs_refresh(exp: Option<u64>, now: Option<u64>) -> bool {
    match (exp, now) {
        (Some(exp), Some(now)) => now.saturating_add(REFRESH_MARGIN_SECS) >= exp,
        _ => false,
    }
}

/// The current Unix time in seconds, where the platform has a clock the SDK can read.
pub(crate) fn now_secs() -> Option<u64> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs())
    }
    #[cfg(target_arch = "wasm32")]
    {
        Some((js_sys::Date::now() / 1000.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            b64.encode(r#"{"alg":"RS256"}"#),
            b64.encode(payload)
        )
    }

    #[test]
    fn expiry_is_read_from_the_payload() {
        assert_eq!(
            token_expiry(&jwt(r#"{"exp":1700000000}"#)),
            Some(1_700_000_000)
        );
        assert_eq!(token_expiry(&jwt(r#"{"sub":"u"}"#)), None);
        assert_eq!(token_expiry("not a jwt"), None);
        assert_eq!(token_expiry("a.%%%.c"), None);
    }

    #[test]
    fn refresh_is_due_within_the_margin() {
        assert!(!needs_refresh(Some(1000), Some(969)));
        assert!(needs_refresh(Some(1000), Some(970)));
        assert!(needs_refresh(Some(1000), Some(2000)));
        assert!(!needs_refresh(None, Some(2000)));
        assert!(!needs_refresh(Some(1000), None));
    }
}
