//! Signing embedded tokens in the host app's backend (feature `signer`, native only).

use crate::error::{Error, Result};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use marketplace_core::Role;
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What the host states about its signed-in user; the signer adds `iat` and `exp`.
#[derive(Debug, Clone, PartialEq)]
pub struct HostClaims {
    /// The organization id (the `organization` claim, also the key's organization).
    pub organization: String,
    /// The user's id in the host app.
    pub sub: String,
    /// The customer's external id in the host app.
    pub customer: String,
    /// Creates the customer on first sight with this name.
    pub customer_name: Option<String>,
    /// Display name of the user.
    pub name: Option<String>,
    /// E-mail of the user.
    pub email: Option<String>,
    /// The user's role (the service's default is `admin`).
    pub role: Option<Role>,
    /// Values of `embedded` variables, keyed by variable key.
    pub embedded_config: Option<Map<String, Value>>,
    /// How long the token lives (`exp - iat`); the service caps it (1 hour by default).
    pub lifetime: Duration,
}

impl HostClaims {
    /// Claims of a user of a customer, living 10 minutes, with the service's default role.
    pub fn new(
        organization: impl Into<String>,
        sub: impl Into<String>,
        customer: impl Into<String>,
    ) -> Self {
        HostClaims {
            organization: organization.into(),
            sub: sub.into(),
            customer: customer.into(),
            customer_name: None,
            name: None,
            email: None,
            role: None,
            embedded_config: None,
            lifetime: Duration::from_secs(600),
        }
    }
}

#[derive(Serialize)]
struct Wire<'a> {
    sub: &'a str,
    customer: &'a str,
    organization: &'a str,
    iat: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    embedded_config: Option<&'a Map<String, Value>>,
}

/// Signs embedded tokens with the host's private key, registered with the service by `kid`.
pub struct HostTokenSigner {
    kid: String,
    algorithm: Algorithm,
    key: EncodingKey,
}

impl fmt::Debug for HostTokenSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostTokenSigner")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("key", &"[redacted]")
            .finish()
    }
}

impl HostTokenSigner {
    /// A signer from a PKCS#8 PEM private key; `algorithm` is `RS256`, `ES256` or `EdDSA`.
    pub fn from_pem(
        kid: impl Into<String>,
        algorithm: &str,
        private_key_pem: &str,
    ) -> Result<Self> {
        let pem = private_key_pem.as_bytes();
        let bad = |e: jsonwebtoken::errors::Error| Error::Token(format!("bad private key: {e}"));
        let (algorithm, key) = match algorithm {
            "RS256" => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(pem).map_err(bad)?,
            ),
            "ES256" => (
                Algorithm::ES256,
                EncodingKey::from_ec_pem(pem).map_err(bad)?,
            ),
            "EdDSA" => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(pem).map_err(bad)?,
            ),
            other => {
                return Err(Error::Token(format!(
                    "unsupported algorithm {other:?} (RS256, ES256 or EdDSA)"
                )));
            }
        };
        Ok(HostTokenSigner {
            kid: kid.into(),
            algorithm,
            key,
        })
    }

    /// Signs a token issued now.
    pub fn sign(&self, claims: &HostClaims) -> Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| Error::Token(e.to_string()))?
            .as_secs();
        self.sign_at(claims, now)
    }

    /// Signs a token issued at `now` (Unix seconds).
    pub fn sign_at(&self, claims: &HostClaims, now: u64) -> Result<String> {
        let wire = Wire {
            sub: &claims.sub,
            customer: &claims.customer,
            organization: &claims.organization,
            iat: now,
            exp: now + claims.lifetime.as_secs(),
            customer_name: claims.customer_name.as_deref(),
            name: claims.name.as_deref(),
            email: claims.email.as_deref(),
            role: claims.role,
            embedded_config: claims.embedded_config.as_ref(),
        };
        let mut header = Header::new(self.algorithm);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &wire, &self.key).map_err(|e| Error::Token(e.to_string()))
    }
}
