//! Flows: what an instance runs. Receive (webhook payload or test input), map, deliver.
//!
//! The mapping step is [`FlowMap`]: inline mappings or a collection, both applied by
//! [`crate::mapping::apply_mappings`]; delivery is I/O and belongs to the service, which takes
//! the URL and credentials from the variables a flow names.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::mapping::{Mapping, Rule};
use crate::pointer;
use crate::spec::{ConfigSpec, ConnectionKind, VariableType, is_valid_key};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// What starts a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// A POST to the flow's secret webhook URL.
    Webhook,
    /// A test run or an explicit call.
    Manual,
    /// The ticks of the instance's value of a `schedule` variable (cron and time zone).
    Schedule,
}

/// HTTP methods a deliver step may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// POST (the default).
    #[default]
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

/// A flow's mapping step: inline mappings, or the instance's effective mappings of a collection.
///
/// On the wire either an array of mappings (core's flat [`Mapping`] form; rules without `kind`
/// keep their meaning) or `{"collection": "contacts"}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FlowMap {
    /// Mappings applied in order; none means the input passes through unchanged.
    Rules(Vec<Mapping>),
    /// A collection of the version, with the instance's overrides.
    Collection {
        /// The collection's name.
        collection: String,
    },
}

impl Default for FlowMap {
    fn default() -> Self {
        FlowMap::Rules(Vec::new())
    }
}

impl FlowMap {
    /// Whether this is the empty list of rules (the input passes through).
    pub fn is_empty(&self) -> bool {
        matches!(self, FlowMap::Rules(rules) if rules.is_empty())
    }

    /// The collection it names, if any.
    pub fn collection(&self) -> Option<&str> {
        match self {
            FlowMap::Collection { collection } => Some(collection),
            FlowMap::Rules(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for FlowMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        /// The object form, strictly.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ByCollection {
            collection: String,
        }
        match Value::deserialize(deserializer)? {
            rules @ Value::Array(_) => Vec::<Mapping>::deserialize(rules)
                .map(FlowMap::Rules)
                .map_err(D::Error::custom),
            object @ Value::Object(_) => ByCollection::deserialize(object)
                .map(|c| FlowMap::Collection {
                    collection: c.collection,
                })
                .map_err(D::Error::custom),
            _ => Err(D::Error::custom(
                "`map` is an array of mappings or {\"collection\": name}",
            )),
        }
    }
}

/// The deliver step: an HTTP request to a URL from the config, authorised by a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliver {
    /// Key of the `url` variable that holds the target.
    pub url: String,
    /// Key of the `connection` variable that authorises the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    /// The HTTP method.
    #[serde(default)]
    pub method: Method,
}

/// A named unit of work of an integration version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Name, unique in the version, `^[a-z][a-z0-9_]*$`.
    pub name: String,
    /// What starts it.
    pub trigger: Trigger,
    /// `schedule` triggers: the key of the `schedule` variable whose value says when it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// The mapping step; no rules means the input passes through unchanged.
    #[serde(default, skip_serializing_if = "FlowMap::is_empty")]
    pub map: FlowMap,
    /// Where the result goes; none means the run ends after mapping.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deliver: Option<Deliver>,
}

/// Parses flows from JSON and checks them against the spec; every problem, paths relative to
/// the flows array (`/0/deliver/url`).
pub fn parse_flows(value: &Value, spec: &ConfigSpec) -> Result<Vec<Flow>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Some(items) = value.as_array() else {
        return Err(vec![FieldError::new(
            "",
            Code::Type,
            "flows must be an array",
        )]);
    };
    let mut flows = Vec::new();
    // The index in `items` of each parsed flow: checks report paths into `items`.
    let mut indices = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match Flow::deserialize(item) {
            Ok(flow) => {
                flows.push(flow);
                indices.push(i);
            }
            Err(e) => errors.push(FieldError::new(
                pointer::push_index("", i),
                Code::Invalid,
                e.to_string(),
            )),
        }
    }
    errors.extend(validate_flows(&flows, spec).into_iter().map(|mut error| {
        let rest = error.path.trim_start_matches('/');
        let (index, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if let Some(original) = index.parse::<usize>().ok().and_then(|j| indices.get(j)) {
            error.path = format!("/{original}{tail}");
        }
        error
    }));
    if errors.is_empty() {
        Ok(flows)
    } else {
        Err(errors)
    }
}

/// Checks flows against the spec: names, mapping pointers, and the variables deliver steps and
/// schedules name.
pub fn validate_flows(flows: &[Flow], spec: &ConfigSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut names = HashSet::new();
    for (i, flow) in flows.iter().enumerate() {
        let path = pointer::push_index("", i);
        let name_path = pointer::push(&path, "name");
        if !is_valid_key(&flow.name) {
            errors.push(FieldError::new(
                name_path,
                Code::InvalidKey,
                "flow names follow ^[a-z][a-z0-9_]*$",
            ));
        } else if !names.insert(flow.name.as_str()) {
            errors.push(FieldError::new(
                name_path,
                Code::Duplicate,
                format!("the flow name `{}` is used twice", flow.name),
            ));
        }
        if let FlowMap::Rules(rules) = &flow.map {
            for (j, rule) in rules.iter().enumerate() {
                check_rule(
                    rule,
                    &pointer::push_index(&pointer::push(&path, "map"), j),
                    &mut errors,
                );
            }
        }
        check_schedule(flow, spec, &pointer::push(&path, "schedule"), &mut errors);
        if let Some(deliver) = &flow.deliver {
            check_deliver(deliver, spec, &pointer::push(&path, "deliver"), &mut errors);
        }
    }
    errors
}

