//! `POST/GET /api/v1/tenants`, `GET/PATCH/DELETE /api/v1/tenants/{id}` and the listings assigned
//! to a tenant, `/api/v1/tenants/{id}/listings[/{marketplace_id}/{integration_id}]`.

use serde::{Deserialize, Serialize};

/// A tenant: a customer segment or a reseller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TenantView {
    /// Id (`ten_`).
    pub id: String,
    /// Unique key (`^[a-z][a-z0-9-]{0,62}$`), named by tokens' `tenant` claim; immutable.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Which listings its customers see.
    pub app_management: AppManagement,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `POST /api/v1/tenants` (and of `PATCH`, where every field is optional and `key`, when
/// sent, must equal the current one).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TenantBody {
    /// Key (required on creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Display name (required on creation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Which listings its customers see (default `all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_management: Option<AppManagement>,
}

wire_enum! {
    /// Which listings of a marketplace a tenant's customers see.
    pub enum AppManagement: Default {
        /// Every listing.
        #[default]
        All = "all",
        /// Only the listings assigned to the tenant.
        Tenant = "tenant",
    }
}

/// A listing assigned to a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct TenantListingView {
    /// The tenant.
    pub tenant_id: String,
    /// The listing's marketplace.
    pub marketplace_id: String,
    /// The listing's integration.
    pub integration_id: String,
}

query! {
    /// Filter and paging of a tenant's assigned listings.
    pub struct TenantListingQuery {
        /// Only this marketplace's.
        pub marketplace_id: Option<String>,
    }
    with paging
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn tenants_as_the_service_sends_them() {
        let tenant: TenantView = round_trip(json!({"id": "ten_1", "key": "resellers",
            "name": "Resellers", "description": "", "app_management": "tenant",
            "created_at": "2026-11-30T05:21:46.539Z", "updated_at": "2026-11-30T05:21:46.539Z"}));
        assert_eq!(tenant.app_management, AppManagement::Tenant);
        let page: Page<TenantListingView> = round_trip(json!({"items": [{"tenant_id": "ten_1",
            "marketplace_id": "mkt_1", "integration_id": "int_1"}], "next_cursor": null}));
        assert_eq!(page.items[0].integration_id, "int_1");
        let body: TenantBody = serde_json::from_value(json!({"name": "EU"})).unwrap();
        assert_eq!(body.key, None);
        assert!(serde_json::from_value::<TenantBody>(json!({"tenant": "x"})).is_err());
    }
}
