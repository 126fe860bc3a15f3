//! The shared state of handlers: storage, sealing, settings and in-memory caches.

use crate::crypto::Sealer;
use crate::db::Db;
use marketplace_core::TokenPolicy;
use std::sync::Arc;

/// Settings that handlers read.
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
}

/// What every handler shares; cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState(Arc<Inner>);

/// The contents of [`AppState`].
#[derive(Debug)]
pub struct Inner {
    /// Storage.
    pub db: Db,
    /// Sealing of configs.
    pub sealer: Sealer,
    /// Settings.
    pub settings: Settings,
    /// Verified tokens and signing keys.
    pub tokens: crate::auth::TokenCache,
    /// Catalog snapshots per organization.
    pub catalogs: crate::catalog::CatalogCache,
    /// HTTP client of deliver steps.
    pub http: reqwest::Client,
}

impl AppState {
    /// Builds the state.
    pub fn new(db: Db, sealer: Sealer, settings: Settings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with default TLS");
        AppState(Arc::new(Inner {
            db,
            sealer,
            settings,
            tokens: Default::default(),
            catalogs: Default::default(),
            http,
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
