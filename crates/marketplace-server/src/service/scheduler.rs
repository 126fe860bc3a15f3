//! Scheduled flows: every serving process runs [`run_scheduler`], which each second looks for
//! active instances whose version has `schedule` flows, computes each flow's latest due tick
//! with core's `next_tick` (the instance's value of the flow's schedule variable: cron and time
//! zone), and records it with its queued execution (input `{"scheduled_at": RFC 3339}`, trigger
//! `schedule`). The `(instance_id, flow, tick_at)` row is unique: only the process whose insert
//! succeeds runs the tick, so several processes on one database run each tick once, and an
//! execution a crash interrupts resumes like any other.
//!
//! Missed ticks are not replayed: only the latest tick of the last [`GRACE_MS`] runs (a process
//! that was down longer skips the rest), and never one from before the instance existed.

use crate::error::ApiResult;
use crate::service::instances::version_of;
use crate::service::runner;
use crate::service::state::AppState;
use crate::store::schedules::ScheduledInstance;
use crate::store::{self, now_ms};
use marketplace_core::flow::scheduled;
use marketplace_core::schedule::next_tick;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

/// How late a tick may still run: a tick older than this when seen is skipped.
pub const GRACE_MS: i64 = 60_000;

/// How often the scheduler looks for due ticks.
const INTERVAL: Duration = Duration::from_secs(1);

/// How long an instance's schedules are kept before they are read again (vendor-set values may
/// change without the instance changing).
const PLAN_TTL_MS: i64 = 30_000;

/// One scheduled flow of an instance: its name, cron and zone.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FlowSchedule {
    flow: String,
    cron: String,
    zone: String,
}

/// An instance's schedules, as last read.
#[derive(Debug, Clone)]
struct Plan {
    updated_at: i64,
    read_at: i64,
    created_at: i64,
    flows: Vec<FlowSchedule>,
}

/// The scheduler's memory: each instance's schedules and the last tick each flow ran, so a
/// second pass over the same tick costs no write.
#[derive(Debug, Default)]
pub struct Scheduler {
    plans: HashMap<String, Plan>,
    done: HashMap<(String, String), i64>,
}

/// Runs the scheduler until the process ends.
pub async fn run_scheduler(state: AppState) {
    let mut scheduler = Scheduler::default();
    loop {
        if let Err(e) = scheduler.run_due(&state, now_ms()).await {
            tracing::warn!(error = %e, "running scheduled flows failed");
        }
        tokio::time::sleep(INTERVAL).await;
    }
}

impl Scheduler {
    /// Starts the ticks due at `now` (Unix ms) that no process has recorded; the executions
    /// this call started. Fails only when the scheduled instances cannot be listed; an instance
    /// that fails is logged and tried again on the next call.
    #[tracing::instrument(name = "scheduler::run_due", level = "debug", skip_all)]
    pub async fn run_due(&mut self, state: &AppState, now: i64) -> ApiResult<Vec<String>> {
        let instances = store::schedules::scheduled_instances(&state.store).await?;
        self.plans
            .retain(|id, _| instances.iter().any(|i| &i.instance_id == id));
        self.done
            .retain(|(id, _), _| instances.iter().any(|i| &i.instance_id == id));
        let mut started = Vec::new();
        for scheduled in &instances {
            let fresh = self.plans.get(&scheduled.instance_id).is_some_and(|p| {
                p.updated_at == scheduled.updated_at && now - p.read_at < PLAN_TTL_MS
            });
            if !fresh {
                // One instance that does not read (deleted meanwhile) does not stop the others.
                match read_plan(state, scheduled, now).await {
                    Ok(plan) => self.plans.insert(scheduled.instance_id.clone(), plan),
                    Err(e) => {
                        tracing::warn!(instance_id = %scheduled.instance_id, error = %e, "reading schedules failed");
                        continue;
                    }
                };
            }
            let plan = &self.plans[&scheduled.instance_id];
            let floor = (now - GRACE_MS).max(plan.created_at);
            for schedule in &plan.flows {
                let Some(tick) = latest_tick(schedule, floor, now) else {
                    continue;
                };
                let key = (scheduled.instance_id.clone(), schedule.flow.clone());
                if self.done.get(&key) == Some(&tick) {
                    continue;
                }
                match start_tick(state, scheduled, &schedule.flow, tick).await {
                    Ok(Some(id)) => started.push(id),
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(instance_id = %scheduled.instance_id, error = %e, "starting a tick failed");
                        continue;
                    }
                }
                self.done.insert(key, tick);
            }
        }
        Ok(started)
    }
}

/// The latest tick in `(floor, now]`, if any.
fn latest_tick(schedule: &FlowSchedule, floor: i64, now: i64) -> Option<i64> {
    let mut latest = None;
    let mut after = floor;
    while let Some(tick) = next_tick(&schedule.cron, &schedule.zone, after).filter(|t| *t <= now) {
        latest = Some(tick);
        after = tick;
    }
    latest
}

/// Reads an instance's enabled scheduled flows and the values of their schedule variables.
async fn read_plan(state: &AppState, entry: &ScheduledInstance, now: i64) -> ApiResult<Plan> {
    let instance =
        crate::service::instances::load(state, &entry.organization_id, &entry.instance_id, None)
            .await?;
    let version = version_of(state, &instance).await?;
    let config = crate::service::instances::effective_config_of(state, &instance, &version).await?;
    let flows = scheduled(&version.flows)
        .filter(|(flow, _)| instance.flow_enabled(&flow.name))
        .filter_map(|(flow, key)| {
            let value = config.get(key)?;
            Some(FlowSchedule {
                flow: flow.name.clone(),
                cron: value.get("cron")?.as_str()?.to_owned(),
                zone: value.get("timezone")?.as_str()?.to_owned(),
            })
        })
        .collect();
    Ok(Plan {
        updated_at: entry.updated_at,
        read_at: now,
        created_at: instance.created_at,
        flows,
    })
}

/// Records a tick and starts its execution, unless another process recorded it first.
async fn start_tick(
    state: &AppState,
    scheduled: &ScheduledInstance,
    flow: &str,
    tick: i64,
) -> ApiResult<Option<String>> {
    let instance = crate::service::instances::load(
        state,
        &scheduled.organization_id,
        &scheduled.instance_id,
        None,
    )
    .await?;
    let input = json!({"scheduled_at": marketplace_core::delivery::rfc3339(tick)});
    let claimed = store::schedules::claim_tick(
        &state.store,
        &scheduled.organization_id,
        &instance,
        flow,
        tick,
        &input,
        runner::lease_from_now(state),
    )
    .await?;
    if let Some(id) = &claimed {
        runner::spawn(state.clone(), id.clone());
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_tick_is_the_last_in_the_window() {
        let every_minute = FlowSchedule {
            flow: "f".into(),
            cron: "* * * * *".into(),
            zone: "UTC".into(),
        };
        // 1_700_000_040_000 is 22:14:00 UTC on 2023-11-14.
        let minute = 1_700_000_040_000;
        assert_eq!(
            latest_tick(&every_minute, minute - 90_000, minute + 5_000),
            Some(minute)
        );
        assert_eq!(latest_tick(&every_minute, minute, minute + 5_000), None);
        assert_eq!(latest_tick(&every_minute, minute - 1, minute), Some(minute));
    }
}
