//! Config layers and read views: effective config, secret masking, read views per audience,
//! updates that keep secrets, and the vendor-set values of a customer.
//!
//! Architecture invariant: a read view never holds a secret. [`mask_secrets`] is the one place
//! that turns stored values into what any response, log or event may show.

use crate::compiled::CompiledSpec;
use crate::error::{FieldError, FieldErrorCode, prefix_all};
use crate::pointer;
use crate::spec::{ConfigSpec, VariableType, Visibility};
use crate::values::{Editor, ValidationOptions, validate_map};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The value a read view shows in place of a stored secret: `{"set": true}`.
pub fn masked_secret() -> Value {
    json!({"set": true})
}

/// Whether a value is the masked placeholder `{"set": true}` of a read view: sent back in an
/// update, it keeps the stored secret; read back by a client, it stands for a secret that is set.
pub fn is_masked(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.len() == 1 && o.get("set") == Some(&Value::Bool(true)))
}

/// Who reads a config: customers never see organization or embedded values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// A customer user (embedded API, the marketplace page).
    Customer,
    /// The vendor (admin API).
    Organization,
}

/// What `audience` may read of a stored config: secrets masked ([`mask_secrets`]) and, for a
/// customer, only customer-visible variables.
pub fn read_view(
    spec: &ConfigSpec,
    config: &Map<String, Value>,
    audience: Audience,
) -> Map<String, Value> {
    let mut view = mask_secrets(spec, config);
    if audience == Audience::Customer {
        view.retain(|key, _| {
            spec.variable(key)
                .is_some_and(|v| v.visibility == Visibility::Customer)
        });
    }
    view
}

/// Accepts the vendor-set values of a customer for an integration (the admin API's customer
/// config): `update` merged over `stored` ([`merge_update`], omitted secrets kept), checked as a
/// partial layer from the organization; customer variables are refused (`not_editable`), since
/// they are set on instances. Returns the values to store, or every error, paths under `/values`.
pub fn accept_vendor_values(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    update: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let merged = merge_update(spec.spec(), stored, update);
    let mut errors = validate_map(
        spec,
        &merged,
        ValidationOptions::partial(Editor::Organization),
    );
    for key in merged.keys() {
        if spec
            .variable(key)
            .is_some_and(|v| v.visibility == Visibility::Customer)
        {
            errors.push(FieldError::new(
                pointer::push("", key),
                FieldErrorCode::NotEditable,
                "customer variables are set on instances, not here",
            ));
        }
    }
    if errors.is_empty() {
        Ok(merged)
    } else {
        Err(prefix_all(errors, "/values"))
    }
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
            VariableType::Secret(_) if update.get(&variable.key).is_none_or(is_masked) => {
                out.insert(variable.key.clone(), old.clone());
            }
            VariableType::Connection(kind) => match update.get(&variable.key) {
                None => {
                    out.insert(variable.key.clone(), old.clone());
                }
                Some(Value::Object(new_inputs)) => {
                    let mut merged = new_inputs.clone();
                    for input in kind.inputs().iter().filter(|i| i.secret) {
                        let keep = new_inputs.get(input.name).is_none_or(is_masked);
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

    #[test]
    fn the_masked_placeholder_is_exactly_set_true() {
        assert!(is_masked(&masked_secret()));
        for value in [
            json!({"set": false}),
            json!({"set": true, "x": 1}),
            json!({"set": "true"}),
            json!("set"),
            json!(null),
        ] {
            assert!(!is_masked(&value), "{value}");
        }
    }

    #[test]
    fn read_views_mask_secrets_and_show_customers_their_part_only() {
        let spec = ConfigSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "region", "label": "Region", "type": "string"},
            {"key": "token", "label": "Token", "type": "secret"},
            {"key": "tenant", "label": "Tenant", "type": "secret", "visibility": "embedded"},
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization"}
        ]}]}))
        .unwrap();
        let stored = obj(
            json!({"region": "eu", "token": "s3cret", "tenant": "t-secret", "plan": "gold", "stray": 1}),
        );
        let table = [
            (
                Audience::Customer,
                json!({"region": "eu", "token": {"set": true}}),
            ),
            (
                Audience::Organization,
                json!({"region": "eu", "token": {"set": true}, "tenant": {"set": true}, "plan": "gold"}),
            ),
        ];
        for (audience, expected) in table {
            assert_eq!(
                Value::Object(read_view(&spec, &stored, audience)),
                expected,
                "{audience:?}"
            );
        }
    }

    #[test]
    fn vendor_values_are_merged_checked_and_never_customer_values() {
        let spec = CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "region", "label": "Region", "type": "picklist", "options": ["eu", "us"]},
            {"key": "token", "label": "Token", "type": "secret", "visibility": "organization", "required": true},
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization"}
        ]}]}))
        .unwrap();
        let stored = obj(json!({"plan": "gold", "token": "s3cret"}));
        // Omitted secrets are kept; the update replaces the rest.
        let accepted = accept_vendor_values(&spec, &stored, &obj(json!({"plan": "silver"})));
        assert_eq!(
            accepted.map(Value::Object),
            Ok(json!({"plan": "silver", "token": "s3cret"}))
        );
        let codes = |update: Value| -> Vec<(String, FieldErrorCode, String)> {
            accept_vendor_values(&spec, &stored, &obj(update))
                .unwrap_err()
                .into_iter()
                .map(|e| (e.path, e.code, e.message))
                .collect()
        };
        assert_eq!(
            codes(json!({"region": "mars", "plan": 3, "nope": 1})),
            [
                (
                    "/values/nope".to_owned(),
                    FieldErrorCode::UnknownKey,
                    "no variable has this key".to_owned()
                ),
                (
                    "/values/plan".to_owned(),
                    FieldErrorCode::Type,
                    "expected a string".to_owned()
                ),
                (
                    "/values/region".to_owned(),
                    FieldErrorCode::Option,
                    "must be one of: eu, us".to_owned()
                ),
                (
                    "/values/region".to_owned(),
                    FieldErrorCode::NotEditable,
                    "customer variables are set on instances, not here".to_owned()
                ),
            ]
        );
        // A partial layer: nothing is required of the vendor here.
        assert_eq!(
            accept_vendor_values(&spec, &Map::new(), &Map::new()),
            Ok(Map::new())
        );
    }
}
