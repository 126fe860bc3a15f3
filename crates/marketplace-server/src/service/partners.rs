//! Partners: client credentials of a marketplace (the secret shown once, stored as SHA-256, at
//! most two live), single-use registration tokens, the registration of a partner marketplace,
//! partner authentication, and what a partner manages of its marketplace (fields, signing keys).

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::integrations::commit_catalog_change;
use crate::service::marketplaces;
use crate::service::marketplaces::{MarketplaceRecord, marketplace_event};
use crate::service::organization::check_signing_key;
use crate::service::state::AppState;
use crate::service::templates::{self, Template};
use crate::store::partners::Credential;
use crate::store::signing_keys::SigningKey;
use crate::store::{self, Page, PageRequest, new_id, now_ms};
use marketplace_core::api_key::{Submitter, SubmitterKind};
use marketplace_core::event::{Event, EventType};
use marketplace_core::marketplace::{Marketplace, MarketplaceFields};
use marketplace_core::template::TemplateInput;
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::json;

/// Live credentials a marketplace may hold at once (two, so a partner can rotate).
pub const MAX_CREDENTIALS: i64 = 2;
/// Default lifetime of a registration token (one day).
pub const DEFAULT_REGISTRATION_S: u64 = 86_400;
/// Longest lifetime of a registration token (seven days).
pub const MAX_REGISTRATION_S: u64 = 604_800;

/// A partner, authenticated by its marketplace's client credentials.
#[derive(Debug, Clone)]
pub struct Partner {
    /// The organization of the marketplace.
    pub organization_id: String,
    /// The partner's marketplace.
    pub marketplace_id: String,
    /// The client id used.
    pub client_id: String,
}

/// New credentials with their secret (shown once).
#[derive(Debug, Clone)]
pub struct NewCredential {
    /// The stored credentials.
    pub credential: Credential,
    /// The secret.
    pub client_secret: String,
}

/// A new registration token (shown once).
#[derive(Debug, Clone)]
pub struct NewRegistration {
    /// Id (`reg_`).
    pub id: String,
    /// The token.
    pub token: String,
    /// Expiry (Unix ms).
    pub expires_at: i64,
}

/// What a partner sends to register its marketplace, or to change it (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct MarketplaceChange {
    /// Key (immutable once registered).
    pub key: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Front end URL.
    pub front_end_url: Option<String>,
    /// Allowed embed origins.
    pub allowed_origins: Option<Vec<String>>,
}

/// The event of a partner marketplace: also `partner` and its tenant.
fn partner_marketplace_event(event_type: EventType, m: &Marketplace) -> Event {
    let tenant_id = m.tenant_id.as_ref().map(|t| t.to_string());
    marketplace_event(
        event_type,
        m,
        json!({"partner": m.partner, "tenant_id": tenant_id}),
    )
}

fn credential_event(event_type: EventType, marketplace_id: &str, client_id: &str) -> Event {
    Event::for_organization(
        event_type,
        now_ms(),
        json!({"marketplace_id": marketplace_id, "client_id": client_id}),
    )
}

async fn issue_credential(
    tx: &mut crate::store::Tx,
    marketplace_id: &str,
) -> ApiResult<NewCredential> {
    let client_id = new_id("mkc");
    let client_secret = format!("mcs_{}", random_secret(32));
    let now = now_ms();
    store::partners::insert_credential(
        tx,
        marketplace_id,
        &client_id,
        &sha256_hex(&client_secret),
        now,
    )
    .await?;
    Ok(NewCredential {
        credential: Credential {
            client_id,
            last_used_at: None,
            created_at: now,
        },
        client_secret,
    })
}

