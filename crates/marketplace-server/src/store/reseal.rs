//! Re-sealing every sealed value under the current master key: the second step of a master key
//! rotation (docs/operations.md). Each table that holds sealed values declares its column with
//! [`SealedColumn`] beside the context it seals with; this module walks them all.

use super::sql::{Arg, execute, rows};
use super::{Store, StoreError, StoreResult};
use crate::crypto::OpenedWith;
use sqlx::AssertSqlSafe;
use sqlx::Row;
use std::fmt;

/// A key column of a table with sealed values.
#[derive(Debug, Clone, Copy)]
pub(super) enum KeyColumn {
    /// A text column.
    Text(&'static str),
    /// An integer column.
    Int(&'static str),
}

impl KeyColumn {
    fn name(self) -> &'static str {
        match self {
            KeyColumn::Text(name) | KeyColumn::Int(name) => name,
        }
    }
}

/// The value of a key column in one row.
#[derive(Debug, Clone)]
pub(super) enum KeyValue {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

impl KeyValue {
    /// The text of a text key (empty for an integer).
    pub(super) fn text(&self) -> &str {
        match self {
            KeyValue::Text(s) => s,
            KeyValue::Int(_) => "",
        }
    }

    /// The integer of an integer key (0 for text).
    pub(super) fn int(&self) -> i64 {
        match self {
            KeyValue::Int(i) => *i,
            KeyValue::Text(_) => 0,
        }
    }
}

impl fmt::Display for KeyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyValue::Text(s) => f.write_str(s),
            KeyValue::Int(i) => write!(f, "{i}"),
        }
    }
}

impl From<KeyValue> for Arg {
    fn from(value: KeyValue) -> Self {
        match value {
            KeyValue::Text(s) => Arg::Text(s),
            KeyValue::Int(i) => Arg::Int(i),
        }
    }
}

/// A column of sealed values: where it is, and the context each row's value is sealed for.
#[derive(Debug)]
pub(super) struct SealedColumn {
    /// The table.
    pub(super) table: &'static str,
    /// The column of sealed blobs (`NULL` values are skipped).
    pub(super) column: &'static str,
    /// The table's primary key, in order.
    pub(super) keys: &'static [KeyColumn],
    /// The sealing context of a row, from its key values.
    pub(super) context: fn(&[KeyValue]) -> String,
}

/// Every sealed column of the schema.
const SEALED_COLUMNS: &[&SealedColumn] = &[
    &super::customers::SEALED_VALUES,
    &super::instances::SEALED_CONFIG,
    &super::executions::SEALED_INPUT,
    &super::event_configurations::SEALED_WORKING_SECRET,
    &super::event_configurations::SEALED_SIGNING_SECRETS,
    &super::event_configurations::SEALED_REVISION_SECRET,
    &super::sso::SEALED_PRIVATE_KEY,
    &super::alert_monitors::SEALED_SIGNING_SECRET,
    &super::connections::SEALED_TOKENS,
    &super::connections::SEALED_VERIFIER,
];

/// Rows read and updated at a time.
const BATCH: i64 = 500;

/// What a re-sealing did to one column.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnResealed {
    /// `table.column`.
    pub column: String,
    /// Values that were sealed under a previous key and are now sealed under the current one.
    pub resealed: u64,
    /// Values already sealed under the current key (left as they were).
    pub current: u64,
}

/// Re-seals, in one transaction, every value sealed under a previous key of the store's sealer
/// with its current key. Values already under the current key stay as they are, so running it
/// again is harmless. A value that opens with none of the keys fails the whole run (nothing is
/// changed) and names its table, column and row.
pub async fn reseal_all(store: &Store) -> StoreResult<Vec<ColumnResealed>> {
    let mut tx = store.begin().await?;
    let mut report = Vec::with_capacity(SEALED_COLUMNS.len());
    for sealed in SEALED_COLUMNS {
        report.push(reseal_column(store, &mut tx, sealed).await?);
    }
    tx.commit().await?;
    Ok(report)
}

async fn reseal_column(
    store: &Store,
    tx: &mut super::Tx,
    sealed: &SealedColumn,
) -> StoreResult<ColumnResealed> {
    let SealedColumn {
        table,
        column,
        keys,
        context,
    } = sealed;
    let key_list = keys.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
    let placeholders = |from: usize| {
        (from..from + keys.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let matches_key = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{} = ${}", k.name(), i + 2))
        .collect::<Vec<_>>()
        .join(" AND ");
    let update = format!("UPDATE {table} SET {column} = $1 WHERE {matches_key}");
    let mut outcome = ColumnResealed {
        column: format!("{table}.{column}"),
        resealed: 0,
        current: 0,
    };
    let mut after: Option<Vec<KeyValue>> = None;
    loop {
        // Key-set pages, in primary key order.
        let (select, args): (String, Vec<Arg>) = match after.take() {
            None => (
                format!(
                    "SELECT {key_list}, {column} FROM {table} WHERE {column} IS NOT NULL \
                     ORDER BY {key_list} LIMIT {BATCH}"
                ),
                Vec::new(),
            ),
            Some(last) => (
                format!(
                    "SELECT {key_list}, {column} FROM {table} WHERE {column} IS NOT NULL \
                     AND ({key_list}) > ({}) ORDER BY {key_list} LIMIT {BATCH}",
                    placeholders(1)
                ),
                last.into_iter().map(Arg::from).collect(),
            ),
        };
        let page = rows(tx.conn().await?, AssertSqlSafe(select), args).await?;
        let full = page.len() as i64 == BATCH;
        for row in &page {
            let key_values = keys
                .iter()
                .enumerate()
                .map(|(i, key)| {
                    Ok(match key {
                        KeyColumn::Text(_) => KeyValue::Text(row.try_get(i)?),
                        KeyColumn::Int(_) => KeyValue::Int(row.try_get(i)?),
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?;
            let blob: Vec<u8> = row.try_get(keys.len())?;
            let context = context(&key_values);
            match store.sealer.open_telling(&context, &blob) {
                Some((_, OpenedWith::Current)) => outcome.current += 1,
                Some((plain, OpenedWith::Previous)) => {
                    let mut args = vec![Arg::Blob(store.sealer.seal(&context, &plain))];
                    args.extend(key_values.iter().cloned().map(Arg::from));
                    execute(tx.conn().await?, AssertSqlSafe(update.as_str()), args).await?;
                    outcome.resealed += 1;
                }
                None => {
                    let row_key = keys
                        .iter()
                        .zip(&key_values)
                        .map(|(k, v)| format!("{} = {v}", k.name()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(StoreError::Corrupt(format!(
                        "{table}.{column} of the row {row_key} opens with none of the master keys \
                         given (is a previous key missing?)"
                    )));
                }
            }
            after = Some(key_values);
        }
        if !full {
            return Ok(outcome);
        }
    }
}
