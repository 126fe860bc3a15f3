//! Events: the record every state change leaves, stored with the change and later delivered to
//! the vendor. Event data never holds a secret: config changes are listed by key only.

use crate::customer::Customer;
use crate::ids::{CustomerId, InstanceId, IntegrationId};
use crate::instance::Instance;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

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
    /// The values the vendor set for a customer and an integration changed (`changed` lists keys).
    #[serde(rename = "customer.vendor_values_updated")]
    CustomerVendorValuesUpdated,
    /// A customer user was updated.
    #[serde(rename = "customer_user.updated")]
    CustomerUserUpdated,
    /// A customer user was deleted.
    #[serde(rename = "customer_user.deleted")]
    CustomerUserDeleted,
    /// An integration was created.
    #[serde(rename = "integration.created")]
    IntegrationCreated,
    /// An integration was updated (`changed` lists fields).
    #[serde(rename = "integration.updated")]
    IntegrationUpdated,
    /// A draft version of an integration was created.
    #[serde(rename = "version.created")]
    VersionCreated,
    /// A draft version was changed.
    #[serde(rename = "version.updated")]
    VersionUpdated,
    /// A version was published.
    #[serde(rename = "version.published")]
    VersionPublished,
    /// A listing was created or changed.
    #[serde(rename = "listing.updated")]
    ListingUpdated,
    /// A listing was removed from the marketplace.
    #[serde(rename = "listing.removed")]
    ListingRemoved,
    /// An API key was created.
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    /// An API key was revoked.
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    /// A token signing key was registered.
    #[serde(rename = "signing_key.created")]
    SigningKeyCreated,
    /// A token signing key was revoked.
    #[serde(rename = "signing_key.revoked")]
    SigningKeyRevoked,
    /// The organization's settings changed (`changed` lists fields).
    #[serde(rename = "organization.updated")]
    OrganizationUpdated,
    /// A pending instance was confirmed by the vendor.
    #[serde(rename = "instance.confirmed")]
    InstanceConfirmed,
    /// The vendor refused a pending instance.
    #[serde(rename = "instance.failed")]
    InstanceFailed,
    /// A customer user was assigned to the customer.
    #[serde(rename = "customer_user.assigned")]
    CustomerUserAssigned,
    /// A customer user was unassigned from the customer.
    #[serde(rename = "customer_user.unassigned")]
    CustomerUserUnassigned,
    /// A connection's status changed.
    #[serde(rename = "connection.status_changed")]
    ConnectionStatusChanged,
    /// A delivery to the vendor gave up (dead letter).
    #[serde(rename = "delivery.dead_lettered")]
    DeliveryDeadLettered,
    /// An event configuration was created.
    #[serde(rename = "event_configuration.created")]
    EventConfigurationCreated,
    /// An event configuration's working draft changed.
    #[serde(rename = "event_configuration.updated")]
    EventConfigurationUpdated,
    /// An event configuration's working draft was published.
    #[serde(rename = "event_configuration.published")]
    EventConfigurationPublished,
    /// An event configuration was deleted.
    #[serde(rename = "event_configuration.deleted")]
    EventConfigurationDeleted,
    /// An event configuration was linked to an integration.
    #[serde(rename = "event_configuration.linked")]
    EventConfigurationLinked,
    /// An event configuration was unlinked from an integration.
    #[serde(rename = "event_configuration.unlinked")]
    EventConfigurationUnlinked,
    /// A customer user was invited to sign in to the portal.
    #[serde(rename = "customer_user.invited")]
    CustomerUserInvited,
    /// A file was attached to a customer.
    #[serde(rename = "attachment.created")]
    AttachmentCreated,
    /// A customer's attachment was deleted.
    #[serde(rename = "attachment.deleted")]
    AttachmentDeleted,
    /// An alert monitor was created.
    #[serde(rename = "alert_monitor.created")]
    AlertMonitorCreated,
    /// An alert monitor changed.
    #[serde(rename = "alert_monitor.updated")]
    AlertMonitorUpdated,
    /// An alert monitor was deleted.
    #[serde(rename = "alert_monitor.deleted")]
    AlertMonitorDeleted,
    /// An alert monitor fired.
    #[serde(rename = "alert.triggered")]
    AlertTriggered,
    /// A workflow template was submitted for review.
    #[serde(rename = "workflow_template.submitted")]
    WorkflowTemplateSubmitted,
    /// A workflow template was approved.
    #[serde(rename = "workflow_template.approved")]
    WorkflowTemplateApproved,
    /// A workflow template was rejected.
    #[serde(rename = "workflow_template.rejected")]
    WorkflowTemplateRejected,
    /// A workflow template was deleted.
    #[serde(rename = "workflow_template.deleted")]
    WorkflowTemplateDeleted,
    /// A record type was created or replaced.
    #[serde(rename = "record_type.updated")]
    RecordTypeUpdated,
    /// A record type was deleted.
    #[serde(rename = "record_type.deleted")]
    RecordTypeDeleted,
    /// An instance's overrides of a collection's mappings changed (`collection` names it).
    #[serde(rename = "instance.mappings_changed")]
    InstanceMappingsChanged,
    /// A marketplace was created (or registered by a partner).
    #[serde(rename = "marketplace.created")]
    MarketplaceCreated,
    /// A marketplace changed (including which one is the default).
    #[serde(rename = "marketplace.updated")]
    MarketplaceUpdated,
    /// A marketplace was deleted with its listings, credentials and keys.
    #[serde(rename = "marketplace.deleted")]
    MarketplaceDeleted,
    /// A partner registered its marketplace with a registration token.
    #[serde(rename = "marketplace.registered")]
    MarketplaceRegistered,
    /// Partner credentials of a marketplace were created.
    #[serde(rename = "marketplace.credentials_created")]
    MarketplaceCredentialsCreated,
    /// Partner credentials of a marketplace were revoked.
    #[serde(rename = "marketplace.credentials_revoked")]
    MarketplaceCredentialsRevoked,
    /// A tenant was created.
    #[serde(rename = "tenant.created")]
    TenantCreated,
    /// A tenant changed.
    #[serde(rename = "tenant.updated")]
    TenantUpdated,
    /// A tenant was deleted.
    #[serde(rename = "tenant.deleted")]
    TenantDeleted,
    /// A listing was assigned to a tenant.
    #[serde(rename = "tenant.listing_assigned")]
    TenantListingAssigned,
    /// A listing was unassigned from a tenant.
    #[serde(rename = "tenant.listing_unassigned")]
    TenantListingUnassigned,
    /// A provider was created.
    #[serde(rename = "provider.created")]
    ProviderCreated,
    /// A provider changed.
    #[serde(rename = "provider.updated")]
    ProviderUpdated,
    /// A provider was deleted.
    #[serde(rename = "provider.deleted")]
    ProviderDeleted,
    /// An application was created.
    #[serde(rename = "application.created")]
    ApplicationCreated,
    /// An application changed.
    #[serde(rename = "application.updated")]
    ApplicationUpdated,
    /// An application was deleted.
    #[serde(rename = "application.deleted")]
    ApplicationDeleted,
    /// A version was added to an application.
    #[serde(rename = "application.version_added")]
    ApplicationVersionAdded,
    /// A version was removed from an application.
    #[serde(rename = "application.version_removed")]
    ApplicationVersionRemoved,
    /// The applications a version supports changed.
    #[serde(rename = "version.applications_updated")]
    VersionApplicationsUpdated,
    /// A version's connection test ran.
    #[serde(rename = "connection_test.completed")]
    ConnectionTestCompleted,
    /// A certification request was filed.
    #[serde(rename = "certification.requested")]
    CertificationRequested,
    /// A certification request was approved.
    #[serde(rename = "certification.approved")]
    CertificationApproved,
    /// A certification request was rejected.
    #[serde(rename = "certification.rejected")]
    CertificationRejected,
    /// A subscription began (an activation).
    #[serde(rename = "subscription.created")]
    SubscriptionCreated,
    /// A subscription was cancelled (a deactivation).
    #[serde(rename = "subscription.cancelled")]
    SubscriptionCancelled,
    /// Past subscriptions were imported.
    #[serde(rename = "subscription.imported")]
    SubscriptionImported,
    /// The scoring policy changed.
    #[serde(rename = "scoring_policy.updated")]
    ScoringPolicyUpdated,
    /// A customer reviewed an integration.
    #[serde(rename = "review.created")]
    ReviewCreated,
    /// A customer changed its review (or added a follow-up).
    #[serde(rename = "review.updated")]
    ReviewUpdated,
    /// The vendor responded to a review.
    #[serde(rename = "review.responded")]
    ReviewResponded,
    /// The vendor disputed a negative review.
    #[serde(rename = "review.disputed")]
    ReviewDisputed,
    /// A reviewer accepted or rejected a dispute.
    #[serde(rename = "review.dispute_decided")]
    ReviewDisputeDecided,
}

