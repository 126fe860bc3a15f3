//! Single sign-on into the vendor's product. An instance's integration, through the latest
//! published revision of its event configuration, says how its users sign in: a bookmark (a
//! link expanded by core's `sso::expand_bookmark`) or the service as an OpenID Provider.
//!
//! The OpenID flow: `launch` gives the embedded user a single-use ticket (60 s); opening it
//! (`open_launch`) starts a browser session (the `mp_sso` cookie, 10 min) and sends the browser
//! to the vendor's `initiate_login_url`; the vendor's authorization request (`authorize`, PKCE
//! S256) gets a single-use code (60 s), which its back end trades (`exchange`, client secret)
//! for an ID token signed with the service's ES256 key and an access token for `userinfo`.
//! Every ticket, session, code, token and client secret is stored as its SHA-256.

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::auth::CustomerUser;
use crate::service::state::AppState;
use crate::store::sso::{Grant, GrantKind, SsoTarget, StoredKey};
use crate::store::{self, Conn, now_ms};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use marketplace_core::Instance;
use marketplace_core::customer::Role;
use marketplace_core::event_config::{OidcClientMode, Sso};
use marketplace_core::instance::InstanceStatus;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The browser session's cookie.
pub const SESSION_COOKIE: &str = "mp_sso";
/// How long a launch ticket lives (seconds).
pub const TICKET_LIFETIME_S: i64 = 60;
/// How long a browser session lives (seconds).
pub const SESSION_LIFETIME_S: i64 = 600;
/// How long an authorization code lives (seconds).
pub const CODE_LIFETIME_S: i64 = 60;
/// How long an access token lives (seconds).
pub const ACCESS_LIFETIME_S: i64 = 600;
/// How long an ID token lives (seconds).
pub const ID_TOKEN_LIFETIME_S: i64 = 300;

/// A signing key, ready to sign and to publish.
struct SigningKey {
    kid: String,
    encoding: jsonwebtoken::EncodingKey,
    /// The public point's coordinates, base64url.
    x: String,
    y: String,
}

/// The OpenID Provider's keys, loaded (or created) on first use and kept.
#[derive(Default)]
pub struct SsoCache {
    keys: Mutex<Option<Arc<Vec<SigningKey>>>>,
}

impl std::fmt::Debug for SsoCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SsoCache([redacted])")
    }
}

/// A public key of the provider: its id and P-256 point (base64url coordinates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id.
    pub kid: String,
    /// x coordinate.
    pub x: String,
    /// y coordinate.
    pub y: String,
}

fn signing_key(stored: &StoredKey) -> ApiResult<SigningKey> {
    let bad = || ApiError::Internal(format!("the SSO signing key {} does not load", stored.kid));
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &stored.pkcs8)
        .map_err(|_| bad())?;
    // The uncompressed point: 0x04, x (32 bytes), y (32 bytes).
    let point = pair.public_key().as_ref();
    if point.len() != 65 {
        return Err(bad());
    }
    Ok(SigningKey {
        kid: stored.kid.clone(),
        encoding: jsonwebtoken::EncodingKey::from_ec_der(&stored.pkcs8),
        x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        y: URL_SAFE_NO_PAD.encode(&point[33..]),
    })
}

/// The provider's keys, oldest first; the first signs. Created once per database: when two
/// processes create one at the same time, both then sign with the older.
async fn keys(state: &AppState) -> ApiResult<Arc<Vec<SigningKey>>> {
    if let Some(keys) = state.sso.keys.lock().expect("not poisoned").clone() {
        return Ok(keys);
    }
    let mut stored = store::sso::signing_keys(&state.store).await?;
    if stored.is_empty() {
        let document =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| ApiError::Internal("no SSO signing key could be generated".into()))?;
        let pkcs8 = document.as_ref().to_vec();
        let created = StoredKey {
            kid: format!("sso_{}", &sha256_hex(&URL_SAFE_NO_PAD.encode(&pkcs8))[..16]),
            pkcs8,
            created_at: now_ms(),
        };
        store::sso::insert_signing_key(&state.store, &created).await?;
        stored = store::sso::signing_keys(&state.store).await?;
    }
    let keys = Arc::new(
        stored
            .iter()
            .map(signing_key)
            .collect::<ApiResult<Vec<_>>>()?,
    );
    *state.sso.keys.lock().expect("not poisoned") = Some(keys.clone());
    Ok(keys)
}

