//! The layering check of `marketplace-server` (part of the `deps` step): the service is layered
//! `http` → services → `store` → database, and its sources must say so.
//!
//! Rules, on `crates/marketplace-server/src`:
//! - `http`: no file outside `http/` names `crate::http` or `super::http` (only the HTTP layer
//!   knows HTTP; the binary, a separate crate, may call `marketplace_server::http`);
//! - `store`: `sqlx::query*` calls and SQL string literals appear only in the storage layer,
//!   `store/` (and `store.rs`, its module file when it has one);
//! - `cycles`: no import circle between the crate's top-level modules, the graph being built
//!   from `crate::<module>` mentions (`use crate::{a, b::c}` included).
//!
//! The sources are read, not compiled: a small lexer drops comments and sets string literals
//! aside, so a path in a comment or a message is not a dependency, and SQL is looked for only in
//! string literals.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cmd::Result;
use crate::source;

/// The checked sources, relative to the workspace root.
const SERVER_SRC: &str = "crates/marketplace-server/src";

/// A broken rule, at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Violation {
    /// The file (relative to the checked folder) and 1-based line.
    file: String,
    line: usize,
    /// The rule's name: `http`, `store` or `cycles`.
    rule: &'static str,
    /// What is wrong.
    detail: String,
}

/// Runs the three rules on the service's sources; fails with every violation, one a line.
pub(crate) fn check(root: &Path) -> Result {
    let violations = check_dir(&root.join(SERVER_SRC))?;
    if violations.is_empty() {
        println!("{SERVER_SRC}: the layering rules (http, store, cycles) hold");
        return Ok(());
    }
    let lines: Vec<String> = violations
        .iter()
        .map(|v| {
            format!(
                "{SERVER_SRC}/{}:{}: [{}] {}",
                v.file, v.line, v.rule, v.detail
            )
        })
        .collect();
    Err(format!(
        "{} layering violation(s) in {SERVER_SRC}:\n  {}",
        violations.len(),
        lines.join("\n  ")
    ))
}

/// Every violation under `src`, sorted by file and line.
fn check_dir(src: &Path) -> Result<Vec<Violation>> {
    let mut files = Vec::new();
    for path in source::files(src, "rs")? {
        files.push((source::relative(src, &path), lex(&source::read(&path)?)));
    }
    let mut violations = Vec::new();
    for (file, lexed) in &files {
        violations.extend(http_rule(file, lexed));
        violations.extend(store_rule(file, lexed));
    }
    violations.extend(cycle_rule(&files));
    violations.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    Ok(violations)
}

/// The top-level module a file belongs to (`auth.rs` → `auth`, `http/mod.rs` → `http`), or
/// `None` for the crate roots (`lib.rs`, `main.rs`, `bin/`).
fn top_module(file: &str) -> Option<&str> {
    let first = file.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main" | "bin")).then_some(name)
}

/// Rule `http`: outside `http/`, no `crate::http` or `super::http`.
fn http_rule(file: &str, lexed: &Lexed) -> Vec<Violation> {
    if top_module(file) == Some("http") {
        return Vec::new();
    }
    let mut found = Vec::new();
    for prefix in ["crate::", "super::"] {
        for (offset, module) in mentions(&lexed.code, prefix) {
            if module == "http" {
                found.push(Violation {
                    file: file.to_owned(),
                    line: line_of(&lexed.code, offset),
                    rule: "http",
                    detail: format!(
                        "names `{prefix}http` outside `http/`: only the HTTP layer uses it"
                    ),
                });
            }
        }
    }
    found
}

/// Whether a file is in the storage layer.
fn in_store(file: &str) -> bool {
    file.starts_with("store/") || file == "store.rs"
}

