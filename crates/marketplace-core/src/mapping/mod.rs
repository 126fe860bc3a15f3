//! Mapping collections: a vendor's record types (its common data model), collections that map
//! a third party's records into a record type (`to`) or back (`from`), their tests, formulas,
//! per-instance overrides and what an upgrade keeps of them.
//!
//! One [`apply_mappings`] serves the preview, flows, collection tests, the SDK and the npm
//! package; one [`validate_collection`] reports every problem of a collection at once, with JSON
//! Pointers relative to the collection (`/mappings/2/to`): callers prefix them.

mod apply;
mod collection;
pub mod formula;
mod overrides;
pub mod schema;

pub use apply::{Applied, Prepared, TestResult, apply_mappings, prepare, run_tests};
pub use collection::{accept_record_type, validate_collection};
pub use formula::{Formula, FormulaFailure, FormulaInput};
pub use overrides::{MappingsReport, OverrideEditor, carry_overrides, effective_mappings};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// At most this many mappings in a collection.
pub const MAX_MAPPINGS: usize = 200;
/// A formula's longest source, in characters.
pub const MAX_FORMULA_CHARS: usize = 2_000;
/// A formula's largest input (its JSON text), in bytes; beyond it, `formula_limit`.
pub const MAX_FORMULA_INPUT: usize = 256 * 1024;
/// A formula's largest output (its JSON text), in bytes; beyond it, `formula_limit`.
pub const MAX_FORMULA_OUTPUT: usize = 1024 * 1024;

/// A vendor's record type: a named JSON Schema (2020-12, limited to `type`, `properties`,
/// `required`, `items`, `enum`, `format`, `title`, `description`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordType {
    /// Name, `^[a-z][a-z0-9_]*$`, unique in the organization.
    pub name: String,
    /// What records of this type are.
    #[serde(default)]
    pub description: String,
    /// The schema (already checked by [`schema::accept`]).
    pub schema: Value,
}

/// Which way a collection maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The third party's record (`foreign_schema`) into the record type.
    To,
    /// The record type back into the third party's record.
    From,
}

/// A named set of mappings between a record type and a third party's records, with its tests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    /// Name, `^[a-z][a-z0-9_]*$`, unique in the version.
    pub name: String,
    /// The record type it maps to or from.
    pub record_type: String,
    /// Which way it maps.
    pub direction: Direction,
    /// The third party's record schema (same subset as record types), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign_schema: Option<Value>,
    /// Documentation for integrators (markdown).
    #[serde(default)]
    pub notes: String,
    /// The mappings, applied in order.
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    /// Examples the collection must map exactly.
    #[serde(default)]
    pub tests: Vec<CollectionTest>,
}

/// An example a collection must map: `input` gives exactly `expected`, without errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionTest {
    /// Name, unique in the collection.
    pub name: String,
    /// The source record.
    pub input: Value,
    /// The output it must give.
    pub expected: Value,
}

/// One mapping: where its value goes (`to`) and how it is made (`rule`).
///
/// On the wire a mapping is flat, `{"kind": "field", "to": "/email", "from": "/Email"}`; a
/// mapping without `kind` (a flow rule written before kinds existed) is a `static` one when it
/// has `value`, a `translation` when it has `table`, else a `field`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "WireMapping", into = "WireMapping")]
pub struct Mapping {
    /// JSON Pointer in the output (`/email`).
    pub to: String,
    /// How the value is made.
    pub rule: Rule,
    /// Documentation for integrators.
    pub notes: Option<String>,
    /// Whether an instance may override it (the vendor may override any).
    pub overridable: bool,
}

/// How a mapping makes its value.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// Copies the source value at `from`; `default` when it is missing.
    Field {
        /// JSON Pointer in the input.
        from: String,
        /// Used when the source is missing.
        default: Option<Value>,
    },
    /// Writes a constant.
    Static {
        /// The constant.
        value: Value,
    },
    /// Looks up the string form of the source value in `table`.
    Translation {
        /// JSON Pointer in the input.
        from: String,
        /// String form of the source → output value.
        table: Map<String, Value>,
        /// Used on a miss or a missing source (a miss without it keeps the value).
        default: Option<Value>,
    },
    /// A jq formula run on the whole input; its first output is written.
    Formula {
        /// The jq source.
        formula: String,
    },
}

