//! `parseSpec` and `toJsonSchema`.

use marketplace_core::{CompiledSpec, to_json_schema};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::{JsResult, convert, error};

/// Parses and checks a spec, the way every other export does; throws `invalid_spec` with every
/// problem (paths into the spec, e.g. `/pages/0/elements/1/key`).
pub(crate) fn compile(spec: &JsValue) -> JsResult<CompiledSpec> {
    let value: Value = convert::from_js(spec, "spec")?;
    CompiledSpec::parse(&value).map_err(|errors| error::invalid_spec(&errors))
}

/// The normalized spec (defaults omitted, one canonical form); throws `invalid_spec` with
/// every problem when the spec is not valid.
#[wasm_bindgen(js_name = parseSpec, unchecked_return_type = "ConfigSpec")]
pub fn parse_spec(
    #[wasm_bindgen(unchecked_param_type = "unknown")] spec: JsValue,
) -> JsResult<JsValue> {
    convert::to_js(compile(&spec)?.spec())
}

/// The customer-visible part of a spec as JSON Schema 2020-12; throws `invalid_spec`.
#[wasm_bindgen(js_name = toJsonSchema, unchecked_return_type = "JsonSchema")]
pub fn json_schema(
    #[wasm_bindgen(unchecked_param_type = "ConfigSpec")] spec: JsValue,
) -> JsResult<JsValue> {
    convert::to_js(&to_json_schema(compile(&spec)?.spec()))
}
