//! Events: the record every state change leaves, stored with the change and later delivered to
//! the vendor. Event data never holds a secret: config changes are listed by key only.

use crate::customer::Customer;
use crate::ids::{CustomerId, InstanceId, IntegrationId};
use crate::instance::Instance;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Milliseconds since the Unix epoch; core never reads a clock, callers pass the time in.
pub type UnixMillis = i64;

/// Kinds of event; the wire form is dotted (`instance.activated`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// An instance was activated.
    #[serde(rename = "instance.activated")]
    InstanceActivated,
    /// An instance's config changed.
    #[serde(rename = "instance.reconfigured")]
    InstanceReconfigured,
    /// An instance moved to another version.
    #[serde(rename = "instance.upgraded")]
    InstanceUpgraded,
    /// An instance was paused.
    #[serde(rename = "instance.paused")]
    InstancePaused,
    /// An instance was resumed.
    #[serde(rename = "instance.resumed")]
    InstanceResumed,
    /// An instance was deactivated.
    #[serde(rename = "instance.deactivated")]
    InstanceDeactivated,
    /// A customer was created.
    #[serde(rename = "customer.created")]
    CustomerCreated,
    /// A customer was updated.
    #[serde(rename = "customer.updated")]
    CustomerUpdated,
    /// A customer was deleted, with its users and instances.
    #[serde(rename = "customer.deleted")]
    CustomerDeleted,
}

impl EventType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InstanceActivated => "instance.activated",
            Self::InstanceReconfigured => "instance.reconfigured",
            Self::InstanceUpgraded => "instance.upgraded",
            Self::InstancePaused => "instance.paused",
            Self::InstanceResumed => "instance.resumed",
            Self::InstanceDeactivated => "instance.deactivated",
            Self::CustomerCreated => "customer.created",
            Self::CustomerUpdated => "customer.updated",
            Self::CustomerDeleted => "customer.deleted",
        }
    }
}

/// A state change, ready to be stored and delivered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When.
    pub at: UnixMillis,
    /// The customer concerned.
    pub customer_id: Option<CustomerId>,
    /// The integration concerned.
    pub integration_id: Option<IntegrationId>,
    /// The instance concerned.
    pub instance_id: Option<InstanceId>,
    /// Details (never a secret).
    pub data: Value,
}

impl Event {
    /// An event about an instance, with its version and status in the data.
    pub fn for_instance(
        event_type: EventType,
        instance: &Instance,
        at: UnixMillis,
        extra: Value,
    ) -> Self {
        let mut data = json!({"version": instance.version.to_string(), "status": instance.status, "name": instance.name});
        if let (Some(data), Value::Object(extra)) = (data.as_object_mut(), extra) {
            data.extend(extra);
        }
        Event {
            event_type,
            at,
            customer_id: Some(instance.customer_id.clone()),
            integration_id: Some(instance.integration_id.clone()),
            instance_id: Some(instance.id.clone()),
            data,
        }
    }

    /// An event about a customer.
    pub fn for_customer(event_type: EventType, customer: &Customer, at: UnixMillis) -> Self {
        Event {
            event_type,
            at,
            customer_id: Some(customer.id.clone()),
            integration_id: None,
            instance_id: None,
            data: json!({"name": customer.name, "external_id": customer.external_id, "labels": customer.labels}),
        }
    }
}
