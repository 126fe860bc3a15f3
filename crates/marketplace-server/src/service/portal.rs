//! The customer portal's sign-in: invitations and password resets (emailed through the
//! notification outbox), accepting one, password sign-in with lockout, and sessions.
//!
//! Core holds the rules (`marketplace_core::portal`: password length, lifetimes, lockout, email
//! normalisation, the effective role); this module hashes passwords with argon2id (m = 19456
//! KiB, t = 2, p = 1, on the blocking pool), stores invitation and session tokens as their
//! SHA-256, and turns a session cookie into the same [`CustomerUser`] a token gives.

use crate::crypto::{fill_random, random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::auth::CustomerUser;
use crate::service::state::AppState;
use crate::store::notifications::{NewNotification, Recipient};
use crate::store::portal::{InvitationRecord, NewSession, SessionRecord};
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use marketplace_core::customer::Role;
use marketplace_core::event::{Event, EventType};
use marketplace_core::portal::{
    self, InvitationPurpose, check_password, effective_role, normalize_email,
};
use serde_json::json;
use std::sync::OnceLock;

pub use crate::store::portal::InvitationRecord as Invitation;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "mp_session";

/// What an invitation asks for (the inviter's part; the rest comes from the path).
#[derive(Debug, Clone)]
pub struct NewInvite {
    /// The invitee's email.
    pub email: String,
    /// The invitee's display name.
    pub name: Option<String>,
    /// The role the invitee gets.
    pub role: Role,
    /// The host's user id to sign in as, if chosen.
    pub user_id: Option<String>,
}

/// A session's secret, the cookie's value: shown once, never logged.
#[derive(Clone)]
pub struct SessionSecret(pub String);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret([redacted])")
    }
}

/// A live session: who is signed in, with the effective role.
#[derive(Debug, Clone)]
pub struct Session {
    /// The stored session with its user and customer.
    pub record: SessionRecord,
    /// The effective role (the lower of the user's and the pinned one).
    pub role: Role,
}

/// A session just opened (sign-in or accepted invitation) with its cookie's value.
#[derive(Debug, Clone)]
pub struct OpenedSession {
    /// The cookie's value.
    pub secret: SessionSecret,
    /// The session.
    pub session: Session,
}

/// What an unsafe request (POST, PUT, PATCH, DELETE) with a session cookie must show.
#[derive(Debug, Clone, Copy)]
pub struct CsrfProof<'a> {
    /// The `X-CSRF-Token` header.
    pub csrf_token: Option<&'a str>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
}

fn parse_role(stored: &str) -> Role {
    if stored == "admin" {
        Role::Admin
    } else {
        Role::Viewer
    }
}

fn pinned(stored: Option<&str>) -> Option<Role> {
    stored.map(parse_role)
}

fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password (argon2id PHC string) on the blocking pool.
async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        hasher()
            .hash_password_with_salt(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| ApiError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// A hash no password matches in practice, verified for unknown emails so that they take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        hasher()
            .hash_password_with_salt(random_secret(32).as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .expect("hashing a random password works")
    })
}

/// Whether a password matches a stored hash (on the blocking pool).
async fn verify_password(password: String, hash: Option<String>) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let matches = hasher()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        known && matches
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))
}

/// The origin (`scheme://host[:port]`) of the service's public URL.
pub fn public_origin(public_url: &str) -> &str {
    let start = public_url.find("://").map_or(0, |i| i + 3);
    match public_url[start..].find('/') {
        Some(end) => &public_url[..start + end],
        None => public_url,
    }
}

fn accept_url(state: &AppState, organization_id: &str, token: &str) -> String {
    format!(
        "{}/portal/{organization_id}/accept#token={token}",
        state.settings.public_url.trim_end_matches('/')
    )
}

fn invalid_invitation() -> ApiError {
    ApiError::bad_request(
        "invalid_invitation",
        "the invitation is unknown, used or expired",
    )
}