/// Creates client credentials for a marketplace (404 without it; 409 `too_many_credentials`
/// when it holds two).
#[tracing::instrument(name = "partners::create_credential", level = "debug", skip_all)]
pub async fn create_credential(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
) -> ApiResult<NewCredential> {
    let mut tx = state.store.begin().await?;
    store::marketplaces::get_in(&mut tx, organization_id, marketplace_id)
        .await?
        .ok_or(ApiError::NotFound("marketplace"))?;
    if store::partners::count_credentials(&mut tx, marketplace_id).await? >= MAX_CREDENTIALS {
        return Err(ApiError::conflict(
            "too_many_credentials",
            "a marketplace holds at most two credentials: revoke one first",
        ));
    }
    let created = issue_credential(&mut tx, marketplace_id).await?;
    let event = credential_event(
        EventType::MarketplaceCredentialsCreated,
        marketplace_id,
        &created.credential.client_id,
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(created)
}

/// A page of a marketplace's credentials (never their secrets).
#[tracing::instrument(name = "partners::list_credentials", level = "debug", skip_all)]
pub async fn list_credentials(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    page: &PageRequest,
) -> ApiResult<Page<Credential>> {
    marketplaces::get(state, organization_id, marketplace_id).await?;
    Ok(store::partners::list_credentials(&state.store, marketplace_id, page).await?)
}

/// Revokes credentials of a marketplace (404 without them).
#[tracing::instrument(name = "partners::revoke_credential", level = "debug", skip_all)]
pub async fn revoke_credential(
    state: &AppState,
    organization_id: &str,
    marketplace_id: &str,
    client_id: &str,
) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    store::marketplaces::get_in(&mut tx, organization_id, marketplace_id)
        .await?
        .ok_or(ApiError::NotFound("marketplace"))?;
    if !store::partners::delete_credential(&mut tx, marketplace_id, client_id).await? {
        return Err(ApiError::NotFound("credentials"));
    }
    let event = credential_event(
        EventType::MarketplaceCredentialsRevoked,
        marketplace_id,
        client_id,
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    Ok(())
}

/// Issues a single-use registration token for a tenant: 422 `/tenant_id` `invalid_reference`
/// for an unknown tenant, `/expires_in_s` outside 1 to 604800 seconds.
#[tracing::instrument(name = "partners::create_registration", level = "debug", skip_all)]
pub async fn create_registration(
    state: &AppState,
    organization_id: &str,
    tenant_id: &str,
    expires_in_s: Option<u64>,
) -> ApiResult<NewRegistration> {
    let mut errors = Vec::new();
    let lifetime = expires_in_s.unwrap_or(DEFAULT_REGISTRATION_S);
    if lifetime == 0 {
        errors.push(FieldError::new(
            "/expires_in_s",
            FieldErrorCode::Min,
            "the lifetime is at least one second",
        ));
    } else if lifetime > MAX_REGISTRATION_S {
        errors.push(FieldError::new(
            "/expires_in_s",
            FieldErrorCode::Max,
            "the lifetime is at most 604800 seconds (seven days)",
        ));
    }
    let mut tx = state.store.begin().await?;
    if store::tenants::get_in(&mut tx, organization_id, tenant_id)
        .await?
        .is_none()
    {
        errors.push(FieldError::new(
            "/tenant_id",
            FieldErrorCode::InvalidReference,
            "no tenant has this id",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let now = now_ms();
    let registration = NewRegistration {
        id: new_id("reg"),
        token: format!("mrt_{}", random_secret(32)),
        expires_at: now + (lifetime as i64) * 1000,
    };
    store::partners::insert_registration(
        &mut tx,
        &registration.id,
        organization_id,
        tenant_id,
        &sha256_hex(&registration.token),
        registration.expires_at,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(registration)
}

/// Registers a partner marketplace with a registration token: 401 `invalid_registration_token`
/// when the token is unknown, used or expired; 422 on its fields; 409
/// `duplicate_marketplace_key`. Only a registration that succeeds uses the token.
#[tracing::instrument(name = "partners::register", level = "debug", skip_all)]
pub async fn register(
    state: &AppState,
    token: &str,
    change: MarketplaceChange,
) -> ApiResult<(MarketplaceRecord, NewCredential)> {
    let now = now_ms();
    let id = new_id("mkt");
    let mut tx = state.store.begin().await?;
    let registration = store::partners::use_registration(&mut tx, &sha256_hex(token), &id, now)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "invalid_registration_token",
                "the registration token is unknown, used or expired",
            )
        })?;
    let fields = MarketplaceFields {
        key: change.key.unwrap_or_default(),
        name: change.name.unwrap_or_default(),
        description: change.description.unwrap_or_default(),
        allowed_origins: change.allowed_origins.unwrap_or_default(),
        front_end_url: change.front_end_url,
        min_tier: None,
    };
    fields.validate().map_err(|e| ApiError::Validation(e.0))?;
    let organization_id = registration.organization_id;
    let marketplace = Marketplace {
        id: id.into(),
        key: fields.key,
        name: fields.name,
        description: fields.description,
        default: false,
        allowed_origins: fields.allowed_origins,
        front_end_url: fields.front_end_url,
        tenant_id: Some(registration.tenant_id.into()),
        min_tier: None,
        partner: true,
    };
    store::marketplaces::insert(&mut tx, &organization_id, &marketplace, now)
        .await
        .map_err(|e| {
            e.or_conflict(ApiError::conflict(
                "duplicate_marketplace_key",
                "a marketplace with this key exists",
            ))
        })?;
    let credential = issue_credential(&mut tx, marketplace.id.as_str()).await?;
    store::events::record(
        &mut tx,
        &organization_id,
        &partner_marketplace_event(EventType::MarketplaceCreated, &marketplace),
    )
    .await?;
    let mut registered = partner_marketplace_event(EventType::MarketplaceRegistered, &marketplace);
    registered.data["registration_id"] = json!(registration.id);
    registered.data["client_id"] = json!(credential.credential.client_id);
    commit_catalog_change(state, tx, &organization_id, registered).await?;
    marketplaces::forget(state, &organization_id);
    let record = MarketplaceRecord {
        marketplace,
        created_at: now,
        updated_at: now,
    };
    Ok((record, credential))
}

/// The partner of client credentials (401 `invalid_client` when unknown or the secret is wrong,
/// compared in constant time); records the use.
#[tracing::instrument(name = "partners::authenticate", level = "debug", skip_all)]
pub async fn authenticate(state: &AppState, client_id: &str, secret: &str) -> ApiResult<Partner> {
    let refused = || ApiError::unauthorized("invalid_client", "unknown client or wrong secret");
    let holder = store::partners::credential_holder(&state.store, client_id)
        .await?
        .ok_or_else(refused)?;
    let given = sha256_hex(secret);
    aws_lc_rs::constant_time::verify_slices_are_equal(
        given.as_bytes(),
        holder.secret_hash.as_bytes(),
    )
    .map_err(|_| refused())?;
    let mut tx = state.store.begin().await?;
    store::partners::touch_credential(&mut tx, client_id, now_ms()).await?;
    tx.commit().await?;
    Ok(Partner {
        organization_id: holder.organization_id,
        marketplace_id: holder.marketplace_id,
        client_id: client_id.to_owned(),
    })
}

/// The partner's marketplace.
#[tracing::instrument(name = "partners::marketplace", level = "debug", skip_all)]
pub async fn marketplace(state: &AppState, partner: &Partner) -> ApiResult<MarketplaceRecord> {
    marketplaces::get(state, &partner.organization_id, &partner.marketplace_id).await
}

/// Changes the partner's marketplace: name, description, front end, origins; the key is
/// immutable (422 `/key` `immutable`).
#[tracing::instrument(name = "partners::update_marketplace", level = "debug", skip_all)]
pub async fn update_marketplace(
    state: &AppState,
    partner: &Partner,
    change: MarketplaceChange,
) -> ApiResult<MarketplaceRecord> {
    let organization_id = &partner.organization_id;
    let mut tx = state.store.begin().await?;
    let mut m = store::marketplaces::get_in(&mut tx, organization_id, &partner.marketplace_id)
        .await?
        .ok_or(ApiError::NotFound("marketplace"))?
        .marketplace;
    if change.key.as_ref().is_some_and(|k| *k != m.key) {
        return Err(ApiError::field(FieldError::new(
            "/key",
            FieldErrorCode::Immutable,
            "a marketplace's key cannot change",
        )));
    }
    let fields = MarketplaceFields {
        key: m.key.clone(),
        name: change.name.unwrap_or(m.name),
        description: change.description.unwrap_or(m.description),
        allowed_origins: change.allowed_origins.unwrap_or(m.allowed_origins),
        front_end_url: change.front_end_url.or(m.front_end_url),
        min_tier: m.min_tier,
    };
    fields.validate().map_err(|e| ApiError::Validation(e.0))?;
    m.name = fields.name;
    m.description = fields.description;
    m.allowed_origins = fields.allowed_origins;
    m.front_end_url = fields.front_end_url;
    store::marketplaces::update(&mut tx, organization_id, &m, now_ms()).await?;
    let event = partner_marketplace_event(EventType::MarketplaceUpdated, &m);
    commit_catalog_change(state, tx, organization_id, event).await?;
    marketplaces::forget(state, organization_id);
    marketplaces::get(state, organization_id, &partner.marketplace_id).await
}

/// Registers a public key of the partner, valid only for its marketplace (409 `duplicate_kid`
/// when the organization has that kid).
#[tracing::instrument(name = "partners::create_signing_key", level = "debug", skip_all)]
pub async fn create_signing_key(
    state: &AppState,
    partner: &Partner,
    kid: &str,
    algorithm: &str,
    public_key_pem: &str,
) -> ApiResult<SigningKey> {
    check_signing_key(kid, algorithm, public_key_pem)?;
    let key = SigningKey {
        kid: kid.to_owned(),
        algorithm: algorithm.to_owned(),
        public_key_pem: public_key_pem.to_owned(),
        created_at: now_ms(),
        marketplace_id: Some(partner.marketplace_id.clone()),
    };
    let mut tx = state.store.begin().await?;
    store::signing_keys::insert(&mut tx, &partner.organization_id, &key)
        .await
        .map_err(|e| {
            e.or_conflict(ApiError::conflict(
                "duplicate_kid",
                "a signing key with this kid exists",
            ))
        })?;
    let event = Event::for_organization(
        EventType::SigningKeyCreated,
        now_ms(),
        json!({"kid": key.kid, "algorithm": key.algorithm, "marketplace_id": partner.marketplace_id}),
    );
    store::events::record(&mut tx, &partner.organization_id, &event).await?;
    tx.commit().await?;
    state.tokens.forget_keys();
    Ok(key)
}

/// A page of the partner's public keys.
#[tracing::instrument(name = "partners::list_signing_keys", level = "debug", skip_all)]
pub async fn list_signing_keys(
    state: &AppState,
    partner: &Partner,
    page: &PageRequest,
) -> ApiResult<Page<SigningKey>> {
    Ok(store::partners::list_signing_keys(&state.store, &partner.marketplace_id, page).await?)
}

/// Deletes a public key of the partner (404 when its marketplace has no such kid).
#[tracing::instrument(name = "partners::delete_signing_key", level = "debug", skip_all)]
pub async fn delete_signing_key(state: &AppState, partner: &Partner, kid: &str) -> ApiResult<()> {
    let mut tx = state.store.begin().await?;
    if !store::partners::delete_signing_key(&mut tx, &partner.marketplace_id, kid).await? {
        return Err(ApiError::NotFound("signing key"));
    }
    let event = Event::for_organization(
        EventType::SigningKeyRevoked,
        now_ms(),
        json!({"kid": kid, "marketplace_id": partner.marketplace_id}),
    );
    store::events::record(&mut tx, &partner.organization_id, &event).await?;
    tx.commit().await?;
    state.tokens.forget_keys();
    Ok(())
}

/// Submits a workflow template as the partner (`submitted_by {kind: "partner", id: <marketplace
/// id>}`), for a version its marketplace lists (404 otherwise); decided by an admin or reviewer
/// API key.
#[tracing::instrument(name = "partners::submit_template", level = "debug", skip_all)]
pub async fn submit_template(
    state: &AppState,
    partner: &Partner,
    integration_id: &str,
    version: &str,
    input: TemplateInput,
) -> ApiResult<Template> {
    if !store::partners::lists_version(
        &state.store,
        &partner.marketplace_id,
        integration_id,
        version,
    )
    .await?
    {
        return Err(ApiError::NotFound("listing"));
    }
    let submitter = Submitter {
        kind: SubmitterKind::Partner,
        id: partner.marketplace_id.clone(),
    };
    templates::submit(
        state,
        &partner.organization_id,
        submitter,
        integration_id,
        version,
        input,
    )
    .await
}
