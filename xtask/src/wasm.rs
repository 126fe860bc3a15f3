//! The `wasm32-unknown-unknown` build of the crates that ship to browsers.
//!
//! Two routes (some machines, CI's among them, have a rustup toolchain without the wasm32
//! standard library and no way to download it):
//!
//! - **rustup**: when the toolchain running this xtask has the wasm32 standard library
//!   (`rustup target add wasm32-unknown-unknown`), plain `cargo build --target ...`.
//! - **Debian**: otherwise (rustup cannot download the target on the CI machines), Debian's
//!   Rust (`rustc-web`, `cargo-web`, `rust-web-src`, `lld-22`, installed here if missing)
//!   builds the standard library from source with `-Zbuild-std`, with panics that trap at once
//!   (`-Cpanic=immediate-abort`, for size).
//!
//! Both routes build into `target/wasm`, apart from the native artifacts. [`cargo_build`] is
//! shared with the npm package's build ([`crate::wasm_pkg`]).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::apt;
use crate::cmd::{self, Result};

/// The WebAssembly target.
const TARGET: &str = "wasm32-unknown-unknown";

/// The packages built, as libraries.
const PACKAGES: [&str; 3] = [
    "marketplace-api",
    "marketplace-core",
    "marketplace-embedded",
];

/// The Cargo profile, defined in the root `Cargo.toml` (size-optimized, `panic = "abort"`).
const PROFILE: &str = "wasm-release";

/// The target directory, relative to the workspace root.
const TARGET_DIR: &str = "target/wasm";

/// `RUSTFLAGS` of the build: selects `getrandom`'s JS backend should a dependency pull it.
const RUSTFLAGS: &str = r#"--cfg getrandom_backend="wasm_js""#;

/// What the Debian route adds to [`RUSTFLAGS`]: a panic traps at once (`unreachable`, as it
/// already did after `panic = "abort"`), without the standard library's message formatting
/// and the source locations it carries. It needs the standard library built from source,
/// which only that route does: 9 KiB less of the npm package's 120 gzipped.
const DEBIAN_RUSTFLAGS: &str = "-Zunstable-options -Cpanic=immediate-abort";

/// The Debian packages of the Debian route. `rust-web-llvm` (which provides `/usr/bin/rust-lld`)
/// is only a recommendation of `rustc-web`, so it is named, for images that skip those.
const DEBIAN_PACKAGES: [&str; 5] = [
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-llvm",
    "lld-22",
];

/// Debian's `cargo`.
const DEBIAN_CARGO: &str = "/usr/bin/cargo";

/// Debian's `rustc` (1.96 at the time of writing).
const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

/// Where `rust-web-src` puts the standard library's sources, needed by `-Zbuild-std`.
const DEBIAN_STD_SOURCES: &str = "/usr/lib/rustlib/src/rust/library";

/// Environment variables a parent `cargo run` (through rustup) sets, or a user may set, that
/// would make Debian's `cargo` use another compiler, wrapper or flags than intended.
const FOREIGN_VARS: &[&str] = &[
    "CARGO",
    "CARGO_BUILD_RUSTC",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTDOC",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_MAKEFLAGS",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_DIR",
    "RUSTC",
    "RUSTC_WORKSPACE_WRAPPER",
    "RUSTC_WRAPPER",
    "RUSTDOC",
    "RUSTUP_TOOLCHAIN",
    "RUSTUP_TOOLCHAIN_SOURCE",
    "RUST_RECURSION_COUNT",
];

/// Prefixes of the per-package variables `cargo run` sets for the program it runs.
const FOREIGN_PREFIXES: &[&str] = &[
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "CARGO_BIN_",
    "CARGO_CRATE_",
];

/// The toolchain that builds for wasm32.
#[derive(Debug)]
enum Toolchain {
    /// The toolchain running this xtask, whose wasm32 standard library is in the given directory.
    Rustup(PathBuf),
    /// Debian's Rust with `-Zbuild-std`.
    Debian,
}

/// Builds [`PACKAGES`] for [`TARGET`] with the [`PROFILE`] profile, on the first toolchain
/// that can, and checks that the libraries were produced.
pub(crate) fn build() -> Result {
    cmd::run(&mut cargo_build(&PACKAGES)?)?;
    check_artifacts(&artifact_dir())
}

/// Where the build puts the [`TARGET`] artifacts of the [`PROFILE`] profile.
pub(crate) fn artifact_dir() -> PathBuf {
    cmd::workspace_root()
        .join(TARGET_DIR)
        .join(TARGET)
        .join(PROFILE)
}

