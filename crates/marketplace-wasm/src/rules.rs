//! `rules`: the data of core's rules that forms and pages need: the inputs of each connection
//! kind, the masked placeholder `{"set": true}`, the theme names and the accent pattern.

use wasm_bindgen::prelude::*;

use crate::{JsResult, convert};

/// Core's `page_rules()`: what `renderConfigForm` reads instead of keeping its own copy (the
/// service writes the same JSON into its iframe page, which cannot load this module).
#[wasm_bindgen(js_name = rules, unchecked_return_type = "Rules")]
pub fn rules() -> JsResult<JsValue> {
    convert::to_js(&marketplace_core::page_rules())
}
