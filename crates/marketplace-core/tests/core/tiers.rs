//! Properties of certification tiers: more evidence never lowers the tier; the tier is the
//! longest prefix of tiers whose checks all pass; a check has a next action exactly when it
//! fails; a certification request needs every check up to certified but the reviewer's.

use marketplace_core::certification::{
    ApiDescription, ApiKind, Application, ApplicationVersion, CheckCode, CollectionEvidence,
    ConnectionTestRun, EventService, Evidence, Hosting, IntegrationProfile, Provider,
    RequestRefusal, Support, SupportedApplication, Tier, may_request_certification, tier,
};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

/// Each knob is one piece of evidence; more knobs set = more evidence.
const KNOBS: usize = 18;

/// Evidence with the knobs that are set (collections: two, each with its own knobs).
fn evidence(k: &[bool; KNOBS]) -> Evidence {
    let provider = Provider {
        id: "prv_1".into(),
        name: "Acme".into(),
        url: k[4].then(|| "https://acme.example".into()),
        logo_url: k[4].then(|| "https://acme.example/logo.png".into()),
        support: Support {
            email: k[4].then(|| "help@acme.example".into()),
            url: None,
        },
    };
    let application = Application {
        id: "app_1".into(),
        provider_id: "prv_1".into(),
        name: "Acme CRM".into(),
        product_url: k[5].then(|| "https://acme.example/crm".into()),
        logo_url: k[5].then(|| "https://acme.example/crm.png".into()),
        versions: vec![ApplicationVersion {
            name: "2024.1".into(),
            released_on: "2024-01-15".into(),
        }],
    };
    let collection = |valid: bool, tested: bool, noted: bool| CollectionEvidence {
        name: "orders".into(),
        valid,
        tests: usize::from(tested),
        tests_pass: tested,
        has_notes: noted,
    };
    Evidence {
        profile: IntegrationProfile {
            event_services: if k[0] {
                vec![EventService::Webhook]
            } else {
                vec![]
            },
            hosting: if k[1] {
                vec![Hosting::MultitenantCloud]
            } else {
                vec![]
            },
            api: k[3].then(|| ApiDescription {
                kind: ApiKind::Openapi,
                url: "https://acme.example/openapi.json".into(),
            }),
        },
        supported: if k[2] {
            vec![SupportedApplication {
                application_id: "app_1".into(),
                versions: vec!["2024.1".into()],
            }]
        } else {
            vec![]
        },
        applications: vec![application],
        providers: vec![provider],
        connection_test: k[6].then(|| "ping".into()),
        last_connection_test: k[7].then_some(ConnectionTestRun {
            passed: true,
            at: NOW - DAY,
        }),
        documentation: if k[8] {
            "# Features".into()
        } else {
            String::new()
        },
        collections: if k[9] {
            vec![
                collection(k[10], k[11], k[12]),
                collection(k[13], k[14], k[15]),
            ]
        } else {
            vec![]
        },
        reviewer_approved: k[16],
        approved_templates: usize::from(k[17]),
    }
}

fn knobs() -> impl Strategy<Value = [bool; KNOBS]> {
    proptest::array::uniform18(any::<bool>())
}

proptest! {
    #[test]
    fn more_evidence_never_lowers_the_tier(a in knobs(), extra in knobs()) {
        let mut b = a;
        for (bit, more) in b.iter_mut().zip(extra) {
            *bit |= more;
        }
        let before = tier(&evidence(&a), NOW).tier;
        let after = tier(&evidence(&b), NOW).tier;
        prop_assert!(after >= before, "{before:?} -> {after:?} with {a:?} -> {b:?}");
    }

    #[test]
    fn the_tier_is_the_longest_passing_prefix(k in knobs()) {
        let report = tier(&evidence(&k), NOW);
        let mut expected = None;
        for t in Tier::ALL {
            if report.checks.iter().filter(|c| c.tier == t).all(|c| c.passed) {
                expected = Some(t);
            } else {
                break;
            }
        }
        prop_assert_eq!(report.tier, expected);
        for check in &report.checks {
            prop_assert_eq!(check.next_action.is_none(), check.passed);
            prop_assert_eq!(check.tier, check.code.tier());
            if !check.passed {
                prop_assert!(report.tier < Some(check.tier));
            }
        }
    }
}

#[test]
fn all_evidence_is_one_click_and_none_is_no_tier() {
    let all = tier(&evidence(&[true; KNOBS]), NOW);
    assert_eq!(all.tier, Some(Tier::OneClick));
    assert!(all.checks.iter().all(|c| c.passed));
    assert_eq!(all.checks.len(), 12);
    let none = tier(&evidence(&[false; KNOBS]), NOW);
    assert_eq!(none.tier, None);
    let failing: Vec<CheckCode> = none
        .checks
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.code)
        .collect();
    assert_eq!(failing.len(), 12, "{failing:?}");
}

