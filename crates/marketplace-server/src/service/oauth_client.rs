//! OAuth2 client credentials for deliveries: access tokens fetched from a vendor's token
//! endpoint (HTTP Basic client authentication, through the guarded [`crate::egress`] client) and
//! cached per (event configuration id, revision) until 60 s before they expire.
//!
//! Single flight: concurrent callers for one key wait for one fetch (an async mutex per key),
//! and callers that waited for a fetch use its token even when it lives less than the margin.

use crate::egress;
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AsyncHttpClient, ClientId, ClientSecret, HttpRequest, HttpResponse, RequestTokenError, Scope,
    TokenResponse, TokenUrl,
};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A cached token is used until this long before it expires.
pub const EXPIRY_MARGIN_MS: i64 = 60_000;
/// How long a token whose response gives no `expires_in` is kept.
pub const UNKNOWN_LIFETIME_MS: i64 = 3_600_000;
/// How long one token request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of a token endpoint's answer is read.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// How much of an error body a [`TokenError`] quotes.
const EXCERPT_CHARS: usize = 200;

/// Cached access tokens per (event configuration id, revision), until 60 s before expiry, with
/// single flight per key; `invalidate` drops one key (after a 401).
#[derive(Debug, Default)]
pub struct TokenCache {
    /// Whether token endpoints may be private addresses (the service's setting); `Default` is
    /// `false`.
    allow_private: bool,
    entries: Mutex<HashMap<(String, i64), Slot>>,
}

/// One key's token, locked while it is fetched (single flight).
type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// What a token fetch needs.
#[derive(Debug, Clone, Copy)]
pub struct ClientCredentials<'a> {
    /// The token endpoint.
    pub token_url: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The client secret (sent with HTTP Basic).
    pub client_secret: &'a str,
    /// The `scope` parameter, space-separated, if any.
    pub scope: Option<&'a str>,
}

/// Why no token: the endpoint's error (status and excerpt), or transport (blocked, timeout).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TokenError {
    /// What went wrong, lower-case, for delivery logs.
    pub message: String,
    /// Whether the guard refused the token endpoint (a private address).
    pub blocked: bool,
}

impl TokenError {
    fn new(message: impl Into<String>) -> Self {
        TokenError {
            message: message.into(),
            blocked: false,
        }
    }
}

/// A fetched token.
#[derive(Debug)]
struct Cached {
    token: AccessToken,
    /// The `now_ms` of the call that fetched it.
    fetched_at_ms: i64,
    expires_at_ms: i64,
}

/// An access token; `Debug` does not print it.
struct AccessToken(String);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken([redacted])")
    }
}

impl TokenCache {
    /// An empty cache whose token endpoints may be private addresses only if `allow_private`
    /// (pass the service's setting; the client must be [`egress::client`] with the same value).
    pub fn new(allow_private: bool) -> Self {
        TokenCache {
            allow_private,
            entries: Mutex::default(),
        }
    }

    /// The access token for `key` (event configuration id, revision): the cached one while it
    /// lives more than 60 s after `now_ms`, else a new one from the token endpoint.
    #[tracing::instrument(name = "oauth_client::token", level = "debug", skip_all)]
    pub async fn token(
        &self,
        http: &reqwest::Client,
        key: (&str, i64),
        credentials: &ClientCredentials<'_>,
        now_ms: i64,
    ) -> Result<String, TokenError> {
        let slot = self
            .entries
            .lock()
            .expect("token cache lock")
            .entry((key.0.to_owned(), key.1))
            .or_default()
            .clone();
        let mut slot = slot.lock().await;
        if let Some(cached) = slot.as_ref() {
            let lives = now_ms < cached.expires_at_ms - EXPIRY_MARGIN_MS;
            // Fetched by a call that started no earlier than this one: this caller waited for
            // that fetch, so it takes the token rather than fetching again.
            let just_fetched = cached.fetched_at_ms >= now_ms && now_ms < cached.expires_at_ms;
            if lives || just_fetched {
                return Ok(cached.token.0.clone());
            }
        }
        let (token, lifetime) = fetch(http, credentials, self.allow_private).await?;
        let lifetime_ms = lifetime.map_or(UNKNOWN_LIFETIME_MS, |lifetime| {
            i64::try_from(lifetime.as_millis()).unwrap_or(i64::MAX)
        });
        *slot = Some(Cached {
            token: AccessToken(token.clone()),
            fetched_at_ms: now_ms,
            expires_at_ms: now_ms.saturating_add(lifetime_ms),
        });
        Ok(token)
    }

