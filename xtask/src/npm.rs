//! Node and the npm tools of the steps: each set pinned by a `package-lock.json` under `xtask/`
//! and installed with `npm ci` into its own folder under `target/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Result};
use crate::{apt, source};

/// A set of npm tools: where its `package.json` and `package-lock.json` are, where they are
/// installed, and the programs it must provide.
pub(crate) struct Tools {
    /// The folder of `package.json` and `package-lock.json`, relative to the workspace root.
    pub(crate) source: &'static str,
    /// The install folder, relative to the workspace root.
    pub(crate) target: &'static str,
    /// Programs expected in `node_modules/.bin` once installed.
    pub(crate) programs: &'static [&'static str],
}

/// Installs Node and npm from Debian when either is missing.
pub(crate) fn ensure_node() -> Result {
    let has = |program: &str| cmd::probe(Command::new(program).arg("--version")).is_some();
    if has("node") && has("npm") {
        return Ok(());
    }
    apt::ensure_packages(&["nodejs", "npm"])
}

/// Installs `tools` with `npm ci` when a program is missing or the lock file changed since the
/// last install; returns their `node_modules/.bin` folder.
pub(crate) fn ensure_tools(root: &Path, tools: &Tools) -> Result<PathBuf> {
    ensure_node()?;
    let source_dir = root.join(tools.source);
    let target = root.join(tools.target);
    let bin = target.join("node_modules").join(".bin");
    let lock = source::read(&source_dir.join("package-lock.json"))?;
    let installed_lock = std::fs::read_to_string(target.join("package-lock.json")).ok();
    // npm writes `node_modules/.package-lock.json` once an install completes.
    let present = target
        .join("node_modules")
        .join(".package-lock.json")
        .is_file()
        && tools.programs.iter().all(|tool| bin.join(tool).exists());
    if present && installed_lock.as_deref() == Some(lock.as_str()) {
        println!("npm tools ({}): {}", tools.source, target.display());
        return Ok(bin);
    }
    std::fs::create_dir_all(&target)
        .map_err(|error| format!("cannot create {}: {error}", target.display()))?;
    write(
        &target.join("package.json"),
        &source::read(&source_dir.join("package.json"))?,
    )?;
    write(&target.join("package-lock.json"), &lock)?;
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&target),
    )?;
    Ok(bin)
}

/// Writes a text file.
fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|error| format!("cannot write {}: {error}", path.display()))
}
