//! Alert monitors: CRUD, and the check of every occurrence against them. The rules (what a body
//! accepts, what fires, dedup, the alert's subject and data) are core's `monitor`; this module
//! finds the candidate monitors in an in-memory index, keeps one window per (monitor, trigger,
//! subject), and for each alert sent records an `alert.triggered` event and enqueues one
//! notification per target in the transaction of the occurrence.
//!
//! The index: per organization, its enabled monitors bucketed by trigger kind and scope, so an
//! occurrence looks at the monitors of its kind, organization-wide or scoped to its customer or
//! instance, and nothing else. Loaded on first use; this process's writes drop it; on PostgreSQL
//! a `(count, latest update)` fingerprint is compared at most once a second, so other processes'
//! changes are seen within about a second.

use crate::crypto::fill_random;
use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::alert_monitors::{MonitorFilter, MonitorRecord};
use crate::store::executions::ExecutionRecord;
use crate::store::notifications::{NewNotification, Recipient};
use crate::store::{
    self, Backend, Conn, Page, PageRequest, Store, StoreResult, Tx, new_id, now_ms,
};
use marketplace_core::delivery::{new_signing_secret, rfc3339};
use marketplace_core::event::{Event, EventType};
use marketplace_core::instance::Instance;
use marketplace_core::monitor::{
    self, Dedup, Monitor, Occurrence, Scope, Severity, Target, Trigger, TriggerKind, What,
};
use marketplace_core::{FieldError, FieldErrorCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub use crate::store::alert_monitors::MonitorRecord as AlertMonitor;

/// How often, at most, a PostgreSQL process compares an organization's monitors with the database.
const RECHECK: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------------------------------
// The index

/// Per-organization snapshots of the enabled monitors, bucketed for matching.
#[derive(Debug, Default)]
pub struct AlertIndex {
    organizations: Mutex<HashMap<String, Cached>>,
    /// Bumped by every [`AlertIndex::forget`]: a snapshot loaded across a bump is not kept.
    generation: AtomicU64,
}

#[derive(Debug, Clone)]
struct Cached {
    snapshot: Arc<Snapshot>,
    checked_at: Instant,
}

/// One organization's enabled monitors.
#[derive(Debug, Default)]
struct Snapshot {
    entries: Vec<Entry>,
    buckets: HashMap<TriggerKind, Buckets>,
    version: (i64, i64),
}

#[derive(Debug)]
struct Entry {
    id: String,
    monitor: Monitor,
}

/// The monitors (indexes into `entries`) having one trigger kind, by scope.
#[derive(Debug, Default)]
struct Buckets {
    organization: Vec<usize>,
    customer: HashMap<String, Vec<usize>>,
    instance: HashMap<String, Vec<usize>>,
}

impl Snapshot {
    fn build(records: Vec<MonitorRecord>, version: (i64, i64)) -> Self {
        let mut snapshot = Snapshot {
            version,
            ..Default::default()
        };
        for record in records.into_iter().filter(|r| r.monitor.enabled) {
            let at = snapshot.entries.len();
            for trigger in &record.monitor.triggers {
                let buckets = snapshot.buckets.entry(trigger.kind()).or_default();
                match &record.monitor.scope {
                    Scope::Organization => buckets.organization.push(at),
                    Scope::Customer { customer_id } => buckets
                        .customer
                        .entry(customer_id.clone())
                        .or_default()
                        .push(at),
                    Scope::Instance { instance_id } => buckets
                        .instance
                        .entry(instance_id.clone())
                        .or_default()
                        .push(at),
                }
            }
            snapshot.entries.push(Entry {
                id: record.id,
                monitor: record.monitor,
            });
        }
        snapshot
    }

    /// The monitors an occurrence fires, with the triggers it fires (core's `matches` decides).
    fn fired(&self, occurrence: &Occurrence) -> Vec<(&Entry, Trigger)> {
        let mut candidates: Vec<usize> = Vec::new();
        for kind in occurrence.what.trigger_kinds() {
            let Some(buckets) = self.buckets.get(kind) else {
                continue;
            };
            candidates.extend(&buckets.organization);
            let scoped = [
                occurrence
                    .customer_id
                    .as_ref()
                    .and_then(|c| buckets.customer.get(c)),
                occurrence
                    .instance_id
                    .as_ref()
                    .and_then(|i| buckets.instance.get(i)),
            ];
            candidates.extend(scoped.into_iter().flatten().flatten());
        }
        if candidates.is_empty() {
            return Vec::new();
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .flat_map(|at| {
                let entry = &self.entries[at];
                monitor::matches(&entry.monitor, occurrence)
                    .into_iter()
                    .map(move |trigger| (entry, trigger.clone()))
            })
            .collect()
    }
}

impl AlertIndex {
    /// Drops an organization's snapshot (after a change of its monitors).
    pub fn forget(&self, organization_id: &str) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.lock().remove(organization_id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.organizations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The organization's snapshot: cached, re-checked on PostgreSQL at most once per
    /// [`RECHECK`], else loaded. Reads go through `tx` when the caller holds one (on PostgreSQL
    /// reads and writes share one pool: a second connection per transaction could starve it),
    /// else through a read connection taken only when needed.
    async fn snapshot(
        &self,
        store: &Store,
        tx: Option<&mut Tx>,
        organization_id: &str,
    ) -> StoreResult<Arc<Snapshot>> {
        let cached = self.lock().get(organization_id).cloned();
        let fresh =
            |c: &Cached| store.backend() == Backend::Sqlite || c.checked_at.elapsed() < RECHECK;
        if let Some(cached) = &cached
            && fresh(cached)
        {
            return Ok(cached.snapshot.clone());
        }
        let mut own: Option<sqlx::pool::PoolConnection<sqlx::Any>> = None;
        let conn: &mut Conn = match tx {
            Some(tx) => tx.conn().await?,
            None => own.insert(store.read().await?),
        };
        if let Some(cached) = cached {
            let version = store::alert_monitors::version(conn, organization_id).await?;
            if version == cached.snapshot.version {
                if let Some(c) = self.lock().get_mut(organization_id) {
                    c.checked_at = Instant::now();
                }
                return Ok(cached.snapshot);
            }
        }
        let generation = self.generation.load(Ordering::SeqCst);
        // The fingerprint first: a change while loading shows at the next check.
        let version = store::alert_monitors::version(conn, organization_id).await?;
        let records = store::alert_monitors::enabled(conn, organization_id).await?;
        let snapshot = Arc::new(Snapshot::build(records, version));
        if self.generation.load(Ordering::SeqCst) == generation {
            self.lock().insert(
                organization_id.to_owned(),
                Cached {
                    snapshot: snapshot.clone(),
                    checked_at: Instant::now(),
                },
            );
        }
        Ok(snapshot)
    }
}

// ---------------------------------------------------------------------------------------------
// CRUD

/// A new signing secret (`whsec_` and 32 random bytes).
fn new_secret() -> String {
    let mut key = [0u8; 32];
    fill_random(&mut key);
    new_signing_secret(&key)
}

fn monitor_event(event_type: EventType, id: &str, name: &str, now: i64) -> Event {
    Event::for_organization(
        event_type,
        now,
        json!({"alert_monitor_id": id, "name": name}),
    )
}

/// Core's checks, then that a scoped customer or instance is the organization's.
async fn check(
    state: &AppState,
    organization_id: &str,
    checked: Result<Monitor, Vec<FieldError>>,
) -> ApiResult<Monitor> {
    let monitor = checked.map_err(ApiError::Validation)?;
    let missing = match &monitor.scope {
        Scope::Organization => None,
        Scope::Customer { customer_id } => {
            store::customers::get(&state.store, organization_id, customer_id)
                .await?
                .is_none()
                .then_some("/scope/customer_id")
        }
        Scope::Instance { instance_id } => {
            store::instances::get(&state.store, organization_id, instance_id)
                .await?
                .is_none()
                .then_some("/scope/instance_id")
        }
    };
    match missing {
        Some(path) => Err(ApiError::field(FieldError::new(
            path,
            FieldErrorCode::InvalidReference,
            "no such customer or instance in the organization",
        ))),
        None => Ok(monitor),
    }
}

/// A monitor of the organization (404 when unknown).
#[tracing::instrument(name = "alerts::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<AlertMonitor> {
    store::alert_monitors::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("alert monitor"))
}

/// A page of the organization's monitors.
#[tracing::instrument(name = "alerts::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &MonitorFilter,
    page: &PageRequest,
) -> ApiResult<Page<AlertMonitor>> {
    Ok(store::alert_monitors::list(&state.store, organization_id, filter, page).await?)
}

