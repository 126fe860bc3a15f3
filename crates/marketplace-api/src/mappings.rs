//! Mapping collections: record types (the vendor's common data model), a version's collections
//! of mappings with their tests, previews, and an instance's overrides.

use crate::common::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A record type: a named JSON Schema (2020-12, limited to `type`, `properties`, `required`,
/// `items`, `enum`, `format`, `title`, `description`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct RecordTypeView {
    /// Name, `^[a-z][a-z0-9_]*$`.
    pub name: String,
    /// What records of this type are.
    pub description: String,
    /// The schema.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub schema: Value,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Body of `PUT /api/v1/record-types/{name}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordTypeBody {
    /// What records of this type are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The schema (the subset above; other keywords are `unknown_key`).
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub schema: Value,
}

wire_enum! {
    /// How a mapping makes its value.
    pub enum MappingKind {
        /// Copies the source value at `from` (`default` when missing).
        Field = "field",
        /// Writes `value`.
        Static = "static",
        /// Looks up the source value's string form in `table` (`default` on a miss).
        Translation = "translation",
        /// Writes the first output of a jq `formula` run on the whole input.
        Formula = "formula",
    }
}

/// One mapping, flat: `{"kind": "field", "to": "/email", "from": "/Email"}`. Without `kind`, a
/// mapping with `value` is `static`, one with `table` a `translation`, else a `field`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Mapping {
    /// The kind (always sent by the service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<MappingKind>,
    /// JSON Pointer in the output (`/email`).
    pub to: String,
    /// JSON Pointer in the input (`field`, `translation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The constant (`static`; `null` included).
    #[serde(
        default,
        deserialize_with = "crate::common::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub value: Option<Value>,
    /// String form of the source value → output value (`translation`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>))]
    pub table: Option<Map<String, Value>>,
    /// Used when the source is missing, or on a translation's miss (`null` included).
    #[serde(
        default,
        deserialize_with = "crate::common::present",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub default: Option<Value>,
    /// The jq source (`formula`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    /// Documentation for integrators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Whether an instance's customer may override it (the vendor may override any).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub overridable: bool,
}

wire_enum! {
    /// Which way a collection maps.
    pub enum Direction {
        /// The third party's record (`foreign_schema`) into the record type.
        To = "to",
        /// The record type back into the third party's record.
        From = "from",
    }
}

/// An example a collection must map: `input` gives exactly `expected`, without errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CollectionTest {
    /// Name, unique in the collection.
    pub name: String,
    /// The source record.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub input: Value,
    /// The output it must give.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub expected: Value,
}

/// A collection of mappings between a record type and a third party's records, as a version
/// document and `PUT .../collections/{name}` carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MappingCollection {
    /// Name, `^[a-z][a-z0-9_]*$`, unique in the version (the path's, in a `PUT`).
    pub name: String,
    /// The record type it maps to or from.
    pub record_type: String,
    /// Which way it maps.
    pub direction: Direction,
    /// The third party's record schema (same subset as record types), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
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

/// A collection test and whether it passes now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CollectionTestResult {
    /// Name.
    pub name: String,
    /// The source record.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub input: Value,
    /// The output it must give.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub expected: Value,
    /// The mappings give exactly `expected`, without errors.
    pub passed: bool,
}

/// A collection as `GET .../collections[/{name}]` shows it: with each test's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CollectionView {
    /// Name.
    pub name: String,
    /// The record type it maps to or from.
    pub record_type: String,
    /// Which way it maps.
    pub direction: Direction,
    /// The third party's record schema, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schema", schema(value_type = Option<serde_json::Value>))]
    pub foreign_schema: Option<Value>,
    /// Documentation for integrators.
    pub notes: String,
    /// The mappings, applied in order.
    pub mappings: Vec<Mapping>,
    /// The tests and whether each passes.
    pub tests: Vec<CollectionTestResult>,
}

/// Body of `POST .../collections/validate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CollectionValidateBody {
    /// The collection to check (errors are at `/collection/...`).
    #[cfg_attr(feature = "schema", schema(value_type = MappingCollection))]
    pub collection: Value,
}

/// What `POST .../collections/validate` found: every problem at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CollectionValidation {
    /// No problem.
    pub valid: bool,
    /// The problems, paths into the request body (`/collection/mappings/2/to`).
    pub errors: Vec<FieldError>,
}

/// Body of a preview: a source record and, optionally, overrides to try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PreviewBody {
    /// The source record.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub input: Value,
    /// Overrides applied over the collection's mappings (same `to` replaced).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<Vec<Mapping>>,
}

/// What applying the mappings gave: the output and every error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct PreviewResult {
    /// The output record.
    #[cfg_attr(feature = "schema", schema(value_type = serde_json::Value))]
    pub output: Value,
    /// `/mappings/3` `formula_error` | `formula_limit`, `/output/...` where the output breaks
    /// the target schema.
    pub errors: Vec<FieldError>,
}

/// An instance's overrides of a collection and the mappings it runs with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct InstanceMappingsView {
    /// The collection's name.
    pub collection: String,
    /// The instance's overrides.
    pub overrides: Vec<Mapping>,
    /// The effective mappings: the collection's, each overridden one replaced.
    pub effective: Vec<Mapping>,
}

