//! The data of core's rules that a page needs to draw forms and apply themes without running
//! core: the inputs of each connection kind, the masked placeholder, the theme names, the
//! accent pattern and the cancellation reasons a customer picks from. The WebAssembly package returns it from `rules()`; the service writes the
//! same JSON into its iframe page, which cannot load the module.
//!
//! Built as a JSON value by hand rather than through a serde derive: the module already carries
//! the code that turns a `Value` into JavaScript, and a derived serializer would add 5 KiB
//! (gzipped) to it.

use crate::commerce::CancellationReason;
use crate::config::masked_secret;
use crate::organization::{ACCENT_PATTERN, THEME_NAMES};
use crate::spec::ConnectionKind;
use serde_json::{Map, Value, json};

/// The data of core's rules for pages, as JSON: `{connection_inputs: {kind: [{name, required,
/// secret, url}]}, masked: {"set": true}, theme_names: [...], accent_pattern: "...",
/// cancellation_reasons: [...]}`.
pub fn page_rules() -> Value {
    let mut connection_inputs = Map::new();
    for kind in ConnectionKind::ALL {
        let inputs = kind
            .inputs()
            .iter()
            .map(|i| json!({"name": i.name, "required": i.required, "secret": i.secret, "url": i.url}))
            .collect();
        connection_inputs.insert(kind.as_str().to_owned(), Value::Array(inputs));
    }
    json!({
        "connection_inputs": connection_inputs,
        "masked": masked_secret(),
        "theme_names": THEME_NAMES,
        "accent_pattern": ACCENT_PATTERN,
        "cancellation_reasons": CancellationReason::PICKABLE.map(CancellationReason::as_str),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_data_is_cores() {
        let data = page_rules();
        assert_eq!(data["masked"], json!({"set": true}));
        assert_eq!(data["theme_names"], json!(["light", "dark"]));
        assert_eq!(data["accent_pattern"], json!("^#[0-9a-fA-F]{6}$"));
        let reasons = data["cancellation_reasons"].as_array().unwrap();
        assert_eq!(reasons.len(), CancellationReason::PICKABLE.len());
        assert!(!reasons.contains(&json!("unspecified")), "{reasons:?}");
        assert_eq!(
            data["connection_inputs"]["basic"],
            json!([
                {"name": "username", "required": true, "secret": false, "url": false},
                {"name": "password", "required": true, "secret": true, "url": false}
            ])
        );
        for kind in ConnectionKind::ALL {
            let inputs = data["connection_inputs"][kind.as_str()].as_array().unwrap();
            assert_eq!(inputs.len(), kind.inputs().len(), "{}", kind.as_str());
        }
    }
}