/// Creates a monitor from its body (every field error at once); returns it and the signing
/// secret of its webhooks (shown once).
#[tracing::instrument(name = "alerts::create", level = "debug", skip_all)]
pub async fn create(
    state: &AppState,
    organization_id: &str,
    body: &Value,
) -> ApiResult<(AlertMonitor, String)> {
    let monitor = check(state, organization_id, monitor::accept(body)).await?;
    let id = new_id("mon");
    let secret = new_secret();
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::alert_monitors::insert(
        &mut tx,
        &state.store,
        organization_id,
        &id,
        &monitor,
        &secret,
        now,
    )
    .await?;
    let event = monitor_event(EventType::AlertMonitorCreated, &id, &monitor.name, now);
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.alerts.forget(organization_id);
    Ok((get(state, organization_id, &id).await?, secret))
}

/// Changes a monitor: the fields given replace its own, and the result is checked again.
#[tracing::instrument(name = "alerts::update", level = "debug", skip_all)]
pub async fn update(
    state: &AppState,
    organization_id: &str,
    id: &str,
    changes: &Value,
) -> ApiResult<AlertMonitor> {
    let current = get(state, organization_id, id).await?;
    let monitor = check(
        state,
        organization_id,
        monitor::patch(&current.monitor, changes),
    )
    .await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::alert_monitors::update(&mut tx, id, &monitor, now).await?;
    let changed: Vec<&String> = changes
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    let mut event = monitor_event(EventType::AlertMonitorUpdated, id, &monitor.name, now);
    event.data["changed"] = json!(changed);
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.alerts.forget(organization_id);
    get(state, organization_id, id).await
}

