//! Per-instance overrides of a collection's mappings, and what an upgrade keeps of them.

use super::{Collection, Mapping, RecordType, validate_collection};
use crate::error::{FieldError, FieldErrorCode as Code};
use crate::pointer;
use serde::Serialize;
use std::collections::HashSet;

/// Who overrides: the vendor may override any mapping, a customer only `overridable` ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideEditor {
    /// The organization (admin API).
    Vendor,
    /// A customer (embedded API, portal).
    Customer,
}

/// The effective mappings of an instance: each override replaces the collection's mapping with
/// the same `to`. An override whose `to` names no mapping → `/overrides/0/to`
/// `invalid_reference`; one a customer may not make → `/overrides/0/to` `not_editable`; the
/// effective collection must validate (its errors reported at the override's path when they
/// come from an override, else at `/mappings/...`).
pub fn effective_mappings(
    collection: &Collection,
    overrides: &[Mapping],
    editor: OverrideEditor,
    record_types: &[RecordType],
) -> Result<Vec<Mapping>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut mappings = collection.mappings.clone();
    // For each effective mapping replaced, the path of its override (`/overrides/0`).
    let mut replaced_by: Vec<Option<String>> = vec![None; mappings.len()];
    let mut seen = HashSet::new();
    for (i, over) in overrides.iter().enumerate() {
        let path = pointer::push_index("/overrides", i);
        let to_path = pointer::push(&path, "to");
        let Some(index) = mappings.iter().position(|m| m.to == over.to) else {
            errors.push(FieldError::new(
                to_path,
                Code::InvalidReference,
                format!("the collection has no mapping to `{}`", over.to),
            ));
            continue;
        };
        if !seen.insert(over.to.as_str()) {
            errors.push(FieldError::new(
                to_path,
                Code::Duplicate,
                format!("another override replaces `{}`", over.to),
            ));
            continue;
        }
        let original = &collection.mappings[index];
        if editor == OverrideEditor::Customer && !original.overridable {
            errors.push(FieldError::new(
                to_path,
                Code::NotEditable,
                format!("the mapping to `{}` is not overridable", over.to),
            ));
            continue;
        }
        // The collection, not the override, says what stays overridable.
        mappings[index] = Mapping {
            overridable: original.overridable,
            ..over.clone()
        };
        replaced_by[index] = Some(path);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let effective = Collection {
        mappings,
        tests: Vec::new(),
        ..collection.clone()
    };
    let body = serde_json::to_value(&effective).expect("a collection serialises");
    match validate_collection(&body, record_types) {
        Ok(_) => Ok(effective.mappings),
        Err(errors) => Err(errors
            .into_iter()
            .map(|mut e| {
                if let Some((index, rest)) = mapping_index(&e.path)
                    && let Some(Some(path)) = replaced_by.get(index)
                {
                    e.path = format!("{path}{rest}");
                }
                e
            })
            .collect()),
    }
}

/// `/mappings/3/to` → (3, `/to`).
fn mapping_index(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("/mappings/")?;
    let end = rest.find('/').unwrap_or(rest.len());
    Some((rest[..end].parse().ok()?, &rest[end..]))
}

/// What an upgrade did to an instance's overrides, as `collection/to` strings
/// (`contacts/email`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MappingsReport {
    /// Overrides kept: the new version's collection still has an overridable mapping there.
    pub carried_over: Vec<String>,
    /// Overrides dropped.
    pub dropped: Vec<String>,
}

