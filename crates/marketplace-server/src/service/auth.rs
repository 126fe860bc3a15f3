//! Who is calling: admin API keys and embedded tokens (the `http` layer's extractors call
//! [`authenticate_api_key`] and [`authenticate_token`]).
//!
//! Embedded tokens are verified with the public key registered under (organization, `kid`), the
//! algorithm pinned to that key; core then checks the claims (lifetime, skew, organization,
//! audience, role). Verified tokens are cached by their SHA-256 until they expire, so a hot read
//! path costs no signature check; on first sight the customer and the user are created. A token
//! issued before its user or customer was deleted is refused (`token_revoked`).
//!
//! A token browses one marketplace: its `marketplace` claim (a key; absent: the default; unknown:
//! 401 `unknown_marketplace`). Its `tenant` claim (a key; unknown: 401 `unknown_tenant`) sets the
//! customer's tenant (event `customer.updated`). A partner's signing key (one with a
//! marketplace) signs only for its marketplace and its tenant's customers, new ones joining it
//! (core's `token::partner_scope`: 401 `marketplace_mismatch`, `tenant_mismatch`). A browser's
//! `Origin` must be allowed by the organization or by that marketplace (403
//! `origin_not_allowed`). The marketplaces and tenants come from `service::marketplaces`'
//! directory, the customer's tenant from this module's cache: a cached token does no SQL on
//! SQLite.

use crate::crypto::sha256_hex;
use crate::error::{ApiError, ApiResult};
use crate::service::marketplaces;
use crate::service::state::AppState;
use crate::store::{self, new_id, now_ms};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use marketplace_core::api_key::{self, ApiKeyRole, KeyAccess};
use marketplace_core::customer::Role;
use marketplace_core::event::{Event, EventType};
use marketplace_core::permission::Actor;
use marketplace_core::token::{TokenCustomer, TokenScope, partner_scope};
use marketplace_core::{Customer, EmbeddedClaims};
use marketplace_core::{MarketplaceId, TenantId};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// The vendor, authenticated by an admin API key (the `http` extractor also checks that the
/// key's role may make the request: reviewer keys only read).
#[derive(Debug, Clone)]
pub struct Admin {
    /// The organization the key belongs to.
    pub organization_id: String,
    /// The key's id.
    pub key_id: String,
    /// The key's role.
    pub role: ApiKeyRole,
}

/// An API key deciding something filed for review (a workflow template): an admin or a
/// reviewer key; its id is compared with the submitter's (`self_review`).
#[derive(Debug, Clone)]
pub struct Decider {
    /// The organization the key belongs to.
    pub organization_id: String,
    /// The deciding key's id.
    pub key_id: String,
}

/// A customer user, authenticated by a signed embedded token.
#[derive(Debug, Clone)]
pub struct CustomerUser {
    /// The organization.
    pub organization_id: String,
    /// The service's id of the customer.
    pub customer_id: String,
    /// The host app's id of the customer (the token's `customer`).
    pub customer_external_id: String,
    /// The user (`sub`).
    pub user_id: String,
    /// The effective role: the lower of the token's (or the session user's) role and the role
    /// the vendor pinned.
    pub role: Role,
    /// Values of embedded variables from the token.
    pub embedded_config: Option<Map<String, Value>>,
    /// The marketplace the user browses (the token's `marketplace`, or the default).
    pub marketplace_id: String,
    /// The customer's tenant, if any.
    pub tenant_id: Option<String>,
}

impl CustomerUser {
    /// The actor for core's permission function.
    pub fn actor(&self) -> Actor {
        Actor::CustomerUser {
            customer_id: self.customer_id.as_str().into(),
            role: self.role,
        }
    }
}

