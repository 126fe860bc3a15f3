//! Single sign-on into the vendor's application: bookmark links, the claims of the ID tokens the
//! service issues as an OpenID Provider, and the PKCE check of its token endpoint. Signing the
//! tokens is the server's (core holds no keys).

use serde::Serialize;
use std::fmt::Write as _;

/// Expands `{customer_external_id}` and `{instance_id}` in a bookmark URL (values
/// percent-encoded: every byte but RFC 3986's unreserved characters).
pub fn expand_bookmark(url: &str, customer_external_id: &str, instance_id: &str) -> String {
    url.replace(
        "{customer_external_id}",
        &percent_encode(customer_external_id),
    )
    .replace("{instance_id}", &percent_encode(instance_id))
}

/// `text` with every byte outside `A-Z a-z 0-9 - . _ ~` written `%XX`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The claims of an ID token (field names as in OpenID Connect, plus ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdTokenClaims {
    /// The issuer (the service's URL).
    pub iss: String,
    /// The subject: `{customer_id}/{user_id}`.
    pub sub: String,
    /// The audience: the relying party's client id.
    pub aud: String,
    /// Expiry (Unix seconds).
    pub exp: i64,
    /// Issue time (Unix seconds).
    pub iat: i64,
    /// When the user authenticated (Unix seconds).
    pub auth_time: i64,
    /// The relying party's nonce, echoed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The user's email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The user's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The user's role in the customer (wire name).
    pub role: String,
    /// The vendor's id of the customer.
    pub customer_external_id: String,
    /// The instance signed in to.
    pub instance_id: String,
    /// The vendor's account for the instance, if it gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_identifier: Option<String>,
}

/// The claims of an ID token for a customer user signing in to an instance, valid
/// `lifetime_s` seconds from `now_s`.
#[allow(clippy::too_many_arguments)] // The interface the server codes against; each is distinct.
pub fn id_token_claims(
    issuer: &str,
    client_id: &str,
    customer_id: &str,
    user_id: &str,
    email: Option<&str>,
    name: Option<&str>,
    role: &str,
    customer_external_id: &str,
    instance_id: &str,
    account_identifier: Option<&str>,
    nonce: Option<&str>,
    now_s: i64,
    lifetime_s: i64,
) -> IdTokenClaims {
    IdTokenClaims {
        iss: issuer.to_owned(),
        sub: format!("{customer_id}/{user_id}"),
        aud: client_id.to_owned(),
        exp: now_s.saturating_add(lifetime_s),
        iat: now_s,
        auth_time: now_s,
        nonce: nonce.map(str::to_owned),
        email: email.map(str::to_owned),
        name: name.map(str::to_owned),
        role: role.to_owned(),
        customer_external_id: customer_external_id.to_owned(),
        instance_id: instance_id.to_owned(),
        account_identifier: account_identifier.map(str::to_owned),
    }
}

/// PKCE S256 check (RFC 7636): base64url-no-pad(SHA-256(verifier)) == challenge, compared in
/// constant time.
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    let computed = crate::connection::pkce_challenge(verifier);
    computed.len() == challenge.len()
        && computed
            .bytes()
            .zip(challenge.bytes())
            .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bookmarks_expand_encoded_values() {
        let table = [
            (
                "https://{customer_external_id}.app.example/i/{instance_id}",
                "acme",
                "ins_1",
                "https://acme.app.example/i/ins_1",
            ),
            (
                "https://app.example/?c={customer_external_id}&c2={customer_external_id}",
                "ac me/é?&",
                "x",
                "https://app.example/?c=ac%20me%2F%C3%A9%3F%26&c2=ac%20me%2F%C3%A9%3F%26",
            ),
            (
                "https://app.example/{instance_id}",
                "a",
                "{customer_external_id}",
                "https://app.example/%7Bcustomer_external_id%7D",
            ),
            ("https://app.example/", "a", "b", "https://app.example/"),
        ];
        for (url, customer, instance, expected) in table {
            assert_eq!(expand_bookmark(url, customer, instance), expected);
        }
    }

    #[test]
    fn id_token_claims_shape() {
        let claims = id_token_claims(
            "https://mp.example",
            "client_1",
            "cus_1",
            "usr_1",
            Some("a@acme.example"),
            None,
            "admin",
            "acme",
            "ins_1",
            Some("acc-9"),
            Some("n-0S6"),
            1_000,
            300,
        );
        assert_eq!(
            serde_json::to_value(&claims).unwrap(),
            json!({"iss": "https://mp.example", "sub": "cus_1/usr_1", "aud": "client_1",
                   "exp": 1_300, "iat": 1_000, "auth_time": 1_000, "nonce": "n-0S6",
                   "email": "a@acme.example", "role": "admin", "customer_external_id": "acme",
                   "instance_id": "ins_1", "account_identifier": "acc-9"})
        );
        let bare = id_token_claims(
            "i", "c", "cus", "usr", None, None, "member", "e", "ins", None, None, 0, 60,
        );
        let value = serde_json::to_value(&bare).unwrap();
        for absent in ["nonce", "email", "name", "account_identifier"] {
            assert!(value.get(absent).is_none(), "{absent}");
        }
    }

    #[test]
    fn pkce_matches_the_rfc_example_only() {
        // RFC 7636, appendix B (checked independently with Python's hashlib).
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_s256_matches(verifier, challenge));
        assert!(!pkce_s256_matches(verifier, &challenge[1..]));
        assert!(!pkce_s256_matches(&verifier[1..], challenge));
        assert!(!pkce_s256_matches(
            verifier,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="
        ));
        assert!(!pkce_s256_matches(verifier, verifier));
    }
}
