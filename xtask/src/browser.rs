//! The `browser` step of `cargo xtask test`: the embedding surfaces in Debian's Chromium, driven
//! by `playwright-core` (`tests/browser/*.test.mjs`), against the real service in demo mode with
//! the host pages on their own origin. Also what the JavaScript tests share: the service's
//! binary ([`server_binary`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cmd::{self, Result};
use crate::{apt, npm, react_host, wasm_pkg};

/// The browser tests' folder (its `package.json` and `package-lock.json` pin playwright-core).
const TESTS_DIR: &str = "tests/browser";

/// Debian's Chromium, and fonts for readable screenshots.
const PACKAGES: [&str; 2] = ["chromium", "fonts-liberation"];

/// Where Debian puts Chromium.
const CHROMIUM: &str = "/usr/bin/chromium";

/// The step: Chromium and playwright-core installed when missing, the service's binary, the
/// npm package and the React host example built, then `node --test tests/browser/*.test.mjs`. Screenshots land in
/// `target/screenshots/`.
pub(crate) fn test() -> Result {
    apt::ensure_packages(&PACKAGES)?;
    npm::ensure_node()?;
    let root = cmd::workspace_root();
    wasm_pkg::build_if_stale()?;
    react_host::build()?;
    let server = server_binary()?;
    let tests_dir = root.join(TESTS_DIR);
    ensure_playwright(&tests_dir)?;
    // The portal's journey reads its invitation email from aiosmtpd (the Python tools).
    let python = crate::webhook_tools::install_python()?;
    cmd::run(
        Command::new("node")
            .arg("--test")
            .args(test_files(&tests_dir)?)
            .env("MARKETPLACE_SERVER_BIN", &server)
            .env("CHROMIUM_PATH", CHROMIUM)
            .env(crate::webhook_tools::SMTP_VAR, &python),
    )?;
    println!(
        "screenshots: {}",
        root.join("target").join("screenshots").display()
    );
    Ok(())
}

/// `cargo xtask bench`'s browser figure: `tests/browser/validate.bench.mjs` in Chromium (both
/// installed when missing), after the npm package is built.
pub(crate) fn bench_validation() -> Result {
    apt::ensure_packages(&PACKAGES)?;
    npm::ensure_node()?;
    let tests_dir = cmd::workspace_root().join(TESTS_DIR);
    ensure_playwright(&tests_dir)?;
    cmd::run(
        Command::new("node")
            .arg(tests_dir.join("validate.bench.mjs"))
            .env("CHROMIUM_PATH", CHROMIUM),
    )
}

/// Builds `marketplace-server` (debug) and returns its path.
pub(crate) fn server_binary() -> Result<PathBuf> {
    Ok(cmd::build_binaries(&["marketplace-server"])?.join("marketplace-server"))
}

/// The `*.test.mjs` files of a folder, sorted.
pub(crate) fn test_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut tests: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    tests.sort();
    if tests.is_empty() {
        return Err(format!("no *.test.mjs in {}", dir.display()));
    }
    Ok(tests)
}

/// `npm ci` in the tests' folder when playwright-core is missing or the lock file changed since
/// the last install (a copy of the lock is kept in `node_modules`).
fn ensure_playwright(dir: &Path) -> Result {
    let lock = std::fs::read_to_string(dir.join("package-lock.json"))
        .map_err(|error| format!("cannot read the browser tests' lock file: {error}"))?;
    let copy = dir
        .join("node_modules")
        .join(".installed-package-lock.json");
    let installed = dir.join("node_modules").join("playwright-core");
    if installed.exists() && std::fs::read_to_string(&copy).ok().as_deref() == Some(lock.as_str()) {
        println!("playwright-core: {}", installed.display());
        return Ok(());
    }
    cmd::run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )?;
    std::fs::write(&copy, lock).map_err(|error| format!("cannot write {}: {error}", copy.display()))
}
