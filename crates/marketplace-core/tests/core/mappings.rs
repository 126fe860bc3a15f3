//! Mapping collections: applying never panics, on any input and any mappings; a collection that
//! validates applies without structural errors; the schema subset's checker agrees with the
//! `jsonschema` crate (format assertion on) on generated schemas and values, valid or not.

use jsonschema::error::ValidationErrorKind;
use marketplace_core::FieldErrorCode as Code;
use marketplace_core::mapping::{Mapping, RecordType, apply_mappings, schema, validate_collection};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// Property names of generated schemas and objects: few, so that values meet schemas.
const KEYS: &[&str] = &["a", "b", "c"];

/// Strings on which core's formats and the `jsonschema` crate agree, valid or not.
const STRINGS: &[&str] = &[
    "",
    "x",
    "DE",
    "2024-02-29",
    "2023-02-29",
    "2024-05-01T10:00:00Z",
    "yesterday",
    "a@example.com",
    "no-at-sign",
    "https://example.com/x",
    "not a uri",
];

/// Formulas of generated mappings: admitted ones (some fail on some inputs), and refused ones.
#[cfg(feature = "formula")]
const FORMULAS: &[&str] = &[
    ".a",
    ".a.b",
    "\"x\"",
    ".a | tostring",
    "empty",
    ".a + 1",
    ".a +",
    "range(10)",
];
#[cfg(not(feature = "formula"))]
const FORMULAS: &[&str] = &[];

fn leaf_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        select(vec![
            json!(0),
            json!(1),
            json!(1.0),
            json!(1.5),
            json!(-2),
            json!(u64::MAX)
        ]),
        select(STRINGS).prop_map(Value::from),
    ]
}

/// Any JSON value, objects keyed by [`KEYS`] (and one other key).
fn value() -> impl Strategy<Value = Value> {
    leaf_value().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::from),
            btree_map(select(vec!["a", "b", "c", "z"]), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.into(), v)).collect())),
        ]
    })
}

fn type_keyword() -> impl Strategy<Value = Value> {
    let name = select(schema::TYPE_NAMES.to_vec());
    prop_oneof![
        name.clone().prop_map(Value::from),
        (name.clone(), name)
            .prop_filter("distinct", |(a, b)| a != b)
            .prop_map(|(a, b)| json!([a, b])),
    ]
}

/// A schema in the subset; `max_depth` levels of `properties` and `items`.
fn schema_in_subset() -> impl Strategy<Value = Value> {
    let leaf = (
        prop::option::of(type_keyword()),
        prop::option::of(vec(leaf_value(), 1..4)),
        prop::option::of(select(vec![
            "date",
            "date-time",
            "email",
            "uri",
            "whatever",
        ])),
        any::<bool>(),
    )
        .prop_map(|(kind, options, format, titled)| {
            let mut s = Map::new();
            if let Some(kind) = kind {
                s.insert("type".into(), kind);
            }
            if let Some(options) = options {
                s.insert("enum".into(), Value::from(options));
            }
            if let Some(format) = format {
                s.insert("format".into(), format.into());
            }
            if titled {
                s.insert("title".into(), "A title".into());
                s.insert("description".into(), "What it is".into());
            }
            Value::Object(s)
        });
    leaf.prop_recursive(3, 24, 3, |inner| {
        prop_oneof![
            (
                btree_map(select(KEYS.to_vec()), inner.clone(), 0..4),
                prop::sample::subsequence(KEYS.to_vec(), 0..3),
                any::<bool>(),
            )
                .prop_map(|(properties, required, typed)| {
                    let mut s = json!({"properties": properties, "required": required});
                    if typed {
                        s["type"] = json!("object");
                    }
                    s
                }),
            (inner, any::<bool>()).prop_map(|(items, typed)| {
                let mut s = json!({"items": items});
                if typed {
                    s["type"] = json!("array");
                }
                s
            }),
        ]
    })
}

