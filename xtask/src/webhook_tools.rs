//! The Standard Webhooks reference library for Node (`standardwebhooks` on npm), pinned by
//! `xtask/webhook-tools/package-lock.json`: the `test` step installs it so that the service's
//! tests verify real deliveries' signatures with code that is not ours
//! (`crates/marketplace-server/tests/server/signatures.rs`).

use std::path::PathBuf;

use crate::cmd::{self, Result};
use crate::npm;

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