/// The provider's public keys (`/oidc/jwks`).
#[tracing::instrument(name = "sso::public_keys", level = "debug", skip_all)]
pub async fn public_keys(state: &AppState) -> ApiResult<Vec<PublicKey>> {
    Ok(keys(state)
        .await?
        .iter()
        .map(|k| PublicKey {
            kid: k.kid.clone(),
            x: k.x.clone(),
            y: k.y.clone(),
        })
        .collect())
}

/// The issuer: the service's public URL.
pub fn issuer(state: &AppState) -> String {
    state.settings.public_url.trim_end_matches('/').to_owned()
}

/// What an instance's users open to sign in, when its configuration has SSO: the expanded
/// bookmark, or the service's launch page. Null otherwise.
fn launch_url(state: &AppState, target: &SsoTarget) -> String {
    match &target.sso {
        Sso::Bookmark { url } => marketplace_core::sso::expand_bookmark(
            url,
            &target.customer_external_id,
            &target.instance_id,
        ),
        Sso::Oidc { .. } => format!("{}/sso/launch/{}", issuer(state), target.instance_id),
    }
}

/// The launch URLs of those of `instances` that have SSO, by instance id: one query for them
/// all (on a read connection or in a transaction).
#[tracing::instrument(name = "sso::launch_urls", level = "debug", skip_all)]
pub async fn launch_urls(
    state: &AppState,
    conn: &mut Conn,
    instances: &[&Instance],
) -> ApiResult<HashMap<String, String>> {
    let ids: Vec<&str> = instances.iter().map(|i| i.id.as_str()).collect();
    Ok(store::sso::targets(conn, &ids)
        .await?
        .iter()
        .map(|t| (t.instance_id.clone(), launch_url(state, t)))
        .collect())
}

/// The SSO of one instance, if its configuration has any.
async fn target(state: &AppState, instance_id: &str) -> ApiResult<Option<SsoTarget>> {
    let mut conn = state.store.read().await?;
    Ok(store::sso::targets(&mut conn, &[instance_id])
        .await?
        .into_iter()
        .next())
}

fn not_configured() -> ApiError {
    ApiError::conflict(
        "sso_not_configured",
        "the instance's integration has no single sign-on",
    )
}

fn not_active() -> ApiError {
    ApiError::conflict(
        "instance_not_active",
        "only an active instance can be launched",
    )
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Viewer => "viewer",
    }
}

/// Where the embedded user signs in to an active instance of theirs now: the expanded bookmark,
/// or a single-use launch link (60 s) bound to the instance, the customer, the user and the role.
/// 409 `sso_not_configured` without SSO, 409 `instance_not_active` unless active.
#[tracing::instrument(name = "sso::launch", level = "debug", skip_all)]
pub async fn launch(
    state: &AppState,
    user: &CustomerUser,
    instance: &Instance,
) -> ApiResult<String> {
    let target = target(state, instance.id.as_str())
        .await?
        .ok_or_else(not_configured)?;
    if instance.status != InstanceStatus::Active {
        return Err(not_active());
    }
    match &target.sso {
        Sso::Bookmark { .. } => Ok(launch_url(state, &target)),
        Sso::Oidc { .. } => {
            let ticket = random_secret(32);
            let now = now_ms();
            let grant = Grant {
                organization_id: user.organization_id.clone(),
                instance_id: instance.id.to_string(),
                customer_id: user.customer_id.clone(),
                user_id: user.user_id.clone(),
                role: role_name(user.role).to_owned(),
                client_id: None,
                redirect_uri: None,
                code_challenge: None,
                nonce: None,
                expires_at: now + TICKET_LIFETIME_S * 1000,
            };
            store::sso::insert_grant(
                &state.store,
                &sha256_hex(&ticket),
                GrantKind::Ticket,
                &grant,
                now,
            )
            .await?;
            Ok(format!("{}?ticket={ticket}", launch_url(state, &target)))
        }
    }
}

