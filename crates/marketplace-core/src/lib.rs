//! The pure domain of the embeddable integration marketplace.
//!
//! A tour, in the order a vendor meets it:
//! - [`spec`]: config specs (pages of typed variables) and their parsing, every problem at once;
//!   [`compiled`] makes a spec ready for fast validation.
//! - [`values`]: a customer's (or host's, or vendor's) values checked against a spec;
//!   [`config`] layers defaults, vendor-set and customer values and masks secrets;
//!   [`json_schema`] exports the customer-visible spec as JSON Schema 2020-12; [`json_view`] is
//!   what the validator reads of a JSON value (serde_json's, or another reader's view).
//! - [`flow`]: the flows a version runs (receive, map, deliver) and the mapping step itself;
//!   [`routing`]: which customer a shared webhook call names; [`redaction`]: what an
//!   execution's step records may show; `schedule` (feature `schedule`): when a scheduled flow
//!   ticks.
//! - [`mapping`]: record types (a JSON Schema subset), collections of field, static,
//!   translation and formula mappings with their tests, the one `apply` behind previews, flows
//!   and tests, per-instance overrides and what an upgrade carries of them.
//! - [`integration`]: integrations and their semver versions, draft and published.
//! - [`listing`], [`deployability`] and [`catalog`]: what the marketplace offers a customer.
//! - [`customer`] and [`permission`]: customers, their users and who may do what;
//!   [`api_key`]: what an admin API key may do by its role (admin, reviewer), and who may decide
//!   what someone filed;
//!   [`attachment`]: the files a customer keeps (attachments, avatars) and what is accepted.
//! - [`instance`]: an activated integration and its state machine; what an activation or a
//!   reconfiguration accepts; upgrades.
//! - [`template`]: workflow templates (a reviewed, ready-made setup of a published version) and
//!   one-click activation.
//! - [`event`]: the record every state change leaves; [`event_config`]: where and how the vendor
//!   receives events (working and published snapshots) and which configuration an event goes to;
//!   [`delivery`]: what a delivery attempt decides (retry, dead letter), its payload and its
//!   Standard Webhooks signature.
//! - [`monitor`]: alert monitors: their checked body, which occurrences fire them, one alert per
//!   window.
//! - [`connection`]: OAuth2 authorization-code connections: the vendor's app, a connection's
//!   status, PKCE and state from passed-in bytes, when tokens are refreshed.
//! - [`token`]: the embedded token's claims; [`sso`]: bookmark links, the claims of the ID
//!   tokens the service issues as an OpenID Provider, and the PKCE check.
//! - [`portal`]: the customer portal's sign-in rules (passwords, invitation and session
//!   lifetimes, lockout, pinned roles).
//! - [`commerce`]: a listing's price (exact amounts in an ISO 4217 currency) and its score
//!   (deductions from reviews, cancellations and unsupported application versions, which hide
//!   and then delist it).
//! - [`organization`]: the vendor's settings: origins allowed to embed, the page's theme;
//!   [`page_rules`]: the data of these rules that a page without core needs.
//!
//! Architecture invariant: nothing here does I/O, reads a clock or draws randomness; time and
//! ids are passed in. The crate builds for wasm32 unchanged.

pub mod api_key;
pub mod attachment;
pub mod catalog;
pub mod certification;
pub mod commerce;
pub mod compiled;
pub mod config;
pub mod connection;
pub mod customer;
pub mod delivery;
pub mod deployability;
pub mod error;
pub mod event;
pub mod event_config;
mod fields;
pub mod flow;
pub mod formats;
pub mod ids;
pub mod instance;
pub mod integration;
pub mod json_schema;
pub mod json_view;
pub mod listing;
pub mod mapping;
pub mod marketplace;
pub mod monitor;
pub mod organization;
pub mod page_rules;
pub mod permission;
pub mod pointer;
pub mod portal;
pub mod redaction;
pub mod routing;
#[cfg(feature = "schedule")]
pub mod schedule;
pub mod spec;
pub mod sso;
pub mod template;
pub mod token;
pub mod values;

pub use catalog::{
    Catalog, CatalogEntry, CatalogFilter, CatalogListing, CustomerContext, VendorValues,
};
pub use certification::{Tier, TierReport, tier};
pub use compiled::CompiledSpec;
pub use config::{
    Audience, accept_vendor_values, effective_config, is_masked, mask_secrets, masked_secret,
    merge_update, read_view,
};
pub use customer::{Customer, CustomerUser, Role};
pub use deployability::{Deployability, DeployabilityReason, DeployabilityStatus, ReasonCode};
pub use error::{FieldError, FieldErrorCode, FieldErrors};
pub use event::{Event, EventType};
pub use flow::Flow;
pub use ids::{
    ApplicationId, CustomerId, InstanceId, IntegrationId, MarketplaceId, OrganizationId,
    ProviderId, TenantId, UserId,
};
pub use instance::{
    Instance, InstanceStatus, Submission, TransitionError, UnknownStatus, UpgradeReport,
    accept_activation, accept_reconfiguration, validate_update,
};
pub use integration::{Integration, IntegrationVersion, VersionState};
pub use json_schema::to_json_schema;
pub use listing::Listing;
pub use mapping::{RecordType, accept_record_type, apply_mappings, validate_collection};
pub use marketplace::{Marketplace, Tenant, visible};
pub use organization::{
    ACCENT_PATTERN, THEME_NAMES, Theme, check_origins, check_theme, is_accent_colour, is_theme_name,
};
pub use page_rules::page_rules;
pub use permission::{Action, Actor, Decision, authorize};
pub use portal::{InvitationPurpose, LoginFailures, effective_role};
pub use spec::{ConfigSpec, Variable, VariableType, Visibility};
pub use token::{EmbeddedClaims, TokenError, TokenPolicy};
pub use values::{
    Completeness, Editor, ValidationOptions, validate_config, validate_map, validate_view,
};
