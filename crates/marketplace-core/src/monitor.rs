//! Alert monitors: what a vendor watches (executions, instance changes, dead letters, logs),
//! where alerts go (a signed webhook, emails), and the rules that decide when one is sent.
//!
//! - [`accept`] checks a monitor's body, every problem at once with its JSON Pointer; [`patch`]
//!   applies a partial body to a monitor and checks the result.
//! - [`matches`] says which of a monitor's triggers an [`Occurrence`] fires (scope, `enabled`,
//!   trigger); [`subject_key`] names what an alert is about (instance, else customer, else the
//!   organization); [`dedup`] sends one alert per (monitor, trigger, subject) per window.
//! - [`alert_subject`] and [`alert_data`] are the email subject and the `alert.triggered` data.
//!
//! Time is passed in (Unix milliseconds); nothing here reads a clock.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::fields::{one_of, reject_unknown};
use crate::formats::{is_email, is_url};
use crate::pointer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// The default dedup window, in seconds.
pub const DEFAULT_DEDUP_WINDOW_S: i64 = 300;
/// The longest dedup window: one day.
pub const MAX_DEDUP_WINDOW_S: i64 = 86_400;
/// The longest monitor name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The most triggers, targets, or email addresses of one target, a monitor may hold.
pub const MAX_ITEMS: usize = 20;

/// The fields of a monitor's body.
const FIELDS: [&str; 6] = [
    "name",
    "enabled",
    "scope",
    "triggers",
    "targets",
    "dedup_window_s",
];

/// A checked alert monitor (its id and signing secret live beside it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Monitor {
    /// Its name, shown in alert subjects.
    pub name: String,
    /// A disabled monitor never fires.
    pub enabled: bool,
    /// What it watches.
    pub scope: Scope,
    /// What fires it (at least one).
    pub triggers: Vec<Trigger>,
    /// Where alerts go (possibly none: then alerts are only recorded).
    pub targets: Vec<Target>,
    /// One alert per (trigger, subject) per this many seconds; 0 sends every firing.
    pub dedup_window_s: i64,
}

/// What a monitor watches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    /// Everything of the organization.
    Organization,
    /// One customer's instances.
    Customer {
        /// The customer.
        customer_id: String,
    },
    /// One instance.
    Instance {
        /// The instance.
        instance_id: String,
    },
}

/// The severity of a log line, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Information.
    Info,
    /// Something to look at.
    Warn,
    /// A failure.
    Error,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warn, Severity::Error];

    /// The wire name (`warn`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }

    /// The severity of a wire name.
    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// What fires a monitor.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Trigger {
    /// An execution ended `failed`.
    ExecutionFailed,
    /// An execution took at least `threshold_ms` (queued to finished).
    ExecutionSlow {
        /// The threshold, in milliseconds (> 0).
        threshold_ms: i64,
    },
    /// An instance was activated.
    InstanceActivated,
    /// An instance was deactivated.
    InstanceDeactivated,
    /// An instance was paused.
    InstancePaused,
    /// A delivery to the vendor gave up.
    DeliveryDeadLettered,
    /// A log line of at least this severity was written.
    Log {
        /// The lowest severity that fires.
        min_severity: Severity,
    },
}

/// The kinds of trigger, without their parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TriggerKind {
    /// [`Trigger::ExecutionFailed`].
    ExecutionFailed,
    /// [`Trigger::ExecutionSlow`].
    ExecutionSlow,
    /// [`Trigger::InstanceActivated`].
    InstanceActivated,
    /// [`Trigger::InstanceDeactivated`].
    InstanceDeactivated,
    /// [`Trigger::InstancePaused`].
    InstancePaused,
    /// [`Trigger::DeliveryDeadLettered`].
    DeliveryDeadLettered,
    /// [`Trigger::Log`].
    Log,
}

