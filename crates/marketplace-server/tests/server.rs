//! Integration tests of the service over real HTTP, against SQLite and (when the test command
//! provides one) PostgreSQL: every scenario runs on both.

mod server {
    mod admin;
    mod alerts;
    mod audit;
    mod auth_matrix;
    mod backup;
    mod catalog_cache;
    mod certification;
    mod commerce;
    pub(crate) mod common;
    mod connections;
    mod delivery_durability;
    mod durability;
    mod egress;
    mod embed_page;
    pub(crate) mod embedded;
    mod files;
    mod flows;
    mod key_rotation;
    pub(crate) mod mail;
    mod mappings;
    mod marketplaces;
    mod metrics;
    mod oauth_client;
    pub(crate) mod oauth_provider;
    mod openapi;
    mod partners;
    mod portal;
    mod postgres_tls;
    mod processes;
    mod requests;
    mod signatures;
    mod sso;
    mod templates;
    pub(crate) mod tenants;
    #[cfg(feature = "otel")]
    mod traces;
    mod upgrade;
    pub(crate) mod vendor_events;
    mod webhooks;
}
