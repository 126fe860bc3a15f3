//! Proptest strategies: valid specs, values valid for them, and mutations that break one variable.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// Patterns used by generated string variables: (pattern, generator regex, a string it rejects).
pub(crate) const PATTERNS: &[(&str, &str, &str)] = &[
    ("^[A-Z]{3}-[0-9]{4}$", "[A-Z]{3}-[0-9]{4}", "abc-12"),
    ("^[a-z0-9._-]+$", "[a-z0-9._-]{1,12}", "UPPER CASE"),
    ("^[0-9]{5}$", "[0-9]{5}", "1234"),
    (
        "^(eu|us|ap)-[a-z]+-[0-9]$",
        "(eu|us|ap)-[a-z]{1,6}-[0-9]",
        "mars-1",
    ),
    ("^[A-Za-z ]{2,20}$", "[A-Za-z ]{2,20}", "1"),
];

const CRONS: &[&str] = &[
    "*/5 * * * *",
    "0 9 * * MON-FRI",
    "30 2 1 JAN,JUL *",
    "0 0-23/2 * * 0",
];
const ZONES: &[&str] = &[
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Australia/Sydney",
];
const CONNECTION_KINDS: &[&str] = &[
    "api_key",
    "basic",
    "oauth2_client_credentials",
    "oauth2_authorization_code",
];

/// The type of a generated variable, with its constraints.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    String {
        pattern: Option<usize>,
        min_length: u64,
        max_length: u64,
    },
    Text,
    Integer {
        min: i64,
        max: i64,
    },
    Number {
        min: f64,
        max: f64,
    },
    Boolean,
    Picklist(Vec<String>),
    Date,
    Timestamp,
    Schedule,
    Url,
    Email,
    Secret,
    Code,
    Json,
    FieldMap(Vec<String>),
    Connection(usize),
}

/// A generated variable.
#[derive(Debug, Clone)]
pub(crate) struct GenVariable {
    pub(crate) key: String,
    pub(crate) kind: Kind,
    pub(crate) collection: Option<&'static str>,
    pub(crate) required: bool,
    pub(crate) default: bool,
    pub(crate) visibility: &'static str,
}

impl Kind {
    fn allows_collection(&self) -> bool {
        matches!(
            self,
            Kind::String { .. }
                | Kind::Text
                | Kind::Integer { .. }
                | Kind::Number { .. }
                | Kind::Boolean
                | Kind::Picklist(_)
                | Kind::Date
                | Kind::Timestamp
                | Kind::Url
                | Kind::Email
        )
    }

    fn allows_default(&self) -> bool {
        !matches!(self, Kind::Secret | Kind::Connection(_))
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        (proptest::option::of(0..PATTERNS.len()), 0u64..3, 3u64..12).prop_map(
            |(pattern, min_length, max_length)| Kind::String {
                pattern,
                min_length,
                max_length
            }
        ),
        Just(Kind::Text),
        (-100i64..100, 0i64..1000).prop_map(|(min, span)| Kind::Integer {
            min,
            max: min + span
        }),
        (-10.0f64..10.0, 0.5f64..100.0).prop_map(|(min, span)| Kind::Number {
            min,
            max: min + span
        }),
        Just(Kind::Boolean),
        btree_map("[a-z]{1,6}", Just(()), 1..5)
            .prop_map(|m| Kind::Picklist(m.into_keys().collect())),
        Just(Kind::Date),
        Just(Kind::Timestamp),
        Just(Kind::Schedule),
        Just(Kind::Url),
        Just(Kind::Email),
        Just(Kind::Secret),
        Just(Kind::Code),
        Just(Kind::Json),
        btree_map("[a-z]{1,6}", Just(()), 1..4)
            .prop_map(|m| Kind::FieldMap(m.into_keys().collect())),
        (0..CONNECTION_KINDS.len()).prop_map(Kind::Connection),
    ]
}

fn variable(index: usize) -> impl Strategy<Value = GenVariable> {
    (
        kind(),
        0..3u8,
        any::<bool>(),
        any::<bool>(),
        select(vec![
            "customer",
            "customer",
            "customer",
            "embedded",
            "organization",
        ]),
    )
        .prop_map(move |(kind, collection, required, default, visibility)| {
            let collection = match collection {
                1 if kind.allows_collection() => Some("value_list"),
                2 if kind.allows_collection() => Some("key_value_list"),
                _ => None,
            };
            let default = default && kind.allows_default();
            GenVariable {
                key: format!("v{index}_{}", kind_name(&kind)),
                kind,
                collection,
                required,
                default,
                visibility,
            }
        })
}

