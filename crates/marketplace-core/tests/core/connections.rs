//! Authorization-code connections: the app's references, who may write the value, what
//! activation and deployability ask, the status machine, PKCE and state, the refresh rules.

use marketplace_core::connection::{
    self, AuthMethod, ConnectionStatus, RefreshOutcome, StateRefusal, TokenState, UseDecision,
};
use marketplace_core::error::FieldErrorCode as Code;
use marketplace_core::instance::InstanceStatus;
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use marketplace_core::{CompiledSpec, ConfigSpec};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn spec_with(app: Value, extra: Vec<Value>) -> Value {
    let mut elements = vec![
        json!({"key": "crm", "label": "CRM", "type": "connection", "required": true,
               "connection": {"kind": "oauth2_authorization_code", "app": app}}),
        json!({"key": "auth_url", "label": "A", "type": "url", "visibility": "organization",
               "default": "https://crm.example/authorize"}),
        json!({"key": "token_url", "label": "T", "type": "url", "visibility": "organization",
               "default": "https://crm.example/token"}),
        json!({"key": "client_id", "label": "I", "type": "string", "visibility": "organization",
               "default": "app"}),
        json!({"key": "client_secret", "label": "S", "type": "secret", "visibility": "organization"}),
        json!({"key": "scopes", "label": "Sc", "type": "string", "visibility": "organization",
               "default": "a b"}),
        json!({"key": "name", "label": "Name", "type": "string"}),
    ];
    elements.extend(extra);
    json!({"pages": [{"title": "P", "elements": elements}]})
}

fn good_app() -> Value {
    json!({"authorize_url": "auth_url", "token_url": "token_url", "client_id": "client_id",
           "client_secret": "client_secret", "scopes": "scopes", "auth_method": "post"})
}

fn codes(errors: &[marketplace_core::FieldError]) -> Vec<(String, Code)> {
    errors.iter().map(|e| (e.path.clone(), e.code)).collect()
}

#[test]
fn the_app_names_organization_variables_of_the_right_type() {
    let spec = ConfigSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    let app = spec
        .variable("crm")
        .unwrap()
        .connection_app
        .clone()
        .unwrap();
    assert_eq!(app.auth_method, AuthMethod::Post);
    assert_eq!(app.client_secret, "client_secret");

    let at = "/pages/0/elements/0/connection/app";
    let table: Vec<(&str, Value, Code)> = vec![
        ("client_secret", json!("client_id"), Code::InvalidReference), // a string, not a secret
        ("token_url", json!("name"), Code::InvalidReference),          // a customer variable
        ("authorize_url", json!("nothing"), Code::InvalidReference),   // no such variable
        ("client_id", json!(""), Code::Empty),
        ("auth_method", json!("digest"), Code::Option),
    ];
    for (field, value, code) in table {
        let mut app = good_app();
        app[field] = value;
        let raw = spec_with(app, vec![]);
        // Shapes fail the parse; references are checked as a version is created.
        let errors = match ConfigSpec::parse(&raw) {
            Err(errors) => errors,
            Ok(spec) => connection::check_app_references(&spec, &raw),
        };
        assert_eq!(
            codes(&errors),
            vec![(format!("{at}/{field}"), code)],
            "{field}"
        );
    }
    // Only authorization-code connections have an app.
    let spec = json!({"pages": [{"title": "P", "elements": [
        {"key": "k", "label": "K", "type": "connection",
         "connection": {"kind": "api_key", "app": good_app()}}]}]});
    let errors = ConfigSpec::parse(&spec).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![("/pages/0/elements/0/connection/app".into(), Code::Invalid)]
    );
}

