//! `POST/GET /api/v1/api-keys`, `DELETE /api/v1/api-keys/{id}`: admin API keys; the secret is
//! shown once, in the creation response.

use serde::{Deserialize, Serialize};

/// An API key, without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// First characters of the key, to recognise it.
    pub prefix: String,
    /// What the key may do.
    #[serde(default)]
    pub role: ApiKeyRole,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// A new API key with its secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The secret: use it as `Authorization: Bearer <secret>`; it is not shown again.
    pub secret: String,
}

/// Body of `POST /api/v1/api-keys`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreate {
    /// Name, to tell keys apart.
    pub name: String,
    /// What the key may do (default `admin`).
    #[serde(default)]
    pub role: Option<ApiKeyRole>,
}

wire_enum! {
    /// What an API key may do.
    pub enum ApiKeyRole: Default {
        /// Everything the admin API offers.
        #[default]
        Admin = "admin",
        /// Reads like an admin; writes only decisions (workflow templates) on what others
        /// filed, never its own (`self_review`); any other write is 403 `forbidden_role`.
        Reviewer = "reviewer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn keys_as_the_service_sends_them() {
        let created: NewApiKey = round_trip(
            json!({"id": "key_2", "name": "ci", "prefix": "mk_PV4bpvI", "role": "admin",
            "created_at": "2026-11-30T05:21:46.539Z", "secret": "mk_PV4bpvI3GeBxG3hz"}),
        );
        assert_eq!(created.key.name, "ci");
        assert_eq!(created.key.role, ApiKeyRole::Admin);
        let page = round_trip::<Page<ApiKeyView>>(
            json!({"items": [{"id": "key_1", "name": "initial",
            "prefix": "mk_oS3z3Jz", "role": "reviewer", "created_at": "2026-11-30T05:21:33.497Z"}], "next_cursor": null}),
        );
        assert_eq!(page.items[0].role, ApiKeyRole::Reviewer);
        let body: ApiKeyCreate =
            serde_json::from_value(json!({"name": "ci", "role": "reviewer"})).unwrap();
        assert_eq!(body.role, Some(ApiKeyRole::Reviewer));
        assert!(
            serde_json::from_value::<ApiKeyCreate>(json!({"name": "ci", "scope": "all"})).is_err()
        );
    }
}
