//! Workflow templates: a vendor's ready-made setup of a published version (config, a subset of
//! its flows, mapping overrides), reviewed before customers activate it in one click.
//!
//! - [`accept_template`]: what a template accepts (published version; config as the
//!   organization sets it, without secrets or connections, every required value given; flows a
//!   non-empty subset; overrides that validate).
//! - [`decide`]: approve or reject, once, never by the key that submitted it.
//! - [`connections_asked`] and [`one_click_config`]: what a one-click activation asks the
//!   customer, and the config it makes.

use crate::api_key::{Submitter, may_decide};
use crate::compiled::CompiledSpec;
use crate::config::effective_config;
use crate::error::{FieldError, FieldErrorCode as Code, prefix_all};
use crate::event::UnixMillis;
use crate::integration::{IntegrationVersion, VersionState};
use crate::mapping::{Collection, Mapping, OverrideEditor, RecordType, effective_mappings};
use crate::pointer;
use crate::spec::{VariableType, Visibility};
use crate::values::{Editor, ValidationOptions, validate_map};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The review state of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateStatus {
    /// Submitted, not yet decided.
    Pending,
    /// Approved: customers see it and activate it in one click.
    Approved,
    /// Rejected (the decision's notes say why).
    Rejected,
}

impl TemplateStatus {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// The status with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            _ => None,
        }
    }
}

/// A reviewer's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Approve.
    Approve,
    /// Reject (notes required).
    Reject,
}

/// A decision on a template, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDecision {
    /// The verdict.
    pub decision: Verdict,
    /// Why (required for a rejection).
    pub notes: String,
    /// The deciding API key's id.
    pub decided_by: String,
    /// When (Unix ms).
    pub decided_at: UnixMillis,
}

/// What a template is made of, as submitted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateInput {
    /// Display name.
    pub name: String,
    /// What it sets up.
    pub description: String,
    /// Values, as the organization sets them (no secrets, no connections).
    pub config: Map<String, Value>,
    /// The flows it enables.
    pub flows: Vec<String>,
    /// Mapping overrides per collection name (each a JSON array of mappings).
    pub overrides: Map<String, Value>,
}

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateRefusal {
    /// The version is a draft (409 `version_draft`).
    VersionDraft,
    /// Field errors, every one at once (422).
    Fields(Vec<FieldError>),
}

/// The overrides of a template, parsed: (collection name, mappings).
pub type TemplateOverrides = Vec<(String, Vec<Mapping>)>;

/// Accepts a template of `version`, whose collections and record types are given: its parsed
/// overrides, or why not. Paths are JSON Pointers into the request body (`/config/region`,
/// `/flows/1`, `/overrides/contacts/0/to`).
pub fn accept_template(
    version: &IntegrationVersion,
    collections: &[Collection],
    record_types: &[RecordType],
    input: &TemplateInput,
) -> Result<TemplateOverrides, TemplateRefusal> {
    if version.state != VersionState::Published {
        return Err(TemplateRefusal::VersionDraft);
    }
    let mut errors = Vec::new();
    if input.name.trim().is_empty() {
        errors.push(FieldError::new(
            "/name",
            Code::Empty,
            "the name must not be empty",
        ));
    }
    errors.extend(prefix_all(
        check_config(&version.config, &input.config),
        "/config",
    ));
    errors.extend(check_flows(version, &input.flows, "/flows", false));
    let mut overrides = Vec::new();
    for (name, value) in &input.overrides {
        let base = pointer::push("/overrides", name);
        let Some(collection) = collections.iter().find(|c| &c.name == name) else {
            errors.push(FieldError::new(
                base,
                Code::InvalidReference,
                "the version has no collection of that name",
            ));
            continue;
        };
        let mappings: Vec<Mapping> = match serde_json::from_value(value.clone()) {
            Ok(mappings) => mappings,
            Err(e) => {
                errors.push(FieldError::new(
                    base,
                    Code::Invalid,
                    format!("expected an array of mappings: {e}"),
                ));
                continue;
            }
        };
        match effective_mappings(collection, &mappings, OverrideEditor::Vendor, record_types) {
            Ok(_) => overrides.push((name.clone(), mappings)),
            Err(found) => errors.extend(found.into_iter().map(|e| at_override(e, &base))),
        }
    }
    if errors.is_empty() {
        Ok(overrides)
    } else {
        Err(TemplateRefusal::Fields(errors))
    }
}