#[test]
fn the_customer_view_keeps_the_app_and_parses_again() {
    // Served as an integration's detail: the organization variables the app names are gone,
    // and a client compiles what it was served.
    let spec = ConfigSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    let view = serde_json::to_value(spec.customer_view()).unwrap();
    assert!(
        view.to_string().contains("client_secret"),
        "the app still names its variables"
    );
    let parsed = CompiledSpec::parse(&view).expect("the customer's view parses");
    assert!(parsed.spec().variable("client_secret").is_none());
    assert!(
        parsed
            .spec()
            .variable("crm")
            .unwrap()
            .connection_app
            .is_some()
    );
    // A version naming a variable that is not there is still refused, when it is created.
    let mut app = good_app();
    app["authorize_url"] = json!("nothing");
    let body = json!({"version": "1.0.0", "config": spec_with(app, vec![])});
    let errors = marketplace_core::IntegrationVersion::parse_draft(&body, &[], &[]).unwrap_err();
    assert_eq!(
        codes(&errors),
        vec![(
            "/config/pages/0/elements/0/connection/app/authorize_url".into(),
            Code::InvalidReference
        )]
    );
}

#[test]
fn nobody_writes_the_value_and_activation_never_requires_it() {
    let spec = CompiledSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    for editor in [Editor::Customer, Editor::Embedded, Editor::Organization] {
        let errors = validate_config(
            &spec,
            &json!({"crm": {"authorize_url": "https://x.example"}}),
            ValidationOptions::complete(editor),
        );
        assert!(
            codes(&errors).contains(&("/crm".into(), Code::NotEditable)),
            "{editor:?}: {errors:?}"
        );
        let errors = validate_config(&spec, &json!({}), ValidationOptions::complete(editor));
        assert!(
            !codes(&errors).iter().any(|(p, _)| p == "/crm"),
            "{editor:?}"
        );
    }
}

#[test]
fn unset_app_variables_are_missing_defaults() {
    let spec = ConfigSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    assert_eq!(
        connection::unset_app_variables(&spec, None),
        vec!["client_secret"]
    );
    let mut vendor = Map::new();
    vendor.insert("client_secret".into(), json!("s3cret"));
    assert!(connection::unset_app_variables(&spec, Some(&vendor)).is_empty());

    let app = spec
        .variable("crm")
        .unwrap()
        .connection_app
        .clone()
        .unwrap();
    let mut values = marketplace_core::config::effective_config(&spec, &[&vendor]);
    let settings = connection::app_settings(&app, &values).unwrap();
    assert_eq!(settings.scopes, vec!["a", "b"]);
    assert!(!format!("{settings:?}").contains("s3cret"));
    values.remove("client_secret");
    assert_eq!(
        connection::app_settings(&app, &values).unwrap_err(),
        vec!["client_secret"]
    );
}

#[test]
fn a_required_connection_not_connected_keeps_the_instance_waiting() {
    use InstanceStatus::*;
    let table = [
        (Active, true, NeedsConfiguration),
        (Active, false, Active),
        (NeedsConfiguration, false, Active),
        (NeedsConfiguration, true, NeedsConfiguration),
        (Pending, true, Pending),
        (Paused, true, Paused),
        (Failed, false, Failed),
    ];
    for (current, unconnected, expected) in table {
        assert_eq!(
            connection::instance_status(current, unconnected, true),
            expected,
            "{current:?} {unconnected}"
        );
    }
    // Values still missing: connecting does not make it active.
    assert_eq!(
        connection::instance_status(NeedsConfiguration, false, false),
        NeedsConfiguration
    );
    let spec = ConfigSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    assert_eq!(
        connection::required_unconnected(&spec, |_| ConnectionStatus::Error),
        vec!["crm"]
    );
    assert!(connection::required_unconnected(&spec, |_| ConnectionStatus::Connected).is_empty());
}

