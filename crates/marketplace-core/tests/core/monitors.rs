//! Properties of alert monitors: checking never panics and what it accepts reads back the same;
//! a disabled monitor never matches; dedup never sends twice inside one window.

use marketplace_core::monitor::{
    Dedup, Monitor, Occurrence, Scope, Severity, Trigger, What, accept, dedup, matches, to_body,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn arb_trigger() -> impl Strategy<Value = Trigger> {
    prop_oneof![
        Just(Trigger::ExecutionFailed),
        (1i64..100_000).prop_map(|threshold_ms| Trigger::ExecutionSlow { threshold_ms }),
        Just(Trigger::InstanceActivated),
        Just(Trigger::InstanceDeactivated),
        Just(Trigger::InstancePaused),
        Just(Trigger::DeliveryDeadLettered),
        prop::sample::select(Severity::ALL.to_vec())
            .prop_map(|min_severity| Trigger::Log { min_severity }),
    ]
}

fn arb_what() -> impl Strategy<Value = What> {
    prop_oneof![
        (any::<bool>(), 0i64..200_000).prop_map(|(failed, duration_ms)| What::ExecutionFinished {
            failed,
            duration_ms
        }),
        Just(What::InstanceActivated),
        Just(What::InstanceDeactivated),
        Just(What::InstancePaused),
        Just(What::DeliveryDeadLettered),
        prop::sample::select(Severity::ALL.to_vec()).prop_map(|severity| What::Log { severity }),
    ]
}

fn arb_scope() -> impl Strategy<Value = Scope> {
    let id = prop::sample::select(vec!["a", "b"]);
    prop_oneof![
        Just(Scope::Organization),
        id.clone().prop_map(|c| Scope::Customer {
            customer_id: format!("cus_{c}")
        }),
        id.prop_map(|i| Scope::Instance {
            instance_id: format!("ins_{i}")
        }),
    ]
}

fn arb_monitor() -> impl Strategy<Value = Monitor> {
    (
        any::<bool>(),
        arb_scope(),
        prop::collection::vec(arb_trigger(), 1..5),
        0i64..=86_400,
    )
        .prop_map(|(enabled, scope, mut triggers, dedup_window_s)| {
            let mut seen = Vec::new();
            triggers.retain(|t| {
                let new = !seen.contains(&t.kind());
                seen.push(t.kind());
                new
            });
            Monitor {
                name: "monitor".into(),
                enabled,
                scope,
                triggers,
                targets: vec![],
                dedup_window_s,
            }
        })
}

fn arb_occurrence() -> impl Strategy<Value = Occurrence> {
    let id = prop::sample::select(vec!["a", "b"]);
    (
        arb_what(),
        proptest::option::of(id.clone()),
        proptest::option::of(id),
    )
        .prop_map(|(what, customer, instance)| Occurrence {
            what,
            organization_id: "org_1".into(),
            customer_id: customer.map(|c| format!("cus_{c}")),
            instance_id: instance.map(|i| format!("ins_{i}")),
            execution_id: None,
            event_id: None,
            message: String::new(),
            at: 0,
        })
}

proptest! {
    #[test]
    fn accepted_monitors_read_back_the_same(monitor in arb_monitor()) {
        prop_assert_eq!(accept(&to_body(&monitor)), Ok(monitor));
    }

    #[test]
    fn checking_any_json_never_panics(name in proptest::option::of("\\PC{0,8}"), window in any::<i64>(), kind in "\\PC{0,16}") {
        let body = json!({"name": name, "dedup_window_s": window, "triggers": [{"type": kind, "threshold_ms": window}],
                          "targets": [{"type": kind, "url": name, "to": [name]}], "scope": {"kind": kind}});
        let _ = accept(&body);
        let _ = accept(&Value::from(window));
    }

    #[test]
    fn a_disabled_monitor_never_matches(mut monitor in arb_monitor(), occurrence in arb_occurrence()) {
        monitor.enabled = false;
        prop_assert!(matches(&monitor, &occurrence).is_empty());
    }

    #[test]
    fn matches_are_the_monitors_own_triggers_of_the_occurrences_kinds(monitor in arb_monitor(), occurrence in arb_occurrence()) {
        for trigger in matches(&monitor, &occurrence) {
            prop_assert!(monitor.triggers.contains(trigger));
            prop_assert!(occurrence.what.trigger_kinds().contains(&trigger.kind()));
        }
    }

    #[test]
    fn dedup_never_sends_twice_in_one_window(window_s in 0i64..=86_400, steps in prop::collection::vec(0i64..120_000, 1..40)) {
        // Firings at non-decreasing times: every two sends are at least a window apart.
        let mut open: Option<i64> = None;
        let mut sends = Vec::new();
        let mut now = 0;
        for step in steps {
            now += step;
            if dedup(open, now, window_s) == Dedup::Send {
                if let Some(last) = sends.last() {
                    prop_assert!(now - last >= window_s * 1000);
                }
                sends.push(now);
                open = Some(now);
            }
        }
        prop_assert!(!sends.is_empty());
    }
}
