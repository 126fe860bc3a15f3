//! What every resource shares: a page of a list and its query, the problem document every error
//! answers with, field errors, and deployability (the reasons of a refused activation).

use serde::{Deserialize, Serialize};

/// A page of a list: `{items, next_cursor}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Cursor of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

query! {
    /// `?limit=&cursor=` of every list.
    pub struct PageQuery {
    }
    with paging
}

/// The problem document (RFC 9457, `application/problem+json`) every error answers with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem type (`urn:marketplace:problem:<code>`).
    #[serde(rename = "type", default)]
    pub problem_type: String,
    /// Short summary of the status.
    #[serde(default)]
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong, for humans.
    #[serde(default)]
    pub detail: String,
    /// Stable machine code (`not_found`, `validation_failed`, `not_deployable`...).
    pub code: String,
    /// Field errors, for 422 (every one at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// Deployability reasons, for refused activations (403, 409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<Vec<DeployabilityReason>>,
    /// The OAuth2 error code (RFC 6749), on the vendor token endpoint's problems
    /// (`invalid_client`, `invalid_request`, `unsupported_grant_type`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The request's id (its `x-request-id`, the caller's or one the service made): quote it
    /// to support, it names the request in the service's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One problem with one field: `{path, code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// JSON Pointer into the checked document (`/config/account_code`).
    pub path: String,
    /// Stable machine code.
    pub code: FieldErrorCode,
    /// Human-readable explanation (never the value itself).
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {} ({})", self.message, self.code)
    }
}

wire_enum! {
    /// Stable machine code of a field error.
    pub enum FieldErrorCode {
        /// A required value is missing.
        Required = "required",
        /// The value has the wrong JSON type.
        Type = "type",
        /// A string does not match the variable's pattern.
        Pattern = "pattern",
        /// A number is below the minimum.
        Min = "min",
        /// A number is above the maximum.
        Max = "max",
        /// A string is shorter than the minimum length.
        MinLength = "min_length",
        /// A string is longer than the maximum length.
        MaxLength = "max_length",
        /// A value is not one of the allowed options.
        Option = "option",
        /// A string is not in the expected format (url, email, date, cron...).
        Format = "format",
        /// A key that the spec does not know.
        UnknownKey = "unknown_key",
        /// A value that this editor may not set.
        NotEditable = "not_editable",
        /// The same key or name appears twice.
        Duplicate = "duplicate",
        /// A key or name does not follow the syntax rules.
        InvalidKey = "invalid_key",
        /// A reference (flow step, variable name) points at nothing suitable.
        InvalidReference = "invalid_reference",
        /// A value is empty where something is needed.
        Empty = "empty",
        /// A semantic version is malformed.
        InvalidVersion = "invalid_version",
        /// A version is not greater than every published version.
        VersionOrder = "version_order",
        /// A published version cannot be changed.
        Immutable = "immutable",
        /// A value that is not valid for another reason.
        Invalid = "invalid",
        /// A mapping's target or source pointer names no field of its schema.
        UnknownField = "unknown_field",
        /// A mapping formula does not parse.
        FormulaSyntax = "formula_syntax",
        /// A mapping formula uses a filter or operator outside the allowed set.
        FormulaForbidden = "formula_forbidden",
        /// A mapping formula failed on this input.
        FormulaError = "formula_error",
        /// A mapping formula's input or output is over its size limit.
        FormulaLimit = "formula_limit",
    }
}

impl From<marketplace_core::FieldErrorCode> for FieldErrorCode {
    fn from(code: marketplace_core::FieldErrorCode) -> Self {
        Self::from_wire(code.as_str())
    }
}

impl From<marketplace_core::FieldError> for FieldError {
    fn from(e: marketplace_core::FieldError) -> Self {
        FieldError {
            path: e.path,
            code: e.code.into(),
            message: e.message,
        }
    }
}

impl From<&marketplace_core::FieldError> for FieldError {
    fn from(e: &marketplace_core::FieldError) -> Self {
        e.clone().into()
    }
}