fn invalid_credentials() -> ApiError {
    ApiError::unauthorized("invalid_credentials", "the email or the password is wrong")
}

fn no_session() -> ApiError {
    ApiError::unauthorized("no_session", "not signed in, or the session has ended")
}

/// Invites a user to a customer: replaces the customer's open invitation of that email, emails
/// the accept link and records `customer_user.invited`; returns the invitation and its link
/// (shown once). 409 `duplicate_email` when a user of the organization has that email.
#[tracing::instrument(name = "portal::invite", level = "debug", skip_all)]
pub async fn invite(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    invite: NewInvite,
) -> ApiResult<(Invitation, String)> {
    let customer = crate::service::customers::get(state, organization_id, customer_id).await?;
    let organization = crate::service::organization::get(state, organization_id).await?;
    let email = normalize_email(&invite.email).map_err(ApiError::field)?;
    let user_id = invite
        .user_id
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    let name = invite
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    let now = now_ms();
    let token = random_secret(32);
    let invitation = InvitationRecord {
        id: new_id("inv"),
        organization_id: organization_id.to_owned(),
        customer_id: customer_id.to_owned(),
        email: email.clone(),
        name,
        role: invite.role.as_str().to_owned(),
        user_id,
        purpose: InvitationPurpose::Invite.as_str().to_owned(),
        expires_at: portal::invitation_expires_at(now),
        created_at: now,
    };
    let mut tx = state.store.begin().await?;
    let existing = store::portal::user_by_email(tx.conn().await?, organization_id, &email).await?;
    let same_user = |(c, u): &(String, String)| {
        c == customer_id && invitation.user_id.as_deref() == Some(u.as_str())
    };
    if existing.as_ref().is_some_and(|found| !same_user(found)) {
        return Err(ApiError::conflict(
            "duplicate_email",
            "a user of the organization already has this email",
        ));
    }
    store::portal::put_invitation(&mut tx, &invitation, &sha256_hex(&token)).await?;
    let event = Event::for_organization(
        EventType::CustomerUserInvited,
        now,
        json!({"invitation_id": invitation.id, "email": invitation.email,
               "name": invitation.name, "role": invitation.role, "user_id": invitation.user_id}),
    )
    .with_customer(&customer.customer.id);
    store::events::record(&mut tx, organization_id, &event).await?;
    let link = accept_url(state, organization_id, &token);
    let body = format!(
        "You are invited to manage the integrations of {customer} with {vendor}.\n\n\
         Choose a password to sign in (the link works once, for 7 days):\n{link}\n",
        customer = customer.customer.name,
        vendor = organization.name,
    );
    let subject = format!("Your invitation to {}", organization.name);
    store::notifications::enqueue(
        &mut tx,
        &NewNotification {
            organization_id,
            recipient: Recipient::Email(vec![email]),
            subject: &subject,
            body: &body,
            now,
        },
    )
    .await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok((invitation, link))
}

