//! The dependency check: `marketplace-core` is the pure domain, so its normal dependency tree
//! (on every target) must hold no crate that does I/O, runs async code, speaks HTTP or SQL,
//! binds JavaScript or draws randomness from the system.

use crate::cmd::{self, Result};

/// The crate whose tree is checked.
const CRATE: &str = "marketplace-core";

/// A denied crate, or family of crates.
struct Denied {
    /// The crate name, with `-` and `_` treated alike.
    name: &'static str,
    /// Whether crates named `<name>-...` or `<name>_...` are denied too (`tokio-util`,
    /// `futures-core`, `wasm-bindgen-macro`, ...).
    family: bool,
    /// What the crate would bring into the core.
    reason: &'static str,
}

/// Shorthand for a [`Denied`] family.
const fn family(name: &'static str, reason: &'static str) -> Denied {
    Denied {
        name,
        family: true,
        reason,
    }
}

/// Shorthand for a single [`Denied`] crate.
const fn exact(name: &'static str, reason: &'static str) -> Denied {
    Denied {
        name,
        family: false,
        reason,
    }
}

/// The deny list. Only crates that really mean I/O, async, HTTP, SQL, JS or system randomness
/// are listed. `libc` is deliberately absent: pure crates (`time` with `local-offset`, `memchr`
/// on some targets) may use it, and what matters is the crates above it, which are listed.
const DENIED: &[Denied] = &[
    // Async runtimes and futures.
    family("tokio", "async runtime"),
    family("async-std", "async runtime"),
    family("async-io", "async I/O"),
    family("async-executor", "async runtime"),
    family("async-trait", "async traits"),
    family("smol", "async runtime"),
    family("futures", "async code"),
    family("mio", "non-blocking I/O"),
    family("polling", "non-blocking I/O"),
    family("socket2", "sockets"),
    // HTTP, TLS, WebSockets.
    family("http", "HTTP"),
    exact("httparse", "HTTP"),
    family("hyper", "HTTP"),
    family("h2", "HTTP/2"),
    family("reqwest", "HTTP client"),
    family("ureq", "HTTP client"),
    family("surf", "HTTP client"),
    family("isahc", "HTTP client"),
    family("curl", "HTTP client"),
    family("axum", "HTTP server"),
    family("actix", "HTTP server"),
    family("tower", "HTTP services"),
    family("rustls", "TLS"),
    family("native-tls", "TLS"),
    family("openssl", "TLS"),
    family("tungstenite", "WebSockets"),
    // SQL.
    family("sqlx", "SQL"),
    family("rusqlite", "SQLite"),
    family("libsqlite3-sys", "SQLite"),
    family("postgres", "PostgreSQL"),
    family("diesel", "SQL"),
    family("sea-orm", "SQL"),
    // JavaScript bindings.
    family("wasm-bindgen", "JS bindings"),
    family("js-sys", "JS bindings"),
    family("web-sys", "JS bindings"),
    family("gloo", "JS bindings"),
    // System randomness.
    family("getrandom", "system randomness"),
    family("rand", "randomness"),
];

/// Runs `cargo tree` on `marketplace-core`, prints the tree and fails if a denied crate is in it.
pub(crate) fn check() -> Result {
    let tree = cmd::output(&mut cmd::cargo_command(&[
        "tree",
        "--package",
        CRATE,
        "--edges",
        "normal",
        "--prefix",
        "none",
        "--target",
        "all",
    ]))?;
    print!("{tree}");
    let names = crate_names(&tree);
    if names.first().copied() != Some(CRATE) {
        return Err(format!(
            "unexpected `cargo tree` output: the first line is not {CRATE}"
        ));
    }
    let violations = violations(&names);
    if violations.is_empty() {
        println!(
            "{} crates in {CRATE}'s normal dependency tree, none denied",
            names.len()
        );
        Ok(())
    } else {
        Err(format!(
            "{CRATE} must stay free of I/O, async, HTTP, SQL and JS, but depends on: {}",
            violations.join(", ")
        ))
    }
}

/// The distinct crate names of a `cargo tree --prefix none` listing, in order of appearance.
///
/// Each line reads `name vX.Y.Z [(path)] [(proc-macro)] [(*)]`.
fn crate_names(tree: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for name in tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The denied crates among `names`, each with the reason it is denied.
fn violations(names: &[&str]) -> Vec<String> {
    names
        .iter()
        .filter_map(|name| denial(name).map(|reason| format!("{name} ({reason})")))
        .collect()
}

/// Why the crate `name` is denied, if it is.
fn denial(name: &str) -> Option<&'static str> {
    let name = normalize(name);
    DENIED
        .iter()
        .find(|denied| {
            let denied_name = normalize(denied.name);
            name == denied_name
                || (denied.family
                    && name
                        .strip_prefix(&denied_name)
                        .is_some_and(|rest| rest.starts_with('-')))
        })
        .map(|denied| denied.reason)
}

/// Lower-cases a crate name and treats `_` as `-`, as crates.io does.
fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legitimate_core_dependencies_pass() {
        let legit = [
            "marketplace-core",
            "serde",
            "serde_core",
            "serde_derive",
            "serde_json",
            "proc-macro2",
            "quote",
            "syn",
            "unicode-ident",
            "time",
            "time-core",
            "time-macros",
            "deranged",
            "num-conv",
            "powerfmt",
            "regex-lite",
            "semver",
            "thiserror",
            "thiserror-impl",
            "itoa",
            "memchr",
            "ryu",
            "zmij",
            "libc",
            "random-names",
            "httpdate-like",
            "tokyo",
        ];
        for name in legit {
            assert_eq!(denial(name), None, "{name} should pass");
        }
    }

    #[test]
    fn io_async_http_sql_and_js_crates_are_denied() {
        let denied = [
            "tokio",
            "tokio-util",
            "tokio_postgres",
            "async-std",
            "futures",
            "futures-core",
            "futures_util",
            "mio",
            "hyper",
            "hyper-util",
            "reqwest",
            "http",
            "http-body",
            "axum",
            "axum-core",
            "sqlx",
            "sqlx-core",
            "rusqlite",
            "wasm-bindgen",
            "wasm-bindgen-futures",
            "js-sys",
            "web-sys",
            "gloo-net",
            "getrandom",
            "rand",
            "rand_core",
            "Tokio",
        ];
        for name in denied {
            assert!(denial(name).is_some(), "{name} should be denied");
        }
    }

    #[test]
    fn tree_lines_are_parsed_into_distinct_names() {
        let tree = "marketplace-core v0.1.0 (/work/crates/marketplace-core)\n\
                    serde v1.0.229\n\
                    serde_derive v1.0.229 (proc-macro)\n\
                    serde v1.0.229 (*)\n\
                    \n\
                    tokio v1.0.0\n";
        let names = crate_names(tree);
        assert_eq!(
            names,
            ["marketplace-core", "serde", "serde_derive", "tokio"]
        );
        assert_eq!(violations(&names), ["tokio (async runtime)"]);
    }
}
