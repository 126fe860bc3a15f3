//! Failures as JavaScript `Error` objects carrying a stable `code` and the field errors.

use marketplace_core::{FieldError, FieldErrorCode};
use wasm_bindgen::JsValue;

use crate::convert;

/// `code` of the error thrown when a spec is not valid.
pub const INVALID_SPEC: &str = "invalid_spec";

/// `code` of the error thrown when an argument does not have the documented shape.
pub const INVALID_ARGUMENT: &str = "invalid_argument";

/// A JS `Error` (name `MarketplaceError`) with `message`, `code` and `errors` (`FieldError[]`).
pub fn js_error(code: &str, message: &str, errors: &[FieldError]) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("MarketplaceError");
    // Setting a property on a fresh `Error` cannot fail; a failure would only lose detail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    let errors = convert::to_js(&errors).unwrap_or_else(|_| js_sys::Array::new().into());
    let _ = js_sys::Reflect::set(&error, &"errors".into(), &errors);
    error.into()
}

/// The error thrown for a spec that does not parse: every problem at once.
pub fn invalid_spec(errors: &[FieldError]) -> JsValue {
    let message = match errors.first() {
        Some(first) => format!("invalid spec: {} error(s), first: {first}", errors.len()),
        None => "invalid spec".to_owned(),
    };
    js_error(INVALID_SPEC, &message, errors)
}

/// The error thrown for an argument of the wrong shape, `path` naming where (JSON Pointer).
pub fn invalid_argument(argument: &str, path: &str, message: &str) -> JsValue {
    let error = FieldError::new(path, FieldErrorCode::Invalid, message);
    js_error(
        INVALID_ARGUMENT,
        &format!("invalid {argument}: {error}"),
        &[error],
    )
}
