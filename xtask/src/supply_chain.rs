//! The supply-chain check: `cargo deny check` (advisories, licences, bans, sources) with the
//! reviewed `deny.toml`, against the RustSec database snapshot in `supply-chain/advisory-db`
//! (supply-chain/README.md says why a snapshot and how to refresh it).

use std::path::Path;
use std::process::Command;

use crate::cmd::{self, Result};

/// The cargo-deny release the check runs (installed with `cargo install` when another is found).
const CARGO_DENY: &str = "0.20.2";

/// Where cargo-deny 0.20 looks for its clone of `https://github.com/rustsec/advisory-db` under
/// `db-path`: the URL's last segment and its XxHash64 (seed `0xca80de71`), as its
/// `url_to_db_path` names it. A different cargo-deny may name it otherwise: the check then fails
/// saying the database is missing.
const DB_DIR: &str = "target/advisory-dbs/advisory-db-3157b0e258782691";

/// Runs `cargo deny check` on the workspace.
pub(crate) fn check(root: &Path) -> Result {
    ensure_cargo_deny()?;
    prepare_database(root)?;
    // cargo-deny reads the metadata of every target's packages, which the builds of this
    // machine's target may not have downloaded (e.g. a crate only Windows uses).
    cmd::run(cmd::cargo_command(&["fetch", "--locked"]).current_dir(root))?;
    cmd::run(
        // `--offline`: the database is not fetched (nor the index, for yanked crates).
        cmd::cargo_command(&["deny", "--offline", "--log-level", "warn", "check"])
            .current_dir(root),
    )
}

/// Installs cargo-deny [`CARGO_DENY`] unless that version is on the path.
fn ensure_cargo_deny() -> Result {
    let found = cmd::probe(&mut cmd::cargo_command(&["deny", "--version"]));
    if found.as_deref() == Some(format!("cargo-deny {CARGO_DENY}").as_str()) {
        return Ok(());
    }
    println!("installing cargo-deny {CARGO_DENY}");
    cmd::run(&mut cmd::cargo_command(&[
        "install",
        "cargo-deny",
        "--version",
        CARGO_DENY,
        "--locked",
        "--force",
    ]))
}

/// Copies the snapshot to [`DB_DIR`] as a git repository with one commit dated at the
/// snapshot's commit date, and its `HEAD` file too (cargo-deny reads the database's age from
/// them).
fn prepare_database(root: &Path) -> Result {
    let snapshot = root.join("supply-chain/advisory-db");
    let described = std::fs::read_to_string(root.join("supply-chain/advisory-db.snapshot"))
        .map_err(|e| format!("supply-chain/advisory-db.snapshot: {e}"))?;
    let mut lines = described.lines().map(str::trim);
    let (Some(commit), Some(date)) = (lines.next(), lines.next()) else {
        return Err(
            "supply-chain/advisory-db.snapshot: expected a commit line and a date line".into(),
        );
    };
    let db = root.join(DB_DIR);
    if db.exists() {
        std::fs::remove_dir_all(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    }
    std::fs::create_dir_all(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    cmd::run(
        Command::new("cp")
            .arg("-R")
            .arg(snapshot.join("."))
            .arg(&db),
    )?;
    let git = |args: &[&str]| {
        let mut command = Command::new("git");
        command
            .current_dir(&db)
            .args(["-c", "user.name=xtask", "-c", "user.email=xtask@localhost"])
            .args(args)
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .stdout(std::process::Stdio::null());
        cmd::run(&mut command)
    };
    git(&["init", "-q", "-b", "main"])?;
    git(&["add", "-A"])?;
    git(&[
        "commit",
        "-q",
        "-m",
        &format!("RustSec advisory-db at {commit}"),
    ])?;
    // cargo-deny takes the newer of the commit's date and `.git/HEAD`'s modification time (a
    // fresh clone's): HEAD gets the snapshot's date too, so the age it sees is the snapshot's.
    cmd::run(
        Command::new("touch")
            .arg("-d")
            .arg(date)
            .arg(db.join(".git/HEAD")),
    )
}