impl TriggerKind {
    /// Every kind, in wire order.
    pub const ALL: [TriggerKind; 7] = [
        TriggerKind::ExecutionFailed,
        TriggerKind::ExecutionSlow,
        TriggerKind::InstanceActivated,
        TriggerKind::InstanceDeactivated,
        TriggerKind::InstancePaused,
        TriggerKind::DeliveryDeadLettered,
        TriggerKind::Log,
    ];

    /// The wire name (`execution_failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::ExecutionFailed => "execution_failed",
            TriggerKind::ExecutionSlow => "execution_slow",
            TriggerKind::InstanceActivated => "instance_activated",
            TriggerKind::InstanceDeactivated => "instance_deactivated",
            TriggerKind::InstancePaused => "instance_paused",
            TriggerKind::DeliveryDeadLettered => "delivery_dead_lettered",
            TriggerKind::Log => "log",
        }
    }

    /// The kind of a wire name.
    pub fn parse(name: &str) -> Option<TriggerKind> {
        TriggerKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl Trigger {
    /// Its kind.
    pub fn kind(&self) -> TriggerKind {
        match self {
            Trigger::ExecutionFailed => TriggerKind::ExecutionFailed,
            Trigger::ExecutionSlow { .. } => TriggerKind::ExecutionSlow,
            Trigger::InstanceActivated => TriggerKind::InstanceActivated,
            Trigger::InstanceDeactivated => TriggerKind::InstanceDeactivated,
            Trigger::InstancePaused => TriggerKind::InstancePaused,
            Trigger::DeliveryDeadLettered => TriggerKind::DeliveryDeadLettered,
            Trigger::Log { .. } => TriggerKind::Log,
        }
    }

    /// The wire name of its kind (`execution_slow`), as alerts name it.
    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    /// Whether it fires on `what`.
    pub fn fires_on(&self, what: &What) -> bool {
        match (self, what) {
            (Trigger::ExecutionFailed, What::ExecutionFinished { failed, .. }) => *failed,
            (
                Trigger::ExecutionSlow { threshold_ms },
                What::ExecutionFinished { duration_ms, .. },
            ) => duration_ms >= threshold_ms,
            (Trigger::InstanceActivated, What::InstanceActivated)
            | (Trigger::InstanceDeactivated, What::InstanceDeactivated)
            | (Trigger::InstancePaused, What::InstancePaused)
            | (Trigger::DeliveryDeadLettered, What::DeliveryDeadLettered) => true,
            (Trigger::Log { min_severity }, What::Log { severity }) => severity >= min_severity,
            _ => false,
        }
    }
}

/// Where an alert goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// A Standard Webhooks POST, signed with the monitor's secret.
    Webhook {
        /// An absolute http(s) URL (the egress guard checks its address when sending).
        url: String,
    },
    /// An email to these addresses.
    Email {
        /// The addresses (at least one).
        to: Vec<String>,
    },
}

/// What happened, without where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// An execution reached its final status.
    ExecutionFinished {
        /// Whether it ended `failed`.
        failed: bool,
        /// Queued to finished, in milliseconds.
        duration_ms: i64,
    },
    /// An instance was activated.
    InstanceActivated,
    /// An instance was deactivated.
    InstanceDeactivated,
    /// An instance was paused.
    InstancePaused,
    /// A delivery to the vendor gave up.
    DeliveryDeadLettered,
    /// A log line was written.
    Log {
        /// Its severity.
        severity: Severity,
    },
}

impl What {
    /// The trigger kinds that may fire on it (so a caller can skip monitors of other kinds).
    pub fn trigger_kinds(&self) -> &'static [TriggerKind] {
        match self {
            What::ExecutionFinished { .. } => {
                &[TriggerKind::ExecutionFailed, TriggerKind::ExecutionSlow]
            }
            What::InstanceActivated => &[TriggerKind::InstanceActivated],
            What::InstanceDeactivated => &[TriggerKind::InstanceDeactivated],
            What::InstancePaused => &[TriggerKind::InstancePaused],
            What::DeliveryDeadLettered => &[TriggerKind::DeliveryDeadLettered],
            What::Log { .. } => &[TriggerKind::Log],
        }
    }
}