/// An error of `effective_mappings` (paths `/overrides/0/to` or `/mappings/2`) seen from a
/// template's body: `/overrides/NAME/0/to`, or `/overrides/NAME` + the collection's own path.
fn at_override(mut error: FieldError, base: &str) -> FieldError {
    error.path = match error.path.strip_prefix("/overrides") {
        Some(rest) => format!("{base}{rest}"),
        None => format!("{base}{}", error.path),
    };
    error
}

/// A template's config checked, paths relative to it: values as the organization sets them,
/// none for a secret or a connection (`not_editable`), and every required variable given (a
/// default counts) except connections and `embedded` variables (`required`).
fn check_config(spec: &CompiledSpec, config: &Map<String, Value>) -> Vec<FieldError> {
    let mut errors = validate_map(
        spec,
        config,
        ValidationOptions::partial(Editor::Organization),
    );
    let effective = effective_config(spec.spec(), &[config]);
    for variable in spec.spec().variables() {
        let path = pointer::push("", &variable.key);
        let connection = matches!(variable.kind, VariableType::Connection(_));
        if config.contains_key(&variable.key) && variable.holds_secret() {
            errors.retain(|e| !e.path.starts_with(&path));
            errors.push(FieldError::new(
                path,
                Code::NotEditable,
                "a template holds no secret or connection values",
            ));
        } else if variable.required
            && !connection
            && variable.visibility != Visibility::Embedded
            && !effective.contains_key(&variable.key)
        {
            let message = if variable.holds_secret() {
                "a required secret without default: a template cannot give it a value"
            } else {
                "a required value is missing"
            };
            errors.push(FieldError::new(path, Code::Required, message));
        }
    }
    errors
}

/// Flow names checked against the version's flows: unknown (`/flows/1` `invalid_reference`),
/// twice (`duplicate`), and, unless `may_be_empty`, none at all (`/flows` `empty`). Paths under
/// `base`.
pub fn check_flows(
    version: &IntegrationVersion,
    flows: &[String],
    base: &str,
    may_be_empty: bool,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if flows.is_empty() && !may_be_empty {
        errors.push(FieldError::new(base, Code::Empty, "name at least one flow"));
    }
    for (i, flow) in flows.iter().enumerate() {
        let path = format!("{base}/{i}");
        if !version.flows.iter().any(|f| &f.name == flow) {
            errors.push(FieldError::new(
                path,
                Code::InvalidReference,
                "the version has no flow of that name",
            ));
        } else if flows[..i].contains(flow) {
            errors.push(FieldError::new(
                path,
                Code::Duplicate,
                "this flow is named twice",
            ));
        }
    }
    errors
}

/// Why a decision is refused.
#[derive(Debug, Clone, PartialEq)]
pub enum DecideRefusal {
    /// The deciding key submitted the template (403 `self_review`).
    SelfReview,
    /// The template is already decided (409 `already_decided`).
    AlreadyDecided,
    /// Field errors (422): a rejection without notes (`/notes` `required`).
    Fields(Vec<FieldError>),
}