/// A `schedule` trigger names a `schedule` variable; other triggers name none.
fn check_schedule(flow: &Flow, spec: &ConfigSpec, path: &str, errors: &mut Vec<FieldError>) {
    let message = match (flow.trigger, &flow.schedule) {
        (Trigger::Schedule, None) => {
            "a schedule trigger names the key of a schedule variable in `schedule`".to_owned()
        }
        (Trigger::Schedule, Some(key)) => match spec.variable(key).map(|v| &v.kind) {
            Some(VariableType::Schedule) => return,
            Some(other) => format!(
                "`{key}` is a {} variable, not a schedule variable",
                other.name()
            ),
            None => format!("no variable has the key `{key}`"),
        },
        (_, None) => return,
        (_, Some(_)) => {
            errors.push(FieldError::new(
                path,
                Code::Invalid,
                "only schedule triggers have a `schedule`",
            ));
            return;
        }
    };
    errors.push(FieldError::new(path, Code::InvalidReference, message));
}

/// The flows of a version that run on a schedule, with the key of their schedule variable.
pub fn scheduled(flows: &[Flow]) -> impl Iterator<Item = (&Flow, &str)> {
    flows
        .iter()
        .filter_map(|flow| match (flow.trigger, &flow.schedule) {
            (Trigger::Schedule, Some(key)) => Some((flow, key.as_str())),
            _ => None,
        })
}

/// An inline mapping: pointers well formed, formulas admitted (there is no target schema to check
/// against; a collection's mappings are checked by [`crate::mapping::validate_collection`]).
fn check_rule(rule: &Mapping, path: &str, errors: &mut Vec<FieldError>) {
    if rule.to.is_empty() || pointer::tokens(&rule.to).is_none() {
        errors.push(FieldError::new(
            pointer::push(path, "to"),
            Code::Format,
            "`to` must be a JSON Pointer such as /order_id",
        ));
    }
    match &rule.rule {
        Rule::Field { from, .. } | Rule::Translation { from, .. }
            if pointer::tokens(from).is_none() =>
        {
            errors.push(FieldError::new(
                pointer::push(path, "from"),
                Code::Format,
                "`from` must be a JSON Pointer such as /order/id",
            ))
        }
        Rule::Formula { formula } => {
            if let Err(failure) = crate::mapping::Formula::compile(formula) {
                errors.push(FieldError::new(
                    pointer::push(path, "formula"),
                    failure.code,
                    failure.message,
                ));
            }
        }
        _ => {}
    }
}

/// Checks that every flow whose `map` names a collection names one of `collections`
/// (`/0/map/collection` `invalid_reference`; paths relative to the flows array).
pub fn check_collections(flows: &[Flow], collections: &[&str]) -> Vec<FieldError> {
    flows
        .iter()
        .enumerate()
        .filter_map(|(i, flow)| {
            let name = flow.map.collection()?;
            (!collections.contains(&name)).then(|| {
                FieldError::new(
                    format!("/{i}/map/collection"),
                    Code::InvalidReference,
                    format!("the version has no collection `{name}`"),
                )
            })
        })
        .collect()
}

fn check_deliver(deliver: &Deliver, spec: &ConfigSpec, path: &str, errors: &mut Vec<FieldError>) {
    match spec.variable(&deliver.url).map(|v| &v.kind) {
        Some(VariableType::Url) => {}
        Some(other) => errors.push(FieldError::new(
            pointer::push(path, "url"),
            Code::InvalidReference,
            format!(
                "`{}` is a {} variable, not a url variable",
                deliver.url,
                other.name()
            ),
        )),
        None => errors.push(FieldError::new(
            pointer::push(path, "url"),
            Code::InvalidReference,
            format!("no variable has the key `{}`", deliver.url),
        )),
    }
    if let Some(connection) = &deliver.connection {
        let variable = spec.variable(connection);
        let message = match variable.map(|v| &v.kind) {
            // Without an `app`, the customer would have to be the OAuth client: not supported.
            Some(VariableType::Connection(ConnectionKind::OAuth2AuthorizationCode))
                if variable.is_some_and(|v| v.connection_app.is_none()) =>
            {
                Some(format!(
                    "`{connection}` is an oauth2_authorization_code connection without an `app`, which deliver steps cannot use"
                ))
            }
            Some(VariableType::Connection(_)) => None,
            Some(other) => Some(format!(
                "`{connection}` is a {} variable, not a connection",
                other.name()
            )),
            None => Some(format!("no variable has the key `{connection}`")),
        };
        if let Some(message) = message {
            errors.push(FieldError::new(
                pointer::push(path, "connection"),
                Code::InvalidReference,
                message,
            ));
        }
    }
}