    /// Drops the token of `key` (after the target answered 401), so the next call fetches.
    pub fn invalidate(&self, key: (&str, i64)) {
        self.entries
            .lock()
            .expect("token cache lock")
            .remove(&(key.0.to_owned(), key.1));
    }
}

/// Requests a token with the client credentials grant: the token and its lifetime, if given.
async fn fetch(
    http: &reqwest::Client,
    credentials: &ClientCredentials<'_>,
    allow_private: bool,
) -> Result<(String, Option<Duration>), TokenError> {
    let token_url = TokenUrl::new(credentials.token_url.to_owned())
        .map_err(|e| TokenError::new(format!("the token URL is not valid: {e}")))?;
    let client = BasicClient::new(ClientId::new(credentials.client_id.to_owned()))
        .set_client_secret(ClientSecret::new(credentials.client_secret.to_owned()))
        .set_token_uri(token_url);
    let mut request = client.exchange_client_credentials();
    if let Some(scope) = credentials.scope.filter(|s| !s.is_empty()) {
        request = request.add_scope(Scope::new(scope.to_owned()));
    }
    let transport = Transport {
        http,
        allow_private,
        status: Mutex::default(),
    };
    let response: BasicTokenResponse = request
        .request_async(&transport)
        .await
        .map_err(|error| transport.describe(error))?;
    Ok((
        response.access_token().secret().clone(),
        response.expires_in(),
    ))
}

/// oauth2's HTTP client over the guarded reqwest client; remembers the last status, which
/// oauth2's errors do not carry. Also used by authorization-code connections
/// ([`crate::service::connections`]).
pub(crate) struct Transport<'a> {
    http: &'a reqwest::Client,
    allow_private: bool,
    status: Mutex<Option<reqwest::StatusCode>>,
}

pub(crate) type TokenRequestError = RequestTokenError<egress::SendError, BasicErrorResponse>;

impl<'a> Transport<'a> {
    /// A transport over the guarded client (`allow_private`: the service's setting).
    pub(crate) fn new(http: &'a reqwest::Client, allow_private: bool) -> Self {
        Transport {
            http,
            allow_private,
            status: Mutex::default(),
        }
    }
}

impl Transport<'_> {
    /// A [`TokenError`] naming the endpoint's status and quoting its answer.
    pub(crate) fn describe(&self, error: TokenRequestError) -> TokenError {
        let status = *self.status.lock().expect("status lock");
        let answered = |detail: &str| match status {
            Some(status) => format!("the token endpoint answered {status}: {detail}"),
            None => format!("the token endpoint answered: {detail}"),
        };
        match error {
            RequestTokenError::Request(error) => TokenError {
                blocked: error.is_blocked(),
                message: format!("the token endpoint did not answer: {error}"),
            },
            RequestTokenError::ServerResponse(response) => {
                TokenError::new(answered(&excerpt(&response.to_string())))
            }
            RequestTokenError::Parse(error, _) if status.is_some_and(|s| s.is_success()) => {
                TokenError::new(format!(
                    "the token response is not valid: {}",
                    excerpt(&error.to_string())
                ))
            }
            RequestTokenError::Parse(_, body) => {
                TokenError::new(answered(&excerpt(&String::from_utf8_lossy(&body))))
            }
            RequestTokenError::Other(detail) => TokenError::new(answered(&detail)),
        }
    }
}

impl<'c> AsyncHttpClient<'c> for Transport<'_> {
    type Error = egress::SendError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| egress::SendError::Request(e.without_url()))?;
            let request = reqwest::RequestBuilder::from_parts(self.http.clone(), request)
                .timeout(REQUEST_TIMEOUT);
            let response = egress::send(self.http, request, self.allow_private).await?;
            let status = response.status();
            *self.status.lock().expect("status lock") = Some(status);
            let mut answer = HttpResponse::new(Vec::new());
            *answer.status_mut() = status;
            *answer.headers_mut() = response.headers().clone();
            // A token answer is small: the rest of a longer body is not read.
            let mut response = response;
            let body = answer.body_mut();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| egress::SendError::Request(e.without_url()))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BODY_BYTES {
                    body.truncate(MAX_BODY_BYTES);
                    break;
                }
            }
            Ok(answer)
        })
    }
}

/// The start of a text, on one line.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(EXCERPT_CHARS) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line,
    }
}
