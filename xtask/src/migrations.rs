//! The two migration folders of `marketplace-server` (`migrations/sqlite`, `migrations/postgres`)
//! stay in step (part of the `deps` step): the same migration files by name, and, once every
//! file has run, the same tables with the same column names. Types may differ (`BLOB`/`BYTEA`).
//!
//! The SQL is read by a small parser that knows `CREATE TABLE`, `ALTER TABLE ... ADD [COLUMN]`,
//! `ALTER TABLE ... DROP [COLUMN]`, `ALTER TABLE ... RENAME TO` and `DROP TABLE`; other
//! statements (indexes, data) are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cmd::Result;
use crate::source;

/// The migration folders, relative to the workspace root.
const MIGRATIONS: &str = "crates/marketplace-server/migrations";

/// Table name → column names.
type Schema = BTreeMap<String, BTreeSet<String>>;

/// Fails with every difference between the two folders.
pub(crate) fn check(root: &Path) -> Result {
    let dir = root.join(MIGRATIONS);
    let differences = compare(&dir.join("sqlite"), &dir.join("postgres"))?;
    if differences.is_empty() {
        println!("{MIGRATIONS}: sqlite and postgres agree on files, tables and columns");
        Ok(())
    } else {
        Err(format!(
            "{MIGRATIONS}: sqlite and postgres differ:\n  {}",
            differences.join("\n  ")
        ))
    }
}

/// The differences between the migration folders `sqlite` and `postgres`, one a line.
fn compare(sqlite: &Path, postgres: &Path) -> Result<Vec<String>> {
    let (sqlite_files, sqlite_schema) = load(sqlite)?;
    let (postgres_files, postgres_schema) = load(postgres)?;
    let mut differences = Vec::new();
    for (file, only_in) in only_one_side(&sqlite_files, &postgres_files) {
        differences.push(format!("migration file {file} only in {only_in}"));
    }
    let tables: BTreeSet<&String> = sqlite_schema.keys().chain(postgres_schema.keys()).collect();
    for table in tables {
        match (sqlite_schema.get(table), postgres_schema.get(table)) {
            (Some(a), Some(b)) => {
                for (column, only_in) in only_one_side(a, b) {
                    differences.push(format!("table {table}: column {column} only in {only_in}"));
                }
            }
            (Some(_), None) => differences.push(format!("table {table} only in sqlite")),
            (None, _) => differences.push(format!("table {table} only in postgres")),
        }
    }
    Ok(differences)
}

/// The items of `a` not in `b` (tagged `sqlite`) and of `b` not in `a` (tagged `postgres`).
fn only_one_side<'a>(
    a: &'a BTreeSet<String>,
    b: &'a BTreeSet<String>,
) -> Vec<(&'a String, &'static str)> {
    a.difference(b)
        .map(|x| (x, "sqlite"))
        .chain(b.difference(a).map(|x| (x, "postgres")))
        .collect()
}

/// The `.sql` file names of a folder and the schema they build, applied in name order.
fn load(dir: &Path) -> Result<(BTreeSet<String>, Schema)> {
    let mut names = BTreeSet::new();
    let mut schema = Schema::new();
    for path in source::files(dir, "sql")? {
        names.insert(source::relative(dir, &path));
        apply(&mut schema, &source::read(&path)?);
    }
    if names.is_empty() {
        return Err(format!("no migration in {}", dir.display()));
    }
    Ok((names, schema))
}

/// Applies the schema changes of a SQL script.
fn apply(schema: &mut Schema, sql: &str) {
    let without_comments: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for statement in without_comments.split(';') {
        let words: Vec<String> = statement
            .split_whitespace()
            .map(|w| w.to_ascii_lowercase())
            .collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        match words.as_slice() {
            ["create", "table", rest @ ..] => {
                let name = name(
                    rest.iter()
                        .copied()
                        .find(|w| !matches!(*w, "if" | "not" | "exists")),
                );
                schema.insert(name, columns(statement));
            }
            ["alter", "table", rest @ ..] => {
                let rest: Vec<&str> = rest
                    .iter()
                    .copied()
                    .filter(|w| !matches!(*w, "if" | "exists" | "only" | "column"))
                    .collect();
                if let [table, "rename", "to", renamed] = rest.as_slice() {
                    let columns = schema.remove(&name(Some(table))).unwrap_or_default();
                    schema.insert(name(Some(renamed)), columns);
                } else if let [table, action, column, ..] = rest.as_slice()
                    && *column != "constraint"
                {
                    let columns = schema.entry(name(Some(table))).or_default();
                    match *action {
                        "add" => {
                            columns.insert(name(Some(column)));
                        }
                        "drop" => {
                            columns.remove(&name(Some(column)));
                        }
                        _ => {}
                    }
                }
            }
            ["drop", "table", rest @ ..] => {
                let table = rest
                    .iter()
                    .copied()
                    .find(|w| !matches!(*w, "if" | "exists"));
                schema.remove(&name(table));
            }
            _ => {}
        }
    }
}