/// Body of `PUT .../instances/{id}/mappings/{collection}`: the whole set of overrides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstanceMappingsBody {
    /// Overrides, each replacing the collection's mapping with the same `to` (empty: none).
    pub overrides: Vec<Mapping>,
}

/// What an upgrade did to an instance's overrides, as `collection/to` strings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct MappingsReport {
    /// Overrides kept.
    pub carried_over: Vec<String>,
    /// Overrides dropped (no longer overridable there, or no longer valid).
    pub dropped: Vec<String>,
}

impl From<&marketplace_core::mapping::Mapping> for Mapping {
    fn from(mapping: &marketplace_core::mapping::Mapping) -> Self {
        use marketplace_core::mapping::Rule;
        let mut wire = Mapping {
            kind: Some(MappingKind::from_wire(match mapping.rule {
                Rule::Field { .. } => "field",
                Rule::Static { .. } => "static",
                Rule::Translation { .. } => "translation",
                Rule::Formula { .. } => "formula",
            })),
            to: mapping.to.clone(),
            notes: mapping.notes.clone(),
            overridable: mapping.overridable,
            ..Mapping::default()
        };
        match &mapping.rule {
            Rule::Field { from, default } => {
                wire.from = Some(from.clone());
                wire.default = default.clone();
            }
            Rule::Static { value } => wire.value = Some(value.clone()),
            Rule::Translation {
                from,
                table,
                default,
            } => {
                wire.from = Some(from.clone());
                wire.table = Some(table.clone());
                wire.default = default.clone();
            }
            Rule::Formula { formula } => wire.formula = Some(formula.clone()),
        }
        wire
    }
}

impl From<marketplace_core::mapping::Direction> for Direction {
    fn from(direction: marketplace_core::mapping::Direction) -> Self {
        match direction {
            marketplace_core::mapping::Direction::To => Direction::To,
            marketplace_core::mapping::Direction::From => Direction::From,
        }
    }
}

impl From<&marketplace_core::mapping::Collection> for MappingCollection {
    fn from(c: &marketplace_core::mapping::Collection) -> Self {
        MappingCollection {
            name: c.name.clone(),
            record_type: c.record_type.clone(),
            direction: c.direction.into(),
            foreign_schema: c.foreign_schema.clone(),
            notes: c.notes.clone(),
            mappings: c.mappings.iter().map(Into::into).collect(),
            tests: c
                .tests
                .iter()
                .map(|t| CollectionTest {
                    name: t.name.clone(),
                    input: t.input.clone(),
                    expected: t.expected.clone(),
                })
                .collect(),
        }
    }
}

impl From<marketplace_core::mapping::MappingsReport> for MappingsReport {
    fn from(report: marketplace_core::mapping::MappingsReport) -> Self {
        MappingsReport {
            carried_over: report.carried_over,
            dropped: report.dropped,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{open_enum, round_trip};
    use serde_json::json;

    #[test]
    fn collections_as_the_service_sends_them() {
        let view: CollectionView = round_trip(json!({"name": "contacts", "record_type": "contact",
            "direction": "to", "foreign_schema": {"type": "object"}, "notes": "",
            "mappings": [
                {"kind": "field", "to": "/email", "from": "/Email", "overridable": true},
                {"kind": "static", "to": "/source", "value": null},
                {"kind": "translation", "to": "/country", "from": "/cc", "table": {"DE": "Germany"}, "default": "Other"},
                {"kind": "formula", "to": "/name", "formula": ".first", "notes": "joined"}],
            "tests": [{"name": "one", "input": {}, "expected": {}, "passed": false}]}));
        assert_eq!(view.mappings[1].value, Some(Value::Null));
        assert!(view.mappings[0].overridable);
        round_trip::<InstanceMappingsView>(json!({"collection": "contacts",
            "overrides": [{"kind": "static", "to": "/source", "value": "crm"}],
            "effective": [{"kind": "static", "to": "/source", "value": "crm"}]}));
        round_trip::<PreviewResult>(json!({"output": {"a": 1}, "errors": [
            {"path": "/mappings/3", "code": "formula_error", "message": "x"}]}));
        assert!(serde_json::from_value::<PreviewBody>(json!({"input": {}, "extra": 1})).is_err());
        assert!(
            serde_json::from_value::<RecordTypeBody>(json!({"name": "x", "schema": {}})).is_err()
        );
        open_enum(MappingKind::KNOWN, MappingKind::Other("script".into()));
        open_enum(Direction::KNOWN, Direction::Other("both".into()));
    }

    #[test]
    fn core_mappings_keep_their_wire_form() {
        let body = json!([
            {"kind": "field", "to": "/email", "from": "/Email", "default": null, "overridable": true},
            {"kind": "static", "to": "/source", "value": "shop"},
            {"kind": "translation", "to": "/country", "from": "/cc", "table": {"DE": "Germany"}},
            {"kind": "formula", "to": "/name", "formula": ".a", "notes": "n"}]);
        let core: Vec<marketplace_core::mapping::Mapping> =
            serde_json::from_value(body.clone()).unwrap();
        let wire: Vec<Mapping> = core.iter().map(Into::into).collect();
        assert_eq!(serde_json::to_value(wire).unwrap(), body);
    }
}
