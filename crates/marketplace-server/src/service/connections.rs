//! OAuth2 authorization-code connections (docs/connections.md): the authorization URL with a
//! single-use `state` and PKCE S256, the callback's code exchange, tokens sealed per connection,
//! refreshes single flight across processes (under the connection row's lock, re-read after
//! locking, a rotated refresh token saved in the same transaction), the minutely sweep, and
//! disconnecting. Rules (status machine, PKCE, when to refresh) are core's
//! [`marketplace_core::connection`]; the token endpoint is reached with the `oauth2` crate over
//! the guarded egress client.

use crate::crypto::fill_random;
use crate::error::{ApiError, ApiResult};
use crate::service::instances;
use crate::service::oauth_client::{REQUEST_TIMEOUT, TokenRequestError, Transport};
use crate::service::state::AppState;
use crate::store::connections::{AuthorizationState, Connection, Tokens};
use crate::store::{self, Tx, now_ms};
use marketplace_core::connection::{
    self as rules, AppSettings, AuthMethod, ConnectionStatus, RefreshOutcome, UseDecision,
};
use marketplace_core::{Instance, InstanceStatus, IntegrationVersion};
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use std::time::Duration;

/// The callback's path under the public URL.
pub const CALLBACK_PATH: &str = "/oauth2/callback";
/// How often the sweep looks for tokens to refresh.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);
/// How many connections one sweep refreshes at most.
const SWEEP_BATCH: i64 = 100;

/// The redirect URI registered with the provider: `{public_url}/oauth2/callback`.
pub fn redirect_uri(state: &AppState) -> String {
    format!(
        "{}{CALLBACK_PATH}",
        state.settings.public_url.trim_end_matches('/')
    )
}

/// An authorization to open in the popup.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The provider's authorization URL with every parameter.
    pub authorize_url: String,
    /// When its `state` lapses (Unix ms).
    pub expires_at: i64,
}

/// The version and the app's settings of one authorised connection of an instance (404 when the
/// version has no such connection; 409 `invalid_state` when the app is not set up).
async fn app_of(
    state: &AppState,
    instance: &Instance,
    key: &str,
) -> ApiResult<(std::sync::Arc<IntegrationVersion>, AppSettings)> {
    let version = instances::version_of(state, instance).await?;
    let app = version
        .config
        .variable(key)
        .and_then(|v| v.connection_app.clone())
        .ok_or(ApiError::NotFound("connection"))?;
    let config = crate::service::instances::effective_config_of(state, instance, &version).await?;
    let settings = rules::app_settings(&app, &config).map_err(|missing| ApiError::Conflict {
        code: "invalid_state",
        detail: format!(
            "the connection's OAuth app is not set up: {} has no value",
            missing.join(", ")
        ),
    })?;
    Ok((version, settings))
}

/// Starts an authorization of connection `key`: records a single-use `state` bound to the
/// instance, the key, the PKCE verifier, the user and the origin to post the result to.
#[tracing::instrument(name = "connections::authorize", level = "debug", skip_all)]
pub async fn authorize(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    key: &str,
    user_id: Option<&str>,
    origin: Option<&str>,
) -> ApiResult<Authorization> {
    let (_, settings) = app_of(state, instance, key).await?;
    if matches!(
        instance.status,
        InstanceStatus::Deactivated | InstanceStatus::Failed
    ) {
        return Err(ApiError::Conflict {
            code: "invalid_state",
            detail: format!(
                "a {} instance cannot be connected",
                instance.status.as_str()
            ),
        });
    }
    let (mut state_bytes, mut verifier_bytes) = ([0u8; 32], [0u8; 32]);
    fill_random(&mut state_bytes);
    fill_random(&mut verifier_bytes);
    let state_param = rules::state_from_bytes(&state_bytes);
    let pkce = rules::pkce_from_bytes(&verifier_bytes);
    let now = now_ms();
    let expires_at = now + rules::STATE_LIFETIME_MS;
    let public_origin = origin_of(&state.settings.public_url);
    let record = AuthorizationState {
        state_hash: rules::state_hash(&state_param),
        instance_id: instance.id.to_string(),
        key: key.to_owned(),
        organization_id: organization_id.to_owned(),
        verifier: pkce.verifier.clone(),
        user_id: user_id.map(str::to_owned),
        origin: origin
            .filter(|o| !o.is_empty() && *o != "null")
            .map_or(public_origin, str::to_owned),
        expires_at,
        used: false,
    };
    let mut tx = state.store.begin().await?;
    store::connections::insert_state(&mut tx, &state.store, &record, now).await?;
    tx.commit().await?;
    Ok(Authorization {
        authorize_url: rules::authorize_url(&settings, &redirect_uri(state), &state_param, &pkce),
        expires_at,
    })
}

