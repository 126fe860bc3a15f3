//! `cargo xtask bench-server`: a load benchmark of `marketplace-server` (release build, SQLite),
//! printed as a report with its targets. Not part of `cargo xtask test`.
//!
//! 1. Installs `wrk` and `nginx` (Debian) when missing; builds the service and its benchmark
//!    helper (`examples/bench_support.rs`: tokens, portal sessions, fetching, seeding, counting)
//!    in release.
//! 2. Starts `marketplace-server demo` on a new SQLite file in a temporary folder, on a free
//!    loopback port.
//! 3. Read load: `wrk -t2 -c64 -d10s --latency` on `GET /api/v1/embedded/marketplace` with a
//!    customer's token: requests/s and p99.
//! 4. The same read with a portal session of the same customer (`Cookie: mp_session=...`, from an
//!    invitation accepted through `bench_support session`): its rate as a share of load 3's.
//! 5. The same wrk command against nginx serving the same JSON body as a static file: the
//!    service's share of nginx's rate. Before these loads the organization is grown to
//!    [`MARKETPLACES`] marketplaces, [`TENANTS`] tenants and [`LISTINGS`] listings
//!    (`bench_support marketplaces`); loads 3b and 3c are the catalog read with a token scoped to
//!    a second marketplace and a tenant that sees only its assigned listings, and nginx serving
//!    that body. The loads alternate for [`ROUNDS`] rounds and the report gives medians (with
//!    the range), as the speed of a shared host drifts.
//! 6. Activations: the same load POSTing `/api/v1/embedded/instances` (Slack, which allows
//!    several instances) with the tokens of 256 customers; then every acknowledged instance
//!    (201) is looked up through the admin API (`GET /api/v1/instances`, paginated).
//! 7. Vendor events: a receiver on loopback (`bench_support receive`, answering 200 at once)
//!    and an event configuration sending `instance.activated` to it, linked to Slack; load 6
//!    again (activations with a linked configuration, each enqueueing a signed delivery), its
//!    deliveries awaited and checked against the receiver's log (each `webhook-id` received,
//!    once, and its row succeeded; p99 from the event's `timestamp` to its arrival).
//! 8. Signed deliveries: [`OUTBOX`] deliveries inserted into the outbox at once, due together;
//!    the rate at which the receiver gets them (first to last arrival), the queue depth each
//!    second, and the same checks.
//! 9. Executions: an instance of Slack (a webhook flow delivering to the receiver), wrk POSTing a
//!    small JSON body to its `/webhooks/{token}` URL; executions/s = executions that ended during
//!    the load (counted from the database once all have ended, `bench_support executions`). With
//!    and without [`MONITORS`] organization-wide alert monitors that never fire
//!    (`bench_support monitors`, created and deleted between loads), [`EXECUTION_ROUNDS`]
//!    rounds each, in alternating order (without then with, with then without, ...): the
//!    monitor check's overhead is 1 - with / without, of the medians.
//! 10. Memory: 10,000 customers and 100,000 instances seeded into the database, the service
//!     restarted, the read load again; peak resident memory from `/proc/<pid>/status`.
//! 11. Stalled receiver: a new service and database, [`STALLED`] deliveries queued to a
//!     receiver that accepts connections and never answers; the service's resident memory
//!     sampled for [`STALL_SECONDS`] seconds.
//!
//! Each load also measures the CPU that other processes took meanwhile (from `/proc`); the
//! report warns when that disturbed a figure.
//!
//! Exits 0 when every measurement was taken, whether or not the targets are met (it is a
//! report); non-zero only when the benchmark itself fails. Every process it starts is stopped
//! when it ends, also on failure; the temporary folder is removed unless a step failed.

mod nginx;
mod process;
mod wrk;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::apt;
use crate::cmd::{self, Result};
use process::Process;

/// Debian packages the benchmark runs.
const PACKAGES: [&str; 2] = ["wrk", "nginx"];

/// The endpoint of the read loads.
const MARKETPLACE_PATH: &str = "/api/v1/embedded/marketplace";

/// The endpoint of the activation load.
const ACTIVATE_PATH: &str = "/api/v1/embedded/instances";

/// Rounds of the read comparison (token, session, then nginx): the host's speed drifts over a
/// run, so the report compares medians of interleaved runs rather than runs far apart.
const ROUNDS: usize = 5;

/// Marketplaces of the organization during the read loads (the default included).
const MARKETPLACES: usize = 5;
/// Tenants of the organization during the read loads.
const TENANTS: usize = 20;
/// Listings added across the marketplaces before the read loads.
const LISTINGS: usize = 200;

/// Customers whose tokens the activation load rotates through.
const ACTIVATION_CUSTOMERS: usize = 256;

/// Seeded before the memory measurement.
const SEED_CUSTOMERS: usize = 10_000;
/// Seeded before the memory measurement (ten per customer).
const SEED_INSTANCES: usize = 100_000;

/// Target: the service's read rate, as a share of nginx's.
const TARGET_RATIO: f64 = 0.6;
/// Target: p99 of the read load, in milliseconds.
const TARGET_P99_MS: f64 = 10.0;
/// Target: session-authenticated reads per second, as a share of token-authenticated ones.
const TARGET_SESSION_RATIO: f64 = 0.8;
/// Target: activations per second.
const TARGET_ACTIVATIONS: f64 = 5_000.0;
/// Target: peak resident memory, in MiB, with the seeded database (and with the stalled
/// receiver's queue).
const TARGET_RSS_MIB: f64 = 150.0;

/// Rounds of the PostgreSQL read loads (one process, then two).
const PG_ROUNDS: usize = 3;
/// Target: PostgreSQL catalog reads, as a share of nginx's rate in the same run.
const TARGET_PG_RATIO: f64 = 0.5;
/// The master key of the PostgreSQL services (their secrets are sealed with it).
const PG_MASTER_KEY: &str = "YmVuY2gtbWFzdGVyLWtleS0wMDAwMDAwMDAwMDAwMDA=";

/// Deliveries inserted into the outbox for the delivery rate.
const OUTBOX: usize = 20_000;
/// Target: signed deliveries per second to a receiver answering at once.
const TARGET_DELIVERIES: f64 = 1_000.0;
/// Target: activations per second with a linked event configuration, as a share of the rate
/// without one.
const TARGET_LINKED_RATIO: f64 = 0.8;

/// Alert monitors in the organization during the monitored execution loads.
const MONITORS: usize = 1_000;
/// Execution loads with monitors, and as many without.
const EXECUTION_ROUNDS: usize = 3;
/// Target: executions per second lost to the monitor check with [`MONITORS`] monitors, as a
/// share of the rate without monitors.
const TARGET_MONITOR_OVERHEAD: f64 = 0.05;

/// Rounds of the re-scoring comparison (each: the re-scorer off, then every few seconds).
const RESCORE_ROUNDS: usize = 3;

/// How often the service re-scores in the comparison, in seconds: twelve times as often as the
/// target asks (every minute), so that each 10 s load sees passes.
const RESCORE_EVERY_S: &str = "5";

/// The catalog read's p99 while re-scoring, at most this multiple of its p99 with the re-scorer
/// off (medians): re-scoring must not move it beyond this machine's noise.
const TARGET_RESCORE_P99_RATIO: f64 = 1.2;

/// The bearer token of `GET /metrics` in the re-scoring loads.
const METRICS_TOKEN: &str = "bench-metrics";
/// The payload the execution loads POST to the webhook URL.
const WEBHOOK_BODY: &str = r#"{"id":"ord_1","type":"order","total":42}"#;

/// Deliveries queued behind the stalled receiver.
const STALLED: usize = 100_000;
/// How long the service's memory is sampled with the stalled receiver, in seconds.
const STALL_SECONDS: u64 = 20;
/// The attempt timeout of the benchmark's service (`--event-timeout-ms`): short, so that the
/// stalled receiver's attempts time out and are retried several times while memory is sampled.
const EVENT_TIMEOUT_MS: &str = "5000";

/// CPUs used by other processes during a load above which the report warns that its figures
/// are disturbed.
const NOISE_CPUS: f64 = 0.2;

