//! Properties: validation never panics; values generated from any valid spec validate.

use super::generate::{spec, values_for};
use marketplace_core::{CompiledSpec, ConfigSpec, Editor, ValidationOptions, validate_config};
use proptest::prelude::*;
use serde_json::Value;

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "string",
            "integer",
            "picklist",
            "connection",
            "pages",
            "key",
            "type",
            "value_list"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "pages",
                    "title",
                    "elements",
                    "key",
                    "label",
                    "type",
                    "options",
                    "default",
                    "min",
                    "max",
                    "pattern",
                    "collection",
                    "connection",
                    "kind",
                    "header",
                    "required",
                    "visibility"
                ])
                .prop_map(String::from),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn spec_parsing_never_panics(value in arb_json()) {
        let _ = ConfigSpec::parse(&value);
    }

    #[test]
    fn value_validation_never_panics((_, spec_json) in spec(), values in arb_json()) {
        let spec = CompiledSpec::parse(&spec_json).expect("generated specs are valid");
        for editor in [Editor::Customer, Editor::Embedded, Editor::Organization] {
            let _ = validate_config(&spec, &values, ValidationOptions::complete(editor));
        }
    }

    #[test]
    fn generated_specs_parse_and_round_trip((_, spec_json) in spec()) {
        let spec = ConfigSpec::parse(&spec_json).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let again = ConfigSpec::parse(&serde_json::to_value(&spec).unwrap()).unwrap();
        prop_assert_eq!(spec, again);
    }

    #[test]
    fn generated_values_validate(
        (spec_json, customer, all) in spec().prop_flat_map(|(vars, spec_json)| {
            let customer = values_for(&vars, |v| v.visibility == "customer");
            let all = values_for(&vars, |_| true);
            (Just(spec_json), customer, all)
        })
    ) {
        let spec = CompiledSpec::parse(&spec_json).expect("generated specs are valid");
        let errors = validate_config(&spec, &customer, ValidationOptions::complete(Editor::Customer));
        prop_assert!(errors.is_empty(), "customer values: {:?}\n{}", errors, customer);
        let errors = validate_config(&spec, &all, ValidationOptions::complete(Editor::Organization));
        prop_assert!(errors.is_empty(), "organization values: {:?}\n{}", errors, all);
    }
}
