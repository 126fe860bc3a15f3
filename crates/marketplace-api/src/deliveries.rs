//! `/api/v1/deliveries`: every notification of an event to a vendor's configuration, its
//! attempts, dead letters (`status=dead`) and redelivery.

use serde::{Deserialize, Serialize};

wire_enum! {
    /// Where a delivery stands.
    pub enum DeliveryStatus {
        /// Waiting for its next attempt.
        Pending = "pending",
        /// Answered with a 2xx.
        Succeeded = "succeeded",
        /// Given up (a dead letter); `POST .../redeliver` tries again.
        Dead = "dead",
    }
}

wire_enum! {
    /// Why a delivery was given up.
    pub enum DeadReason {
        /// The retry window ended.
        RetriesExhausted = "retries_exhausted",
        /// A 4xx (other than 408 and 429) or 3xx answer.
        Rejected = "rejected",
        /// The URL resolves only to private addresses.
        BlockedTarget = "blocked_target",
    }
}

/// One attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct AttemptView {
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
    /// The published revision used.
    pub revision: i64,
    /// The URL.
    pub url: String,
    /// The answer's status.
    pub http_status: Option<u16>,
    /// Milliseconds to the answer (or the failure).
    pub latency_ms: i64,
    /// Why no answer.
    pub error: Option<String>,
    /// The answer's first KiB.
    pub response_excerpt: Option<String>,
}

/// The vendor's answer to an event: in the delivery's 2xx body, or through the result API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DeliveryResult {
    /// Whether the vendor accepted.
    pub success: bool,
    /// The vendor's message.
    pub message: Option<String>,
    /// The vendor's error code.
    pub error_code: Option<String>,
    /// The vendor's account for the customer.
    pub account_identifier: Option<String>,
    /// When it came (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
}

/// A delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    /// Id (`dlv_...`).
    pub id: String,
    /// The event (its id is the `webhook-id` header).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The configuration.
    pub event_configuration_id: String,
    /// The customer.
    pub customer_id: Option<String>,
    /// The instance.
    pub instance_id: Option<String>,
    /// The URL of the latest attempt.
    pub url: Option<String>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Why it was given up.
    pub dead_reason: Option<DeadReason>,
    /// Attempts so far.
    pub attempt_count: i64,
    /// When the next attempt is due (RFC 3339; pending only).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub next_attempt_at: Option<String>,
    /// The latest attempt.
    pub last_attempt: Option<AttemptView>,
    /// The vendor's answer.
    pub result: Option<DeliveryResult>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// A delivery with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DeliveryDetail {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
}

query! {
    /// Filters and paging of the delivery list (newest first).
    pub struct DeliveryQuery {
        /// Only in this status (`dead`: the dead letters).
        pub status: Option<DeliveryStatus>,
        /// Only this event's.
        pub event_id: Option<String>,
        /// Only this type.
        pub event_type: Option<String>,
        /// Only this instance's.
        pub instance_id: Option<String>,
        /// Only this configuration's.
        pub event_configuration_id: Option<String>,
        /// Created from this time (RFC 3339, inclusive).
        pub since: Option<String>,
    }
    with paging
}
