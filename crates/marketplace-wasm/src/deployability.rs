//! `deployability`: may this customer activate this listing, and if not, why.

use marketplace_core::certification::Tier;
use marketplace_core::deployability::{DeployabilityInput, deployability as decide};
use marketplace_core::integration::VersionState;
use marketplace_core::{CompiledSpec, FieldError, IntegrationVersion, Listing};
use serde::Deserialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::{JsResult, convert, error};

/// The argument of `deployability` (the `DeployabilityInput` of the TypeScript types).
///
/// Top-level keys are camelCase (a JS options object); `listing` keeps the service's wire form
/// (snake_case), so a listing fetched from the API passes through unchanged.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InputWire {
    listing: ListingWire,
    version: VersionWire,
    #[serde(default)]
    live_instances: usize,
    #[serde(default)]
    vendor_values: Option<Map<String, Value>>,
    #[serde(default)]
    embedded_values: Option<Map<String, Value>>,
    #[serde(default)]
    tier: Option<Tier>,
    #[serde(default)]
    min_tier: Option<Tier>,
}

/// What deployability reads of a listing (other fields of the wire form, such as
/// `marketplace_id` or `partner_brief`, pass through unread).
#[derive(Deserialize)]
struct ListingWire {
    integration_id: String,
    version: semver::Version,
    customer_deployable: bool,
    allow_multiple_instances: bool,
}

/// The listed version: its number, state and config spec (flows, if present, are ignored).
#[derive(Deserialize)]
struct VersionWire {
    version: semver::Version,
    state: VersionState,
    config: Value,
}

/// Whether a customer may activate a listing: `{status, reasons}`, `status` being
/// `"deployable"`, `"contact_vendor"` or `"not_deployable"`; each reason has a `code`, a
/// `message` and, for `missing_default`, the `variables` the vendor must set.
/// Throws `invalid_argument` for an input of the wrong shape, `invalid_spec` (paths under
/// `/version/config`) for a version whose spec is not valid.
#[wasm_bindgen(js_name = deployability, unchecked_return_type = "Deployability")]
pub fn deployability(
    #[wasm_bindgen(unchecked_param_type = "DeployabilityInput")] input: JsValue,
) -> JsResult<JsValue> {
    let input: InputWire = convert::from_js(&input, "deployability input")?;
    let config = CompiledSpec::parse(&input.version.config).map_err(|errors| {
        let errors: Vec<FieldError> = errors
            .into_iter()
            .map(|e| e.prefixed("/version/config"))
            .collect();
        error::invalid_spec(&errors)
    })?;
    let version = IntegrationVersion {
        version: input.version.version,
        state: input.version.state,
        config,
        flows: Vec::new(),
        collections: Vec::new(),
        record_types: Vec::new(),
    };
    let wire = input.listing;
    let listing = Listing {
        pricing: None,
        marketplace_id: String::new().into(),
        integration_id: wire.integration_id.into(),
        version: wire.version,
        overview: String::new(),
        customer_deployable: wire.customer_deployable,
        allow_multiple_instances: wire.allow_multiple_instances,
        partner_brief: Default::default(),
        visibility: Default::default(),
    };
    convert::to_js(&decide(DeployabilityInput {
        listing: &listing,
        version: &version,
        live_instances: input.live_instances,
        vendor_values: input.vendor_values.as_ref(),
        embedded_values: input.embedded_values.as_ref(),
        tier: input.tier,
        min_tier: input.min_tier,
    }))
}