/// The scheme, host and port of a URL (`https://a.example:8443`).
fn origin_of(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_else(|_| url.trim_end_matches('/').to_owned())
}

/// What the callback page tells its opener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// Tokens stored: `CONNECTION_AUTHORIZED`.
    Authorized {
        /// The origin to post to.
        origin: String,
        /// The instance.
        instance_id: String,
        /// The connection's key.
        key: String,
        /// Its status now.
        status: ConnectionStatus,
    },
    /// The provider refused, or the exchange failed: `CONNECTION_FAILED` (tokens untouched).
    Failed {
        /// The origin to post to.
        origin: String,
        /// The instance.
        instance_id: String,
        /// The connection's key.
        key: String,
        /// The OAuth error code (`access_denied`, `invalid_grant`, ...).
        error: String,
        /// The provider's description, if any.
        error_description: Option<String>,
    },
}

/// The callback's query.
#[derive(Debug, Clone, Default)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The state issued by [`authorize`].
    pub state: Option<String>,
    /// The provider's error code.
    pub error: Option<String>,
    /// The provider's error description.
    pub error_description: Option<String>,
}

fn bad_state(detail: &str) -> ApiError {
    ApiError::bad_request("invalid_state", detail)
}

/// Redeems the state (400 when unknown, used or lapsed: no token request is made), then
/// exchanges the code and stores the tokens.
#[tracing::instrument(name = "connections::callback", level = "debug", skip_all)]
pub async fn callback(state: &AppState, query: CallbackQuery) -> ApiResult<CallbackOutcome> {
    let param = query
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad_state("the `state` parameter is missing"))?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let record = store::connections::take_state(&mut tx, &state.store, &rules::state_hash(param))
        .await?
        .ok_or_else(|| bad_state("this authorization is unknown"))?;
    match rules::redeemable(record.used, record.expires_at, now) {
        Ok(()) => {}
        Err(rules::StateRefusal::Used) => {
            return Err(bad_state("this authorization was already used"));
        }
        Err(rules::StateRefusal::Expired) => {
            return Err(bad_state("this authorization has expired"));
        }
    }
    tx.commit().await?;
    let failed = |error: &str, description: Option<String>| CallbackOutcome::Failed {
        origin: record.origin.clone(),
        instance_id: record.instance_id.clone(),
        key: record.key.clone(),
        error: error.to_owned(),
        error_description: description,
    };
    if let Some(error) = query.error.filter(|e| !e.is_empty()) {
        return Ok(failed(&error, query.error_description));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Ok(failed(
            "invalid_request",
            Some("the provider sent no code".into()),
        ));
    };
    let instance =
        instances::load(state, &record.organization_id, &record.instance_id, None).await?;
    let (version, settings) = match app_of(state, &instance, &record.key).await {
        Ok(found) => found,
        Err(e) => return Ok(failed("server_error", Some(e.to_string()))),
    };
    let client = match client(&settings, Some(redirect_uri(state))) {
        Ok(client) => client,
        Err(e) => return Ok(failed("server_error", Some(e))),
    };
    let transport = Transport::new(&state.http, state.settings.allow_private_targets);
    let request = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(record.verifier.clone()));
    let response: BasicTokenResponse =
        match tokio::time::timeout(REQUEST_TIMEOUT, request.request_async(&transport)).await {
            Ok(Ok(response)) => response,
            Ok(Err(error)) => {
                let (error, description) = refusal(&transport, error);
                return Ok(failed(&error, description));
            }
            Err(_) => {
                return Ok(failed(
                    "temporarily_unavailable",
                    Some("the token endpoint did not answer in time".into()),
                ));
            }
        };
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let previous =
        store::connections::lock(&mut tx, &state.store, &record.instance_id, &record.key).await?;
    let connection = Connection {
        instance_id: record.instance_id.clone(),
        key: record.key.clone(),
        organization_id: record.organization_id.clone(),
        status: ConnectionStatus::Connected,
        tokens: Some(Tokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        }),
        scopes: granted_scopes(&response, &settings),
        expires_at: expires_at(&response, now),
        connected_at: Some(now),
        error: None,
        updated_at: now,
    };
    store::connections::save(&mut tx, &state.store, &connection).await?;
    let previous_status = previous.map_or(ConnectionStatus::NotConnected, |c| c.status);
    status_changed(
        state,
        &mut tx,
        &record.organization_id,
        &instance,
        &version,
        &record.key,
        previous_status,
        ConnectionStatus::Connected,
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(CallbackOutcome::Authorized {
        origin: record.origin,
        instance_id: record.instance_id,
        key: record.key,
        status: ConnectionStatus::Connected,
    })
}

