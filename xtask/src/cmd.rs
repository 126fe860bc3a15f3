//! Running external commands, and locating the workspace and the `cargo` to run.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The error of a step: a message for the person reading the CI log.
pub(crate) type Error = String;

/// The result of a step or of one of its commands.
pub(crate) type Result<T = (), E = Error> = std::result::Result<T, E>;

/// The workspace root: the parent of this crate's directory.
pub(crate) fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The `cargo` that runs this xtask (`$CARGO`, set by `cargo run`), else `cargo` from `PATH`.
///
/// Using `$CARGO` keeps every step on the toolchain the user chose (`cargo +nightly xtask ...`).
pub(crate) fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Builds the binaries of `packages` (debug profile) and returns the folder holding them.
pub(crate) fn build_binaries(packages: &[&str]) -> Result<PathBuf> {
    let mut args = vec!["build"];
    for package in packages {
        args.extend(["-p", package]);
    }
    run(&mut cargo_command(&args))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    Ok(target.join("debug"))
}

/// A `cargo` command with the given arguments, run from the workspace root.
pub(crate) fn cargo_command(args: &[&str]) -> Command {
    let mut command = Command::new(cargo());
    command.args(args).current_dir(workspace_root());
    command
}

/// Renders a command as a shell-like line (environment overrides first) for the log.
pub(crate) fn display(command: &Command) -> String {
    let mut parts: Vec<String> = command
        .get_envs()
        .filter_map(|(key, value)| {
            let value = value?.to_string_lossy().into_owned();
            // PATH and LD_LIBRARY_PATH are long and only adjusted: not worth a log line.
            (key != "PATH" && key != "LD_LIBRARY_PATH")
                .then(|| format!("{}={}", key.to_string_lossy(), quote(&value)))
        })
        .collect();
    parts.push(command.get_program().to_string_lossy().into_owned());
    parts.extend(command.get_args().map(|arg| quote(&arg.to_string_lossy())));
    parts.join(" ")
}

/// Quotes a word for display when it holds characters a shell would interpret.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Runs a command with inherited standard streams; fails unless it exits successfully.
pub(crate) fn run(command: &mut Command) -> Result {
    println!("$ {}", display(command));
    let status = command
        .status()
        .map_err(|error| format!("cannot start `{}`: {error}", display(command)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", display(command)))
    }
}

/// Runs a command and captures its standard output; fails unless it exits successfully.
///
/// Standard error is inherited, so warnings and errors still reach the log.
pub(crate) fn output(command: &mut Command) -> Result<String> {
    println!("$ {}", display(command));
    let Output { status, stdout, .. } = command
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot start `{}`: {error}", display(command)))?;
    if status.success() {
        String::from_utf8(stdout)
            .map_err(|_| format!("`{}` printed non-UTF-8 output", display(command)))
    } else {
        Err(format!("`{}` failed ({status})", display(command)))
    }
}

/// Runs a command quietly to probe the machine: its trimmed standard output if it succeeds,
/// `None` if it cannot start or fails.
pub(crate) fn probe(command: &mut Command) -> Option<String> {
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// Whether the service at `address` answers `GET /readyz` with 200 (it listens from its start,
/// but is ready only once its database is migrated and, for the demo, its data is made).
pub(crate) fn is_ready(address: std::net::SocketAddr) -> bool {
    use std::io::{Read, Write};
    let timeout = std::time::Duration::from_millis(500);
    let Ok(mut stream) = std::net::TcpStream::connect_timeout(&address, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let request = format!("GET /readyz HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    let mut status = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut status).is_ok()
        && status.ends_with(b" 200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_quotes_only_what_needs_it() {
        let mut command = Command::new("cargo");
        command
            .args(["build", "--target", "wasm32-unknown-unknown"])
            .env("RUSTFLAGS", r#"--cfg getrandom_backend="wasm_js""#)
            .env("PATH", "/usr/bin:/bin");
        assert_eq!(
            display(&command),
            r#"RUSTFLAGS='--cfg getrandom_backend="wasm_js"' cargo build --target wasm32-unknown-unknown"#
        );
    }

    #[test]
    fn workspace_root_holds_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(workspace_root().join("xtask").is_dir());
    }
}
