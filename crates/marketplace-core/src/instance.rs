//! Instances: an integration version configured and deployed for one customer, and its state
//! machine. Every operation returns the new instance with the event it leaves.

use crate::compiled::CompiledSpec;
use crate::event::{Event, EventType, UnixMillis};
use crate::ids::{CustomerId, InstanceId, IntegrationId};
use crate::integration::IntegrationVersion;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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
}

impl InstanceStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::NeedsConfiguration => "needs_configuration",
            Self::Deactivated => "deactivated",
        }
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
}

impl Instance {
    /// Activates: a new active instance and its `instance.activated` event.
    pub fn activate(new: NewInstance<'_>, now: UnixMillis) -> (Instance, Event) {
        let instance = Instance {
            id: new.id,
            customer_id: new.customer_id,
            integration_id: new.integration_id,
            version: new.version.version.clone(),
            name: new.name,
            status: InstanceStatus::Active,
            config: new.config,
            created_at: now,
            updated_at: now,
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
        if !allowed.contains(&self.status) {
            return Err(TransitionError {
                status: self.status,
                operation,
            });
        }
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

    /// Deactivates an instance that is not deactivated yet.
    pub fn deactivate(&self, now: UnixMillis) -> Result<(Instance, Event), TransitionError> {
        use InstanceStatus::*;
        self.transition(
            Operation::Deactivate,
            &[Active, Paused, NeedsConfiguration],
            Deactivated,
            EventType::InstanceDeactivated,
            now,
        )
    }

    /// Replaces the config with a validated, complete one (see [`crate::config::merge_update`] for
    /// keeping secrets). An instance that needed configuration becomes active; a paused one stays paused.
    pub fn reconfigure(
        &self,
        config: Map<String, Value>,
        now: UnixMillis,
    ) -> Result<(Instance, Event), TransitionError> {
        if self.status == InstanceStatus::Deactivated {
            return Err(TransitionError {
                status: self.status,
                operation: Operation::Reconfigure,
            });
        }
        let mut changed: Vec<&String> = config
            .keys()
            .filter(|k| self.config.get(*k) != config.get(*k))
            .collect();
        changed.extend(self.config.keys().filter(|k| !config.contains_key(*k)));
        changed.sort();
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
        if self.status == InstanceStatus::Deactivated {
            return Err(TransitionError {
                status: self.status,
                operation: Operation::Upgrade,
            });
        }
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
        };
        Instance::activate(new, 100).0
    }

    #[test]
    fn state_machine_table() {
        use InstanceStatus::*;
        type Op = fn(&Instance) -> Result<(Instance, Event), TransitionError>;
        let ops: [(&str, Op); 4] = [
            ("pause", |i| i.pause(1)),
            ("resume", |i| i.resume(1)),
            ("deactivate", |i| i.deactivate(1)),
            ("reconfigure", |i| i.reconfigure(i.config.clone(), 1)),
        ];
        // from, then the outcome of pause, resume, deactivate, reconfigure (None: illegal)
        let table = [
            (
                Active,
                [Some(Paused), None, Some(Deactivated), Some(Active)],
            ),
            (
                Paused,
                [None, Some(Active), Some(Deactivated), Some(Paused)],
            ),
            (
                NeedsConfiguration,
                [None, None, Some(Deactivated), Some(Active)],
            ),
            (Deactivated, [None, None, None, None]),
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
                    assert_eq!(e.status, from);
                }
            }
        }
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
}