/// A `cargo build --lib` of `packages` for [`TARGET`] with the [`PROFILE`] profile into
/// [`TARGET_DIR`], on the first toolchain that can (installing the Debian route if needed).
pub(crate) fn cargo_build(packages: &[&str]) -> Result<Command> {
    let root = cmd::workspace_root();
    let (mut command, rustflags) = match select_toolchain() {
        Toolchain::Rustup(libdir) => {
            println!(
                "toolchain: the active one (its {TARGET} standard library is in {})",
                libdir.display()
            );
            (cmd::cargo_command(&[]), RUSTFLAGS.to_owned())
        }
        Toolchain::Debian => {
            println!(
                "toolchain: Debian's {DEBIAN_RUSTC} with -Zbuild-std \
                 (the active toolchain has no {TARGET} standard library)"
            );
            ensure_debian_packages()?;
            (
                debian_cargo(&root)?,
                format!("{RUSTFLAGS} {DEBIAN_RUSTFLAGS}"),
            )
        }
    };
    command.args(["build", "--lib"]);
    for package in packages {
        command.args(["--package", package]);
    }
    command.args([
        "--profile",
        PROFILE,
        "--target",
        TARGET,
        "--target-dir",
        TARGET_DIR,
    ]);
    command.env("RUSTFLAGS", rustflags);
    Ok(command)
}

/// Chooses the toolchain: the active one if its sysroot holds a wasm32 standard library, else
/// Debian's.
///
/// Asking `rustc --print target-libdir` (rather than `rustup target list --installed`) also
/// works for toolchains not managed by rustup; `rustc` is `$RUSTC` if set, as for `cargo`,
/// else the one on `PATH`, which the rustup proxy resolves to the toolchain of this xtask
/// (`cargo run` passes `RUSTUP_TOOLCHAIN` down).
fn select_toolchain() -> Toolchain {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let libdir =
        cmd::probe(Command::new(&rustc).args(["--print", "target-libdir", "--target", TARGET]));
    match libdir.map(PathBuf::from) {
        Some(libdir) if has_core_rlib(&libdir) => Toolchain::Rustup(libdir),
        _ => Toolchain::Debian,
    }
}

/// Whether `libdir` holds a compiled `core` (`libcore-<hash>.rlib`).
fn has_core_rlib(libdir: &Path) -> bool {
    std::fs::read_dir(libdir).is_ok_and(|entries| {
        entries.filter_map(|entry| entry.ok()).any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libcore-") && name.ends_with(".rlib")
        })
    })
}

/// Installs the Debian packages of the Debian route if any is missing, then checks the files
/// the build needs.
fn ensure_debian_packages() -> Result {
    if cmd::probe(Command::new("apt-get").arg("--version")).is_none() {
        return Err(format!(
            "the active Rust toolchain has no {TARGET} standard library and this is not a \
             Debian-like system: run `rustup target add {TARGET}`"
        ));
    }
    apt::ensure_packages(&DEBIAN_PACKAGES)?;
    for path in [DEBIAN_CARGO, DEBIAN_RUSTC, DEBIAN_STD_SOURCES] {
        if !Path::new(path).exists() {
            return Err(format!(
                "{path} is missing although {} are installed",
                DEBIAN_PACKAGES.join(" ")
            ));
        }
    }
    Ok(())
}

