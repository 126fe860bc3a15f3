//! The npm package of `marketplace-wasm`, built into `crates/marketplace-wasm/pkg`, and its
//! tests from JavaScript under Node.
//!
//! 1. `cargo build` of `marketplace-wasm` for wasm32 with the `wasm-release` profile, on the
//!    toolchain [`wasm::cargo_build`] selects;
//! 2. `wasm-bindgen --target web` into `pkg/`: one ES module that browsers and Node both load
//!    (`wasm-bindgen-cli` is installed with `cargo install` when the one found differs from the
//!    crate's version in `Cargo.lock`);
//! 3. `wasm-opt -Oz` from the npm package `binaryen`, installed with `npm ci` from
//!    `xtask/wasm-tools/package-lock.json` into `target/wasm-tools`;
//! 4. the package's JavaScript (`js/`: the `Marketplace` client, `mountMarketplace`, the entry
//!    points `index.js` for browsers and `node.js` for Node) and `pkg/package.json`, whose
//!    conditional exports pick the entry;
//! 5. `tsc --strict --noEmit` (npm package `typescript`, same lock) on the entry points'
//!    declarations, so the hand-written types of `src/types.rs` and `js/*.d.ts` are checked.
//!
//! The raw and gzipped sizes of each final module are printed against its budget.
//!
//! The package holds two modules: `marketplace-wasm` (core's rules, loaded at start, within
//! [`GZIP_BUDGET`]) and `marketplace-wasm-mappings` (mapping collections and jq formulas, which
//! do not fit that budget: `js/mappings.js` loads it on first use, within
//! [`MAPPINGS_GZIP_BUDGET`]). Each is its own `cargo build`, so core's `formula` feature, which
//! the second enables, is not unified into the first.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::SystemTime;

use crate::cmd::{self, Result};
use crate::{browser, npm, wasm};

/// The crate built.
const PACKAGE: &str = "marketplace-wasm";

/// The crate's directory, relative to the workspace root.
const CRATE_DIR: &str = "crates/marketplace-wasm";

/// The package's directory, relative to the workspace root.
const PKG_DIR: &str = "crates/marketplace-wasm/pkg";

/// The module's file stem, as `wasm-bindgen` names its outputs.
const STEM: &str = "marketplace_wasm";

/// The npm tools: `wasm-opt` (binaryen) and `tsc` (typescript).
const TOOLS: npm::Tools = npm::Tools {
    source: "xtask/wasm-tools",
    target: "target/wasm-tools",
    programs: &["wasm-opt", "tsc"],
};

/// The budget of the gzipped module, in bytes (NOTES.md, "WebAssembly size").
const GZIP_BUDGET: u64 = 120 * 1024;

/// The second module's crate: mappings and formulas, loaded on first use.
const MAPPINGS_PACKAGE: &str = "marketplace-wasm-mappings";

/// The second module's file stem.
const MAPPINGS_STEM: &str = "marketplace_wasm_mappings";

/// The budget of the second module, gzipped, in bytes; loaded only by pages that map records
/// or call `visible`, `tier` or `score`.
/// 306 KiB when it was set: jaq's parser, interpreter and standard filters (with num-bigint and
/// bstr's Unicode tables) about half, serde_json, core's mapping rules and formula admission,
/// `time` for formats. `wasm-opt --converge` gains nothing more. 331 KiB with core's `visible`
/// and `tier` (23 KiB more, mostly serde for the listing, tenant and evidence types). 343 KiB
/// with commerce's `score` (14 KiB more: serde for the facts and the report, and the calendar
/// arithmetic of `time`). 322 KiB once the Debian route built the standard library with
/// `-Cpanic=immediate-abort` (`wasm.rs`): no panic messages or source locations.
const MAPPINGS_GZIP_BUDGET: u64 = 326 * 1024;

/// The WebAssembly features the Rust compiler enables by default for wasm32 (1.87 and later),
/// which `wasm-opt` must accept; it does not introduce others.
const WASM_FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-mutable-globals",
    "--enable-multivalue",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