/// A spec: variables spread over pages, as generated variables plus the spec's JSON.
pub(crate) fn spec() -> impl Strategy<Value = (Vec<GenVariable>, Value)> {
    (1usize..12)
        .prop_flat_map(|n| (0..n).map(variable).collect::<Vec<_>>())
        .prop_flat_map(|vars| {
            let defaults: Vec<BoxedStrategy<Value>> = vars.iter().map(valid_value).collect();
            (Just(vars), defaults)
        })
        .prop_map(|(vars, defaults)| {
            let elements: Vec<Value> = vars
                .iter()
                .zip(defaults)
                .map(|(v, d)| element(v, d))
                .collect();
            let pages: Vec<Value> = elements
                .chunks(4)
                .enumerate()
                .map(|(i, chunk)| {
                    let mut elements = vec![json!({"header": format!("Section {i}")})];
                    elements.extend_from_slice(chunk);
                    json!({"title": format!("Page {i}"), "elements": elements})
                })
                .collect();
            (vars, json!({ "pages": pages }))
        })
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::String { .. } => "string",
        Kind::Text => "text",
        Kind::Integer { .. } => "integer",
        Kind::Number { .. } => "number",
        Kind::Boolean => "boolean",
        Kind::Picklist(_) => "picklist",
        Kind::Date => "date",
        Kind::Timestamp => "timestamp",
        Kind::Schedule => "schedule",
        Kind::Url => "url",
        Kind::Email => "email",
        Kind::Secret => "secret",
        Kind::Code => "code",
        Kind::Json => "json",
        Kind::FieldMap(_) => "object_field_map",
        Kind::Connection(_) => "connection",
    }
}

fn element(v: &GenVariable, default: Value) -> Value {
    let mut e = json!({"key": v.key, "label": v.key.to_uppercase(), "type": kind_name(&v.kind),
                       "required": v.required, "visibility": v.visibility});
    match &v.kind {
        Kind::String {
            pattern: Some(p), ..
        } => e["pattern"] = json!(PATTERNS[*p].0),
        Kind::String {
            pattern: None,
            min_length,
            max_length,
        } => {
            e["min_length"] = json!(min_length);
            e["max_length"] = json!(max_length);
        }
        Kind::Integer { min, max } => (e["min"], e["max"]) = (json!(min), json!(max)),
        Kind::Number { min, max } => (e["min"], e["max"]) = (json!(min), json!(max)),
        Kind::Picklist(options) => e["options"] = json!(options),
        Kind::Code => e["language"] = json!("json"),
        Kind::FieldMap(fields) => e["fields"] = json!(fields),
        Kind::Connection(k) => e["connection"] = json!({"kind": CONNECTION_KINDS[*k]}),
        _ => {}
    }
    if let Some(c) = v.collection {
        e["collection"] = json!(c);
    }
    if v.default {
        e["default"] = default;
    }
    e
}