/// Something that happened, with what it concerns: what monitors are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// What happened.
    pub what: What,
    /// The organization.
    pub organization_id: String,
    /// The customer concerned.
    pub customer_id: Option<String>,
    /// The instance concerned.
    pub instance_id: Option<String>,
    /// The execution concerned.
    pub execution_id: Option<String>,
    /// The event concerned (the instance's event, the dead-lettered delivery's event).
    pub event_id: Option<String>,
    /// A short human-readable account.
    pub message: String,
    /// When (Unix ms).
    pub at: i64,
}

/// Whether a scope covers an occurrence.
pub fn in_scope(scope: &Scope, occurrence: &Occurrence) -> bool {
    match scope {
        Scope::Organization => true,
        Scope::Customer { customer_id } => occurrence.customer_id.as_ref() == Some(customer_id),
        Scope::Instance { instance_id } => occurrence.instance_id.as_ref() == Some(instance_id),
    }
}

/// The triggers of `monitor` that `occurrence` fires: none when the monitor is disabled or the
/// occurrence is out of its scope.
pub fn matches<'m>(monitor: &'m Monitor, occurrence: &Occurrence) -> Vec<&'m Trigger> {
    if !monitor.enabled || !in_scope(&monitor.scope, occurrence) {
        return Vec::new();
    }
    monitor
        .triggers
        .iter()
        .filter(|t| t.fires_on(&occurrence.what))
        .collect()
}

/// What an alert is about, for dedup: the instance, else the customer, else the organization.
pub fn subject_key(occurrence: &Occurrence) -> &str {
    occurrence
        .instance_id
        .as_deref()
        .or(occurrence.customer_id.as_deref())
        .unwrap_or(&occurrence.organization_id)
}

/// Whether a firing sends an alert or is only counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dedup {
    /// Send, and start a new window at now.
    Send,
    /// Inside the current window: count it.
    Suppress,
}

/// Sends when no window is open (`window_start` `None`) or the open one has ended
/// (`now >= window_start + window_s`); suppresses inside it. A window of 0 always sends.
pub fn dedup(window_start: Option<i64>, now: i64, window_s: i64) -> Dedup {
    match window_start {
        Some(start) if now < start.saturating_add(window_s.saturating_mul(1000)) => Dedup::Suppress,
        _ => Dedup::Send,
    }
}

/// The alert's subject: `[{organization}] {monitor}: {trigger}`.
pub fn alert_subject(organization: &str, monitor: &str, trigger: &Trigger) -> String {
    format!("[{organization}] {monitor}: {}", trigger.name())
}

/// The `data` of an `alert.triggered` event and webhook.
pub fn alert_data(
    monitor_id: &str,
    monitor: &Monitor,
    trigger: &Trigger,
    occurrence: &Occurrence,
) -> Value {
    json!({
        "monitor_id": monitor_id,
        "monitor_name": monitor.name,
        "trigger": trigger.name(),
        "message": occurrence.message,
        "customer_id": occurrence.customer_id,
        "instance_id": occurrence.instance_id,
        "execution_id": occurrence.execution_id,
        "event_id": occurrence.event_id,
    })
}

/// The monitor as a JSON body (what [`accept`] reads).
pub fn to_body(monitor: &Monitor) -> Value {
    serde_json::to_value(monitor).unwrap_or(Value::Null)
}

/// Applies a partial body (its top-level fields replace the monitor's) and checks the result.
pub fn patch(current: &Monitor, changes: &Value) -> Result<Monitor, Vec<FieldError>> {
    let Value::Object(changes) = changes else {
        return Err(vec![FieldError::new(
            "",
            Code::Type,
            "a monitor patch must be an object",
        )]);
    };
    let mut body = to_body(current);
    if let Value::Object(map) = &mut body {
        for (key, value) in changes {
            map.insert(key.clone(), value.clone());
        }
    }
    accept(&body)
}

