//! The claims of an embedded token and their rules, checked with the time passed in.
//!
//! Signature verification is not here (core holds no cryptography): the service verifies the
//! signature with the key's pinned algorithm, then hands the decoded claims to [`EmbeddedClaims::check`].

use crate::customer::{Role, check_external_id};
use crate::ids::{MarketplaceId, OrganizationId, TenantId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Lifetime and clock rules of tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Longest accepted `exp - iat`, in seconds.
    pub max_lifetime: i64,
    /// Accepted clock skew, in seconds.
    pub leeway: i64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        Self {
            max_lifetime: 3600,
            leeway: 60,
        }
    }
}

/// Why a token's claims are refused; each answer is a 401 with its code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// A required claim is absent.
    #[error("the token has no `{0}` claim")]
    MissingClaim(&'static str),
    /// A claim has the wrong type or a bad value.
    #[error("the token's `{claim}` claim is invalid: {reason}")]
    InvalidClaim {
        /// The claim.
        claim: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `exp` is past (beyond the leeway).
    #[error("the token has expired")]
    Expired,
    /// `iat` is in the future (beyond the leeway).
    #[error("the token is issued in the future")]
    NotYetValid,
    /// `exp - iat` exceeds the policy.
    #[error("the token's lifetime exceeds {0} seconds")]
    LifetimeTooLong(i64),
    /// `organization` differs from the signing key's organization.
    #[error("the token's organization does not match the signing key's")]
    OrganizationMismatch,
    /// `aud` is present and differs from the organization id.
    #[error("the token's audience is not this organization")]
    AudienceMismatch,
}

impl TokenError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingClaim(_) => "missing_claim",
            Self::InvalidClaim { .. } => "invalid_claim",
            Self::Expired => "token_expired",
            Self::NotYetValid => "token_not_yet_valid",
            Self::LifetimeTooLong(_) => "token_lifetime_too_long",
            Self::OrganizationMismatch => "organization_mismatch",
            Self::AudienceMismatch => "audience_mismatch",
        }
    }
}

/// The checked claims of an embedded token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddedClaims {
    /// The user's id in the host app.
    pub sub: String,
    /// The customer's external id in the host app.
    pub customer: String,
    /// The organization id.
    pub organization: OrganizationId,
    /// Issued at (Unix seconds, as JWT counts).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
    /// Display name of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Name for a customer created on first sight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name: Option<String>,
    /// Role for this request.
    #[serde(default)]
    pub role: Role,
    /// Values of `embedded` variables, by key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedded_config: Option<Map<String, Value>>,
    /// Key of the marketplace the user browses (absent: the organization's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketplace: Option<String>,
    /// Key of the customer's tenant (sets it; absent: leaves it as it is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
}

fn string_claim(
    claims: &Map<String, Value>,
    name: &'static str,
    required: bool,
) -> Result<Option<String>, TokenError> {
    match claims.get(name) {
        None | Some(Value::Null) if required => Err(TokenError::MissingClaim(name)),
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if required && s.is_empty() => Err(TokenError::InvalidClaim {
            claim: name,
            reason: "must not be empty".into(),
        }),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::InvalidClaim {
            claim: name,
            reason: "must be a string".into(),
        }),
    }
}

fn time_claim(claims: &Map<String, Value>, name: &'static str) -> Result<i64, TokenError> {
    match claims.get(name) {
        None => Err(TokenError::MissingClaim(name)),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))
            .ok_or(TokenError::InvalidClaim {
                claim: name,
                reason: "must be a number of seconds".into(),
            }),
    }
}

impl EmbeddedClaims {
    /// Checks decoded claims for the organization that owns the verifying key, at `now` (Unix seconds).
    pub fn check(
        claims: &Value,
        organization: &OrganizationId,
        now: i64,
        policy: TokenPolicy,
    ) -> Result<EmbeddedClaims, TokenError> {
        let claims = claims.as_object().ok_or(TokenError::InvalidClaim {
            claim: "claims",
            reason: "must be an object".into(),
        })?;
        let sub = string_claim(claims, "sub", true)?.unwrap_or_default();
        let customer = string_claim(claims, "customer", true)?.unwrap_or_default();
        check_external_id(&customer).map_err(|e| TokenError::InvalidClaim {
            claim: "customer",
            reason: e.message,
        })?;
        let claimed_org = string_claim(claims, "organization", true)?.unwrap_or_default();
        if claimed_org != organization.as_str() {
            return Err(TokenError::OrganizationMismatch);
        }
        match claims.get("aud") {
            None => {}
            Some(Value::String(aud)) if aud == organization.as_str() => {}
            Some(Value::Array(auds))
                if auds.len() == 1 && auds[0].as_str() == Some(organization.as_str()) => {}
            Some(_) => return Err(TokenError::AudienceMismatch),
        }
        let iat = time_claim(claims, "iat")?;
        let exp = time_claim(claims, "exp")?;
        if exp <= iat {
            return Err(TokenError::InvalidClaim {
                claim: "exp",
                reason: "must be later than iat".into(),
            });
        }
        if exp - iat > policy.max_lifetime {
            return Err(TokenError::LifetimeTooLong(policy.max_lifetime));
        }
        if now > exp + policy.leeway {
            return Err(TokenError::Expired);
        }
        if iat > now + policy.leeway {
            return Err(TokenError::NotYetValid);
        }
        let role = match claims.get("role") {
            None | Some(Value::Null) => Role::Admin,
            Some(v) => serde_json::from_value(v.clone()).map_err(|_| TokenError::InvalidClaim {
                claim: "role",
                reason: "must be admin or viewer".into(),
            })?,
        };
        let embedded_config = match claims.get("embedded_config") {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m.clone()),
            Some(_) => {
                return Err(TokenError::InvalidClaim {
                    claim: "embedded_config",
                    reason: "must be an object".into(),
                });
            }
        };
        Ok(EmbeddedClaims {
            sub,
            customer,
            organization: organization.clone(),
            iat,
            exp,
            name: string_claim(claims, "name", false)?,
            email: string_claim(claims, "email", false)?,
            customer_name: string_claim(claims, "customer_name", false)?,
            role,
            embedded_config,
            marketplace: string_claim(claims, "marketplace", false)?,
            tenant: string_claim(claims, "tenant", false)?,
        })
    }
}