/// Debian's `cargo`, run from `root`, with an environment that cannot lead it to rustup's
/// compiler: variables set by the parent `cargo run` are removed, `/usr/bin` comes first on
/// `PATH`, `RUSTC` names Debian's compiler, and `RUSTC_BOOTSTRAP=1` unlocks `-Zbuild-std`.
fn debian_cargo(root: &Path) -> Result<Command> {
    let mut command = Command::new(DEBIAN_CARGO);
    command.current_dir(root);
    for (key, _) in std::env::vars_os() {
        if is_foreign_var(&key) {
            command.env_remove(&key);
        }
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![PathBuf::from("/usr/bin")];
    paths.extend(std::env::split_paths(&path));
    let path = std::env::join_paths(paths).map_err(|error| format!("bad PATH: {error}"))?;
    command.env("PATH", path);
    // `cargo run` prepends its toolchain's libraries and the workspace's target directory.
    if let Some(library_path) = std::env::var_os("LD_LIBRARY_PATH") {
        let kept: Vec<PathBuf> = std::env::split_paths(&library_path)
            .filter(|dir| !is_rustup_or_target_dir(dir, root))
            .collect();
        if kept.is_empty() {
            command.env_remove("LD_LIBRARY_PATH");
        } else {
            let kept = std::env::join_paths(kept).map_err(|error| format!("bad path: {error}"))?;
            command.env("LD_LIBRARY_PATH", kept);
        }
    }
    command
        .env("RUSTC", DEBIAN_RUSTC)
        .env("RUSTC_BOOTSTRAP", "1")
        .arg("-Zbuild-std=std,panic_abort");
    let version = cmd::probe(Command::new(DEBIAN_RUSTC).arg("--version"))
        .ok_or_else(|| format!("`{DEBIAN_RUSTC} --version` fails"))?;
    println!("compiler: {version}");
    let minimum = env!("CARGO_PKG_RUST_VERSION");
    if !at_least(&version, minimum) {
        return Err(format!(
            "{DEBIAN_RUSTC} is older than the workspace's rust-version {minimum}: is the \
             bookworm-security repository (where rustc-web 1.96 comes from) enabled?"
        ));
    }
    Ok(command)
}

/// Whether a `rustc --version` line (`rustc 1.96.0 (...)`) names at least version `minimum`
/// (`1.95` or `1.95.0`). Unparsable versions pass: `cargo` then checks `rust-version` itself.
fn at_least(version_line: &str, minimum: &str) -> bool {
    let parse = |text: &str| -> Option<Vec<u64>> {
        text.split(['.', '-'])
            .take(3)
            .map(|part| part.parse().ok())
            .collect()
    };
    let found = version_line.split_whitespace().nth(1).and_then(parse);
    match (found, parse(minimum)) {
        (Some(found), Some(minimum)) => found >= minimum,
        _ => true,
    }
}

/// Whether an environment variable is one of [`FOREIGN_VARS`] or starts with one of
/// [`FOREIGN_PREFIXES`].
fn is_foreign_var(key: &OsStr) -> bool {
    let key = key.to_string_lossy();
    FOREIGN_VARS.contains(&key.as_ref())
        || FOREIGN_PREFIXES
            .iter()
            .any(|prefix| key.starts_with(prefix))
}

/// Whether a library directory belongs to a rustup toolchain or to the workspace's targets.
fn is_rustup_or_target_dir(dir: &Path, root: &Path) -> bool {
    let rustup_home: Option<OsString> = std::env::var_os("RUSTUP_HOME");
    dir.starts_with(root.join("target"))
        || rustup_home.is_some_and(|home| dir.starts_with(home))
        || dir.components().any(|part| part.as_os_str() == ".rustup")
}

/// Checks that the build produced a library for each of [`PACKAGES`] in `dir`, and prints
/// their sizes.
fn check_artifacts(dir: &Path) -> Result {
    for package in PACKAGES {
        let file = dir.join(format!("lib{}.rlib", package.replace('-', "_")));
        let size = std::fs::metadata(&file)
            .map_err(|error| format!("{} was not produced: {error}", file.display()))?
            .len();
        println!("built {} ({} KiB)", file.display(), size.div_ceil(1024));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_run_variables_are_foreign() {
        for key in [
            "CARGO",
            "RUSTC",
            "RUSTUP_TOOLCHAIN",
            "CARGO_PKG_NAME",
            "CARGO_MANIFEST_DIR",
            "CARGO_ENCODED_RUSTFLAGS",
        ] {
            assert!(is_foreign_var(OsStr::new(key)), "{key}");
        }
        for key in [
            "CARGO_HOME",
            "PATH",
            "HOME",
            "CARGO_NET_OFFLINE",
            "RUSTUP_HOME",
        ] {
            assert!(!is_foreign_var(OsStr::new(key)), "{key}");
        }
    }

    #[test]
    fn compiler_versions_are_compared() {
        let debian = "rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)";
        assert!(at_least(debian, "1.95"));
        assert!(at_least(debian, "1.96.0"));
        assert!(!at_least(debian, "1.97"));
        assert!(!at_least("rustc 1.85.0 (4d91de4e4 2025-02-17)", "1.95"));
        assert!(at_least("rustc 1.95.0-nightly (abc 2026-01-01)", "1.95"));
        assert!(at_least("garbage", "1.95"));
    }

    #[test]
    fn library_dirs_of_rustup_and_target_are_dropped() {
        let root = Path::new("/work/repo");
        assert!(is_rustup_or_target_dir(
            Path::new("/work/repo/target/debug/deps"),
            root
        ));
        assert!(is_rustup_or_target_dir(
            Path::new("/home/me/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib"),
            root
        ));
        assert!(!is_rustup_or_target_dir(Path::new("/opt/lib"), root));
    }
}