/// Decides a template in `status`, submitted by `submitted_by`, with the API key
/// `decider_key_id`: the new status and the decision to store, or why not, in the contract's
/// order (403, then 409, then 422).
pub fn decide(
    status: TemplateStatus,
    submitted_by: &Submitter,
    decider_key_id: &str,
    verdict: Verdict,
    notes: &str,
    now: UnixMillis,
) -> Result<(TemplateStatus, TemplateDecision), DecideRefusal> {
    if !may_decide(decider_key_id, submitted_by) {
        return Err(DecideRefusal::SelfReview);
    }
    if status != TemplateStatus::Pending {
        return Err(DecideRefusal::AlreadyDecided);
    }
    if verdict == Verdict::Reject && notes.trim().is_empty() {
        return Err(DecideRefusal::Fields(vec![FieldError::new(
            "/notes",
            Code::Required,
            "say why the template is rejected",
        )]));
    }
    let next = match verdict {
        Verdict::Approve => TemplateStatus::Approved,
        Verdict::Reject => TemplateStatus::Rejected,
    };
    let decision = TemplateDecision {
        decision: verdict,
        notes: notes.trim().to_owned(),
        decided_by: decider_key_id.to_owned(),
        decided_at: now,
    };
    Ok((next, decision))
}

/// The connections a one-click activation asks the customer for: the keys of the spec's
/// connection variables the customer fills, in spec order.
pub fn connections_asked(spec: &CompiledSpec) -> Vec<String> {
    spec.spec()
        .variables()
        .filter(|v| {
            matches!(v.kind, VariableType::Connection(_)) && v.visibility == Visibility::Customer
        })
        .map(|v| v.key.clone())
        .collect()
}

