//! The reference service of the embeddable integration marketplace.
//!
//! Three layers, each importing only the ones below it (ARCHITECTURE.md):
//! - [`http`]: extractors, handlers and wire views, one module per resource, the OpenAPI
//!   document, CORS and the iframe page;
//! - [`service`]: the use cases (authentication, catalog snapshots, organization, integrations,
//!   customers, instances, flows, activity), applying core's rules to stored data;
//! - [`store`]: every SQL statement, one module per aggregate, over SQLite or PostgreSQL.
//!
//! Beside them: [`config`] (command line), [`crypto`] (sealing secrets at rest, hashes),
//! [`egress`] (the one outbound HTTP client, refusing private addresses), [`telemetry`] (the
//! metrics series and their Prometheus text),
//! [`error`] (one error type, rendered as problem+json), [`markdown`] (overviews rendered and
//! sanitised), [`demo`] and [`demo_host`]. What handlers and services share is
//! [`service::state::AppState`].
//!
//! Architecture invariant: every business rule comes from `marketplace-core`; this crate stores,
//! authenticates, seals and transports.

pub mod background;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod demo_host;
pub mod demo_provider;
pub mod egress;
pub mod error;
pub mod http;
pub mod logging;
pub mod markdown;
pub mod service;
pub mod store;
pub mod telemetry;

pub use http::app;
pub use service::state::{AppState, Settings};