/// The holder of an admin API key (401 when no key matches), if its role allows `access`
/// (else 403 `forbidden_role`: core's `api_key::allows` decides).
#[tracing::instrument(name = "auth::authenticate_api_key", level = "debug", skip_all)]
pub async fn authenticate_api_key(
    state: &AppState,
    key: &str,
    access: KeyAccess,
) -> ApiResult<Admin> {
    let holder = store::api_keys::holder_of(&state.store, &sha256_hex(key))
        .await?
        .ok_or_else(|| ApiError::unauthorized("invalid_api_key", "the API key is not valid"))?;
    let role = ApiKeyRole::from_name(&holder.role)
        .ok_or_else(|| ApiError::Internal(format!("API key {} has no known role", holder.id)))?;
    if !api_key::allows(role, access) {
        return Err(ApiError::forbidden(
            "forbidden_role",
            "a reviewer API key only reads and decides what is filed for review",
        ));
    }
    Ok(Admin {
        organization_id: holder.organization_id,
        key_id: holder.id,
        role,
    })
}

/// A public key registered by a host app.
#[derive(Debug)]
pub struct SigningKey {
    /// The algorithm pinned to the key.
    pub algorithm: Algorithm,
    /// The parsed key.
    pub key: DecodingKey,
    /// A partner's key signs only for this marketplace (`None`: the vendor's, for every one).
    pub marketplace_id: Option<String>,
}

/// Parses a PEM public key for an algorithm name (`RS256`, `ES256`, `EdDSA`).
pub fn parse_signing_key(algorithm: &str, pem: &str) -> Result<SigningKey, String> {
    let (algorithm, key) = match algorithm {
        "RS256" => (Algorithm::RS256, DecodingKey::from_rsa_pem(pem.as_bytes())),
        "ES256" => (Algorithm::ES256, DecodingKey::from_ec_pem(pem.as_bytes())),
        "EdDSA" => (Algorithm::EdDSA, DecodingKey::from_ed_pem(pem.as_bytes())),
        other => {
            return Err(format!(
                "unsupported algorithm `{other}`; expected RS256, ES256 or EdDSA"
            ));
        }
    };
    key.map(|key| SigningKey {
        algorithm,
        key,
        marketplace_id: None,
    })
    .map_err(|e| format!("not a valid public key for this algorithm: {e}"))
}

#[derive(Debug, Clone)]
struct Verified {
    claims: EmbeddedClaims,
    key_marketplace: Option<String>,
}

/// A customer a token named: its id, its tenant, and when the tenant was read (Unix ms).
#[derive(Debug, Clone)]
struct KnownCustomer {
    id: String,
    tenant_id: Option<String>,
    read_at: i64,
}

/// In-memory caches of the authentication path.
#[derive(Debug, Default)]
pub struct TokenCache {
    verified: Mutex<HashMap<String, Verified>>,
    keys: Mutex<HashMap<(String, String), Arc<SigningKey>>>,
    customers: Mutex<HashMap<(String, String), KnownCustomer>>,
    users: Mutex<HashMap<SeenUser, PinRead>>,
    origins: Mutex<HashMap<String, Arc<Vec<String>>>>,
    all_origins: Mutex<Option<Arc<HashSet<String>>>>,
    sessions: Mutex<HashMap<String, (super::portal::Session, i64)>>,
}

/// A user seen with a token's role: (customer id, user id, the token's role).
type SeenUser = (String, String, Role);

/// The role pinned to a seen user, and when it was read (Unix ms).
type PinRead = (Option<Role>, i64);

const MAX_CACHED_TOKENS: usize = 100_000;

/// How long a portal session read from the database is trusted (ms): a session another process
/// ended (sign-out, deleted user, password reset) is refused here within this time; this
/// process forgets its copies at once.
const SESSION_TTL_MS: i64 = 2_000;

impl TokenCache {
    /// Forgets every verified token and key of an organization's signing keys (after a key change).
    pub fn forget_keys(&self) {
        self.keys.lock().expect("lock").clear();
        self.verified.lock().expect("lock").clear();
    }

