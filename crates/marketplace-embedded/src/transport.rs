//! Plain HTTP requests behind a trait, so the client runs over `reqwest` natively and over the
//! platform's `fetch` on wasm32 (browsers, workers, Node), and tests can wrap or replace it.

use crate::error::Result;
use std::pin::Pin;

/// A boxed future; `Send` off wasm32, where executors move tasks between threads.
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A boxed future; `Send` off wasm32, where executors move tasks between threads.
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The HTTP methods the embedded API uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request: method, absolute URL, headers and an optional body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The absolute URL, query included.
    pub url: String,
    /// Header names and values.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
}

/// A response: status, headers (names lower-case) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lower-case) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends HTTP requests; fails only when no response arrived (an error status is a response).
#[cfg(not(target_arch = "wasm32"))]
pub trait Transport: Send + Sync {
    /// Sends one request.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>>;
}

/// Sends HTTP requests; fails only when no response arrived (an error status is a response).
#[cfg(target_arch = "wasm32")]
pub trait Transport {
    /// Sends one request.
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>>;
}

/// The native transport, over a `reqwest` client (rustls).
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone, Default)]
pub struct ReqwestTransport {
    client: reqwest::Client,
}

#[cfg(not(target_arch = "wasm32"))]
impl ReqwestTransport {
    /// A transport over a default client.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transport over a configured client (timeouts, proxies).
    pub fn with_client(client: reqwest::Client) -> Self {
        Self { client }
    }
}

#[cfg(not(target_arch = "wasm32"))]
impl Transport for ReqwestTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        Box::pin(async move {
            let method = match request.method {
                Method::Get => reqwest::Method::GET,
                Method::Post => reqwest::Method::POST,
                Method::Put => reqwest::Method::PUT,
                Method::Patch => reqwest::Method::PATCH,
                Method::Delete => reqwest::Method::DELETE,
            };
            let mut builder = self.client.request(method, &request.url);
            for (name, value) in &request.headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            if let Some(body) = request.body {
                builder = builder.body(body);
            }
            let response = builder
                .send()
                .await
                .map_err(|e| crate::Error::Transport(e.to_string()))?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            let body = response
                .bytes()
                .await
                .map_err(|e| crate::Error::Transport(e.to_string()))?
                .to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        })
    }
}

/// The wasm32 transport, over the global `fetch` (gloo-net): browsers, workers and Node.
#[cfg(target_arch = "wasm32")]
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchTransport;

#[cfg(target_arch = "wasm32")]
impl Transport for FetchTransport {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<HttpResponse>> {
        use gloo_net::http::{Method as FetchMethod, RequestBuilder};
        Box::pin(async move {
            let method = match request.method {
                Method::Get => FetchMethod::GET,
                Method::Post => FetchMethod::POST,
                Method::Put => FetchMethod::PUT,
                Method::Patch => FetchMethod::PATCH,
                Method::Delete => FetchMethod::DELETE,
            };
            let mut builder = RequestBuilder::new(&request.url).method(method);
            for (name, value) in &request.headers {
                builder = builder.header(name, value);
            }
            let transport = |e: gloo_net::Error| crate::Error::Transport(e.to_string());
            let sent = match request.body {
                Some(body) => {
                    let bytes = js_sys::Uint8Array::from(body.as_slice());
                    builder.body(bytes).map_err(transport)?
                }
                None => builder.build().map_err(transport)?,
            };
            let response = sent.send().await.map_err(transport)?;
            Ok(HttpResponse {
                status: response.status(),
                headers: response.headers().entries().collect(),
                body: response.binary().await.map_err(transport)?,
            })
        })
    }
}