/// Checks a monitor's body, every problem at once:
/// - `/name`: required, at most [`MAX_NAME_CHARS`] characters (`required`, `max_length`);
/// - `/enabled`: a boolean, default true;
/// - `/scope`: `{kind: organization}` (the default), `{kind: customer, customer_id}` or
///   `{kind: instance, instance_id}` (`option`, `required`);
/// - `/triggers`: non-empty (`empty`), each a known `type` (`option`), `threshold_ms` > 0
///   (`min`), `min_severity` a severity (`option`), no duplicates (`duplicate`);
/// - `/targets`: each `webhook` with an http(s) `url` (`format`) or `email` with a non-empty
///   `to` of addresses (`empty`, `format`);
/// - `/dedup_window_s`: 0 to [`MAX_DEDUP_WINDOW_S`], default 300 (`min`, `max`);
/// - unknown fields anywhere: `unknown_key`; wrong JSON types: `type`.
pub fn accept(body: &Value) -> Result<Monitor, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Value::Object(map) = body else {
        return Err(vec![FieldError::new(
            "",
            Code::Type,
            "a monitor must be an object",
        )]);
    };
    reject_unknown(map, "", &FIELDS, &mut errors);
    let name = read_name(map.get("name"), &mut errors);
    let enabled = match map.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new(
                "/enabled",
                Code::Type,
                "`enabled` is a boolean",
            ));
            true
        }
    };
    let scope = read_scope(map.get("scope"), &mut errors);
    let triggers = read_triggers(map.get("triggers"), &mut errors);
    let targets = read_targets(map.get("targets"), &mut errors);
    let dedup_window_s = read_window(map.get("dedup_window_s"), &mut errors);
    if errors.is_empty() {
        Ok(Monitor {
            name,
            enabled,
            scope: scope.unwrap_or(Scope::Organization),
            triggers,
            targets,
            dedup_window_s,
        })
    } else {
        Err(errors)
    }
}

fn read_name(value: Option<&Value>, errors: &mut Vec<FieldError>) -> String {
    match value {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let name = s.trim().to_owned();
            if name.chars().count() > MAX_NAME_CHARS {
                errors.push(FieldError::new(
                    "/name",
                    Code::MaxLength,
                    format!("the name has at most {MAX_NAME_CHARS} characters"),
                ));
            }
            name
        }
        None | Some(Value::Null) | Some(Value::String(_)) => {
            errors.push(FieldError::new(
                "/name",
                Code::Required,
                "a name is required",
            ));
            String::new()
        }
        Some(_) => {
            errors.push(FieldError::new("/name", Code::Type, "the name is a string"));
            String::new()
        }
    }
}