/// An identifier without quotes, or the part before a parenthesis (`t(` → `t`).
fn name(word: Option<&str>) -> String {
    word.unwrap_or("")
        .split('(')
        .next()
        .unwrap_or("")
        .trim_matches('"')
        .to_owned()
}

/// The column names of a `CREATE TABLE` statement: the first word of each top-level item
/// between its parentheses, table constraints left out.
fn columns(statement: &str) -> BTreeSet<String> {
    let Some(open) = statement.find('(') else {
        return BTreeSet::new();
    };
    let mut items = vec![String::new()];
    let mut depth = 0;
    for c in statement[open + 1..].chars() {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => break,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(String::new());
                continue;
            }
            _ => {}
        }
        items.last_mut().unwrap().push(c);
    }
    items
        .iter()
        .filter_map(|item| item.split_whitespace().next())
        .map(|word| word.to_ascii_lowercase())
        .filter(|word| {
            !matches!(
                word.as_str(),
                "primary" | "unique" | "foreign" | "check" | "constraint" | "exclude"
            )
        })
        .map(|word| name(Some(&word)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(sql: &str) -> Schema {
        let mut schema = Schema::new();
        apply(&mut schema, sql);
        schema
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn tables_and_columns_are_read() {
        let built = schema(
            "-- a comment; with a semicolon\n\
             CREATE TABLE t (\n  id TEXT PRIMARY KEY,\n  n NUMERIC(10, 2) NOT NULL DEFAULT 0,\n  \
             o TEXT REFERENCES x (id) ON DELETE CASCADE,\n  PRIMARY KEY (id, n),\n  UNIQUE (o)\n);\n\
             CREATE INDEX t_o ON t (o);\n\
             create table if not exists \"U\"(a BIGINT);\n\
             ALTER TABLE t ADD COLUMN extra BLOB;\nALTER TABLE t ADD later TEXT;\n\
             ALTER TABLE t DROP COLUMN o;\nCREATE TABLE gone (a TEXT);\nDROP TABLE IF EXISTS gone;\n\
             CREATE TABLE v_new (b TEXT);\nALTER TABLE v_new RENAME TO v;\n",
        );
        assert_eq!(
            built,
            Schema::from([
                ("t".to_owned(), set(&["id", "n", "extra", "later"])),
                ("u".to_owned(), set(&["a"])),
                ("v".to_owned(), set(&["b"])),
            ])
        );
    }

    #[test]
    fn differences_are_named() {
        let root = std::env::temp_dir().join(format!("xtask-migrations-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (path, sql) in [
            (
                "sqlite/0001_init.sql",
                "CREATE TABLE a (id TEXT, blob BLOB, extra TEXT);\nCREATE TABLE b (id TEXT);",
            ),
            (
                "postgres/0001_init.sql",
                "CREATE TABLE a (id TEXT, blob BYTEA);",
            ),
            (
                "postgres/0002_more.sql",
                "ALTER TABLE a ADD COLUMN later TEXT;\nCREATE TABLE c (id TEXT);",
            ),
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, sql).unwrap();
        }
        let differences = compare(&root.join("sqlite"), &root.join("postgres"));
        let _ = std::fs::remove_dir_all(&root);
        assert_eq!(
            differences.unwrap(),
            [
                "migration file 0002_more.sql only in postgres",
                "table a: column extra only in sqlite",
                "table a: column later only in postgres",
                "table b only in sqlite",
                "table c only in postgres",
            ]
        );
    }

    #[test]
    fn the_service_folders_agree() {
        check(&crate::cmd::workspace_root()).unwrap();
    }
}