#[test]
fn pkce_state_and_authorize_url() {
    let pkce = connection::pkce_from_bytes(&[1; 32]);
    assert!(marketplace_core::sso::pkce_s256_matches(
        &pkce.verifier,
        &pkce.challenge
    ));
    assert!(!format!("{pkce:?}").contains(&pkce.verifier));
    let state = connection::state_from_bytes(&[2; 32]);
    assert_eq!(state.len(), 43);
    assert_eq!(connection::state_hash(&state).len(), 64);
    assert_ne!(connection::state_hash(&state), state);

    let spec = ConfigSpec::parse(&spec_with(good_app(), vec![])).unwrap();
    let app = spec
        .variable("crm")
        .unwrap()
        .connection_app
        .clone()
        .unwrap();
    let mut values = marketplace_core::config::effective_config(&spec, &[]);
    values.insert("client_secret".into(), json!("s3cret"));
    values.insert(
        "auth_url".into(),
        json!("https://crm.example/authorize?tenant=1#frag"),
    );
    let settings = connection::app_settings(&app, &values).unwrap();
    let url = connection::authorize_url(
        &settings,
        "https://svc.example/oauth2/callback",
        &state,
        &pkce,
    );
    assert_eq!(
        url,
        format!(
            "https://crm.example/authorize?tenant=1&response_type=code&client_id=app\
             &redirect_uri=https%3A%2F%2Fsvc.example%2Foauth2%2Fcallback&scope=a+b&state={state}\
             &code_challenge={}&code_challenge_method=S256",
            pkce.challenge
        )
    );
    assert!(!url.contains("s3cret"));
}

#[test]
fn states_are_single_use_and_lapse() {
    assert_eq!(connection::redeemable(false, 1_000, 999), Ok(()));
    assert_eq!(
        connection::redeemable(true, 1_000, 0),
        Err(StateRefusal::Used)
    );
    assert_eq!(
        connection::redeemable(false, 1_000, 1_000),
        Err(StateRefusal::Expired)
    );
}

fn status() -> impl Strategy<Value = ConnectionStatus> {
    prop::sample::select(ConnectionStatus::ALL.to_vec())
}

proptest! {
    /// A use refreshes exactly when less than 5 minutes are left and a refresh token is held;
    /// it never hands out a lapsed token.
    #[test]
    fn the_use_rule(status in status(), left in -600_000i64..1_200_000, refresh: bool, now in 0i64..1_000_000_000) {
        let state = TokenState { status, expires_at: Some(now + left), has_refresh_token: refresh };
        let decision = connection::decide_use(state, now);
        if status != ConnectionStatus::Connected {
            prop_assert_eq!(decision, UseDecision::Unusable(status));
        } else if left >= connection::REFRESH_ON_USE_MS {
            prop_assert_eq!(decision, UseDecision::Use);
        } else if refresh {
            prop_assert_eq!(decision, UseDecision::Refresh);
        } else if left > 0 {
            prop_assert_eq!(decision, UseDecision::Use);
        } else {
            prop_assert_eq!(decision, UseDecision::Unusable(ConnectionStatus::Expired));
        }
        // The sweep takes everything a use would refresh, and more (10 minutes).
        if decision == UseDecision::Refresh {
            prop_assert!(connection::sweep_due(state, now));
        }
        prop_assert_eq!(
            connection::sweep_due(state, now),
            status == ConnectionStatus::Connected && refresh && left < connection::SWEEP_WINDOW_MS
        );
    }

    /// A refused refresh is `error`; a transient failure keeps `connected` while the token lives.
    #[test]
    fn refresh_outcomes(left in -600_000i64..600_000, now in 0i64..1_000_000_000) {
        let state = TokenState {
            status: ConnectionStatus::Connected,
            expires_at: Some(now + left),
            has_refresh_token: true,
        };
        prop_assert_eq!(
            connection::status_after_refresh(state, RefreshOutcome::Refreshed, now),
            ConnectionStatus::Connected
        );
        prop_assert_eq!(
            connection::status_after_refresh(state, RefreshOutcome::Refused, now),
            ConnectionStatus::Error
        );
        let transient = connection::status_after_refresh(state, RefreshOutcome::Transient, now);
        prop_assert_eq!(
            transient,
            if left > 0 { ConnectionStatus::Connected } else { ConnectionStatus::Expired }
        );
    }

    /// PKCE pairs of any bytes verify; states differ when the bytes do.
    #[test]
    fn pkce_of_any_bytes(a: [u8; 32], b: [u8; 32]) {
        let pkce = connection::pkce_from_bytes(&a);
        prop_assert!(marketplace_core::sso::pkce_s256_matches(&pkce.verifier, &pkce.challenge));
        prop_assert_eq!(pkce.verifier.len(), 43);
        prop_assert_eq!(
            connection::state_from_bytes(&a) == connection::state_from_bytes(&b),
            a == b
        );
    }
}