/// Whether a customer may activate a listing, and why not: `{status, reasons}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Deployability {
    /// The answer.
    pub status: DeployabilityStatus,
    /// Every reason; empty when deployable.
    pub reasons: Vec<DeployabilityReason>,
}

impl Deployability {
    /// Whether the customer may activate.
    pub fn is_deployable(&self) -> bool {
        self.status == DeployabilityStatus::Deployable
    }
}

/// One reason a listing is not deployable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DeployabilityReason {
    /// Stable code.
    pub code: ReasonCode,
    /// Human-readable explanation.
    pub message: String,
    /// For `missing_default`, to the vendor only: the variables lacking a value.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<String>,
}

wire_enum! {
    /// The answer a customer sees on a listing.
    pub enum DeployabilityStatus {
        /// The customer may activate it.
        Deployable = "deployable",
        /// The vendor must act first (settings, or activation on the customer's behalf).
        ContactVendor = "contact_vendor",
        /// It cannot be activated.
        NotDeployable = "not_deployable",
    }
}

wire_enum! {
    /// Why a listing is not deployable, or why a certification request is refused (the
    /// failing checks).
    pub enum ReasonCode {
        /// The listing is not customer-deployable: the vendor activates it.
        ListingNotCustomerDeployable = "listing_not_customer_deployable",
        /// A required variable the customer cannot set has no default and no vendor-set value.
        MissingDefault = "missing_default",
        /// The customer already has an instance and multiple instances are not allowed.
        InstanceExists = "instance_exists",
        /// The listed version is not published.
        VersionNotPublished = "version_not_published",
        /// The version's certification tier is below the marketplace's minimum.
        TierBelowMinimum = "tier_below_minimum",
        // The failing checks of a refused certification request (409 `requirements_unmet`),
        // one reason per check, named as in `certification::CheckCode`.
        /// Certification: no event service declared.
        EventServices = "event_services",
        /// Certification: no hosting model declared.
        HostingModel = "hosting_model",
        /// Certification: no registered application version declared.
        ApplicationVersioning = "application_versioning",
        /// Certification: no OpenAPI or connector URL.
        ApiDescription = "api_description",
        /// Certification: a declared application's provider profile is incomplete.
        ProviderProfile = "provider_profile",
        /// Certification: a declared application's profile is incomplete.
        ApplicationProfile = "application_profile",
        /// Certification: no passing connection test in the last 30 days.
        ConnectionTest = "connection_test",
        /// Certification: no mapping collection, or an invalid one.
        MappingCollections = "mapping_collections",
        /// Certification: a collection without tests, or a failing test.
        MappingTests = "mapping_tests",
        /// Certification: documentation or a collection's notes missing.
        Documentation = "documentation",
    }
}

impl From<marketplace_core::DeployabilityStatus> for DeployabilityStatus {
    fn from(status: marketplace_core::DeployabilityStatus) -> Self {
        use marketplace_core::DeployabilityStatus as Core;
        match status {
            Core::Deployable => Self::Deployable,
            Core::ContactVendor => Self::ContactVendor,
            Core::NotDeployable => Self::NotDeployable,
        }
    }
}

impl From<marketplace_core::ReasonCode> for ReasonCode {
    fn from(code: marketplace_core::ReasonCode) -> Self {
        use marketplace_core::ReasonCode as Core;
        match code {
            Core::ListingNotCustomerDeployable => Self::ListingNotCustomerDeployable,
            Core::MissingDefault => Self::MissingDefault,
            Core::InstanceExists => Self::InstanceExists,
            Core::VersionNotPublished => Self::VersionNotPublished,
            Core::TierBelowMinimum => Self::TierBelowMinimum,
        }
    }
}

impl From<&marketplace_core::DeployabilityReason> for DeployabilityReason {
    fn from(reason: &marketplace_core::DeployabilityReason) -> Self {
        DeployabilityReason {
            code: reason.code.into(),
            message: reason.message.clone().into_owned(),
            variables: reason.variables.clone(),
        }
    }
}

