//! Config layers and read views: effective config, secret masking, updates that keep secrets.
//!
//! Architecture invariant: a read view never holds a secret. [`mask_secrets`] is the one place
//! that turns stored values into what any response, log or event may show.

use crate::compiled::CompiledSpec;
use crate::error::FieldError;
use crate::spec::{ConfigSpec, VariableType};
use crate::values::{Editor, ValidationOptions, validate_config};
use serde_json::{Map, Value, json};

/// The value a read view shows in place of a stored secret.
pub fn masked_secret() -> Value {
    json!({"set": true})
}

fn is_masked_placeholder(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.get("set") == Some(&Value::Bool(true)))
}

/// Whether a value is, or holds, a masked secret `{"set": true}`.
fn holds_masked(value: &Value) -> bool {
    is_masked_placeholder(value)
        || value
            .as_object()
            .is_some_and(|object| object.values().any(holds_masked))
}

/// Checks an update against values read back from the service, whose secrets are masked:
/// merged as the service will ([`merge_update`]), complete, for `editor`. Errors on a variable
/// whose merged value still holds a masked secret are left out: only the service, which holds
/// the secret, can judge it. This is what a client checks before sending a reconfiguration.
pub fn validate_update(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    update: &Map<String, Value>,
    editor: Editor,
) -> Vec<FieldError> {
    let merged = merge_update(spec.spec(), stored, update);
    let top_key = |path: &str| {
        let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
        first.replace("~1", "/").replace("~0", "~")
    };
    validate_config(
        spec,
        &Value::Object(merged.clone()),
        ValidationOptions::complete(editor),
    )
    .into_iter()
    .filter(|error| !merged.get(&top_key(&error.path)).is_some_and(holds_masked))
    .collect()
}

/// The effective config: each variable's default, overridden by each layer in turn.
///
/// Pass the layers lowest first: vendor-set values, then values from the host's token, then the
/// customer's values. Keys the spec does not know are left out.
pub fn effective_config(spec: &ConfigSpec, layers: &[&Map<String, Value>]) -> Map<String, Value> {
    let mut out = Map::new();
    for variable in spec.variables() {
        let value = layers
            .iter()
            .rev()
            .find_map(|layer| layer.get(&variable.key))
            .or(variable.default.as_ref());
        if let Some(value) = value {
            out.insert(variable.key.clone(), value.clone());
        }
    }
    out
}

/// A read view of a config: secrets become `{"set": true}`, and so do the secret inputs of
/// connections (`{"username": "ops", "password": {"set": true}}`). Keys unknown to the spec are
/// dropped, since nothing can say whether they are secret.
pub fn mask_secrets(spec: &ConfigSpec, config: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for variable in spec.variables() {
        let Some(value) = config.get(&variable.key) else {
            continue;
        };
        let shown = match &variable.kind {
            VariableType::Secret(_) => masked_secret(),
            VariableType::Connection(kind) => match value.as_object() {
                Some(inputs) => Value::Object(
                    inputs
                        .iter()
                        .map(|(name, v)| {
                            let secret = kind.inputs().iter().any(|i| i.name == name && i.secret);
                            (
                                name.clone(),
                                if secret { masked_secret() } else { v.clone() },
                            )
                        })
                        .collect(),
                ),
                None => masked_secret(),
            },
            _ => value.clone(),
        };
        out.insert(variable.key.clone(), shown);
    }
    out
}