/// The oauth2 client of an app (its token endpoint set); `redirect` only for the code exchange.
type Client = BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(settings: &AppSettings, redirect: Option<String>) -> Result<Client, String> {
    let token_url = TokenUrl::new(settings.token_url.clone())
        .map_err(|e| format!("the token URL is not valid: {e}"))?;
    let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
        .set_client_secret(ClientSecret::new(settings.client_secret.clone()))
        .set_auth_type(match settings.auth_method {
            AuthMethod::Basic => AuthType::BasicAuth,
            AuthMethod::Post => AuthType::RequestBody,
        })
        .set_token_uri(token_url);
    Ok(match redirect {
        Some(redirect) => client.set_redirect_uri(
            RedirectUrl::new(redirect)
                .map_err(|e| format!("the redirect URI is not valid: {e}"))?,
        ),
        None => client,
    })
}

/// The OAuth error code and description of a failed token request.
fn refusal(transport: &Transport<'_>, error: TokenRequestError) -> (String, Option<String>) {
    match error {
        RequestTokenError::ServerResponse(response) => (
            response.error().as_ref().to_owned(),
            response.error_description().cloned(),
        ),
        other => (
            "server_error".to_owned(),
            Some(transport.describe(other).message),
        ),
    }
}

fn granted_scopes(response: &BasicTokenResponse, settings: &AppSettings) -> Vec<String> {
    match response.scopes() {
        Some(scopes) => scopes.iter().map(|s| s.to_string()).collect(),
        None => settings.scopes.clone(),
    }
}

fn expires_at(response: &BasicTokenResponse, now: i64) -> Option<i64> {
    response
        .expires_in()
        .map(|d| now.saturating_add(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)))
}

