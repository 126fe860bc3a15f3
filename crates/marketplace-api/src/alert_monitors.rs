//! `/api/v1/alert-monitors`: what a vendor watches (execution failures and slowness, instance
//! changes, dead-lettered deliveries, logs), where alerts go (a signed webhook, emails), and one
//! alert per (monitor, trigger, instance or customer) per window. The signing secret of a
//! monitor's webhooks is shown once, in the response creating it.

use crate::observability::LogSeverity;
use serde::{Deserialize, Serialize};

wire_enum! {
    /// What a monitor watches.
    pub enum ScopeKind {
        /// Everything of the organization.
        Organization = "organization",
        /// One customer's instances (`customer_id`).
        Customer = "customer",
        /// One instance (`instance_id`).
        Instance = "instance",
    }
}

wire_enum! {
    /// What fires a monitor.
    pub enum TriggerType {
        /// An execution ended `failed`.
        ExecutionFailed = "execution_failed",
        /// An execution took at least `threshold_ms`.
        ExecutionSlow = "execution_slow",
        /// An instance was activated.
        InstanceActivated = "instance_activated",
        /// An instance was deactivated.
        InstanceDeactivated = "instance_deactivated",
        /// An instance was paused.
        InstancePaused = "instance_paused",
        /// A delivery to the vendor gave up.
        DeliveryDeadLettered = "delivery_dead_lettered",
        /// A log line of at least `min_severity`.
        Log = "log",
    }
}

wire_enum! {
    /// Where an alert goes.
    pub enum TargetType {
        /// A Standard Webhooks POST signed with the monitor's secret (`url`).
        Webhook = "webhook",
        /// An email (`to`).
        Email = "email",
    }
}

/// What a monitor watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MonitorScope {
    /// The kind.
    pub kind: ScopeKind,
    /// The customer (`customer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// The instance (`instance`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
}

/// One trigger of a monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MonitorTrigger {
    /// The kind.
    #[serde(rename = "type")]
    pub trigger_type: TriggerType,
    /// Milliseconds, above 0 (`execution_slow`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold_ms: Option<i64>,
    /// The lowest severity that fires (`log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_severity: Option<LogSeverity>,
}

/// One target of a monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MonitorTarget {
    /// The kind.
    #[serde(rename = "type")]
    pub target_type: TargetType,
    /// An http(s) URL (`webhook`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Email addresses (`email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Vec<String>>,
}

/// Body of `POST /api/v1/alert-monitors`; every field error is reported at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertMonitorCreate {
    /// The name (shown in alert subjects).
    pub name: String,
    /// Default true; a disabled monitor never fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// Default `{"kind": "organization"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<MonitorScope>,
    /// At least one, each type at most once.
    pub triggers: Vec<MonitorTrigger>,
    /// Where alerts go.
    #[serde(default)]
    pub targets: Vec<MonitorTarget>,
    /// One alert per (trigger, instance or customer) per this many seconds, 0 to 86400 (default 300).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_window_s: Option<i64>,
}

/// Body of `PATCH /api/v1/alert-monitors/{id}`: the fields given replace the monitor's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AlertMonitorPatch {
    /// The name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Whether it fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// What it watches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<MonitorScope>,
    /// What fires it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<MonitorTrigger>>,
    /// Where alerts go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<MonitorTarget>>,
    /// The dedup window, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup_window_s: Option<i64>,
}

/// The latest alert a monitor sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct LastTriggered {
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
    /// Which trigger fired.
    pub trigger: TriggerType,
    /// What happened.
    pub message: String,
    /// The instance concerned.
    pub instance_id: Option<String>,
    /// The execution concerned.
    pub execution_id: Option<String>,
    /// The event concerned.
    pub event_id: Option<String>,
    /// Firings of the same trigger and subject counted, not sent, since.
    pub suppressed_count: i64,
}

