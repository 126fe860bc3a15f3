//! The project's own build, test and benchmark commands, run as `cargo xtask <command>`.
//!
//! ```text
//! cargo xtask demo                      # the service, its demo catalog and the three example hosts
//! cargo xtask test                      # every check CI runs, in order, stopping at the first failure
//! cargo xtask test --only deps,wasm     # only the named steps (repeatable, comma-separated)
//! cargo xtask test --skip wasm          # every step but the named ones
//! cargo xtask wasm                     # the npm package of marketplace-wasm, into crates/marketplace-wasm/pkg
//! cargo xtask bench [ARGS...]           # `cargo bench -p marketplace-core [ARGS...]`
//! cargo xtask bench-server              # load benchmark of marketplace-server, printed as a report
//! ```
//!
//! The crate has no dependencies: every step is an external command run with
//! [`std::process::Command`]. One module per concern:
//!
//! - [`cmd`]: running commands, locating the workspace and the `cargo` to use;
//! - [`steps`]: the list of steps of `cargo xtask test` and the runner that times them;
//! - [`source`]: listing and reading the workspace's own files, for the checks that read code;
//! - [`deps`]: the dependency check of `marketplace-core` (no I/O, async, HTTP, SQL or JS);
//! - [`layering`]: the layers of `marketplace-server` (HTTP only in `http/`, SQL only in `store/`,
//!   no module cycle); [`migrations`]: its SQLite and PostgreSQL migrations in step;
//! - [`wasm`]: the `wasm32-unknown-unknown` build, with the rustup or the Debian toolchain.
//! - [`openapi`]: the lint of the service's OpenAPI document (Redocly CLI) and the npm package's
//!   TypeScript declarations generated from it (openapi-typescript);
//! - [`npm`]: Node, and the npm tools pinned under `xtask/` and installed into `target/`;
//! - [`wasm_pkg`]: the npm package of `marketplace-wasm` (wasm-bindgen, wasm-opt) and its Node tests.
//! - [`browser`]: the browser tests (Chromium, playwright-core) and the service binary they run;
//! - [`demo`]: `cargo xtask demo`, the README's run command.
//! - [`react_host`]: the React host example's packages and bundle (esbuild).
//! - [`bench_server`]: the load benchmark of `marketplace-server` (wrk, nginx as a yardstick).

mod apt;
mod bench_server;
mod browser;
mod cmd;
mod demo;
mod deps;
mod layering;
mod migrations;
mod npm;
mod openapi;
mod postgres;
mod react_host;
mod source;
mod steps;
mod supply_chain;
mod wasm;
mod wasm_pkg;
mod webhook_tools;

use std::process::ExitCode;

use steps::Step;

/// Usage text printed by `cargo xtask help` and on a bad command line.
const USAGE: &str = "\
usage: cargo xtask <command> [options]

