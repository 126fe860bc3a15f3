//! A throwaway PostgreSQL server for the test run: Debian's packages (installed when missing),
//! a data folder under the temporary directory, listening on 127.0.0.1 and a free port, run as
//! the `postgres` user when we are root (the server refuses to run as root); stopped on drop.
//! TLS is on, with a certificate for 127.0.0.1 from an authority made for the run (`openssl`), so
//! the tests reach it as a managed PostgreSQL would be reached.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Result};
use crate::{apt, source};

/// Variable naming the server for the tests.
pub(crate) const URL_VAR: &str = "MARKETPLACE_TEST_POSTGRES_URL";
/// The variable naming the certificate authority of the test server's TLS certificate (PEM), and
/// the one naming another authority that did not sign it.
pub(crate) const CA_VAR: &str = "MARKETPLACE_TEST_POSTGRES_CA";
/// See [`CA_VAR`].
pub(crate) const OTHER_CA_VAR: &str = "MARKETPLACE_TEST_POSTGRES_OTHER_CA";

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
        apt::ensure_packages(&["postgresql", "openssl"])?;
        let bin = bin_dir()?;
        let root = apt::is_root();
        let data = std::env::temp_dir().join(format!("marketplace-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        make_certificates(&data)?;
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
        // TLS on (clients choose: sqlx's default `prefer` uses it), with a certificate for
        // 127.0.0.1 signed by the run's own authority.
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={dir} -c fsync=off -c max_connections=300 \
             -c ssl=on -c ssl_cert_file={dir}/server.pem -c ssl_key_file={dir}/server.key",
            dir = data.display()
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

    /// The authority that signed the server's certificate (PEM file).
    /// The server's process id (its backends are its children), from `postmaster.pid`.
    pub(crate) fn pid(&self) -> Option<u32> {
        let text = std::fs::read_to_string(self.data.join("cluster/postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.data.join("ca.pem")
    }

    /// An authority that did not sign it (PEM file).
    pub(crate) fn other_ca(&self) -> PathBuf {
        self.data.join("other-ca.pem")
    }
}

/// Writes, in `dir`, a certificate authority (`ca.pem`), the server's key and certificate for
/// 127.0.0.1 signed by it (`server.key`, `server.pem`), and an unrelated authority
/// (`other-ca.pem`), with the `openssl` command.
fn make_certificates(dir: &Path) -> Result {
    let openssl = |args: &[&str]| {
        cmd::run(
            Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .stderr(std::process::Stdio::null()),
        )
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let authority = [
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ];
    for (name, subject) in [
        ("ca", "/CN=marketplace test CA"),
        ("other-ca", "/CN=another CA"),
    ] {
        let (key_file, cert_file) = (format!("{name}.key"), format!("{name}.pem"));
        let mut args = vec!["req", "-x509", "-days", "2", "-subj", subject];
        args.extend(key);
        args.extend(["-keyout", &key_file, "-out", &cert_file]);
        args.extend(authority);
        openssl(&args)?;
    }
    let mut request = vec!["req", "-subj", "/CN=127.0.0.1"];
    request.extend(key);
    request.extend(["-keyout", "server.key", "-out", "server.csr"]);
    openssl(&request)?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| format!("server.ext: {e}"))?;
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ])?;
    // PostgreSQL refuses a key others may read.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        dir.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .map_err(|e| format!("server.key: {e}"))
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

/// How a PostgreSQL scenario is ignored under a plain `cargo test` (the start of the attribute).
const POSTGRES_IGNORE: &str = "#[ignore = \"needs PostgreSQL:";

/// How the tests that verify deliveries with the Standard Webhooks npm package are ignored
/// (the `test` step installs it and passes its folder in [`crate::webhook_tools::DIR_VAR`]).
const WEBHOOK_TOOLS_IGNORE: &str =
    "#[ignore = \"needs the standardwebhooks npm and Python packages:";

/// How the email tests, which run `aiosmtpd` from the Python tools, are ignored.
const SMTP_IGNORE: &str = "#[ignore = \"needs aiosmtpd:";

/// Fails unless every ignored test of the workspace is a PostgreSQL scenario or a check with the
/// Standard Webhooks npm package, so that the `test` step's `--include-ignored` adds those (whose
/// server or tools it provides) and nothing else: no other `#[ignore]`, and no doc-test block
/// marked `ignore` (which `--include-ignored` would try to compile and run).
pub(crate) fn check_ignored_tests(root: &Path) -> Result {
    let mut problems = Vec::new();
    for dir in ["crates", "examples", "tests", "xtask"] {
        let dir = root.join(dir);
        if !dir.is_dir() {
            continue;
        }
        for file in source::files(&dir, "rs")? {
            let text = source::read(&file)?;
            for (line, reason) in ignored_lines(&text) {
                problems.push(format!(
                    "{}:{line}: {reason}",
                    source::relative(root, &file)
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "only the PostgreSQL scenarios (`{POSTGRES_IGNORE} ...\"]`) the Standard Webhooks checks \
             (`{WEBHOOK_TOOLS_IGNORE} ...\"]`) and the email tests (`{SMTP_IGNORE} ...\"]`) may be ignored, but:\n  {}",
            problems.join("\n  ")
        ))
    }
}

/// The lines (1-based) of `text` that ignore a test other than a PostgreSQL scenario, each with
/// what is wrong.
fn ignored_lines(text: &str) -> Vec<(usize, &'static str)> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_start();
        if line.starts_with("#[ignore")
            && !line.starts_with(POSTGRES_IGNORE)
            && !line.starts_with(WEBHOOK_TOOLS_IGNORE)
            && !line.starts_with(SMTP_IGNORE)
        {
            found.push((
                index + 1,
                "an ignored test that is not a PostgreSQL scenario",
            ));
        }
        let doc = line
            .strip_prefix("///")
            .or_else(|| line.strip_prefix("//!"))
            .map(str::trim_start);
        if doc
            .and_then(|d| d.strip_prefix("```"))
            .is_some_and(|info| info.split(',').any(|word| word.trim() == "ignore"))
        {
            found.push((index + 1, "a doc test marked `ignore`"));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_postgres_scenarios_may_be_ignored() {
        // One string per line, so that this file holds no such line itself.
        let text = [
            "#[test]",
            "#[ignore = \"needs PostgreSQL: set X\"]",
            "fn pg() {}",
            "#[ignore = \"needs the standardwebhooks npm and Python packages: cargo xtask test installs them\"]",
            "    #[ignore]",
            "fn slow() {}",
            "#[ignore = \"flaky\"]",
            "/// ```rust,ignore",
            "/// ```",
            "//! ```ignore",
            "/// ```rust",
            "let s = \"#[ignore]\";",
        ]
        .join("\n");
        let lines: Vec<usize> = ignored_lines(&text).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [5, 7, 8, 10]);
    }

    #[test]
    fn the_workspace_ignores_only_postgres_scenarios() {
        check_ignored_tests(&cmd::workspace_root()).unwrap();
    }
}