impl EventType {
    /// Every kind, in declaration order.
    pub const ALL: [EventType; 83] = [
        Self::InstanceActivated,
        Self::InstanceReconfigured,
        Self::InstanceUpgraded,
        Self::InstancePaused,
        Self::InstanceResumed,
        Self::InstanceDeactivated,
        Self::CustomerCreated,
        Self::CustomerUpdated,
        Self::CustomerDeleted,
        Self::CustomerVendorValuesUpdated,
        Self::CustomerUserUpdated,
        Self::CustomerUserDeleted,
        Self::IntegrationCreated,
        Self::IntegrationUpdated,
        Self::VersionCreated,
        Self::VersionUpdated,
        Self::VersionPublished,
        Self::ListingUpdated,
        Self::ListingRemoved,
        Self::ApiKeyCreated,
        Self::ApiKeyRevoked,
        Self::SigningKeyCreated,
        Self::SigningKeyRevoked,
        Self::OrganizationUpdated,
        Self::InstanceConfirmed,
        Self::InstanceFailed,
        Self::CustomerUserAssigned,
        Self::CustomerUserUnassigned,
        Self::ConnectionStatusChanged,
        Self::DeliveryDeadLettered,
        Self::EventConfigurationCreated,
        Self::EventConfigurationUpdated,
        Self::EventConfigurationPublished,
        Self::EventConfigurationDeleted,
        Self::EventConfigurationLinked,
        Self::EventConfigurationUnlinked,
        Self::CustomerUserInvited,
        Self::AttachmentCreated,
        Self::AttachmentDeleted,
        Self::AlertMonitorCreated,
        Self::AlertMonitorUpdated,
        Self::AlertMonitorDeleted,
        Self::AlertTriggered,
        Self::WorkflowTemplateSubmitted,
        Self::WorkflowTemplateApproved,
        Self::WorkflowTemplateRejected,
        Self::WorkflowTemplateDeleted,
        Self::RecordTypeUpdated,
        Self::RecordTypeDeleted,
        Self::InstanceMappingsChanged,
        Self::MarketplaceCreated,
        Self::MarketplaceUpdated,
        Self::MarketplaceDeleted,
        Self::MarketplaceRegistered,
        Self::MarketplaceCredentialsCreated,
        Self::MarketplaceCredentialsRevoked,
        Self::TenantCreated,
        Self::TenantUpdated,
        Self::TenantDeleted,
        Self::TenantListingAssigned,
        Self::TenantListingUnassigned,
        Self::ProviderCreated,
        Self::ProviderUpdated,
        Self::ProviderDeleted,
        Self::ApplicationCreated,
        Self::ApplicationUpdated,
        Self::ApplicationDeleted,
        Self::ApplicationVersionAdded,
        Self::ApplicationVersionRemoved,
        Self::VersionApplicationsUpdated,
        Self::ConnectionTestCompleted,
        Self::CertificationRequested,
        Self::CertificationApproved,
        Self::CertificationRejected,
        Self::SubscriptionCreated,
        Self::SubscriptionCancelled,
        Self::SubscriptionImported,
        Self::ScoringPolicyUpdated,
        Self::ReviewCreated,
        Self::ReviewUpdated,
        Self::ReviewResponded,
        Self::ReviewDisputed,
        Self::ReviewDisputeDecided,
    ];

