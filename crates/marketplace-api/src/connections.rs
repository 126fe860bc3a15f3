//! OAuth2 authorization-code connections of an instance: starting an authorization (the popup's
//! URL) and what the callback page posts to its opener. An instance's connections and their
//! status are in its view ([`crate::instances::ConnectionView`]).

use serde::{Deserialize, Serialize};

/// `POST .../instances/{id}/connections/{key}/authorize`: the URL to open in a popup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConnectionAuthorization {
    /// The provider's authorization URL (`response_type=code`, `client_id`, `redirect_uri`,
    /// `scope`, `state`, `code_challenge`, `code_challenge_method=S256`).
    pub authorize_url: String,
    /// When the authorization lapses (RFC 3339; 10 minutes).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub expires_at: String,
}

wire_enum! {
    /// The status of a connection.
    pub enum ConnectionStatus {
        /// Never authorised, or disconnected.
        NotConnected = "not_connected",
        /// Holds a usable token.
        Connected = "connected",
        /// The access token lapsed without a refresh token.
        Expired = "expired",
        /// The provider refused an exchange or a refresh.
        Error = "error",
    }
}

wire_enum! {
    /// The type of a message the callback page posts to its opener.
    pub enum ConnectionMessageType {
        /// The tokens are stored.
        ConnectionAuthorized = "CONNECTION_AUTHORIZED",
        /// The provider refused, or the exchange failed; tokens and status untouched.
        ConnectionFailed = "CONNECTION_FAILED",
    }
}

/// What the callback page posts to `window.opener` (at the recorded origin only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ConnectionMessage {
    /// `CONNECTION_AUTHORIZED` or `CONNECTION_FAILED`.
    #[serde(rename = "type")]
    pub message_type: ConnectionMessageType,
    /// The instance.
    pub instance_id: String,
    /// The connection's key.
    pub key: String,
    /// `CONNECTION_AUTHORIZED`: the status now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ConnectionStatus>,
    /// `CONNECTION_FAILED`: the OAuth error code (`access_denied`, `invalid_grant`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `CONNECTION_FAILED`: the provider's description, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn authorization_and_messages_as_the_service_sends_them() {
        let a: ConnectionAuthorization = round_trip(json!({
            "authorize_url": "https://provider.example/authorize?response_type=code&state=s",
            "expires_at": "2026-11-30T21:00:00Z"}));
        assert!(a.authorize_url.contains("state=s"));
        let m: ConnectionMessage = round_trip(json!({"type": "CONNECTION_AUTHORIZED",
            "instance_id": "ins_1", "key": "crm", "status": "connected"}));
        assert_eq!(m.status, Some(ConnectionStatus::Connected));
        let f: ConnectionMessage = round_trip(json!({"type": "CONNECTION_FAILED",
            "instance_id": "ins_1", "key": "crm", "error": "access_denied",
            "error_description": "the user said no"}));
        assert_eq!(f.message_type, ConnectionMessageType::ConnectionFailed);
        open_enum(
            ConnectionStatus::KNOWN,
            ConnectionStatus::Other("paused".into()),
        );
    }
}