/// The package's hand-written JavaScript and declarations, copied from `js/` into `pkg/`.
const SCRIPTS: [&str; 16] = [
    "api.d.ts",
    "values.js",
    "client.js",
    "rules.js",
    "form.d.ts",
    "catalog.d.ts",
    "phrases.d.ts",
    "client.d.ts",
    "mount.js",
    "mount.d.ts",
    "index.js",
    "index.d.ts",
    "node.js",
    "node.d.ts",
    "mappings.js",
    "mappings.d.ts",
];

/// `cargo xtask wasm`: builds the npm package into `crates/marketplace-wasm/pkg`.
pub(crate) fn build() -> Result {
    let root = cmd::workspace_root();
    let bindgen = ensure_wasm_bindgen(&root)?;
    let tools = npm::ensure_tools(&root, &TOOLS)?;
    let wasm_opt = tools.join("wasm-opt");

    let pkg = root.join(PKG_DIR);
    if pkg.exists() {
        std::fs::remove_dir_all(&pkg)
            .map_err(|error| format!("cannot remove {}: {error}", pkg.display()))?;
    }
    let main = bind_module(PACKAGE, STEM, &bindgen, &wasm_opt, &pkg)?;
    let mappings = bind_module(MAPPINGS_PACKAGE, MAPPINGS_STEM, &bindgen, &wasm_opt, &pkg)?;
    let scripts = root.join(CRATE_DIR).join("js");
    for script in SCRIPTS {
        write(&pkg.join(script), &read(&scripts.join(script))?)?;
    }
    // `form.js`, `catalog.js`, `phrases.js` and `marketplace.css` have one source, served by
    // the service to its iframe page too (see `embed_page.rs`).
    for script in SHARED_SCRIPTS {
        write(
            &pkg.join(script),
            &read(&root.join(EMBED_DIR).join(script))?,
        )?;
    }
    write(&pkg.join("package.json"), &package_json())?;

    cmd::run(
        tsc(&tools)
            .arg(pkg.join("index.d.ts"))
            .arg(pkg.join("node.d.ts")),
    )?;

    println!("package: {}", pkg.display());
    check_size("main module", &main, GZIP_BUDGET)?;
    check_size(
        "mappings module (loaded on first use)",
        &mappings,
        MAPPINGS_GZIP_BUDGET,
    )
}

/// Builds a crate for wasm32 (its own `cargo build`, so features are not unified with the
/// other module's), binds it with `wasm-bindgen --target web` into `pkg` and shrinks it with
/// `wasm-opt -Oz`; returns the final module's path.
fn bind_module(
    package: &str,
    stem: &str,
    bindgen: &Path,
    wasm_opt: &Path,
    pkg: &Path,
) -> Result<PathBuf> {
    cmd::run(&mut wasm::cargo_build(&[package])?)?;
    let input = wasm::artifact_dir().join(format!("{stem}.wasm"));
    let raw = file_size(&input)?;
    println!("built {} ({} KiB)", input.display(), raw.div_ceil(1024));
    cmd::run(
        Command::new(bindgen)
            .args(["--target", "web", "--out-dir"])
            .arg(pkg)
            .arg(&input),
    )?;
    let module = pkg.join(format!("{stem}_bg.wasm"));
    cmd::run(
        Command::new(wasm_opt)
            .arg("-Oz")
            .args(WASM_FEATURES)
            .arg(&module)
            .arg("-o")
            .arg(&module),
    )?;
    Ok(module)
}

/// `tsc --strict --noEmit` with the package's settings (ES2022 modules, the DOM).
fn tsc(tools: &Path) -> Command {
    let mut command = Command::new(tools.join("tsc"));
    command.args([
        "--strict",
        "--noEmit",
        "--lib",
        "es2022,dom,esnext.disposable",
        "--module",
        "es2022",
        "--target",
        "es2022",
    ]);
    command
}

