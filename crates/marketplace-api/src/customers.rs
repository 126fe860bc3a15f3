//! Customers, their users and the vendor-set values per integration:
//! `/api/v1/customers[/{id}[/config/{integration_id}|/users[/{user_id}]]]`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CustomerView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// The host app's id.
    pub external_id: String,
    /// Labels (lower-cased).
    pub labels: Vec<String>,
    /// Avatar URL.
    pub avatar_url: Option<String>,
    /// The tenant it belongs to (`null`: none).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// Body of `POST /api/v1/customers` (and of `PATCH`, where every field is optional).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    /// Name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The host app's id, unique in the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// Labels (lower-cased and de-duplicated on the way in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// The tenant (`PATCH` only): an id sets it, `null` clears it, absent leaves it.
    #[serde(
        default,
        deserialize_with = "crate::common::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<String>))]
    pub tenant_id: Option<Option<String>>,
}

query! {
    /// Filters and paging of the customer list.
    pub struct CustomerQuery {
        /// Case-insensitive substring of name, description, external id or a label.
        pub search: Option<String>,
        /// A label the customer carries.
        pub label: Option<String>,
        /// Exact external id.
        pub external_id: Option<String>,
        /// Only the customers of this tenant.
        pub tenant_id: Option<String>,
    }
    with paging
}

query! {
    /// `?confirm_name=` of a customer deletion.
    pub struct DeleteQuery {
        /// Must equal the customer's name.
        pub confirm_name: Option<String>,
    }
}

/// Vendor-set values of a customer for one integration (secrets shown as `{"set": true}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CustomerConfigView {
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// Values of organization and embedded variables, by key.
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub values: Map<String, Value>,
}

/// Body of `PUT /api/v1/customers/{id}/config/{integration_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomerConfigBody {
    /// Values of organization and embedded variables; an omitted secret keeps its stored value.
    #[cfg_attr(feature = "schema", schema(value_type = std::collections::HashMap<String, serde_json::Value>))]
    pub values: Map<String, Value>,
}

/// A customer user, known from the tokens the host app signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct UserView {
    /// The host app's user id (`sub`).
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// The role of the user's last token (or of the accepted invitation).
    pub role: Role,
    /// The role the vendor pinned, if any: the user acts with the lower of it and `role`.
    #[serde(default)]
    pub role_pinned: Option<Role>,
    /// Whether the user signs in to the portal with a password.
    #[serde(default)]
    pub has_password: bool,
    /// Until when portal sign-in is locked after failed attempts (RFC 3339), if locked.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub locked_until: Option<String>,
    /// The last portal sign-in (RFC 3339), if any.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub last_login_at: Option<String>,
    /// First seen (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// Body of `PATCH /api/v1/customers/{id}/users/{user_id}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Pins the user's role: from then on the user acts with the lower of it and each token's
    /// role (pin `admin` to lift a `viewer` pin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
}

wire_enum! {
    /// A customer user's role.
    pub enum Role {
        /// May activate and configure.
        Admin = "admin",
        /// Read only.
        Viewer = "viewer",
    }
}

impl From<marketplace_core::Role> for Role {
    fn from(role: marketplace_core::Role) -> Self {
        match role {
            marketplace_core::Role::Admin => Self::Admin,
            marketplace_core::Role::Viewer => Self::Viewer,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn customers_as_the_service_sends_them() {
        round_trip::<Page<CustomerView>>(
            json!({"items": [{"id": "cus_1", "name": "Globex Corporation",
            "description": "Demo customer", "external_id": "globex", "labels": ["enterprise", "eu"],
            "avatar_url": null, "tenant_id": "ten_1", "created_at": "2026-11-30T05:21:34.136Z"}], "next_cursor": null}),
        );
        let users: Page<UserView> = round_trip(json!({"items": [{"id": "ada@globex.example",
            "customer_id": "cus_1", "name": "Ada", "email": null, "role": "admin",
            "role_pinned": "viewer", "has_password": true, "locked_until": null,
            "last_login_at": "2026-11-30T06:00:00.000Z",
            "created_at": "2026-11-30T05:21:46.571Z"}], "next_cursor": null}));
        assert_eq!(users.items[0].role, Role::Admin);
        assert_eq!(users.items[0].role_pinned, Some(Role::Viewer));
        let config: CustomerConfigView = round_trip(json!({"customer_id": "cus_1",
            "integration_id": "int_1", "values": {"plan": "gold", "token": {"set": true}}}));
        assert_eq!(config.values["token"], json!({"set": true}));
    }

    #[test]
    fn bodies_refuse_unknown_fields() {
        assert!(serde_json::from_value::<CustomerBody>(json!({"nickname": "x"})).is_err());
        assert!(serde_json::from_value::<UserPatch>(json!({"sub": "u1"})).is_err());
        assert!(serde_json::from_value::<UserPatch>(json!({"role": "viewer"})).is_ok());
        assert!(
            serde_json::from_value::<CustomerConfigBody>(json!({"values": {}, "x": 1})).is_err()
        );
    }

    #[test]
    fn roles_are_open() {
        open_enum(Role::KNOWN, Role::Other("billing".into()));
    }
}
