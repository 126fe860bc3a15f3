//! Running `wrk` and reading its results: the Lua scripts print one `bench-result key=value...`
//! line from `done()`, which is parsed here (wrk's own report is echoed to the log).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use crate::cmd::{self, Result};

/// Script of the read loads.
pub(crate) const READ_SCRIPT: &str = include_str!("read.lua");

/// Script of the activation load.
pub(crate) const ACTIVATE_SCRIPT: &str = include_str!("activate.lua");

/// Script of the execution loads (POSTs to a flow's webhook URL).
pub(crate) const WEBHOOK_SCRIPT: &str = include_str!("webhook.lua");

/// The load: `wrk -t2 -c64 -d10s --latency`.
pub(crate) const LOAD: [&str; 4] = ["-t2", "-c64", "-d10s", "--latency"];

/// Connections of [`LOAD`] (requests in flight at most).
pub(crate) const CONNECTIONS: u64 = 64;

/// How often `run` calls its sampler while wrk runs.
pub(crate) const SAMPLE_PERIOD: std::time::Duration = std::time::Duration::from_millis(100);

/// What one wrk run measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Run {
    /// Completed requests.
    pub(crate) requests: u64,
    /// Duration of the run, in microseconds.
    pub(crate) duration_us: u64,
    /// Median latency, in microseconds.
    pub(crate) p50_us: u64,
    /// 99th percentile latency, in microseconds.
    pub(crate) p99_us: u64,
    /// Socket errors and timeouts.
    pub(crate) socket_errors: u64,
    /// Answers with a status above 399.
    pub(crate) status_errors: u64,
    /// Activation runs: answers 201.
    pub(crate) created: u64,
    /// Activation runs: other answers.
    pub(crate) other: u64,
    /// Activation runs: status and start of the body of the first answer other than 201.
    pub(crate) first_error: Option<String>,
}

impl Run {
    /// Requests per second.
    pub(crate) fn rate(&self) -> f64 {
        per_second(self.requests, self.duration_us)
    }

    /// Activations (answers 201) per second.
    pub(crate) fn created_rate(&self) -> f64 {
        per_second(self.created, self.duration_us)
    }

    /// The p99 latency in milliseconds.
    pub(crate) fn p99_ms(&self) -> f64 {
        self.p99_us as f64 / 1000.0
    }
}

fn per_second(count: u64, duration_us: u64) -> f64 {
    if duration_us == 0 {
        0.0
    } else {
        count as f64 * 1e6 / duration_us as f64
    }
}

/// Runs `wrk` with [`LOAD`], the script `script` and extra `args` (headers) against `url`,
/// with `env` set, calling `sample` every [`SAMPLE_PERIOD`] while it runs; echoes its report
/// and returns its results.
pub(crate) fn run(
    script: &Path,
    args: &[String],
    url: &str,
    env: &[(&str, &str)],
    mut sample: impl FnMut(),
) -> Result<Run> {
    let mut command = command(&LOAD, args, script, url, env);
    // Started in the background so that `sample` can look at the server meanwhile.
    let mut child = spawn(&mut command)?;
    loop {
        sample();
        match child.try_wait() {
            Ok(None) => std::thread::sleep(SAMPLE_PERIOD),
            _ => break,
        }
    }
    finish(child)
}

/// [`run`] against several URLs at once (the processes of one service): a wrk per URL, the
/// connections of [`LOAD`] shared among them. Requests and answers add up; the latencies are
/// the worst of the runs.
pub(crate) fn run_split(
    script: &Path,
    args: &[String],
    urls: &[&str],
    env: &[(&str, &str)],
) -> Result<Run> {
    let threads = format!("-t{}", (2 / urls.len()).max(1));
    let connections = format!("-c{}", CONNECTIONS / urls.len() as u64);
    let load = [threads.as_str(), connections.as_str(), LOAD[2], LOAD[3]];
    let mut children = Vec::new();
    for (i, url) in urls.iter().enumerate() {
        let mut command = command(&load, args, script, url, env);
        // Each run writes its own ids file, if the script keeps any.
        if let Some((_, ids)) = env.iter().find(|(name, _)| *name == "BENCH_IDS") {
            command.env("BENCH_IDS", format!("{ids}.{i}"));
        }
        children.push(spawn(&mut command)?);
    }
    let mut total = Run::default();
    for child in children {
        let run = finish(child)?;
        total.requests += run.requests;
        total.duration_us = total.duration_us.max(run.duration_us);
        total.p50_us = total.p50_us.max(run.p50_us);
        total.p99_us = total.p99_us.max(run.p99_us);
        total.socket_errors += run.socket_errors;
        total.status_errors += run.status_errors;
        total.created += run.created;
        total.other += run.other;
        total.first_error = total.first_error.or(run.first_error);
    }
    Ok(total)
}

/// The wrk command: `load` options, extra `args`, the script, the URL and the environment.
fn command(
    load: &[&str],
    args: &[String],
    script: &Path,
    url: &str,
    env: &[(&str, &str)],
) -> Command {
    let mut command = Command::new("wrk");
    command.args(load).args(args).arg("-s").arg(script).arg(url);
    command.envs(env.iter().copied());
    command
}

/// Starts a wrk command, its report piped.
fn spawn(command: &mut Command) -> Result<std::process::Child> {
    println!("$ {}", cmd::display(command));
    command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start wrk: {e}"))
}

/// Waits for a wrk run, echoes its report and returns its results.
fn finish(child: std::process::Child) -> Result<Run> {
    let output = child.wait_with_output().map_err(|e| format!("wrk: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        return Err(format!("wrk failed ({})", output.status));
    }
    parse(&stdout)
}

/// Parses the `bench-result` (and `bench-first-error`) lines of the scripts.
pub(crate) fn parse(stdout: &str) -> Result<Run> {
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("bench-result "))
        .ok_or("wrk printed no `bench-result` line (did the script run?)")?;
    let fields: HashMap<&str, u64> = line
        .split_whitespace()
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            Some((key, value.parse().ok()?))
        })
        .collect();
    let get = |key: &str| fields.get(key).copied().unwrap_or(0);
    let run = Run {
        requests: get("requests"),
        duration_us: get("duration_us"),
        p50_us: get("p50_us"),
        p99_us: get("p99_us"),
        socket_errors: get("connect_errors")
            + get("read_errors")
            + get("write_errors")
            + get("timeouts"),
        status_errors: get("status_errors"),
        created: get("created"),
        other: get("other"),
        first_error: stdout
            .lines()
            .find_map(|line| line.strip_prefix("bench-first-error "))
            .map(str::to_owned),
    };
    if run.requests == 0 || run.duration_us == 0 {
        return Err(format!("wrk completed no request: {line}"));
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_parsed() {
        let out = "Running 10s test\n  Latency 1.2ms\nbench-result requests=50000 duration_us=10000000 \
                   p50_us=900 p99_us=4200 max_us=9000 connect_errors=0 read_errors=1 write_errors=0 \
                   status_errors=2 timeouts=3 created=10 other=4\nbench-first-error 500 {\"title\":\"x\"}\n";
        let run = parse(out).unwrap();
        assert_eq!(run.requests, 50_000);
        assert_eq!(run.rate(), 5_000.0);
        assert_eq!(run.p99_ms(), 4.2);
        assert_eq!(run.socket_errors, 4);
        assert_eq!(run.status_errors, 2);
        assert_eq!(run.created_rate(), 1.0);
        assert_eq!(run.first_error.as_deref(), Some("500 {\"title\":\"x\"}"));
        assert!(parse("no result").is_err());
    }
}