/// The overrides an upgrade keeps, per collection: those whose `to` is still an
/// `overridable` mapping of the new version's collection of the same name and still validate
/// there; the rest are dropped. `old` lists (collection name, overrides).
pub fn carry_overrides(
    old: &[(String, Vec<Mapping>)],
    new_collections: &[Collection],
    record_types: &[RecordType],
) -> (Vec<(String, Vec<Mapping>)>, MappingsReport) {
    let mut kept = Vec::new();
    let mut report = MappingsReport::default();
    for (name, overrides) in old {
        let collection = new_collections.iter().find(|c| &c.name == name);
        let mut carried = Vec::new();
        for over in overrides {
            // Overrides replace distinct mappings, so each can be checked on its own: only
            // the errors of the override itself count (the collection was checked at publish).
            let keeps = collection.is_some_and(|c| {
                match effective_mappings(
                    c,
                    std::slice::from_ref(over),
                    OverrideEditor::Customer,
                    record_types,
                ) {
                    Ok(_) => true,
                    Err(errors) => !errors.iter().any(|e| e.path.starts_with("/overrides/")),
                }
            });
            let label = format!("{name}{}", over.to);
            if keeps {
                carried.push(over.clone());
                report.carried_over.push(label);
            } else {
                report.dropped.push(label);
            }
        }
        if !carried.is_empty() {
            kept.push((name.clone(), carried));
        }
    }
    (kept, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::FieldErrorCode as Code;
    use serde_json::{Value, json};

    fn record_types() -> Vec<RecordType> {
        vec![RecordType {
            name: "contact".into(),
            description: String::new(),
            schema: json!({"properties": {
                "email": {"type": "string"},
                "country": {"type": "string", "enum": ["Germany", "Other"]},
                "source": {"type": "string"}
            }}),
        }]
    }

    fn collection(mappings: Value) -> Collection {
        serde_json::from_value(json!({
            "name": "contacts", "record_type": "contact", "direction": "to",
            "mappings": mappings
        }))
        .unwrap()
    }

    fn contacts() -> Collection {
        collection(json!([
            {"to": "/email", "from": "/Email"},
            {"to": "/country", "from": "/cc", "table": {"DE": "Germany"}, "overridable": true},
            {"to": "/source", "value": "shop", "overridable": true}
        ]))
    }

    fn overrides(value: Value) -> Vec<Mapping> {
        serde_json::from_value(value).unwrap()
    }

    fn codes(result: Result<Vec<Mapping>, Vec<FieldError>>) -> Vec<(String, Code)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| (e.path, e.code))
            .collect()
    }

    #[test]
    fn overrides_replace_mappings_with_the_same_to() {
        let over = overrides(json!([{"to": "/source", "value": "portal"}]));
        let effective = effective_mappings(
            &contacts(),
            &over,
            OverrideEditor::Customer,
            &record_types(),
        )
        .unwrap();
        assert_eq!(effective.len(), 3);
        assert_eq!(effective[2].rule, over[0].rule);
        assert!(
            effective[2].overridable,
            "the collection says what stays overridable"
        );
        assert_eq!(effective[0], contacts().mappings[0]);
    }

    #[test]
    fn who_may_override_what() {
        let c = contacts();
        let rts = record_types();
        type Case = (Value, OverrideEditor, Vec<(String, Code)>);
        let table: Vec<Case> = vec![
            (
                json!([{"to": "/email", "value": "x"}]),
                OverrideEditor::Customer,
                vec![("/overrides/0/to".into(), Code::NotEditable)],
            ),
            (
                json!([{"to": "/email", "value": "x"}]),
                OverrideEditor::Vendor,
                vec![],
            ),
            (
                json!([{"to": "/source", "value": "a"}, {"to": "/phone", "value": "x"}]),
                OverrideEditor::Vendor,
                vec![("/overrides/1/to".into(), Code::InvalidReference)],
            ),
            (
                json!([{"to": "/source", "value": "a"}, {"to": "/source", "value": "b"}]),
                OverrideEditor::Customer,
                vec![("/overrides/1/to".into(), Code::Duplicate)],
            ),
            (
                json!([{"to": "/source", "value": "a"}, {"to": "/country", "from": "/cc", "table": {"DE": "Deutschland"}}]),
                OverrideEditor::Customer,
                vec![("/overrides/1/table/DE".into(), Code::Option)],
            ),
        ];
        for (over, editor, expected) in table {
            let result = effective_mappings(&c, &overrides(over.clone()), editor, &rts);
            assert_eq!(codes(result), expected, "{over} as {editor:?}");
        }
    }

    #[test]
    fn errors_of_the_collection_itself_stay_at_mappings() {
        let broken = collection(json!([
            {"to": "/email", "from": "/Email"},
            {"to": "/phone", "value": "x"},
            {"to": "/source", "value": "shop", "overridable": true}
        ]));
        let over = overrides(json!([{"to": "/source", "value": 1}]));
        let result = effective_mappings(&broken, &over, OverrideEditor::Customer, &record_types());
        assert_eq!(
            codes(result),
            vec![
                ("/mappings/1/to".into(), Code::UnknownField),
                ("/overrides/0/value".into(), Code::Type),
            ]
        );
    }

    #[test]
    fn upgrades_keep_what_is_still_overridable_and_valid() {
        let old = vec![
            (
                "contacts".to_owned(),
                overrides(json!([
                    {"to": "/source", "value": "portal"},
                    {"to": "/country", "from": "/cc", "table": {"DE": "Germany", "AT": "Austria"}},
                    {"to": "/email", "from": "/Mail"}
                ])),
            ),
            (
                "gone".to_owned(),
                overrides(json!([{"to": "/x", "value": 1}])),
            ),
        ];
        let new = vec![collection(json!([
            {"to": "/email", "from": "/Email", "overridable": true},
            {"to": "/country", "from": "/cc", "table": {"DE": "Germany"}, "overridable": true},
            {"to": "/source", "value": "shop"}
        ]))];
        let (kept, report) = carry_overrides(&old, &new, &record_types());
        assert_eq!(
            report,
            MappingsReport {
                carried_over: vec!["contacts/email".into()],
                dropped: vec![
                    "contacts/source".into(),
                    "contacts/country".into(),
                    "gone/x".into()
                ],
            }
        );
        assert_eq!(
            kept,
            vec![("contacts".to_owned(), vec![old[0].1[2].clone()])]
        );
    }
}