/// An opened launch link: the browser's new session and where it goes next.
#[derive(Clone)]
pub struct Launched {
    /// The session id (the `mp_sso` cookie's value).
    pub session: String,
    /// The vendor's `initiate_login_url` with `iss`, `login_hint` and `target_link_uri`.
    pub location: String,
}

impl std::fmt::Debug for Launched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Launched")
            .field("session", &"[redacted]")
            .field("location", &self.location)
            .finish()
    }
}

/// `url` with `pairs` added to its query.
fn with_query(url: &str, pairs: &[(&str, &str)]) -> ApiResult<String> {
    let mut url = url::Url::parse(url)
        .map_err(|e| ApiError::Internal(format!("a configured SSO URL does not parse: {e}")))?;
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in pairs {
            query.append_pair(name, value);
        }
    }
    Ok(url.into())
}

/// Opens a launch link: consumes its ticket (401 `invalid_ticket` when unknown, used, expired
/// or for another instance; 409 `instance_not_active` when the instance stopped being active),
/// starts a session for the ticket's user, and says where to go.
#[tracing::instrument(name = "sso::open_launch", level = "debug", skip_all)]
pub async fn open_launch(state: &AppState, instance_id: &str, ticket: &str) -> ApiResult<Launched> {
    let invalid = || {
        ApiError::unauthorized(
            "invalid_ticket",
            "the launch link is unknown, used or expired",
        )
    };
    let now = now_ms();
    let grant = store::sso::take_grant(&state.store, &sha256_hex(ticket), GrantKind::Ticket, now)
        .await?
        .filter(|g| g.instance_id == instance_id)
        .ok_or_else(invalid)?;
    let target = target(state, instance_id).await?;
    if target
        .as_ref()
        .is_some_and(|t| t.status != InstanceStatus::Active)
    {
        return Err(not_active());
    }
    let Some(Sso::Oidc {
        redirect_urls,
        initiate_login_url,
        ..
    }) = target.as_ref().map(|t| &t.sso)
    else {
        return Err(not_configured());
    };
    let session = random_secret(32);
    let session_grant = Grant {
        expires_at: now + SESSION_LIFETIME_S * 1000,
        ..grant.clone()
    };
    store::sso::insert_grant(
        &state.store,
        &sha256_hex(&session),
        GrantKind::Session,
        &session_grant,
        now,
    )
    .await?;
    let issuer = issuer(state);
    let login_hint = format!("{}/{}", grant.customer_id, grant.user_id);
    let mut pairs = vec![
        ("iss", issuer.as_str()),
        ("login_hint", login_hint.as_str()),
    ];
    if let Some(first) = redirect_urls.first() {
        pairs.push(("target_link_uri", first.as_str()));
    }
    Ok(Launched {
        session,
        location: with_query(initiate_login_url, &pairs)?,
    })
}

/// The query of an authorization request (OpenID Connect, code flow with PKCE).
#[derive(Debug, Clone, Default)]
pub struct AuthorizeRequest {
    /// `code`.
    pub response_type: Option<String>,
    /// The relying party: an instance id or an event configuration id.
    pub client_id: Option<String>,
    /// One of the configured redirect URLs, exactly.
    pub redirect_uri: Option<String>,
    /// Must include `openid`.
    pub scope: Option<String>,
    /// Echoed.
    pub state: Option<String>,
    /// Put in the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge.
    pub code_challenge: Option<String>,
    /// `S256`.
    pub code_challenge_method: Option<String>,
}