/// The config of a one-click activation: the template's config and the customer's
/// `connections`. A key that is not a connection the customer fills → `/connections/KEY`
/// `not_editable`; connection values are checked (paths under `/connections`), and a required
/// one missing is `required` there. The result is then accepted like any activation.
pub fn one_click_config(
    template_config: &Map<String, Value>,
    connections: &Map<String, Value>,
    spec: &CompiledSpec,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let asked = connections_asked(spec);
    let mut errors = Vec::new();
    let mut given = Map::new();
    for (key, value) in connections {
        if asked.contains(key) {
            given.insert(key.clone(), value.clone());
        } else {
            errors.push(FieldError::new(
                pointer::push("/connections", key),
                Code::NotEditable,
                "only the template's connections may be given",
            ));
        }
    }
    errors.extend(prefix_all(
        validate_map(spec, &given, ValidationOptions::partial(Editor::Customer)),
        "/connections",
    ));
    for key in &asked {
        let required = spec
            .variable(key)
            .is_some_and(|v| v.required_of(Editor::Customer));
        if required && !given.contains_key(key) {
            errors.push(FieldError::new(
                pointer::push("/connections", key),
                Code::Required,
                "this connection is required",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut config = template_config.clone();
    config.extend(given);
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_key::SubmitterKind;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    fn version(state: VersionState) -> IntegrationVersion {
        let body = json!({
            "version": "1.0.0",
            "config": {"pages": [{"title": "Setup", "elements": [
                {"type": "string", "key": "region", "label": "Region", "required": true},
                {"type": "string", "key": "mode", "label": "Mode", "required": true, "default": "fast"},
                {"type": "integer", "key": "batch", "label": "Batch"},
                {"type": "string", "key": "tenant", "label": "Tenant", "required": true, "visibility": "embedded"},
                {"type": "string", "key": "account", "label": "Account", "required": true, "visibility": "organization"},
                {"type": "secret", "key": "token", "label": "Token"},
                {"type": "connection", "key": "crm", "label": "CRM", "required": true, "connection": {"kind": "api_key"}},
                {"type": "connection", "key": "ops", "label": "Ops", "visibility": "organization", "connection": {"kind": "api_key"}},
                {"type": "url", "key": "endpoint", "label": "Endpoint", "default": "https://example.com/in"}
            ]}]},
            "flows": [{"name": "orders", "trigger": "webhook"}, {"name": "refunds", "trigger": "webhook"},
                      {"name": "sync", "trigger": "manual"}]
        });
        let mut version = IntegrationVersion::parse_draft(&body, &[], &[]).expect("the test version");
        version.state = state;
        version
    }

    fn input(config: Value, flows: &[&str]) -> TemplateInput {
        TemplateInput {
            name: "EU shop".into(),
            description: String::new(),
            config: object(config),
            flows: flows.iter().map(|f| f.to_string()).collect(),
            overrides: Map::new(),
        }
    }

    fn paths(result: Result<TemplateOverrides, TemplateRefusal>) -> Vec<(String, Code)> {
        match result {
            Err(TemplateRefusal::Fields(errors)) => {
                errors.into_iter().map(|e| (e.path, e.code)).collect()
            }
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn a_good_template_is_accepted() {
        let accepted = accept_template(
            &version(VersionState::Published),
            &[],
            &[],
            &input(
                json!({"region": "eu", "account": "A-1"}),
                &["orders", "sync"],
            ),
        );
        assert_eq!(accepted, Ok(Vec::new()));
    }

    #[test]
    fn a_draft_version_takes_no_template() {
        let refused = accept_template(
            &version(VersionState::Draft),
            &[],
            &[],
            &input(json!({"region": "eu", "account": "A-1"}), &["orders"]),
        );
        assert_eq!(refused, Err(TemplateRefusal::VersionDraft));
    }

    #[test]
    fn template_refusals_table() {
        let published = version(VersionState::Published);
        let good = json!({"region": "eu", "account": "A-1"});
        let with = |extra: Value| {
            let mut config = good.clone();
            config.as_object_mut().unwrap().extend(object(extra));
            config
        };
        // config, flows, expected (path, code)
        type Row<'a> = (Value, Vec<&'a str>, Vec<(&'a str, Code)>);
        let table: Vec<Row<'_>> = vec![
            (
                json!({"account": "A-1"}),
                vec!["orders"],
                vec![("/config/region", Code::Required)],
            ),
            (
                json!({"region": "eu"}),
                vec!["orders"],
                vec![("/config/account", Code::Required)],
            ),
            (
                with(json!({"token": "s3cret"})),
                vec!["orders"],
                vec![("/config/token", Code::NotEditable)],
            ),
            (
                with(json!({"crm": {"api_key": "k"}})),
                vec!["orders"],
                vec![("/config/crm", Code::NotEditable)],
            ),
            (
                with(json!({"batch": "ten"})),
                vec!["orders"],
                vec![("/config/batch", Code::Type)],
            ),
            (
                with(json!({"nope": 1})),
                vec!["orders"],
                vec![("/config/nope", Code::UnknownKey)],
            ),
            (good.clone(), vec![], vec![("/flows", Code::Empty)]),
            (
                good.clone(),
                vec!["orders", "nope"],
                vec![("/flows/1", Code::InvalidReference)],
            ),
            (
                good.clone(),
                vec!["orders", "orders"],
                vec![("/flows/1", Code::Duplicate)],
            ),
        ];
        for (config, flows, expected) in table {
            let got = paths(accept_template(
                &published,
                &[],
                &[],
                &input(config.clone(), &flows),
            ));
            let expected: Vec<(String, Code)> = expected
                .into_iter()
                .map(|(p, c)| (p.to_owned(), c))
                .collect();
            assert_eq!(got, expected, "{config} {flows:?}");
        }
    }

    #[test]
    fn overrides_name_a_collection_of_the_version() {
        let mut template = input(json!({"region": "eu", "account": "A-1"}), &["orders"]);
        template.overrides = object(json!({"contacts": []}));
        let got = paths(accept_template(
            &version(VersionState::Published),
            &[],
            &[],
            &template,
        ));
        assert_eq!(
            got,
            vec![("/overrides/contacts".to_owned(), Code::InvalidReference)]
        );
    }

    #[test]
    fn override_error_paths_are_under_the_collection() {
        let error = FieldError::new("/overrides/0/to", Code::NotEditable, "x");
        assert_eq!(
            at_override(error, "/overrides/contacts").path,
            "/overrides/contacts/0/to"
        );
        let error = FieldError::new("/mappings/2/from", Code::UnknownField, "x");
        assert_eq!(
            at_override(error, "/overrides/contacts").path,
            "/overrides/contacts/mappings/2/from"
        );
    }

    #[test]
    fn decisions_table() {
        use DecideRefusal::*;
        use TemplateStatus::*;
        let by_key = Submitter {
            kind: SubmitterKind::Organization,
            id: "key_1".into(),
        };
        let by_partner = Submitter {
            kind: SubmitterKind::Partner,
            id: "key_1".into(),
        };
        // status, submitter, decider, verdict, notes, expected
        type Row<'a> = (
            TemplateStatus,
            &'a Submitter,
            &'a str,
            Verdict,
            &'a str,
            Result<TemplateStatus, DecideRefusal>,
        );
        let table: Vec<Row<'_>> = vec![
            (
                Pending,
                &by_key,
                "key_2",
                Verdict::Approve,
                "",
                Ok(Approved),
            ),
            (
                Pending,
                &by_key,
                "key_2",
                Verdict::Reject,
                "too broad",
                Ok(Rejected),
            ),
            (
                Pending,
                &by_key,
                "key_1",
                Verdict::Approve,
                "",
                Err(SelfReview),
            ),
            (
                Approved,
                &by_key,
                "key_1",
                Verdict::Approve,
                "",
                Err(SelfReview),
            ),
            (
                Pending,
                &by_partner,
                "key_1",
                Verdict::Approve,
                "",
                Ok(Approved),
            ),
            (
                Approved,
                &by_key,
                "key_2",
                Verdict::Reject,
                "late",
                Err(AlreadyDecided),
            ),
            (
                Rejected,
                &by_key,
                "key_2",
                Verdict::Approve,
                "",
                Err(AlreadyDecided),
            ),
            (
                Pending,
                &by_key,
                "key_2",
                Verdict::Reject,
                "  ",
                Err(Fields(vec![FieldError::new(
                    "/notes",
                    Code::Required,
                    "say why the template is rejected",
                )])),
            ),
        ];
        for (status, submitter, decider, verdict, notes, expected) in table {
            let got = decide(status, submitter, decider, verdict, notes, 42);
            match (&got, &expected) {
                (Ok((next, decision)), Ok(want)) => {
                    assert_eq!(next, want);
                    assert_eq!(decision.decided_by, decider);
                    assert_eq!(decision.decided_at, 42);
                    assert_eq!(decision.decision, verdict);
                }
                (Err(got), Err(want)) => assert_eq!(got, want),
                _ => panic!("{status:?} {decider} {verdict:?}: got {got:?}, want {expected:?}"),
            }
        }
    }

    #[test]
    fn one_click_asks_the_customer_connections() {
        let spec = &version(VersionState::Published).config;
        assert_eq!(connections_asked(spec), vec!["crm".to_owned()]);
        let template = object(json!({"region": "eu"}));
        let config = one_click_config(&template, &object(json!({"crm": {"api_key": "k"}})), spec);
        assert_eq!(
            config,
            Ok(object(json!({"region": "eu", "crm": {"api_key": "k"}})))
        );
    }

    #[test]
    fn one_click_refusals_table() {
        let spec = &version(VersionState::Published).config;
        let template = object(json!({"region": "eu"}));
        // connections, expected (path, code)
        let table: Vec<(Value, Vec<(&str, Code)>)> = vec![
            (json!({}), vec![("/connections/crm", Code::Required)]),
            (
                json!({"crm": {"api_key": "k"}, "region": "us"}),
                vec![("/connections/region", Code::NotEditable)],
            ),
            (
                json!({"crm": {"api_key": "k"}, "ops": {"api_key": "k"}}),
                vec![("/connections/ops", Code::NotEditable)],
            ),
            (json!({"crm": "k"}), vec![("/connections/crm", Code::Type)]),
        ];
        for (connections, expected) in table {
            let got: Vec<(String, Code)> =
                match one_click_config(&template, &object(connections.clone()), spec) {
                    Err(errors) => errors.into_iter().map(|e| (e.path, e.code)).collect(),
                    Ok(config) => panic!("{connections}: accepted {config:?}"),
                };
            let expected: Vec<(String, Code)> = expected
                .into_iter()
                .map(|(p, c)| (p.to_owned(), c))
                .collect();
            assert_eq!(got, expected, "{connections}");
        }
    }
}
