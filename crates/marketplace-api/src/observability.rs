//! What happened: logs, executions and events (`GET /api/v1/logs|executions|events`; the
//! embedded API lists one instance's logs and executions with the same types).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct LogView {
    /// Id.
    pub id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version.
    pub version: String,
    /// The instance.
    pub instance_id: String,
    /// The execution, if any.
    pub execution_id: Option<String>,
    /// Severity.
    pub severity: LogSeverity,
    /// What the line is about.
    #[serde(rename = "type")]
    pub log_type: LogType,
    /// The message.
    pub message: String,
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
}

wire_enum! {
    /// The severity of a log line.
    pub enum LogSeverity {
        /// Information.
        Info = "info",
        /// Something to look at (a retried delivery).
        Warn = "warn",
        /// A failure.
        Error = "error",
    }
}

wire_enum! {
    /// What a log line is about.
    pub enum LogType {
        /// A flow's run.
        Execution = "execution",
        /// A delivery attempt.
        Delivery = "delivery",
        /// A change of the instance.
        Lifecycle = "lifecycle",
    }
}

query! {
    /// Filters and paging of the log list.
    pub struct LogQuery {
        /// Case-insensitive substring of the message.
        pub q: Option<String>,
        /// Only this severity.
        pub severity: Option<LogSeverity>,
        /// Only this type.
        #[serde(rename = "type")]
        #[cfg_attr(feature = "schema", param(rename = "type"))]
        pub log_type: Option<LogType>,
        /// From this time (RFC 3339, inclusive).
        pub since: Option<String>,
        /// Until this time (RFC 3339, exclusive).
        pub until: Option<String>,
    }
    with scope, paging
}

/// One run of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ExecutionView {
    /// Id.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version run.
    pub version: String,
    /// The flow.
    pub flow: String,
    /// What started it.
    pub trigger: ExecutionTrigger,
    /// Where it is.
    pub status: ExecutionStatus,
    /// Delivery attempts made.
    pub attempts: u32,
    /// Per-step results, in order.
    pub steps: Vec<ExecutionStep>,
    /// Start (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub started_at: String,
    /// End (RFC 3339), once finished.
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub finished_at: Option<String>,
}

/// The result of one step of an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ExecutionStep {
    /// The step.
    pub step: StepName,
    /// `succeeded` or `failed`.
    pub status: ExecutionStatus,
    /// `map`: the number of mapping rules applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<u32>,
    /// `map` with a collection: its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection: Option<String>,
    /// `map`, failed: every mapping error (`/mappings/3` `formula_error`, `/output/...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<crate::common::FieldError>>,
    /// `deliver`: the attempts made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// `deliver`, succeeded: the target's HTTP status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When it started (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub started_at: Option<String>,
    /// How long it took.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// What it read (`map`: the received payload; `deliver`: `{method, url, headers, body}`),
    /// secrets `"[redacted]"`; over 64 KiB, `{truncated: true, size, excerpt}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub input: Option<Value>,
    /// What it made (`receive`: the payload; `map`: the mapped body; `deliver`: `{status,
    /// headers, body}` of the answer), redacted and capped like `input`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub output: Option<Value>,
}

wire_enum! {
    /// A step of a flow's run.
    pub enum StepName {
        /// The input was received (webhook payload or test input).
        Receive = "receive",
        /// The mapping rules were applied.
        Map = "map",
        /// The result was delivered.
        Deliver = "deliver",
    }
}

wire_enum! {
    /// What started an execution.
    pub enum ExecutionTrigger {
        /// A call of the flow's webhook URL.
        Webhook = "webhook",
        /// A test run.
        Test = "test",
        /// A call of the integration's shared webhook URL.
        SharedWebhook = "shared_webhook",
        /// A tick of the flow's schedule.
        Schedule = "schedule",
    }
}

wire_enum! {
    /// Where an execution (or one of its steps) is.
    pub enum ExecutionStatus {
        /// Waiting to run.
        Queued = "queued",
        /// Running.
        Running = "running",
        /// Done.
        Succeeded = "succeeded",
        /// Done, with a failure.
        Failed = "failed",
    }
}

query! {
    /// Filters and paging of the execution list.
    pub struct ExecutionQuery {
        /// Case-insensitive substring of the flow name.
        pub q: Option<String>,
        /// Only in this status.
        pub status: Option<ExecutionStatus>,
        /// Only with this trigger.
        #[serde(rename = "type")]
        #[cfg_attr(feature = "schema", param(rename = "type"))]
        pub trigger: Option<ExecutionTrigger>,
        /// From this start time (RFC 3339, inclusive).
        pub since: Option<String>,
        /// Until this start time (RFC 3339, exclusive).
        pub until: Option<String>,
    }
    with scope, paging
}

/// An event: a state change, recorded with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct EventView {
    /// Id.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
    /// The customer concerned.
    pub customer_id: Option<String>,
    /// The integration concerned.
    pub integration_id: Option<String>,
    /// The instance concerned.
    pub instance_id: Option<String>,
    /// Details (never a secret: changed keys, never values).
    #[cfg_attr(feature = "schema", schema(value_type = Object))]
    pub data: Value,
}