fn read_scope(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Scope> {
    let map = match value {
        None | Some(Value::Null) => return Some(Scope::Organization),
        Some(Value::Object(map)) => map,
        Some(_) => {
            errors.push(FieldError::new(
                "/scope",
                Code::Type,
                "the scope is an object",
            ));
            return None;
        }
    };
    let kind = required_tag(
        map,
        "/scope",
        "kind",
        &["organization", "customer", "instance"],
        errors,
    )?;
    let id_field = match kind {
        "customer" => Some("customer_id"),
        "instance" => Some("instance_id"),
        _ => None,
    };
    let mut allowed = vec!["kind"];
    allowed.extend(id_field);
    reject_unknown(map, "/scope", &allowed, errors);
    let Some(field) = id_field else {
        return Some(Scope::Organization);
    };
    let id = required_string(map, "/scope", field, errors)?;
    Some(if kind == "customer" {
        Scope::Customer { customer_id: id }
    } else {
        Scope::Instance { instance_id: id }
    })
}

fn read_triggers(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<Trigger> {
    let mut triggers: Vec<Trigger> = Vec::new();
    let Some(items) = non_empty_array(value, "/triggers", "a monitor needs a trigger", errors)
    else {
        return triggers;
    };
    let names: Vec<&str> = TriggerKind::ALL.iter().map(|k| k.as_str()).collect();
    for (i, item) in items.iter().enumerate() {
        let path = pointer::push_index("/triggers", i);
        let Some(map) = object(item, &path, "a trigger", errors) else {
            continue;
        };
        let Some(kind) =
            required_tag(map, &path, "type", &names, errors).and_then(TriggerKind::parse)
        else {
            continue;
        };
        let trigger = match kind {
            TriggerKind::ExecutionFailed => Some(Trigger::ExecutionFailed),
            TriggerKind::InstanceActivated => Some(Trigger::InstanceActivated),
            TriggerKind::InstanceDeactivated => Some(Trigger::InstanceDeactivated),
            TriggerKind::InstancePaused => Some(Trigger::InstancePaused),
            TriggerKind::DeliveryDeadLettered => Some(Trigger::DeliveryDeadLettered),
            TriggerKind::ExecutionSlow => {
                reject_unknown(map, &path, &["type", "threshold_ms"], errors);
                read_threshold(
                    map.get("threshold_ms"),
                    &pointer::push(&path, "threshold_ms"),
                    errors,
                )
                .map(|threshold_ms| Trigger::ExecutionSlow { threshold_ms })
            }
            TriggerKind::Log => {
                reject_unknown(map, &path, &["type", "min_severity"], errors);
                let names: Vec<&str> = Severity::ALL.iter().map(|s| s.as_str()).collect();
                required_tag(map, &path, "min_severity", &names, errors)
                    .and_then(Severity::parse)
                    .map(|min_severity| Trigger::Log { min_severity })
            }
        };
        if !matches!(kind, TriggerKind::ExecutionSlow | TriggerKind::Log) {
            reject_unknown(map, &path, &["type"], errors);
        }
        let Some(trigger) = trigger else {
            continue;
        };
        if triggers.iter().any(|t| t.kind() == trigger.kind()) {
            errors.push(FieldError::new(
                pointer::push(&path, "type"),
                Code::Duplicate,
                format!("`{}` is listed twice", trigger.name()),
            ));
            continue;
        }
        triggers.push(trigger);
    }
    triggers
}

fn read_threshold(value: Option<&Value>, path: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match value {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                path,
                Code::Required,
                "`threshold_ms` is required",
            ));
            None
        }
        Some(v) => match v.as_i64() {
            Some(n) if n > 0 => Some(n),
            Some(_) => {
                errors.push(FieldError::new(
                    path,
                    Code::Min,
                    "`threshold_ms` must be above 0",
                ));
                None
            }
            None => {
                errors.push(FieldError::new(
                    path,
                    Code::Type,
                    "`threshold_ms` is an integer",
                ));
                None
            }
        },
    }
}

