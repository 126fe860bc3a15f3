//! A transaction on the write pool that can hold back inserts, so that the rows of many writes
//! sharing it ([`super::group_commit`]) go to the database in a few multi-row statements.
//!
//! On SQLite each statement is a round trip to the connection's thread, and the single writer
//! runs them one after another: an activation's five inserts, sixty-four activations to a batch,
//! were 320 round trips. Rows put with [`Tx::defer`] wait in the transaction, grouped by
//! statement; they are inserted before any other statement runs on it ([`Tx::conn`] is the only
//! way to the connection) and before the commit. Every statement therefore sees every row
//! written before it, as if each insert had run at once. A deferred row that the database
//! refuses fails the next statement or the commit instead of its own call: a caller that must
//! tell a refused row from others (a unique key it answers 409 for) inserts it at once.

use super::StoreResult;
use super::sql::{self, Arg};
use sqlx::AssertSqlSafe;
use sqlx::{Any, AnyConnection, AnyPool};

/// An open transaction on the write pool; dropping it without [`Tx::commit`] rolls back (with
/// its held-back rows).
#[derive(Debug)]
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    deferred: Vec<Held>,
}

/// An insert whose rows may be held back and sent together: `head` is
/// `INSERT INTO table (columns) VALUES`, `row` one row with placeholders `$1..$params`, written
/// again for each row of a multi-row statement (see [`statement`]).
#[derive(Debug)]
pub(super) struct Insert {
    /// `INSERT INTO table (columns) VALUES`.
    pub(super) head: &'static str,
    /// One row: `($1, $2, ...)`, where a value may be a sub-select of its placeholders.
    pub(super) row: &'static str,
    /// The highest placeholder of `row`: how many arguments a row has.
    pub(super) params: usize,
}

/// The rows held back for one insert, in the order they were put.
#[derive(Debug)]
struct Held {
    insert: &'static Insert,
    rows: Vec<Vec<Arg>>,
}

/// The largest multi-row statement, in rows; a flush sends the rows of an insert in chunks of
/// powers of two up to it, so that few distinct statements (each prepared once and cached)
/// serve every batch size.
const MAX_ROWS: usize = 64;

impl Tx {
    /// Opens a transaction on `pool`.
    pub async fn begin(pool: &AnyPool) -> StoreResult<Tx> {
        Ok(Tx {
            inner: pool.begin().await?,
            deferred: Vec::new(),
        })
    }

    /// The transaction's connection, after the rows held back are inserted.
    pub async fn conn(&mut self) -> StoreResult<&mut AnyConnection> {
        self.flush().await?;
        Ok(&mut self.inner)
    }

    /// Inserts what is held back, then commits.
    pub async fn commit(mut self) -> StoreResult<()> {
        self.flush().await?;
        self.inner.commit().await?;
        Ok(())
    }

    /// Holds back a row of `insert` (its arguments in placeholder order) until the next
    /// statement or the commit.
    pub(super) fn defer(&mut self, insert: &'static Insert, args: Vec<Arg>) {
        debug_assert_eq!(args.len(), insert.params, "{}", insert.head);
        match self
            .deferred
            .iter_mut()
            .find(|held| std::ptr::eq(held.insert, insert))
        {
            Some(held) => held.rows.push(args),
            None => self.deferred.push(Held {
                insert,
                rows: vec![args],
            }),
        }
    }

    /// Inserts the rows held back: per insert, in the order each was first put (a write puts a
    /// parent row before its children), in multi-row statements.
    async fn flush(&mut self) -> StoreResult<()> {
        let numbered = self.inner.backend_name() != "SQLite";
        for held in std::mem::take(&mut self.deferred) {
            let mut rows = held.rows.into_iter();
            let mut left = rows.len();
            while left > 0 {
                let take = chunk(left);
                let (sql, args) = statement(held.insert, rows.by_ref().take(take), numbered);
                sql::execute(&mut *self.inner, AssertSqlSafe(sql), args).await?;
                left -= take;
            }
        }
        Ok(())
    }
}

/// How many of `left` rows the next statement takes: the largest power of two, at most
/// [`MAX_ROWS`].
fn chunk(left: usize) -> usize {
    let power = 1 << (usize::BITS - 1 - left.leading_zeros());
    power.min(MAX_ROWS)
}