/// Rule `store`: outside `store/`, no `sqlx::query*` and no SQL string literal.
fn store_rule(file: &str, lexed: &Lexed) -> Vec<Violation> {
    if in_store(file) {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut start = 0;
    while let Some(at) = lexed.code[start..].find("sqlx::query") {
        let offset = start + at;
        let name: String = lexed.code[offset + "sqlx::".len()..]
            .chars()
            .take_while(|c| is_ident(*c))
            .collect();
        found.push(Violation {
            file: file.to_owned(),
            line: line_of(&lexed.code, offset),
            rule: "store",
            detail: format!("uses `sqlx::{name}` outside `store/`"),
        });
        start = offset + 1;
    }
    for (offset, module) in mentions(&lexed.code, "sqlx::") {
        if module.starts_with("query") && !lexed.code[offset..].starts_with("sqlx::query") {
            found.push(Violation {
                file: file.to_owned(),
                line: line_of(&lexed.code, offset),
                rule: "store",
                detail: format!("imports `sqlx::{module}` outside `store/`"),
            });
        }
    }
    for (line, text) in &lexed.strings {
        if let Some(keyword) = sql_keyword(text) {
            found.push(Violation {
                file: file.to_owned(),
                line: *line,
                rule: "store",
                detail: format!("SQL string literal ({keyword} ...) outside `store/`"),
            });
        }
    }
    found
}

/// Words that make a string literal SQL, written in capitals as this codebase writes SQL (a
/// message in prose has them in lower case).
const SQL_KEYWORDS: [&str; 14] = [
    "SELECT",
    "INSERT INTO",
    "UPDATE",
    "DELETE FROM",
    "WHERE",
    "ORDER BY",
    "ON CONFLICT",
    "RETURNING",
    "CREATE TABLE",
    "CREATE INDEX",
    "ALTER TABLE",
    "DROP TABLE",
    "LIKE",
    "COUNT(",
];

/// The first SQL keyword of a string literal, as a whole word, if any.
fn sql_keyword(text: &str) -> Option<&'static str> {
    SQL_KEYWORDS.into_iter().find(|keyword| {
        text.match_indices(keyword).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + keyword.len()..].chars().next();
            !before.is_some_and(is_ident)
                && (keyword.ends_with('(') || !after.is_some_and(is_ident))
        })
    })
}

/// Rule `cycles`: the import graph of the top-level modules has no circle.
fn cycle_rule(files: &[(String, Lexed)]) -> Vec<Violation> {
    let modules: BTreeSet<&str> = files.iter().filter_map(|(f, _)| top_module(f)).collect();
    // Edge (from, to) → where it is first seen.
    let mut edges: BTreeMap<(&str, &str), (String, usize)> = BTreeMap::new();
    for (file, lexed) in files {
        let Some(from) = top_module(file) else {
            continue;
        };
        for (offset, to) in mentions(&lexed.code, "crate::") {
            if let Some(&to) = modules.get(to.as_str())
                && to != from
            {
                edges
                    .entry((from, to))
                    .or_insert_with(|| (file.clone(), line_of(&lexed.code, offset)));
            }
        }
    }
    let graph: BTreeMap<&str, Vec<&str>> = modules
        .iter()
        .map(|m| {
            let next = edges
                .keys()
                .filter(|(from, _)| from == m)
                .map(|(_, to)| *to)
                .collect();
            (*m, next)
        })
        .collect();
    cycles(&graph)
        .into_iter()
        .map(|(cycle, component)| {
            let steps: Vec<String> = cycle
                .windows(2)
                .map(|pair| {
                    let (file, line) = &edges[&(pair[0], pair[1])];
                    format!("{file}:{line} names `crate::{}`", pair[1])
                })
                .collect();
            let (file, line) = edges[&(cycle[0], cycle[1])].clone();
            Violation {
                file,
                line,
                rule: "cycles",
                detail: format!(
                    "module cycle {} ({}); modules caught in circles with them: {}",
                    cycle.join(" → "),
                    steps.join("; "),
                    component.into_iter().collect::<Vec<_>>().join(", ")
                ),
            }
        })
        .collect()
}

/// One circle per strongly connected component of more than one module, as a path that starts
/// and ends at the component's first module (in name order), with the component.
fn cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<(Vec<&'a str>, BTreeSet<&'a str>)> {
    let mut found = Vec::new();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for &start in graph.keys() {
        if seen.contains(start) {
            continue;
        }
        let component: BTreeSet<&str> = reachable(graph, start)
            .into_iter()
            .filter(|m| reachable(graph, m).contains(start))
            .collect();
        seen.extend(&component);
        if component.len() > 1 {
            found.push((shortest_cycle(graph, start, &component), component));
        }
    }
    found
}

/// The modules reachable from `start` (itself included).
fn reachable<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>, start: &'a str) -> BTreeSet<&'a str> {
    let mut reached = BTreeSet::from([start]);
    let mut stack = vec![start];
    while let Some(module) = stack.pop() {
        for &next in graph.get(module).into_iter().flatten() {
            if reached.insert(next) {
                stack.push(next);
            }
        }
    }
    reached
}