    /// The kind with that wire name (`"instance.activated"`); `None` for any other text.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

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
            Self::CustomerVendorValuesUpdated => "customer.vendor_values_updated",
            Self::CustomerUserUpdated => "customer_user.updated",
            Self::CustomerUserDeleted => "customer_user.deleted",
            Self::IntegrationCreated => "integration.created",
            Self::IntegrationUpdated => "integration.updated",
            Self::VersionCreated => "version.created",
            Self::VersionUpdated => "version.updated",
            Self::VersionPublished => "version.published",
            Self::ListingUpdated => "listing.updated",
            Self::ListingRemoved => "listing.removed",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::SigningKeyCreated => "signing_key.created",
            Self::SigningKeyRevoked => "signing_key.revoked",
            Self::OrganizationUpdated => "organization.updated",
            Self::InstanceConfirmed => "instance.confirmed",
            Self::InstanceFailed => "instance.failed",
            Self::CustomerUserAssigned => "customer_user.assigned",
            Self::CustomerUserUnassigned => "customer_user.unassigned",
            Self::ConnectionStatusChanged => "connection.status_changed",
            Self::DeliveryDeadLettered => "delivery.dead_lettered",
            Self::EventConfigurationCreated => "event_configuration.created",
            Self::EventConfigurationUpdated => "event_configuration.updated",
            Self::EventConfigurationPublished => "event_configuration.published",
            Self::EventConfigurationDeleted => "event_configuration.deleted",
            Self::EventConfigurationLinked => "event_configuration.linked",
            Self::EventConfigurationUnlinked => "event_configuration.unlinked",
            Self::CustomerUserInvited => "customer_user.invited",
            Self::AttachmentCreated => "attachment.created",
            Self::AttachmentDeleted => "attachment.deleted",
            Self::AlertMonitorCreated => "alert_monitor.created",
            Self::AlertMonitorUpdated => "alert_monitor.updated",
            Self::AlertMonitorDeleted => "alert_monitor.deleted",
            Self::AlertTriggered => "alert.triggered",
            Self::WorkflowTemplateSubmitted => "workflow_template.submitted",
            Self::WorkflowTemplateApproved => "workflow_template.approved",
            Self::WorkflowTemplateRejected => "workflow_template.rejected",
            Self::WorkflowTemplateDeleted => "workflow_template.deleted",
            Self::RecordTypeUpdated => "record_type.updated",
            Self::RecordTypeDeleted => "record_type.deleted",
            Self::InstanceMappingsChanged => "instance.mappings_changed",
            Self::MarketplaceCreated => "marketplace.created",
            Self::MarketplaceUpdated => "marketplace.updated",
            Self::MarketplaceDeleted => "marketplace.deleted",
            Self::MarketplaceRegistered => "marketplace.registered",
            Self::MarketplaceCredentialsCreated => "marketplace.credentials_created",
            Self::MarketplaceCredentialsRevoked => "marketplace.credentials_revoked",
            Self::TenantCreated => "tenant.created",
            Self::TenantUpdated => "tenant.updated",
            Self::TenantDeleted => "tenant.deleted",
            Self::TenantListingAssigned => "tenant.listing_assigned",
            Self::TenantListingUnassigned => "tenant.listing_unassigned",
            Self::ProviderCreated => "provider.created",
            Self::ProviderUpdated => "provider.updated",
            Self::ProviderDeleted => "provider.deleted",
            Self::ApplicationCreated => "application.created",
            Self::ApplicationUpdated => "application.updated",
            Self::ApplicationDeleted => "application.deleted",
            Self::ApplicationVersionAdded => "application.version_added",
            Self::ApplicationVersionRemoved => "application.version_removed",
            Self::VersionApplicationsUpdated => "version.applications_updated",
            Self::ConnectionTestCompleted => "connection_test.completed",
            Self::CertificationRequested => "certification.requested",
            Self::CertificationApproved => "certification.approved",
            Self::CertificationRejected => "certification.rejected",
            Self::SubscriptionCreated => "subscription.created",
            Self::SubscriptionCancelled => "subscription.cancelled",
            Self::SubscriptionImported => "subscription.imported",
            Self::ScoringPolicyUpdated => "scoring_policy.updated",
            Self::ReviewCreated => "review.created",
            Self::ReviewUpdated => "review.updated",
            Self::ReviewResponded => "review.responded",
            Self::ReviewDisputed => "review.disputed",
            Self::ReviewDisputeDecided => "review.dispute_decided",
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