/// The TypeScript tests of the package's declarations, relative to the crate: `*.good.ts`
/// must compile, `*.bad.ts` must fail with exactly the errors its lines announce.
const TYPE_TESTS_DIR: &str = "tests/types";

/// The marker of a line of a `*.bad.ts` file where tsc must report an error: `// error TS2339`.
const ERROR_MARKER: &str = "// error ";

/// The type tests: each `*.good.ts` compiles under `tsc --strict` against the built package (so
/// using the event union right is accepted), each `*.bad.ts` fails, with exactly the errors its
/// lines announce (`// error TS2339`: a wrong payload access, on that line), and no other.
fn check_type_tests(root: &Path) -> Result {
    let tools = npm::ensure_tools(root, &TOOLS)?;
    let dir = root.join(CRATE_DIR).join(TYPE_TESTS_DIR);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|error| format!("cannot read {}: {error}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "ts"))
        .collect();
    files.sort();
    for file in &files {
        let name = file.to_string_lossy();
        if name.ends_with(".good.ts") {
            cmd::run(tsc(&tools).arg(file))?;
        } else if name.ends_with(".bad.ts") {
            let expected = announced_errors(&read(file)?);
            if expected.is_empty() {
                return Err(format!("{name} announces no error (`{ERROR_MARKER}TS…`)"));
            }
            println!("$ tsc --strict --noEmit {name} (must fail)");
            let output = tsc(&tools)
                .arg(file)
                .output()
                .map_err(|error| format!("cannot run tsc: {error}"))?;
            let printed = String::from_utf8_lossy(&output.stdout);
            let reported = reported_errors(&printed);
            if output.status.success() || reported != expected {
                return Err(format!(
                    "{name}: tsc must report exactly {expected:?} (line, code), it reported \
                     {reported:?}:\n{printed}"
                ));
            }
            println!(
                "{name}: the {} expected errors, and no other",
                expected.len()
            );
        }
    }
    Ok(())
}

/// The `(line, code)` pairs a `*.bad.ts` file announces, lines counted from 1.
fn announced_errors(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (_, rest) = line.split_once(ERROR_MARKER)?;
            let code = rest.split_whitespace().next()?.trim_end_matches(':');
            let digits = code.strip_prefix("TS")?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| (index + 1, code.to_owned()))
        })
        .collect()
}

/// The `(line, code)` pairs of tsc's errors (`file.ts(12,5): error TS2339: ...`), sorted.
fn reported_errors(printed: &str) -> Vec<(usize, String)> {
    let mut errors: Vec<(usize, String)> = printed
        .lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once("): error ")?;
            let (_, position) = place.rsplit_once('(')?;
            let line = position.split(',').next()?.parse().ok()?;
            let code = rest.split(':').next()?.trim().to_owned();
            Some((line, code))
        })
        .collect();
    errors.sort();
    errors
}

/// Prints a final module's raw and gzipped sizes against its gzipped budget; over it, fails.
fn check_size(what: &str, module: &Path, budget: u64) -> Result {
    let raw = file_size(module)?;
    let gzipped = gzip_size(module)?;
    println!(
        "{what}: {} ({raw} bytes = {:.1} KiB raw, {gzipped} bytes = {:.1} KiB gzipped; budget {} \
         KiB gzipped)",
        module.display(),
        kib(raw),
        kib(gzipped),
        budget / 1024
    );
    if gzipped > budget {
        return Err(format!(
            "the gzipped {what} ({:.1} KiB) is over its budget of {} KiB",
            kib(gzipped),
            budget / 1024
        ));
    }
    Ok(())
}