/// Writes `value` at the pointer `tokens` in `target`, making objects on the way (a non-object
/// on the way is replaced by one).
pub(crate) fn set_at(target: &mut Value, tokens: &[String], value: Value) {
    let Some((last, parents)) = tokens.split_last() else {
        *target = value;
        return;
    };
    let mut current = target;
    for token in parents {
        if !current.is_object() {
            *current = Value::Object(Map::new());
        }
        current = current
            .as_object_mut()
            .expect("made an object above")
            .entry(token.clone())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !current.is_object() {
        *current = Value::Object(Map::new());
    }
    current
        .as_object_mut()
        .expect("made an object above")
        .insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> ConfigSpec {
        ConfigSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url"},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "api_key"}},
            {"key": "region", "label": "Region", "type": "string"},
            {"key": "every", "label": "Every", "type": "schedule"}
        ]}]}))
        .unwrap()
    }

    #[test]
    fn reads_the_design_example_and_collections() {
        let flow: Flow = serde_json::from_value(json!({"name": "orders", "trigger": "webhook",
            "map": [{"to": "/order_id", "from": "/order/id"}, {"to": "/source", "value": "shop"},
                    {"to": "/country", "from": "/addr/cc", "table": {"DE": "Germany"}, "default": "Other"},
                    {"to": "/meta/nothing", "value": null}],
            "deliver": {"url": "endpoint", "connection": "auth", "method": "POST"}}))
        .unwrap();
        assert!(validate_flows(std::slice::from_ref(&flow), &spec()).is_empty());
        let FlowMap::Rules(rules) = &flow.map else {
            panic!("an array is rules")
        };
        let kinds: Vec<_> = rules.iter().map(|r| r.rule.kind()).collect();
        use crate::mapping::MappingKind as K;
        assert_eq!(kinds, [K::Field, K::Static, K::Translation, K::Static]);
        let by_name: Flow = serde_json::from_value(
            json!({"name": "sync", "trigger": "manual", "map": {"collection": "contacts"}}),
        )
        .unwrap();
        assert_eq!(by_name.map.collection(), Some("contacts"));
        assert_eq!(
            serde_json::to_value(&by_name).unwrap()["map"],
            json!({"collection": "contacts"})
        );
        assert_eq!(
            check_collections(&[flow.clone(), by_name.clone()], &["contacts"]),
            vec![]
        );
        let errors = check_collections(&[flow, by_name], &["accounts"]);
        assert_eq!(errors.len(), 1);
        assert_eq!(
            (errors[0].path.as_str(), errors[0].code),
            ("/1/map/collection", Code::InvalidReference)
        );
        for bad in [json!({"collection": "c", "extra": 1}), json!("contacts")] {
            assert!(
                serde_json::from_value::<Flow>(
                    json!({"name": "x", "trigger": "manual", "map": bad})
                )
                .is_err()
            );
        }
    }

    #[test]
    fn reports_every_flow_problem() {
        let flows = json!([
            {"name": "Bad Name", "trigger": "webhook", "map": [{"to": "x", "from": "a"}],
             "deliver": {"url": "region", "connection": "missing"}},
            {"name": "ok", "trigger": "nope"},
            {"name": "nightly", "trigger": "schedule", "schedule": "every"},
            {"name": "wrong_type", "trigger": "schedule", "schedule": "region"},
            {"name": "unknown", "trigger": "schedule", "schedule": "nothing"},
            {"name": "unnamed", "trigger": "schedule"},
            {"name": "hook", "trigger": "webhook", "schedule": "every"}
        ]);
        let errors = parse_flows(&flows, &spec()).unwrap_err();
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("/1", Code::Invalid),
                ("/0/name", Code::InvalidKey),
                ("/0/map/0/to", Code::Format),
                ("/0/map/0/from", Code::Format),
                ("/0/deliver/url", Code::InvalidReference),
                ("/0/deliver/connection", Code::InvalidReference),
                ("/3/schedule", Code::InvalidReference),
                ("/4/schedule", Code::InvalidReference),
                ("/5/schedule", Code::InvalidReference),
                ("/6/schedule", Code::Invalid),
            ]
        );
    }

    #[test]
    fn lists_scheduled_flows() {
        let flows: Vec<Flow> = serde_json::from_value(json!([
            {"name": "nightly", "trigger": "schedule", "schedule": "every"},
            {"name": "hook", "trigger": "webhook"}
        ]))
        .unwrap();
        assert!(validate_flows(&flows, &spec()).is_empty());
        let found: Vec<(&str, &str)> = scheduled(&flows)
            .map(|(f, key)| (f.name.as_str(), key))
            .collect();
        assert_eq!(found, vec![("nightly", "every")]);
        assert_eq!(
            serde_json::to_value(&flows[0]).unwrap(),
            json!({"name": "nightly", "trigger": "schedule", "schedule": "every"})
        );
    }
}
