//! Core's validation and a real JSON Schema validator (format assertion on) agree on generated
//! valid values and on mutated invalid ones: same verdict, same failing variables.

use super::generate::{Mutation, apply, mutation, spec, values_for};
use jsonschema::error::ValidationErrorKind;
use marketplace_core::{CompiledSpec, Editor, ValidationOptions, to_json_schema, validate_config};
use proptest::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;

fn validator(spec: &CompiledSpec) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&to_json_schema(spec.spec()))
        .expect("the exported schema compiles")
}

/// The variables core's customer validation reports.
fn core_failures(spec: &CompiledSpec, values: &Value) -> BTreeSet<String> {
    validate_config(spec, values, ValidationOptions::complete(Editor::Customer))
        .into_iter()
        .map(|e| first_token(&e.path))
        .collect()
}

/// The variables the JSON Schema validator reports; a missing required property and an
/// unexpected property are reported at their parent object, so they map to the property.
fn schema_failures(validator: &jsonschema::Validator, values: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for error in validator.iter_errors(values) {
        let path = error.instance_path().as_str().to_owned();
        match error.kind() {
            ValidationErrorKind::Required { property } if path.is_empty() => {
                out.insert(property.as_str().unwrap_or_default().to_owned());
            }
            ValidationErrorKind::AdditionalProperties { unexpected } if path.is_empty() => {
                out.extend(unexpected.iter().cloned());
            }
            _ => {
                out.insert(first_token(&path));
            }
        }
    }
    out
}

fn first_token(path: &str) -> String {
    path.trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default()
        .replace("~1", "/")
        .replace("~0", "~")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn agree_on_valid_values(
        (spec_json, values) in spec().prop_flat_map(|(vars, spec_json)| {
            (Just(spec_json), values_for(&vars, |v| v.visibility == "customer"))
        })
    ) {
        let spec = CompiledSpec::parse(&spec_json).unwrap();
        let validator = validator(&spec);
        prop_assert!(core_failures(&spec, &values).is_empty());
        prop_assert_eq!(schema_failures(&validator, &values), BTreeSet::new(), "values: {}", values);
    }

    #[test]
    fn agree_on_mutated_values(
        (vars, spec_json, values, (m, index)) in spec().prop_flat_map(|(vars, spec_json)| {
            let values = values_for(&vars, |v| v.visibility == "customer");
            (Just(vars), Just(spec_json), values, mutation())
        })
    ) {
        let spec = CompiledSpec::parse(&spec_json).unwrap();
        let validator = validator(&spec);
        let mut object = values.as_object().unwrap().clone();
        let Some(broken_key) = apply(&m, &index, &vars, &mut object) else {
            return Ok(()); // nothing in this spec can be broken that way
        };
        let values = Value::Object(object);
        let core = core_failures(&spec, &values);
        let schema = schema_failures(&validator, &values);
        prop_assert_eq!(&core, &BTreeSet::from([broken_key]), "core, mutation {:?}: {}", m, values);
        prop_assert_eq!(&core, &schema, "mutation {:?}: {}", m, values);
        prop_assert!(!validator.is_valid(&values));
    }
}

/// Every kind of mutation reaches the assertion for some spec (so the property is not vacuous).
#[test]
fn mutations_are_exercised() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut applied = BTreeSet::new();
    let kinds = [
        Mutation::RemoveRequired,
        Mutation::WrongType,
        Mutation::BreakConstraint,
        Mutation::UnknownKey,
        Mutation::NotEditable,
    ];
    for _ in 0..200 {
        let (vars, _) = spec().new_tree(&mut runner).unwrap().current();
        let values = values_for(&vars, |v| v.visibility == "customer")
            .new_tree(&mut runner)
            .unwrap()
            .current();
        for (i, m) in kinds.iter().enumerate() {
            let mut object = values.as_object().unwrap().clone();
            let index = any::<prop::sample::Index>()
                .new_tree(&mut runner)
                .unwrap()
                .current();
            if apply(m, &index, &vars, &mut object).is_some() {
                applied.insert(i);
            }
        }
    }
    assert_eq!(applied.len(), kinds.len());
}
