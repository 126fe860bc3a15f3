//! The steps of `cargo xtask test`, and the runner that prints a header and the duration of
//! each one, stopping at the first failure.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cmd::{self, Result};
use crate::{
    bench_server, browser, deps, layering, migrations, openapi, postgres, supply_chain, wasm,
    wasm_pkg, webhook_tools,
};

/// A step of `cargo xtask test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// `cargo fmt --all --check`.
    Fmt,
    /// `cargo clippy --workspace --all-targets --features marketplace-server/otel -- -D warnings`.
    Clippy,
    /// `cargo test --workspace -- --include-ignored`: unit, integration and doc tests, the
    /// PostgreSQL scenarios and the signature checks with the Standard Webhooks npm package
    /// included.
    Test,
    /// The OpenAPI document linted with Redocly CLI ([`openapi::lint`]).
    OpenApi,
    /// The dependency check of `marketplace-core` ([`deps::check`]), the layering of
    /// `marketplace-server` ([`layering::check`]), its migration folders in step
    /// ([`migrations::check`]), and `cargo deny check` ([`supply_chain::check`]).
    Deps,
    /// The `wasm32-unknown-unknown` build ([`wasm::build`]).
    Wasm,
    /// The npm package of `marketplace-wasm`, built and tested under Node ([`wasm_pkg`]).
    WasmPkg,
    /// The embedding surfaces in Chromium ([`browser`]).
    Browser,
}

impl Step {
    /// Every step, in the order `cargo xtask test` runs them (cheapest and most common
    /// failures first).
    pub(crate) const ALL: [Step; 8] = [
        Step::Fmt,
        Step::Clippy,
        Step::Test,
        Step::OpenApi,
        Step::Deps,
        Step::Wasm,
        Step::WasmPkg,
        Step::Browser,
    ];

    /// The step's name on the command line (`--only`, `--skip`) and in the log.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Step::Fmt => "fmt",
            Step::Clippy => "clippy",
            Step::Test => "test",
            Step::OpenApi => "openapi",
            Step::Deps => "deps",
            Step::Wasm => "wasm",
            Step::WasmPkg => "wasm-pkg",
            Step::Browser => "browser",
        }
    }

    /// The step named `name`, if any.
    pub(crate) fn from_name(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|step| step.name() == name)
    }

    /// What the step checks, for its header.
    fn description(self) -> &'static str {
        match self {
            Step::Fmt => "formatting (cargo fmt --all --check)",
            Step::Clippy => {
                "lints (cargo clippy --workspace --all-targets --features marketplace-server/otel \
                 -- -D warnings)"
            }
            Step::Test => {
                "tests, including doc tests, on SQLite and PostgreSQL, signatures checked with the \
                 standardwebhooks npm and Python packages (cargo test --workspace)"
            }
            Step::OpenApi => {
                "the OpenAPI document (marketplace-server openapi) passes Redocly CLI's lint \
                 (redocly.yaml)"
            }
            Step::Deps => {
                "marketplace-core depends on no I/O, async, HTTP, SQL or JS crate; \
                 marketplace-server keeps its layers (http, store, no module cycle) and its two \
                 migration folders in step; cargo deny check (advisories, licences, bans, sources)"
            }
            Step::Wasm => "marketplace-core and marketplace-embedded build for wasm32",
            Step::WasmPkg => {
                "the npm package of marketplace-wasm builds (cargo xtask wasm) and passes its \
                 Node tests, the client's and the mapping functions' (against the service's \
                 previews) against the real service"
            }
            Step::Browser => {
                "the iframe and native JS marketplaces in Chromium (playwright-core), host pages \
                 on their own origin; screenshots in target/screenshots"
            }
        }
    }

    /// Runs the step.
    fn run(self) -> Result {
        /// The service's optional features that the lints and tests build (`otel`: its trace
        /// test exports spans to a collector on loopback).
        const SERVICE_FEATURES: &str = "marketplace-server/otel";
        match self {
            Step::Fmt => cmd::run(&mut cmd::cargo_command(&["fmt", "--all", "--check"])),
            Step::Clippy => cmd::run(&mut cmd::cargo_command(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--features",
                SERVICE_FEATURES,
                "--",
                "-D",
                "warnings",
            ])),
            Step::Test => {
                // PROPTEST_CASES is left to the user: proptest's default unless set.
                if let Some(cases) = std::env::var_os("PROPTEST_CASES") {
                    println!(
                        "PROPTEST_CASES={} (from the environment)",
                        cases.to_string_lossy()
                    );
                }
                // The service's tests run on SQLite and on a throwaway PostgreSQL server: the
                // PostgreSQL scenarios and the Standard Webhooks checks are the workspace's only
                // ignored tests (checked first), so `--include-ignored` runs them, and they fail
                // without their server or library.
                postgres::check_ignored_tests(&cmd::workspace_root())?;
                let mut test = cmd::cargo_command(&[
                    "test",
                    "--workspace",
                    "--features",
                    SERVICE_FEATURES,
                    "--",
                    "--include-ignored",
                ]);
                // The signature checks with the Standard Webhooks npm and Python packages.
                let webhook_tools = webhook_tools::install()?;
                println!("{}={}", webhook_tools::DIR_VAR, webhook_tools.display());
                test.env(webhook_tools::DIR_VAR, &webhook_tools);
                let python = webhook_tools::install_python()?;
                println!("{}={}", webhook_tools::PYTHON_VAR, python.display());
                test.env(webhook_tools::PYTHON_VAR, &python);
                println!("{}={}", webhook_tools::SMTP_VAR, python.display());
                test.env(webhook_tools::SMTP_VAR, &python);
                let _server = match std::env::var(postgres::URL_VAR) {
                    Ok(url) => {
                        println!("PostgreSQL from the environment: {url}");
                        None
                    }
                    Err(_) => {
                        let server = postgres::Postgres::start()?;
                        println!("PostgreSQL started: {}", server.url);
                        test.env(postgres::URL_VAR, &server.url)
                            .env(postgres::CA_VAR, server.ca())
                            .env(postgres::OTHER_CA_VAR, server.other_ca());
                        Some(server)
                    }
                };
                cmd::run(&mut test)
            }
            Step::OpenApi => openapi::lint(),
            Step::Deps => {
                let root = cmd::workspace_root();
                // Every check runs, so one report shows every problem.
                let failures: Vec<String> = [
                    deps::check(),
                    layering::check(&root),
                    migrations::check(&root),
                    supply_chain::check(&root),
                ]
                .into_iter()
                .filter_map(Result::err)
                .collect();
                if failures.is_empty() {
                    Ok(())
                } else {
                    Err(failures.join("\n"))
                }
            }
            Step::Wasm => wasm::build(),
            Step::WasmPkg => wasm_pkg::build_and_test(),
            Step::Browser => browser::test(),
        }
    }
}

