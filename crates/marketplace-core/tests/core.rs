//! Integration tests of marketplace-core: one binary, one module per concern.

mod core {
    #[cfg(feature = "formula")]
    mod formulas;
    mod connections;
    pub(crate) mod generate;
    mod json_schema_agreement;
    mod mappings;
    mod marketplaces;
    mod monitors;
    mod properties;
    mod tiers;
}