fn read_targets(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<Target> {
    let mut targets = Vec::new();
    let items = match value {
        None | Some(Value::Null) => return targets,
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(
                "/targets",
                Code::Type,
                "the targets are an array",
            ));
            return targets;
        }
    };
    if items.len() > MAX_ITEMS {
        errors.push(FieldError::new(
            "/targets",
            Code::Invalid,
            format!("at most {MAX_ITEMS} targets"),
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let path = pointer::push_index("/targets", i);
        let Some(map) = object(item, &path, "a target", errors) else {
            continue;
        };
        match required_tag(map, &path, "type", &["webhook", "email"], errors) {
            Some("webhook") => {
                reject_unknown(map, &path, &["type", "url"], errors);
                let Some(url) = required_string(map, &path, "url", errors) else {
                    continue;
                };
                if !is_url(&url) {
                    errors.push(FieldError::new(
                        pointer::push(&path, "url"),
                        Code::Format,
                        "an absolute http or https URL",
                    ));
                    continue;
                }
                targets.push(Target::Webhook { url });
            }
            Some(_) => {
                reject_unknown(map, &path, &["type", "to"], errors);
                let to_path = pointer::push(&path, "to");
                let Some(list) =
                    non_empty_array(map.get("to"), &to_path, "at least one address", errors)
                else {
                    continue;
                };
                let mut to = Vec::new();
                for (j, address) in list.iter().enumerate() {
                    let at = pointer::push_index(&to_path, j);
                    match address.as_str() {
                        Some(a) if is_email(a.trim()) => to.push(a.trim().to_owned()),
                        Some(_) => {
                            errors.push(FieldError::new(at, Code::Format, "an email address"))
                        }
                        None => {
                            errors.push(FieldError::new(at, Code::Type, "an address is a string"))
                        }
                    }
                }
                targets.push(Target::Email { to });
            }
            None => {}
        }
    }
    targets
}

fn read_window(value: Option<&Value>, errors: &mut Vec<FieldError>) -> i64 {
    let path = "/dedup_window_s";
    match value {
        None | Some(Value::Null) => DEFAULT_DEDUP_WINDOW_S,
        Some(v) => match v.as_i64() {
            Some(n) if n < 0 => {
                errors.push(FieldError::new(path, Code::Min, "the window is at least 0"));
                0
            }
            Some(n) if n > MAX_DEDUP_WINDOW_S => {
                errors.push(FieldError::new(
                    path,
                    Code::Max,
                    format!("the window is at most {MAX_DEDUP_WINDOW_S} seconds"),
                ));
                0
            }
            Some(n) => n,
            None => {
                errors.push(FieldError::new(
                    path,
                    Code::Type,
                    "the window is an integer",
                ));
                0
            }
        },
    }
}

/// The object `value`, or a `type` error.
fn object<'a>(
    value: &'a Value,
    path: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Map<String, Value>> {
    let map = value.as_object();
    if map.is_none() {
        errors.push(FieldError::new(
            path,
            Code::Type,
            format!("{what} is an object"),
        ));
    }
    map
}

/// A non-empty array (at most [`MAX_ITEMS`] long): `required`/`empty`/`type` errors otherwise.
fn non_empty_array<'a>(
    value: Option<&'a Value>,
    path: &str,
    message: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a Vec<Value>> {
    match value {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(path, Code::Required, message));
            None
        }
        Some(Value::Array(items)) if items.is_empty() => {
            errors.push(FieldError::new(path, Code::Empty, message));
            None
        }
        Some(Value::Array(items)) => {
            if items.len() > MAX_ITEMS {
                errors.push(FieldError::new(
                    path,
                    Code::Invalid,
                    format!("at most {MAX_ITEMS} items"),
                ));
            }
            Some(items)
        }
        Some(_) => {
            errors.push(FieldError::new(path, Code::Type, "must be an array"));
            None
        }
    }
}

/// A required non-blank string field.
fn required_string(
    map: &Map<String, Value>,
    base: &str,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let path = pointer::push(base, name);
    match map.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::String(_)) | None | Some(Value::Null) => {
            errors.push(FieldError::new(
                path,
                Code::Required,
                format!("`{name}` is required"),
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                path,
                Code::Type,
                format!("`{name}` is a string"),
            ));
            None
        }
    }
}