/// Everything measured; `None` where the benchmark did not get that far.
#[derive(Debug, Default)]
struct Report {
    /// Read loads on the service with a token, one per round.
    service: Vec<wrk::Run>,
    /// Read loads on the service with a portal session cookie, one per round.
    session: Vec<wrk::Run>,
    /// Read loads on nginx, one per round.
    nginx: Vec<wrk::Run>,
    /// Read loads on the service with a token scoped to a marketplace and a tenant.
    scoped: Vec<wrk::Run>,
    /// Read loads on nginx serving the scoped read's body.
    scoped_nginx: Vec<wrk::Run>,
    /// Size of the JSON body of the read loads.
    body_bytes: Option<usize>,
    /// Activation load.
    activations: Option<wrk::Run>,
    /// The admin API's count after the activation load.
    verification: Option<Verification>,
    /// Peak resident memory of the first service process (read and activation loads), KiB.
    first_peak_kib: Option<u64>,
    /// How long seeding took, in seconds.
    seed_seconds: Option<f64>,
    /// Read load on the service with the seeded database.
    seeded: Option<wrk::Run>,
    /// Memory of the restarted service: idle before the load, highest sample during it, and
    /// peak since start (VmHWM) after it, KiB.
    seeded_memory: Option<(u64, u64, u64)>,
    /// CPUs used on average by other processes (not the service, nginx, wrk or this one)
    /// during each load, by load.
    others: Vec<(&'static str, f64)>,
    /// Activation load with an event configuration linked.
    linked_activations: Option<wrk::Run>,
    /// The deliveries of that load.
    linked_deliveries: Option<Deliveries>,
    /// The deliveries of the outbox inserted at once.
    outbox: Option<Deliveries>,
    /// Execution loads without alert monitors, one per round.
    executions: Vec<Executions>,
    /// Execution loads with [`MONITORS`] alert monitors, one per round.
    monitored_executions: Vec<Executions>,
    /// Memory of the service with the stalled receiver: idle before the queue, highest sample
    /// in [`STALL_SECONDS`], KiB; and the deliveries pending at the end.
    stalled: Option<(u64, u64, i64)>,
    /// PostgreSQL catalog reads, one process, one per round.
    pg_read: Vec<wrk::Run>,
    /// PostgreSQL catalog reads, two processes (both wrk runs together), one per round.
    pg_read_two: Vec<wrk::Run>,
    /// PostgreSQL activations, one process.
    pg_activations: Option<wrk::Run>,
    /// PostgreSQL activations, two processes.
    pg_activations_two: Option<wrk::Run>,
    /// Read loads after the activation loads with the re-scorer off, one per round.
    rescorer_off: Vec<wrk::Run>,
    /// The same read loads while re-scoring every [`RESCORE_EVERY_S`] seconds, one per round.
    rescoring: Vec<wrk::Run>,
    /// The re-scorer's passes in those loads: how many, and their total time in seconds.
    rescore_passes: Vec<(u64, f64)>,
}

/// What `bench_support tally` found of a set of deliveries.
#[derive(Debug, Clone, Default)]
struct Deliveries {
    /// Delivery rows.
    rows: u64,
    /// Rows that succeeded.
    succeeded: u64,
    /// Rows whose `webhook-id` the receiver got.
    received: u64,
    /// Rows whose `webhook-id` the receiver never got.
    missing: u64,
    /// Requests beyond the first for a `webhook-id`.
    duplicates: u64,
    /// First to last arrival, per second.
    rate: f64,
    /// From the event's `timestamp` to the first arrival, ms.
    p50_ms: i64,
    /// From the event's `timestamp` to the first arrival, ms.
    p99_ms: i64,
    /// Pending deliveries each second (`<seconds>s:<count>` words).
    depth: String,
}

impl Deliveries {
    /// Every delivery arrived once and its row succeeded.
    fn accounted(&self) -> bool {
        self.rows > 0
            && self.succeeded == self.rows
            && self.received == self.rows
            && self.missing == 0
            && self.duplicates == 0
    }

    /// Reads `bench_support tally`'s lines.
    fn parse(text: &str) -> Result<Deliveries> {
        let values = key_values(text);
        let get = |key: &str| field(&values, key, "bench_support tally");
        let int = |key: &str| -> Result<u64> {
            get(key)?
                .parse()
                .map_err(|e| format!("bench_support tally: {key}: {e}"))
        };
        let ms = |key: &str| -> Result<i64> {
            get(key)?
                .parse()
                .map_err(|e| format!("bench_support tally: {key}: {e}"))
        };
        Ok(Deliveries {
            rows: int("deliveries")?,
            succeeded: int("succeeded")?,
            received: int("received")?,
            missing: int("missing")?,
            duplicates: int("duplicates")?,
            rate: get("rate")?
                .parse()
                .map_err(|e| format!("bench_support tally: rate: {e}"))?,
            p50_ms: ms("latency_p50_ms")?,
            p99_ms: ms("latency_p99_ms")?,
            depth: get("depth")?.to_owned(),
        })
    }
}

/// One execution load: wrk's run and what `bench_support executions` counted.
#[derive(Debug, Clone, Default)]
struct Executions {
    /// The webhook load.
    run: wrk::Run,
    /// Executions that ended during the load.
    finished: u64,
    /// Executions the load started.
    total: u64,
    /// Of those, executions that did not succeed.
    unsucceeded: u64,
}

impl Executions {
    /// Executions that ended per second of the load.
    fn rate(&self) -> f64 {
        if self.run.duration_us == 0 {
            0.0
        } else {
            self.finished as f64 * 1e6 / self.run.duration_us as f64
        }
    }

    /// Reads `bench_support executions`'s lines into `run`'s measurement.
    fn parse(run: wrk::Run, text: &str) -> Result<Executions> {
        let values = key_values(text);
        let int = |key: &str| -> Result<u64> {
            field(&values, key, "bench_support executions")?
                .parse()
                .map_err(|e| format!("bench_support executions: {key}: {e}"))
        };
        let total = int("total")?;
        let succeeded = values
            .get("status.succeeded")
            .map_or(Ok(0), |v| v.parse::<u64>())
            .map_err(|e| format!("bench_support executions: status.succeeded: {e}"))?;
        Ok(Executions {
            run,
            finished: int("finished")?,
            total,
            unsucceeded: total.saturating_sub(succeeded),
        })
    }
}

/// What the admin API stores after the activation load.
#[derive(Debug, Clone, Copy)]
struct Verification {
    /// Instances listed by the admin API, less those there before the load.
    stored: u64,
    /// Acknowledged activations (201 answers, by instance id).
    acknowledged: u64,
    /// Acknowledged activations whose instance is not listed.
    missing: u64,
}

impl Verification {
    /// Every acknowledged instance is stored, and any extra one is a request wrk abandoned in
    /// flight when its time was up (at most one per connection).
    fn durable(&self) -> bool {
        self.missing == 0
            && self.stored >= self.acknowledged
            && self.stored - self.acknowledged <= wrk::CONNECTIONS
    }
}

/// Runs the benchmark and prints the report.
pub(crate) fn run() -> Result {
    apt::ensure_packages(&PACKAGES)?;
    build()?;
    let dir = std::env::temp_dir().join(format!("marketplace-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    println!("working folder: {}", dir.display());
    let mut report = Report::default();
    let result = measure(&dir, &mut report);
    print_report(&report);
    match result {
        Ok(()) => {
            let _ = std::fs::remove_dir_all(&dir);
            Ok(())
        }
        Err(message) => Err(format!(
            "{message}\n(working folder kept for inspection: {})",
            dir.display()
        )),
    }
}

/// Builds the service and the helper in release.
fn build() -> Result {
    cmd::run(&mut cmd::cargo_command(&[
        "build",
        "--release",
        "--package",
        "marketplace-server",
        "--bin",
        "marketplace-server",
        "--example",
        "bench_support",
    ]))
}

/// The release artifacts' folder (`$CARGO_TARGET_DIR/release` or `target/release`).
fn release_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| cmd::workspace_root().join("target"));
    let target = if target.is_absolute() {
        target
    } else {
        cmd::workspace_root().join(target)
    };
    target.join("release")
}

/// The binaries and the database of a run.
struct Setup {
    /// `marketplace-server`.
    server: PathBuf,
    /// `bench_support`.
    support: PathBuf,
    /// `sqlite://...` URL of the database.
    database: String,
    /// Where the receiver of vendor events logs what it gets.
    receiver_log: PathBuf,
    /// The working folder.
    dir: PathBuf,
    /// Environment of the service and the helper (PostgreSQL: the master key and the demo file,
    /// which SQLite keeps beside the database).
    env: Vec<(&'static str, String)>,
}

impl Setup {
    /// Starts `marketplace-server demo` on a free port; returns it and its base URL.
    fn start_server(&self, log: &str) -> Result<(Process, String)> {
        self.start("demo", log)
    }

    /// Starts `marketplace-server <subcommand>` (`demo`, or `serve` for a further process on a
    /// database the demo made) on a free port; returns it and its base URL.
    fn start(&self, subcommand: &str, log: &str) -> Result<(Process, String)> {
        self.start_with(subcommand, log, &[])
    }

