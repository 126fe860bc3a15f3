//! The `openapi` step of `cargo xtask test`: the service's OpenAPI document, printed by
//! `marketplace-server openapi`, linted with Redocly CLI (the linter API users run) against
//! `redocly.yaml` at the workspace root.

use std::process::Command;

use crate::cmd::{self, Result};
use crate::{browser, npm};

/// Redocly CLI, pinned by `xtask/openapi-tools/package-lock.json`.
const TOOLS: npm::Tools = npm::Tools {
    source: "xtask/openapi-tools",
    target: "target/openapi-tools",
    programs: &["redocly"],
};

/// Where the document is written, relative to the workspace root.
const DOCUMENT: &str = "target/openapi/openapi.json";

/// The step: the document printed by the service's binary, then `redocly lint` on it.
pub(crate) fn lint() -> Result {
    let root = cmd::workspace_root();
    let redocly = npm::ensure_tools(&root, &TOOLS)?.join("redocly");
    let server = browser::server_binary()?;
    let document = cmd::output(Command::new(&server).arg("openapi"))?;
    let path = root.join(DOCUMENT);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|error| format!("cannot create {}: {error}", dir.display()))?;
    }
    std::fs::write(&path, document)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    cmd::run(
        Command::new(redocly)
            .arg("lint")
            .arg(DOCUMENT)
            .args(["--config", "redocly.yaml", "--format", "codeframe"])
            // No usage report and no update check: the step stays offline and quiet.
            .env("REDOCLY_TELEMETRY", "off")
            .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
            .current_dir(&root),
    )
}