    /// A portal session read less than [`SESSION_TTL_MS`] ago, by the hash of its cookie.
    pub fn session(&self, hash: &str, now: i64) -> Option<super::portal::Session> {
        let sessions = self.sessions.lock().expect("lock");
        sessions
            .get(hash)
            .filter(|(_, read_at)| now - read_at < SESSION_TTL_MS)
            .map(|(session, _)| session.clone())
    }

    /// Remembers a portal session read from the database at `now`.
    pub fn remember_session(&self, hash: String, session: super::portal::Session, now: i64) {
        let mut sessions = self.sessions.lock().expect("lock");
        if sessions.len() >= MAX_CACHED_TOKENS {
            sessions.retain(|_, (_, read_at)| now - *read_at < SESSION_TTL_MS);
        }
        sessions.insert(hash, (session, now));
    }

    /// Forgets every cached portal session (after a sign-out, a reset, or a change of a user or
    /// customer).
    pub fn forget_sessions(&self) {
        self.sessions.lock().expect("lock").clear();
    }

    /// Forgets what is known of a customer (after it is deleted or changed).
    pub fn forget_customer(&self, customer_id: &str) {
        self.forget_sessions();
        self.customers
            .lock()
            .expect("lock")
            .retain(|_, known| known.id != customer_id);
        self.users
            .lock()
            .expect("lock")
            .retain(|(c, _, _), _| c != customer_id);
    }

    /// Forgets every customer's tenant and every user's pinned role (the listener of cache
    /// notifications connected again: some may have been missed).
    pub fn forget_identities(&self) {
        self.forget_sessions();
        self.customers.lock().expect("lock").clear();
        self.users.lock().expect("lock").clear();
    }

    /// Forgets the allowed origins (after an organization changes them).
    pub fn forget_origins(&self) {
        self.origins.lock().expect("lock").clear();
        *self.all_origins.lock().expect("lock") = None;
    }

    /// Every origin some organization allows, when known.
    pub fn all_origins(&self) -> Option<Arc<HashSet<String>>> {
        self.all_origins.lock().expect("lock").clone()
    }

    /// Remembers every origin some organization allows.
    pub fn set_all_origins(&self, origins: HashSet<String>) {
        *self.all_origins.lock().expect("lock") = Some(Arc::new(origins));
    }

    /// Forgets a user (after it is deleted or changed).
    pub fn forget_user(&self, customer_id: &str, user_id: &str) {
        self.forget_sessions();
        self.users
            .lock()
            .expect("lock")
            .retain(|(c, u, _), _| !(c == customer_id && u == user_id));
    }

    /// Forgets every cached token of a user (after the user is deleted).
    pub fn forget_user_tokens(
        &self,
        organization_id: &str,
        customer_external_id: &str,
        user_id: &str,
    ) {
        self.verified.lock().expect("lock").retain(|_, v| {
            !(v.claims.organization.as_str() == organization_id
                && v.claims.customer == customer_external_id
                && v.claims.sub == user_id)
        });
    }

    /// Forgets every cached token of an organization's customers.
    pub fn forget_organization_tokens(&self, organization_id: &str) {
        self.verified
            .lock()
            .expect("lock")
            .retain(|_, v| v.claims.organization.as_str() != organization_id);
    }

    /// Forgets every cached token of a customer's users (after the customer is deleted).
    pub fn forget_customer_tokens(&self, organization_id: &str, customer_external_id: &str) {
        self.verified.lock().expect("lock").retain(|_, v| {
            !(v.claims.organization.as_str() == organization_id
                && v.claims.customer == customer_external_id)
        });
    }
}

fn token_error(code: &'static str, detail: impl Into<String>) -> ApiError {
    ApiError::unauthorized(code, detail)
}