/// A page of a customer's open invitations.
#[tracing::instrument(name = "portal::list_invitations", level = "debug", skip_all)]
pub async fn list_invitations(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<Invitation>> {
    crate::service::customers::get(state, organization_id, customer_id).await?;
    Ok(store::portal::list_invitations(&state.store, customer_id, page).await?)
}

/// A customer's open invitation (404 otherwise).
#[tracing::instrument(name = "portal::get_invitation", level = "debug", skip_all)]
pub async fn get_invitation(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> ApiResult<Invitation> {
    crate::service::customers::get(state, organization_id, customer_id).await?;
    store::portal::get_invitation(&state.store, customer_id, id)
        .await?
        .ok_or(ApiError::NotFound("invitation"))
}

/// Withdraws a customer's invitation (its link stops working).
#[tracing::instrument(name = "portal::delete_invitation", level = "debug", skip_all)]
pub async fn delete_invitation(
    state: &AppState,
    organization_id: &str,
    customer_id: &str,
    id: &str,
) -> ApiResult<()> {
    crate::service::customers::get(state, organization_id, customer_id).await?;
    let mut tx = state.store.begin().await?;
    if !store::portal::delete_invitation(&mut tx, customer_id, id).await? {
        return Err(ApiError::NotFound("invitation"));
    }
    tx.commit().await?;
    Ok(())
}

/// Accepts an invitation or a reset link: sets the password (creating the invited user, or
/// ending the user's other sessions on a reset) and opens a session. 422 `/password` first,
/// then 400 `invalid_invitation` for an unknown, used or expired token.
#[tracing::instrument(name = "portal::accept", level = "debug", skip_all)]
pub async fn accept(
    state: &AppState,
    token: &str,
    password: String,
    name: Option<String>,
) -> ApiResult<OpenedSession> {
    check_password(&password).map_err(ApiError::field)?;
    let password_hash = hash_password(password).await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let invitation = store::portal::take_invitation(&mut tx, &sha256_hex(token))
        .await?
        .filter(|i| portal::invitation_is_open(i.expires_at, false, now))
        .ok_or_else(invalid_invitation)?;
    let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    let customer_id = invitation.customer_id.clone();
    let user_id = match InvitationPurpose::parse(&invitation.purpose) {
        Some(InvitationPurpose::Invite) => {
            let user_id = invitation.user_id.clone().unwrap_or_else(|| new_id("usr"));
            let name = name.or_else(|| invitation.name.clone());
            let new = store::portal::put_invited_user(
                &mut tx,
                &invitation,
                &user_id,
                name.as_deref(),
                now,
            )
            .await?;
            let user = store::customers::get_user(&mut tx, &customer_id, &user_id)
                .await?
                .ok_or_else(|| ApiError::Internal("an accepted user vanished".into()))?;
            let event_type = if new {
                EventType::CustomerUserAssigned
            } else {
                EventType::CustomerUserUpdated
            };
            let changed: &[&str] = if new { &[] } else { &["email", "role"] };
            let event = crate::service::customers::user_event(event_type, &user, changed);
            store::events::record(&mut tx, &invitation.organization_id, &event).await?;
            user_id
        }
        Some(InvitationPurpose::Reset) => {
            let user_id = invitation.user_id.clone().ok_or_else(invalid_invitation)?;
            store::customers::get_user(&mut tx, &customer_id, &user_id)
                .await?
                .ok_or_else(invalid_invitation)?;
            store::portal::delete_user_sessions(&mut tx, &customer_id, &user_id, None).await?;
            user_id
        }
        None => return Err(invalid_invitation()),
    };
    store::portal::set_password(&mut tx, &customer_id, &user_id, &password_hash).await?;
    let secret = open_session(
        &mut tx,
        &invitation.organization_id,
        &customer_id,
        &user_id,
        now,
    )
    .await?;
    tx.commit().await?;
    // A reset ended the user's other sessions; an accepted invitation may change a role.
    state.tokens.forget_sessions();
    state.deliveries.wake.notify_one();
    state.tokens.forget_user(&customer_id, &user_id);
    let session = session(state, &secret.0).await?;
    Ok(OpenedSession { secret, session })
}

/// Stores a new session (and the sign-in time) in the caller's transaction; its secret.
async fn open_session(
    tx: &mut store::Tx,
    organization_id: &str,
    customer_id: &str,
    user_id: &str,
    now: i64,
) -> ApiResult<SessionSecret> {
    let secret = random_secret(32);
    let csrf_token = random_secret(32);
    let new = NewSession {
        organization_id,
        customer_id,
        user_id,
        csrf_token: &csrf_token,
        expires_at: portal::session_expires_at(now),
        created_at: now,
    };
    store::portal::insert_session(tx, &sha256_hex(&secret), &new).await?;
    store::portal::record_login(tx, customer_id, user_id, now).await?;
    Ok(SessionSecret(secret))
}

/// Emails a reset link (an accept link of purpose `reset`) when a user of the organization has
/// this email; answers the same either way.
#[tracing::instrument(name = "portal::request_password_reset", level = "debug", skip_all)]
pub async fn request_password_reset(
    state: &AppState,
    organization_id: &str,
    email: &str,
) -> ApiResult<()> {
    let Ok(email) = normalize_email(email) else {
        return Ok(());
    };
    let Some(organization) = store::organizations::get(&state.store, organization_id).await? else {
        return Ok(());
    };
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let Some((customer_id, user_id)) =
        store::portal::user_by_email(tx.conn().await?, organization_id, &email).await?
    else {
        return Ok(());
    };
    let user = store::customers::get_user(&mut tx, &customer_id, &user_id)
        .await?
        .ok_or_else(|| ApiError::Internal("a user vanished".into()))?;
    let token = random_secret(32);
    let reset = InvitationRecord {
        id: new_id("inv"),
        organization_id: organization_id.to_owned(),
        customer_id,
        email: email.clone(),
        name: user.name,
        role: user.role,
        user_id: Some(user_id),
        purpose: InvitationPurpose::Reset.as_str().to_owned(),
        expires_at: portal::invitation_expires_at(now),
        created_at: now,
    };
    store::portal::put_invitation(&mut tx, &reset, &sha256_hex(&token)).await?;
    let link = accept_url(state, organization_id, &token);
    let body = format!(
        "Someone asked to reset your password for the integrations of {vendor}.\n\n\
         Choose a new password (the link works once, for 7 days; your other sessions end):\n\
         {link}\n\nIf it was not you, ignore this email.\n",
        vendor = organization.name,
    );
    let subject = format!("Reset your password for {}", organization.name);
    store::notifications::enqueue(
        &mut tx,
        &NewNotification {
            organization_id,
            recipient: Recipient::Email(vec![email]),
            subject: &subject,
            body: &body,
            now,
        },
    )
    .await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(())
}

/// Signs in with an email and a password: 401 `invalid_credentials` (an unknown email alike,
/// after the same work), 429 `too_many_attempts` while the email is locked (even with the right
/// password).
#[tracing::instrument(name = "portal::login", level = "debug", skip_all)]
pub async fn login(
    state: &AppState,
    organization_id: &str,
    email: &str,
    password: String,
) -> ApiResult<OpenedSession> {
    let email = normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    let organization = store::organizations::get(&state.store, organization_id).await?;
    let now = now_ms();
    if organization.is_some() {
        let mut conn = state.store.read().await?;
        let failures = store::portal::login_failures(&mut conn, organization_id, &email).await?;
        drop(conn);
        if let Some(retry_after_s) = failures.retry_after_s(now) {
            return Err(ApiError::TooManyRequests {
                code: "too_many_attempts",
                detail: "too many failed sign-ins with this email; try again later".into(),
                retry_after_s,
            });
        }
    }
    let credentials = match organization {
        Some(_) => store::portal::credentials(&state.store, organization_id, &email).await?,
        None => None,
    };
    let hash = credentials.as_ref().map(|c| c.password_hash.clone());
    let matches = verify_password(password, hash).await?;
    if organization.is_none() {
        return Err(invalid_credentials());
    }
    let mut tx = state.store.begin().await?;
    let failures = store::portal::login_failures(tx.conn().await?, organization_id, &email).await?;
    let Some(credentials) = credentials.filter(|_| matches) else {
        let failures = failures.after_failure(now);
        store::portal::put_login_failures(&mut tx, organization_id, &email, &failures).await?;
        tx.commit().await?;
        return Err(invalid_credentials());
    };
    let cleared = failures.after_success();
    store::portal::put_login_failures(&mut tx, organization_id, &email, &cleared).await?;
    let secret = open_session(
        &mut tx,
        organization_id,
        &credentials.customer_id,
        &credentials.user_id,
        now,
    )
    .await?;
    tx.commit().await?;
    let session = session(state, &secret.0).await?;
    Ok(OpenedSession { secret, session })
}

/// The live session of a cookie's value (401 `no_session` otherwise).
#[tracing::instrument(name = "portal::session", level = "debug", skip_all)]
pub async fn session(state: &AppState, secret: &str) -> ApiResult<Session> {
    let hash = sha256_hex(secret);
    let now = now_ms();
    if let Some(session) = state.tokens.session(&hash, now) {
        if portal::session_is_live(session.record.expires_at, now) {
            return Ok(session);
        }
        return Err(no_session());
    }
    let record = store::portal::session(&state.store, &hash)
        .await?
        .filter(|s| portal::session_is_live(s.expires_at, now))
        .ok_or_else(no_session)?;
    let role = effective_role(
        parse_role(&record.role),
        pinned(record.pinned_role.as_deref()),
    );
    let session = Session { record, role };
    state.tokens.remember_session(hash, session.clone(), now);
    Ok(session)
}

/// Ends a session (nothing to do when there is none).
#[tracing::instrument(name = "portal::logout", level = "debug", skip_all)]
pub async fn logout(state: &AppState, secret: &str) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    store::portal::delete_session(&mut tx, &sha256_hex(secret)).await?;
    tx.commit().await?;
    state.tokens.forget_sessions();
    Ok(())
}

/// The customer user of a session cookie, for the embedded API. An unsafe request must carry
/// `proof`: the session's CSRF token and the service's own origin (else 403 `csrf_failed`).
#[tracing::instrument(name = "portal::authenticate_session", level = "debug", skip_all)]
pub async fn authenticate_session(
    state: &AppState,
    secret: &str,
    proof: Option<CsrfProof<'_>>,
) -> ApiResult<CustomerUser> {
    let session = session(state, secret).await?;
    if let Some(proof) = proof {
        let token_ok = proof.csrf_token.is_some_and(|given| {
            aws_lc_rs::constant_time::verify_slices_are_equal(
                given.as_bytes(),
                session.record.csrf_token.as_bytes(),
            )
            .is_ok()
        });
        let origin_ok = proof.origin == Some(public_origin(&state.settings.public_url));
        if !(token_ok && origin_ok) {
            return Err(ApiError::forbidden(
                "csrf_failed",
                "a request with a session needs the session's X-CSRF-Token and the service's own Origin",
            ));
        }
    }
    let record = session.record;
    let (marketplace_id, tenant_id) = crate::service::auth::default_scope(
        state,
        &record.organization_id,
        &record.customer_external_id,
    )
    .await?;
    Ok(CustomerUser {
        organization_id: record.organization_id,
        customer_id: record.customer_id,
        customer_external_id: record.customer_external_id,
        user_id: record.user_id,
        role: session.role,
        embedded_config: None,
        marketplace_id,
        tenant_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_origin_drops_the_path() {
        let table = [
            ("https://mp.example", "https://mp.example"),
            ("https://mp.example/", "https://mp.example"),
            ("http://127.0.0.1:8080/base/x", "http://127.0.0.1:8080"),
        ];
        for (url, origin) in table {
            assert_eq!(public_origin(url), origin, "{url}");
        }
    }

    #[test]
    fn hashes_are_argon2id_with_the_contracts_parameters() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        runtime.block_on(async {
            let hash = hash_password("correct horse battery".into()).await.unwrap();
            assert!(
                hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
                "{hash}"
            );
            let ok = verify_password("correct horse battery".into(), Some(hash.clone()));
            assert!(ok.await.unwrap());
            let wrong = verify_password("correct horse battery!".into(), Some(hash));
            assert!(!wrong.await.unwrap());
            assert!(!verify_password("x".into(), None).await.unwrap());
        });
    }
}
