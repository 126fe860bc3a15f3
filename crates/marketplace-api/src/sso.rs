//! Single sign-on into the vendor's product, with the service as its OpenID Provider: the
//! relying parties' client secrets (`POST .../sso-client/secret`), the discovery document
//! (`/.well-known/openid-configuration`), the token endpoint (`/oidc/token`), the signing keys
//! (`/oidc/jwks`) and the user's claims (`/oidc/userinfo`).

use serde::{Deserialize, Serialize};

/// A relying party's credentials, shown once (each call replaces the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SsoClientSecret {
    /// The client id: the instance id (per-instance client) or the event configuration id
    /// (shared client).
    pub client_id: String,
    /// The new secret (`client_secret_basic` or `client_secret_post`).
    pub client_secret: String,
}

/// The OpenID Provider's discovery document (OpenID Connect Discovery 1.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OpenIdConfiguration {
    /// The issuer: the service's public URL.
    pub issuer: String,
    /// `{issuer}/oidc/authorize`.
    pub authorization_endpoint: String,
    /// `{issuer}/oidc/token`.
    pub token_endpoint: String,
    /// `{issuer}/oidc/jwks`.
    pub jwks_uri: String,
    /// `{issuer}/oidc/userinfo`.
    pub userinfo_endpoint: String,
    /// `["code"]`.
    pub response_types_supported: Vec<String>,
    /// `["public"]`.
    pub subject_types_supported: Vec<String>,
    /// `["ES256"]`.
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// `["openid", "profile", "email"]`.
    pub scopes_supported: Vec<String>,
    /// `["client_secret_basic", "client_secret_post"]`.
    pub token_endpoint_auth_methods_supported: Vec<String>,
    /// `["S256"]`.
    pub code_challenge_methods_supported: Vec<String>,
    /// `["authorization_code"]`.
    pub grant_types_supported: Vec<String>,
    /// The claims of the ID tokens.
    pub claims_supported: Vec<String>,
}

/// Body of `POST /oidc/token` (form-encoded; the client may authenticate with HTTP Basic
/// instead of `client_id`/`client_secret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OidcTokenRequest {
    /// `authorization_code`.
    pub grant_type: String,
    /// The code from the authorization redirect.
    pub code: String,
    /// The redirect URI of the authorization request.
    pub redirect_uri: String,
    /// The PKCE verifier (S256).
    pub code_verifier: String,
    /// Client id (unless in the `Authorization` header).
    #[serde(default)]
    pub client_id: Option<String>,
    /// Client secret (unless in the `Authorization` header).
    #[serde(default)]
    pub client_secret: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct OidcTokens {
    /// For `/oidc/userinfo` (`Authorization: Bearer`).
    pub access_token: String,
    /// `Bearer`.
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// The ID token (a JWT signed with a key of `/oidc/jwks`).
    pub id_token: String,
}

/// One public key of the OpenID Provider (RFC 7517; EC P-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Jwk {
    /// `EC`.
    pub kty: String,
    /// `P-256`.
    pub crv: String,
    /// The public point's x coordinate (base64url).
    pub x: String,
    /// The public point's y coordinate (base64url).
    pub y: String,
    /// Key id, as in the ID tokens' headers.
    pub kid: String,
    /// `ES256`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
}

/// The OpenID Provider's public keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct JwkSet {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// The signed-in user's claims (`GET /oidc/userinfo`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UserInfo {
    /// `{customer_id}/{user_id}`, as in the ID token.
    pub sub: String,
    /// The user's email, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's name, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's role in the customer.
    pub role: String,
    /// The vendor's id of the customer.
    pub customer_external_id: String,
    /// The instance signed in to.
    pub instance_id: String,
}