/// A shortest path from `start` back to itself inside `component` (breadth first).
fn shortest_cycle<'a>(
    graph: &BTreeMap<&'a str, Vec<&'a str>>,
    start: &'a str,
    component: &BTreeSet<&'a str>,
) -> Vec<&'a str> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(module) = queue.pop_front() {
        for &next in graph.get(module).into_iter().flatten() {
            if !component.contains(next) {
                continue;
            }
            if next == start {
                // Up from `module` through the parents to `start`, then reversed and closed.
                let mut path = vec![module];
                while let Some(&up) = parent.get(path[path.len() - 1]) {
                    path.push(up);
                }
                path.reverse();
                path.push(start);
                return path;
            }
            if !parent.contains_key(next) {
                parent.insert(next, module);
                queue.push_back(next);
            }
        }
    }
    vec![start, start]
}

/// A source file as the rules read it.
#[derive(Debug, Default)]
struct Lexed {
    /// The code: comments removed, string and char literals emptied, lines kept.
    code: String,
    /// The string literals, each with the line it starts on.
    strings: Vec<(usize, String)>,
}

impl Lexed {
    /// Records a string literal starting on `line`, leaving `""` in the code with the literal's
    /// line breaks (so later lines keep their numbers); returns the line after it.
    fn literal(&mut self, line: usize, literal: String) -> usize {
        let breaks = literal.matches('\n').count();
        self.strings.push((line, literal));
        self.code.push_str("\"\"");
        self.code.push_str(&"\n".repeat(breaks));
        line + breaks
    }
}

/// Whether a character may be part of an identifier (`$` too, so `$crate::` is not `crate::`).
fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Splits Rust source into [`Lexed`]: enough of Rust's lexical grammar for paths and strings
/// (line and nested block comments, plain, byte and raw strings, char literals and lifetimes).
fn lex(text: &str) -> Lexed {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Lexed::default();
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let starts_word = i == 0 || !is_ident(chars[i - 1]);
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        out.code.push('\n');
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if let Some((hashes, body)) =
            starts_word.then(|| raw_string_start(&chars, i)).flatten()
        {
            // r"...", r#"..."#, br"...": ends at a quote followed by as many hashes.
            let mut j = body;
            let mut literal = String::new();
            while j < chars.len() {
                if chars[j] == '"' && (0..hashes).all(|k| chars.get(j + 1 + k) == Some(&'#')) {
                    break;
                }
                literal.push(chars[j]);
                j += 1;
            }
            line = out.literal(line, literal);
            i = j + 1 + hashes;
        } else if c == '"' {
            let mut j = i + 1;
            let mut literal = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' && j + 1 < chars.len() {
                    literal.push(chars[j]);
                    j += 1;
                }
                literal.push(chars[j]);
                j += 1;
            }
            line = out.literal(line, literal);
            i = j + 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                out.code.push_str("' '");
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.code.push_str("' '");
                i += 3;
            } else {
                out.code.push(c);
                i += 1;
            }
        } else {
            if c == '\n' {
                line += 1;
            }
            out.code.push(c);
            i += 1;
        }
    }
    out
}

/// At a raw string's start (`r"`, `r#"`, `br"`...), its number of hashes and where its body
/// begins.
fn raw_string_start(chars: &[char], i: usize) -> Option<(usize, usize)> {
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let mut hashes = 0;
    while chars.get(j) == Some(&'#') {
        hashes += 1;
        j += 1;
    }
    (chars.get(j) == Some(&'"')).then_some((hashes, j + 1))
}

/// The first segments named after `prefix` in `code` (`crate::a::b` → `a`; `crate::{a, b::c}`
/// → `a` and `b`), each with the offset of the mention.
fn mentions(code: &str, prefix: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        if code[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = code[at + prefix.len()..].trim_start();
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.extend(head(&item).map(|h| (at, h)));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
            found.extend(head(&item).map(|h| (at, h)));
        } else {
            found.extend(head(rest).map(|h| (at, h)));
        }
    }
    found
}

