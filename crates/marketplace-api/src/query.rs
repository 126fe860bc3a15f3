//! `query!`: a query-string struct of the API, every parameter optional.

/// Declares a query-string struct whose fields are all `Option`s, left out of the query when
/// `None`: it gets `Default`, serde and, with the `schema` feature, `IntoParams` (in the query).
/// `with paging` appends `limit` and `cursor`; `with scope, paging` first appends the
/// `customer_id`, `integration_id`, `version` and `instance_id` filters. The fields are plain
/// (not `#[serde(flatten)]`), so numbers parse from a query string and the OpenAPI document lists
/// every parameter.
macro_rules! query {
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($fields:tt)* }
        with scope, paging
    ) => {
        query! {
            $(#[doc = $doc])*
            pub struct $name {
                $($fields)*
                /// Only this customer's.
                pub customer_id: Option<String>,
                /// Only this integration's.
                pub integration_id: Option<String>,
                /// Only this version's.
                pub version: Option<String>,
                /// Only this instance's.
                pub instance_id: Option<String>,
            }
            with paging
        }
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident { $($fields:tt)* }
        with paging
    ) => {
        query! {
            $(#[doc = $doc])*
            pub struct $name {
                $($fields)*
                /// Page size, 1 to 200 (default 50).
                pub limit: Option<u32>,
                /// Opaque cursor from a previous page's `next_cursor`.
                pub cursor: Option<String>,
            }
        }
    };
    (
        $(#[doc = $doc:literal])*
        pub struct $name:ident {
            $( $(#[$meta:meta])* pub $field:ident: $ty:ty, )*
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[cfg_attr(feature = "schema", derive(utoipa::IntoParams))]
        #[cfg_attr(feature = "schema", into_params(parameter_in = Query))]
        pub struct $name {
            $(
                $(#[$meta])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: $ty,
            )*
        }
    };
}
