//! The Standard Webhooks reference libraries for Node (`standardwebhooks` on npm, pinned by
//! `xtask/webhook-tools/package-lock.json`) and Python (`standardwebhooks` from the Python
//! Package Index, pinned with its hash by `xtask/webhook-tools/requirements.txt`, in a virtual
//! environment): the `test` step installs them so that the service's tests verify real
//! deliveries' signatures with code that is not ours, running the documented endpoints
//! (`crates/marketplace-server/tests/server/signatures.rs`). The same virtual environment holds
//! `aiosmtpd`, the SMTP server the email tests run on loopback
//! (`crates/marketplace-server/tests/server/mail.rs`).

use std::path::PathBuf;

use crate::cmd::{self, Result};
use crate::{apt, npm};

/// The environment variable that tells the tests where the library is installed (the folder
/// holding its `node_modules`).
pub(crate) const DIR_VAR: &str = "MARKETPLACE_TEST_WEBHOOK_VERIFIER";

/// The pinned set; it installs no program, only the library.
const TOOLS: npm::Tools = npm::Tools {
    source: "xtask/webhook-tools",
    target: "target/webhook-tools",
    programs: &[],
};

/// Installs the library when missing or changed; returns the folder holding its `node_modules`.
pub(crate) fn install() -> Result<PathBuf> {
    let root = cmd::workspace_root();
    npm::ensure_tools(&root, &TOOLS)?;
    let dir = root.join(TOOLS.target);
    if !dir
        .join("node_modules/standardwebhooks/package.json")
        .is_file()
    {
        return Err(format!(
            "npm ci in {} did not install standardwebhooks",
            dir.display()
        ));
    }
    Ok(dir)
}

/// The environment variable that names the Python virtual environment holding the library.
pub(crate) const PYTHON_VAR: &str = "MARKETPLACE_TEST_WEBHOOK_VERIFIER_PY";

/// The environment variable that names the same virtual environment for the email tests (its
/// `aiosmtpd`).
pub(crate) const SMTP_VAR: &str = "MARKETPLACE_TEST_SMTP_PY";

/// The pinned Python requirements (with hashes).
const PYTHON_REQUIREMENTS: &str = "xtask/webhook-tools/requirements.txt";

/// Where the virtual environment goes.
const PYTHON_TARGET: &str = "target/webhook-tools-py";

/// Creates the virtual environment with the pinned library when missing or changed; returns
/// its folder (its interpreter is `bin/python3`).
pub(crate) fn install_python() -> Result<PathBuf> {
    apt::ensure_packages(&["python3", "python3-venv"])?;
    let root = cmd::workspace_root();
    let requirements = root.join(PYTHON_REQUIREMENTS);
    let wanted = std::fs::read_to_string(&requirements)
        .map_err(|error| format!("cannot read {PYTHON_REQUIREMENTS}: {error}"))?;
    let dir = root.join(PYTHON_TARGET);
    let marker = dir.join("installed-requirements.txt");
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str())
        && dir.join("bin/python3").is_file()
    {
        println!("Python tools ({PYTHON_REQUIREMENTS}): {}", dir.display());
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    cmd::run(
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir),
    )?;
    cmd::run(
        std::process::Command::new(dir.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-deps",
            ])
            .args(["--require-hashes", "-r"])
            .arg(&requirements),
    )?;
    std::fs::write(&marker, wanted)
        .map_err(|error| format!("cannot write {}: {error}", marker.display()))?;
    Ok(dir)
}