/// A named unit of work for [`run_jobs`].
pub(crate) struct Job<'a> {
    /// Short name, used in the summary.
    name: &'static str,
    /// One-line description, used in the header.
    description: String,
    /// The work itself.
    action: Box<dyn FnOnce() -> Result + 'a>,
}

/// The input of core's `mapping/apply_50_with_10_formulas` benchmark (`{mappings, target,
/// input}`), written by the native run for the WebAssembly one.
const MAPPING_FIXTURE: &str = "target/bench/mapping_apply_50.json";

/// The job of `cargo xtask bench`: `cargo bench -p marketplace-core --features formula` (the
/// mapping benchmark runs formulas) with extra arguments, then
/// the same validation in the WebAssembly build under Node and in Chromium, against the native
/// figure.
pub(crate) fn bench(extra_args: &[String]) -> Job<'_> {
    Job {
        name: "bench",
        description: "benchmarks of marketplace-core (cargo bench -p marketplace-core --features \
                      formula), then validateConfig and applyMappings in WebAssembly under Node \
                      (validateConfig in Chromium too) against them"
            .into(),
        action: Box::new(move || {
            let mut command =
                cmd::cargo_command(&["bench", "-p", "marketplace-core", "--features", "formula"]);
            command.args(extra_args);
            cmd::run(&mut command)?;
            let root = cmd::workspace_root();
            let criterion = std::env::var_os("CARGO_TARGET_DIR")
                .map_or_else(|| root.join("target"), std::path::PathBuf::from)
                .join("criterion");
            let native = criterion.join("validate_100_variables/core/new/estimates.json");
            if !native.exists() {
                println!("no native validation figure: the WebAssembly comparison is skipped");
                return Ok(());
            }
            wasm_pkg::build_if_stale()?;
            cmd::run(
                std::process::Command::new("node")
                    .arg(root.join("crates/marketplace-wasm/bench/validate.bench.mjs")),
            )?;
            browser::bench_validation()?;
            // The mapping engine's figure, when the native run measured it (with `formula`).
            let mapping =
                criterion.join("mapping/prepare_and_apply_50_with_10_formulas/new/estimates.json");
            if !mapping.exists() || !root.join(MAPPING_FIXTURE).exists() {
                println!("no native mapping figure: its WebAssembly comparison is skipped");
                return Ok(());
            }
            cmd::run(
                std::process::Command::new("node")
                    .arg(root.join("crates/marketplace-wasm/bench/mappings.bench.mjs")),
            )
        }),
    }
}

/// The job of `cargo xtask wasm`: the npm package of `marketplace-wasm` ([`wasm_pkg::build`]).
pub(crate) fn wasm_pkg() -> Job<'static> {
    Job {
        name: "wasm",
        description: "the npm package of marketplace-wasm, into crates/marketplace-wasm/pkg".into(),
        action: Box::new(wasm_pkg::build),
    }
}

