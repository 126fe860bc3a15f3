//! `validateConfig`: a config checked against a spec for an editor; `CompiledSpec`, a spec
//! compiled once for many validations (a form checking values as they are typed).

use marketplace_core::{Editor, FieldError, ValidationOptions, validate_config};
use serde::Serialize;
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use crate::{JsResult, convert, error, spec};

/// What `validateConfig` returns (the `ValidationResult` of the TypeScript types).
#[derive(Serialize)]
struct ValidationResult {
    valid: bool,
    errors: Vec<FieldError>,
}

/// Checks `values` (the editor's whole part of a config) against `spec`, every problem at once
/// as `{path, code, message}`. `editor` is `"customer"`, `"embedded"` or `"organization"`.
/// Throws `invalid_spec` for a spec that is not valid, `invalid_argument` for an unknown editor.
#[wasm_bindgen(js_name = validateConfig, unchecked_return_type = "ValidationResult")]
pub fn validate(
    #[wasm_bindgen(unchecked_param_type = "ConfigSpec")] spec: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ConfigValues")] values: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Editor")] editor: JsValue,
) -> JsResult<JsValue> {
    check(&spec::compile(&spec)?, &values, &editor)
}

/// A spec compiled once (patterns, indexes), to validate many configs against it.
#[wasm_bindgen(js_name = CompiledSpec)]
pub struct Compiled {
    spec: marketplace_core::CompiledSpec,
    /// The buffers `js/values.js` writes encoded values into (`encodingBuffers`), read by
    /// `validateEncoded`: in place, with no allocation or copy per call.
    text: Vec<u8>,
    tape: Vec<f64>,
}

#[wasm_bindgen(js_class = CompiledSpec)]
impl Compiled {
    /// Compiles a spec; throws `invalid_spec` with every problem.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "ConfigSpec")] spec: JsValue,
    ) -> JsResult<Compiled> {
        Ok(Compiled {
            spec: spec::compile(&spec)?,
            text: Vec::new(),
            tape: Vec::new(),
        })
    }

    /// The variables' keys, in spec order: `validateEncoded` reads a member name `-1 - i` as
    /// the `i`th.
    #[wasm_bindgen(js_name = variableKeys, skip_typescript)]
    pub fn variable_keys(&self) -> JsResult<JsValue> {
        let keys: Vec<&str> = self.spec.variables().map(|v| v.key.as_str()).collect();
        convert::to_js(&keys)
    }

    /// What `validateConfig(spec, values, editor)` answers, without compiling the spec again.
    #[wasm_bindgen(unchecked_return_type = "ValidationResult")]
    pub fn validate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConfigValues")] values: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Editor")] editor: JsValue,
    ) -> JsResult<JsValue> {
        check(&self.spec, &values, &editor)
    }

    /// Makes the encoding buffers hold `text` bytes and `tape` numbers or more (they only
    /// grow); returns where they are in the module's memory (`moduleMemory()`), as
    /// `[text, tape]` addresses, for `js/values.js` to write into.
    #[wasm_bindgen(js_name = encodingBuffers, skip_typescript)]
    pub fn encoding_buffers(&mut self, text: usize, tape: usize) -> Vec<u32> {
        if self.text.len() < text {
            self.text.resize(text, 0);
        }
        if self.tape.len() < tape {
            self.tape.resize(tape, 0.0);
        }
        // Addresses of the module's 32-bit memory.
        vec![self.text.as_mut_ptr() as u32, self.tape.as_mut_ptr() as u32]
    }

    /// `validate` of the values `js/values.js` encoded (see the `marketplace-tape` crate) into
    /// the first `text` bytes and `tape` numbers of the encoding buffers: the problems found
    /// as `FieldError[]`, `null` when there are none (`values.js` builds the
    /// `ValidationResult`), `undefined` when the encoding cannot be read; the package's
    /// `CompiledSpec.validate` then validates through JSON.
    #[wasm_bindgen(js_name = validateEncoded, skip_typescript)]
    pub fn validate_encoded(&self, text: usize, tape: usize, editor: JsValue) -> JsResult<JsValue> {
        let options = ValidationOptions::complete(editor_of(&editor)?);
        let (Some(text), Some(tape)) = (self.text.get(..text), self.tape.get(..tape)) else {
            return Ok(JsValue::UNDEFINED);
        };
        match marketplace_tape::validate(&self.spec, text, tape, options) {
            Some(errors) if errors.is_empty() => Ok(JsValue::NULL),
            Some(errors) => convert::to_js(&errors),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// Checks an update against values read back from the service (secrets masked as
    /// `{"set": true}`) by core's rule of reconfiguration (`accept_reconfiguration`): merged as
    /// the service will, a masked secret kept counting as set. Paths relative to the config.
    /// What a client checks before sending a reconfiguration.
    #[wasm_bindgen(js_name = validateUpdate, unchecked_return_type = "ValidationResult")]
    pub fn validate_update(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ConfigValues")] stored: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ConfigValues")] update: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Editor")] editor: JsValue,
    ) -> JsResult<JsValue> {
        let stored: Map<String, Value> = convert::from_js(&stored, "stored")?;
        let update: Map<String, Value> = convert::from_js(&update, "update")?;
        let errors =
            marketplace_core::validate_update(&self.spec, &stored, &update, editor_of(&editor)?);
        result(errors)
    }
}

/// The module's `WebAssembly.Memory`, where the encoding buffers of a `CompiledSpec` are.
#[wasm_bindgen(js_name = moduleMemory, skip_typescript)]
pub fn module_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// The editor a JS string names; anything else throws `invalid_argument`.
fn editor_of(editor: &JsValue) -> JsResult<Editor> {
    match editor.as_string().as_deref() {
        Some("customer") => Ok(Editor::Customer),
        Some("embedded") => Ok(Editor::Embedded),
        Some("organization") => Ok(Editor::Organization),
        _ => Err(error::invalid_argument(
            "editor",
            "",
            "expected \"customer\", \"embedded\" or \"organization\"",
        )),
    }
}

/// Validates JS values against a compiled spec for a JS editor name.
fn check(
    spec: &marketplace_core::CompiledSpec,
    values: &JsValue,
    editor: &JsValue,
) -> JsResult<JsValue> {
    let editor = editor_of(editor)?;
    let values: Value = convert::from_js(values, "values")?;
    let errors = validate_config(spec, &values, ValidationOptions::complete(editor));
    result(errors)
}

/// A `ValidationResult` for JavaScript.
fn result(errors: Vec<FieldError>) -> JsResult<JsValue> {
    convert::to_js(&ValidationResult {
        valid: errors.is_empty(),
        errors,
    })
}
