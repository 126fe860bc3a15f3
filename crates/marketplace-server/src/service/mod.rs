//! The application services: one module per family of use cases. They apply core's rules to
//! stored data through the storage layer, and keep the in-memory caches true; they know nothing
//! of HTTP (the `http` layer calls them and turns their results into wire types).
//!
//! Each change is stored with its event in one transaction ([`crate::store::Store::begin`]).

pub mod activity;
pub mod alerts;
pub mod auth;
pub mod cache_notifications;
pub mod catalog;
pub mod certification;
pub mod connections;
pub mod customers;
pub mod deliveries;
pub mod event_configurations;
pub mod files;
pub mod icons;
pub mod instances;
pub mod integrations;
pub mod mappings;
pub mod marketplaces;
pub mod notifications;
pub mod oauth_client;
pub mod organization;
pub mod partners;
pub mod portal;
pub mod providers;
pub mod reviews;
pub mod runner;
pub mod scheduler;
pub mod scoring;
pub mod scrape;
pub mod shared_webhooks;
pub mod sso;
pub mod state;
pub mod subscriptions;
pub mod templates;
pub mod tenants;
pub mod vendor;
