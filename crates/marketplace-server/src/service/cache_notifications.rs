//! Cache notifications on PostgreSQL, where several processes serve one database. Each process
//! keeps catalog snapshots, customers' parts of the catalog and verified tokens in memory. The
//! triggers of migration 0014 notify the channel [`CHANNEL`] of every write that changes one of
//! them: an organization's catalog version, a customer's cache version, a customer's tenant or a
//! user's pinned role, a revocation.
//! PostgreSQL delivers each notification at commit to every listening process, and
//! [`run_listener`] drops the copies it names.
//!
//! While its listener is connected, a process trusts what it keeps ([`kept_copies_current`]), as
//! a SQLite process always does. A marketplace read then needs no SQL at all. When the listener
//! is not connected (the process is starting, or the connection was lost), reads check the
//! versions and revocations in the database, as before. A new connection first drops everything
//! kept, since notifications may have been missed meanwhile.
//!
//! The cost is a short delay across processes. The process that wrote sees its write at once
//! (it drops its own copies after the commit). Another process sees it once the notification
//! arrives, within milliseconds on a healthy connection.

use crate::service::marketplaces;
use crate::service::state::AppState;
use crate::store::Backend;
use sqlx::postgres::{PgListener, PgPoolOptions};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The channel the triggers notify.
pub const CHANNEL: &str = "marketplace_cache";

/// How long to wait before connecting again after the listening connection failed.
const RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Whether this process's listener is connected (and has dropped what it kept before).
#[derive(Debug, Default)]
pub struct Listener {
    live: AtomicBool,
}

impl Listener {
    /// Whether notifications are being received.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Release);
    }
}

/// Whether what this process keeps in memory is as current as the database without asking it:
/// always on SQLite (one process owns the file and drops its copies after each write), and on
/// PostgreSQL while the listener is connected.
pub fn kept_copies_current(state: &AppState) -> bool {
    state.store.backend() == Backend::Sqlite || state.cache_listener.is_live()
}

/// What a notification says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// An organization's catalog (its listings, versions, marketplaces, tenants...).
    Catalog {
        /// The organization.
        organization_id: &'a str,
    },
    /// A customer's instances or vendor-set values (its part of the catalog).
    Customer {
        /// The customer (`cus_...`).
        customer_id: &'a str,
    },
    /// A customer's tenant or a user's pinned role (what tokens of the customer resolve to).
    Identity {
        /// The customer (`cus_...`).
        customer_id: &'a str,
    },
    /// Tokens of a customer's users were revoked (`None`: any customer's of the organization).
    Revoked {
        /// The organization.
        organization_id: &'a str,
        /// The customer, by the host's id.
        customer_external_id: Option<&'a str>,
    },
}

/// Reads a notification's payload (`catalog:{organization}`, `customer:{customer}`,
/// `identity:{customer}`, `revoked:{organization}[:{customer external id}]`); `None` for
/// anything else.
pub fn parse(payload: &str) -> Option<Change<'_>> {
    let (kind, rest) = payload.split_once(':')?;
    match kind {
        "catalog" => Some(Change::Catalog {
            organization_id: rest,
        }),
        "customer" => Some(Change::Customer { customer_id: rest }),
        "identity" => Some(Change::Identity { customer_id: rest }),
        "revoked" => Some(match rest.split_once(':') {
            Some((organization_id, customer)) => Change::Revoked {
                organization_id,
                customer_external_id: Some(customer),
            },
            None => Change::Revoked {
                organization_id: rest,
                customer_external_id: None,
            },
        }),
        _ => None,
    }
}

/// Drops what this process keeps of a change.
pub fn apply(state: &AppState, change: Change<'_>) {
    match change {
        Change::Catalog { organization_id } => marketplaces::forget(state, organization_id),
        Change::Customer { customer_id } => state.catalogs.forget_customer(customer_id),
        Change::Identity { customer_id } => state.tokens.forget_customer(customer_id),
        Change::Revoked {
            organization_id,
            customer_external_id: Some(customer),
        } => state
            .tokens
            .forget_customer_tokens(organization_id, customer),
        Change::Revoked {
            organization_id,
            customer_external_id: None,
        } => state.tokens.forget_organization_tokens(organization_id),
    }
}

/// Drops everything this process keeps that notifications keep current.
fn forget_everything(state: &AppState) {
    state.catalogs.forget_all();
    // Keys and every verified token with them.
    state.tokens.forget_keys();
    state.tokens.forget_origins();
    state.tokens.forget_identities();
}

/// Listens for cache notifications for as long as the process runs (PostgreSQL; on SQLite it
/// returns at once), connecting again after a lost connection.
pub async fn run_listener(state: AppState) {
    let Some(options) = state.store.db.listen.clone() else {
        return;
    };
    // The listening connection is a pool of its own, outside the service's pool.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.0);
    loop {
        let error = listen(&state, &pool).await;
        state.cache_listener.set_live(false);
        tracing::warn!(%error, "cache notifications: not listening; reads check the database until the connection is back");
        tokio::time::sleep(RECONNECT_DELAY).await;
    }
}

/// One listening connection, until it fails.
async fn listen(state: &AppState, pool: &sqlx::PgPool) -> sqlx::Error {
    let mut listener = match PgListener::connect_with(pool).await {
        Ok(listener) => listener,
        Err(error) => return error,
    };
    if let Err(error) = listener.listen(CHANNEL).await {
        return error;
    }
    // Listening from here on: what was kept before may predate a missed notification.
    forget_everything(state);
    state.cache_listener.set_live(true);
    tracing::debug!("cache notifications: listening");
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => {
                if let Some(change) = parse(notification.payload()) {
                    apply(state, change);
                }
            }
            // The connection was lost: notifications may be missed until a new one listens.
            Ok(None) => return sqlx::Error::Protocol("the listening connection was lost".into()),
            Err(error) => return error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_name_what_changed() {
        assert_eq!(
            parse("catalog:org_1"),
            Some(Change::Catalog {
                organization_id: "org_1"
            })
        );
        assert_eq!(
            parse("customer:cus_1"),
            Some(Change::Customer {
                customer_id: "cus_1"
            })
        );
        assert_eq!(
            parse("revoked:org_1:acme:eu"),
            Some(Change::Revoked {
                organization_id: "org_1",
                customer_external_id: Some("acme:eu")
            }),
            "a host's id may hold a colon"
        );
        assert_eq!(
            parse("revoked:org_1"),
            Some(Change::Revoked {
                organization_id: "org_1",
                customer_external_id: None
            })
        );
        assert_eq!(
            parse("identity:cus_1"),
            Some(Change::Identity {
                customer_id: "cus_1"
            })
        );
        assert_eq!(parse("other:x"), None);
        assert_eq!(parse("catalog"), None);
    }
}
