//! The shared state of handlers and services: storage, settings and in-memory caches.

use crate::store::Store;
use marketplace_core::TokenPolicy;
use std::sync::Arc;

/// Settings that services read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Public base URL, for absolute webhook URLs.
    pub public_url: String,
    /// Whether deliver steps may reach private and loopback addresses.
    pub allow_private_targets: bool,
    /// Token lifetime and clock rules.
    pub token_policy: TokenPolicy,
    /// Attempts per delivery.
    pub delivery_attempts: u32,
    /// Event delivery: retries, timeouts, the vendor's answer.
    pub events: super::deliveries::EventSettings,
    /// Where emails go.
    pub mail: super::notifications::MailSettings,
    /// The bearer token of `GET /metrics` on the public listener (unset: not served there).
    pub metrics_token: Option<String>,
    /// Rate and time limits of requests.
    pub limits: Limits,
    /// How long a stopping process lets answers in flight finish, in seconds.
    pub shutdown_grace_s: u64,
    /// How long an execution's lease lasts without renewal, in milliseconds.
    pub execution_lease_ms: i64,
    /// How often listings are scored, in seconds (0: never).
    pub rescore_interval_s: u64,
}

/// Rate and time limits of requests (0 turns one off); enforced by the HTTP layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Requests a second per embedded token on the embedded API and webhook triggers (bursts of
    /// twice that).
    pub per_token: u32,
    /// Requests a second per client address on the embedded API and webhook triggers (bursts
    /// of twice that).
    pub per_ip: u32,
    /// Longest time to produce an answer, in seconds.
    pub request_timeout_s: u64,
}

impl Limits {
    /// No limit at all (tests, benchmarks).
    pub const NONE: Limits = Limits {
        per_token: 0,
        per_ip: 0,
        request_timeout_s: 0,
    };
}

/// What every handler and service shares; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    /// Storage (the database and the sealer of secrets).
    pub store: Store,
    /// Settings.
    pub settings: Settings,
    /// Verified tokens, signing keys and what tokens name.
    pub tokens: super::auth::TokenCache,
    /// Catalog snapshots per organization.
    pub catalogs: super::catalog::CatalogCache,
    /// Whether cache notifications are heard (PostgreSQL).
    pub cache_listener: super::cache_notifications::Listener,
    /// The outbound HTTP client ([`crate::egress::client`]); send with [`crate::egress::send`].
    pub http: reqwest::Client,
    /// What delivery attempts read per configuration, and the worker's wake-up.
    pub deliveries: super::deliveries::DeliveryCache,
    /// OAuth2 access tokens of deliveries, per configuration revision.
    pub oauth_tokens: super::oauth_client::TokenCache,
    /// The OpenID Provider's signing keys.
    pub sso: super::sso::SsoCache,
    /// Alert monitors per organization, indexed for the check of every occurrence.
    pub alerts: super::alerts::AlertIndex,
}

impl AppState {
    /// Builds the state.
    pub fn new(store: Store, settings: Settings) -> Self {
        crate::telemetry::install();
        let http = crate::egress::client(settings.allow_private_targets);
        let oauth_tokens = super::oauth_client::TokenCache::new(settings.allow_private_targets);
        AppState(Arc::new(Inner {
            store,
            settings,
            tokens: Default::default(),
            catalogs: Default::default(),
            cache_listener: Default::default(),
            http,
            deliveries: Default::default(),
            oauth_tokens,
            sso: Default::default(),
            alerts: Default::default(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