async fn signing_key(
    state: &AppState,
    organization_id: &str,
    kid: &str,
) -> ApiResult<Arc<SigningKey>> {
    let cache_key = (organization_id.to_owned(), kid.to_owned());
    if let Some(key) = state.tokens.keys.lock().expect("lock").get(&cache_key) {
        return Ok(key.clone());
    }
    let stored = store::signing_keys::get(&state.store, organization_id, kid)
        .await?
        .ok_or_else(|| token_error("unknown_kid", "no signing key has this kid"))?;
    let mut key =
        parse_signing_key(&stored.algorithm, &stored.public_key_pem).map_err(ApiError::Internal)?;
    key.marketplace_id = stored.marketplace_id;
    let key = Arc::new(key);
    state
        .tokens
        .keys
        .lock()
        .expect("lock")
        .insert(cache_key, key.clone());
    Ok(key)
}

/// Verifies a token's signature and claims, and that it was not revoked; cached by the token's
/// hash until it expires (a deletion forgets the tokens it revokes). Returns the claims and the
/// signing key's marketplace (a partner's key).
#[tracing::instrument(name = "auth::verify_token", level = "debug", skip_all)]
pub async fn verify_token(
    state: &AppState,
    token: &str,
) -> ApiResult<(EmbeddedClaims, Option<String>)> {
    let now = now_ms() / 1000;
    let policy = state.settings.token_policy;
    let hash = sha256_hex(token);
    let hit = state
        .tokens
        .verified
        .lock()
        .expect("lock")
        .get(&hash)
        .filter(|hit| now <= hit.claims.exp + policy.leeway)
        .map(|hit| (hit.claims.clone(), hit.key_marketplace.clone()));
    crate::telemetry::token_cache(hit.is_some());
    if let Some((claims, key_marketplace)) = hit {
        // One process owns a SQLite file and forgets the tokens it revokes; on PostgreSQL
        // another process may have revoked this one since it was cached, which a listening
        // process hears of (`cache_notifications`).
        if !crate::service::cache_notifications::kept_copies_current(state) {
            check_not_revoked(state, &claims).await?;
        }
        return Ok((claims, key_marketplace));
    }
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| token_error("malformed_token", format!("the token is malformed: {e}")))?;
    let kid = header
        .kid
        .ok_or_else(|| token_error("missing_kid", "the token header has no kid"))?;
    let unverified: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|e| {
            token_error(
                "malformed_token",
                format!("the token's claims are malformed: {e}"),
            )
        })?;
    let organization_id = unverified
        .get("organization")
        .and_then(Value::as_str)
        .ok_or_else(|| token_error("missing_claim", "the token has no `organization` claim"))?
        .to_owned();
    let key = signing_key(state, &organization_id, &kid).await?;
    let mut validation = Validation::new(key.algorithm);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    let data = jsonwebtoken::decode::<Value>(token, &key.key, &validation).map_err(|e| match e
        .kind()
    {
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => token_error(
            "algorithm_mismatch",
            "the token's algorithm is not the one registered for its key",
        ),
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            token_error("invalid_signature", "the token's signature is not valid")
        }
        _ => token_error(
            "invalid_token",
            format!("the token could not be verified: {e}"),
        ),
    })?;
    let claims = EmbeddedClaims::check(&data.claims, &organization_id.as_str().into(), now, policy)
        .map_err(|e| token_error(e.code(), e.to_string()))?;
    check_not_revoked(state, &claims).await?;
    let mut verified = state.tokens.verified.lock().expect("lock");
    if verified.len() >= MAX_CACHED_TOKENS {
        verified.retain(|_, v| now <= v.claims.exp + policy.leeway);
        if verified.len() >= MAX_CACHED_TOKENS {
            verified.clear();
        }
    }
    verified.insert(
        hash,
        Verified {
            claims: claims.clone(),
            key_marketplace: key.marketplace_id.clone(),
        },
    );
    Ok((claims, key.marketplace_id.clone()))
}

/// Refuses a token issued before its user or customer was deleted.
async fn check_not_revoked(state: &AppState, claims: &EmbeddedClaims) -> ApiResult<()> {
    let revoked_at = store::revocations::revoked_at(
        &state.store,
        claims.organization.as_str(),
        &claims.customer,
        &claims.sub,
    )
    .await?;
    if revoked_at.is_some_and(|at| claims.iat * 1000 <= at) {
        return Err(token_error(
            "token_revoked",
            "the token was issued before its user or customer was deleted",
        ));
    }
    Ok(())
}