/// The `wasm-pkg` step of `cargo xtask test`: [`build`], the type tests of its declarations
/// ([`check_type_tests`]: the event union narrows, a wrong payload access fails to compile), then
/// the package's tests under Node
/// (`node --test crates/marketplace-wasm/tests/*.test.mjs`), the client's against the real
/// service.
pub(crate) fn build_and_test() -> Result {
    build()?;
    let root = cmd::workspace_root();
    check_type_tests(&root)?;
    let wasm_sdk = build_wasm_sdk_example(&root)?;
    let server = browser::server_binary()?;
    let mut tests = browser::test_files(&root.join(CRATE_DIR).join("tests"))?;
    tests.push(root.join(WASM_SDK_EXAMPLE_DIR).join("sdk.test.mjs"));
    cmd::run(
        Command::new("node")
            .arg("--test")
            .args(&tests)
            .env("MARKETPLACE_SERVER_BIN", server)
            .env("WASM_SDK_DIR", wasm_sdk),
    )
}

/// The example crate running the Rust SDK on wasm32, relative to the workspace root.
const WASM_SDK_EXAMPLE_DIR: &str = "examples/wasm-sdk";

/// Builds `examples/wasm-sdk` (the Rust SDK over `fetch`) for wasm32 and binds it for Node
/// (`wasm-bindgen --target nodejs`) into `target/wasm-sdk`, which it returns.
fn build_wasm_sdk_example(root: &Path) -> Result<PathBuf> {
    cmd::run(&mut wasm::cargo_build(&["wasm-sdk-example"])?)?;
    let out = root.join("target").join("wasm-sdk");
    cmd::run(
        Command::new(ensure_wasm_bindgen(root)?)
            .args(["--target", "nodejs", "--out-dir"])
            .arg(&out)
            .arg(wasm::artifact_dir().join("wasm_sdk_example.wasm")),
    )?;
    Ok(out)
}

/// The `wasm-bindgen` whose version is the crate's in `Cargo.lock`: the one on `PATH` or in
/// Cargo's `bin` directory, else installed there with `cargo install` (without `--locked`: the
/// registry lacks one of its locked dependencies).
fn ensure_wasm_bindgen(root: &Path) -> Result<PathBuf> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|error| format!("cannot read Cargo.lock: {error}"))?;
    let version =
        locked_version(&lock, "wasm-bindgen").ok_or("Cargo.lock has no wasm-bindgen package")?;
    let installed = cargo_bin_dir().join("wasm-bindgen");
    for candidate in [PathBuf::from("wasm-bindgen"), installed.clone()] {
        let found = cmd::probe(Command::new(&candidate).arg("--version"));
        if found.as_deref() == Some(format!("wasm-bindgen {version}").as_str()) {
            println!("wasm-bindgen {version}: {}", candidate.display());
            return Ok(candidate);
        }
    }
    println!("installing wasm-bindgen-cli {version} (matching the wasm-bindgen crate)");
    cmd::run(&mut cmd::cargo_command(&[
        "install",
        "wasm-bindgen-cli",
        "--version",
        &version,
        "--force",
    ]))?;
    Ok(installed)
}

/// Cargo's `bin` directory, where `cargo install` puts programs.
fn cargo_bin_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin")
}

/// The version of package `name` in a `Cargo.lock`, if it is there once.
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{name}\"") {
            let version = lines.next()?.trim().strip_prefix("version = \"")?;
            return Some(version.strip_suffix('"')?.to_owned());
        }
    }
    None
}

/// The package's `package.json`: Node gets `node.js` (the module loaded from disk at import),
/// everything else `index.js` (initialized with its default export before use).
fn package_json() -> String {
    let version = env!("CARGO_PKG_VERSION");
    format!(
        r#"{{
  "name": "{PACKAGE}",
  "version": "{version}",
  "description": "The integration marketplace for JavaScript apps: core's rules (validation, JSON Schema, deployability, mappings), the embedded API client, the iframe embed",
  "license": "Apache-2.0 OR MIT",
  "type": "module",
  "files": ["*.js", "*.d.ts", "*.css", "{STEM}_bg.wasm", "{MAPPINGS_STEM}_bg.wasm"],
  "exports": {{
    ".": {{
      "node": {{
        "types": "./node.d.ts",
        "default": "./node.js"
      }},
      "default": {{
        "types": "./index.d.ts",
        "default": "./index.js"
      }}
    }}
  }},
  "main": "./node.js",
  "module": "./index.js",
  "types": "./index.d.ts",
  "sideEffects": ["./node.js"]
}}
"#
    )
}