fn item_value(kind: &Kind) -> BoxedStrategy<Value> {
    match kind.clone() {
        Kind::String {
            pattern: Some(p), ..
        } => proptest::string::string_regex(PATTERNS[p].1)
            .expect("generator regex")
            .prop_map(Value::from)
            .boxed(),
        Kind::String {
            pattern: None,
            min_length,
            max_length,
        } => proptest::string::string_regex(&format!("[a-zA-Z0-9 é]{{{min_length},{max_length}}}"))
            .expect("length regex")
            .prop_map(Value::from)
            .boxed(),
        Kind::Text | Kind::Secret => "\\PC{0,30}".prop_map(Value::from).boxed(),
        Kind::Integer { min, max } => (min..=max).prop_map(Value::from).boxed(),
        Kind::Number { min, max } => (min..max).prop_map(Value::from).boxed(),
        Kind::Boolean => any::<bool>().prop_map(Value::from).boxed(),
        Kind::Picklist(options) => select(options).prop_map(Value::from).boxed(),
        Kind::Date => (1970i32..2100, 1u8..=12, 1u8..=28)
            .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}")))
            .boxed(),
        Kind::Timestamp => (
            1970i32..2100,
            1u8..=12,
            1u8..=28,
            0u8..24,
            0u8..60,
            select(vec!["Z", "+02:00", "-05:30"]),
        )
            .prop_map(|(y, mo, d, h, mi, z)| {
                json!(format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{z}"))
            })
            .boxed(),
        Kind::Schedule => (select(CRONS), select(ZONES))
            .prop_map(|(c, z)| json!({"cron": c, "timezone": z}))
            .boxed(),
        Kind::Url => "https://[a-z]{1,10}\\.example\\.com(/[a-z0-9]{1,8}){0,2}"
            .prop_map(Value::from)
            .boxed(),
        Kind::Email => "[a-z]{1,8}(\\.[a-z]{1,4})?@[a-z]{1,8}\\.(com|org|io)"
            .prop_map(Value::from)
            .boxed(),
        Kind::Code => (0i64..1000)
            .prop_map(|n| json!(format!("{{\"n\": {n}}}")))
            .boxed(),
        Kind::Json => prop_oneof![
            Just(json!(null)),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,5}".prop_map(Value::from),
            Just(json!({"nested": [1, 2]}))
        ]
        .boxed(),
        Kind::FieldMap(fields) => proptest::sample::subsequence(fields.clone(), 0..=fields.len())
            .prop_flat_map(|keys| {
                keys.into_iter()
                    .map(|k| (Just(k), "[A-Z][a-z]{0,6}"))
                    .collect::<Vec<_>>()
            })
            .prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(k, v)| (k, Value::from(v)))
                        .collect(),
                )
            })
            .boxed(),
        Kind::Connection(k) => {
            let inputs: &[(&str, bool)] = match CONNECTION_KINDS[k] {
                "api_key" => &[("api_key", false)],
                "basic" => &[("username", false), ("password", false)],
                "oauth2_client_credentials" => &[
                    ("token_url", true),
                    ("client_id", false),
                    ("client_secret", false),
                ],
                _ => &[
                    ("authorize_url", true),
                    ("token_url", true),
                    ("client_id", false),
                    ("client_secret", false),
                ],
            };
            let parts: Vec<BoxedStrategy<(String, Value)>> = inputs
                .iter()
                .map(|&(name, url)| {
                    let regex = if url {
                        "https://auth\\.example\\.com/[a-z]{1,6}"
                    } else {
                        "[A-Za-z0-9]{1,16}"
                    };
                    regex
                        .prop_map(move |s| (name.to_owned(), Value::from(s)))
                        .boxed()
                })
                .collect();
            (parts, proptest::option::of("[a-z]{1,5}( [a-z]{1,5})?"))
                .prop_map(|(pairs, scopes)| {
                    let mut m: Map<String, Value> = pairs.into_iter().collect();
                    if let Some(s) = scopes.filter(|_| m.contains_key("client_id")) {
                        m.insert("scopes".into(), Value::from(s));
                    }
                    Value::Object(m)
                })
                .boxed()
        }
    }
}

/// A valid value for a generated variable (collections included).
pub(crate) fn valid_value(v: &GenVariable) -> BoxedStrategy<Value> {
    let item = item_value(&v.kind);
    match v.collection {
        None => item,
        Some("value_list") => vec(item, 0..4).prop_map(Value::from).boxed(),
        Some(_) => vec(("[a-z]{1,5}", item), 0..4)
            .prop_map(|pairs| {
                Value::from(
                    pairs
                        .into_iter()
                        .map(|(k, v)| json!({"key": k, "value": v}))
                        .collect::<Vec<_>>(),
                )
            })
            .boxed(),
    }
}

/// Values for the variables `include` selects: required ones always, optional ones at random.
pub(crate) fn values_for(
    vars: &[GenVariable],
    include: fn(&GenVariable) -> bool,
) -> BoxedStrategy<Value> {
    let parts: Vec<BoxedStrategy<Option<(String, Value)>>> = vars
        .iter()
        .filter(|v| include(v))
        .map(|v| {
            let key = v.key.clone();
            let value = valid_value(v).prop_map(move |value| (key.clone(), value));
            if v.required && !v.default {
                value.prop_map(Some).boxed()
            } else {
                proptest::option::of(value).boxed()
            }
        })
        .collect();
    parts
        .prop_map(|pairs| Value::Object(pairs.into_iter().flatten().collect()))
        .boxed()
}

/// A mutation that breaks exactly one variable (or adds one unknown key).
#[derive(Debug, Clone)]
pub(crate) enum Mutation {
    /// Remove a required customer variable without default.
    RemoveRequired,
    /// Give a variable a value of the wrong JSON type.
    WrongType,
    /// Break a type-specific constraint (range, length, pattern, option, format, inputs).
    BreakConstraint,
    /// Add a key that the spec does not know.
    UnknownKey,
    /// Set a variable the customer cannot set.
    NotEditable,
}