/// The customer user a token names: verified, its marketplace and tenant claims resolved, a
/// partner key's scope checked, its `Origin` (if any) checked against the organization's and
/// the marketplace's allowed origins, and its customer and user recorded on first sight.
#[tracing::instrument(name = "auth::authenticate_token", level = "debug", skip_all)]
pub async fn authenticate_token(
    state: &AppState,
    token: &str,
    origin: Option<&str>,
) -> ApiResult<CustomerUser> {
    let (claims, key_marketplace) = verify_token(state, token).await?;
    let organization_id = claims.organization.to_string();
    let directory = marketplaces::directory(state, &organization_id).await?;
    let marketplace = directory
        .marketplace(claims.marketplace.as_deref())
        .ok_or_else(|| {
            token_error(
                "unknown_marketplace",
                "the token's `marketplace` names no marketplace of the organization",
            )
        })?;
    let claimed_tenant = match claims.tenant.as_deref() {
        None => None,
        Some(key) => Some(TenantId::from(directory.tenant(key).ok_or_else(|| {
            token_error(
                "unknown_tenant",
                "the token's `tenant` names no tenant of the organization",
            )
        })?)),
    };
    let known = known_customer(state, &organization_id, &claims.customer).await?;
    let marketplace_id = MarketplaceId::from(marketplace.id.as_str());
    let key_marketplace = key_marketplace.map(MarketplaceId::from);
    let marketplace_tenant = marketplace.tenant_id.clone().map(TenantId::from);
    let current_tenant = known
        .as_ref()
        .and_then(|k| k.tenant_id.clone())
        .map(TenantId::from);
    let change = partner_scope(TokenScope {
        key_marketplace: key_marketplace.as_ref(),
        marketplace: &marketplace_id,
        marketplace_tenant: marketplace_tenant.as_ref(),
        claimed_tenant: claimed_tenant.as_ref(),
        customer: match &known {
            None => TokenCustomer::New,
            Some(_) => TokenCustomer::Existing(current_tenant.as_ref()),
        },
    })
    .map_err(|e| token_error(e.code(), e.to_string()))?;
    if let Some(origin) = origin {
        check_origin(
            state,
            &organization_id,
            &marketplace.allowed_origins,
            origin,
        )
        .await?;
    }
    let (customer_id, mut tenant_id) = match known {
        Some(known) => (known.id, known.tenant_id),
        None => (
            customer_on_sight(state, &organization_id, &claims).await?,
            None,
        ),
    };
    if let Some(tenant) = change {
        set_tenant(
            state,
            &organization_id,
            &claims.customer,
            &customer_id,
            &tenant,
        )
        .await?;
        tenant_id = Some(tenant.to_string());
    }
    let pinned = user_on_sight(state, &customer_id, &claims).await?;
    Ok(CustomerUser {
        organization_id,
        customer_id,
        customer_external_id: claims.customer,
        user_id: claims.sub,
        role: marketplace_core::effective_role(claims.role, pinned),
        embedded_config: claims.embedded_config,
        marketplace_id: marketplace.id.clone(),
        tenant_id,
    })
}

/// The default marketplace and the customer's tenant, for a customer user signed in without a
/// token (the portal's session).
#[tracing::instrument(name = "auth::default_scope", level = "debug", skip_all)]
pub async fn default_scope(
    state: &AppState,
    organization_id: &str,
    customer_external_id: &str,
) -> ApiResult<(String, Option<String>)> {
    let marketplace_id = marketplaces::default_id(state, organization_id).await?;
    let tenant_id = known_customer(state, organization_id, customer_external_id)
        .await?
        .and_then(|k| k.tenant_id);
    Ok((marketplace_id, tenant_id))
}