/// Answers an authorization request with the URL to redirect to: the relying party's
/// `redirect_uri` with a code (or with an OAuth2 `error`). Problems instead of redirects when no
/// redirect can be trusted: 400 `invalid_request` (no client or redirect URI), 401
/// `login_required` (no session), 409 `sso_not_configured`, 400 `unauthorized_client` (the
/// client is not the session's instance's), 400 `invalid_redirect_uri` (not configured).
#[tracing::instrument(name = "sso::authorize", level = "debug", skip_all)]
pub async fn authorize(
    state: &AppState,
    session: Option<&str>,
    request: &AuthorizeRequest,
) -> ApiResult<String> {
    let (Some(client_id), Some(redirect_uri)) = (&request.client_id, &request.redirect_uri) else {
        return Err(ApiError::bad_request(
            "invalid_request",
            "client_id and redirect_uri are required",
        ));
    };
    let now = now_ms();
    let login_required = || ApiError::unauthorized("login_required", "no single sign-on session");
    let session = match session {
        Some(s) => store::sso::grant(&state.store, &sha256_hex(s), GrantKind::Session, now).await?,
        None => None,
    }
    .ok_or_else(login_required)?;
    let target = target(state, &session.instance_id)
        .await?
        .ok_or_else(not_configured)?;
    let Sso::Oidc {
        client,
        redirect_urls,
        ..
    } = &target.sso
    else {
        return Err(not_configured());
    };
    let expected = match client {
        OidcClientMode::PerInstance => &target.instance_id,
        OidcClientMode::Shared => &target.configuration_id,
    };
    if client_id != expected {
        return Err(ApiError::bad_request(
            "unauthorized_client",
            "the client is not the relying party of the signed-in instance",
        ));
    }
    if !redirect_urls.contains(redirect_uri) {
        return Err(ApiError::bad_request(
            "invalid_redirect_uri",
            "redirect_uri is not one of the configured redirect URLs",
        ));
    }
    let state_pair = request.state.as_deref().map(|s| ("state", s));
    let error = |code: &str| {
        let mut pairs = vec![("error", code)];
        pairs.extend(state_pair);
        with_query(redirect_uri, &pairs)
    };
    // Paused, deactivated (or not yet confirmed) since the launch: no sign-in.
    if target.status != InstanceStatus::Active {
        return error("access_denied");
    }
    if request.response_type.as_deref() != Some("code") {
        return error("unsupported_response_type");
    }
    if !request
        .scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|s| s == "openid"))
    {
        return error("invalid_scope");
    }
    let Some(challenge) = request
        .code_challenge
        .as_ref()
        .filter(|_| request.code_challenge_method.as_deref() == Some("S256"))
    else {
        return error("invalid_request");
    };
    let code = random_secret(32);
    let grant = Grant {
        client_id: Some(client_id.clone()),
        redirect_uri: Some(redirect_uri.clone()),
        code_challenge: Some(challenge.clone()),
        nonce: request.nonce.clone(),
        expires_at: now + CODE_LIFETIME_S * 1000,
        ..session
    };
    store::sso::insert_grant(
        &state.store,
        &sha256_hex(&code),
        GrantKind::Code,
        &grant,
        now,
    )
    .await?;
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(state_pair);
    with_query(redirect_uri, &pairs)
}

/// A token request (authorization code grant), its client authenticated by the caller's choice
/// of HTTP Basic or form credentials.
#[derive(Debug, Clone)]
pub struct TokenRequest<'a> {
    /// `authorization_code`.
    pub grant_type: &'a str,
    /// The code.
    pub code: &'a str,
    /// The authorization request's redirect URI.
    pub redirect_uri: &'a str,
    /// The PKCE verifier.
    pub code_verifier: &'a str,
    /// The client id.
    pub client_id: &'a str,
    /// The client secret.
    pub client_secret: &'a str,
}

