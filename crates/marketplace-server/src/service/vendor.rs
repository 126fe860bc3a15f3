//! The vendor's own API: the inbound client of an event configuration trades its credentials
//! for an access token (OAuth2 client credentials), with which it reads the events sent to it
//! and posts their results.

use crate::crypto::{random_secret, sha256_hex};
use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::{self, now_ms};

/// How long an access token lives (seconds).
pub const TOKEN_LIFETIME_S: i64 = 3600;

/// Who a vendor access token speaks for.
#[derive(Debug, Clone)]
pub struct VendorClient {
    /// The event configuration.
    pub configuration_id: String,
    /// Its organization.
    pub organization_id: String,
}

/// Issues an access token to an inbound client (401 `invalid_client` for unknown credentials).
#[tracing::instrument(name = "vendor::issue_token", level = "debug", skip_all)]
pub async fn issue_token(
    state: &AppState,
    client_id: &str,
    client_secret: &str,
) -> ApiResult<String> {
    let Some((configuration_id, _)) = store::event_configurations::by_inbound_client(
        &state.store,
        client_id,
        &sha256_hex(client_secret),
    )
    .await?
    else {
        return Err(ApiError::unauthorized(
            "invalid_client",
            "unknown client id or secret",
        ));
    };
    let token = format!("vat_{}", random_secret(32));
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::event_configurations::insert_vendor_token(
        &mut tx,
        &sha256_hex(&token),
        &configuration_id,
        now + TOKEN_LIFETIME_S * 1000,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The client an access token was issued to (401 `invalid_token` when unknown or expired).
#[tracing::instrument(name = "vendor::authenticate", level = "debug", skip_all)]
pub async fn authenticate(state: &AppState, token: &str) -> ApiResult<VendorClient> {
    store::event_configurations::by_vendor_token(&state.store, &sha256_hex(token), now_ms())
        .await?
        .map(|(configuration_id, organization_id)| VendorClient {
            configuration_id,
            organization_id,
        })
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "unknown or expired access token"))
}