/// Refuses a browser request from an origin neither the token's organization nor its
/// marketplace allows (the service's own pages are always allowed).
async fn check_origin(
    state: &AppState,
    organization_id: &str,
    marketplace_origins: &[String],
    origin: &str,
) -> ApiResult<()> {
    if state.settings.public_url == origin || marketplace_origins.iter().any(|o| o == origin) {
        return Ok(());
    }
    let cached = state
        .tokens
        .origins
        .lock()
        .expect("lock")
        .get(organization_id)
        .cloned();
    let allowed = match cached {
        Some(allowed) => allowed,
        None => {
            let allowed = Arc::new(
                store::organizations::get(&state.store, organization_id)
                    .await?
                    .ok_or(ApiError::NotFound("organization"))?
                    .allowed_origins,
            );
            state
                .tokens
                .origins
                .lock()
                .expect("lock")
                .insert(organization_id.to_owned(), allowed.clone());
            allowed
        }
    };
    if allowed.iter().any(|o| o == origin) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "origin_not_allowed",
            "this origin is not an allowed embed origin of the organization or of the token's marketplace",
        ))
    }
}

/// Whether some organization or marketplace allows this origin (for CORS; cached until an
/// organization or a marketplace changes its origins).
#[tracing::instrument(name = "auth::is_known_origin", level = "debug", skip_all)]
pub async fn is_known_origin(state: &AppState, origin: &str) -> ApiResult<bool> {
    if let Some(known) = state.tokens.all_origins() {
        return Ok(known.contains(origin));
    }
    let mut known: HashSet<String> = store::organizations::all_allowed_origins(&state.store)
        .await?
        .into_iter()
        .collect();
    known.extend(store::marketplaces::all_allowed_origins(&state.store).await?);
    let allowed = known.contains(origin);
    state.tokens.set_all_origins(known);
    Ok(allowed)
}

/// How long another process's change of a customer's tenant may go unseen on PostgreSQL while
/// cache notifications are not heard (this process updates its own copy at once).
const TENANT_RECHECK_MS: i64 = 5_000;

/// The customer a token names, if it exists: its id and tenant (cached; on PostgreSQL the
/// tenant is re-read after [`TENANT_RECHECK_MS`]).
async fn known_customer(
    state: &AppState,
    organization_id: &str,
    external_id: &str,
) -> ApiResult<Option<KnownCustomer>> {
    let cache_key = (organization_id.to_owned(), external_id.to_owned());
    let now = now_ms();
    let cached = state
        .tokens
        .customers
        .lock()
        .expect("lock")
        .get(&cache_key)
        .cloned();
    let fresh = |k: &KnownCustomer| {
        crate::service::cache_notifications::kept_copies_current(state)
            || now - k.read_at < TENANT_RECHECK_MS
    };
    if let Some(known) = cached.filter(fresh) {
        return Ok(Some(known));
    }
    let found =
        store::marketplaces::customer_by_external_id(&state.store, organization_id, external_id)
            .await?;
    let Some((id, tenant_id)) = found else {
        return Ok(None);
    };
    let known = KnownCustomer {
        id,
        tenant_id,
        read_at: now,
    };
    state
        .tokens
        .customers
        .lock()
        .expect("lock")
        .insert(cache_key, known.clone());
    Ok(Some(known))
}

/// Creates the customer a token names (it must carry `customer_name`); returns its id.
async fn customer_on_sight(
    state: &AppState,
    organization_id: &str,
    claims: &EmbeddedClaims,
) -> ApiResult<String> {
    let Some(name) = claims.customer_name.clone() else {
        return Err(token_error(
            "unknown_customer",
            "no customer has this external id; add `customer_name` to the token to create it",
        ));
    };
    let fields = marketplace_core::customer::CustomerFields {
        name,
        external_id: claims.customer.clone(),
        ..Default::default()
    };
    let customer = Customer::new(new_id("cus").into(), fields).map_err(|e| {
        token_error(
            "invalid_claim",
            format!("the token's customer is invalid: {}", e[0].message),
        )
    })?;
    let id = crate::service::customers::create_on_sight(state, organization_id, &customer).await?;
    // Read back: a customer created meanwhile by another request may have a tenant.
    known_customer(state, organization_id, &claims.customer)
        .await?
        .map(|k| k.id)
        .ok_or_else(|| ApiError::Internal(format!("customer {id} vanished while being created")))
}