/// Why a partner's signing key may not sign a token; each answer is a 401 with its code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The key belongs to another marketplace than the one the token names.
    #[error("the token's signing key signs only for its own marketplace")]
    MarketplaceMismatch,
    /// The customer (or the `tenant` claim) is not of the key's marketplace's tenant.
    #[error("the token's signing key signs only for customers of its marketplace's tenant")]
    TenantMismatch,
}

impl ScopeError {
    /// Stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            Self::MarketplaceMismatch => "marketplace_mismatch",
            Self::TenantMismatch => "tenant_mismatch",
        }
    }
}

/// The customer a token names, as [`partner_scope`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCustomer<'a> {
    /// Not known yet: the token creates it.
    New,
    /// Known, with its tenant (`None`: no tenant).
    Existing(Option<&'a TenantId>),
}

/// Who signed a token and for whom, as [`partner_scope`] decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenScope<'a> {
    /// The marketplace of the signing key: `Some` for a partner's key, `None` for the vendor's
    /// (valid for every marketplace).
    pub key_marketplace: Option<&'a MarketplaceId>,
    /// The marketplace the token names (its `marketplace` claim, or the default).
    pub marketplace: &'a MarketplaceId,
    /// That marketplace's tenant (a partner marketplace's).
    pub marketplace_tenant: Option<&'a TenantId>,
    /// The tenant the token's `tenant` claim names, if any.
    pub claimed_tenant: Option<&'a TenantId>,
    /// The customer the token names.
    pub customer: TokenCustomer<'a>,
}