    /// An event about the organization itself or one of its keys: no customer, integration or
    /// instance (add them with [`Self::with_customer`], [`Self::with_integration`]).
    pub fn for_organization(event_type: EventType, at: UnixMillis, data: Value) -> Self {
        Event {
            event_type,
            at,
            customer_id: None,
            integration_id: None,
            instance_id: None,
            data,
        }
    }

    /// An event about an integration (its versions and listing included).
    pub fn for_integration(
        event_type: EventType,
        integration_id: &IntegrationId,
        at: UnixMillis,
        data: Value,
    ) -> Self {
        Self::for_organization(event_type, at, data).with_integration(integration_id)
    }

    /// The vendor-set values of a customer for an integration changed: the keys only.
    pub fn vendor_values_updated(
        customer_id: &CustomerId,
        integration_id: &IntegrationId,
        before: &Map<String, Value>,
        after: &Map<String, Value>,
        at: UnixMillis,
    ) -> Self {
        let data = json!({"changed": changed_keys(before, after)});
        Self::for_integration(
            EventType::CustomerVendorValuesUpdated,
            integration_id,
            at,
            data,
        )
        .with_customer(customer_id)
    }

    /// The same event, about that customer too.
    #[must_use]
    pub fn with_customer(mut self, customer_id: &CustomerId) -> Self {
        self.customer_id = Some(customer_id.clone());
        self
    }

