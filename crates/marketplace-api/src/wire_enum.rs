//! `wire_enum!`: an enumerated string of the API, open to values a newer service may send.

/// Declares a `#[non_exhaustive]` enum of wire strings with an `Other(String)` fallback: known
/// names decode to their variant, any other string to `Other` (kept as sent, and sent back as
/// is). It gets `as_str`, `from_wire`, `KNOWN`, `Display`, serde as a plain string and, with the
/// `schema` feature, an OpenAPI string schema listing the known values. `enum Name: Default`
/// with `#[default]` on a variant also derives `Default`.
macro_rules! wire_enum {
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident $(: $derive:ident)? {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash $(, $derive)?)]
        #[non_exhaustive]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
            /// A value this version does not know (from a newer service), kept as sent.
            Other(String),
        }

        impl $name {
            /// Every known value, in wire order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(name) => name,
                }
            }

            /// The value of a wire name; an unknown name gives `Other`.
            pub fn from_wire(name: &str) -> Self {
                match name {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_wire(&name))
            }
        }

        #[cfg(feature = "schema")]
        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let description = [$($doc),*].map(str::trim).join(" ");
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description(Some(description))
                    .enum_values(Some([$($wire),+]))
                    .into()
            }
        }

        #[cfg(feature = "schema")]
        impl ::utoipa::ToSchema for $name {}
    };
}
