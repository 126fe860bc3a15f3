//! The customer portal (direct sign-in): invitations for the vendor
//! (`/api/v1/customers/{id}/invitations[/{invitation_id}]`) and for customer admins
//! (`/api/v1/embedded/invitations[/{invitation_id}]`), the customer's users in the embedded API
//! (`/api/v1/embedded/users[/{user_id}]`), sign-in (`/api/v1/portal/{accept,login,logout,
//! session,password-reset}`) and the portal page (`/portal/{organization_id}[/accept]`).
//!
//! The session travels in the `mp_session` cookie (`HttpOnly; Secure; SameSite=Strict; Path=/`,
//! 12 hours); the embedded API takes it where no `Authorization` header is sent (see
//! `http::auth`).

use crate::error::{ApiError, ApiResult};
use crate::http::customers::{core_role, user_view};
use crate::http::embed_page::{PageMode, ThemeQuery, render};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery};
use crate::http::{List, decode, page_of, page_request, time::rfc3339};
use crate::service::auth::{Admin, CustomerUser};
use crate::service::customers;
use crate::service::portal::{self, Invitation, NewInvite, OpenedSession, SESSION_COOKIE, Session};
use crate::service::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use marketplace_api::PageQuery;
use marketplace_api::customers::{Role, UserView};
use marketplace_api::portal::{
    AcceptBody, InvitationCreate, InvitationView, LoginBody, NewInvitation, PasswordResetBody,
    SessionCustomer, SessionUser, SessionView,
};
use marketplace_core::permission::{Action, Decision, authorize};
use serde_json::Value;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Routes of the API (documented).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_invitation, list_invitations))
        .routes(routes!(get_invitation, delete_invitation))
        .routes(routes!(
            embedded_create_invitation,
            embedded_list_invitations
        ))
        .routes(routes!(embedded_get_invitation, embedded_delete_invitation))
        .routes(routes!(embedded_list_users))
        .routes(routes!(embedded_delete_user))
        .routes(routes!(portal_accept))
        .routes(routes!(portal_password_reset))
        .routes(routes!(portal_login))
        .routes(routes!(portal_session))
        .routes(routes!(portal_logout))
}

/// The portal page (not part of the JSON API, so not in the OpenAPI document).
pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/portal/{organization_id}", get(portal_page))
        .route("/portal/{organization_id}/accept", get(portal_page))
}

/// The iframe page in portal mode: `<body data-mode="portal" data-organization="...">`,
/// `frame-ancestors 'none'`.
async fn portal_page(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    Query(query): Query<ThemeQuery>,
) -> ApiResult<Response> {
    render(&state, &organization_id, query, PageMode::Portal).await
}

fn invitation_view(invitation: Invitation) -> InvitationView {
    InvitationView {
        id: invitation.id,
        customer_id: invitation.customer_id,
        email: invitation.email,
        name: invitation.name,
        role: Role::from_wire(&invitation.role),
        user_id: invitation.user_id,
        expires_at: rfc3339(invitation.expires_at),
        created_at: rfc3339(invitation.created_at),
    }
}

fn new_invite(body: InvitationCreate) -> ApiResult<NewInvite> {
    Ok(NewInvite {
        role: core_role(&body.role, "/role")?,
        email: body.email,
        name: body.name,
        user_id: body.user_id,
    })
}

fn created((invitation, accept_url): (Invitation, String)) -> (StatusCode, Json<NewInvitation>) {
    let invitation = invitation_view(invitation);
    (
        StatusCode::CREATED,
        Json(NewInvitation {
            invitation,
            accept_url,
        }),
    )
}

/// Checks a customer user may do `action` on their own customer's users (403 for a viewer's
/// write).
fn allow(user: &CustomerUser, action: Action) -> ApiResult<()> {
    let owner = marketplace_core::CustomerId::from(user.customer_id.as_str());
    match authorize(&user.actor(), action, Some(&owner)) {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ApiError::forbidden(
            "forbidden_role",
            "only a customer admin may manage users",
        )),
        Decision::NotFound => Err(ApiError::NotFound("customer")),
    }
}

/// Invite a user to a customer: the email receives an accept link (7 days, single use); inviting
/// the same email again replaces the open invitation. The link is shown once, here.
#[utoipa::path(post, path = "/api/v1/customers/{id}/invitations", tag = "portal", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id")), request_body = InvitationCreate,
    responses((status = 201, body = NewInvitation)))]
