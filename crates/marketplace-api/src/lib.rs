//! The wire contract of the marketplace's API: every request and response body, query and
//! problem, once, for the service that sends them and every client that reads them.
//!
//! A tour, one module per resource:
//! - [`common`]: a page of a list ([`Page`], [`PageQuery`]), the problem every error answers
//!   with ([`Problem`]), field errors ([`FieldError`]) and deployability ([`Deployability`]).
//! - [`organization`], [`api_keys`], [`signing_keys`]: the vendor's settings and credentials.
//! - [`integrations`] and [`spec`]: integrations, their versions, and a version's content (the
//!   config spec and the flows); [`marketplaces`]: the organization's marketplaces;
//!   [`listings`]: what each marketplace offers.
//! - [`customers`]: customers, their users and vendor-set values; [`attachments`]: their files;
//!   [`instances`]: activated integrations, shared by the admin and the embedded API.
//! - [`connections`]: OAuth2 authorization-code connections (authorize, callback messages).
//! - [`portal`]: the customer portal's invitations, sign-in, password resets and session.
//! - [`observability`]: logs, executions and events; [`embedded`]: the customer's catalog,
//!   validation and test runs; [`webhooks`]: the flow triggers' answers and shared webhook
//!   triggers.
//! - [`event_configurations`]: where and how the vendor hears of changes; [`deliveries`]: each
//!   notification and its attempts; [`vendor`]: the vendor's own API (token, events, results);
//!   [`sso`]: the service as an OpenID Provider (client secrets, discovery, tokens, keys).
//! - [`alert_monitors`]: what the vendor watches and where its alerts go.
//! - [`templates`]: workflow templates, their review, and one-click activation.
//! - [`certification`]: providers, applications, an integration's profile, a version's
//!   supported applications, connection tests, tiers and certification requests.
//! - [`mappings`]: record types, a version's mapping collections, previews and an instance's
//!   overrides.
//!
//! Rules the types follow:
//! - Request bodies refuse unknown fields (`deny_unknown_fields`); responses accept them, so an
//!   older client reads a newer service.
//! - Every enumerated string is a `#[non_exhaustive]` enum with an `Other(String)` variant: a
//!   value this version does not know decodes to `Other`, kept as sent.
//! - Timestamps are RFC 3339 strings; config values are JSON objects (their shape is the spec's).
//! - Conversions from `marketplace-core`'s domain types live here (core does not know this
//!   crate); [`spec::ConfigSpec::compile`] turns a received spec back into core's, for local
//!   validation.
//! - Feature `schema`: OpenAPI schemas (utoipa) of every type, for the service's document.

#[macro_use]
mod query;
#[macro_use]
mod wire_enum;

pub mod alert_monitors;
pub mod api_keys;
pub mod attachments;
pub mod certification;
pub mod commerce;
pub mod common;
pub mod connections;
pub mod customers;
pub mod deliveries;
pub mod embedded;
pub mod event_configurations;
pub mod instances;
pub mod integrations;
pub mod listings;
pub mod mappings;
pub mod marketplaces;
pub mod observability;
pub mod organization;
pub mod partners;
pub mod portal;
pub mod signing_keys;
pub mod spec;
pub mod sso;
pub mod templates;
pub mod tenants;
pub mod vendor;
pub mod webhooks;

pub use common::{
    Deployability, DeployabilityReason, DeployabilityStatus, FieldError, FieldErrorCode, Page,
    PageQuery, Problem, ReasonCode,
};

#[cfg(test)]
mod test_support;

#[cfg(all(test, feature = "schema"))]
mod schema_tests {
    use serde_json::Value;
    use utoipa::OpenApi;

