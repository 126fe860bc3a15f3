//! A throwaway PostgreSQL server for the test run: Debian's packages (installed when missing),
//! a data folder under the temporary directory, listening on 127.0.0.1 and a free port, run as
//! the `postgres` user when we are root (the server refuses to run as root); stopped on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt;
use crate::cmd::{self, Result};

/// Variable naming the server for the tests.
pub(crate) const URL_VAR: &str = "MARKETPLACE_TEST_POSTGRES_URL";

/// A running server; stopped (and its folder removed) on drop.
pub(crate) struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    /// `postgres://...` URL of its `postgres` database.
    pub(crate) url: String,
}

fn as_postgres(root: bool, program: &Path) -> Command {
    if root {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// The newest `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> Result<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("/usr/lib/postgresql: {e}"))?
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            Some((
                entry.file_name().to_str()?.parse().ok()?,
                entry.path().join("bin"),
            ))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no PostgreSQL server binaries under /usr/lib/postgresql".into())
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

impl Postgres {
    /// Installs (if needed), initialises and starts a server.
    pub(crate) fn start() -> Result<Postgres> {
        apt::ensure_packages(&["postgresql"])?;
        let bin = bin_dir()?;
        let root = apt::is_root();
        let data = std::env::temp_dir().join(format!("marketplace-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        if root {
            cmd::run(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&data),
            )?;
        }
        let cluster = data.join("cluster");
        cmd::run(
            as_postgres(root, &bin.join("initdb"))
                .arg("-D")
                .arg(&cluster)
                .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
                .stdout(std::process::Stdio::null()),
        )?;
        let port = free_port()?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={} -c fsync=off -c max_connections=300",
            data.display()
        );
        cmd::run(
            as_postgres(root, &bin.join("pg_ctl"))
                .arg("-D")
                .arg(&cluster)
                .args(["-o", &options, "-w", "-t", "60", "-l"])
                .arg(data.join("server.log"))
                .arg("start"),
        )?;
        Ok(Postgres {
            bin,
            data,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let root = apt::is_root();
        let _ = cmd::run(
            as_postgres(root, &self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(self.data.join("cluster"))
                .args(["-m", "immediate", "-w", "stop"]),
        );
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