pub(crate) fn mutation() -> impl Strategy<Value = (Mutation, prop::sample::Index)> {
    let m = prop_oneof![
        Just(Mutation::RemoveRequired),
        Just(Mutation::WrongType),
        Just(Mutation::BreakConstraint),
        Just(Mutation::UnknownKey),
        Just(Mutation::NotEditable),
    ];
    (m, any::<prop::sample::Index>())
}

/// A value of the wrong JSON type for this kind (None for `json`, where every value is fine).
fn wrong_type(kind: &Kind) -> Option<Value> {
    match kind {
        Kind::Json => None,
        Kind::Schedule | Kind::Connection(_) | Kind::FieldMap(_) => Some(json!(12345)),
        Kind::Integer { .. } => Some(json!(1.5)),
        Kind::Number { .. } => Some(json!("12")),
        Kind::Boolean => Some(json!("true")),
        _ => Some(json!(false)),
    }
}

/// A value of the right JSON type that breaks one of the kind's constraints, if it has one.
fn broken(kind: &Kind) -> Option<Value> {
    match kind {
        Kind::String {
            pattern: Some(p), ..
        } => Some(json!(PATTERNS[*p].2)),
        Kind::String {
            pattern: None,
            max_length,
            ..
        } => Some(json!("x".repeat(*max_length as usize + 1))),
        Kind::Integer { min, .. } => Some(json!(min - 1)),
        Kind::Number { max, .. } => Some(json!(max + 0.25)),
        Kind::Picklist(_) => Some(json!("NOT-AN-OPTION")),
        Kind::Date => Some(json!("2023-02-29")),
        Kind::Timestamp => Some(json!("2024-05-01 10:00")),
        Kind::Schedule => Some(json!({"cron": "61 * * * *", "timezone": "UTC"})),
        Kind::Url => Some(json!("not a url")),
        Kind::Email => Some(json!("nobody")),
        Kind::FieldMap(_) => Some(json!({"zz_not_a_field": "X"})),
        Kind::Connection(_) => Some(json!({})),
        Kind::Text | Kind::Secret | Kind::Code | Kind::Json | Kind::Boolean => None,
    }
}

/// Applies a mutation to valid customer values; returns the key of the variable it breaks, or
/// `None` when the spec offers nothing to break that way.
pub(crate) fn apply(
    mutation: &Mutation,
    index: &prop::sample::Index,
    vars: &[GenVariable],
    values: &mut Map<String, Value>,
) -> Option<String> {
    let pick = |candidates: Vec<&GenVariable>| -> Option<GenVariable> {
        (!candidates.is_empty()).then(|| candidates[index.index(candidates.len())].clone())
    };
    let customer: Vec<&GenVariable> = vars.iter().filter(|v| v.visibility == "customer").collect();
    let wrap = |v: &GenVariable, item: Value| match v.collection {
        None => item,
        Some("value_list") => json!([item]),
        Some(_) => json!([{"key": "k", "value": item}]),
    };
    match mutation {
        Mutation::RemoveRequired => {
            let v = pick(
                customer
                    .into_iter()
                    .filter(|v| v.required && !v.default)
                    .collect(),
            )?;
            values.remove(&v.key);
            Some(v.key)
        }
        Mutation::WrongType => {
            let v = pick(
                customer
                    .into_iter()
                    .filter(|v| v.collection.is_some() || wrong_type(&v.kind).is_some())
                    .collect(),
            )?;
            let value = match v.collection {
                Some(_) => wrong_type(&v.kind)
                    .map(|w| wrap(&v, w))
                    .unwrap_or(json!("not a list")),
                None => wrong_type(&v.kind)?,
            };
            values.insert(v.key.clone(), value);
            Some(v.key)
        }
        Mutation::BreakConstraint => {
            let v = pick(
                customer
                    .into_iter()
                    .filter(|v| broken(&v.kind).is_some())
                    .collect(),
            )?;
            let value = wrap(&v, broken(&v.kind)?);
            values.insert(v.key.clone(), value);
            Some(v.key)
        }
        Mutation::UnknownKey => {
            values.insert("zz_unknown".into(), json!(1));
            Some("zz_unknown".into())
        }
        Mutation::NotEditable => {
            let v = pick(vars.iter().filter(|v| v.visibility != "customer").collect())?;
            values.insert(v.key.clone(), json!("set by the customer"));
            Some(v.key)
        }
    }
}