    /// The same event, about that integration too.
    #[must_use]
    pub fn with_integration(mut self, integration_id: &IntegrationId) -> Self {
        self.integration_id = Some(integration_id.clone());
        self
    }
}

/// The keys whose values differ between two objects (added, changed or removed), sorted: what
/// an event may say of a change, never the values.
pub fn changed_keys(before: &Map<String, Value>, after: &Map<String, Value>) -> Vec<String> {
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .chain(before.keys().filter(|k| !after.contains_key(*k)).cloned())
        .collect();
    changed.sort();
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_agree_with_serde_and_are_unique() {
        let mut names = Vec::new();
        for event_type in EventType::ALL {
            let wire = serde_json::to_value(event_type).unwrap();
            assert_eq!(wire, json!(event_type.as_str()));
            assert_eq!(
                serde_json::from_value::<EventType>(wire).unwrap(),
                event_type
            );
            names.push(event_type.as_str());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EventType::ALL.len());
        assert_eq!(
            EventType::CustomerVendorValuesUpdated.as_str(),
            "customer.vendor_values_updated"
        );
        assert_eq!(EventType::SigningKeyRevoked.as_str(), "signing_key.revoked");
        for event_type in EventType::ALL {
            assert_eq!(EventType::from_wire(event_type.as_str()), Some(event_type));
        }
        assert_eq!(EventType::from_wire("Instance.Activated"), None);
        assert_eq!(
            EventType::from_wire("event_configuration.unlinked"),
            Some(EventType::EventConfigurationUnlinked)
        );
    }

    #[test]
    fn changed_keys_name_keys_never_values() {
        let before = json!({"a": 1, "b": "s3cret", "c": true});
        let after = json!({"a": 1, "b": "n3w", "d": null});
        let (before, after) = (before.as_object().unwrap(), after.as_object().unwrap());
        assert_eq!(changed_keys(before, after), ["b", "c", "d"]);
        assert!(changed_keys(before, before).is_empty());
        let event =
            Event::vendor_values_updated(&"cus_1".into(), &"int_1".into(), before, after, 5);
        assert_eq!(event.event_type, EventType::CustomerVendorValuesUpdated);
        assert_eq!(
            (
                event.customer_id.as_ref().map(|c| c.as_str()),
                event.integration_id.as_ref().map(|i| i.as_str()),
                event.instance_id
            ),
            (Some("cus_1"), Some("int_1"), None)
        );
        assert_eq!(event.data, json!({"changed": ["b", "c", "d"]}));
        assert!(
            !event.data.to_string().contains("s3cret") && !event.data.to_string().contains("n3w")
        );
        let org = Event::for_organization(
            EventType::OrganizationUpdated,
            7,
            json!({"changed": ["name"]}),
        );
        assert_eq!(
            (org.at, org.customer_id, org.integration_id),
            (7, None, None)
        );
    }
}
