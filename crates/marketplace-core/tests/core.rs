//! Integration tests of marketplace-core: one binary, one module per concern.

mod core {
    pub(crate) mod generate;
    mod json_schema_agreement;
    mod mappings;
    mod monitors;
    mod properties;
}
