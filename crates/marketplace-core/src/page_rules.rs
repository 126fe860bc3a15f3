//! The data of core's rules that a page needs to draw forms and apply themes without running
//! core: the inputs of each connection kind, the masked placeholder, the theme names and the
//! accent pattern. The WebAssembly package returns it from `rules()`; the service writes the
//! same JSON into its iframe page, which cannot load the module.

use crate::config::masked_secret;
use crate::organization::{ACCENT_PATTERN, THEME_NAMES};
use crate::spec::{ConnectionInput, ConnectionKind};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The data of [`page_rules`], serialized as snake_case JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageRules {
    /// The inputs of each connection kind, in display order, by the kind's wire name.
    pub connection_inputs: BTreeMap<&'static str, &'static [ConnectionInput]>,
    /// What a read view shows for a stored secret, `{"set": true}`; sent back, it keeps it.
    pub masked: Value,
    /// The themes of the embedded marketplace, the default first.
    pub theme_names: &'static [&'static str],
    /// An accent colour, as a regular expression.
    pub accent_pattern: &'static str,
}

/// The data of core's rules for pages (see the module's documentation).
pub fn page_rules() -> PageRules {
    PageRules {
        connection_inputs: ConnectionKind::ALL
            .into_iter()
            .map(|kind| (kind.as_str(), kind.inputs()))
            .collect(),
        masked: masked_secret(),
        theme_names: THEME_NAMES,
        accent_pattern: ACCENT_PATTERN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_page_data_is_cores() {
        let data = serde_json::to_value(page_rules()).unwrap();
        assert_eq!(data["masked"], json!({"set": true}));
        assert_eq!(data["theme_names"], json!(["light", "dark"]));
        assert_eq!(data["accent_pattern"], json!("^#[0-9a-fA-F]{6}$"));
        assert_eq!(
            data["connection_inputs"]["basic"],
            json!([
                {"name": "username", "required": true, "secret": false, "url": false},
                {"name": "password", "required": true, "secret": true, "url": false}
            ])
        );
        let kinds: Vec<&String> = data["connection_inputs"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(kinds.len(), ConnectionKind::ALL.len());
    }
}