commands:
  demo  Run the service with its demo marketplace (SQLite, http://127.0.0.1:8080), the demo host
        app serving the iframe and native JavaScript examples (http://127.0.0.1:8081) and the
        Rust host example (http://127.0.0.1:8082), until Ctrl-C. Builds the npm package first
        when its sources changed.
  test [--only STEPS] [--skip STEPS]
        Run the CI checks in order, stopping at the first failure.
        STEPS is a comma-separated list of step names (options may repeat):
          fmt     cargo fmt --all --check
          clippy  cargo clippy --workspace --all-targets -- -D warnings
          test    cargo test --workspace -- --include-ignored (unit, integration and doc tests;
                  the PostgreSQL scenarios, ignored under a plain cargo test, run on a
                  throwaway server)
          openapi the OpenAPI document (marketplace-server openapi) linted by Redocly CLI
                  (@redocly/cli, pinned by xtask/openapi-tools) with redocly.yaml, and the npm
                  package's declarations of the API (js/api.d.ts) generated from it again
                  (openapi-typescript): they must be what the package holds
          deps    marketplace-core's normal dependency tree holds no I/O, async, HTTP, SQL or JS crate;
                  in marketplace-server/src, only http/ names crate::http, only store/ holds
                  SQL, no import cycle between top-level modules; its migrations/sqlite and
                  migrations/postgres have the same files, tables and columns; cargo deny
                  check (advisories from supply-chain/advisory-db, licences, bans, sources),
                  installing cargo-deny when missing
          wasm    marketplace-core and marketplace-embedded build for wasm32-unknown-unknown
                  (profile wasm-release; rustup's toolchain if it has the target, else Debian's)
          wasm-pkg  cargo xtask wasm, then the package's tests under Node, the client's
                  against the real service (node --test crates/marketplace-wasm/tests/*.test.mjs)
          browser the iframe and native JS marketplaces in Debian's Chromium (playwright-core),
                  host pages on their own origin; screenshots in target/screenshots
  wasm  Build the npm package of marketplace-wasm into crates/marketplace-wasm/pkg: wasm32 build
        (profile wasm-release), wasm-bindgen (one ES module for browsers and Node), wasm-opt -Oz,
        the package's JavaScript (client, mount, form); prints the module's raw and gzipped sizes.
        Installs wasm-bindgen-cli (cargo install) and binaryen (npm) when missing.
  bench [ARGS...]
        cargo bench -p marketplace-core [ARGS...] (not part of `test`)
  bench-server
        Load benchmark of marketplace-server (release build, SQLite), printed as a report with
        its targets (not part of `test`): wrk on GET /api/v1/embedded/marketplace, the same
        body from nginx as a yardstick, activations per second (each acknowledged one checked
        through the admin API), and peak memory with 10,000 customers and 100,000 instances.
        Installs wrk and nginx (Debian) when missing. Exits 0 even if a target is missed.
  api-types
        Write crates/marketplace-wasm/js/api.d.ts, the npm package's TypeScript declarations of the
        API, from the service's OpenAPI document (openapi-typescript); the `openapi` step of `test`
        fails when they disagree.
  help  Print this text.
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::FAILURE;
    };
    match command.as_str() {
        "test" => match parse_test_args(rest) {
            Ok(selected) => steps::run_all(&selected),
            Err(message) => {
                eprintln!("error: {message}\n\n{USAGE}");
                ExitCode::FAILURE
            }
        },
        "wasm" if rest.is_empty() => steps::run_jobs(vec![steps::wasm_pkg()]),
        "wasm" => {
            eprintln!("error: `wasm` takes no argument\n\n{USAGE}");
            ExitCode::FAILURE
        }
        "demo" if rest.is_empty() => match demo::run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        "demo" => {
            eprintln!("error: `demo` takes no argument\n\n{USAGE}");
            ExitCode::FAILURE
        }
        "bench" => steps::run_jobs(vec![steps::bench(rest)]),
        "bench-server" if rest.is_empty() => steps::run_jobs(vec![steps::bench_server()]),
        "api-types" if rest.is_empty() => match openapi::write_api_types() {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        },
        "bench-server" => {
            eprintln!("error: `bench-server` takes no argument\n\n{USAGE}");
            ExitCode::FAILURE
        }
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("error: unknown command `{other}`\n\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

/// Parses the options of `cargo xtask test` into the steps to run, in their canonical order.
fn parse_test_args(args: &[String]) -> Result<Vec<Step>, String> {
    let mut only: Vec<Step> = Vec::new();
    let mut skip: Vec<Step> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (list, value) = match arg.as_str() {
            "--only" => (&mut only, args.next()),
            "--skip" => (&mut skip, args.next()),
            other => {
                if let Some(value) = other.strip_prefix("--only=") {
                    only.extend(parse_step_list(value)?);
                    continue;
                }
                if let Some(value) = other.strip_prefix("--skip=") {
                    skip.extend(parse_step_list(value)?);
                    continue;
                }
                return Err(format!("unknown option `{other}`"));
            }
        };
        let value = value.ok_or_else(|| format!("`{arg}` needs a list of steps"))?;
        list.extend(parse_step_list(value)?);
    }
    Ok(Step::ALL
        .iter()
        .copied()
        .filter(|step| only.is_empty() || only.contains(step))
        .filter(|step| !skip.contains(step))
        .collect())
}

/// Parses a comma-separated list of step names.
fn parse_step_list(list: &str) -> Result<Vec<Step>, String> {
    list.split(',')
        .filter(|name| !name.trim().is_empty())
        .map(|name| {
            Step::from_name(name.trim()).ok_or_else(|| {
                let known: Vec<&str> = Step::ALL.iter().map(|step| step.name()).collect();
                format!("unknown step `{name}` (known: {})", known.join(", "))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_owned()).collect()
    }

    #[test]
    fn no_option_selects_every_step_in_order() {
        assert_eq!(parse_test_args(&[]).unwrap(), Step::ALL.to_vec());
    }

    #[test]
    fn only_keeps_the_canonical_order() {
        let selected = parse_test_args(&args(&["--only", "wasm,deps", "--only=fmt"])).unwrap();
        assert_eq!(selected, vec![Step::Fmt, Step::Deps, Step::Wasm]);
    }

    #[test]
    fn skip_removes_steps() {
        let selected = parse_test_args(&args(&["--skip", "wasm", "--skip=clippy"])).unwrap();
        assert_eq!(
            selected,
            vec![
                Step::Fmt,
                Step::Test,
                Step::OpenApi,
                Step::Deps,
                Step::WasmPkg,
                Step::Browser
            ]
        );
    }

    #[test]
    fn bad_arguments_are_rejected() {
        assert!(parse_test_args(&args(&["--only", "lint"])).is_err());
        assert!(parse_test_args(&args(&["--only"])).is_err());
        assert!(parse_test_args(&args(&["--fast"])).is_err());
    }
}