/// The size of a file in bytes.
fn file_size(path: &Path) -> Result<u64> {
    Ok(std::fs::metadata(path)
        .map_err(|error| format!("{} is missing: {error}", path.display()))?
        .len())
}

/// The size of a file compressed with `gzip -9`.
fn gzip_size(path: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .args(["-9", "--stdout"])
        .arg(path)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|error| format!("cannot run gzip: {error}"))?;
    if !output.status.success() {
        return Err(format!("gzip failed on {}", path.display()));
    }
    Ok(output.stdout.len() as u64)
}

/// Bytes as KiB.
fn kib(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// Reads a text file.
fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))
}

/// Writes a text file.
fn write(path: &Path, text: &str) -> Result {
    std::fs::File::create(path)
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .map_err(|error| format!("cannot write {}: {error}", path.display()))
}

/// The folder of the service's page assets, relative to the workspace root.
const EMBED_DIR: &str = "crates/marketplace-server/assets/embed";

/// The package's scripts and stylesheet whose one source is the service's page assets
/// ([`EMBED_DIR`]).
const SHARED_SCRIPTS: [&str; 4] = ["form.js", "catalog.js", "phrases.js", "marketplace.css"];

/// The folders whose changes call for a new package.
const PACKAGE_SOURCES: [&str; 6] = [
    "crates/marketplace-wasm/src",
    "crates/marketplace-wasm-mappings/src",
    "crates/marketplace-tape/src",
    "crates/marketplace-wasm/js",
    "crates/marketplace-core/src",
    EMBED_DIR,
];

/// [`build`] when the package is missing or older than one of its sources.
pub(crate) fn build_if_stale() -> Result {
    if package_is_stale(&cmd::workspace_root()) {
        println!("building the npm package (missing, or its sources changed)");
        build()?;
    }
    Ok(())
}

/// Whether the package is missing or older than one of its sources.
fn package_is_stale(root: &Path) -> bool {
    let module = root.join(PKG_DIR).join(format!("{STEM}_bg.wasm"));
    let Some(built) = modified(&module) else {
        return true;
    };
    let mappings = root.join(PKG_DIR).join(format!("{MAPPINGS_STEM}_bg.wasm"));
    if !root.join(PKG_DIR).join("index.js").exists() || !mappings.exists() {
        return true;
    }
    PACKAGE_SOURCES
        .iter()
        .filter_map(|dir| newest(&root.join(dir)))
        .any(|changed| changed > built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest modification time under a folder.
fn newest(dir: &Path) -> Option<SystemTime> {
    let mut newest = modified(dir);
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            self::newest(&path)
        } else {
            modified(&path)
        };
        newest = newest.max(time);
    }
    newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_test_errors_are_read() {
        let source = "// each `// error TSnnnn` marks a line\nwrong(); // error TS2339\n\n\
                      worse(); // error TS2322: a literal\n";
        assert_eq!(
            announced_errors(source),
            vec![(2, "TS2339".to_owned()), (4, "TS2322".to_owned())]
        );
        let printed = "tests/types/x.bad.ts(4,7): error TS2322: Type 'a' is not assignable.\n\
                       tests/types/x.bad.ts(2,1): error TS2339: Property 'b' does not exist.\n  \
                       continued explanation\n";
        assert_eq!(
            reported_errors(printed),
            vec![(2, "TS2339".to_owned()), (4, "TS2322".to_owned())]
        );
    }

    #[test]
    fn locked_versions_are_found() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"0.2.1\"\n\n\
                    [[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(locked_version(lock, "js-sys"), None);
    }
}
