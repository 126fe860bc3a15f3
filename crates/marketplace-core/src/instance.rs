//! Instances: an integration version configured and deployed for one customer, and its state
//! machine. Every operation returns the new instance with the event it leaves.

use crate::compiled::CompiledSpec;
use crate::config::{effective_config, is_masked, merge_update};
use crate::error::{FieldError, FieldErrorCode, prefix_all, unprefix_all};
use crate::event::{Event, EventType, UnixMillis, changed_keys};
use crate::ids::{CustomerId, InstanceId, IntegrationId};
use crate::integration::IntegrationVersion;
use crate::pointer;
use crate::spec::{VariableType, Visibility};
use crate::values::{Editor, ValidationOptions, validate_map};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::str::FromStr;

/// States of an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceStatus {
    /// Running: webhooks run its flows.
    Active,
    /// Stopped by the customer or vendor; may resume.
    Paused,
    /// A required value is missing (e.g. after an upgrade); reconfigure to activate again.
    NeedsConfiguration,
    /// Ended for good.
    Deactivated,
    /// Activated under `confirm`: waits for the vendor's answer; flows do not run.
    Pending,
    /// The vendor refused the activation (see `status_message`); only deactivation remains.
    Failed,
}

impl InstanceStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::NeedsConfiguration => "needs_configuration",
            Self::Deactivated => "deactivated",
            Self::Pending => "pending",
            Self::Failed => "failed",
        }
    }

    /// Whether an instance in this state counts for the `instance_exists` rule (one instance per
    /// customer and integration): every state but `deactivated` and `failed`.
    pub fn counts_as_existing(self) -> bool {
        !matches!(self, Self::Deactivated | Self::Failed)
    }
}

/// A text that names no instance status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown instance status \"{0}\"")]
pub struct UnknownStatus(pub String);

impl FromStr for InstanceStatus {
    type Err = UnknownStatus;

    /// The status with that wire name (`"needs_configuration"`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        use InstanceStatus::*;
        [
            Active,
            Paused,
            NeedsConfiguration,
            Deactivated,
            Pending,
            Failed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| UnknownStatus(text.to_owned()))
    }
}

/// Operations on an instance, named in transition errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// Pause.
    Pause,
    /// Resume.
    Resume,
    /// Reconfigure.
    Reconfigure,
    /// Upgrade or downgrade.
    Upgrade,
    /// Deactivate.
    Deactivate,
    /// Confirm a pending activation.
    Confirm,
    /// Fail a pending activation.
    Fail,
}

/// An operation that the instance's state does not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot {operation:?} an instance that is {}", .status.as_str())]
pub struct TransitionError {
    /// The state the instance is in.
    pub status: InstanceStatus,
    /// What was attempted.
    pub operation: Operation,
}

impl TransitionError {
    /// Stable machine code for the API.
    pub fn code(&self) -> &'static str {
        "invalid_state"
    }
}

/// An activated integration for one customer.
///
/// `config` holds the values set on the instance, secrets included: never serialize an instance
/// into a response; use [`crate::config::mask_secrets`] for read views.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    /// Id.
    pub id: InstanceId,
    /// Owner.
    pub customer_id: CustomerId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The version it runs.
    pub version: semver::Version,
    /// Display name.
    pub name: String,
    /// State.
    pub status: InstanceStatus,
    /// Values set on the instance (customer values, and organization values the vendor set).
    pub config: Map<String, Value>,
    /// Creation time.
    pub created_at: UnixMillis,
    /// Last change.
    pub updated_at: UnixMillis,
    /// Why the vendor refused the activation (set by [`Instance::fail`]; `None` elsewhere).
    pub status_message: Option<String>,
    /// The vendor's account for this instance (set by [`Instance::confirm`]; `None` elsewhere).
    pub account_identifier: Option<String>,
    /// The workflow template it was made from (one-click activation).
    pub template_id: Option<String>,
    /// The flows that run, by name; `None`: every flow of the version.
    pub enabled_flows: Option<Vec<String>>,
    /// The marketplace it was activated from (`None`: activated by the vendor, or before
    /// marketplaces existed).
    pub marketplace_id: Option<crate::ids::MarketplaceId>,
}

/// What an upgrade does to the config.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeReport {
    /// Keys whose values carry over unchanged.
    pub carried_over: Vec<String>,
    /// Keys whose values are dropped (no longer in the spec, or no longer valid there).
    pub dropped: Vec<String>,
    /// Required keys of the new version with no value, no default and no vendor-set value.
    pub newly_required: Vec<String>,
}

