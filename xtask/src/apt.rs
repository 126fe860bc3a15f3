//! Debian packages: install what a step needs when it is missing.

use std::process::Command;

use crate::cmd::{self, Result};

/// Whether a Debian package is installed.
pub(crate) fn installed(package: &str) -> bool {
    cmd::probe(Command::new("dpkg-query").args(["--show", "--showformat=${Status}", package]))
        .as_deref()
        == Some("install ok installed")
}

/// Installs the packages that are missing (`apt-get update` first), through `sudo` unless root.
pub(crate) fn ensure_packages(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        println!("Debian packages present: {}", packages.join(" "));
        return Ok(());
    }
    println!("installing missing Debian packages: {}", missing.join(" "));
    cmd::run(&mut apt_get(&["update"])?)?;
    let mut install = vec!["install", "-y", "--no-install-recommends"];
    install.extend(&missing);
    cmd::run(&mut apt_get(&install)?)
}

/// An `apt-get` command, non-interactive, waiting for a concurrent `apt`/`dpkg` to finish;
/// through `sudo` unless running as root.
fn apt_get(args: &[&str]) -> Result<Command> {
    let apt_args = [
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "-o",
        "DPkg::Lock::Timeout=600",
    ];
    let mut command = if is_root() {
        Command::new("env")
    } else {
        if cmd::probe(Command::new("sudo").arg("--version")).is_none() {
            return Err("installing Debian packages needs root or sudo".into());
        }
        let mut sudo = Command::new("sudo");
        sudo.arg("env");
        sudo
    };
    command.args(apt_args).args(args);
    Ok(command)
}

/// Whether this process runs as root.
pub(crate) fn is_root() -> bool {
    cmd::probe(Command::new("id").arg("-u")).as_deref() == Some("0")
}