use crate::config::{ServeArgs, StorageArgs};
use crate::crypto::MasterKey;
use crate::store::{Backend, Db, Store};
use std::future::IntoFuture;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The storage layer.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// The master key.
    #[error(transparent)]
    Key(#[from] crypto::KeyError),
    /// A missing setting.
    #[error("{0}")]
    Config(String),
    /// Listening.
    #[error("listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Opens the database and the master key.
pub async fn open(storage: &StorageArgs) -> Result<Store, StartError> {
    let db = Db::connect(&storage.database_url).await?;
    let sealer = sealer_for(storage, db.backend)?;
    Ok(store_of(db, sealer))
}

fn store_of(db: Db, sealer: crypto::Sealer) -> Store {
    Store {
        db,
        sealer: std::sync::Arc::new(sealer),
        holder: std::sync::Arc::from(store::new_id("proc").as_str()),
        group: Default::default(),
    }
}

/// The sealer of the configured keys: `--master-key`, or on SQLite the key file beside the
/// database (created on first run), and the previous keys. A new key file left by a rotation that
/// stopped after its commit (`<file>.key.new`) opens values too.
fn sealer_for(storage: &StorageArgs, backend: Backend) -> Result<crypto::Sealer, StartError> {
    let mut previous = previous_keys(storage)?;
    let key = match (&storage.master_key, backend) {
        (Some(key), _) => MasterKey::from_base64(key)?,
        (None, Backend::Sqlite) => {
            let file = key_file_of(&sqlite_file(storage)?);
            previous.extend(MasterKey::load(&pending_key_file_of(&file))?);
            MasterKey::load_or_create(&file)?
        }
        (None, Backend::Postgres) => {
            return Err(StartError::Config(
                "PostgreSQL needs --master-key (or MARKETPLACE_MASTER_KEY)".into(),
            ));
        }
    };
    Ok(crypto::Sealer::with_previous(&key, &previous))
}

fn previous_keys(storage: &StorageArgs) -> Result<Vec<MasterKey>, StartError> {
    Ok(storage
        .previous_master_keys
        .iter()
        .filter(|key| !key.trim().is_empty())
        .map(|key| MasterKey::from_base64(key))
        .collect::<Result<_, _>>()?)
}

fn sqlite_file(storage: &StorageArgs) -> Result<std::path::PathBuf, StartError> {
    store::sqlite_path(&storage.database_url)
        .ok_or_else(|| StartError::Config("an in-memory database needs --master-key".into()))
}

/// Rotates the master key: re-seals every sealed value under the new key, in one transaction.
///
/// With `--master-key`, that is the new key and the old ones are `--previous-master-key`s. On
/// SQLite with its key file, a new key is written to `<file>.key.new` (or the one a stopped
/// rotation left there is taken up again), every value is re-sealed under it, and only after the
/// commit does it replace `<file>.key`; until then the service opens values with either.
pub async fn rotate_master_key(
    storage: &StorageArgs,
) -> Result<Vec<store::reseal::ColumnResealed>, StartError> {
    let db = Db::connect(&storage.database_url).await?;
    let (sealer, swap) = match (&storage.master_key, db.backend) {
        (None, Backend::Sqlite) => {
            let file = key_file_of(&sqlite_file(storage)?);
            let old = MasterKey::load(&file)?.ok_or_else(|| {
                StartError::Config(format!(
                    "{} does not exist: nothing to rotate",
                    file.display()
                ))
            })?;
            let pending = pending_key_file_of(&file);
            let new = MasterKey::load_or_create(&pending)?;
            let mut previous = previous_keys(storage)?;
            previous.push(old);
            (
                crypto::Sealer::with_previous(&new, &previous),
                Some((pending, file)),
            )
        }
        _ => (sealer_for(storage, db.backend)?, None),
    };
    let store = store_of(db, sealer);
    let report = store::reseal::reseal_all(&store).await?;
    store.db.close().await;
    if let Some((pending, file)) = swap {
        crypto::replace_key_file(&pending, &file)?;
    }
    Ok(report)
}

/// Writes a consistent copy of a SQLite database to `to`, and of its key file (when the key is
/// the one beside the database) to `<to>.key`: the pair a restore serves.
pub async fn backup(storage: &StorageArgs, to: &std::path::Path) -> Result<(), StartError> {
    if store::sqlite_path(&storage.database_url).is_none() {
        return Err(StartError::Config(
            "backup copies a SQLite file; for PostgreSQL use pg_dump".into(),
        ));
    }
    if to.exists() {
        return Err(StartError::Config(format!(
            "{} exists already",
            to.display()
        )));
    }
    let store = open(storage).await?;
    store.backup_sqlite(to).await?;
    store.db.close().await;
    if storage.master_key.is_none() {
        crypto::copy_key_file(&key_file_of(&sqlite_file(storage)?), &key_file_of(to))?;
    }
    Ok(())
}

/// The key file beside a SQLite database: `<file>.key`.
fn key_file_of(database: &std::path::Path) -> std::path::PathBuf {
    let mut key = database.as_os_str().to_owned();
    key.push(".key");
    key.into()
}

/// Where a rotation writes the new key before it replaces the key file: `<file>.key.new`.
fn pending_key_file_of(key_file: &std::path::Path) -> std::path::PathBuf {
    let mut pending = key_file.as_os_str().to_owned();
    pending.push(".new");
    pending.into()
}

/// Settings from the serve options.
pub fn settings(args: &ServeArgs) -> Settings {
    Settings {
        public_url: args.public_url(),
        allow_private_targets: args.allow_private_targets,
        token_policy: marketplace_core::TokenPolicy {
            max_lifetime: args.token_max_lifetime,
            leeway: 60,
        },
        delivery_attempts: args.delivery_attempts,
        events: service::deliveries::EventSettings {
            retry_base_ms: args.event_retry_base_ms,
            retry_window_s: args.event_retry_window_s,
            timeout_ms: args.event_timeout_ms,
            vendor_answer_timeout_s: args.vendor_answer_timeout_s,
            lease_margin_ms: args.event_lease_margin_ms,
        },
        mail: service::notifications::MailSettings {
            smtp_url: args.smtp_url.clone(),
            from: args.smtp_from.clone(),
        },
        metrics_token: args.metrics_token.clone(),
        shutdown_grace_s: args.shutdown_grace_s,
        execution_lease_ms: args.execution_lease_s.saturating_mul(1000) as i64,
        rescore_interval_s: args.rescore_interval_s,
        limits: service::state::Limits {
            per_token: args.rate_limit_per_token,
            per_ip: args.rate_limit_per_ip,
            request_timeout_s: args.request_timeout_s,
        },
    }
}

/// Starts the background workers of a serving process on the current runtime: the
/// [deferrable ones](start_deferrable_workers) and the [upkeep](start_upkeep).
/// Every process runs them; they share the work through leases in the database.
pub fn start_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let mut workers = start_deferrable_workers(state);
    workers.extend(start_upkeep(state));
    workers
}