/// What a new instance is made of; its config must already be validated.
#[derive(Debug, Clone)]
pub struct NewInstance<'a> {
    /// Id (the caller draws it).
    pub id: InstanceId,
    /// Owner.
    pub customer_id: CustomerId,
    /// The integration.
    pub integration_id: IntegrationId,
    /// The version activated.
    pub version: &'a IntegrationVersion,
    /// Display name; defaults to the integration's name at the caller.
    pub name: String,
    /// Validated values.
    pub config: Map<String, Value>,
    /// Whether the instance starts `pending` (its integration's event configuration activates
    /// under `confirm`) rather than `active`.
    pub pending: bool,
}

/// Values submitted to activate or reconfigure an instance, and what they are judged with.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// Who submits: a customer (embedded API) or the vendor (admin API).
    pub editor: Editor,
    /// The editor's values (its whole part of the config).
    pub submitted: &'a Map<String, Value>,
    /// Values the vendor set for this customer and integration (they count for `required`
    /// when the vendor submits).
    pub vendor_values: &'a Map<String, Value>,
    /// Values of embedded variables from the host's token, if any.
    pub token_values: Option<&'a Map<String, Value>>,
}

/// Accepts an activation: the config to store, or every field error.
///
/// The vendor's values are a partial layer, and only what the effective config (vendor-set
/// values, then the submitted ones, over defaults) lacks is `required`; any other editor submits
/// its whole part, checked complete. Paths are under `/config`. The token's values of
/// `embedded` variables (other keys ignored) are checked as a partial layer, paths under
/// `/embedded_config`, and join the config.
pub fn accept_activation(
    spec: &CompiledSpec,
    submission: Submission<'_>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut config = submission.submitted.clone();
    let mut errors = prefix_all(check_part(spec, &submission, &config), "/config");
    add_token_values(spec, submission.token_values, &mut config, &mut errors);
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Accepts a reconfiguration of `stored`: the config to store, or every field error.
///
/// The editor's own part of `stored` is replaced by the submitted values through
/// [`merge_update`] (a secret omitted, or sent back masked, keeps its value); the other parts
/// stay. The result is judged as in [`accept_activation`], token values included, and a blank
/// `name` is an `empty` error at `/name`.
///
/// `stored` may be a read view (a client's copy, secrets masked as `{"set": true}`): a masked
/// secret that the update keeps counts as set, since only the service holds its value. The
/// service's own stored values hold no placeholder, so there the rule is unchanged.
pub fn accept_reconfiguration(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    submission: Submission<'_>,
    name: Option<&str>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let editable = |key: &str| {
        spec.variable(key)
            .is_some_and(|v| v.editable_by(submission.editor))
    };
    // Loops rather than `partition`/`collect`: collecting into a map sorts, and the sort's code
    // would weigh on the WebAssembly module for nothing (the keys come sorted).
    let (mut mine, mut config) = (Map::new(), Map::new());
    for (key, value) in stored {
        let part = if editable(key) {
            &mut mine
        } else {
            &mut config
        };
        part.insert(key.clone(), value.clone());
    }
    let merged = merge_update(spec.spec(), &mine, submission.submitted);
    let kept = kept_masked(spec, &mine, &merged);
    let part_errors = check_part(spec, &submission, &merged)
        .into_iter()
        .filter(|e| !kept.contains(&e.path))
        .collect();
    let mut errors = prefix_all(part_errors, "/config");
    config.extend(merged);
    add_token_values(spec, submission.token_values, &mut config, &mut errors);
    if name.is_some_and(|n| n.trim().is_empty()) {
        errors.push(FieldError::new(
            "/name",
            FieldErrorCode::Empty,
            "the name must not be empty",
        ));
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// What a client checks before sending a reconfiguration: [`accept_reconfiguration`] of
/// `update` over `stored` (values read back from the service, secrets masked) for `editor`,
/// with no token values and no name; the errors, paths relative to the config.
pub fn validate_update(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    update: &Map<String, Value>,
    editor: Editor,
) -> Vec<FieldError> {
    let none = Map::new();
    let submission = Submission {
        editor,
        submitted: update,
        vendor_values: &none,
        token_values: None,
    };
    match accept_reconfiguration(spec, stored, submission, None) {
        Ok(_) => Vec::new(),
        Err(errors) => unprefix_all(errors, "/config"),
    }
}

/// The editor's part of a config checked; paths relative to the config.
fn check_part(
    spec: &CompiledSpec,
    submission: &Submission<'_>,
    values: &Map<String, Value>,
) -> Vec<FieldError> {
    match submission.editor {
        Editor::Organization => {
            let mut errors = validate_map(
                spec,
                values,
                ValidationOptions::partial(Editor::Organization),
            );
            let effective = effective_config(spec.spec(), &[submission.vendor_values, values]);
            errors.extend(
                validate_map(
                    spec,
                    &effective,
                    ValidationOptions::complete(Editor::Organization),
                )
                .into_iter()
                .filter(|e| e.code == FieldErrorCode::Required),
            );
            errors
        }
        editor => validate_map(spec, values, ValidationOptions::complete(editor)),
    }
}

/// Checks the token's values of embedded variables (other keys ignored) and adds them to
/// `config`; errors under `/embedded_config`.
fn add_token_values(
    spec: &CompiledSpec,
    token_values: Option<&Map<String, Value>>,
    config: &mut Map<String, Value>,
    errors: &mut Vec<FieldError>,
) {
    let Some(token_values) = token_values else {
        return;
    };
    let mut known = Map::new();
    for (key, value) in token_values {
        if spec
            .variable(key)
            .is_some_and(|v| v.visibility == Visibility::Embedded)
        {
            known.insert(key.clone(), value.clone());
        }
    }
    errors.extend(prefix_all(
        validate_map(spec, &known, ValidationOptions::partial(Editor::Embedded)),
        "/embedded_config",
    ));
    config.extend(known);
}

/// Paths (relative to the config) of secrets that are masked placeholders both in `stored` and
/// in `merged`: secrets a client's read view shows as set and the update keeps.
fn kept_masked(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    merged: &Map<String, Value>,
) -> Vec<String> {
    let both = |old: Option<&Value>, new: Option<&Value>| {
        old.is_some_and(is_masked) && new.is_some_and(is_masked)
    };
    let mut paths = Vec::new();
    for compiled in spec.compiled_variables() {
        let key = &compiled.variable.key;
        let (old, new) = (stored.get(key), merged.get(key));
        match &compiled.variable.kind {
            VariableType::Secret(_) | VariableType::Connection(_) if both(old, new) => {
                paths.push(compiled.path.clone());
            }
            VariableType::Connection(kind) => {
                for input in kind.inputs().iter().filter(|i| i.secret) {
                    let (old, new) = (
                        old.and_then(|v| v.get(input.name)),
                        new.and_then(|v| v.get(input.name)),
                    );
                    if both(old, new) {
                        paths.push(pointer::push(&compiled.path, input.name));
                    }
                }
            }
            _ => {}
        }
    }
    paths
}

impl Instance {
    /// Whether the flow of that name runs (a disabled flow has no webhook URL, no scheduled
    /// run and no shared-webhook delivery).
    pub fn flow_enabled(&self, flow: &str) -> bool {
        self.enabled_flows
            .as_ref()
            .is_none_or(|flows| flows.iter().any(|f| f == flow))
    }

    /// The names of the flows of `version` that run, in the version's order.
    pub fn enabled_flow_names(&self, version: &IntegrationVersion) -> Vec<String> {
        version
            .flows
            .iter()
            .filter(|f| self.flow_enabled(&f.name))
            .map(|f| f.name.clone())
            .collect()
    }

    /// The mapping collections its enabled flows apply (`map: {"collection": name}`), each once,
    /// in flow order: the ones whose mappings it may see and override.
    pub fn collections_in_use(&self, version: &IntegrationVersion) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for flow in version.flows.iter().filter(|f| self.flow_enabled(&f.name)) {
            if let Some(name) = flow.map.collection()
                && !names.iter().any(|n| n == name)
            {
                names.push(name.to_owned());
            }
        }
        names
    }

    /// Activates: a new instance, `active` (or `pending` when `new.pending`), and its
    /// `instance.activated` event.
    pub fn activate(new: NewInstance<'_>, now: UnixMillis) -> (Instance, Event) {
        let status = if new.pending {
            InstanceStatus::Pending
        } else {
            InstanceStatus::Active
        };
        let instance = Instance {
            id: new.id,
            customer_id: new.customer_id,
            integration_id: new.integration_id,
            version: new.version.version.clone(),
            name: new.name,
            status,
            config: new.config,
            created_at: now,
            updated_at: now,
            status_message: None,
            account_identifier: None,
            template_id: None,
            marketplace_id: None,
            enabled_flows: None,
        };
        let event = Event::for_instance(EventType::InstanceActivated, &instance, now, json!({}));
        (instance, event)
    }

    fn transition(
        &self,
        operation: Operation,
        allowed: &[InstanceStatus],
        to: InstanceStatus,
        event_type: EventType,
        now: UnixMillis,
    ) -> Result<(Instance, Event), TransitionError> {
        self.require(operation, allowed)?;
        let next = Instance {
            status: to,
            updated_at: now,
            ..self.clone()
        };
        let event = Event::for_instance(
            event_type,
            &next,
            now,
            json!({"previous_status": self.status}),
        );
        Ok((next, event))
    }

    /// Pauses an active instance.
    pub fn pause(&self, now: UnixMillis) -> Result<(Instance, Event), TransitionError> {
        use InstanceStatus::*;
        self.transition(
            Operation::Pause,
            &[Active],
            Paused,
            EventType::InstancePaused,
            now,
        )
    }

    /// Resumes a paused instance.
    pub fn resume(&self, now: UnixMillis) -> Result<(Instance, Event), TransitionError> {
        use InstanceStatus::*;
        self.transition(
            Operation::Resume,
            &[Paused],
            Active,
            EventType::InstanceResumed,
            now,
        )
    }

    /// Deactivates an instance that is not deactivated yet (pending and failed ones included).
    pub fn deactivate(&self, now: UnixMillis) -> Result<(Instance, Event), TransitionError> {
        use InstanceStatus::*;
        self.transition(
            Operation::Deactivate,
            &[Active, Paused, NeedsConfiguration, Pending, Failed],
            Deactivated,
            EventType::InstanceDeactivated,
            now,
        )
    }

    /// The vendor confirms a pending activation: the instance becomes active, keeps the vendor's
    /// account identifier, and leaves `instance.confirmed` with `{account_identifier}`.
    pub fn confirm(
        &self,
        account_identifier: Option<String>,
        now: UnixMillis,
    ) -> Result<(Instance, Event), TransitionError> {
        self.require(Operation::Confirm, &[InstanceStatus::Pending])?;
        let next = Instance {
            status: InstanceStatus::Active,
            account_identifier,
            updated_at: now,
            ..self.clone()
        };
        let extra = json!({"account_identifier": next.account_identifier});
        let event = Event::for_instance(EventType::InstanceConfirmed, &next, now, extra);
        Ok((next, event))
    }

    /// The vendor refuses a pending activation: the instance becomes failed, keeps the message,
    /// and leaves `instance.failed` with `{message}`.
    pub fn fail(
        &self,
        message: String,
        now: UnixMillis,
    ) -> Result<(Instance, Event), TransitionError> {
        self.require(Operation::Fail, &[InstanceStatus::Pending])?;
        let next = Instance {
            status: InstanceStatus::Failed,
            status_message: Some(message),
            updated_at: now,
            ..self.clone()
        };
        let extra = json!({"message": next.status_message});
        let event = Event::for_instance(EventType::InstanceFailed, &next, now, extra);
        Ok((next, event))
    }

    /// `Ok` when the instance's state is one of `allowed`, else the transition error.
    fn require(
        &self,
        operation: Operation,
        allowed: &[InstanceStatus],
    ) -> Result<(), TransitionError> {
        if allowed.contains(&self.status) {
            Ok(())
        } else {
            Err(TransitionError {
                status: self.status,
                operation,
            })
        }
    }

    /// Replaces the config with a validated, complete one (see [`crate::config::merge_update`] for
    /// keeping secrets). An instance that needed configuration becomes active; a paused one stays paused.
    pub fn reconfigure(
        &self,
        config: Map<String, Value>,
        now: UnixMillis,
    ) -> Result<(Instance, Event), TransitionError> {
        use InstanceStatus::*;
        self.require(
            Operation::Reconfigure,
            &[Active, Paused, NeedsConfiguration],
        )?;
        let changed = changed_keys(&self.config, &config);
        let status = match self.status {
            InstanceStatus::NeedsConfiguration => InstanceStatus::Active,
            other => other,
        };
        let event_extra = json!({"changed": changed});
        let next = Instance {
            status,
            config,
            updated_at: now,
            ..self.clone()
        };
        let event = Event::for_instance(EventType::InstanceReconfigured, &next, now, event_extra);
        Ok((next, event))
    }

    /// Moves the instance to another version (up or down), carrying over what still fits.
    /// Newly required values with no default leave it `needs_configuration`.
    pub fn upgrade(
        &self,
        to: &IntegrationVersion,
        vendor_values: Option<&Map<String, Value>>,
        now: UnixMillis,
    ) -> Result<(Instance, UpgradeReport, Event), TransitionError> {
        use InstanceStatus::*;
        self.require(Operation::Upgrade, &[Active, Paused, NeedsConfiguration])?;
        let (config, report) = plan_upgrade(&to.config, &self.config, vendor_values);
        let status = if !report.newly_required.is_empty() {
            InstanceStatus::NeedsConfiguration
        } else if self.status == InstanceStatus::Paused {
            InstanceStatus::Paused
        } else {
            InstanceStatus::Active
        };
        let next = Instance {
            version: to.version.clone(),
            status,
            config,
            updated_at: now,
            ..self.clone()
        };
        let extra = json!({"from_version": self.version.to_string(), "report": report});
        let event = Event::for_instance(EventType::InstanceUpgraded, &next, now, extra);
        Ok((next, report, event))
    }
}

/// Which values of `config` carry over to the spec `to`, and what becomes required.
pub fn plan_upgrade(
    to: &CompiledSpec,
    config: &Map<String, Value>,
    vendor_values: Option<&Map<String, Value>>,
) -> (Map<String, Value>, UpgradeReport) {
    let mut report = UpgradeReport::default();
    let mut carried = Map::new();
    for (key, value) in config {
        let fits = to.compiled_variable(key).is_some_and(|v| {
            let mut errors = Vec::new();
            v.check(value, &v.path, &mut errors);
            errors.is_empty()
        });
        if fits {
            carried.insert(key.clone(), value.clone());
            report.carried_over.push(key.clone());
        } else {
            report.dropped.push(key.clone());
        }
    }
    for variable in to.variables() {
        let has_value = carried.contains_key(&variable.key)
            || variable.default.is_some()
            || vendor_values.is_some_and(|m| m.contains_key(&variable.key));
        if variable.required && !has_value {
            report.newly_required.push(variable.key.clone());
        }
    }
    (carried, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::VersionState;

    fn version(v: &str, elements: Value) -> IntegrationVersion {
        IntegrationVersion {
            version: semver::Version::parse(v).unwrap(),
            state: VersionState::Published,
            config: CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": elements}]}))
                .unwrap(),
            flows: vec![],
            collections: Vec::new(),
            record_types: Vec::new(),
        }
    }

    fn v1() -> IntegrationVersion {
        version(
            "1.0.0",
            json!([
                {"key": "region", "label": "R", "type": "picklist", "options": ["eu", "us"]},
                {"key": "size", "label": "S", "type": "integer"},
                {"key": "old", "label": "O", "type": "string"}
            ]),
        )
    }

    fn instance() -> Instance {
        let config = json!({"region": "us", "size": 5, "old": "x"})
            .as_object()
            .unwrap()
            .clone();
        let new = NewInstance {
            id: "in1".into(),
            customer_id: "c1".into(),
            integration_id: "i1".into(),
            version: &v1(),
            name: "Shop".into(),
            config,
            pending: false,
        };
        Instance::activate(new, 100).0
    }

    #[test]
    fn state_machine_table() {
        use InstanceStatus::*;
        type Op = fn(&Instance) -> Result<(Instance, Event), TransitionError>;
        let ops: [(&str, Op); 7] = [
            ("pause", |i| i.pause(1)),
            ("resume", |i| i.resume(1)),
            ("deactivate", |i| i.deactivate(1)),
            ("reconfigure", |i| i.reconfigure(i.config.clone(), 1)),
            ("upgrade", |i| {
                i.upgrade(&v1(), None, 1).map(|(i, _, e)| (i, e))
            }),
            ("confirm", |i| i.confirm(None, 1)),
            ("fail", |i| i.fail("no".into(), 1)),
        ];
        // from, then the outcome of pause, resume, deactivate, reconfigure, upgrade, confirm,
        // fail (None: illegal)
        let table = [
            (
                Active,
                [
                    Some(Paused),
                    None,
                    Some(Deactivated),
                    Some(Active),
                    Some(Active),
                    None,
                    None,
                ],
            ),
            (
                Paused,
                [
                    None,
                    Some(Active),
                    Some(Deactivated),
                    Some(Paused),
                    Some(Paused),
                    None,
                    None,
                ],
            ),
            (
                NeedsConfiguration,
                [
                    None,
                    None,
                    Some(Deactivated),
                    Some(Active),
                    Some(Active),
                    None,
                    None,
                ],
            ),
            (
                Pending,
                [
                    None,
                    None,
                    Some(Deactivated),
                    None,
                    None,
                    Some(Active),
                    Some(Failed),
                ],
            ),
            (
                Failed,
                [None, None, Some(Deactivated), None, None, None, None],
            ),
            (Deactivated, [None, None, None, None, None, None, None]),
        ];
        for (from, outcomes) in table {
            let instance = Instance {
                status: from,
                ..instance()
            };
            for ((name, op), expected) in ops.iter().zip(outcomes) {
                let got = op(&instance);
                assert_eq!(
                    got.as_ref().ok().map(|(i, _)| i.status),
                    expected,
                    "{name} from {from:?}"
                );
                if let Err(e) = got {
                    assert_eq!((e.status, e.code()), (from, "invalid_state"));
                }
            }
        }
    }

    #[test]
    fn confirm_activation_starts_pending_and_the_vendor_decides() {
        let new = NewInstance {
            id: "in2".into(),
            customer_id: "c1".into(),
            integration_id: "i1".into(),
            version: &v1(),
            name: "Shop".into(),
            config: Map::new(),
            pending: true,
        };
        let (pending, event) = Instance::activate(new, 100);
        assert_eq!(
            (pending.status, event.event_type, &event.data["status"]),
            (
                InstanceStatus::Pending,
                EventType::InstanceActivated,
                &json!("pending")
            )
        );
        let (active, event) = pending.confirm(Some("acc-9".into()), 200).unwrap();
        assert_eq!(
            (
                active.status,
                active.account_identifier.as_deref(),
                active.updated_at
            ),
            (InstanceStatus::Active, Some("acc-9"), 200)
        );
        assert_eq!(event.event_type, EventType::InstanceConfirmed);
        assert_eq!(event.data["account_identifier"], json!("acc-9"));
        let (failed, event) = pending.fail("no seats left".into(), 300).unwrap();
        assert_eq!(
            (failed.status, failed.status_message.as_deref()),
            (InstanceStatus::Failed, Some("no seats left"))
        );
        assert_eq!(
            (event.event_type, &event.data["message"]),
            (EventType::InstanceFailed, &json!("no seats left"))
        );
        assert_eq!(failed.account_identifier, None);
        assert_eq!(instance().status_message, None);
    }

    #[test]
    fn events_name_the_change_without_values() {
        let i = instance();
        let (paused, event) = i.pause(200).unwrap();
        assert_eq!(
            (event.event_type, event.at, paused.updated_at),
            (EventType::InstancePaused, 200, 200)
        );
        assert_eq!(event.data["previous_status"], json!("active"));
        let mut config = i.config.clone();
        config.insert("size".into(), json!(6));
        config.remove("old");
        let (_, event) = i.reconfigure(config, 300).unwrap();
        assert_eq!(event.data["changed"], json!(["old", "size"]));
        assert!(!event.data.to_string().contains('6'));
    }

    #[test]
    fn upgrade_reports_carried_dropped_and_newly_required() {
        let v2 = version(
            "2.0.0",
            json!([
                {"key": "region", "label": "R", "type": "picklist", "options": ["eu"]},
                {"key": "size", "label": "S", "type": "integer", "max": 10},
                {"key": "account", "label": "A", "type": "string", "required": true},
                {"key": "mode", "label": "M", "type": "string", "required": true, "default": "fast"},
                {"key": "plan", "label": "P", "type": "string", "required": true, "visibility": "organization"}
            ]),
        );
        let vendor = json!({"plan": "gold"}).as_object().unwrap().clone();
        let (next, report, event) = instance().upgrade(&v2, Some(&vendor), 50).unwrap();
        assert_eq!(report.carried_over, vec!["size"]);
        assert_eq!(report.dropped, vec!["old", "region"]);
        assert_eq!(report.newly_required, vec!["account"]);
        assert_eq!(next.status, InstanceStatus::NeedsConfiguration);
        assert_eq!(next.version.to_string(), "2.0.0");
        assert_eq!(event.data["from_version"], json!("1.0.0"));
        // And back down: everything the old spec knows carries over; nothing is required.
        let (down, report, _) = next.upgrade(&v1(), None, 60).unwrap();
        assert_eq!(
            (down.status, report.carried_over, report.newly_required),
            (InstanceStatus::Active, vec!["size".to_string()], vec![])
        );
        let paused = Instance {
            status: InstanceStatus::Paused,
            ..instance()
        };
        assert_eq!(
            paused.upgrade(&v1(), None, 1).unwrap().0.status,
            InstanceStatus::Paused
        );
        let gone = Instance {
            status: InstanceStatus::Deactivated,
            ..instance()
        };
        assert!(gone.upgrade(&v2, None, 1).is_err());
    }

    fn obj(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    /// A spec with a variable of each visibility, a secret and a connection.
    fn layered() -> CompiledSpec {
        CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "url", "label": "URL", "type": "url", "required": true},
            {"key": "token", "label": "Token", "type": "secret", "min_length": 8, "required": true},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "basic"}, "required": true},
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true},
            {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded", "pattern": "^t-"}
        ]}]}))
        .unwrap()
    }

    type Outcome = Result<Value, Vec<(String, &'static str)>>;

    fn outcome(result: Result<Map<String, Value>, Vec<FieldError>>) -> Outcome {
        result.map(Value::Object).map_err(|errors| {
            errors
                .into_iter()
                .map(|e| (e.path, e.code.as_str()))
                .collect()
        })
    }

    fn errors(list: &[(&str, &'static str)]) -> Outcome {
        Err(list.iter().map(|(p, c)| ((*p).to_owned(), *c)).collect())
    }

    #[test]
    fn statuses_parse_from_their_wire_names_only() {
        use InstanceStatus::*;
        for status in [
            Active,
            Paused,
            NeedsConfiguration,
            Deactivated,
            Pending,
            Failed,
        ] {
            assert_eq!(status.as_str().parse::<InstanceStatus>(), Ok(status));
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                json!(status.as_str())
            );
        }
        let existing: Vec<_> = [
            Active,
            Paused,
            NeedsConfiguration,
            Deactivated,
            Pending,
            Failed,
        ]
        .into_iter()
        .filter(|s| s.counts_as_existing())
        .collect();
        assert_eq!(existing, [Active, Paused, NeedsConfiguration, Pending]);
        let error = "Active".parse::<InstanceStatus>().unwrap_err();
        assert_eq!(error, UnknownStatus("Active".into()));
        assert_eq!(error.to_string(), "unknown instance status \"Active\"");
    }

    #[test]
    fn activation_judges_each_editor_and_the_token() {
        let spec = layered();
        let full = json!({"url": "https://a.example", "token": "long-enough",
                          "auth": {"username": "ops", "password": "pw"}});
        let vendor = obj(json!({"plan": "gold"}));
        let none = Map::new();
        // (editor, submitted, vendor values, token values) → outcome
        type Row<'a> = (
            Editor,
            Value,
            &'a Map<String, Value>,
            Option<Value>,
            Outcome,
        );
        let table: Vec<Row<'_>> = vec![
            (
                Editor::Customer,
                full.clone(),
                &none,
                None,
                Ok(full.clone()),
            ),
            (
                Editor::Customer,
                json!({"url": "ftp://x", "plan": "gold"}),
                &none,
                None,
                errors(&[
                    ("/config/plan", "not_editable"),
                    ("/config/url", "format"),
                    ("/config/token", "required"),
                    ("/config/auth", "required"),
                ]),
            ),
            // The token's embedded values join the config; other keys are ignored.
            (
                Editor::Customer,
                full.clone(),
                &none,
                Some(json!({"tenant": "t-1", "plan": "x", "nope": 1})),
                Ok(json!({"url": "https://a.example", "token": "long-enough",
                          "auth": {"username": "ops", "password": "pw"}, "tenant": "t-1"})),
            ),
            (
                Editor::Customer,
                full.clone(),
                &none,
                Some(json!({"tenant": "x"})),
                errors(&[("/embedded_config/tenant", "pattern")]),
            ),
            // The vendor submits a partial layer; only what the effective config lacks is required.
            (
                Editor::Organization,
                json!({"url": "https://a.example"}),
                &vendor,
                None,
                errors(&[("/config/token", "required"), ("/config/auth", "required")]),
            ),
            (
                Editor::Organization,
                json!({"plan": 3}),
                &none,
                None,
                errors(&[
                    ("/config/plan", "type"),
                    ("/config/url", "required"),
                    ("/config/token", "required"),
                    ("/config/auth", "required"),
                ]),
            ),
            (
                Editor::Organization,
                json!({"token": "long-enough", "auth": {"username": "u", "password": "p"}, "url": "https://b.example"}),
                &vendor,
                None,
                Ok(
                    json!({"token": "long-enough", "auth": {"username": "u", "password": "p"}, "url": "https://b.example"}),
                ),
            ),
        ];
        for (i, (editor, submitted, vendor_values, token, expected)) in
            table.into_iter().enumerate()
        {
            let submitted = obj(submitted);
            let token = token.map(obj);
            let submission = Submission {
                editor,
                submitted: &submitted,
                vendor_values,
                token_values: token.as_ref(),
            };
            assert_eq!(
                outcome(accept_activation(&spec, submission)),
                expected,
                "row {i}"
            );
        }
    }

    #[test]
    fn reconfiguration_replaces_the_editors_part_and_keeps_secrets() {
        let spec = layered();
        let stored = obj(json!({"url": "https://a.example", "token": "long-enough",
            "auth": {"username": "ops", "password": "pw"}, "plan": "gold", "tenant": "t-1"}));
        let none = Map::new();
        let reconfigure = |editor: Editor, update: Value, name: Option<&str>| {
            let update = obj(update);
            outcome(accept_reconfiguration(
                &spec,
                &stored,
                Submission {
                    editor,
                    submitted: &update,
                    vendor_values: &none,
                    token_values: None,
                },
                name,
            ))
        };
        // Omitted secrets are kept, the others' parts stay.
        assert_eq!(
            reconfigure(
                Editor::Customer,
                json!({"url": "https://b.example", "auth": {"username": "root", "password": {"set": true}}}),
                Some("Renamed")
            ),
            Ok(json!({"url": "https://b.example", "token": "long-enough",
                "auth": {"username": "root", "password": "pw"}, "plan": "gold", "tenant": "t-1"}))
        );
        // The update replaces the customer's part: an omitted value is missing.
        assert_eq!(
            reconfigure(Editor::Customer, json!({}), Some("  ")),
            errors(&[("/config/url", "required"), ("/name", "empty")])
        );
        // A masked placeholder where nothing is stored is judged as a value.
        let fresh = obj(json!({"url": "https://a.example"}));
        let update = obj(json!({"url": "https://a.example", "token": {"set": true},
            "auth": {"username": "ops", "password": "pw"}}));
        let submission = Submission {
            editor: Editor::Customer,
            submitted: &update,
            vendor_values: &none,
            token_values: None,
        };
        assert_eq!(
            outcome(accept_reconfiguration(&spec, &fresh, submission, None)),
            errors(&[("/config/token", "type")])
        );
        // The vendor may set every variable, so its update replaces all but the secrets.
        assert_eq!(
            reconfigure(Editor::Organization, json!({"plan": "silver"}), None),
            errors(&[("/config/url", "required")])
        );
    }

    #[test]
    fn a_clients_masked_read_view_counts_its_secrets_as_set() {
        let spec = layered();
        let stored = obj(json!({"url": "https://a.example", "token": "long-enough",
            "auth": {"username": "ops", "password": "pw"}}));
        let masked =
            crate::config::read_view(spec.spec(), &stored, crate::config::Audience::Customer);
        let none = Map::new();
        let codes = |update: Value| {
            let update = obj(update);
            let submission = Submission {
                editor: Editor::Customer,
                submitted: &update,
                vendor_values: &none,
                token_values: None,
            };
            outcome(accept_reconfiguration(&spec, &masked, submission, None)).map(|_| ())
        };
        // Omitted secrets and connections keep their (masked) values: nothing to judge there.
        assert_eq!(codes(json!({"url": "https://b.example"})), Ok(()));
        assert_eq!(
            codes(
                json!({"url": "https://b.example", "auth": {"username": "root", "password": {"set": true}}})
            ),
            Ok(())
        );
        // The update replaces the other values: an omitted one is missing.
        assert_eq!(
            codes(json!({})),
            errors(&[("/config/url", "required")]).map(|_: Value| ())
        );
        // New values are judged, secrets included; a client sees paths relative to the config.
        let update = obj(json!({"url": "ftp://x", "token": "short"}));
        let relative: Vec<(String, &str)> =
            validate_update(&spec, &masked, &update, Editor::Customer)
                .into_iter()
                .map(|e| (e.path, e.code.as_str()))
                .collect();
        assert_eq!(
            relative,
            [
                ("/token".to_owned(), "min_length"),
                ("/url".to_owned(), "format")
            ]
        );
        assert_eq!(
            codes(json!({"url": "ftp://x", "token": "short"})),
            errors(&[("/config/token", "min_length"), ("/config/url", "format")])
                .map(|_: Value| ())
        );
        assert_eq!(
            codes(json!({"url": "https://b.example", "auth": {"username": ""}})),
            errors(&[("/config/auth/username", "min_length")]).map(|_: Value| ())
        );
    }
}