async fn create_invitation(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewInvitation>)> {
    customers::get(&state, &admin.organization_id, &id).await?;
    let invite = new_invite(decode(body)?)?;
    let result = portal::invite(&state, &admin.organization_id, &id, invite).await?;
    Ok(created(result))
}

/// List a customer's open invitations.
#[utoipa::path(get, path = "/api/v1/customers/{id}/invitations", tag = "portal", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), PageQuery),
    responses((status = 200, body = List<InvitationView>)))]
async fn list_invitations(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<InvitationView>>> {
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let list = portal::list_invitations(&state, &admin.organization_id, &id, &page).await?;
    Ok(Json(page_of(list, invitation_view)))
}

/// Get a customer's open invitation.
#[utoipa::path(get, path = "/api/v1/customers/{id}/invitations/{invitation_id}", tag = "portal", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 200, body = InvitationView)))]
async fn get_invitation(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, invitation_id)): ApiPath<(String, String)>,
) -> ApiResult<Json<InvitationView>> {
    let invitation =
        portal::get_invitation(&state, &admin.organization_id, &id, &invitation_id).await?;
    Ok(Json(invitation_view(invitation)))
}

/// Withdraw a customer's invitation: its link stops working.
#[utoipa::path(delete, path = "/api/v1/customers/{id}/invitations/{invitation_id}", tag = "portal", security(("api_key" = [])),
    params(("id" = String, Path, description = "Customer id"), ("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 204)))]
async fn delete_invitation(
    State(state): State<AppState>,
    admin: Admin,
    ApiPath((id, invitation_id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    portal::delete_invitation(&state, &admin.organization_id, &id, &invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Invite a user to the caller's customer (customer admins).
#[utoipa::path(post, operation_id = "embedded_create_invitation", path = "/api/v1/embedded/invitations", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])), request_body = InvitationCreate,
    responses((status = 201, body = NewInvitation)))]
async fn embedded_create_invitation(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiJson(body): ApiJson<Value>,
) -> ApiResult<(StatusCode, Json<NewInvitation>)> {
    allow(&user, Action::ManageUsers)?;
    let invite = new_invite(decode(body)?)?;
    let result = portal::invite(&state, &user.organization_id, &user.customer_id, invite).await?;
    Ok(created(result))
}

/// List the open invitations of the caller's customer.
#[utoipa::path(get, operation_id = "embedded_list_invitations", path = "/api/v1/embedded/invitations", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])), params(PageQuery),
    responses((status = 200, body = List<InvitationView>)))]
async fn embedded_list_invitations(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<InvitationView>>> {
    allow(&user, Action::ReadUsers)?;
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let list =
        portal::list_invitations(&state, &user.organization_id, &user.customer_id, &page).await?;
    Ok(Json(page_of(list, invitation_view)))
}

/// Get an open invitation of the caller's customer.
#[utoipa::path(get, operation_id = "embedded_get_invitation", path = "/api/v1/embedded/invitations/{invitation_id}", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])),
    params(("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 200, body = InvitationView)))]
async fn embedded_get_invitation(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(invitation_id): ApiPath<String>,
) -> ApiResult<Json<InvitationView>> {
    allow(&user, Action::ReadUsers)?;
    let invitation = portal::get_invitation(
        &state,
        &user.organization_id,
        &user.customer_id,
        &invitation_id,
    )
    .await?;
    Ok(Json(invitation_view(invitation)))
}

/// Withdraw an invitation of the caller's customer (customer admins).
#[utoipa::path(delete, operation_id = "embedded_delete_invitation", path = "/api/v1/embedded/invitations/{invitation_id}", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])),
    params(("invitation_id" = String, Path, description = "Invitation id")),
    responses((status = 204)))]
async fn embedded_delete_invitation(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(invitation_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    allow(&user, Action::ManageUsers)?;
    portal::delete_invitation(
        &state,
        &user.organization_id,
        &user.customer_id,
        &invitation_id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// List the users of the caller's customer.
#[utoipa::path(get, operation_id = "embedded_list_users", path = "/api/v1/embedded/users", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])), params(PageQuery),
    responses((status = 200, body = List<UserView>)))]
async fn embedded_list_users(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<List<UserView>>> {
    allow(&user, Action::ReadUsers)?;
    let page = page_request(page.limit, page.cursor.as_ref())?;
    let users =
        customers::list_users(&state, &user.organization_id, &user.customer_id, &page).await?;
    Ok(Json(page_of(users, user_view)))
}

/// Remove a user of the caller's customer (customer admins) with their sessions; their tokens
/// issued until now are refused (`token_revoked`). An admin may remove themselves.
#[utoipa::path(delete, operation_id = "embedded_delete_user", path = "/api/v1/embedded/users/{user_id}", tag = "embedded",
    security(("embedded_token" = []), ("portal_session" = [])),
    params(("user_id" = String, Path, description = "User id")), responses((status = 204)))]
async fn embedded_delete_user(
    State(state): State<AppState>,
    user: CustomerUser,
    ApiPath(user_id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    allow(&user, Action::ManageUsers)?;
    customers::delete_user(&state, &user.organization_id, &user.customer_id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn session_view(session: Session) -> SessionView {
    let r = session.record;
    SessionView {
        user: SessionUser {
            id: r.user_id,
            customer_id: r.customer_id.clone(),
            name: r.user_name,
            email: r.user_email,
            role: session.role.into(),
        },
        customer: SessionCustomer {
            id: r.customer_id,
            name: r.customer_name,
            external_id: r.customer_external_id,
            avatar_url: r.customer_avatar_url,
        },
        organization_id: r.organization_id,
        csrf_token: r.csrf_token,
        expires_at: rfc3339(r.expires_at),
    }
}

/// The session cookie with its flags; `value` empty and zero lifetime to clear it.
fn session_cookie(value: String, max_age_ms: i64) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, value))
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .path("/")
        .max_age(time::Duration::milliseconds(max_age_ms))
        .build()
}

fn with_cookie(jar: CookieJar, opened: OpenedSession) -> (CookieJar, Json<SessionView>) {
    let cookie = session_cookie(
        opened.secret.0,
        marketplace_core::portal::SESSION_LIFETIME_MS,
    );
    (jar.add(cookie), Json(session_view(opened.session)))
}

/// Accept an invitation (or a password-reset link) with a new password: signs in (sets the
/// `mp_session` cookie). A reset ends the user's other sessions.
#[utoipa::path(post, path = "/api/v1/portal/accept", tag = "portal", security(()), request_body = AcceptBody,
    responses((status = 201, body = SessionView, headers(("set-cookie" = String, description = "mp_session")))))]
async fn portal_accept(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<AcceptBody>,
) -> ApiResult<(StatusCode, CookieJar, Json<SessionView>)> {
    let opened = portal::accept(&state, &body.token, body.password, body.name).await?;
    let (jar, view) = with_cookie(jar, opened);
    Ok((StatusCode::CREATED, jar, view))
}

/// Ask for a password-reset link: 202 whatever the email; a known one receives an accept link.
#[utoipa::path(post, path = "/api/v1/portal/password-reset", tag = "portal", security(()), request_body = PasswordResetBody,
    responses((status = 202)))]
