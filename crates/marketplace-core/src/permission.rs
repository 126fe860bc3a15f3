//! Who may do what: one function for organization users, customer admins and customer viewers.
//!
//! The order of answers follows the API contract: a role that may not do the action is
//! `Forbidden` (403) before a resource of another customer is `NotFound` (404), so a viewer learns
//! nothing about other customers either way.

use crate::customer::Role;
use crate::ids::CustomerId;
use serde::{Deserialize, Serialize};

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The vendor, with an admin API key.
    Organization,
    /// A user of a customer, with a signed embedded token.
    CustomerUser {
        /// The user's customer.
        customer_id: CustomerId,
        /// The token's role.
        role: Role,
    },
}

/// What the actor wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Browse the marketplace and read integration details.
    ReadCatalog,
    /// Read instances, their logs and executions.
    ReadInstances,
    /// Validate values against a spec.
    Validate,
    /// Activate an integration.
    Activate,
    /// Change an instance's config.
    Reconfigure,
    /// Pause an instance.
    Pause,
    /// Resume an instance.
    Resume,
    /// Deactivate an instance.
    Deactivate,
    /// Run a flow with test input.
    TestRun,
    /// Move an instance to another version.
    Upgrade,
    /// List and download the customer's attachments.
    ReadAttachments,
    /// Upload and delete the customer's attachments.
    ManageAttachments,
    /// Organization settings, API keys and signing keys.
    ManageOrganization,
    /// Integrations, versions and listings.
    ManageCatalog,
    /// Customers, their users and vendor-set values.
    ManageCustomers,
    /// Read the event stream, logs and executions of every customer.
    ReadOrganizationData,
    /// Read the customer's users and open invitations.
    ReadUsers,
    /// Invite and remove the customer's users (portal sign-in).
    ManageUsers,
    /// Write or edit the customer's review of an integration.
    Review,
}

impl Action {
    /// Whether only the organization may do this.
    pub fn organization_only(self) -> bool {
        matches!(
            self,
            Self::Upgrade
                | Self::ManageOrganization
                | Self::ManageCatalog
                | Self::ManageCustomers
                | Self::ReadOrganizationData
        )
    }

    /// Whether this changes something (customer viewers may not).
    pub fn is_write(self) -> bool {
        !matches!(
            self,
            Self::ReadCatalog
                | Self::ReadInstances
                | Self::ReadAttachments
                | Self::Validate
                | Self::ReadOrganizationData
                | Self::ReadUsers
        )
    }
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// The actor's role may not do this (403).
    Forbidden,
    /// The resource is not visible to the actor (404).
    NotFound,
}

/// May this actor do this action on a resource owned by `owner` (`None`: not owned by a customer)?
pub fn authorize(actor: &Actor, action: Action, owner: Option<&CustomerId>) -> Decision {
    match actor {
        Actor::Organization => Decision::Allow,
        Actor::CustomerUser { customer_id, role } => {
            if action.organization_only() || (action.is_write() && *role == Role::Viewer) {
                Decision::Forbidden
            } else if owner.is_some_and(|owner| owner != customer_id) {
                Decision::NotFound
            } else {
                Decision::Allow
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Decision::*;

    #[test]
    fn permission_table() {
        let mine = CustomerId::from("c1");
        let theirs = CustomerId::from("c2");
        let org = Actor::Organization;
        let admin = Actor::CustomerUser {
            customer_id: mine.clone(),
            role: Role::Admin,
        };
        let viewer = Actor::CustomerUser {
            customer_id: mine.clone(),
            role: Role::Viewer,
        };
        // action, owner, organization, customer admin, customer viewer
        let table: &[(Action, Option<&CustomerId>, Decision, Decision, Decision)] = &[
            (ReadCatalog, None, Allow, Allow, Allow),
            (Validate, None, Allow, Allow, Allow),
            (ReadInstances, Some(&mine), Allow, Allow, Allow),
            (ReadInstances, Some(&theirs), Allow, NotFound, NotFound),
            (Activate, None, Allow, Allow, Forbidden),
            (Reconfigure, Some(&mine), Allow, Allow, Forbidden),
            (Reconfigure, Some(&theirs), Allow, NotFound, Forbidden),
            (Pause, Some(&mine), Allow, Allow, Forbidden),
            (Resume, Some(&theirs), Allow, NotFound, Forbidden),
            (Deactivate, Some(&mine), Allow, Allow, Forbidden),
            (TestRun, Some(&mine), Allow, Allow, Forbidden),
            (Upgrade, Some(&mine), Allow, Forbidden, Forbidden),
            (ReadAttachments, Some(&mine), Allow, Allow, Allow),
            (ReadAttachments, Some(&theirs), Allow, NotFound, NotFound),
            (ManageAttachments, Some(&mine), Allow, Allow, Forbidden),
            (ManageAttachments, Some(&theirs), Allow, NotFound, Forbidden),
            (ManageOrganization, None, Allow, Forbidden, Forbidden),
            (ManageCatalog, None, Allow, Forbidden, Forbidden),
            (ManageCustomers, Some(&mine), Allow, Forbidden, Forbidden),
            (ReadOrganizationData, None, Allow, Forbidden, Forbidden),
            (ReadUsers, Some(&mine), Allow, Allow, Allow),
            (ReadUsers, Some(&theirs), Allow, NotFound, NotFound),
            (ManageUsers, Some(&mine), Allow, Allow, Forbidden),
            (ManageUsers, Some(&theirs), Allow, NotFound, Forbidden),
            (Review, Some(&mine), Allow, Allow, Forbidden),
            (Review, Some(&theirs), Allow, NotFound, Forbidden),
        ];
        for (action, owner, o, a, v) in table {
            assert_eq!(
                authorize(&org, *action, *owner),
                *o,
                "organization {action:?}"
            );
            assert_eq!(
                authorize(&admin, *action, *owner),
                *a,
                "admin {action:?} {owner:?}"
            );
            assert_eq!(
                authorize(&viewer, *action, *owner),
                *v,
                "viewer {action:?} {owner:?}"
            );
        }
    }
}