/// Records `connection.status_changed` (when it changed) and moves the instance between
/// `active` and `needs_configuration` as its required connections say.
#[allow(clippy::too_many_arguments)] // one transaction's pieces
async fn status_changed(
    state: &AppState,
    tx: &mut Tx,
    organization_id: &str,
    instance: &Instance,
    version: &IntegrationVersion,
    key: &str,
    previous: ConnectionStatus,
    status: ConnectionStatus,
    now: i64,
) -> ApiResult<()> {
    if let Some(event) = rules::status_changed_event(instance, key, previous, status, now) {
        let id = store::events::record(tx, organization_id, &event).await?;
        crate::service::alerts::event_recorded(state, tx, organization_id, &id, &event).await?;
    }
    // The instance as stored now (a change since it was read is kept).
    let Some(current) = store::instances::get_in(tx, &state.store, instance.id.as_str()).await?
    else {
        return Ok(());
    };
    let stored = store::connections::list_in(tx, &state.store, instance.id.as_str()).await?;
    let unconnected = rules::required_unconnected(version.config.spec(), |k| {
        if k == key {
            return status;
        }
        stored
            .iter()
            .find(|c| c.key == k)
            .map_or(ConnectionStatus::NotConnected, |c| c.status)
    });
    let next = rules::instance_status(current.status, !unconnected.is_empty(), true);
    if next != current.status {
        let changed = Instance {
            status: next,
            updated_at: now,
            ..current
        };
        store::instances::save(tx, &state.store, &changed, false).await?;
    }
    Ok(())
}

/// Disconnects: forgets the tokens (`not_connected`).
#[tracing::instrument(name = "connections::disconnect", level = "debug", skip_all)]
pub async fn disconnect(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    key: &str,
) -> ApiResult<()> {
    let version = instances::version_of(state, instance).await?;
    if version
        .config
        .variable(key)
        .and_then(|v| v.connection_app.as_ref())
        .is_none()
    {
        return Err(ApiError::NotFound("connection"));
    }
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    let previous = store::connections::lock(&mut tx, &state.store, instance.id.as_str(), key)
        .await?
        .map_or(ConnectionStatus::NotConnected, |c| c.status);
    store::connections::delete(&mut tx, instance.id.as_str(), key).await?;
    status_changed(
        state,
        &mut tx,
        organization_id,
        instance,
        &version,
        key,
        previous,
        ConnectionStatus::NotConnected,
        now,
    )
    .await?;
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(())
}

/// Why a connection gives no access token (for delivery logs; no secret in it).
pub type UseError = String;

/// How a caller wants the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want<'a> {
    /// As core's use rule says (refresh when less than 5 minutes are left).
    OnUse,
    /// A fresh one: the target refused this token (401).
    Replacing(&'a str),
    /// The sweep: refresh if it expires within 10 minutes.
    Sweep,
}

/// The access token of connection `key` of `instance` for a delivery.
#[tracing::instrument(name = "connections::access_token", level = "debug", skip_all)]
pub async fn access_token(
    state: &AppState,
    instance: &Instance,
    key: &str,
    want: Want<'_>,
) -> Result<String, UseError> {
    let stored = store::connections::get(&state.store, instance.id.as_str(), key)
        .await
        .map_err(|e| e.to_string())?;
    let Some(stored) = stored else {
        return Err(format!("the connection `{key}` is not connected"));
    };
    if want == Want::OnUse
        && rules::decide_use(stored.token_state(), now_ms()) == UseDecision::Use
        && let Some(tokens) = &stored.tokens
    {
        return Ok(tokens.access_token.clone());
    }
    refresh(state, instance, key, want).await
}