    /// [`start`](Self::start) with further arguments of the service.
    fn start_with(&self, subcommand: &str, log: &str, extra: &[&str]) -> Result<(Process, String)> {
        let port = process::free_port()?;
        let mut command = self.command(&self.server);
        command
            .args([subcommand, "--database", &self.database, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args([
                "--allow-private-targets",
                "--event-timeout-ms",
                EVENT_TIMEOUT_MS,
                // wrk is one address with one token: the rate limits are off, to measure the
                // service rather than its 429s.
                "--rate-limit-per-token",
                "0",
                "--rate-limit-per-ip",
                "0",
            ])
            .args(extra);
        let server = Process::start(
            "marketplace-server",
            &mut command,
            &self.dir.join(log),
            port,
        )?;
        // It listens at once; it is ready once the demo's data is made.
        let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let started = std::time::Instant::now();
        while !cmd::is_ready(address) {
            if started.elapsed() > std::time::Duration::from_secs(120) {
                return Err("marketplace-server did not become ready within 120 s".into());
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Ok((server, format!("http://127.0.0.1:{port}")))
    }

    /// Runs the helper; returns its standard output.
    fn support(&self, args: &[&str]) -> Result<String> {
        cmd::output(self.command(&self.support).args(args))
    }

    /// A command of the service's or the helper's program, with [`Setup::env`] set.
    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command.envs(self.env.iter().map(|(name, value)| (name, value)));
        command
    }

    /// Signs a portal user of the customer `external_id` in; returns the `mp_session` value.
    fn session(&self, base: &str, api_key: &str, external_id: &str) -> Result<String> {
        let email = format!("reader@{external_id}.example");
        let out = self.support(&[
            "session",
            "--url",
            base,
            "--api-key",
            api_key,
            "--customer",
            external_id,
            "--email",
            &email,
        ])?;
        out.lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| "bench_support session printed no cookie".into())
    }

    /// Tokens for customers `<prefix>0...`, each used once on `warm_url`.
    fn tokens(&self, prefix: &str, count: usize, warm_url: &str) -> Result<Vec<String>> {
        let count = count.to_string();
        let out = self.support(&[
            "tokens",
            "--database",
            &self.database,
            "--prefix",
            prefix,
            "--count",
            &count,
            "--warm",
            warm_url,
        ])?;
        let tokens: Vec<String> = out.lines().map(str::to_owned).collect();
        if tokens.is_empty() {
            return Err("bench_support printed no token".into());
        }
        Ok(tokens)
    }

    /// Starts `bench_support receive` on a free port (`--stall`: never answering); returns it
    /// and its URL.
    fn start_receiver(&self, stall: bool) -> Result<(Process, String)> {
        let port = process::free_port()?;
        let mut command = Command::new(&self.support);
        command
            .args(["receive", "--listen", &format!("127.0.0.1:{port}"), "--log"])
            .arg(&self.receiver_log);
        if stall {
            command.arg("--stall");
        }
        let name = if stall {
            "stalled receiver"
        } else {
            "receiver"
        };
        let receiver = Process::start(
            name,
            &mut command,
            &self.dir.join(format!("{name}.out")),
            port,
        )?;
        Ok((receiver, format!("http://127.0.0.1:{port}/events")))
    }

    /// Creates an event configuration sending to `receiver` and links it to `integration`;
    /// returns its id.
    fn link(&self, base: &str, api_key: &str, integration: &str, receiver: &str) -> Result<String> {
        let out = self.support(&[
            "link",
            "--url",
            base,
            "--api-key",
            api_key,
            "--integration",
            integration,
            "--receiver",
            receiver,
        ])?;
        Ok(field(
            &key_values(&out),
            "event_configuration_id",
            "bench_support link",
        )?
        .to_owned())
    }

    /// Inserts `count` deliveries to `configuration`, due in `delay_ms`; returns when (Unix ms).
    fn enqueue(&self, configuration: &str, count: usize, delay_ms: u64) -> Result<i64> {
        let out = self.support(&[
            "enqueue",
            "--database",
            &self.database,
            "--configuration",
            configuration,
            "--count",
            &count.to_string(),
            "--delay-ms",
            &delay_ms.to_string(),
        ])?;
        field(&key_values(&out), "due", "bench_support enqueue")?
            .parse()
            .map_err(|e| format!("bench_support enqueue: due: {e}"))
    }

    /// Awaits and checks the deliveries to `configuration` created from `since` (Unix ms).
    fn tally(&self, configuration: &str, since: i64) -> Result<Deliveries> {
        let out = self.support(&[
            "tally",
            "--database",
            &self.database,
            "--configuration",
            configuration,
            "--since",
            &since.to_string(),
            "--log",
            &self.receiver_log.display().to_string(),
        ])?;
        let deliveries = Deliveries::parse(&out)?;
        println!(
            "{} deliveries: {} succeeded, {} received, {} missing, {} duplicates; {:.0}/s; \
             timestamp to arrival p50 {} ms, p99 {} ms\nqueue depth by second: {}",
            deliveries.rows,
            deliveries.succeeded,
            deliveries.received,
            deliveries.missing,
            deliveries.duplicates,
            deliveries.rate,
            deliveries.p50_ms,
            deliveries.p99_ms,
            deliveries.depth
        );
        Ok(deliveries)
    }

    /// How many of the deliveries to `configuration` created from `since` are pending.
    fn pending(&self, configuration: &str, since: i64) -> Result<i64> {
        let out = self.support(&[
            "pending",
            "--database",
            &self.database,
            "--configuration",
            configuration,
            "--since",
            &since.to_string(),
        ])?;
        field(&key_values(&out), "pending", "bench_support pending")?
            .parse()
            .map_err(|e| format!("bench_support pending: {e}"))
    }

    /// Runs the execution load on `webhook_url`, then awaits its executions and counts them.
    fn executions(
        &self,
        report: &mut Report,
        name: &'static str,
        measured: &[u32],
        script: &Path,
        webhook_url: &str,
    ) -> Result<Executions> {
        let since = now_ms();
        let run = load(report, name, measured, || {
            wrk::run(
                script,
                &[],
                webhook_url,
                &[("BENCH_BODY", WEBHOOK_BODY)],
                || {},
            )
        })?;
        let until = now_ms();
        let out = self.support(&[
            "executions",
            "--database",
            &self.database,
            "--since",
            &since.to_string(),
            "--until",
            &until.to_string(),
        ])?;
        let executions = Executions::parse(run, &out)?;
        println!(
            "{} executions started, {} ended during the load ({:.0}/s), {} did not succeed",
            executions.total,
            executions.finished,
            executions.rate(),
            executions.unsucceeded
        );
        Ok(executions)
    }

    /// Writes a file of the working folder.
    fn write(&self, name: &str, contents: &[u8]) -> Result<PathBuf> {
        let path = self.dir.join(name);
        std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }
}

/// Prints a phase header; returns its start, for [`done`].
fn phase(title: &str) -> Instant {
    println!("\n--- {title}");
    Instant::now()
}

/// Prints how long a phase took.
fn done(started: Instant) {
    println!("--- done in {:.1}s", started.elapsed().as_secs_f64());
}

/// `key=value` lines.
fn key_values(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

/// The value of `key`, or an error naming what printed it.
fn field<'a>(values: &'a HashMap<String, String>, key: &str, what: &str) -> Result<&'a str> {
    values
        .get(key)
        .map(String::as_str)
        .ok_or_else(|| format!("{what} printed no `{key}`"))
}

/// Runs a load, measuring the CPU that processes other than `measured` (and their children),
/// wrk and this one used meanwhile (recorded under `name`).
fn load(
    report: &mut Report,
    name: &'static str,
    measured: &[u32],
    run: impl FnOnce() -> Result<wrk::Run>,
) -> Result<wrk::Run> {
    let meter = process::CpuMeter::start(measured);
    let result = run()?;
    if let Some(others) = meter.and_then(|meter| meter.others()) {
        println!("CPU used by other processes during the load: {others:.2} CPUs");
        report.others.push((name, others));
    }
    Ok(result)
}

/// The re-scorer's passes a service counted (`GET /metrics`): how many, and their total time
/// in seconds.
fn rescore_passes(metrics: &str) -> Result<(u64, f64)> {
    let value = |name: &str| {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .map(str::trim)
            .ok_or_else(|| format!("GET /metrics has no {name}"))
    };
    let count = value("marketplace_rescore_duration_seconds_count")?;
    let sum = value("marketplace_rescore_duration_seconds_sum")?;
    Ok((
        count.parse().map_err(|e| format!("{count}: {e}"))?,
        sum.parse().map_err(|e| format!("{sum}: {e}"))?,
    ))
}

/// The measurements, in order, filling `report` as they come.
fn measure(dir: &Path, report: &mut Report) -> Result {
    let release = release_dir();
    let setup = Setup {
        server: release.join("marketplace-server"),
        support: release.join("examples").join("bench_support"),
        database: format!("sqlite://{}", dir.join("bench.db").display()),
        receiver_log: dir.join("receiver.log"),
        dir: dir.to_path_buf(),
        env: Vec::new(),
    };
    let read_script = setup.write("read.lua", wrk::READ_SCRIPT.as_bytes())?;
    let activate_script = setup.write("activate.lua", wrk::ACTIVATE_SCRIPT.as_bytes())?;
    let webhook_script = setup.write("webhook.lua", wrk::WEBHOOK_SCRIPT.as_bytes())?;

    let started = phase("service: marketplace-server demo on a new SQLite database");
    let (mut server, base) = setup.start_server("server-1.log")?;
    let pid = server.pid().ok_or("the service has no pid")?;
    let info = key_values(&setup.support(&["info", "--database", &setup.database])?);
    let marketplace_url = format!("{base}{MARKETPLACE_PATH}");
    // The token's customer, `bench-read-0`, is created on its first read; then its session.
    let read_token = setup.tokens("bench-read-", 1, &marketplace_url)?.remove(0);
    let api_key = field(&info, "api_key", "bench_support info")?;
    let grown = key_values(&setup.support(&[
        "marketplaces",
        "--url",
        &base,
        "--api-key",
        api_key,
        "--marketplaces",
        &MARKETPLACES.to_string(),
        "--tenants",
        &TENANTS.to_string(),
        "--listings",
        &LISTINGS.to_string(),
    ])?);
    let scoped_token = setup.support(&[
        "tokens",
        "--database",
        &setup.database,
        "--prefix",
        "bench-scoped-",
        "--warm",
        &marketplace_url,
        "--marketplace",
        field(&grown, "marketplace", "bench_support marketplaces")?,
        "--tenant",
        field(&grown, "tenant", "bench_support marketplaces")?,
    ])?;
    let scoped_token = scoped_token.trim().to_owned();
    let scoped_file = dir.join("scoped.json");
    setup.support(&[
        "fetch",
        "--url",
        &marketplace_url,
        "--token",
        &scoped_token,
        "--out",
        &scoped_file.display().to_string(),
    ])?;
    let scoped_body =
        std::fs::read(&scoped_file).map_err(|e| format!("{}: {e}", scoped_file.display()))?;
    let session = setup.session(&base, api_key, "bench-read-0")?;
    let body_file = dir.join("marketplace.json");
    setup.support(&[
        "fetch",
        "--url",
        &marketplace_url,
        "--token",
        &read_token,
        "--out",
        &body_file.display().to_string(),
    ])?;
    let body = std::fs::read(&body_file).map_err(|e| format!("{}: {e}", body_file.display()))?;
    report.body_bytes = Some(body.len());
    done(started);

    let nginx_port = process::free_port()?;
    let mut nginx = nginx::start(&dir.join("nginx"), nginx_port, MARKETPLACE_PATH, &body)?;
    let nginx_url = format!("http://127.0.0.1:{nginx_port}{MARKETPLACE_PATH}");
    let nginx_pid = nginx.pid().ok_or("nginx has no pid")?;
    let scoped_port = process::free_port()?;
    let mut scoped_nginx = nginx::start(
        &dir.join("nginx-scoped"),
        scoped_port,
        MARKETPLACE_PATH,
        &scoped_body,
    )?;
    let scoped_nginx_url = format!("http://127.0.0.1:{scoped_port}{MARKETPLACE_PATH}");
    let scoped_nginx_pid = scoped_nginx.pid().ok_or("nginx has no pid")?;
    let scoped_auth = vec![
        "-H".to_owned(),
        format!("Authorization: Bearer {scoped_token}"),
    ];
    let auth = vec![
        "-H".to_owned(),
        format!("Authorization: Bearer {read_token}"),
    ];
    let cookie = vec!["-H".to_owned(), format!("Cookie: mp_session={session}")];
    for round in 1..=ROUNDS {
        let started = phase(&format!(
            "load 1, round {round}/{ROUNDS}: GET /api/v1/embedded/marketplace on the service, token"
        ));
        let run = load(report, "read", &[pid], || {
            wrk::run(&read_script, &auth, &marketplace_url, &[], || {})
        })?;
        report.service.push(run);
        done(started);
        let started = phase(&format!(
            "load 2, round {round}/{ROUNDS}: the same read with a portal session cookie"
        ));
        let run = load(report, "session read", &[pid], || {
            wrk::run(&read_script, &cookie, &marketplace_url, &[], || {})
        })?;
        report.session.push(run);
        done(started);
        let started = phase(&format!(
            "load 3, round {round}/{ROUNDS}: the same JSON body, static, on nginx"
        ));
        let run = load(report, "nginx", &[nginx_pid], || {
            wrk::run(&read_script, &auth, &nginx_url, &[], || {})
        })?;
        report.nginx.push(run);
        done(started);
        let started = phase(&format!(
            "load 3b, round {round}/{ROUNDS}: the catalog of a second marketplace, tenant-scoped token"
        ));
        let run = load(report, "scoped read", &[pid], || {
            wrk::run(&read_script, &scoped_auth, &marketplace_url, &[], || {})
        })?;
        report.scoped.push(run);
        done(started);
        let started = phase(&format!(
            "load 3c, round {round}/{ROUNDS}: the scoped read's JSON body, static, on nginx"
        ));
        let run = load(report, "nginx", &[scoped_nginx_pid], || {
            wrk::run(&read_script, &scoped_auth, &scoped_nginx_url, &[], || {})
        })?;
        report.scoped_nginx.push(run);
        done(started);
    }
    nginx.stop()?;
    scoped_nginx.stop()?;

    let started = phase("load 4: activations (POST /api/v1/embedded/instances, Slack)");
    let slack = field(&info, "integration.slack", "bench_support info")?;
    let tokens = setup.tokens("bench-act-", ACTIVATION_CUSTOMERS, &marketplace_url)?;
    let tokens_file = setup.write("activation-tokens.txt", tokens.join("\n").as_bytes())?;
    let ids_file = dir.join("activated-ids.txt");
    let activation = format!(
        r#"{{"integration_id":"{slack}","config":{{"webhook_url":"https://hooks.example.com/bench"}}}}"#
    );
    let activate_url = format!("{base}{ACTIVATE_PATH}");
    let tokens_path = tokens_file.display().to_string();
    let ids_path = ids_file.display().to_string();
    // Instances stored before the load (the demo's): not the load's.
    let verify = |ids: &Path| -> Result<HashMap<String, String>> {
        Ok(key_values(&setup.support(&[
            "verify",
            "--url",
            &base,
            "--api-key",
            api_key,
            "--ids",
            &ids.display().to_string(),
        ])?))
    };
    let number = |counted: &HashMap<String, String>, key: &str| -> Result<u64> {
        field(counted, key, "bench_support verify")?
            .parse()
            .map_err(|e| format!("bench_support verify: {key}: {e}"))
    };
    let stored_before = number(&verify(&setup.write("no-ids.txt", b"")?)?, "stored")?;
    let run = load(report, "activation", &[pid], || {
        wrk::run(
            &activate_script,
            &[],
            &activate_url,
            &[
                ("BENCH_TOKENS", &tokens_path),
                ("BENCH_BODY", &activation),
                ("BENCH_IDS", &ids_path),
            ],
            || {},
        )
    })?;
    if let Some(error) = &run.first_error {
        println!("first answer other than 201: {error}");
    }
    report.activations = Some(run);
    let counted = verify(&ids_file)?;
    report.verification = Some(Verification {
        stored: number(&counted, "stored")?.saturating_sub(stored_before),
        acknowledged: number(&counted, "acknowledged")?,
        missing: number(&counted, "missing")?,
    });
    done(started);

    let started = phase(
        "load 4 again, with an event configuration linked to Slack: each activation enqueues a signed delivery to a receiver on loopback",
    );
    let (mut receiver, receiver_url) = setup.start_receiver(false)?;
    let receiver_pid = receiver.pid().ok_or("the receiver has no pid")?;
    let configuration = setup.link(&base, api_key, slack, &receiver_url)?;
    let since = now_ms();
    let linked_ids = dir.join("activated-ids-linked.txt").display().to_string();
    let run = load(report, "linked activation", &[pid, receiver_pid], || {
        wrk::run(
            &activate_script,
            &[],
            &activate_url,
            &[
                ("BENCH_TOKENS", &tokens_path),
                ("BENCH_BODY", &activation),
                ("BENCH_IDS", &linked_ids),
            ],
            || {},
        )
    })?;
    if let Some(error) = &run.first_error {
        println!("first answer other than 201: {error}");
    }
    report.linked_activations = Some(run);
    report.linked_deliveries = Some(setup.tally(&configuration, since)?);
    done(started);

    let started = phase(&format!(
        "signed deliveries: {OUTBOX} in the outbox at once, to the receiver answering 200"
    ));
    let due = setup.enqueue(&configuration, OUTBOX, 2_000)?;
    report.outbox = Some(setup.tally(&configuration, due)?);
    report.first_peak_kib = process::memory_kib(pid).map(|(_, peak)| peak);
    done(started);

    let started =
        phase("executions: an instance of Slack whose webhook flow delivers to the receiver");
    let hook = key_values(&setup.support(&[
        "hook",
        "--database",
        &setup.database,
        "--url",
        &base,
        "--integration",
        slack,
        "--customer",
        "bench-exec-0",
        "--receiver",
        &receiver_url,
    ])?);
    let webhook_url = format!(
        "{base}{}",
        field(&hook, "webhook_path", "bench_support hook")?
    );
    let measured = [pid, receiver_pid];
    done(started);
    // Without then with, with then without, ...: the monitors are created or deleted only
    // between the two loads of a round, and neither kind always runs on the fuller database.
    let mut monitored = false;
    for round in 1..=EXECUTION_ROUNDS {
        let order = if round % 2 == 1 {
            [false, true]
        } else {
            [true, false]
        };
        for with_monitors in order {
            if with_monitors != monitored {
                let mut args = vec!["monitors", "--url", &base, "--api-key", api_key];
                let count = MONITORS.to_string();
                if with_monitors {
                    args.extend(["--count", &count]);
                } else {
                    args.push("--delete");
                }
                setup.support(&args)?;
                monitored = with_monitors;
            }
            let started = phase(&if with_monitors {
                format!(
                    "executions, round {round}/{EXECUTION_ROUNDS}: POST /webhooks/{{token}} with {MONITORS} alert monitors in the organization (none fires)"
                )
            } else {
                format!(
                    "executions, round {round}/{EXECUTION_ROUNDS}: POST /webhooks/{{token}}, no alert monitors"
                )
            });
            let name = if with_monitors {
                "monitored execution"
            } else {
                "execution"
            };
            let run = setup.executions(report, name, &measured, &webhook_script, &webhook_url)?;
            if with_monitors {
                report.monitored_executions.push(run);
            } else {
                report.executions.push(run);
            }
            done(started);
        }
    }
    receiver.stop()?;
    server.stop()?;

    let started = phase(&format!(
        "re-scoring: load 1 after the activation loads (their subscriptions scored), {RESCORE_ROUNDS} rounds each of a restarted service with the re-scorer off, then re-scoring every {RESCORE_EVERY_S} s"
    ));
    for _ in 0..RESCORE_ROUNDS {
        for rescoring in [false, true] {
            let interval = if rescoring { RESCORE_EVERY_S } else { "0" };
            let (mut server, base) = setup.start_with(
                "serve",
                &format!("server-rescore-{interval}.log"),
                &[
                    "--rescore-interval-s",
                    interval,
                    "--metrics-token",
                    METRICS_TOKEN,
                ],
            )?;
            let pid = server.pid().ok_or("the service has no pid")?;
            let url = format!("{base}{MARKETPLACE_PATH}");
            let fetched = dir.join("rescore-fetched.txt").display().to_string();
            // The first read builds the snapshots, as load 1's warm-up did.
            setup.support(&[
                "fetch",
                "--url",
                &url,
                "--token",
                &read_token,
                "--out",
                &fetched,
            ])?;
            let name = if rescoring {
                "read, re-scoring"
            } else {
                "read, re-scorer off"
            };
            let run = load(report, name, &[pid], || {
                wrk::run(&read_script, &auth, &url, &[], || {})
            })?;
            if rescoring {
                let metrics = format!("{base}/metrics");
                setup.support(&[
                    "fetch",
                    "--url",
                    &metrics,
                    "--token",
                    METRICS_TOKEN,
                    "--out",
                    &fetched,
                ])?;
                let text =
                    std::fs::read_to_string(&fetched).map_err(|e| format!("{fetched}: {e}"))?;
                report.rescore_passes.push(rescore_passes(&text)?);
                report.rescoring.push(run);
            } else {
                report.rescorer_off.push(run);
            }
            server.stop()?;
        }
    }
    done(started);

    let started = phase(&format!(
        "memory: {SEED_CUSTOMERS} customers and {SEED_INSTANCES} instances seeded, service restarted, load 1 again"
    ));
    let seed_started = Instant::now();
    setup.support(&[
        "seed",
        "--database",
        &setup.database,
        "--customers",
        &SEED_CUSTOMERS.to_string(),
        "--instances",
        &SEED_INSTANCES.to_string(),
    ])?;
    report.seed_seconds = Some(seed_started.elapsed().as_secs_f64());
    let (mut server, base) = setup.start_server("server-2.log")?;
    let pid = server.pid().ok_or("the service has no pid")?;
    let marketplace_url = format!("{base}{MARKETPLACE_PATH}");
    // `seed-0` is a seeded customer with ten instances.
    let seeded_token = setup.tokens("seed-", 1, &marketplace_url)?.remove(0);
    let (idle, _) = process::memory_kib(pid).ok_or("cannot read the service's memory")?;
    let auth = vec![
        "-H".to_owned(),
        format!("Authorization: Bearer {seeded_token}"),
    ];
    let mut highest = idle;
    let run = load(report, "seeded read", &[pid], || {
        wrk::run(&read_script, &auth, &marketplace_url, &[], || {
            if let Some((rss, _)) = process::memory_kib(pid) {
                highest = highest.max(rss);
            }
        })
    })?;
    report.seeded = Some(run);
    let (_, peak) = process::memory_kib(pid).ok_or("cannot read the service's memory")?;
    report.seeded_memory = Some((idle, highest, peak));
    server.stop()?;
    done(started);

    let started = phase(&format!(
        "stalled receiver: a new service and database, {STALLED} deliveries queued to a receiver that never answers, memory sampled for {STALL_SECONDS} s"
    ));
    let stalled = Setup {
        database: format!("sqlite://{}", dir.join("stalled.db").display()),
        receiver_log: dir.join("stalled.log"),
        server: setup.server.clone(),
        support: setup.support.clone(),
        dir: setup.dir.clone(),
        env: Vec::new(),
    };
    let (mut server, base) = stalled.start_server("server-3.log")?;
    let pid = server.pid().ok_or("the service has no pid")?;
    let info = key_values(&stalled.support(&["info", "--database", &stalled.database])?);
    let (mut receiver, receiver_url) = stalled.start_receiver(true)?;
    let configuration = stalled.link(
        &base,
        field(&info, "api_key", "bench_support info")?,
        field(&info, "integration.slack", "bench_support info")?,
        &receiver_url,
    )?;
    let (idle, _) = process::memory_kib(pid).ok_or("cannot read the service's memory")?;
    let due = stalled.enqueue(&configuration, STALLED, 0)?;
    let mut highest = idle;
    let sampling = Instant::now();
    while sampling.elapsed().as_secs() < STALL_SECONDS {
        if let Some((rss, _)) = process::memory_kib(pid) {
            highest = highest.max(rss);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let pending = stalled.pending(&configuration, due)?;
    println!(
        "RSS idle {}, highest {}; {pending} deliveries still pending",
        mib(idle),
        mib(highest)
    );
    report.stalled = Some((idle, highest, pending));
    receiver.stop()?;
    server.stop()?;
    done(started);
    measure_postgres(&setup, &read_script, &activate_script, report)
}

/// The PostgreSQL column: the catalog read and the activations against one service process,
/// then against two on the same database (a wrk per process, half the connections each).
fn measure_postgres(
    sqlite: &Setup,
    read_script: &Path,
    activate_script: &Path,
    report: &mut Report,
) -> Result {
    let started = phase("PostgreSQL: a throwaway server, the demo on it, and a second process");
    let pg = crate::postgres::Postgres::start()?;
    let setup = Setup {
        database: pg.url.clone(),
        receiver_log: sqlite.dir.join("pg-receiver.log"),
        server: sqlite.server.clone(),
        support: sqlite.support.clone(),
        dir: sqlite.dir.clone(),
        env: vec![
            ("MARKETPLACE_MASTER_KEY", PG_MASTER_KEY.to_owned()),
            (
                "MARKETPLACE_DEMO_FILE",
                sqlite.dir.join("pg.demo.json").display().to_string(),
            ),
        ],
    };
    let (mut first, base) = setup.start_server("pg-server-1.log")?;
    let (mut second, second_base) = setup.start("serve", "pg-server-2.log")?;
    // PostgreSQL works for the service: its processes are measured with it, not as noise.
    let postmaster = pg.pid().ok_or("PostgreSQL has no postmaster.pid")?;
    let one = [first.pid().ok_or("the service has no pid")?, postmaster];
    let pids = [
        one[0],
        second.pid().ok_or("the service has no pid")?,
        postmaster,
    ];
    let marketplace_url = format!("{base}{MARKETPLACE_PATH}");
    let second_marketplace_url = format!("{second_base}{MARKETPLACE_PATH}");
    let read_token = setup
        .tokens("bench-pg-read-", 1, &marketplace_url)?
        .remove(0);
    let auth = vec![
        "-H".to_owned(),
        format!("Authorization: Bearer {read_token}"),
    ];
    done(started);
    for round in 1..=PG_ROUNDS {
        let started = phase(&format!(
            "PostgreSQL read, round {round}/{PG_ROUNDS}: GET /api/v1/embedded/marketplace, one process"
        ));
        let run = load(report, "pg read", &one, || {
            wrk::run(read_script, &auth, &marketplace_url, &[], || {})
        })?;
        report.pg_read.push(run);
        done(started);
        let started = phase(&format!(
            "PostgreSQL read, round {round}/{PG_ROUNDS}: the same, two processes (a wrk each)"
        ));
        let run = load(report, "pg read x2", &pids, || {
            wrk::run_split(
                read_script,
                &auth,
                &[&marketplace_url, &second_marketplace_url],
                &[],
            )
        })?;
        report.pg_read_two.push(run);
        done(started);
    }

    let info = key_values(&setup.support(&["info", "--database", &setup.database])?);
    let slack = field(&info, "integration.slack", "bench_support info")?;
    let activation = format!(
        r#"{{"integration_id":"{slack}","config":{{"webhook_url":"https://hooks.example.com/bench"}}}}"#
    );
    let tokens = setup.tokens("bench-pg-act-", ACTIVATION_CUSTOMERS, &marketplace_url)?;
    let tokens_file = setup.write("pg-activation-tokens.txt", tokens.join("\n").as_bytes())?;
    let tokens_path = tokens_file.display().to_string();
    let ids_path = setup.dir.join("pg-activated-ids.txt").display().to_string();
    let env = [
        ("BENCH_TOKENS", tokens_path.as_str()),
        ("BENCH_BODY", activation.as_str()),
        ("BENCH_IDS", ids_path.as_str()),
    ];
    let started = phase("PostgreSQL activations, one process");
    let run = load(report, "pg activation", &one, || {
        wrk::run(
            activate_script,
            &[],
            &format!("{base}{ACTIVATE_PATH}"),
            &env,
            || {},
        )
    })?;
    report.pg_activations = Some(run);
    done(started);
    let started = phase("PostgreSQL activations, two processes (a wrk each)");
    let run = load(report, "pg activation x2", &pids, || {
        wrk::run_split(
            activate_script,
            &[],
            &[
                &format!("{base}{ACTIVATE_PATH}"),
                &format!("{second_base}{ACTIVATE_PATH}"),
            ],
            &env,
        )
    })?;
    report.pg_activations_two = Some(run);
    second.stop()?;
    first.stop()?;
    drop(pg);
    done(started);
    Ok(())
}

/// Unix milliseconds now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A verdict column: `ok`, `MISSED`, or empty without a target.
fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "ok",
        Some(false) => "MISSED",
        None => "",
    }
}

/// Formats a count with thousands separators.
fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The median of some values (the mean of the middle two for an even count); 0 when empty.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// KiB as MiB, one decimal.
fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The rows of the report: (what, measured, target, verdict).
fn rows(report: &Report) -> Vec<(String, String, String, &'static str)> {
    let mut rows = Vec::new();
    let mut row = |what: &str, measured: String, target: &str, met: Option<bool>| {
        rows.push((what.to_owned(), measured, target.to_owned(), verdict(met)));
    };
    let errors = |run: &wrk::Run| {
        let errors = run.socket_errors + run.status_errors;
        if errors == 0 {
            String::new()
        } else {
            format!(" ({errors} errors)")
        }
    };
    if let Some(bytes) = report.body_bytes {
        row(
            "JSON body of the read loads",
            format!("{bytes} bytes"),
            "",
            None,
        );
    }
    let rounds = |runs: &[wrk::Run]| {
        let rates: Vec<f64> = runs.iter().map(wrk::Run::rate).collect();
        let p50s: Vec<f64> = runs.iter().map(|r| r.p50_us as f64 / 1000.0).collect();
        let p99s: Vec<f64> = runs.iter().map(wrk::Run::p99_ms).collect();
        let errors: u64 = runs.iter().map(|r| r.socket_errors + r.status_errors).sum();
        (rates, p50s, p99s, errors)
    };
    let spread = |values: &[f64], format: &dyn Fn(f64) -> String| {
        let median = median(values);
        if values.len() < 2 {
            return format(median);
        }
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        format!("{} ({}-{})", format(median), format(low), format(high))
    };
    let rate = |n: f64| thousands(n);
    let ms = |n: f64| format!("{n:.2} ms");
    let with_errors = |text: String, errors: u64| {
        if errors == 0 {
            text
        } else {
            format!("{text} ({errors} errors)")
        }
    };
    if !report.service.is_empty() {
        let (rates, p50s, p99s, errors) = rounds(&report.service);
        row(
            &format!(
                "service: GET marketplace, requests/s, median of {}",
                rates.len()
            ),
            with_errors(spread(&rates, &rate), errors),
            "",
            None,
        );
        row("service: p50 latency, median", spread(&p50s, &ms), "", None);
        row(
            "service: p99 latency, median",
            spread(&p99s, &ms),
            "< 10 ms",
            Some(median(&p99s) < TARGET_P99_MS && errors == 0),
        );
    }
    if !report.session.is_empty() {
        let (rates, _, p99s, errors) = rounds(&report.session);
        row(
            &format!(
                "session: GET marketplace, requests/s, median of {}",
                rates.len()
            ),
            with_errors(spread(&rates, &rate), errors),
            "",
            None,
        );
        row("session: p99 latency, median", spread(&p99s, &ms), "", None);
    }
    if !report.service.is_empty() && !report.session.is_empty() {
        let token = median(&rounds(&report.service).0);
        let (rates, _, _, errors) = rounds(&report.session);
        let ratio = median(&rates) / token.max(f64::MIN_POSITIVE);
        // Errors (a refused cookie answers 401 quickly) would flatter the rate.
        row(
            "session / token reads (medians)",
            format!("{:.1} %", ratio * 100.0),
            ">= 80 %",
            Some(ratio >= TARGET_SESSION_RATIO && errors == 0),
        );
    }
    if !report.nginx.is_empty() {
        let (rates, _, p99s, errors) = rounds(&report.nginx);
        row(
            &format!(
                "nginx: same body, static, requests/s, median of {}",
                rates.len()
            ),
            with_errors(spread(&rates, &rate), errors),
            "",
            None,
        );
        row("nginx: p99 latency, median", spread(&p99s, &ms), "", None);
    }
    if !report.service.is_empty() && !report.nginx.is_empty() {
        let service = median(&rounds(&report.service).0);
        let nginx = median(&rounds(&report.nginx).0);
        let ratio = service / nginx.max(f64::MIN_POSITIVE);
        row(
            "service / nginx (medians)",
            format!("{:.1} %", ratio * 100.0),
            &at_least_percent(TARGET_RATIO),
            Some(ratio >= TARGET_RATIO),
        );
    }
    if !report.scoped.is_empty() {
        let (rates, _, p99s, errors) = rounds(&report.scoped);
        row(
            &format!(
                "scoped ({MARKETPLACES} marketplaces, {TENANTS} tenants, {LISTINGS} listings): requests/s, median of {}",
                rates.len()
            ),
            with_errors(spread(&rates, &rate), errors),
            "",
            None,
        );
        row(
            "scoped: p99 latency, median",
            spread(&p99s, &ms),
            "< 10 ms",
            Some(median(&p99s) < TARGET_P99_MS && errors == 0),
        );
    }
    if !report.scoped.is_empty() && !report.scoped_nginx.is_empty() {
        let service = median(&rounds(&report.scoped).0);
        let nginx = median(&rounds(&report.scoped_nginx).0);
        let ratio = service / nginx.max(f64::MIN_POSITIVE);
        row(
            "scoped / nginx with its body (medians)",
            format!("{:.1} %", ratio * 100.0),
            &at_least_percent(TARGET_RATIO),
            Some(ratio >= TARGET_RATIO),
        );
    }
    if let Some(run) = &report.activations {
        let other = if run.other > 0 {
            format!(" ({} answers not 201)", run.other)
        } else {
            String::new()
        };
        row(
            "activations/s (201 answers)",
            format!("{}{other}", thousands(run.created_rate())),
            &format!(">= {}", thousands(TARGET_ACTIVATIONS)),
            Some(run.created_rate() >= TARGET_ACTIVATIONS),
        );
        row(
            "activations: p99 latency",
            format!("{:.2} ms", run.p99_ms()),
            "",
            None,
        );
    }
    if let Some(v) = report.verification {
        row(
            "activations stored / acknowledged",
            format!(
                "{} / {} ({} missing)",
                thousands(v.stored as f64),
                thousands(v.acknowledged as f64),
                v.missing
            ),
            "all stored",
            Some(v.durable()),
        );
    }
    if let (Some(linked), Some(unlinked)) = (&report.linked_activations, &report.activations) {
        let ratio = linked.created_rate() / unlinked.created_rate().max(f64::MIN_POSITIVE);
        row(
            "activations/s, event configuration linked",
            format!(
                "{} ({:.0} % of unlinked)",
                thousands(linked.created_rate()),
                ratio * 100.0
            ),
            "within 20 %",
            Some(ratio >= TARGET_LINKED_RATIO),
        );
    }
    let accounted = |d: &Deliveries| {
        let mut text = format!(
            "{} of {} received, {} succeeded",
            thousands(d.received as f64),
            thousands(d.rows as f64),
            thousands(d.succeeded as f64)
        );
        if d.duplicates > 0 {
            text.push_str(&format!(", {} twice", d.duplicates));
        }
        text
    };
    if let Some(d) = &report.linked_deliveries {
        row(
            "deliveries of the linked load",
            accounted(d),
            "each once",
            Some(d.accounted()),
        );
        row(
            "  event to first attempt, p50 / p99",
            format!("{} / {} ms", d.p50_ms, d.p99_ms),
            "",
            None,
        );
    }
    if let Some(d) = &report.outbox {
        row(
            "signed deliveries/s (outbox of 20,000)",
            thousands(d.rate),
            ">= 1,000",
            Some(d.rate >= TARGET_DELIVERIES),
        );
        row(
            "  outbox deliveries",
            accounted(d),
            "each once",
            Some(d.accounted()),
        );
        row(
            "  due to first attempt, p50 / p99 (queue wait)",
            format!("{} / {} ms", d.p50_ms, d.p99_ms),
            "",
            None,
        );
    }
    // Failed requests or executions would make a rate meaningless.
    let clean = |loads: &[Executions]| {
        loads.iter().all(|e| {
            e.finished > 0 && e.unsucceeded == 0 && e.run.socket_errors + e.run.status_errors == 0
        })
    };
    let executed = |loads: &[Executions]| {
        let rates: Vec<f64> = loads.iter().map(Executions::rate).collect();
        let mut text = spread(&rates, &rate);
        let errors: u64 = loads
            .iter()
            .map(|e| e.run.socket_errors + e.run.status_errors)
            .sum();
        if errors > 0 {
            text.push_str(&format!(" ({errors} errors)"));
        }
        let unsucceeded: u64 = loads.iter().map(|e| e.unsucceeded).sum();
        if unsucceeded > 0 {
            text.push_str(&format!(" ({unsucceeded} not succeeded)"));
        }
        (median(&rates), text)
    };
    let (without, with) = (&report.executions, &report.monitored_executions);
    let without_rate = (!without.is_empty()).then(|| executed(without));
    let with_rate = (!with.is_empty()).then(|| executed(with));
    if let Some((_, text)) = &without_rate {
        let title = format!(
            "executions/s, no alert monitors, median of {}",
            without.len()
        );
        row(&title, text.clone(), "", None);
    }
    if let Some((_, text)) = &with_rate {
        let title = format!(
            "executions/s, {} alert monitors, median of {}",
            thousands(MONITORS as f64),
            with.len()
        );
        row(&title, text.clone(), "", None);
    }
    if let (Some((without_median, _)), Some((with_median, _))) = (without_rate, with_rate) {
        let overhead = 1.0 - with_median / without_median.max(f64::MIN_POSITIVE);
        row(
            "monitor overhead (1 - with / without, medians)",
            format!("{:.1} %", overhead * 100.0),
            "< 5 %",
            Some(overhead < TARGET_MONITOR_OVERHEAD && clean(without) && clean(with)),
        );
    }
    if !report.rescorer_off.is_empty() && !report.rescoring.is_empty() {
        let (_, _, off, off_errors) = rounds(&report.rescorer_off);
        let (_, _, on, on_errors) = rounds(&report.rescoring);
        row(
            &format!(
                "after the activations, re-scorer off: p99 latency, median of {}",
                off.len()
            ),
            with_errors(spread(&off, &ms), off_errors),
            "",
            None,
        );
        row(
            &format!(
                "after the activations, re-scoring every {RESCORE_EVERY_S} s: p99 latency, median of {}",
                on.len()
            ),
            with_errors(spread(&on, &ms), on_errors),
            "",
            None,
        );
        let passes: u64 = report.rescore_passes.iter().map(|(n, _)| n).sum();
        let seconds: f64 = report.rescore_passes.iter().map(|(_, s)| s).sum();
        row(
            "  re-scoring passes in those loads, mean time of one",
            format!(
                "{passes}, {:.1} ms",
                seconds * 1000.0 / (passes.max(1) as f64)
            ),
            "",
            None,
        );
        let ratio = median(&on) / median(&off).max(f64::MIN_POSITIVE);
        row(
            &format!("p99, re-scoring every {RESCORE_EVERY_S} s / re-scorer off (medians)"),
            format!("{:.1} %", ratio * 100.0),
            &format!("<= {:.0} %", TARGET_RESCORE_P99_RATIO * 100.0),
            Some(ratio <= TARGET_RESCORE_P99_RATIO && passes > 0 && off_errors + on_errors == 0),
        );
    }
    if let Some(peak) = report.first_peak_kib {
        row(
            "peak RSS, loads 1 to 4 and deliveries (VmHWM)",
            mib(peak),
            "",
            None,
        );
    }
    if let Some(seconds) = report.seed_seconds {
        row(
            "seeding 10,000 customers, 100,000 instances",
            format!("{seconds:.1} s"),
            "",
            None,
        );
    }
    if let Some(run) = &report.seeded {
        row(
            "seeded: GET marketplace, requests/s",
            format!("{}{}", thousands(run.rate()), errors(run)),
            "",
            None,
        );
        row(
            "seeded: p99 latency",
            format!("{:.2} ms", run.p99_ms()),
            "< 10 ms",
            Some(run.p99_ms() < TARGET_P99_MS && run.status_errors == 0),
        );
    }
    if let Some((idle, highest, peak)) = report.seeded_memory {
        row("seeded: RSS idle, after start", mib(idle), "", None);
        row(
            "seeded: RSS, highest sample in load",
            mib(highest),
            "",
            None,
        );
        row(
            "seeded: peak RSS (VmHWM)",
            mib(peak),
            "< 150 MB",
            Some((peak as f64 / 1024.0) < TARGET_RSS_MIB),
        );
    }
    if let Some((idle, highest, pending)) = report.stalled {
        row("stalled receiver: RSS idle", mib(idle), "", None);
        row(
            "stalled receiver: RSS, highest in 20 s, 100,000 queued",
            format!(
                "{} ({} still pending)",
                mib(highest),
                thousands(pending as f64)
            ),
            "< 150 MB",
            Some((highest as f64 / 1024.0) < TARGET_RSS_MIB),
        );
    }
    let nginx = median(&rounds(&report.nginx).0);
    for (name, runs) in [
        ("one process", &report.pg_read),
        ("two processes", &report.pg_read_two),
    ] {
        if runs.is_empty() {
            continue;
        }
        let (rates, _, p99s, errors) = rounds(runs);
        row(
            &format!(
                "PostgreSQL, {name}: GET marketplace, requests/s, median of {}",
                rates.len()
            ),
            with_errors(spread(&rates, &rate), errors),
            "",
            None,
        );
        row(
            &format!("PostgreSQL, {name}: p99 latency, median"),
            spread(&p99s, &ms),
            "< 10 ms",
            Some(median(&p99s) < TARGET_P99_MS && errors == 0),
        );
        if !report.nginx.is_empty() {
            let ratio = median(&rates) / nginx.max(f64::MIN_POSITIVE);
            row(
                &format!("PostgreSQL, {name} / nginx (medians, same run)"),
                format!("{:.1} %", ratio * 100.0),
                &at_least_percent(TARGET_PG_RATIO),
                Some(ratio >= TARGET_PG_RATIO),
            );
        }
    }
    for (name, run) in [
        ("one process", &report.pg_activations),
        ("two processes", &report.pg_activations_two),
    ] {
        if let Some(run) = run {
            row(
                &format!("PostgreSQL, {name}: activations/s (201 answers), p99"),
                format!(
                    "{}, p99 {:.2} ms{}",
                    thousands(run.created_rate()),
                    run.p99_ms(),
                    errors(run)
                ),
                "",
                None,
            );
        }
    }
    if !report.others.is_empty() {
        // The most per kind of load, in the order the loads ran.
        let mut most: Vec<(&str, f64)> = Vec::new();
        for &(name, cpus) in &report.others {
            match most.iter_mut().find(|(seen, _)| *seen == name) {
                Some((_, highest)) => *highest = highest.max(cpus),
                None => most.push((name, cpus)),
            }
        }
        let names: Vec<&str> = most.iter().map(|(name, _)| *name).collect();
        let cpus: Vec<String> = most.iter().map(|(_, cpus)| format!("{cpus:.2}")).collect();
        row(
            &format!("CPUs taken by other processes ({})", names.join(", ")),
            cpus.join(" / "),
            "",
            None,
        );
    }
    rows
}

/// A target label: `>= 60 %`.
fn at_least_percent(share: f64) -> String {
    format!(">= {:.0} %", share * 100.0)
}

/// Prints the report table.
fn print_report(report: &Report) {
    let rows = rows(report);
    println!(
        "\nmarketplace-server load benchmark (release, SQLite, wrk {}; {} CPUs)\n",
        wrk::LOAD.join(" "),
        std::thread::available_parallelism().map_or(0, usize::from)
    );
    let width = |column: fn(&(String, String, String, &'static str)) -> usize, title: &str| {
        rows.iter().map(column).max().unwrap_or(0).max(title.len())
    };
    let w0 = width(|r| r.0.len(), "measure");
    let w1 = width(|r| r.1.len(), "measured");
    let w2 = width(|r| r.2.len(), "target");
    println!(
        "  {:<w0$}  {:>w1$}  {:<w2$}  verdict",
        "measure", "measured", "target"
    );
    println!("  {}", "-".repeat(w0 + w1 + w2 + 13));
    for (what, measured, target, verdict) in &rows {
        println!("  {what:<w0$}  {measured:>w1$}  {target:<w2$}  {verdict}");
    }
    let missed = rows.iter().filter(|r| r.3 == "MISSED").count();
    let judged = rows.iter().filter(|r| !r.3.is_empty()).count();
    println!("\n  targets met: {} of {judged}", judged - missed);
    if let Some(d) = &report.outbox {
        println!("  queue depth of the outbox, by second: {}", d.depth);
    }
    if let Some((name, cpus)) = report
        .others
        .iter()
        .copied()
        .filter(|(_, cpus)| *cpus > NOISE_CPUS)
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        println!(
            "  warning: other processes used {cpus:.2} CPUs during the {name} load (of {} CPUs): \
             its figures are disturbed; run again on a quiet machine",
            std::thread::available_parallelism().map_or(0, usize::from)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1_000.0), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(mib(153_600), "150.0 MiB");
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn rescore_passes_are_read_from_the_metrics() {
        let metrics = "# TYPE marketplace_rescore_duration_seconds summary\n\
            marketplace_rescore_duration_seconds{quantile=\"0.5\"} 0.004\n\
            marketplace_rescore_duration_seconds_sum 0.05\n\
            marketplace_rescore_duration_seconds_count 10\n";
        assert_eq!(rescore_passes(metrics).unwrap(), (10, 0.05));
        assert!(rescore_passes("http_requests_total 1\n").is_err());
    }

    #[test]
    fn key_values_are_read() {
        let values = key_values("api_key=mk_1\nintegration.slack=int_2\nnoise\n");
        assert_eq!(values["api_key"], "mk_1");
        assert_eq!(values["integration.slack"], "int_2");
        assert!(field(&values, "missing", "test").is_err());
    }

    #[test]
    fn durability_allows_only_abandoned_requests() {
        let v = |stored, acknowledged, missing| Verification {
            stored,
            acknowledged,
            missing,
        };
        assert!(v(1000, 1000, 0).durable());
        assert!(v(1010, 1000, 0).durable());
        assert!(!v(1000, 1000, 1).durable());
        assert!(!v(999, 1000, 0).durable());
        assert!(!v(2000, 1000, 0).durable());
    }

    #[test]
    fn session_reads_are_judged_against_token_reads() {
        let read = |requests, status_errors| wrk::Run {
            requests,
            duration_us: 10_000_000,
            status_errors,
            ..wrk::Run::default()
        };
        let verdict_of = |report: &Report| {
            rows(report)
                .into_iter()
                .find(|r| r.0 == "session / token reads (medians)")
                .map(|r| (r.1, r.3))
        };
        let mut report = Report {
            service: vec![read(100_000, 0), read(90_000, 0), read(110_000, 0)],
            session: vec![read(85_000, 0), read(80_000, 0), read(95_000, 0)],
            ..Report::default()
        };
        assert_eq!(verdict_of(&report), Some(("85.0 %".to_owned(), "ok")));
        report.session = vec![read(70_000, 0)];
        assert_eq!(verdict_of(&report), Some(("70.0 %".to_owned(), "MISSED")));
        // A refused cookie answers fast: errors fail the target whatever the rate.
        report.session = vec![read(200_000, 5)];
        assert_eq!(verdict_of(&report), Some(("200.0 %".to_owned(), "MISSED")));
        report.session.clear();
        assert_eq!(verdict_of(&report), None);
    }

    #[test]
    fn monitor_overhead_is_judged_against_executions_without_monitors() {
        let load = |finished, unsucceeded| Executions {
            run: wrk::Run {
                requests: 1,
                duration_us: 10_000_000,
                ..wrk::Run::default()
            },
            finished,
            total: finished,
            unsucceeded,
        };
        let verdict_of = |report: &Report| {
            rows(report)
                .into_iter()
                .find(|r| r.0 == "monitor overhead (1 - with / without, medians)")
                .map(|r| (r.1, r.3))
        };
        let mut report = Report {
            executions: vec![load(10_000, 0), load(9_000, 0), load(12_000, 0)],
            monitored_executions: vec![load(9_700, 0), load(20_000, 0), load(8_000, 0)],
            ..Report::default()
        };
        assert_eq!(report.executions[0].rate(), 1_000.0);
        // The medians: 970 against 1,000 per second.
        assert_eq!(verdict_of(&report), Some(("3.0 %".to_owned(), "ok")));
        report.monitored_executions[0] = load(9_000, 0);
        assert_eq!(verdict_of(&report), Some(("10.0 %".to_owned(), "MISSED")));
        // Failed executions end fast: they fail the target whatever the rate.
        report.monitored_executions[0] = load(10_000, 3);
        assert_eq!(verdict_of(&report), Some(("0.0 %".to_owned(), "MISSED")));
        report.monitored_executions.clear();
        assert_eq!(verdict_of(&report), None);
    }

    #[test]
    fn executions_are_parsed() {
        let run = wrk::Run::default();
        let parsed = Executions::parse(
            run.clone(),
            "finished=120\ntotal=130\nstatus.failed=2\nstatus.succeeded=128\n",
        )
        .unwrap();
        assert_eq!(
            (parsed.finished, parsed.total, parsed.unsucceeded),
            (120, 130, 2)
        );
        assert!(Executions::parse(run, "total=1\n").is_err());
    }

    #[test]
    fn a_partial_report_prints_what_was_measured() {
        let report = Report {
            body_bytes: Some(10),
            ..Report::default()
        };
        assert_eq!(rows(&report).len(), 1);
        assert!(rows(&Report::default()).is_empty());
    }
}