/// Deletes a monitor.
#[tracing::instrument(name = "alerts::delete", level = "debug", skip_all)]
pub async fn delete(state: &AppState, organization_id: &str, id: &str) -> ApiResult<()> {
    let current = get(state, organization_id, id).await?;
    let now = now_ms();
    let mut tx = state.store.begin().await?;
    store::alert_monitors::delete(&mut tx, id).await?;
    let event = monitor_event(
        EventType::AlertMonitorDeleted,
        id,
        &current.monitor.name,
        now,
    );
    store::events::record(&mut tx, organization_id, &event).await?;
    tx.commit().await?;
    state.alerts.forget(organization_id);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The check

/// Checks an occurrence against the organization's monitors in `tx`, the transaction that stores
/// it: for each trigger fired, one alert per window, later firings counted.
#[tracing::instrument(name = "alerts::observe", level = "debug", skip_all)]
pub async fn observe(state: &AppState, tx: &mut Tx, occurrence: &Occurrence) -> ApiResult<()> {
    let snapshot = state
        .alerts
        .snapshot(&state.store, Some(&mut *tx), &occurrence.organization_id)
        .await?;
    for (entry, trigger) in snapshot.fired(occurrence) {
        fire(state, tx, entry, &trigger, occurrence).await?;
    }
    Ok(())
}

/// [`observe`] for an occurrence stored outside a transaction (an execution's end, a log line):
/// a transaction is opened only when a monitor fires.
#[tracing::instrument(name = "alerts::observe_alone", level = "debug", skip_all)]
pub async fn observe_alone(state: &AppState, occurrence: &Occurrence) -> ApiResult<()> {
    let snapshot = state
        .alerts
        .snapshot(&state.store, None, &occurrence.organization_id)
        .await?;
    let fired = snapshot.fired(occurrence);
    if fired.is_empty() {
        return Ok(());
    }
    let mut tx = state.store.begin().await?;
    for (entry, trigger) in fired {
        fire(state, &mut tx, entry, &trigger, occurrence).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Sends or counts one alert.
async fn fire(
    state: &AppState,
    tx: &mut Tx,
    entry: &Entry,
    trigger: &Trigger,
    occurrence: &Occurrence,
) -> ApiResult<()> {
    let organization_id = occurrence.organization_id.as_str();
    let Some(last) = store::alert_monitors::last_triggered(tx, &entry.id).await? else {
        // Deleted since the snapshot was taken (with its customer or instance, say).
        state.alerts.forget(organization_id);
        return Ok(());
    };
    let subject = monitor::subject_key(occurrence);
    let name = trigger.name();
    let start = store::alert_monitors::window_start(tx, &entry.id, name, subject).await?;
    // The window opens only if nobody opened it since it was read (another process's
    // transaction on PostgreSQL): else this firing is one more in that window.
    let send = monitor::dedup(start, occurrence.at, entry.monitor.dedup_window_s) == Dedup::Send
        && store::alert_monitors::open_window(tx, &entry.id, name, subject, start, occurrence.at)
            .await?;
    if !send {
        let count = store::alert_monitors::count_suppressed(tx, &entry.id, name, subject).await?;
        if let Some(mut last) = last
            && last["trigger"] == name
            && last["subject"] == subject
        {
            last["suppressed_count"] = json!(count);
            store::alert_monitors::set_last_triggered(tx, &entry.id, &last).await?;
        }
        return Ok(());
    }
    let data = monitor::alert_data(&entry.id, &entry.monitor, trigger, occurrence);
    let mut event = Event::for_organization(EventType::AlertTriggered, occurrence.at, data.clone());
    event.customer_id = occurrence.customer_id.as_deref().map(Into::into);
    event.instance_id = occurrence.instance_id.as_deref().map(Into::into);
    store::events::record(tx, organization_id, &event).await?;
    if !entry.monitor.targets.is_empty() {
        let organization = store::alert_monitors::organization_name(tx, organization_id).await?;
        let title = monitor::alert_subject(&organization, &entry.monitor.name, trigger);
        for target in &entry.monitor.targets {
            let (recipient, body) = match target {
                Target::Webhook { url } => (
                    Recipient::Webhook {
                        url: url.clone(),
                        monitor_id: entry.id.clone(),
                    },
                    json!({"type": EventType::AlertTriggered.as_str(), "timestamp": rfc3339(occurrence.at), "data": data})
                        .to_string(),
                ),
                Target::Email { to } => (
                    Recipient::Email(to.clone()),
                    email_body(&entry.id, &entry.monitor, trigger, occurrence),
                ),
            };
            let new = NewNotification {
                organization_id,
                recipient,
                subject: &title,
                body: &body,
                now: occurrence.at,
            };
            store::notifications::enqueue(tx, &new).await?;
        }
    }
    let last = json!({
        "at": occurrence.at,
        "trigger": name,
        "subject": subject,
        "message": occurrence.message,
        "instance_id": occurrence.instance_id,
        "execution_id": occurrence.execution_id,
        "event_id": occurrence.event_id,
        "suppressed_count": 0,
    });
    store::alert_monitors::set_last_triggered(tx, &entry.id, &last).await?;
    Ok(())
}

/// The plain-text body of an alert email.
fn email_body(id: &str, monitor: &Monitor, trigger: &Trigger, occurrence: &Occurrence) -> String {
    let mut body = format!(
        "{}\n\nMonitor: {} ({id})\nTrigger: {}\nAt: {}\n",
        occurrence.message,
        monitor.name,
        trigger.name(),
        rfc3339(occurrence.at)
    );
    for (label, value) in [
        ("Customer", &occurrence.customer_id),
        ("Instance", &occurrence.instance_id),
        ("Execution", &occurrence.execution_id),
        ("Event", &occurrence.event_id),
    ] {
        if let Some(value) = value {
            body.push_str(&format!("{label}: {value}\n"));
        }
    }
    body.push_str(&format!(
        "\nLater firings within {} s are counted, not sent.\n",
        monitor.dedup_window_s
    ));
    body
}

// ---------------------------------------------------------------------------------------------
// The hooks: what callers hand over

/// An execution reached its final status (called by the runner once it is stored); passes the
/// record through.
#[tracing::instrument(name = "alerts::execution_finished", level = "debug", skip_all)]
pub async fn execution_finished(
    state: &AppState,
    organization_id: &str,
    execution: ExecutionRecord,
) -> ApiResult<ExecutionRecord> {
    let failed = match execution.status.as_str() {
        "failed" => true,
        "succeeded" => false,
        _ => return Ok(execution),
    };
    let at = execution.finished_at.unwrap_or_else(now_ms);
    let duration_ms = (at - execution.started_at).max(0);
    let occurrence = Occurrence {
        what: What::ExecutionFinished {
            failed,
            duration_ms,
        },
        organization_id: organization_id.to_owned(),
        customer_id: Some(execution.customer_id.clone()),
        instance_id: Some(execution.instance_id.clone()),
        execution_id: Some(execution.id.clone()),
        event_id: None,
        message: format!(
            "flow `{}` {} after {duration_ms} ms",
            execution.flow, execution.status
        ),
        at,
    };
    observe_alone(state, &occurrence).await?;
    Ok(execution)
}

/// A log line of an execution was stored.
#[tracing::instrument(name = "alerts::log_written", level = "debug", skip_all)]
pub async fn log_written(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    execution_id: &str,
    severity: &str,
    message: &str,
) -> ApiResult<()> {
    let Some(severity) = Severity::parse(severity) else {
        return Ok(());
    };
    let occurrence = Occurrence {
        what: What::Log { severity },
        organization_id: organization_id.to_owned(),
        customer_id: Some(instance.customer_id.as_str().to_owned()),
        instance_id: Some(instance.id.as_str().to_owned()),
        execution_id: Some(execution_id.to_owned()),
        event_id: None,
        message: message.to_owned(),
        at: now_ms(),
    };
    observe_alone(state, &occurrence).await
}

/// An event was recorded in `tx` (its id `event_id`): instance activations, deactivations and
/// pauses, and dead-lettered deliveries (whose alert names the undelivered event) are checked;
/// other events are not.
#[tracing::instrument(name = "alerts::event_recorded", level = "debug", skip_all)]
pub async fn event_recorded(
    state: &AppState,
    tx: &mut Tx,
    organization_id: &str,
    event_id: &str,
    event: &Event,
) -> ApiResult<()> {
    let name = event.data["name"].as_str().unwrap_or_default();
    let (what, message, event_id) = match event.event_type {
        EventType::InstanceActivated => (
            What::InstanceActivated,
            format!("instance `{name}` activated"),
            event_id,
        ),
        EventType::InstanceDeactivated => (
            What::InstanceDeactivated,
            format!("instance `{name}` deactivated"),
            event_id,
        ),
        EventType::InstancePaused => (
            What::InstancePaused,
            format!("instance `{name}` paused"),
            event_id,
        ),
        EventType::DeliveryDeadLettered => (
            What::DeliveryDeadLettered,
            format!(
                "a delivery of `{}` to the vendor gave up ({})",
                event.data["event_type"].as_str().unwrap_or("an event"),
                event.data["dead_reason"].as_str().unwrap_or("failed")
            ),
            event.data["event_id"].as_str().unwrap_or(event_id),
        ),
        _ => return Ok(()),
    };
    let occurrence = Occurrence {
        what,
        organization_id: organization_id.to_owned(),
        customer_id: event.customer_id.as_ref().map(ToString::to_string),
        instance_id: event.instance_id.as_ref().map(ToString::to_string),
        execution_id: None,
        event_id: Some(event_id.to_owned()),
        message,
        at: event.at,
    };
    observe(state, tx, &occurrence).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, body: Value) -> MonitorRecord {
        MonitorRecord {
            id: id.into(),
            monitor: monitor::accept(&body).unwrap(),
            last_triggered: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn failed_on(instance: &str) -> Occurrence {
        Occurrence {
            what: What::ExecutionFinished {
                failed: true,
                duration_ms: 1,
            },
            organization_id: "org".into(),
            customer_id: Some("cus_1".into()),
            instance_id: Some(instance.into()),
            execution_id: None,
            event_id: None,
            message: String::new(),
            at: 0,
        }
    }

    #[test]
    fn the_index_finds_the_monitors_of_the_kind_and_scope_only() {
        let mut records: Vec<MonitorRecord> = (0..1000)
            .map(|i| {
                record(
                    &format!("mon_{i:04}"),
                    json!({"name": "other", "scope": {"kind": "instance", "instance_id": format!("ins_{i}")},
                           "triggers": [{"type": "execution_failed"}]}),
                )
            })
            .collect();
        records.push(record(
            "mon_org",
            json!({"name": "all", "triggers": [{"type": "instance_paused"}]}),
        ));
        records.push(record(
            "mon_cus",
            json!({"name": "c", "scope": {"kind": "customer", "customer_id": "cus_1"},
                   "triggers": [{"type": "execution_failed"}, {"type": "execution_slow", "threshold_ms": 1}]}),
        ));
        records.push(record(
            "mon_off",
            json!({"name": "off", "enabled": false, "triggers": [{"type": "execution_failed"}]}),
        ));
        let snapshot = Snapshot::build(records, (0, 0));
        let fired = |o: &Occurrence| -> Vec<(String, &'static str)> {
            snapshot
                .fired(o)
                .into_iter()
                .map(|(e, t)| (e.id.clone(), t.name()))
                .collect()
        };
        assert_eq!(
            fired(&failed_on("ins_7")),
            vec![
                ("mon_0007".to_owned(), "execution_failed"),
                ("mon_cus".to_owned(), "execution_failed"),
                ("mon_cus".to_owned(), "execution_slow"),
            ]
        );
        assert_eq!(fired(&failed_on("ins_none")).len(), 2);
    }
}
