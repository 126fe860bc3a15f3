//! `POST/GET /api/v1/signing-keys`, `DELETE /api/v1/signing-keys/{kid}`: the host app's public
//! keys, by `kid`; several live at once so a host can rotate.

use serde::{Deserialize, Serialize};

/// A registered public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SigningKeyView {
    /// Key id, as tokens name it in their header.
    pub kid: String,
    /// The algorithm tokens signed with this key must use.
    pub algorithm: Algorithm,
    /// The public key (PEM).
    pub public_key_pem: String,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// Body of `POST /api/v1/signing-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SigningKeyCreate {
    /// Key id.
    pub kid: String,
    /// The algorithm (an unsupported one decodes to `Other`, for the service to report).
    pub algorithm: Algorithm,
    /// The public key (PEM, SubjectPublicKeyInfo).
    pub public_key_pem: String,
}

wire_enum! {
    /// A signature algorithm of embedded tokens.
    pub enum Algorithm {
        /// RSA PKCS#1 v1.5 with SHA-256.
        Rs256 = "RS256",
        /// ECDSA P-256 with SHA-256.
        Es256 = "ES256",
        /// Ed25519.
        EdDsa = "EdDSA",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn keys_as_the_service_sends_them() {
        let page: Page<SigningKeyView> = round_trip(json!({"items": [{"kid": "demo-key-1",
            "algorithm": "EdDSA", "public_key_pem": "-----BEGIN PUBLIC KEY-----\nMCowBQ\n-----END PUBLIC KEY-----\n",
            "created_at": "2026-11-30T05:21:33.52Z"}], "next_cursor": null}));
        assert_eq!(page.items[0].algorithm, Algorithm::EdDsa);
    }

    #[test]
    fn an_unsupported_algorithm_still_decodes() {
        let body: SigningKeyCreate = serde_json::from_value(
            json!({"kid": "", "algorithm": "HS256", "public_key_pem": "nope"}),
        )
        .unwrap();
        assert_eq!(body.algorithm, Algorithm::Other("HS256".into()));
        open_enum(Algorithm::KNOWN, Algorithm::Other("ES512".into()));
    }
}