#[test]
fn each_check_fails_alone_without_its_evidence() {
    // Removing one knob from full evidence fails exactly the checks that need it.
    let cases: [(usize, &[CheckCode]); 14] = [
        (0, &[CheckCode::EventServices]),
        (1, &[CheckCode::HostingModel]),
        (
            2,
            &[
                CheckCode::ApplicationVersioning,
                CheckCode::ProviderProfile,
                CheckCode::ApplicationProfile,
            ],
        ),
        (3, &[CheckCode::ApiDescription]),
        (4, &[CheckCode::ProviderProfile]),
        (5, &[CheckCode::ApplicationProfile]),
        (6, &[CheckCode::ConnectionTest]),
        (7, &[CheckCode::ConnectionTest]),
        (8, &[CheckCode::Documentation]),
        (9, &[CheckCode::MappingCollections, CheckCode::MappingTests]),
        (10, &[CheckCode::MappingCollections]),
        (11, &[CheckCode::MappingTests]),
        (12, &[CheckCode::Documentation]),
        (16, &[CheckCode::ReviewerApproval]),
    ];
    for (knob, expected) in cases {
        let mut k = [true; KNOBS];
        k[knob] = false;
        let failing: Vec<CheckCode> = tier(&evidence(&k), NOW)
            .checks
            .into_iter()
            .filter(|c| !c.passed)
            .map(|c| c.code)
            .collect();
        assert_eq!(failing, expected, "knob {knob}");
    }
    let mut k = [true; KNOBS];
    k[17] = false;
    assert_eq!(tier(&evidence(&k), NOW).tier, Some(Tier::Certified));
}

#[test]
fn a_connection_test_counts_for_thirty_days_and_not_from_the_future() {
    let mut e = evidence(&[true; KNOBS]);
    let at = |e: &mut Evidence, at: i64, passed: bool| {
        e.last_connection_test = Some(ConnectionTestRun { passed, at });
        tier(e, NOW)
            .checks
            .iter()
            .find(|c| c.code == CheckCode::ConnectionTest)
            .unwrap()
            .passed
    };
    assert!(at(&mut e, NOW - 30 * DAY, true));
    assert!(!at(&mut e, NOW - 30 * DAY - 1, true));
    assert!(!at(&mut e, NOW - DAY, false));
    assert!(!at(&mut e, NOW + 1, true));
}

#[test]
fn an_unregistered_application_version_does_not_count() {
    let mut e = evidence(&[true; KNOBS]);
    e.supported[0].versions = vec!["1999.9".into()];
    let report = tier(&e, NOW);
    assert_eq!(report.tier, None);
    assert!(
        !report
            .checks
            .iter()
            .find(|c| c.code == CheckCode::ApplicationVersioning)
            .unwrap()
            .passed
    );
}

#[test]
fn a_certification_request_needs_everything_but_the_reviewer() {
    let mut k = [true; KNOBS];
    k[16] = false;
    k[17] = false;
    let ready = tier(&evidence(&k), NOW);
    assert_eq!(may_request_certification(true, false, &ready), Ok(()));
    assert_eq!(
        may_request_certification(false, false, &ready),
        Err(RequestRefusal::VersionDraft)
    );
    assert_eq!(
        may_request_certification(true, true, &ready),
        Err(RequestRefusal::Pending)
    );
    k[8] = false;
    k[11] = false;
    let short = tier(&evidence(&k), NOW);
    assert_eq!(
        may_request_certification(true, false, &short),
        Err(RequestRefusal::RequirementsUnmet(vec![
            CheckCode::MappingTests,
            CheckCode::Documentation
        ]))
    );
}

#[test]
fn the_latest_application_version_is_the_newest_released_by_today() {
    let app = Application {
        id: "app_1".into(),
        provider_id: "prv_1".into(),
        name: "Acme".into(),
        product_url: None,
        logo_url: None,
        versions: ["2023-05-01", "2025-01-01", "2024-02-29"]
            .into_iter()
            .enumerate()
            .map(|(i, d)| ApplicationVersion {
                name: format!("v{i}"),
                released_on: d.into(),
            })
            .collect(),
    };
    assert_eq!(app.latest("2024-12-31").unwrap().name, "v2");
    assert_eq!(app.latest("2025-01-01").unwrap().name, "v1");
    assert!(app.latest("2023-04-30").is_none());
}
