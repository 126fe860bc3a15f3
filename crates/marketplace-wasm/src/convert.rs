//! JS values in and out, through the engine's `JSON`.
//!
//! `JSON.stringify` then `serde_json` (and back with `JSON.parse`) costs a copy, but adds no
//! code to the module beyond the `serde_json` that core already carries; `serde-wasm-bindgen`
//! would add its own (de)serializers for every type that crosses.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::JsResult;
use crate::error;

/// A JS value as JSON; `argument` names it in the error thrown for a value JSON cannot hold.
pub fn from_js<T: DeserializeOwned>(value: &JsValue, argument: &str) -> JsResult<T> {
    let text = js_sys::JSON::stringify(value)
        .ok()
        .and_then(|text| text.as_string())
        .ok_or_else(|| {
            error::invalid_argument(argument, "", "not representable as JSON (undefined?)")
        })?;
    // `from_slice`, as the SDK decodes: one instantiation of the JSON reader, not two.
    serde_json::from_slice(text.as_bytes())
        .map_err(|err| error::invalid_argument(argument, "", &without_position(&err)))
}

/// A Rust value as a plain JS value (objects, arrays, strings, numbers, booleans, null).
pub fn to_js<T: Serialize + ?Sized>(value: &T) -> JsResult<JsValue> {
    let text = serde_json::to_string(value)
        .map_err(|err| error::js_error("internal", &err.to_string(), &[]))?;
    js_sys::JSON::parse(&text)
}

/// A serde error's message without the "at line 1 column 42" that only makes sense for text.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}