/// The leading identifier of a path, unless it is `self` or `*`.
fn head(path: &str) -> Option<String> {
    let name: String = path
        .trim_start()
        .chars()
        .take_while(|c| is_ident(*c))
        .collect();
    (!name.is_empty() && name != "self").then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A temporary folder of source files, removed on drop.
    struct Fixture(std::path::PathBuf);

    impl Fixture {
        fn new(name: &str, files: &[(&str, &str)]) -> Fixture {
            let dir =
                std::env::temp_dir().join(format!("xtask-layering-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            for (path, text) in files {
                let path = dir.join(path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, text).unwrap();
            }
            Fixture(dir)
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn rendered(violations: &[Violation]) -> Vec<String> {
        violations
            .iter()
            .map(|v| format!("{}:{}: [{}] {}", v.file, v.line, v.rule, v.detail))
            .collect()
    }

    #[test]
    fn a_layered_tree_passes() {
        let good = Fixture::new(
            "good",
            &[
                (
                    "lib.rs",
                    "pub mod http;\npub mod services;\npub mod store;\npub use http::app;\n",
                ),
                (
                    "http/mod.rs",
                    "use crate::services::{self, activate};\nuse crate::http::cors;\nuse super::http::x;\n",
                ),
                (
                    "services.rs",
                    "//! Calls `crate::http` never (a comment).\nuse crate::store;\n\
                     fn f() { let m = \"select the crate::http layer\"; }\n",
                ),
                (
                    "store/mod.rs",
                    "pub async fn load() { sqlx::query(\"SELECT id FROM t WHERE id = $1\"); }\n",
                ),
                ("store/rows.rs", "use sqlx::{query_as, FromRow};\n"),
            ],
        );
        assert_eq!(rendered(&check_dir(&good.0).unwrap()), Vec::<String>::new());
    }

    #[test]
    fn each_rule_reports_the_place() {
        let bad = Fixture::new(
            "bad",
            &[
                (
                    "lib.rs",
                    "pub mod auth;\npub mod catalog;\npub mod http;\npub mod runner;\n",
                ),
                ("http/mod.rs", "use crate::catalog::Snapshot;\n"),
                (
                    "auth.rs",
                    "use crate::{catalog, http::cors};\n\nfn f() {\n    sqlx::query_scalar(r#\"\n        SELECT 1\"#);\n}\n",
                ),
                (
                    "catalog.rs",
                    "use crate::runner::run;\nconst Q: &str = \"DELETE FROM logs\";\n",
                ),
                (
                    "runner.rs",
                    "// crate::http in a comment is fine\nfn g(c: char) -> bool { c == '\"' }\n\
                     fn h() { crate::auth::check(); let _ = super::http::X; }\n",
                ),
                ("store/mod.rs", "use crate::runner;\n"),
            ],
        );
        assert_eq!(
            rendered(&check_dir(&bad.0).unwrap()),
            [
                "auth.rs:1: [http] names `crate::http` outside `http/`: only the HTTP layer uses it",
                "auth.rs:1: [cycles] module cycle auth → catalog → runner → auth \
                 (auth.rs:1 names `crate::catalog`; catalog.rs:1 names `crate::runner`; \
                 runner.rs:3 names `crate::auth`); modules caught in circles with them: auth, \
                 catalog, http, runner",
                "auth.rs:4: [store] uses `sqlx::query_scalar` outside `store/`",
                "auth.rs:4: [store] SQL string literal (SELECT ...) outside `store/`",
                "catalog.rs:2: [store] SQL string literal (DELETE FROM ...) outside `store/`",
                "runner.rs:3: [http] names `super::http` outside `http/`: only the HTTP layer uses it",
            ]
        );
    }

    #[test]
    fn the_lexer_keeps_lines_and_sets_strings_aside() {
        let lexed = lex(
            "let a = \"x\\\"y\"; // crate::http\n/* a /* nested */ b\n */ let b = b'c';\nlet r = br##\"R\"#\"##; 'l: loop {}\n",
        );
        assert_eq!(
            lexed.code,
            "let a = \"\"; \n\n let b = b' ';\nlet r = \"\"; 'l: loop {}\n"
        );
        assert_eq!(
            lexed.strings,
            [(1, "x\\\"y".to_owned()), (4, "R\"#".to_owned())]
        );
    }

    #[test]
    fn sql_is_told_from_prose() {
        assert_eq!(sql_keyword("SELECT id FROM t"), Some("SELECT"));
        assert_eq!(sql_keyword("{X} WHERE id = $1"), Some("WHERE"));
        assert_eq!(sql_keyword("SELECT COUNT(*) FROM t"), Some("SELECT"));
        assert_eq!(sql_keyword("lower(name) LIKE ?"), Some("LIKE"));
        assert_eq!(sql_keyword("select a version to update"), None);
        assert_eq!(sql_keyword("UPDATED_AT"), None);
        assert_eq!(sql_keyword("instance.updated"), None);
    }

    #[test]
    fn paths_and_groups_are_read() {
        let heads = |code: &str| -> Vec<String> {
            mentions(code, "crate::")
                .into_iter()
                .map(|(_, m)| m)
                .collect()
        };
        assert_eq!(heads("use crate::a::b;"), ["a"]);
        assert_eq!(
            heads("use crate::{self, a, b::{c, d}, e as f};"),
            ["a", "b", "e"]
        );
        assert_eq!(heads("$crate::x::y!(); my_crate::z"), Vec::<String>::new());
        assert_eq!(heads("crate::\n    a::b"), ["a"]);
    }
}