/// An object schema with nested object properties, the shape records have.
fn record_schema() -> impl Strategy<Value = Value> {
    let field = prop_oneof![
        select(vec!["string", "integer", "number", "boolean"]).prop_map(|t| json!({"type": t})),
        select(vec!["date", "email"]).prop_map(|f| json!({"type": "string", "format": f})),
        Just(json!({"type": "string", "enum": ["DE", "x"]})),
    ];
    let object = |inner: BoxedStrategy<Value>| {
        (
            btree_map(select(KEYS.to_vec()), inner, 1..4),
            prop::sample::subsequence(KEYS.to_vec(), 0..2),
        )
            .prop_map(|(properties, required)| {
                let required: Vec<&str> = required
                    .into_iter()
                    .filter(|k| properties.contains_key(*k))
                    .collect();
                json!({"type": "object", "properties": properties, "required": required})
            })
    };
    object(prop_oneof![3 => field.clone(), 1 => object(field.boxed())].boxed())
}

/// Every pointer to a field of `schema`, through `properties`.
fn fields(schema: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        for (name, sub) in properties {
            let pointer = format!("{prefix}/{name}");
            out.push(pointer.clone());
            fields(sub, &pointer, out);
        }
    }
}

/// One generated mapping: kind, target, source, value, formula choices.
type Seed = (u8, Index, Index, Index, Index);

fn build_mapping(seed: &Seed, targets: &[String], sources: &[String]) -> Value {
    let (kind, to, from, value, formula) = seed;
    let to = to.get(targets);
    let from = from.get(sources);
    let pool = [
        json!("DE"),
        json!("x"),
        json!(1),
        json!(true),
        json!("a@example.com"),
    ];
    let value = value.get(&pool);
    match kind % 4 {
        0 => json!({"to": to, "from": from}),
        1 => json!({"kind": "static", "to": to, "value": value}),
        2 => json!({"kind": "translation", "to": to, "from": from, "table": {"DE": value}}),
        _ if FORMULAS.is_empty() => json!({"to": to, "from": from, "default": value}),
        _ => json!({"kind": "formula", "to": to, "formula": formula.get(FORMULAS)}),
    }
}

/// A record type, a `to` collection over it and the foreign schema, mostly valid.
fn collection_case() -> impl Strategy<Value = (Vec<RecordType>, Value)> {
    (
        record_schema(),
        record_schema(),
        vec(
            (
                0u8..4,
                any::<Index>(),
                any::<Index>(),
                any::<Index>(),
                any::<Index>(),
            ),
            0..8,
        ),
    )
        .prop_map(|(target, source, seeds)| {
            let (mut targets, mut sources) = (Vec::new(), Vec::new());
            fields(&target, "", &mut targets);
            fields(&source, "", &mut sources);
            let mut mappings: Vec<Value> = seeds
                .iter()
                .map(|seed| build_mapping(seed, &targets, &sources))
                .collect();
            mappings.dedup_by(|a, b| a["to"] == b["to"]);
            let record_types = vec![RecordType {
                name: "record".into(),
                description: String::new(),
                schema: target,
            }];
            let body = json!({
                "name": "generated", "record_type": "record", "direction": "to",
                "foreign_schema": source, "mappings": mappings
            });
            (record_types, body)
        })
}