wire_enum! {
    /// What an event records.
    pub enum EventType {
        /// An instance was activated.
        InstanceActivated = "instance.activated",
        /// An instance's config or name changed.
        InstanceReconfigured = "instance.reconfigured",
        /// An instance moved to another version.
        InstanceUpgraded = "instance.upgraded",
        /// An instance was paused.
        InstancePaused = "instance.paused",
        /// An instance was resumed.
        InstanceResumed = "instance.resumed",
        /// An instance was deactivated.
        InstanceDeactivated = "instance.deactivated",
        /// A customer was created.
        CustomerCreated = "customer.created",
        /// A customer was updated.
        CustomerUpdated = "customer.updated",
        /// A customer was deleted.
        CustomerDeleted = "customer.deleted",
    }
}

impl From<marketplace_core::EventType> for EventType {
    fn from(event_type: marketplace_core::EventType) -> Self {
        Self::from_wire(event_type.as_str())
    }
}

query! {
    /// Filters and paging of the event list (oldest first).
    pub struct EventQuery {
        /// From this time (RFC 3339, inclusive).
        pub since: Option<String>,
        /// Only this type.
        #[serde(rename = "type")]
        #[cfg_attr(feature = "schema", param(rename = "type"))]
        pub event_type: Option<EventType>,
        /// Only this instance's.
        pub instance_id: Option<String>,
    }
    with paging
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::common::Page;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn logs_as_the_service_sends_them() {
        let page: Page<LogView> =
            round_trip(json!({"items": [{"id": "log_1", "customer_id": "cus_1",
            "integration_id": "int_1", "version": "1.0.0", "instance_id": "ins_1",
            "execution_id": "exe_1", "severity": "warn", "type": "delivery",
            "message": "attempt 1 of 1: the target answered 404 Not Found",
            "at": "2026-11-30T05:21:56.519Z"}], "next_cursor": null}));
        assert_eq!(page.items[0].log_type, LogType::Delivery);
        let query = LogQuery {
            log_type: Some(LogType::Lifecycle),
            limit: Some(10),
            ..LogQuery::default()
        };
        assert_eq!(
            serde_json::to_value(query).unwrap(),
            json!({"type": "lifecycle", "limit": 10})
        );
    }

    #[test]
    fn executions_as_the_service_sends_them() {
        let execution: ExecutionView = round_trip(json!({"id": "exe_1", "instance_id": "ins_1",
            "customer_id": "cus_1", "integration_id": "int_1", "version": "1.0.0", "flow": "manual_sync",
            "trigger": "test", "status": "failed", "attempts": 1, "steps": [
                {"status": "succeeded", "step": "receive"},
                {"rules": 0, "status": "succeeded", "step": "map"},
                {"attempts": 1, "error": "the target answered 404 Not Found", "status": "failed", "step": "deliver"}],
            "started_at": "2026-11-30T05:21:56.514Z", "finished_at": "2026-11-30T05:21:56.52Z"}));
        assert_eq!(execution.steps[2].step, StepName::Deliver);
        round_trip::<ExecutionStep>(
            json!({"step": "deliver", "status": "succeeded", "attempts": 2,
            "response_status": 200}),
        );
        round_trip::<ExecutionView>(json!({"id": "exe_2", "instance_id": "ins_1",
            "customer_id": "cus_1", "integration_id": "int_1", "version": "1.0.0", "flow": "events",
            "trigger": "webhook", "status": "queued", "attempts": 0, "steps": [],
            "started_at": "2026-11-30T05:21:56.514Z", "finished_at": null}));
    }

    #[test]
    fn events_as_the_service_sends_them() {
        let page: Page<EventView> = round_trip(
            json!({"items": [{"id": "evt_1", "type": "instance.upgraded",
            "at": "2026-11-30T05:21:56.528Z", "customer_id": "cus_1", "integration_id": "int_1",
            "instance_id": "ins_1", "data": {"from_version": "1.0.0", "name": "Google Sheets",
            "report": {"carried_over": ["sheet_url"], "dropped": [], "newly_required": []},
            "status": "paused", "version": "1.0.0"}}, {"id": "evt_0", "type": "customer.created",
            "at": "2026-11-30T05:21:34.136Z", "customer_id": "cus_1", "integration_id": null,
            "instance_id": null, "data": {"external_id": "globex"}}], "next_cursor": null}),
        );
        assert_eq!(page.items[0].event_type, EventType::InstanceUpgraded);
        for core in [
            marketplace_core::EventType::InstanceActivated,
            marketplace_core::EventType::CustomerDeleted,
        ] {
            assert_eq!(EventType::from(core).as_str(), core.as_str());
            assert!(!matches!(EventType::from(core), EventType::Other(_)));
        }
    }

    #[test]
    fn enums_read_values_from_a_newer_service() {
        open_enum(LogSeverity::KNOWN, LogSeverity::Other("debug".into()));
        open_enum(LogType::KNOWN, LogType::Other("audit".into()));
        open_enum(StepName::KNOWN, StepName::Other("transform".into()));
        open_enum(
            ExecutionTrigger::KNOWN,
            ExecutionTrigger::Other("replay".into()),
        );
        open_enum(
            ExecutionStatus::KNOWN,
            ExecutionStatus::Other("cancelled".into()),
        );
        open_enum(
            EventType::KNOWN,
            EventType::Other("instance.renamed".into()),
        );
    }
}
