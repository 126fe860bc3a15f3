//! The Rust SDK of the embedded marketplace: a typed client of the embedded API.
//!
//! A tour:
//! - [`Marketplace`] ([`client`]): one typed async method per embedded endpoint (catalog,
//!   details, validation, activation, the customer's instances, test runs, logs, executions).
//!   Writes are validated locally through `marketplace-core` first; the server stays the
//!   authority.
//! - [`TokenSource`] ([`token`]): a fixed token or a callback asked for a fresh one; tokens are
//!   refreshed shortly before `exp` and once more after a `401`.
//! - [`Transport`] ([`transport`]): plain HTTP requests behind a trait; `ReqwestTransport`
//!   off wasm32, `FetchTransport` on wasm32.
//! - [`endpoint`]: each endpoint as a value (method, path, query, body, answer type), sent by
//!   [`Marketplace::call`];
//! - [`wire`]: the request and response bodies, re-exported from `marketplace-api` (the service's
//!   own wire contract, [`api`]); [`Error`] ([`error`]): one error for all calls.
//! - `HostTokenSigner` (feature `signer`, native only): signs tokens in the host's backend.
//!
//! ```no_run
//! # async fn run() -> marketplace_embedded::Result<()> {
//! use marketplace_embedded::{Marketplace, TokenSource, wire::MarketplaceQuery};
//! use serde_json::json;
//!
//! let client = Marketplace::new(
//!     "https://marketplace.example",
//!     TokenSource::Fixed("<token signed by the host>".into()),
//! );
//! let catalog = client.catalog(&MarketplaceQuery::default()).await?;
//! let id = &catalog.items[0].integration_id;
//! let config = json!({"account_code": "ABC-1234"});
//! let instance = client.activate(id, None, &config, Some("request-1")).await?;
//! client.pause(&instance.id).await?;
//! # Ok(())
//! # }
//! ```
//!
//! Off wasm32 every future is `Send`; on wasm32 the client runs over `fetch` (`FetchTransport`,
//! gloo-net), for Rust front ends (`examples/wasm-sdk`).

pub mod client;
pub mod endpoint;
pub mod error;
#[cfg(all(feature = "signer", not(target_arch = "wasm32")))]
pub mod signer;
pub mod token;
pub mod transport;
pub mod wire;

pub use client::Marketplace;
pub use error::{Error, Result};
pub use marketplace_api as api;
#[cfg(all(feature = "signer", not(target_arch = "wasm32")))]
pub use signer::{HostClaims, HostTokenSigner};
pub use token::{TokenCallback, TokenSource, token_expiry};
#[cfg(target_arch = "wasm32")]
pub use transport::FetchTransport;
#[cfg(not(target_arch = "wasm32"))]
pub use transport::ReqwestTransport;
pub use transport::{BoxFuture, HttpRequest, HttpResponse, Method, Transport};
