//! The long-running processes of the benchmark (the service, nginx): started with their output
//! in log files, awaited on their port, stopped with SIGTERM (then SIGKILL) when asked or dropped,
//! so that no process outlives the command, whatever step fails.

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::cmd::{self, Result};

/// How long a process may take to open its port.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a process may take to exit after SIGTERM before it gets SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// A free loopback port (the operating system's choice; free when this returns).
pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|address| address.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A child process, stopped on drop.
pub(crate) struct Process {
    /// What it is, for messages.
    name: &'static str,
    /// The process; `None` once stopped.
    child: Option<Child>,
    /// Its standard output and error.
    log: PathBuf,
}

impl Process {
    /// Starts `command` with its standard output and error in `log`, then waits until it
    /// accepts connections on 127.0.0.1:`port`.
    pub(crate) fn start(
        name: &'static str,
        command: &mut Command,
        log: &Path,
        port: u16,
    ) -> Result<Process> {
        println!("$ {}  (output in {})", cmd::display(command), log.display());
        let file = File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = file
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(file)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {name} (`{}`): {e}", cmd::display(command)))?;
        let mut process = Process {
            name,
            child: Some(child),
            log: log.to_path_buf(),
        };
        process.wait_for_port(port)?;
        Ok(process)
    }

    /// The process id.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Waits until 127.0.0.1:`port` accepts connections; fails if the process exits first.
    fn wait_for_port(&mut self, port: u16) -> Result {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "{} exited during startup ({status}); its output:\n{}",
                    self.name,
                    self.log_tail()
                ));
            }
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                println!(
                    "{} listening on {address} after {:.1}s",
                    self.name,
                    started.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(format!(
                    "{} did not listen on {address} within {}s; its output:\n{}",
                    self.name,
                    START_TIMEOUT.as_secs(),
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The last lines of the process's output.
    pub(crate) fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Stops the process: SIGTERM, then SIGKILL if it is still running after [`STOP_TIMEOUT`].
    /// Fails if it had already exited on its own (it was expected to keep running).
    pub(crate) fn stop(&mut self) -> Result {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "{} had exited ({status}); its output:\n{}",
                self.name,
                self.log_tail()
            ));
        }
        let terminated = cmd::probe(Command::new("kill").args(["-TERM", &child.id().to_string()]));
        let deadline = Instant::now() + STOP_TIMEOUT;
        while terminated.is_some() && Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                println!("{} stopped", self.name);
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Only the direct child: nginx's workers exit with their master.
        let _ = child.kill();
        let _ = child.wait();
        println!("{} killed (it did not stop on SIGTERM)", self.name);
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Err(message) = self.stop() {
            eprintln!("{message}");
        }
    }
}

/// Memory of a process from `/proc/<pid>/status`, in KiB: `(VmRSS, VmHWM)`, the resident set
/// now and its peak since the process started.
pub(crate) fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// CPU time of the whole machine from `/proc/stat`, in clock ticks: `(busy, total)` summed
/// over every CPU, and the number of CPUs.
fn machine_ticks() -> Option<(u64, u64, usize)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let mut lines = stat.lines();
    let ticks: Vec<u64> = lines
        .next()?
        .strip_prefix("cpu ")?
        .split_whitespace()
        .take(8)
        .filter_map(|field| field.parse().ok())
        .collect();
    let [user, nice, system, idle, iowait, irq, softirq, steal] = ticks[..] else {
        return None;
    };
    let total = user + nice + system + idle + iowait + irq + softirq + steal;
    let cpus = lines
        .filter(|line| {
            line.starts_with("cpu") && line.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
        })
        .count();
    Some((total - idle - iowait, total, cpus.max(1)))
}

/// The fields of `/proc/<pid>/stat` after the command name (the third field first).
fn stat_fields(pid: &str) -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    // The state letter is not a number: keep positions with a placeholder.
    Some(
        rest.split_whitespace()
            .map(|field| field.parse().unwrap_or(0))
            .collect(),
    )
}

/// CPU time of a process, in clock ticks: user and system time of all its threads, plus, with
/// `waited`, that of its children it has waited for.
fn process_ticks(pid: &str, waited: bool) -> Option<u64> {
    let fields = stat_fields(pid)?;
    // utime, stime, cutime, cstime are fields 14 to 17 (indices 11 to 14 here).
    let own = fields.get(11)? + fields.get(12)?;
    Some(if waited {
        own + fields.get(13)? + fields.get(14)?
    } else {
        own
    })
}

/// The running children of a process (from the parent ids in `/proc/*/stat`).
fn children(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|child| {
            stat_fields(&child.to_string())
                .and_then(|fields| fields.get(1).copied())
                .is_some_and(|parent| parent == u64::from(pid))
        })
        .collect()
}

/// Measures how much CPU the processes other than ours used over a measurement: the machine's
/// busy time, less that of this process, of the children it waited for (wrk), and of the
/// measured processes and their children (the service, or nginx and its workers).
pub(crate) struct CpuMeter {
    /// The measured processes and their children, as `/proc` names.
    pids: Vec<String>,
    /// Machine busy and total ticks at the start.
    machine: (u64, u64),
    /// Our processes' ticks at the start.
    ours: u64,
}

impl CpuMeter {
    /// Starts measuring; `measured` are the processes under test (their children included).
    pub(crate) fn start(measured: &[u32]) -> Option<CpuMeter> {
        let mut pids = Vec::new();
        for &pid in measured {
            pids.push(pid.to_string());
            pids.extend(children(pid).iter().map(u32::to_string));
        }
        let (busy, total, _) = machine_ticks()?;
        let mut meter = CpuMeter {
            pids,
            machine: (busy, total),
            ours: 0,
        };
        meter.ours = meter.ours_now()?;
        Some(meter)
    }

    fn ours_now(&self) -> Option<u64> {
        let mut ticks = process_ticks("self", true)?;
        for pid in &self.pids {
            ticks += process_ticks(pid, false)?;
        }
        Some(ticks)
    }

    /// CPUs (of the machine's) that other processes used on average since the start.
    pub(crate) fn others(&self) -> Option<f64> {
        let (busy, total, cpus) = machine_ticks()?;
        let elapsed = total.checked_sub(self.machine.1)?.max(1);
        let busy = busy.checked_sub(self.machine.0)?;
        let ours = self.ours_now()?.checked_sub(self.ours)?;
        Some(busy.saturating_sub(ours) as f64 / elapsed as f64 * cpus as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_of_this_process_is_read() {
        let (rss, peak) = memory_kib(std::process::id()).expect("/proc is mounted");
        assert!(rss > 0 && peak >= rss);
    }

    #[test]
    fn cpu_of_other_processes_is_measured() {
        let meter = CpuMeter::start(&[]).expect("/proc is mounted");
        let spin = Instant::now();
        while spin.elapsed() < Duration::from_millis(50) {}
        let others = meter.others().expect("/proc is mounted");
        assert!(others >= 0.0);
        assert!(process_ticks("self", true).is_some());
        assert!(machine_ticks().is_some_and(|(busy, total, cpus)| busy <= total && cpus >= 1));
    }

    #[test]
    fn free_ports_are_on_loopback_and_nonzero() {
        assert_ne!(free_port().unwrap(), 0);
    }
}