    /// Every response and request body, with what they reference.
    #[derive(OpenApi)]
    #[openapi(components(schemas(
        Problem,
        organization::OrganizationView,
        organization::OrganizationPatch,
        api_keys::NewApiKey,
        api_keys::ApiKeyCreate,
        signing_keys::SigningKeyView,
        signing_keys::SigningKeyCreate,
        integrations::IntegrationView,
        integrations::IntegrationBody,
        integrations::VersionView,
        integrations::VersionCreate,
        integrations::VersionReplace,
        listings::ListingView,
        listings::ListingBody,
        marketplaces::MarketplaceView,
        marketplaces::MarketplaceBody,
        marketplaces::MarketplacePatch,
        marketplaces::PublishBody,
        customers::CustomerView,
        customers::CustomerBody,
        customers::CustomerConfigView,
        customers::CustomerConfigBody,
        customers::UserView,
        customers::UserPatch,
        attachments::AttachmentView,
        attachments::AttachmentUpload,
        attachments::FileBytes,
        instances::InstanceView,
        instances::ActivationBody,
        instances::ReconfigureBody,
        instances::UpgradeBody,
        instances::UpgradeResult,
        instances::LaunchUrl,
        observability::LogView,
        observability::ExecutionView,
        observability::EventView,
        embedded::MarketplaceEntry,
        embedded::MarketplaceDetail,
        embedded::ValidateBody,
        embedded::ValidateResult,
        embedded::TestBody,
        webhooks::Accepted,
        event_configurations::EventConfigurationView,
        event_configurations::NewEventConfiguration,
        event_configurations::EventConfigurationCreate,
        event_configurations::EventConfigurationPatch,
        event_configurations::EventSnapshotBody,
        event_configurations::SigningSecretView,
        event_configurations::NewInboundClient,
        event_configurations::PingBody,
        event_configurations::PingResults,
        event_configurations::EventConfigurationLink,
        deliveries::DeliveryView,
        deliveries::DeliveryDetail,
        vendor::VendorTokenRequest,
        vendor::VendorToken,
        vendor::VendorResultBody,
        sso::SsoClientSecret,
        sso::OpenIdConfiguration,
        sso::OidcTokenRequest,
        sso::OidcTokens,
        sso::JwkSet,
        sso::UserInfo,
        portal::InvitationCreate,
        portal::NewInvitation,
        portal::InvitationView,
        portal::AcceptBody,
        portal::LoginBody,
        portal::PasswordResetBody,
        portal::SessionView,
        templates::TemplateCreate,
        templates::TemplateView,
        templates::DecisionBody,
        templates::EmbeddedActivationBody,
        mappings::RecordTypeView,
        mappings::RecordTypeBody,
        mappings::CollectionView,
        mappings::MappingCollection,
        mappings::CollectionValidateBody,
        mappings::CollectionValidation,
        mappings::PreviewBody,
        mappings::PreviewResult,
        mappings::InstanceMappingsView,
        mappings::InstanceMappingsBody,
        certification::ProviderBody,
        certification::ProviderView,
        certification::ApplicationBody,
        certification::ApplicationView,
        certification::ApplicationVersionView,
        certification::SupportedApplication,
        certification::ConnectionTestBody,
        certification::ConnectionTestResult,
        certification::TierView,
        certification::CertificationRequestBody,
        certification::CertificationRequestView,
    )))]
    struct Doc;

    use crate::*;

    fn schemas() -> Value {
        serde_json::to_value(Doc::openapi()).unwrap()["components"]["schemas"].clone()
    }

    /// Paths of object schemas that say nothing of their contents (no properties, no
    /// additionalProperties, no reference).
    fn untyped_objects(path: &str, schema: &Value, out: &mut Vec<String>) {
        if let Some(map) = schema.as_object() {
            let is_object = match map.get("type") {
                Some(Value::String(t)) => t == "object",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            let described = [
                "properties",
                "additionalProperties",
                "$ref",
                "oneOf",
                "allOf",
            ]
            .iter()
            .any(|k| map.contains_key(*k));
            if is_object && !described {
                out.push(path.to_owned());
            }
            for (key, value) in map {
                untyped_objects(&format!("{path}/{key}"), value, out);
            }
        } else if let Some(items) = schema.as_array() {
            for (i, value) in items.iter().enumerate() {
                untyped_objects(&format!("{path}/{i}"), value, out);
            }
        }
    }

    #[test]
    fn only_free_form_data_is_an_untyped_object() {
        let mut found = Vec::new();
        untyped_objects("", &schemas(), &mut found);
        assert_eq!(found, ["/EventView/properties/data"]);
    }

    #[test]
    fn nested_shapes_are_references_and_enums_list_their_values() {
        let s = schemas();
        let reference = |schema: &str, pointer: &str| {
            s[schema]
                .pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        assert_eq!(
            reference("VersionView", "/properties/config/$ref").as_deref(),
            Some("#/components/schemas/ConfigSpec")
        );
        assert_eq!(
            reference("VersionView", "/properties/flows/items/$ref").as_deref(),
            Some("#/components/schemas/Flow")
        );
        assert_eq!(
            reference("ExecutionView", "/properties/steps/items/$ref").as_deref(),
            Some("#/components/schemas/ExecutionStep")
        );
        assert_eq!(
            reference("UpgradeResult", "/properties/report/$ref").as_deref(),
            Some("#/components/schemas/UpgradeReport")
        );
        assert_eq!(
            reference("Problem", "/properties/errors/items/$ref").as_deref(),
            Some("#/components/schemas/FieldError")
        );
        assert_eq!(
            s["InstanceView"]["properties"]["config"]["additionalProperties"],
            serde_json::json!({})
        );
        let types = s["VariableType"]["enum"].as_array().unwrap();
        assert_eq!(types.len(), marketplace_core::VariableType::NAMES.len());
        assert!(s["SpecVariable"]["properties"]["type"]["$ref"].is_string());
    }

    #[test]
    fn queries_are_documented_under_their_wire_names() {
        use utoipa::IntoParams;
        let names = |params: Vec<utoipa::openapi::path::Parameter>| -> Vec<String> {
            params.into_iter().map(|p| p.name).collect()
        };
        let logs = names(observability::LogQuery::into_params(|| None));
        assert!(logs.contains(&"type".to_owned()), "{logs:?}");
        assert!(!logs.contains(&"log_type".to_owned()));
        let events = names(observability::EventQuery::into_params(|| None));
        assert_eq!(events, ["since", "type", "instance_id", "limit", "cursor"]);
        assert_eq!(names(PageQuery::into_params(|| None)), ["limit", "cursor"]);
    }
}