/// `insert` with `rows` and their arguments, made of the insert's constant fragments and
/// placeholders only. `numbered`: placeholders `$N`, numbered on from each row to the next
/// (PostgreSQL). Otherwise anonymous `?`, each with its argument in the order they appear, a
/// placeholder used twice in a row given its argument twice (SQLite, whose lookup of a numbered
/// placeholder is linear in their number: quadratic for a statement of a thousand).
fn statement(
    insert: &Insert,
    rows: impl Iterator<Item = Vec<Arg>>,
    numbered: bool,
) -> (String, Vec<Arg>) {
    let mut sql = String::from(insert.head);
    let mut args = Vec::new();
    for (n, row) in rows.enumerate() {
        sql.push_str(if n == 0 { " " } else { ", " });
        let mut rest = insert.row;
        while let Some(at) = rest.find('$') {
            sql.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let param: usize = rest[..digits].parse().expect("a placeholder's number");
            rest = &rest[digits..];
            if numbered {
                sql.push_str(&format!("${}", param + n * insert.params));
            } else {
                sql.push('?');
                args.push(row[param - 1].clone());
            }
        }
        sql.push_str(rest);
        if numbered {
            args.extend(row);
        }
    }
    (sql, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    static PAIR: Insert = Insert {
        head: "INSERT INTO t (a, b) VALUES",
        row: "($1, (SELECT x FROM u WHERE id = $2))",
        params: 2,
    };

    #[test]
    fn rows_are_numbered_on_or_anonymous_with_their_arguments_in_order() {
        let rows = || (0..3_i64).map(|n| vec![Arg::Int(n), Arg::Text(format!("u{n}"))]);
        let (sql, args) = statement(&PAIR, rows(), true);
        assert_eq!(
            sql,
            "INSERT INTO t (a, b) VALUES ($1, (SELECT x FROM u WHERE id = $2)), \
             ($3, (SELECT x FROM u WHERE id = $4)), ($5, (SELECT x FROM u WHERE id = $6))"
        );
        assert_eq!(
            format!("{args:?}"),
            format!("{:?}", rows().flatten().collect::<Vec<_>>())
        );
        static TWICE: Insert = Insert {
            head: "INSERT INTO t (a, b, c) VALUES",
            row: "($2, $1, $2)",
            params: 2,
        };
        let (sql, args) = statement(&TWICE, rows().take(2), false);
        assert_eq!(sql, "INSERT INTO t (a, b, c) VALUES (?, ?, ?), (?, ?, ?)");
        assert_eq!(
            format!("{args:?}"),
            r#"[Text("u0"), Int(0), Text("u0"), Text("u1"), Int(1), Text("u1")]"#
        );
    }

    static PARENT: Insert = Insert {
        head: "INSERT INTO parent (id) VALUES",
        row: "($1)",
        params: 1,
    };
    static CHILD: Insert = Insert {
        head: "INSERT INTO child (id, parent_id) VALUES",
        row: "($1, $2)",
        params: 2,
    };

    #[tokio::test]
    async fn held_rows_are_seen_by_the_next_statement_and_committed_or_refused_together() {
        let dir = std::env::temp_dir().join(crate::store::new_id("tx-test"));
        let db = super::super::Db::connect(&format!("sqlite://{}/db.sqlite", dir.display()))
            .await
            .unwrap();
        for table in [
            "CREATE TABLE parent (id INTEGER PRIMARY KEY)",
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))",
        ] {
            sqlx::query(table).execute(&db.write).await.unwrap();
        }
        let count = |table: &'static str| {
            let read = db.read.clone();
            async move {
                let sql = AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
                sqlx::query_scalar::<_, i64>(sql)
                    .fetch_one(&read)
                    .await
                    .unwrap()
            }
        };

        // 70 parents, each put before its child (the children's foreign keys need them first):
        // the next statement on the transaction sees all 140 rows.
        let mut tx = Tx::begin(&db.write).await.unwrap();
        for n in 0..70_i64 {
            tx.defer(&PARENT, vec![n.into()]);
            tx.defer(&CHILD, vec![(1000 + n).into(), n.into()]);
        }
        let seen: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM child JOIN parent ON parent.id = child.parent_id",
        )
        .fetch_one(tx.conn().await.unwrap())
        .await
        .unwrap();
        assert_eq!(seen, 70, "the held rows, inserted before the read");
        tx.defer(&PARENT, vec![70_i64.into()]);
        tx.commit().await.unwrap();
        assert_eq!((count("parent").await, count("child").await), (71, 70));

        // A held row the database refuses (a child of no parent) fails the commit, and none of
        // the transaction's rows are stored.
        let mut tx = Tx::begin(&db.write).await.unwrap();
        tx.defer(&PARENT, vec![100_i64.into()]);
        tx.defer(&CHILD, vec![2000_i64.into(), 999_i64.into()]);
        let refused = tx.commit().await.unwrap_err();
        assert!(refused.to_string().contains("FOREIGN KEY"), "{refused}");
        assert_eq!((count("parent").await, count("child").await), (71, 70));
        db.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn chunks_are_powers_of_two_up_to_the_largest() {
        let sizes = |mut left: usize| {
            let mut sizes = Vec::new();
            while left > 0 {
                sizes.push(chunk(left));
                left -= chunk(left);
            }
            sizes
        };
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(7), [4, 2, 1]);
        assert_eq!(sizes(64), [64]);
        assert_eq!(sizes(130), [64, 64, 2]);
    }
}