/// What the token endpoint answers.
#[derive(Clone)]
pub struct Tokens {
    /// For `userinfo`.
    pub access_token: String,
    /// Seconds it lives.
    pub expires_in: i64,
    /// The signed ID token.
    pub id_token: String,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens([redacted])")
    }
}

/// Trades a code for tokens: 400 `unsupported_grant_type`, 401 `invalid_client` (unknown client
/// or secret; checked before the code is spent), 400 `invalid_grant` (code unknown, used,
/// expired, for another client or redirect URI, PKCE verifier wrong, SSO no longer configured,
/// the instance no longer active).
#[tracing::instrument(name = "sso::exchange", level = "debug", skip_all)]
pub async fn exchange(state: &AppState, request: TokenRequest<'_>) -> ApiResult<Tokens> {
    if request.grant_type != "authorization_code" {
        return Err(ApiError::bad_request(
            "unsupported_grant_type",
            "only the authorization_code grant is supported",
        ));
    }
    let organization_id = store::sso::client_organization(
        &state.store,
        request.client_id,
        &sha256_hex(request.client_secret),
    )
    .await?
    .ok_or_else(|| ApiError::unauthorized("invalid_client", "unknown client id or secret"))?;
    let invalid_grant = |detail: &str| ApiError::bad_request("invalid_grant", detail);
    let now = now_ms();
    let grant = store::sso::take_grant(
        &state.store,
        &sha256_hex(request.code),
        GrantKind::Code,
        now,
    )
    .await?
    .ok_or_else(|| invalid_grant("the code is unknown, used or expired"))?;
    if grant.organization_id != organization_id
        || grant.client_id.as_deref() != Some(request.client_id)
    {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if grant.redirect_uri.as_deref() != Some(request.redirect_uri) {
        return Err(invalid_grant(
            "redirect_uri differs from the authorization request's",
        ));
    }
    let challenge = grant.code_challenge.as_deref().unwrap_or_default();
    if !marketplace_core::sso::pkce_s256_matches(request.code_verifier, challenge) {
        return Err(invalid_grant(
            "the code verifier does not match the challenge",
        ));
    }
    let target = target(state, &grant.instance_id)
        .await?
        .filter(|t| matches!(t.sso, Sso::Oidc { .. }))
        .ok_or_else(|| invalid_grant("the instance no longer has single sign-on"))?;
    if target.status != InstanceStatus::Active {
        return Err(invalid_grant("the instance is no longer active"));
    }
    let (email, name) = store::sso::user_profile(&state.store, &grant.customer_id, &grant.user_id)
        .await?
        .unwrap_or_default();
    let now_s = now / 1000;
    let claims = marketplace_core::sso::id_token_claims(
        &issuer(state),
        request.client_id,
        &grant.customer_id,
        &grant.user_id,
        email.as_deref(),
        name.as_deref(),
        &grant.role,
        &target.customer_external_id,
        &grant.instance_id,
        target.account_identifier.as_deref(),
        grant.nonce.as_deref(),
        now_s,
        ID_TOKEN_LIFETIME_S,
    );
    let keys = keys(state).await?;
    let key = keys
        .first()
        .ok_or_else(|| ApiError::Internal("no SSO signing key".into()))?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    let id_token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|e| ApiError::Internal(format!("an ID token could not be signed: {e}")))?;
    let access_token = random_secret(32);
    let access = Grant {
        nonce: None,
        code_challenge: None,
        expires_at: now + ACCESS_LIFETIME_S * 1000,
        ..grant
    };
    store::sso::insert_grant(
        &state.store,
        &sha256_hex(&access_token),
        GrantKind::Access,
        &access,
        now,
    )
    .await?;
    Ok(Tokens {
        access_token,
        expires_in: ACCESS_LIFETIME_S,
        id_token,
    })
}