/// Applies an update to stored values: the update replaces the stored values, except that a
/// secret (or a connection's secret input) that the update omits, or sends back as the masked
/// `{"set": true}`, keeps its stored value.
pub fn merge_update(
    spec: &ConfigSpec,
    stored: &Map<String, Value>,
    update: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = update.clone();
    for variable in spec.variables() {
        let Some(old) = stored.get(&variable.key) else {
            continue;
        };
        match &variable.kind {
            VariableType::Secret(_)
                if update.get(&variable.key).is_none_or(is_masked_placeholder) =>
            {
                out.insert(variable.key.clone(), old.clone());
            }
            VariableType::Connection(kind) => match update.get(&variable.key) {
                None => {
                    out.insert(variable.key.clone(), old.clone());
                }
                Some(Value::Object(new_inputs)) => {
                    let mut merged = new_inputs.clone();
                    for input in kind.inputs().iter().filter(|i| i.secret) {
                        let keep = new_inputs.get(input.name).is_none_or(is_masked_placeholder);
                        if let (true, Some(old_input)) = (keep, old.get(input.name)) {
                            merged.insert(input.name.to_owned(), old_input.clone());
                        }
                    }
                    out.insert(variable.key.clone(), Value::Object(merged));
                }
                Some(_) => {}
            },
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> ConfigSpec {
        ConfigSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"], "default": "eu"},
            {"key": "token", "label": "Token", "type": "secret"},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "basic"}},
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization"}
        ]}]}))
        .unwrap()
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn updates_are_checked_against_masked_stored_values() {
        let spec = CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "url", "label": "URL", "type": "url", "required": true},
            {"key": "token", "label": "Token", "type": "secret", "min_length": 8, "required": true},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "basic"}, "required": true}
        ]}]}))
        .unwrap();
        let stored = obj(json!({"url": "https://a.example", "token": {"set": true},
                                "auth": {"username": "ops", "password": {"set": true}}}));
        let codes = |update: Value| -> Vec<(String, &'static str)> {
            validate_update(&spec, &stored, &obj(update), Editor::Customer)
                .into_iter()
                .map(|e| (e.path, e.code.as_str()))
                .collect()
        };
        // Omitted secrets and connections keep their (masked) values: nothing to judge here.
        assert_eq!(codes(json!({"url": "https://b.example"})), []);
        // The update replaces the other values: an omitted one is missing.
        assert_eq!(codes(json!({})), [("/url".to_owned(), "required")]);
        // New values are judged, secrets included.
        assert_eq!(
            codes(json!({"url": "ftp://x", "token": "short"})),
            [
                ("/token".to_owned(), "min_length"),
                ("/url".to_owned(), "format")
            ]
        );
        assert_eq!(
            codes(json!({"url": "https://b.example", "auth": {"username": ""}})),
            []
        );
    }

    #[test]
    fn layers_override_defaults_in_order() {
        let vendor = obj(json!({"plan": "gold", "region": "us"}));
        let customer = obj(json!({"region": "eu", "stray": 1}));
        let effective = effective_config(&spec(), &[&vendor, &customer]);
        assert_eq!(
            Value::Object(effective),
            json!({"region": "eu", "plan": "gold"})
        );
        let effective = effective_config(&spec(), &[]);
        assert_eq!(Value::Object(effective), json!({"region": "eu"}));
    }

    #[test]
    fn masking_hides_every_secret() {
        let stored = obj(
            json!({"token": "s3cret", "auth": {"username": "ops", "password": "pw"}, "region": "us"}),
        );
        let shown = Value::Object(mask_secrets(&spec(), &stored));
        assert_eq!(
            shown,
            json!({"region": "us", "token": {"set": true}, "auth": {"username": "ops", "password": {"set": true}}})
        );
        assert!(!shown.to_string().contains("s3cret") && !shown.to_string().contains("\"pw\""));
    }

    #[test]
    fn updates_keep_omitted_or_masked_secrets() {
        let spec = spec();
        let stored = obj(
            json!({"token": "s3cret", "auth": {"username": "ops", "password": "pw"}, "region": "us"}),
        );
        let update = obj(json!({"auth": {"username": "admin", "password": {"set": true}}}));
        let merged = Value::Object(merge_update(&spec, &stored, &update));
        assert_eq!(
            merged,
            json!({"token": "s3cret", "auth": {"username": "admin", "password": "pw"}})
        );
        let update = obj(json!({"token": "new", "auth": {"username": "a", "password": "new-pw"}}));
        let merged = Value::Object(merge_update(&spec, &stored, &update));
        assert_eq!(
            merged,
            json!({"token": "new", "auth": {"username": "a", "password": "new-pw"}})
        );
    }
}