async fn portal_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PasswordResetBody>,
) -> ApiResult<StatusCode> {
    portal::request_password_reset(&state, &body.organization_id, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sign in with an email and a password (sets the `mp_session` cookie). Five failures in a row
/// lock the email for 15 minutes (429 with `Retry-After`, even with the right password).
#[utoipa::path(post, path = "/api/v1/portal/login", tag = "portal", security(()), request_body = LoginBody,
    responses((status = 200, body = SessionView, headers(("set-cookie" = String, description = "mp_session")))))]
async fn portal_login(
    State(state): State<AppState>,
    jar: CookieJar,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<(CookieJar, Json<SessionView>)> {
    let opened = portal::login(&state, &body.organization_id, &body.email, body.password).await?;
    Ok(with_cookie(jar, opened))
}

/// The current session (401 `no_session` when signed out).
#[utoipa::path(get, path = "/api/v1/portal/session", tag = "portal", security(("portal_session" = [])),
    responses((status = 200, body = SessionView)))]
async fn portal_session(
    State(state): State<AppState>,
    jar: CookieJar,
) -> ApiResult<Json<SessionView>> {
    let secret = jar
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    let session = portal::session(&state, &secret).await?;
    Ok(Json(session_view(session)))
}

/// Sign out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/api/v1/portal/logout", tag = "portal", security(()), responses((status = 204)))]
async fn portal_logout(
    State(state): State<AppState>,
    jar: CookieJar,
) -> ApiResult<(StatusCode, CookieJar)> {
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        portal::logout(&state, cookie.value()).await?;
    }
    let jar = jar.add(session_cookie(String::new(), 0));
    Ok((StatusCode::NO_CONTENT, jar))
}