/// A required string field whose value is one of `allowed` (`required`, `type`, `option`).
fn required_tag<'v>(
    map: &Map<String, Value>,
    base: &str,
    name: &str,
    allowed: &[&'v str],
    errors: &mut Vec<FieldError>,
) -> Option<&'v str> {
    let value = required_string(map, base, name, errors)?;
    one_of(&value, base, name, allowed, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occurrence(what: What) -> Occurrence {
        Occurrence {
            what,
            organization_id: "org_1".into(),
            customer_id: Some("cus_1".into()),
            instance_id: Some("ins_1".into()),
            execution_id: Some("exe_1".into()),
            event_id: None,
            message: "flow `sync` failed".into(),
            at: 1_000,
        }
    }

    fn monitor(body: Value) -> Monitor {
        accept(&body).expect("a valid monitor")
    }

    #[test]
    fn a_minimal_body_takes_the_defaults() {
        let m = monitor(json!({"name": " Ops ", "triggers": [{"type": "execution_failed"}]}));
        assert_eq!(m.name, "Ops");
        assert!(m.enabled);
        assert_eq!(m.scope, Scope::Organization);
        assert_eq!(m.targets, vec![]);
        assert_eq!(m.dedup_window_s, DEFAULT_DEDUP_WINDOW_S);
        // The stored form reads back as the same monitor.
        assert_eq!(accept(&to_body(&m)), Ok(m));
    }

    #[test]
    fn every_problem_is_reported_at_its_path() {
        let cases: &[(Value, &[(&str, Code)])] = &[
            (
                json!({"triggers": [{"type": "execution_failed"}]}),
                &[("/name", Code::Required)],
            ),
            (
                json!({"name": "x", "triggers": []}),
                &[("/triggers", Code::Empty)],
            ),
            (json!({"name": "x"}), &[("/triggers", Code::Required)]),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}, {"type": "execution_slow", "threshold_ms": 0}]}),
                &[("/triggers/1/threshold_ms", Code::Min)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "nope"}]}),
                &[("/triggers/0/type", Code::Option)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "log", "min_severity": "fatal"}]}),
                &[("/triggers/0/min_severity", Code::Option)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "log", "min_severity": "warn"}, {"type": "log", "min_severity": "error"}]}),
                &[("/triggers/1/type", Code::Duplicate)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}],
                       "targets": [{"type": "webhook", "url": "ftp://x.example"}, {"type": "email", "to": ["ok@example.com", "nope"]}]}),
                &[
                    ("/targets/0/url", Code::Format),
                    ("/targets/1/to/1", Code::Format),
                ],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}], "targets": [{"type": "email", "to": []}]}),
                &[("/targets/0/to", Code::Empty)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}], "dedup_window_s": 86_401}),
                &[("/dedup_window_s", Code::Max)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}], "dedup_window_s": -1}),
                &[("/dedup_window_s", Code::Min)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}], "scope": {"kind": "instance"}}),
                &[("/scope/instance_id", Code::Required)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed"}], "scope": {"kind": "team"}}),
                &[("/scope/kind", Code::Option)],
            ),
            (
                json!({"name": "x", "triggers": [{"type": "execution_failed", "extra": 1}], "colour": "red"}),
                &[
                    ("/colour", Code::UnknownKey),
                    ("/triggers/0/extra", Code::UnknownKey),
                ],
            ),
            (
                json!({"name": "x", "enabled": "yes", "triggers": [{"type": "execution_failed"}]}),
                &[("/enabled", Code::Type)],
            ),
        ];
        for (body, expected) in cases {
            let errors = accept(body).expect_err(&body.to_string());
            let found: Vec<(&str, Code)> =
                errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
            assert_eq!(&found, expected, "{body}");
        }
    }

    #[test]
    fn triggers_fire_on_their_occurrences_only() {
        let slow = Trigger::ExecutionSlow { threshold_ms: 500 };
        let warn = Trigger::Log {
            min_severity: Severity::Warn,
        };
        let finished = |failed, duration_ms| What::ExecutionFinished {
            failed,
            duration_ms,
        };
        let cases = [
            (&Trigger::ExecutionFailed, finished(true, 10), true),
            (&Trigger::ExecutionFailed, finished(false, 10), false),
            (&slow, finished(false, 499), false),
            (&slow, finished(false, 500), true),
            (&slow, finished(true, 900), true),
            (
                &warn,
                What::Log {
                    severity: Severity::Info,
                },
                false,
            ),
            (
                &warn,
                What::Log {
                    severity: Severity::Warn,
                },
                true,
            ),
            (
                &warn,
                What::Log {
                    severity: Severity::Error,
                },
                true,
            ),
            (
                &Trigger::InstanceDeactivated,
                What::InstanceDeactivated,
                true,
            ),
            (&Trigger::InstanceDeactivated, What::InstancePaused, false),
            (&Trigger::InstancePaused, What::InstancePaused, true),
            (&Trigger::InstanceActivated, What::InstanceActivated, true),
            (
                &Trigger::DeliveryDeadLettered,
                What::DeliveryDeadLettered,
                true,
            ),
            (&Trigger::DeliveryDeadLettered, finished(true, 1), false),
        ];
        for (trigger, what, fires) in cases {
            assert_eq!(trigger.fires_on(&what), fires, "{trigger:?} on {what:?}");
            if fires {
                assert!(what.trigger_kinds().contains(&trigger.kind()));
            }
        }
    }

    #[test]
    fn scope_and_enabled_filter_matches() {
        let body = |scope: Value, enabled: bool| {
            monitor(json!({"name": "m", "enabled": enabled, "scope": scope,
                "triggers": [{"type": "execution_failed"}, {"type": "execution_slow", "threshold_ms": 5}]}))
        };
        let failed = occurrence(What::ExecutionFinished {
            failed: true,
            duration_ms: 10,
        });
        let org = body(json!({"kind": "organization"}), true);
        assert_eq!(
            matches(&org, &failed),
            vec![
                &Trigger::ExecutionFailed,
                &Trigger::ExecutionSlow { threshold_ms: 5 }
            ]
        );
        assert!(matches(&body(json!({"kind": "organization"}), false), &failed).is_empty());
        assert_eq!(
            matches(
                &body(json!({"kind": "instance", "instance_id": "ins_1"}), true),
                &failed
            )
            .len(),
            2
        );
        assert!(
            matches(
                &body(json!({"kind": "instance", "instance_id": "ins_2"}), true),
                &failed
            )
            .is_empty()
        );
        assert_eq!(
            matches(
                &body(json!({"kind": "customer", "customer_id": "cus_1"}), true),
                &failed
            )
            .len(),
            2
        );
        assert!(
            matches(
                &body(json!({"kind": "customer", "customer_id": "cus_2"}), true),
                &failed
            )
            .is_empty()
        );
    }

    #[test]
    fn the_subject_is_the_instance_else_the_customer_else_the_organization() {
        let mut o = occurrence(What::DeliveryDeadLettered);
        assert_eq!(subject_key(&o), "ins_1");
        o.instance_id = None;
        assert_eq!(subject_key(&o), "cus_1");
        o.customer_id = None;
        assert_eq!(subject_key(&o), "org_1");
    }

    #[test]
    fn dedup_sends_once_per_window() {
        assert_eq!(dedup(None, 0, 300), Dedup::Send);
        assert_eq!(dedup(Some(1_000), 1_000, 300), Dedup::Suppress);
        assert_eq!(dedup(Some(1_000), 300_999, 300), Dedup::Suppress);
        assert_eq!(dedup(Some(1_000), 301_000, 300), Dedup::Send);
        assert_eq!(dedup(Some(1_000), 1_000, 0), Dedup::Send);
    }

    #[test]
    fn the_alert_names_monitor_trigger_and_what_happened() {
        let m = monitor(json!({"name": "Failures", "triggers": [{"type": "execution_failed"}]}));
        let o = occurrence(What::ExecutionFinished {
            failed: true,
            duration_ms: 3,
        });
        assert_eq!(
            alert_subject("Acme", &m.name, &Trigger::ExecutionFailed),
            "[Acme] Failures: execution_failed"
        );
        assert_eq!(
            alert_data("mon_1", &m, &Trigger::ExecutionFailed, &o),
            json!({"monitor_id": "mon_1", "monitor_name": "Failures", "trigger": "execution_failed",
                   "message": "flow `sync` failed", "customer_id": "cus_1", "instance_id": "ins_1",
                   "execution_id": "exe_1", "event_id": null})
        );
    }

    #[test]
    fn a_patch_replaces_fields_and_is_checked() {
        let m = monitor(json!({"name": "m", "triggers": [{"type": "execution_failed"}]}));
        let off = patch(&m, &json!({"enabled": false, "dedup_window_s": 0})).unwrap();
        assert!(!off.enabled);
        assert_eq!(off.dedup_window_s, 0);
        assert_eq!(off.triggers, m.triggers);
        let errors = patch(&m, &json!({"triggers": []})).unwrap_err();
        assert_eq!(errors[0].path, "/triggers");
    }
}