/// The tenant a token's customer must be given (`Ok(None)`: leave it as it is), or why the
/// token is refused.
///
/// A vendor's key signs for any marketplace and customer; its `tenant` claim sets the
/// customer's tenant. A partner's key signs only for its marketplace (else
/// [`ScopeError::MarketplaceMismatch`]) and only for customers of that marketplace's tenant:
/// an existing customer of another tenant or of none, or a `tenant` claim naming another, is
/// [`ScopeError::TenantMismatch`]; a new customer joins the tenant.
pub fn partner_scope(scope: TokenScope<'_>) -> Result<Option<TenantId>, ScopeError> {
    let Some(key_marketplace) = scope.key_marketplace else {
        return Ok(match (scope.claimed_tenant, scope.customer) {
            (Some(claimed), TokenCustomer::Existing(current)) if current == Some(claimed) => None,
            (claimed, _) => claimed.cloned(),
        });
    };
    if key_marketplace != scope.marketplace {
        return Err(ScopeError::MarketplaceMismatch);
    }
    let tenant = scope.marketplace_tenant;
    if scope
        .claimed_tenant
        .is_some_and(|claimed| Some(claimed) != tenant)
    {
        return Err(ScopeError::TenantMismatch);
    }
    match scope.customer {
        TokenCustomer::New => Ok(tenant.cloned()),
        TokenCustomer::Existing(current) if current == tenant => Ok(None),
        TokenCustomer::Existing(_) => Err(ScopeError::TenantMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: i64 = 1_800_000_000;

    fn good() -> Value {
        json!({"sub": "u1", "customer": "acme", "organization": "org1", "iat": NOW - 10, "exp": NOW + 600,
               "role": "viewer", "embedded_config": {"tenant": "t"}, "customer_name": "Acme"})
    }

    fn check(claims: Value) -> Result<EmbeddedClaims, TokenError> {
        EmbeddedClaims::check(&claims, &"org1".into(), NOW, TokenPolicy::default())
    }

    fn with(key: &str, value: Value) -> Value {
        let mut c = good();
        c[key] = value;
        c
    }

    fn without(key: &str) -> Value {
        let mut c = good();
        c.as_object_mut().unwrap().remove(key);
        c
    }

    #[test]
    fn accepts_good_claims() {
        let c = check(good()).unwrap();
        assert_eq!(
            (c.role, c.customer.as_str(), c.customer_name.as_deref()),
            (Role::Viewer, "acme", Some("Acme"))
        );
        assert_eq!(check(without("role")).unwrap().role, Role::Admin);
        assert!(check(with("aud", json!("org1"))).is_ok());
        let recent = json!({"sub": "u", "customer": "c", "organization": "org1", "iat": NOW - 600, "exp": NOW - 30});
        assert!(check(recent).is_ok(), "expired within the leeway");
    }

    #[test]
    fn refuses_bad_claims_with_codes() {
        let table = [
            (without("sub"), "missing_claim"),
            (without("customer"), "missing_claim"),
            (without("organization"), "missing_claim"),
            (without("iat"), "missing_claim"),
            (without("exp"), "missing_claim"),
            (with("sub", json!("")), "invalid_claim"),
            (with("sub", json!(5)), "invalid_claim"),
            (with("organization", json!("org2")), "organization_mismatch"),
            (with("aud", json!("org2")), "audience_mismatch"),
            (with("aud", json!(["org1", "org2"])), "audience_mismatch"),
            (
                json!({"sub": "u", "customer": "c", "organization": "org1", "iat": NOW - 600, "exp": NOW - 61}),
                "token_expired",
            ),
            (with("iat", json!(NOW + 61)), "token_not_yet_valid"),
            (
                json!({"sub": "u", "customer": "c", "organization": "org1", "iat": NOW + 100, "exp": NOW + 200}),
                "token_not_yet_valid",
            ),
            (with("exp", json!(NOW + 3600)), "token_lifetime_too_long"),
            (with("role", json!("owner")), "invalid_claim"),
            (with("embedded_config", json!([1])), "invalid_claim"),
            (with("customer", json!(" padded")), "invalid_claim"),
        ];
        for (claims, code) in table {
            assert_eq!(check(claims.clone()).unwrap_err().code(), code, "{claims}");
        }
    }
}

#[cfg(test)]
mod partner_scope_tests {
    use super::*;

    fn scope<'a>(
        key: Option<&'a MarketplaceId>,
        marketplace: &'a MarketplaceId,
        marketplace_tenant: Option<&'a TenantId>,
        claimed: Option<&'a TenantId>,
        customer: TokenCustomer<'a>,
    ) -> Result<Option<TenantId>, ScopeError> {
        partner_scope(TokenScope {
            key_marketplace: key,
            marketplace,
            marketplace_tenant,
            claimed_tenant: claimed,
            customer,
        })
    }

    #[test]
    fn a_vendor_key_signs_for_anyone_and_its_claim_sets_the_tenant() {
        let (m, t, u) = (
            MarketplaceId::from("mkt_a"),
            TenantId::from("ten_a"),
            TenantId::from("ten_b"),
        );
        use TokenCustomer::{Existing, New};
        assert_eq!(scope(None, &m, None, None, New), Ok(None));
        assert_eq!(scope(None, &m, None, None, Existing(Some(&t))), Ok(None));
        assert_eq!(scope(None, &m, None, Some(&t), New), Ok(Some(t.clone())));
        assert_eq!(
            scope(None, &m, None, Some(&t), Existing(None)),
            Ok(Some(t.clone()))
        );
        assert_eq!(
            scope(None, &m, None, Some(&t), Existing(Some(&u))),
            Ok(Some(t.clone()))
        );
        assert_eq!(
            scope(None, &m, Some(&u), Some(&t), Existing(Some(&t))),
            Ok(None)
        );
    }

    #[test]
    fn a_partner_key_signs_for_its_marketplace_and_tenant_only() {
        let (m, other, t, u) = (
            MarketplaceId::from("mkt_a"),
            MarketplaceId::from("mkt_b"),
            TenantId::from("ten_a"),
            TenantId::from("ten_b"),
        );
        use TokenCustomer::{Existing, New};
        let partner = Some(&m);
        assert_eq!(
            scope(partner, &other, Some(&t), None, Existing(Some(&t))),
            Err(ScopeError::MarketplaceMismatch)
        );
        assert_eq!(
            scope(partner, &m, Some(&t), None, New),
            Ok(Some(t.clone())),
            "joins"
        );
        assert_eq!(
            scope(partner, &m, Some(&t), None, Existing(Some(&t))),
            Ok(None)
        );
        assert_eq!(
            scope(partner, &m, Some(&t), Some(&t), Existing(Some(&t))),
            Ok(None)
        );
        for refused in [
            scope(partner, &m, Some(&t), None, Existing(None)),
            scope(partner, &m, Some(&t), None, Existing(Some(&u))),
            scope(partner, &m, Some(&t), Some(&u), New),
            scope(partner, &m, Some(&t), Some(&u), Existing(Some(&t))),
        ] {
            assert_eq!(refused, Err(ScopeError::TenantMismatch));
        }
        assert_eq!(ScopeError::TenantMismatch.code(), "tenant_mismatch");
        assert_eq!(
            ScopeError::MarketplaceMismatch.code(),
            "marketplace_mismatch"
        );
    }
}
