//! Integration tests of marketplace-core: one binary, one module per concern.

mod core {
    mod connections;
    #[cfg(feature = "formula")]
    mod formulas;
    pub(crate) mod generate;
    mod json_schema_agreement;
    mod mappings;
    mod marketplaces;
    mod monitors;
    mod properties;
    mod tiers;
}
