//! The customer portal (direct sign-in): invitations (`/api/v1/customers/{id}/invitations`,
//! `/api/v1/embedded/invitations`), accepting one, signing in and out, password resets, and the
//! session (`/api/v1/portal/...`).
//!
//! Secrets (passwords, invitation tokens) travel in request bodies only; the invitation's
//! `accept_url` is shown once, in the response creating it. `Debug` never prints them.

use crate::customers::Role;
use serde::{Deserialize, Serialize};

/// Body of `POST /api/v1/customers/{id}/invitations` and `POST /api/v1/embedded/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InvitationCreate {
    /// Where the invitation goes (and the user's sign-in email).
    pub email: String,
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The role the user gets.
    pub role: Role,
    /// The host app's user id (`sub`) to sign in as; a new `usr_...` id when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// An open invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct InvitationView {
    /// Id.
    pub id: String,
    /// The customer the user joins.
    pub customer_id: String,
    /// The invited email (lower-cased).
    pub email: String,
    /// The user's display name.
    pub name: Option<String>,
    /// The role the user gets.
    pub role: Role,
    /// The user id the invitation signs in as, when the inviter chose one.
    pub user_id: Option<String>,
    /// When it stops working (RFC 3339): 7 days after creation.
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub expires_at: String,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
}

/// A new invitation with its link, shown once (the email carries the same link).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct NewInvitation {
    /// The invitation.
    #[serde(flatten)]
    pub invitation: InvitationView,
    /// `{public_url}/portal/{organization_id}/accept#token=...`; the token is in the fragment,
    /// so it is in no request line.
    pub accept_url: String,
}

impl std::fmt::Debug for NewInvitation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewInvitation")
            .field("invitation", &self.invitation)
            .field("accept_url", &"[redacted]")
            .finish()
    }
}

/// Body of `POST /api/v1/portal/accept`: an invitation's (or reset link's) token and the new
/// password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// The token of the link's fragment.
    pub token: String,
    /// The new password: 12 to 128 characters.
    pub password: String,
    /// A display name, replacing the invitation's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl std::fmt::Debug for AcceptBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AcceptBody")
            .field("token", &"[redacted]")
            .field("password", &"[redacted]")
            .field("name", &self.name)
            .finish()
    }
}

/// Body of `POST /api/v1/portal/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// The vendor's organization.
    pub organization_id: String,
    /// The user's email.
    pub email: String,
    /// The password.
    pub password: String,
}

impl std::fmt::Debug for LoginBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginBody")
            .field("organization_id", &self.organization_id)
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Body of `POST /api/v1/portal/password-reset`: the answer is 202 whether the email is known or
/// not; a known one receives an accept link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PasswordResetBody {
    /// The vendor's organization.
    pub organization_id: String,
    /// The user's email.
    pub email: String,
}

/// The signed-in user of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SessionUser {
    /// The user id.
    pub id: String,
    /// The user's customer.
    pub customer_id: String,
    /// Display name.
    pub name: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// The effective role (the lower of the invitation's and the pinned one).
    pub role: Role,
}

/// The customer of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SessionCustomer {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// The host app's id of the customer.
    pub external_id: String,
    /// Avatar URL.
    pub avatar_url: Option<String>,
}

/// A portal session (the `mp_session` cookie holds its secret; this body never does).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// The signed-in user.
    pub user: SessionUser,
    /// The user's customer.
    pub customer: SessionCustomer,
    /// The vendor's organization.
    pub organization_id: String,
    /// Send it as `X-CSRF-Token` with every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// When the session ends (RFC 3339): 12 hours after sign-in.
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub expires_at: String,
}

impl std::fmt::Debug for SessionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionView")
            .field("user", &self.user)
            .field("customer", &self.customer)
            .field("organization_id", &self.organization_id)
            .field("csrf_token", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn portal_bodies_as_the_service_sends_them() {
        let created: NewInvitation = round_trip(json!({"id": "inv_1", "customer_id": "cus_1",
            "email": "ann@example.com", "name": null, "role": "viewer", "user_id": null,
            "expires_at": "2026-12-07T05:21:46.571Z", "created_at": "2026-11-30T05:21:46.571Z",
            "accept_url": "https://mp.example/portal/org_1/accept#token=abc"}));
        assert_eq!(created.invitation.role, Role::Viewer);
        assert!(!format!("{created:?}").contains("token=abc"));
        let session: SessionView = round_trip(json!({"user": {"id": "usr_1",
            "customer_id": "cus_1", "name": "Ann", "email": "ann@example.com", "role": "admin"},
            "customer": {"id": "cus_1", "name": "Acme", "external_id": "acme",
            "avatar_url": null}, "organization_id": "org_1", "csrf_token": "c5rf",
            "expires_at": "2026-11-30T17:21:46.571Z"}));
        assert!(!format!("{session:?}").contains("c5rf"));
    }

    #[test]
    fn secrets_stay_out_of_debug_and_bodies_refuse_unknown_fields() {
        let accept: AcceptBody =
            serde_json::from_value(json!({"token": "t0k3n", "password": "correct horse"})).unwrap();
        let login: LoginBody = serde_json::from_value(
            json!({"organization_id": "org_1", "email": "a@b.example", "password": "hunter22"}),
        )
        .unwrap();
        for printed in [format!("{accept:?}"), format!("{login:?}")] {
            assert!(!printed.contains("t0k3n") && !printed.contains("correct horse"));
            assert!(!printed.contains("hunter22"), "{printed}");
        }
        assert!(
            serde_json::from_value::<InvitationCreate>(
                json!({"email": "a@b.example", "role": "admin", "admin": true})
            )
            .is_err()
        );
        assert!(
            serde_json::from_value::<PasswordResetBody>(
                json!({"organization_id": "o", "email": "e", "password": "p"})
            )
            .is_err()
        );
    }
}