/// Refreshes under the row's lock (single flight across processes): re-reads the row after
/// locking and uses a token another process refreshed meanwhile.
#[tracing::instrument(name = "connections::refresh", level = "debug", skip_all)]
pub async fn refresh(
    state: &AppState,
    instance: &Instance,
    key: &str,
    want: Want<'_>,
) -> Result<String, UseError> {
    let (version, settings) = app_of(state, instance, key)
        .await
        .map_err(|e| e.to_string())?;
    let store_error = |e: crate::store::StoreError| e.to_string();
    let mut tx = state.store.begin().await.map_err(store_error)?;
    let Some(current) = store::connections::lock(&mut tx, &state.store, instance.id.as_str(), key)
        .await
        .map_err(store_error)?
    else {
        return Err(format!("the connection `{key}` is not connected"));
    };
    let now = now_ms();
    let token_state = current.token_state();
    let access = current
        .tokens
        .as_ref()
        .map(|t| t.access_token.clone())
        .unwrap_or_default();
    // Re-read after locking: what another process did meanwhile decides.
    let needed = match want {
        Want::OnUse => !matches!(rules::decide_use(token_state, now), UseDecision::Use),
        Want::Sweep => rules::sweep_due(token_state, now),
        Want::Replacing(refused) => {
            refused == access && current.status == ConnectionStatus::Connected
        }
    };
    if !needed {
        return match current.status {
            ConnectionStatus::Connected if !access.is_empty() => Ok(access),
            other => Err(format!("the connection `{key}` is {}", other.as_str())),
        };
    }
    let refresh_token = current
        .tokens
        .as_ref()
        .and_then(|t| t.refresh_token.clone());
    let Some(refresh_token) = refresh_token else {
        // Lapsed without a refresh token: expired.
        let status = match rules::decide_use(token_state, now) {
            UseDecision::Unusable(status) => status,
            _ if want == Want::OnUse || want == Want::Sweep => {
                return Ok(access);
            }
            _ => ConnectionStatus::Connected,
        };
        if status != current.status {
            let changed = Connection {
                status,
                updated_at: now,
                ..current.clone()
            };
            commit_change(state, tx, current.status, &changed, instance, &version, now).await?;
        }
        return if status == ConnectionStatus::Connected {
            Ok(access)
        } else {
            Err(format!("the connection `{key}` is {}", status.as_str()))
        };
    };
    let transport = Transport::new(&state.http, state.settings.allow_private_targets);
    let answer = match client(&settings, None) {
        Err(e) => Err((RefreshOutcome::Transient, e)),
        Ok(client) => {
            let token = RefreshToken::new(refresh_token.clone());
            let request = client.exchange_refresh_token(&token);
            match tokio::time::timeout(REQUEST_TIMEOUT, request.request_async(&transport)).await {
                Ok(Ok(response)) => Ok(response),
                Ok(Err(RequestTokenError::ServerResponse(response))) => Err((
                    RefreshOutcome::Refused,
                    response
                        .error_description()
                        .cloned()
                        .unwrap_or_else(|| response.error().as_ref().to_owned()),
                )),
                Ok(Err(other)) => {
                    Err((RefreshOutcome::Transient, transport.describe(other).message))
                }
                Err(_) => Err((
                    RefreshOutcome::Transient,
                    "the token endpoint did not answer in time".to_owned(),
                )),
            }
        }
    };
    let now = now_ms();
    let (changed, result) = match answer {
        Ok(response) => {
            let access_token = response.access_token().secret().clone();
            let changed = Connection {
                status: ConnectionStatus::Connected,
                tokens: Some(Tokens {
                    access_token: access_token.clone(),
                    // A rotated refresh token replaces the old one, in this transaction.
                    refresh_token: Some(
                        response
                            .refresh_token()
                            .map_or(refresh_token, |t| t.secret().clone()),
                    ),
                }),
                scopes: granted_scopes(&response, &settings),
                expires_at: expires_at(&response, now),
                error: None,
                updated_at: now,
                ..current.clone()
            };
            (changed, Ok(access_token))
        }
        Err((outcome, message)) => {
            let status = rules::status_after_refresh(token_state, outcome, now);
            let changed = Connection {
                status,
                error: (status == ConnectionStatus::Error).then(|| message.clone()),
                updated_at: now,
                ..current.clone()
            };
            let result = if status == ConnectionStatus::Connected && want != Want::Sweep {
                // Transient: the token still lives.
                Ok(access.clone())
            } else {
                Err(format!(
                    "refreshing the connection `{key}` failed: {message}"
                ))
            };
            (changed, result)
        }
    };
    commit_change(state, tx, current.status, &changed, instance, &version, now).await?;
    result
}