/// Sets a customer's tenant as its token says, with its `customer.updated` event.
async fn set_tenant(
    state: &AppState,
    organization_id: &str,
    external_id: &str,
    customer_id: &str,
    tenant: &TenantId,
) -> ApiResult<()> {
    let now = now_ms();
    // Read before the transaction: SQLite's write pool has one connection.
    let customer = store::customers::get(&state.store, organization_id, customer_id)
        .await?
        .ok_or(ApiError::NotFound("customer"))?
        .customer;
    let mut tx = state.store.begin().await?;
    store::marketplaces::set_customer_tenant(&mut tx, customer_id, Some(tenant.as_str())).await?;
    let mut event = Event::for_customer(EventType::CustomerUpdated, &customer, now);
    if let Some(data) = event.data.as_object_mut() {
        data.insert("tenant_id".into(), tenant.as_str().into());
    }
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    let known = KnownCustomer {
        id: customer_id.to_owned(),
        tenant_id: Some(tenant.to_string()),
        read_at: now,
    };
    state
        .tokens
        .customers
        .lock()
        .expect("lock")
        .insert((organization_id.to_owned(), external_id.to_owned()), known);
    Ok(())
}

/// How long another process's pin of a role may go unseen on PostgreSQL while cache
/// notifications are not heard (this process forgets the users it changes at once).
const PIN_RECHECK_MS: i64 = 5_000;

fn parse_pin(stored: Option<&str>) -> Option<Role> {
    stored.map(|r| {
        if r == "admin" {
            Role::Admin
        } else {
            Role::Viewer
        }
    })
}

/// Records the user of a token on first sight (and when its role or name changes); the role the
/// vendor pinned, if any.
async fn user_on_sight(
    state: &AppState,
    customer_id: &str,
    claims: &EmbeddedClaims,
) -> ApiResult<Option<Role>> {
    let seen = (customer_id.to_owned(), claims.sub.clone(), claims.role);
    let now = now_ms();
    let cached = state.tokens.users.lock().expect("lock").get(&seen).copied();
    if let Some((pinned, read_at)) = cached {
        if crate::service::cache_notifications::kept_copies_current(state)
            || now - read_at < PIN_RECHECK_MS
        {
            return Ok(pinned);
        }
        let stored = store::portal::pinned_role(&state.store, customer_id, &claims.sub).await?;
        if let Some(stored) = stored {
            let pinned = parse_pin(stored.as_deref());
            let entry = (pinned, now);
            state.tokens.users.lock().expect("lock").insert(seen, entry);
            return Ok(pinned);
        }
    }
    let mut tx = state.store.begin().await?;
    let new = store::customers::upsert_user(
        &mut tx,
        customer_id,
        &claims.sub,
        claims.name.as_deref(),
        claims.email.as_deref(),
        claims.role,
        now,
    )
    .await?;
    let user = store::customers::get_user(&mut tx, customer_id, &claims.sub)
        .await?
        .ok_or_else(|| ApiError::Internal("a user vanished while being recorded".into()))?;
    if new {
        let event =
            crate::service::customers::user_event(EventType::CustomerUserAssigned, &user, &[]);
        store::events::record(&mut tx, claims.organization.as_str(), &event).await?;
    }
    tx.commit().await?;
    if new {
        state.deliveries.wake.notify_one();
    }
    let pinned = parse_pin(user.pinned_role.as_deref());
    state
        .tokens
        .users
        .lock()
        .expect("lock")
        .insert(seen, (pinned, now));
    Ok(pinned)
}
