//! `/api/v1/vendor`: the vendor's side, authenticated by the inbound client of an event
//! configuration: an access token (client credentials), the events sent to it, and the result
//! of an event the vendor answered `202` to.

use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/vendor/oauth2/token` (form-encoded; the client may instead use HTTP
/// Basic authentication).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VendorTokenRequest {
    /// `client_credentials`.
    pub grant_type: String,
    /// Client id (unless in the `Authorization` header).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Client secret (unless in the `Authorization` header).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Ignored: a token may act on its configuration's events.
    #[serde(default)]
    pub scope: Option<String>,
}

/// An access token of the inbound client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct VendorToken {
    /// Use as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds it lives.
    pub expires_in: i64,
}

/// Body of `POST /api/v1/vendor/events/{event_id}/result`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VendorResultBody {
    /// Whether the vendor accepts (an activation under `confirm`: confirms or refuses it).
    pub success: bool,
    /// Shown to the customer when refused.
    #[serde(default)]
    pub message: Option<String>,
    /// The vendor's error code.
    #[serde(default)]
    pub error_code: Option<String>,
    /// The vendor's account for the customer.
    #[serde(default, alias = "accountIdentifier")]
    pub account_identifier: Option<String>,
}