/// The kind of a mapping, as named on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingKind {
    /// [`Rule::Field`].
    Field,
    /// [`Rule::Static`].
    Static,
    /// [`Rule::Translation`].
    Translation,
    /// [`Rule::Formula`].
    Formula,
}

impl Rule {
    /// The wire name of this rule's kind.
    pub fn kind(&self) -> MappingKind {
        match self {
            Rule::Field { .. } => MappingKind::Field,
            Rule::Static { .. } => MappingKind::Static,
            Rule::Translation { .. } => MappingKind::Translation,
            Rule::Formula { .. } => MappingKind::Formula,
        }
    }
}

/// The flat wire form of a [`Mapping`].
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMapping {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<MappingKind>,
    to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    table: Option<Map<String, Value>>,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    default: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    formula: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notes: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    overridable: bool,
}

/// A present field is `Some`, even when it is `null`.
fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl TryFrom<WireMapping> for Mapping {
    type Error = String;

    fn try_from(wire: WireMapping) -> Result<Self, String> {
        let kind = wire.kind.unwrap_or(if wire.value.is_some() {
            MappingKind::Static
        } else if wire.table.is_some() {
            MappingKind::Translation
        } else {
            MappingKind::Field
        });
        let stray = |fields: &[(&str, bool)]| -> Result<(), String> {
            match fields.iter().find(|(_, present)| *present) {
                Some((name, _)) => {
                    Err(format!("a {kind:?} mapping has no `{name}`").to_lowercase())
                }
                None => Ok(()),
            }
        };
        let rule = match kind {
            MappingKind::Field => {
                stray(&[
                    ("value", wire.value.is_some()),
                    ("table", wire.table.is_some()),
                    ("formula", wire.formula.is_some()),
                ])?;
                Rule::Field {
                    from: wire.from.ok_or("a field mapping needs `from`")?,
                    default: wire.default,
                }
            }
            MappingKind::Static => {
                stray(&[
                    ("from", wire.from.is_some()),
                    ("table", wire.table.is_some()),
                    ("default", wire.default.is_some()),
                    ("formula", wire.formula.is_some()),
                ])?;
                Rule::Static {
                    value: wire.value.ok_or("a static mapping needs `value`")?,
                }
            }
            MappingKind::Translation => {
                stray(&[
                    ("value", wire.value.is_some()),
                    ("formula", wire.formula.is_some()),
                ])?;
                Rule::Translation {
                    from: wire.from.ok_or("a translation mapping needs `from`")?,
                    table: wire.table.ok_or("a translation mapping needs `table`")?,
                    default: wire.default,
                }
            }
            MappingKind::Formula => {
                stray(&[
                    ("from", wire.from.is_some()),
                    ("value", wire.value.is_some()),
                    ("table", wire.table.is_some()),
                    ("default", wire.default.is_some()),
                ])?;
                Rule::Formula {
                    formula: wire.formula.ok_or("a formula mapping needs `formula`")?,
                }
            }
        };
        Ok(Mapping {
            to: wire.to,
            rule,
            notes: wire.notes,
            overridable: wire.overridable,
        })
    }
}

impl From<Mapping> for WireMapping {
    fn from(mapping: Mapping) -> Self {
        let mut wire = WireMapping {
            kind: Some(mapping.rule.kind()),
            to: mapping.to,
            notes: mapping.notes,
            overridable: mapping.overridable,
            ..WireMapping::default()
        };
        match mapping.rule {
            Rule::Field { from, default } => {
                wire.from = Some(from);
                wire.default = default;
            }
            Rule::Static { value } => wire.value = Some(value),
            Rule::Translation {
                from,
                table,
                default,
            } => {
                wire.from = Some(from);
                wire.table = Some(table);
                wire.default = default;
            }
            Rule::Formula { formula } => wire.formula = Some(formula),
        }
        wire
    }
}
