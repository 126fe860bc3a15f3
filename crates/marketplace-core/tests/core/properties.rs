//! Properties: validation never panics; values generated from any valid spec validate; an
//! unchanged valid config is accepted again, from stored or masked values; the organization is
//! never refused more than a customer.

use super::generate::{spec, values_for};
use marketplace_core::deployability::{DeployabilityInput, deployability};
use marketplace_core::integration::VersionState;
use marketplace_core::{
    Audience, CompiledSpec, ConfigSpec, Editor, IntegrationVersion, Listing, Submission,
    ValidationOptions, accept_reconfiguration, read_view, validate_config,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

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

    #[test]
    fn an_unchanged_valid_config_is_accepted_again(
        (spec_json, all) in spec().prop_flat_map(|(vars, spec_json)| {
            (Just(spec_json), values_for(&vars, |_| true))
        })
    ) {
        let spec = CompiledSpec::parse(&spec_json).expect("generated specs are valid");
        let stored = all.as_object().expect("an object").clone();
        let none = Map::new();
        let part = |config: &Map<String, Value>, editor: Editor| -> Map<String, Value> {
            config
                .iter()
                .filter(|(k, _)| spec.variable(k).is_some_and(|v| editor.may_set(v.visibility)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        };
        for editor in [Editor::Customer, Editor::Organization] {
            // The service: its stored values, the editor's part sent back unchanged.
            let submitted = part(&stored, editor);
            let submission = Submission { editor, submitted: &submitted, vendor_values: &none, token_values: None };
            let accepted = accept_reconfiguration(&spec, &stored, submission, Some("Name"));
            prop_assert_eq!(accepted.as_ref(), Ok(&stored), "{:?}", editor);
        }
        // A client: the customer's read view (secrets masked) sent back unchanged.
        let masked = read_view(spec.spec(), &stored, Audience::Customer);
        let submitted = part(&masked, Editor::Customer);
        let submission = Submission {
            editor: Editor::Customer, submitted: &submitted, vendor_values: &none, token_values: None,
        };
        let accepted = accept_reconfiguration(&spec, &masked, submission, None);
        prop_assert!(accepted.is_ok(), "{:?}\n{:?}", accepted, masked);
    }

    #[test]
    fn the_organization_is_never_refused_more_than_a_customer(
        (spec_json, vendor) in spec().prop_flat_map(|(vars, spec_json)| {
            (Just(spec_json), values_for(&vars, |v| v.visibility != "customer"))
        }),
        published in any::<bool>(),
        customer_deployable in any::<bool>(),
        allow_multiple_instances in any::<bool>(),
        live_instances in 0usize..3,
        with_vendor_values in any::<bool>(),
    ) {
        let version = IntegrationVersion {
            version: semver::Version::new(1, 0, 0),
            state: if published { VersionState::Published } else { VersionState::Draft },
            config: CompiledSpec::parse(&spec_json).expect("generated specs are valid"),
            flows: Vec::new(),
            collections: Vec::new(),
            record_types: Vec::new(),
        };
        let listing = Listing {
            pricing: None,
            marketplace_id: "mkt_test".into(),
            partner_brief: Default::default(),
            visibility: Default::default(),
            integration_id: "int_1".into(),
            version: version.version.clone(),
            overview: String::new(),
            customer_deployable,
            allow_multiple_instances,
        };
        let vendor = vendor.as_object().expect("an object").clone();
        let answer = deployability(DeployabilityInput {
            listing: &listing,
            version: &version,
            live_instances,
            vendor_values: with_vendor_values.then_some(&vendor),
            embedded_values: None,
            tier: None,
            min_tier: None,
        });
        let organization = answer.clone().for_editor(Editor::Organization);
        let customer = answer.for_customer();
        prop_assert!(organization.reasons.len() <= customer.reasons.len());
        prop_assert!(!organization.refuses() || customer.refuses());
        prop_assert_eq!(organization.refuses(), !organization.is_deployable());
    }
}
