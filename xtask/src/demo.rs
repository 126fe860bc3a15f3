//! `cargo xtask demo`: the README's run command. Builds the npm package when its sources changed,
//! then runs `marketplace-server demo` (the service on :8080 with its demo catalog, and the demo
//! host app on :8081 serving the iframe, native JavaScript and React examples) and the Rust host
//! example on :8082, until Ctrl-C.

use std::net::SocketAddr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::cmd::{self, Result};
use crate::{react_host, wasm_pkg};

/// Where the Rust host example listens.
const RUST_HOST: &str = "127.0.0.1:8082";

/// Runs the demo until Ctrl-C (or until the service stops).
pub(crate) fn run() -> Result {
    let root = cmd::workspace_root();
    wasm_pkg::build_if_stale()?;
    react_host::build()?;
    let bin = cmd::build_binaries(&["marketplace-server", "rust-host"])?;
    let mut server = spawn(
        Command::new(bin.join("marketplace-server"))
            .args(["demo", "--rust-host-url"])
            .arg(format!("http://{RUST_HOST}"))
            .current_dir(&root),
    )?;
    let service: SocketAddr = std::env::var("MARKETPLACE_LISTEN")
        .unwrap_or_else(|_| "127.0.0.1:8080".into())
        .parse()
        .map_err(|e| format!("MARKETPLACE_LISTEN: {e}"))?;
    if !wait_for(service, &mut server) {
        let _ = server.kill();
        return Err(format!("the service did not start on {service}"));
    }
    let mut host = spawn(
        Command::new(bin.join("rust-host"))
            .env("MARKETPLACE_URL", format!("http://{service}"))
            .env(
                "MARKETPLACE_DEMO_FILE",
                root.join("marketplace.db.demo.json"),
            )
            .env("RUST_HOST_LISTEN", RUST_HOST)
            .current_dir(&root),
    )?;
    let status = server
        .wait()
        .map_err(|e| format!("waiting for the service: {e}"))?;
    let _ = host.kill();
    let _ = host.wait();
    if status.success() {
        Ok(())
    } else {
        Err(format!("the service exited with {status}"))
    }
}

fn spawn(command: &mut Command) -> Result<Child> {
    command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", cmd::display(command)))
}

/// Waits up to 60 s for the service at `address` to be ready while `child` runs.
fn wait_for(address: SocketAddr, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        if cmd::is_ready(address) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