/// The signed-in user's claims, as `userinfo` answers them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserClaims {
    /// `{customer_id}/{user_id}`.
    pub sub: String,
    /// Email.
    pub email: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Role (wire name).
    pub role: String,
    /// The vendor's id of the customer.
    pub customer_external_id: String,
    /// The instance.
    pub instance_id: String,
}

/// The claims of an access token's user (401 `invalid_token` when unknown or expired).
#[tracing::instrument(name = "sso::userinfo", level = "debug", skip_all)]
pub async fn userinfo(state: &AppState, access_token: &str) -> ApiResult<UserClaims> {
    let invalid = || ApiError::unauthorized("invalid_token", "unknown or expired access token");
    let grant = store::sso::grant(
        &state.store,
        &sha256_hex(access_token),
        GrantKind::Access,
        now_ms(),
    )
    .await?
    .ok_or_else(invalid)?;
    let target = target(state, &grant.instance_id)
        .await?
        .ok_or_else(invalid)?;
    let (email, name) = store::sso::user_profile(&state.store, &grant.customer_id, &grant.user_id)
        .await?
        .unwrap_or_default();
    Ok(UserClaims {
        sub: format!("{}/{}", grant.customer_id, grant.user_id),
        email,
        name,
        role: grant.role,
        customer_external_id: target.customer_external_id,
        instance_id: grant.instance_id,
    })
}

/// Gives a relying party a new secret (the old one stops working); returns it, to show once.
async fn rotate(state: &AppState, organization_id: &str, client_id: &str) -> ApiResult<String> {
    let secret = format!("mpsso_{}", random_secret(32));
    let mut tx = state.store.begin().await?;
    store::sso::set_client(
        &mut tx,
        client_id,
        organization_id,
        &sha256_hex(&secret),
        now_ms(),
    )
    .await?;
    tx.commit().await?;
    Ok(secret)
}

/// A new secret for the per-instance client of one of the organization's instances (404 when
/// not found; 409 `sso_not_configured` unless its integration's published configuration makes
/// per-instance OpenID clients); its client id is the instance id.
#[tracing::instrument(name = "sso::rotate_instance_client", level = "debug", skip_all)]
pub async fn rotate_instance_client(
    state: &AppState,
    organization_id: &str,
    instance_id: &str,
) -> ApiResult<String> {
    crate::service::instances::load(state, organization_id, instance_id, None).await?;
    let per_instance = target(state, instance_id).await?.is_some_and(|t| {
        matches!(
            t.sso,
            Sso::Oidc {
                client: OidcClientMode::PerInstance,
                ..
            }
        )
    });
    if !per_instance {
        return Err(ApiError::conflict(
            "sso_not_configured",
            "the instance's integration has no per-instance OpenID client (see its event configuration's sso)",
        ));
    }
    rotate(state, organization_id, instance_id).await
}

/// A new secret for the shared client of one of the organization's event configurations (404
/// when not found; 409 `sso_not_configured` unless its working draft or published revision
/// makes a shared OpenID client); its client id is the configuration id.
#[tracing::instrument(name = "sso::rotate_configuration_client", level = "debug", skip_all)]
pub async fn rotate_configuration_client(
    state: &AppState,
    organization_id: &str,
    configuration_id: &str,
) -> ApiResult<String> {
    let configuration =
        crate::service::event_configurations::get(state, organization_id, configuration_id).await?;
    let shared = |snapshot: &marketplace_core::event_config::EventSnapshot| {
        matches!(
            snapshot.sso,
            Some(Sso::Oidc {
                client: OidcClientMode::Shared,
                ..
            })
        )
    };
    if !(shared(&configuration.working) || configuration.published.as_ref().is_some_and(shared)) {
        return Err(ApiError::conflict(
            "sso_not_configured",
            "the configuration's sso is not an OpenID client shared by its instances",
        ));
    }
    rotate(state, organization_id, configuration_id).await
}