impl From<&marketplace_core::Deployability> for Deployability {
    fn from(d: &marketplace_core::Deployability) -> Self {
        Deployability {
            status: d.status.into(),
            reasons: d.reasons.iter().map(Into::into).collect(),
        }
    }
}

/// A present field is `Some`, even when it is `null` (`#[serde(default, deserialize_with =
/// "crate::common::present")]`): absent leaves a value as it is, `null` clears it.
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn enums_read_values_from_a_newer_service() {
        open_enum(
            FieldErrorCode::KNOWN,
            FieldErrorCode::Other("too_fancy".into()),
        );
        open_enum(
            DeployabilityStatus::KNOWN,
            DeployabilityStatus::Other("ask_later".into()),
        );
        open_enum(ReasonCode::KNOWN, ReasonCode::Other("quota".into()));
    }

    #[test]
    fn core_codes_have_the_same_names() {
        use marketplace_core::FieldErrorCode as Core;
        for code in [Core::Required, Core::MinLength, Core::Invalid] {
            let wire = FieldErrorCode::from(code);
            assert!(!matches!(wire, FieldErrorCode::Other(_)), "{code}");
            assert_eq!(serde_json::to_value(wire).unwrap(), json!(code.as_str()));
        }
        let reason = marketplace_core::ReasonCode::VersionNotPublished;
        assert_eq!(
            serde_json::to_value(ReasonCode::from(reason)).unwrap(),
            serde_json::to_value(reason).unwrap()
        );
    }

    #[test]
    fn problems_as_the_service_sends_them() {
        let not_found: Problem = round_trip(json!({"type": "urn:marketplace:problem:not_found",
            "title": "Not Found", "status": 404, "detail": "instance not found", "code": "not_found"}));
        assert_eq!(not_found.errors, None);
        let invalid: Problem = round_trip(
            json!({"type": "urn:marketplace:problem:validation_failed",
            "title": "Unprocessable Entity", "status": 422, "detail": "the request has 2 invalid field(s)",
            "code": "validation_failed", "errors": [
                {"path": "/config/nope", "code": "unknown_key", "message": "no variable has this key"},
                {"path": "/config/webhook_url", "code": "required", "message": "a value is required"}]}),
        );
        assert_eq!(invalid.errors.unwrap()[1].code, FieldErrorCode::Required);
        let refused: Problem = round_trip(json!({"type": "urn:marketplace:problem:contact_vendor",
            "title": "Forbidden", "status": 403,
            "detail": "this integration needs settings from the vendor before it can be activated",
            "code": "contact_vendor", "reasons": [{"code": "missing_default",
            "message": "this integration needs settings from the vendor before it can be activated"}]}));
        assert_eq!(refused.reasons.unwrap()[0].code, ReasonCode::MissingDefault);
    }

    #[test]
    fn pages_and_their_queries() {
        let page: Page<FieldError> = round_trip(json!({"items": [
            {"path": "", "code": "type", "message": "config must be an object"}], "next_cursor": null}));
        assert_eq!(
            page.items[0].to_string(),
            "/: config must be an object (type)"
        );
        round_trip::<PageQuery>(json!({"limit": 2, "cursor": "key_1"}));
        assert_eq!(
            serde_json::to_value(PageQuery::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn core_deployability_converts_to_the_same_json() {
        let core = marketplace_core::Deployability {
            status: marketplace_core::DeployabilityStatus::ContactVendor,
            reasons: vec![marketplace_core::DeployabilityReason {
                code: marketplace_core::ReasonCode::MissingDefault,
                message: "settings needed".into(),
                variables: vec!["plan".into()],
            }],
        };
        assert_eq!(
            serde_json::to_value(Deployability::from(&core)).unwrap(),
            serde_json::to_value(&core).unwrap()
        );
    }
}