/// The job of `cargo xtask bench-server`: the load benchmark of the service ([`bench_server`]).
pub(crate) fn bench_server() -> Job<'static> {
    Job {
        name: "bench-server",
        description: "load benchmark of marketplace-server (release, SQLite) against its targets"
            .into(),
        action: Box::new(bench_server::run),
    }
}

/// Runs the given steps of `cargo xtask test`, in order.
pub(crate) fn run_all(steps: &[Step]) -> ExitCode {
    if steps.is_empty() {
        eprintln!("error: no step selected");
        return ExitCode::FAILURE;
    }
    run_jobs(
        steps
            .iter()
            .map(|&step| Job {
                name: step.name(),
                description: step.description().into(),
                action: Box::new(move || step.run()),
            })
            .collect(),
    )
}

/// How a job ended, for the summary.
enum Outcome {
    /// Succeeded after the given time.
    Passed(Duration),
    /// Failed after the given time.
    Failed(Duration),
    /// Not started because an earlier job failed.
    NotRun,
}

/// Runs jobs in order, printing a header and the duration of each, and a summary at the end.
/// Stops at the first failure, which makes the exit code non-zero.
pub(crate) fn run_jobs(jobs: Vec<Job<'_>>) -> ExitCode {
    let total = jobs.len();
    let started = Instant::now();
    let mut outcomes: Vec<(&'static str, Outcome)> = Vec::with_capacity(total);
    let mut failure = None;
    for (index, job) in jobs.into_iter().enumerate() {
        if failure.is_some() {
            outcomes.push((job.name, Outcome::NotRun));
            continue;
        }
        println!(
            "\n==> [{}/{total}] {}: {}",
            index + 1,
            job.name,
            job.description
        );
        let job_started = Instant::now();
        let result = (job.action)();
        let elapsed = job_started.elapsed();
        match result {
            Ok(()) => {
                println!("<== {}: ok in {}", job.name, format_duration(elapsed));
                outcomes.push((job.name, Outcome::Passed(elapsed)));
            }
            Err(message) => {
                eprintln!(
                    "<== {}: FAILED after {}: {message}",
                    job.name,
                    format_duration(elapsed)
                );
                outcomes.push((job.name, Outcome::Failed(elapsed)));
                failure = Some(job.name);
            }
        }
    }

    println!("\nSummary:");
    // Eight columns for the step names, more for longer job names (`bench-server`).
    let width = outcomes
        .iter()
        .map(|(name, _)| name.len() + 2)
        .max()
        .unwrap_or(0)
        .max(8);
    for (name, outcome) in &outcomes {
        let line = match outcome {
            Outcome::Passed(elapsed) => format!("ok      {:>10}", format_duration(*elapsed)),
            Outcome::Failed(elapsed) => format!("FAILED  {:>10}", format_duration(*elapsed)),
            Outcome::NotRun => "not run".to_owned(),
        };
        println!("  {name:<width$}{line}");
    }
    println!(
        "  {:<width$}{:>18}",
        "total",
        format_duration(started.elapsed())
    );
    match failure {
        None => ExitCode::SUCCESS,
        Some(name) => {
            eprintln!("\nfailed at step `{name}`");
            ExitCode::FAILURE
        }
    }
}

/// Formats a duration for humans: `4.2s`, `3m07.5s`.
fn format_duration(duration: Duration) -> String {
    let tenths = duration.as_millis() / 100;
    let (minutes, tenths) = (tenths / 600, tenths % 600);
    let (seconds, tenth) = (tenths / 10, tenths % 10);
    if minutes == 0 {
        format!("{seconds}.{tenth}s")
    } else {
        format!("{minutes}m{seconds:02}.{tenth}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(format_duration(Duration::from_millis(4_230)), "4.2s");
        assert_eq!(format_duration(Duration::from_millis(187_560)), "3m07.5s");
        assert_eq!(format_duration(Duration::ZERO), "0.0s");
    }

    #[test]
    fn step_names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::from_name(step.name()), Some(step));
        }
        assert_eq!(Step::from_name("nope"), None);
    }

    #[test]
    fn runner_stops_at_the_first_failure() {
        let mut ran = Vec::new();
        let ran_cell = std::cell::RefCell::new(&mut ran);
        let job = |name: &'static str, ok: bool| Job {
            name,
            description: String::new(),
            action: Box::new({
                let ran_cell = &ran_cell;
                move || {
                    ran_cell.borrow_mut().push(name);
                    if ok { Ok(()) } else { Err("boom".into()) }
                }
            }),
        };
        let code = run_jobs(vec![job("a", true), job("b", false), job("c", true)]);
        assert_eq!(code, ExitCode::FAILURE);
        assert_eq!(ran, vec!["a", "b"]);
    }
}