/// Starts the workers whose work may wait while requests take the CPU: event deliveries,
/// notifications, the scheduler of scheduled flows, the connection sweeper and the listing
/// re-scorer (on SQLite, [`serve`] runs them on the lower-priority [`background`] runtime).
pub fn start_deferrable_workers(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(service::deliveries::run_worker(state.clone())),
        tokio::spawn(service::notifications::run_worker(state.clone())),
        tokio::spawn(service::scheduler::run_scheduler(state.clone())),
        tokio::spawn(service::connections::run_sweeper(state.clone())),
        tokio::spawn(service::scoring::run_rescorer(state.clone())),
    ]
}

/// Starts the upkeep that must keep time whatever the load: the execution lease keeper, the
/// listener of cache notifications (PostgreSQL), the metrics' upkeep and SQLite's WAL
/// checkpoints.
pub fn start_upkeep(state: &AppState) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(service::runner::run_lease_keeper(state.clone())),
        tokio::spawn(service::cache_notifications::run_listener(state.clone())),
        tokio::spawn(telemetry::run_upkeep()),
        tokio::spawn(store::run_wal_checkpoints(state.store.db.clone())),
    ]
}

/// Listens on `listen` at once, answering as [`http::starting_app`] does (alive, not ready)
/// while `prepare` opens and migrates the database (and whatever else a command sets up), then
/// serves the app of the state it gives until Ctrl-C or SIGTERM; resumes interrupted executions
/// first. With `metrics_listen`, `GET /metrics` is served there too ([`http::metrics`]).
pub async fn serve(
    listen: std::net::SocketAddr,
    metrics_listen: Option<std::net::SocketAddr>,
    prepare: impl std::future::Future<Output = Result<AppState, StartError>>,
) -> Result<(), StartError> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let ready = std::sync::Arc::new(std::sync::OnceLock::<axum::Router>::new());
    let (stopping, stopped) = tokio::sync::oneshot::channel::<()>();
    let service =
        http::switch(ready.clone()).into_make_service_with_connect_info::<std::net::SocketAddr>();
    // On Ctrl-C or SIGTERM: no new connection; answers in flight get the grace period.
    let server = tokio::spawn(
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                shutdown().await;
                let _ = stopping.send(());
            })
            .into_future(),
    );
    tracing::info!(%listen, "listening; not ready until the database is migrated");
    let state = prepare.await?;
    service::notifications::Mailer::new(&state.settings.mail).map_err(StartError::Config)?;
    if let Some(address) = metrics_listen {
        let metrics = tokio::net::TcpListener::bind(address).await?;
        let app = http::metrics::listener_app(state.clone());
        tracing::info!(listen = %address, "serving metrics");
        tokio::spawn(async move {
            if let Err(error) = axum::serve(metrics, app).await {
                tracing::error!(%error, "the metrics listener stopped");
            }
        });
    }
    match service::runner::resume_interrupted(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(count = n, "resumed interrupted executions"),
        Err(e) => tracing::error!(error = %e, "could not resume interrupted executions"),
    }
    // On SQLite the deferrable work runs at a lower CPU priority (see `background`).
    let background = match state.store.db.backend {
        Backend::Sqlite => Some(background::Background::start()?),
        Backend::Postgres => None,
    };
    let mut workers = match &background {
        Some(background) => background.run(|| start_deferrable_workers(&state)),
        None => start_deferrable_workers(&state),
    };
    workers.extend(start_upkeep(&state));
    let grace = std::time::Duration::from_secs(state.settings.shutdown_grace_s);
    let db = state.store.db.clone();
    let _ = ready.set(app(state));
    tracing::info!(%listen, "serving");
    let grace_over = async move {
        if stopped.await.is_ok() {
            tracing::info!(
                grace_s = grace.as_secs(),
                "stopping: finishing the answers in flight"
            );
            tokio::time::sleep(grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = server => served.map_err(|e| StartError::Config(format!("the server task: {e}")))??,
        () = grace_over => tracing::warn!("the grace period ended with answers still in flight"),
    }
    // A delivery in flight is left leased: another process (or the next start) retries it
    // when its lease ends.
    for worker in workers {
        worker.abort();
    }
    if let Some(background) = background {
        background.stop();
    }
    db.close().await;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