/// An alert monitor as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AlertMonitorView {
    /// Id (`mon_...`).
    pub id: String,
    /// The name.
    pub name: String,
    /// Whether it fires.
    pub enabled: bool,
    /// What it watches.
    pub scope: MonitorScope,
    /// What fires it.
    pub triggers: Vec<MonitorTrigger>,
    /// Where alerts go.
    pub targets: Vec<MonitorTarget>,
    /// The dedup window, in seconds.
    pub dedup_window_s: i64,
    /// The latest alert sent, if any.
    pub last_triggered: Option<LastTriggered>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// A new monitor with the signing secret of its webhooks, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewAlertMonitor {
    /// The monitor.
    #[serde(flatten)]
    pub monitor: AlertMonitorView,
    /// `whsec_...`: verifies the `webhook-signature` of its alerts; not shown again.
    pub signing_secret: String,
}

query! {
    /// Filters and paging of the monitor list.
    pub struct AlertMonitorQuery {
        /// Only monitors scoped to this customer.
        pub customer_id: Option<String>,
        /// Only monitors scoped to this instance.
        pub instance_id: Option<String>,
    }
    with paging
}

impl From<&marketplace_core::monitor::Scope> for MonitorScope {
    fn from(scope: &marketplace_core::monitor::Scope) -> Self {
        use marketplace_core::monitor::Scope;
        let (kind, customer_id, instance_id) = match scope {
            Scope::Organization => (ScopeKind::Organization, None, None),
            Scope::Customer { customer_id } => {
                (ScopeKind::Customer, Some(customer_id.clone()), None)
            }
            Scope::Instance { instance_id } => {
                (ScopeKind::Instance, None, Some(instance_id.clone()))
            }
        };
        MonitorScope {
            kind,
            customer_id,
            instance_id,
        }
    }
}

impl From<&marketplace_core::monitor::Trigger> for MonitorTrigger {
    fn from(trigger: &marketplace_core::monitor::Trigger) -> Self {
        use marketplace_core::monitor::Trigger;
        let (threshold_ms, min_severity) = match trigger {
            Trigger::ExecutionSlow { threshold_ms } => (Some(*threshold_ms), None),
            Trigger::Log { min_severity } => {
                (None, Some(LogSeverity::from_wire(min_severity.as_str())))
            }
            _ => (None, None),
        };
        MonitorTrigger {
            trigger_type: TriggerType::from_wire(trigger.name()),
            threshold_ms,
            min_severity,
        }
    }
}

impl From<&marketplace_core::monitor::Target> for MonitorTarget {
    fn from(target: &marketplace_core::monitor::Target) -> Self {
        use marketplace_core::monitor::Target;
        match target {
            Target::Webhook { url } => MonitorTarget {
                target_type: TargetType::Webhook,
                url: Some(url.clone()),
                to: None,
            },
            Target::Email { to } => MonitorTarget {
                target_type: TargetType::Email,
                url: None,
                to: Some(to.clone()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marketplace_core::monitor::accept;
    use serde_json::json;

    #[test]
    fn core_monitors_convert_to_the_wire_form_they_were_given_in() {
        let body = json!({"name": "m", "enabled": true, "scope": {"kind": "instance", "instance_id": "ins_1"},
            "triggers": [{"type": "execution_slow", "threshold_ms": 5}, {"type": "log", "min_severity": "warn"}],
            "targets": [{"type": "webhook", "url": "https://h.example/a"}, {"type": "email", "to": ["a@b.example"]}],
            "dedup_window_s": 60});
        let monitor = accept(&body).unwrap();
        let wire = json!({
            "name": monitor.name, "enabled": monitor.enabled,
            "scope": MonitorScope::from(&monitor.scope),
            "triggers": monitor.triggers.iter().map(MonitorTrigger::from).collect::<Vec<_>>(),
            "targets": monitor.targets.iter().map(MonitorTarget::from).collect::<Vec<_>>(),
            "dedup_window_s": monitor.dedup_window_s,
        });
        assert_eq!(wire, body);
        let create: AlertMonitorCreate = serde_json::from_value(body).unwrap();
        assert_eq!(create.triggers[1].min_severity, Some(LogSeverity::Warn));
    }
}