/// Any mapping, malformed pointers included.
fn any_mapping() -> impl Strategy<Value = Mapping> {
    let pointer = select(vec![
        "", "/", "/a", "/a/b", "/a/0", "/b/-", "a", "/a~1b", "/c/01",
    ]);
    let mut kinds: Vec<BoxedStrategy<Value>> = vec![
        (pointer.clone(), pointer.clone(), prop::option::of(value()))
            .prop_map(|(to, from, default)| {
                let mut m = json!({"kind": "field", "to": to, "from": from});
                if let Some(default) = default {
                    m["default"] = default;
                }
                m
            })
            .boxed(),
        (pointer.clone(), value())
            .prop_map(|(to, value)| json!({"kind": "static", "to": to, "value": value}))
            .boxed(),
        (
            pointer.clone(),
            pointer.clone(),
            btree_map(select(STRINGS.to_vec()), value(), 0..3),
            prop::option::of(value()),
        )
            .prop_map(|(to, from, table, default)| {
                let mut m = json!({"kind": "translation", "to": to, "from": from, "table": table});
                if let Some(default) = default {
                    m["default"] = default;
                }
                m
            })
            .boxed(),
    ];
    if !FORMULAS.is_empty() {
        kinds.push(
            (pointer, select(FORMULAS))
                .prop_map(|(to, f)| json!({"kind": "formula", "to": to, "formula": f}))
                .boxed(),
        );
    }
    prop::strategy::Union::new(kinds)
        .prop_map(|m| serde_json::from_value(m).expect("generated mappings parse"))
}

/// Paths of core's errors, `required` ones at their object as `jsonschema` reports them.
fn core_paths(schema_value: &Value, value: &Value) -> BTreeSet<String> {
    schema::check(schema_value, value, "")
        .into_iter()
        .map(|e| match e.code {
            Code::Required => e.path[..e.path.rfind('/').unwrap_or(0)].to_owned(),
            _ => e.path,
        })
        .collect()
}

fn jsonschema_paths(validator: &jsonschema::Validator, value: &Value) -> BTreeSet<String> {
    validator
        .iter_errors(value)
        .map(|error| {
            debug_assert!(!matches!(error.kind(), ValidationErrorKind::Referencing(_)));
            error.instance_path().as_str().to_owned()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn apply_never_panics(mappings in vec(any_mapping(), 0..8), input in value(), target in prop::option::of(schema_in_subset())) {
        let applied = apply_mappings(&mappings, target.as_ref(), &input);
        prop_assert!(applied.output.is_object());
    }

    #[test]
    fn valid_collections_apply_without_structural_errors((record_types, body) in collection_case(), input in value()) {
        let Ok(collection) = validate_collection(&body, &record_types) else {
            return Ok(());
        };
        let target = &record_types[0].schema;
        let applied = apply_mappings(&collection.mappings, Some(target), &input);
        for error in &applied.errors {
            let runtime = matches!(error.code, Code::FormulaError | Code::FormulaLimit)
                && error.path.starts_with("/mappings/");
            prop_assert!(
                runtime || error.path.starts_with("/output"),
                "{} from {}", error, body
            );
        }
    }

    #[test]
    fn the_subset_checker_agrees_with_jsonschema(schema_value in schema_in_subset(), value in value()) {
        prop_assert_eq!(schema::accept(&schema_value), vec![], "{}", schema_value);
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema_value)
            .expect("a schema of the subset compiles");
        let core = core_paths(&schema_value, &value);
        prop_assert_eq!(core.is_empty(), validator.is_valid(&value), "{} on {}", schema_value, value);
        prop_assert_eq!(core, jsonschema_paths(&validator, &value), "{} on {}", schema_value, value);
    }
}

/// The generated collections validate often enough for the property above to mean something,
/// and the agreement property sees both verdicts.
#[test]
fn generated_cases_are_not_vacuous() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let valid = (0..200)
        .filter(|_| {
            let (record_types, body) = collection_case().new_tree(&mut runner).unwrap().current();
            validate_collection(&body, &record_types).is_ok_and(|c| !c.mappings.is_empty())
        })
        .count();
    assert!(
        valid >= 20,
        "only {valid} of 200 generated collections validate"
    );
    let (mut passes, mut fails) = (0, 0);
    for _ in 0..200 {
        let s = schema_in_subset().new_tree(&mut runner).unwrap().current();
        let v = value().new_tree(&mut runner).unwrap().current();
        if schema::check(&s, &v, "").is_empty() {
            passes += 1;
        } else {
            fails += 1;
        }
    }
    assert!(passes >= 20 && fails >= 20, "{passes} pass, {fails} fail");
}
