//! The runtime of deferrable background work on a serving process with SQLite: event
//! deliveries, notifications, scheduled flows, the connection sweeper and the listing re-scorer
//! ([`crate::start_deferrable_workers`]). Its threads run at a lower CPU priority (nice
//! [`NICE`], on Linux), so under a burst of requests the answers come first and the outbox waits
//! for the CPU they leave; with idle CPU the work runs as fast as ever.
//!
//! SQLite only: the process is the whole service on its machine, and a SQLite connection's
//! thread answers any runtime alike. On PostgreSQL the work stays on the service's runtime (a
//! connection's socket answers through the runtime that opened it, which must not be a
//! lower-priority one) and more processes share it.

use tokio::task::JoinHandle;

/// The nice value of the background threads (0 is the service's; 19 the lowest priority). At
/// 10 a busy background thread gets about a tenth of the CPU a busy request thread gets.
pub const NICE: i32 = 10;

/// The background runtime; [`Background::stop`] ends it.
#[derive(Debug)]
pub struct Background {
    runtime: tokio::runtime::Runtime,
}

impl Background {
    /// Starts the runtime: as many threads as CPUs, each lowering its own priority as it starts.
    pub fn start() -> std::io::Result<Background> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .thread_name("background")
            .on_thread_start(lower_priority)
            .enable_all()
            .build()?;
        Ok(Background { runtime })
    }

    /// Runs `start`, whose `tokio::spawn`s spawn onto this runtime; the tasks it started.
    pub fn run(&self, start: impl FnOnce() -> Vec<JoinHandle<()>>) -> Vec<JoinHandle<()>> {
        let _entered = self.runtime.enter();
        start()
    }

    /// Ends the runtime without waiting for its tasks (their work is leased in the database:
    /// another process, or the next start, takes it up).
    pub fn stop(self) {
        self.runtime.shutdown_background();
    }
}

/// Lowers the calling thread's priority to [`NICE`] (on Linux the nice value is per thread),
/// unless it is lower already. A refusal leaves the thread at the service's priority, logged.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        let thread = Some(rustix::thread::gettid());
        let lowered = rustix::process::getpriority_process(thread).and_then(|nice| {
            if nice < NICE {
                rustix::process::setpriority_process(thread, NICE)
            } else {
                Ok(())
            }
        });
        if let Err(error) = lowered {
            tracing::warn!(%error, "a background thread keeps the service's CPU priority");
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn current_nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).expect("getpriority")
    }

    /// Tasks spawned through [`Background::run`] run on threads at [`NICE`]; the caller's
    /// thread keeps its priority.
    #[test]
    fn background_tasks_run_at_the_lower_priority() {
        let before = current_nice();
        let background = Background::start().expect("start the runtime");
        let (tx, rx) = std::sync::mpsc::channel();
        let tasks = background.run(|| {
            vec![tokio::spawn(async move {
                tx.send(current_nice()).expect("send");
            })]
        });
        let nice = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the task ran");
        assert_eq!(nice, before.max(NICE));
        assert_eq!(current_nice(), before);
        assert_eq!(tasks.len(), 1);
        background.stop();
    }
}
