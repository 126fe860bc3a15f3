//! Cursor paging and dynamic filters, shared by every list of the storage layer.

use super::sql::{Arg, fetch_all};
use super::{Store, StoreResult};
use sqlx::AssertSqlSafe;

/// Which page of a list: its size (already checked by the caller) and the cursor of the
/// previous page's last item.
#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    /// Items per page.
    pub limit: u32,
    /// The key of the last item of the previous page.
    pub cursor: Option<String>,
}

/// A page of a list and the cursor of the next one.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Converts every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }

    /// Converts every item, stopping at the first error.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<Result<_, _>>()?,
            next_cursor: self.next_cursor,
        })
    }

    /// A page from `limit + 1` fetched rows: the extra row says there is a next page.
    fn from_rows(mut rows: Vec<T>, limit: u32, cursor_of: impl Fn(&T) -> String) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(cursor_of)
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// The order of a list by its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Order {
    /// Oldest (smallest key) first.
    Ascending,
    /// Newest (largest key) first: logs and executions.
    Descending,
}

/// A dynamic `WHERE` clause with `$N` placeholders and its arguments, in order.
#[derive(Debug, Default)]
pub(super) struct Filter {
    clauses: Vec<String>,
    args: Vec<Arg>,
}

impl Filter {
    /// A filter with one text equality, the usual start (`organization_id = ?`).
    pub(super) fn eq(column: &str, value: &str) -> Self {
        let mut filter = Filter::default();
        filter.and(&format!("{column} = ?"), [Arg::Text(value.to_owned())]);
        filter
    }

    /// Adds a clause whose `?` marks take the given arguments, in order.
    pub(super) fn and(&mut self, clause: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        let mut sql = String::new();
        let mut args = args.into_iter();
        for part in clause.split_inclusive('?') {
            if let Some(prefix) = part.strip_suffix('?') {
                sql.push_str(prefix);
                self.args.push(args.next().expect("one argument per ?"));
                sql.push_str(&format!("${}", self.args.len()));
            } else {
                sql.push_str(part);
            }
        }
        self.clauses.push(sql);
        self
    }

    /// Adds `column = ?` when the value is present.
    pub(super) fn eq_opt(&mut self, column: &str, value: Option<&str>) -> &mut Self {
        if let Some(v) = value {
            self.and(&format!("{column} = ?"), [Arg::Text(v.to_owned())]);
        }
        self
    }

    /// Adds `column op ?` with an integer when present (time ranges).
    pub(super) fn int_opt(&mut self, column: &str, op: &str, value: Option<i64>) -> &mut Self {
        if let Some(v) = value {
            self.and(&format!("{column} {op} ?"), [Arg::Int(v)]);
        }
        self
    }

    /// Adds a case-insensitive substring match of `text` over any of `columns`.
    pub(super) fn contains_any(&mut self, columns: &[&str], text: Option<&str>) -> &mut Self {
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            let pattern = like_pattern(text);
            let clause = columns
                .iter()
                .map(|c| format!("lower({c}) LIKE ? ESCAPE '\\'"))
                .collect::<Vec<_>>()
                .join(" OR ");
            self.and(
                &format!("({clause})"),
                columns.iter().map(|_| Arg::Text(pattern.clone())),
            );
        }
        self
    }

    /// The `WHERE ...` text.
    fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }
}

/// A case-insensitive `LIKE` pattern for a substring (wildcards in the input escaped).
pub(super) fn like_pattern(s: &str) -> String {
    format!("%{}%", escape_like(&s.to_lowercase()))
}

/// Escapes `LIKE` wildcards (with `\` as the escape character).
pub(super) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Runs a page query: `{select} {filter} AND key >/< cursor ORDER BY key LIMIT n+1`, the rows
/// read from the read pool.
pub(super) async fn fetch_page<R>(
    store: &Store,
    select: &str,
    key: &str,
    order: Order,
    mut filter: Filter,
    page: &PageRequest,
    cursor_of: impl Fn(&R) -> String,
) -> StoreResult<Page<R>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    let (op, direction) = match order {
        Order::Ascending => (">", "ASC"),
        Order::Descending => ("<", "DESC"),
    };
    if let Some(cursor) = &page.cursor {
        filter.and(&format!("{key} {op} ?"), [Arg::Text(cursor.clone())]);
    }
    let sql = format!(
        "{select} {} ORDER BY {key} {direction} LIMIT {}",
        filter.sql(),
        page.limit as i64 + 1
    );
    let rows = fetch_all(&store.db.read, AssertSqlSafe(sql), filter.args).await?;
    Ok(Page::from_rows(rows, page.limit, cursor_of))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_number_their_placeholders_in_order() {
        let mut filter = Filter::eq("organization_id", "org_1");
        filter
            .eq_opt("status", Some("active"))
            .eq_opt("customer_id", None)
            .contains_any(&["name", "description"], Some("50%_off"));
        assert_eq!(
            filter.sql(),
            "WHERE organization_id = $1 AND status = $2 AND \
             (lower(name) LIKE $3 ESCAPE '\\' OR lower(description) LIKE $4 ESCAPE '\\')"
        );
        assert_eq!(filter.args.len(), 4);
        assert!(matches!(&filter.args[2], Arg::Text(p) if p == "%50\\%\\_off%"));
    }

    #[test]
    fn a_page_has_a_cursor_only_when_more_rows_exist() {
        let page = Page::from_rows(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor.as_deref(), Some("2"));
        let last = Page::from_rows(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next_cursor, None);
    }
}