/// Saves a connection the refresh changed, with its status change (event, instance status), in
/// the transaction holding the row's lock, and commits it.
async fn commit_change(
    state: &AppState,
    mut tx: Tx,
    previous: ConnectionStatus,
    changed: &Connection,
    instance: &Instance,
    version: &IntegrationVersion,
    now: i64,
) -> Result<(), UseError> {
    store::connections::save(&mut tx, &state.store, changed)
        .await
        .map_err(|e| e.to_string())?;
    status_changed(
        state,
        &mut tx,
        &changed.organization_id,
        instance,
        version,
        &changed.key,
        previous,
        changed.status,
        now,
    )
    .await
    .map_err(|e| e.to_string())?;
    tx.commit().await.map_err(|e| e.to_string())
}

/// Refreshes the connections whose tokens expire within 10 minutes; how many were tried.
#[tracing::instrument(name = "connections::sweep", level = "debug", skip_all)]
pub async fn sweep(state: &AppState, now: i64) -> ApiResult<usize> {
    let due =
        store::connections::due(&state.store, now + rules::SWEEP_WINDOW_MS, SWEEP_BATCH).await?;
    let count = due.len();
    for (organization_id, instance_id, key) in due {
        let Some(instance) =
            store::instances::get(&state.store, &organization_id, &instance_id).await?
        else {
            continue;
        };
        if let Err(e) = refresh(state, &instance, &key, Want::Sweep).await {
            tracing::warn!(instance_id, key, error = %e, "refreshing a connection failed");
        }
    }
    Ok(count)
}

/// Runs the sweep each minute until the process ends.
pub async fn run_sweeper(state: AppState) {
    loop {
        if let Err(e) = sweep(&state, now_ms()).await {
            tracing::warn!(error = %e, "sweeping connections failed");
        }
        tokio::time::sleep(SWEEP_INTERVAL).await;
    }
}

/// A connection as an instance's view shows it (times in Unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownConnection {
    /// The connection variable's key.
    pub key: String,
    /// Its status (`expired` once a token without refresh token lapsed).
    pub status: ConnectionStatus,
    /// Scopes granted.
    pub scopes: Vec<String>,
    /// When the access token expires.
    pub expires_at: Option<i64>,
    /// When it was connected.
    pub connected_at: Option<i64>,
    /// The provider's refusal, for `error`.
    pub error: Option<String>,
}

/// The connections of an instance as its views show them: one per authorised connection of
/// its version, in spec order (`not_connected` until authorised).
#[tracing::instrument(name = "connections::views", level = "debug", skip_all)]
pub async fn views(
    state: &AppState,
    instance: &Instance,
    version: &IntegrationVersion,
) -> ApiResult<Vec<ShownConnection>> {
    let spec = version.config.spec();
    if rules::authorized_connections(spec).next().is_none() {
        return Ok(Vec::new());
    }
    let stored = store::connections::list(&state.store, instance.id.as_str()).await?;
    Ok(views_of(spec, &stored, now_ms()))
}

/// [`views`] of the stored connections.
pub fn views_of(
    spec: &marketplace_core::ConfigSpec,
    stored: &[Connection],
    now: i64,
) -> Vec<ShownConnection> {
    rules::authorized_connections(spec)
        .map(|variable| {
            let found = stored.iter().find(|c| c.key == variable.key);
            let status = found.map_or(ConnectionStatus::NotConnected, |c| match rules::decide_use(
                c.token_state(),
                now,
            ) {
                UseDecision::Unusable(ConnectionStatus::Expired) => ConnectionStatus::Expired,
                _ => c.status,
            });
            ShownConnection {
                key: variable.key.clone(),
                status,
                scopes: found.map(|c| c.scopes.clone()).unwrap_or_default(),
                expires_at: found.and_then(|c| c.expires_at),
                connected_at: found.and_then(|c| c.connected_at),
                error: found.and_then(|c| c.error.clone()),
            }
        })
        .collect()
}
