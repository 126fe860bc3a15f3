//! Typed ids: a customer id is not an instance id, even if both are strings on the wire.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    )*};
}

typed_id! {
    /// Id of an organization (the vendor).
    OrganizationId,
    /// Id of an integration.
    IntegrationId,
    /// The service's id of a customer (not the host app's external id).
    CustomerId,
    /// Id of a customer user (the token's `sub`).
    UserId,
    /// Id of an instance.
    InstanceId,
    /// Id of a marketplace (`mkt_`).
    MarketplaceId,
    /// Id of a tenant (`ten_`).
    TenantId,
    /// Id of a provider (`prv_`).
    ProviderId,
    /// Id of an application (`app_`).
    ApplicationId,
}
