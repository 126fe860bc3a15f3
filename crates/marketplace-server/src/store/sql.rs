//! Running one statement with its arguments: the few calls every storage function makes.
//!
//! Each function takes where to run (`tx.conn().await?`, a read connection, or a pool such as
//! `&store.db.read`), the SQL with `$N` placeholders, and the arguments in order.
//!
//! The SQL is a literal, or sqlx's `AssertSqlSafe` around a statement assembled at run time.
//! Every assembled statement is made of this module's callers' constant fragments (column
//! lists, table names, `$N` placeholders); values always travel as bound [`Arg`]s.

use super::StoreResult;
use sqlx::any::{Any, AnyArguments, AnyRow};
use sqlx::{Arguments, Executor, FromRow, SqlSafeStr, SqlStr};
use tracing::Instrument;

/// An argument of a statement.
#[derive(Debug, Clone)]
pub(super) enum Arg {
    /// Text.
    Text(String),
    /// Text or `NULL`.
    OptText(Option<String>),
    /// Integer.
    Int(i64),
    /// Integer or `NULL`.
    OptInt(Option<i64>),
    /// Bytes (sealed blobs).
    Blob(Vec<u8>),
    /// Bytes or `NULL`.
    OptBlob(Option<Vec<u8>>),
}

impl From<&str> for Arg {
    fn from(value: &str) -> Self {
        Arg::Text(value.to_owned())
    }
}

impl From<&String> for Arg {
    fn from(value: &String) -> Self {
        Arg::Text(value.clone())
    }
}

impl From<String> for Arg {
    fn from(value: String) -> Self {
        Arg::Text(value)
    }
}

impl From<Option<&str>> for Arg {
    fn from(value: Option<&str>) -> Self {
        Arg::OptText(value.map(str::to_owned))
    }
}

impl From<Option<String>> for Arg {
    fn from(value: Option<String>) -> Self {
        Arg::OptText(value)
    }
}

impl From<i64> for Arg {
    fn from(value: i64) -> Self {
        Arg::Int(value)
    }
}

impl From<Option<Vec<u8>>> for Arg {
    fn from(value: Option<Vec<u8>>) -> Self {
        Arg::OptBlob(value)
    }
}

impl From<Vec<u8>> for Arg {
    fn from(value: Vec<u8>) -> Self {
        Arg::Blob(value)
    }
}

/// The arguments, bound in order.
fn arguments(args: impl IntoIterator<Item = Arg>) -> AnyArguments {
    let mut bound = AnyArguments::default();
    for arg in args {
        let added = match arg {
            Arg::Text(s) => bound.add(s),
            Arg::OptText(s) => bound.add(s),
            Arg::Int(i) => bound.add(i),
            Arg::OptInt(i) => bound.add(i),
            Arg::Blob(b) => bound.add(b),
            Arg::OptBlob(b) => bound.add(b),
        };
        added.expect("text, integers and bytes always encode");
    }
    bound
}

/// The statement and its `sql` span (debug level: made only when a subscriber wants it, as the
/// OpenTelemetry exporter does), named by the statement's class.
fn traced(sql: impl SqlSafeStr) -> (SqlStr, tracing::Span) {
    let sql = sql.into_sql_str();
    let span = tracing::debug_span!(
        "sql",
        db.operation.name = operation(sql.as_str()),
        db.collection.name = collection(sql.as_str()),
    );
    (sql, span)
}

/// The statement's operation: its first keyword (`SELECT`, `INSERT`, `UPDATE`, `DELETE`,
/// `WITH`...).
fn operation(sql: &str) -> &str {
    sql.split_whitespace().next().unwrap_or("")
}

/// The table a statement is about: the one after `INTO` (insert), `UPDATE`, or the first `FROM`
/// (select, delete); empty when none is found.
fn collection(sql: &str) -> &str {
    let mut words = sql.split_whitespace();
    let keyword = match operation(sql).to_ascii_uppercase().as_str() {
        "INSERT" => "INTO",
        "UPDATE" => "UPDATE",
        _ => "FROM",
    };
    words
        .by_ref()
        .find(|w| w.eq_ignore_ascii_case(keyword))
        .and_then(|_| words.next())
        .map(|table| table.trim_end_matches([',', ';', ')']))
        .unwrap_or("")
}

/// Runs a statement; how many rows it changed.
pub(super) async fn execute<'c>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<u64> {
    let (sql, span) = traced(sql);
    let done = sqlx::query_with(sql, arguments(args))
        .execute(conn)
        .instrument(span)
        .await?;
    Ok(done.rows_affected())
}

/// The first row of a query, if any.
pub(super) async fn fetch_optional<'c, R>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<Option<R>>
where
    R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let (sql, span) = traced(sql);
    Ok(sqlx::query_as_with(sql, arguments(args))
        .fetch_optional(conn)
        .instrument(span)
        .await?)
}

/// Every row of a query.
pub(super) async fn fetch_all<'c, R>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<Vec<R>>
where
    R: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let (sql, span) = traced(sql);
    Ok(sqlx::query_as_with(sql, arguments(args))
        .fetch_all(conn)
        .instrument(span)
        .await?)
}

/// The single value of a query that returns one row (`COUNT(*)`, `MAX(..)`).
pub(super) async fn scalar<'c, T>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<T>
where
    (T,): for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let (sql, span) = traced(sql);
    let (value,) = sqlx::query_as_with(sql, arguments(args))
        .fetch_one(conn)
        .instrument(span)
        .await?;
    Ok(value)
}

/// The first column of the first row of a query, if any.
pub(super) async fn scalar_optional<'c, T>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<Option<T>>
where
    (T,): for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let row: Option<(T,)> = fetch_optional(conn, sql, args).await?;
    Ok(row.map(|(value,)| value))
}

/// The first column of every row of a query.
pub(super) async fn scalar_all<'c, T>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<Vec<T>>
where
    (T,): for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let rows: Vec<(T,)> = fetch_all(conn, sql, args).await?;
    Ok(rows.into_iter().map(|(value,)| value).collect())
}

/// Every row of a query, as rows read by column index (statements built at run time).
pub(super) async fn rows<'c>(
    conn: impl Executor<'c, Database = Any>,
    sql: impl SqlSafeStr,
    args: impl IntoIterator<Item = Arg>,
) -> StoreResult<Vec<AnyRow>> {
    let (sql, span) = traced(sql);
    Ok(sqlx::query_with(sql, arguments(args))
        .fetch_all(conn)
        .instrument(span)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::{collection, operation};

    #[test]
    fn a_statement_s_class_is_its_operation_and_table() {
        let cases = [
            (
                "SELECT id, name FROM instances WHERE id = $1",
                "SELECT",
                "instances",
            ),
            ("INSERT INTO events (id) VALUES ($1)", "INSERT", "events"),
            (
                "UPDATE customers SET cache_version = 1",
                "UPDATE",
                "customers",
            ),
            ("DELETE FROM logs WHERE id = $1", "DELETE", "logs"),
            ("select count(*) from deliveries;", "select", "deliveries;"),
            ("SELECT 1", "SELECT", ""),
        ];
        for (sql, op, table) in cases {
            assert_eq!(operation(sql), op, "{sql}");
            assert_eq!(collection(sql), table.trim_end_matches(';'), "{sql}");
        }
    }
}
