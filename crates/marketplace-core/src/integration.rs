//! Integrations and their versions: semver, drafts, publishing, immutability and order.

use crate::compiled::CompiledSpec;
use crate::customer::normalize_labels;
use crate::error::{FieldError, FieldErrorCode as Code, prefix_all};
use crate::flow::{Flow, check_collections, parse_flows};
use crate::formats;
use crate::ids::IntegrationId;
use crate::mapping::{Collection, Direction, RecordType, validate_collection};
use semver::Version;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An integration the vendor offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integration {
    /// Id.
    pub id: IntegrationId,
    /// Display name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// Category (e.g. `crm`, `accounting`).
    #[serde(default)]
    pub category: String,
    /// Labels, lower-cased and de-duplicated.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Icon URL.
    #[serde(default)]
    pub icon_url: Option<String>,
}

/// The editable fields of an integration, as a create or update body carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationFields {
    /// Display name.
    pub name: String,
    /// Short description.
    #[serde(default)]
    pub description: String,
    /// Category.
    #[serde(default)]
    pub category: String,
    /// Labels (normalized on the way in).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Icon URL.
    #[serde(default)]
    pub icon_url: Option<String>,
}

impl Integration {
    /// Builds an integration from its fields, checking and normalizing them.
    pub fn new(id: IntegrationId, fields: IntegrationFields) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = fields.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "/name",
                Code::Required,
                "a name is required",
            ));
        } else if name.chars().count() > 200 {
            errors.push(FieldError::new(
                "/name",
                Code::MaxLength,
                "must be at most 200 characters long",
            ));
        }
        if fields
            .icon_url
            .as_deref()
            .is_some_and(|u| !formats::is_url(u))
        {
            errors.push(FieldError::new(
                "/icon_url",
                Code::Format,
                "must be an absolute http(s) URL",
            ));
        }
        let labels = normalize_labels(&fields.labels, "/labels", &mut errors);
        let integration = Integration {
            id,
            name,
            description: fields.description,
            category: fields.category.trim().to_lowercase(),
            labels,
            icon_url: fields.icon_url,
        };
        if errors.is_empty() {
            Ok(integration)
        } else {
            Err(errors)
        }
    }
}

/// Whether a version may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionState {
    /// May be replaced; not offered to customers.
    Draft,
    /// Immutable; may be listed.
    Published,
}

/// A version of an integration: its config spec and flows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationVersion {
    /// The semantic version.
    pub version: Version,
    /// Draft or published.
    pub state: VersionState,
    /// The config spec.
    pub config: CompiledSpec,
    /// The flows.
    #[serde(default)]
    pub flows: Vec<Flow>,
    /// The mapping collections.
    #[serde(default)]
    pub collections: Vec<Collection>,
    /// Once published: frozen copies of the record types its collections use (a draft reads
    /// the organization's current ones).
    #[serde(default)]
    pub record_types: Vec<RecordType>,
}

/// The schema a collection's output is checked against: its record type's (`to`) or its
/// `foreign_schema` (`from`); `None` when unknown (then unchecked).
pub fn collection_target<'a>(
    collection: &'a Collection,
    record_types: &'a [RecordType],
) -> Option<&'a Value> {
    match collection.direction {
        Direction::To => record_types
            .iter()
            .find(|t| t.name == collection.record_type)
            .map(|t| &t.schema),
        Direction::From => collection.foreign_schema.as_ref(),
    }
}

/// What is known of the versions an integration already has, for the order rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    /// The version.
    pub version: Version,
    /// Its state.
    pub state: VersionState,
}

impl IntegrationVersion {
    /// Whether instances may run this version (activate on it, upgrade to it): only published
    /// versions run; a draft is `invalid` at `/version`.
    pub fn check_runnable(&self) -> Result<(), FieldError> {
        match self.state {
            VersionState::Published => Ok(()),
            VersionState::Draft => Err(FieldError::new(
                "/version",
                Code::Invalid,
                "only published versions can be run",
            )),
        }
    }

    /// Parses a version body `{version, config, flows, collections}` as a new draft, checking
    /// everything at once (paths into the body: `/version`, `/config/pages/0/elements/1/key`,
    /// `/flows/0/deliver/url`, `/collections/0/mappings/2/to`); collections are checked against
    /// the organization's `record_types`.
    ///
    /// A version that already exists is reported as `duplicate` at `/version` (a conflict for the
    /// service); one not greater than every published version as `version_order`.
    pub fn parse_draft(
        body: &Value,
        existing: &[VersionSummary],
        record_types: &[RecordType],
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let version = parse_semver(body.get("version"), &mut errors);
        if let Some(version) = &version {
            if existing.iter().any(|e| &e.version == version) {
                errors.push(FieldError::new(
                    "/version",
                    Code::Duplicate,
                    format!("version {version} already exists"),
                ));
            } else if let Some(e) = order_error(version, existing) {
                errors.push(e);
            }
        }
        let (config, flows, collections) = parse_contents(body, record_types, &mut errors);
        for name in body.as_object().into_iter().flat_map(|o| o.keys()) {
            if !["version", "config", "flows", "collections"].contains(&name.as_str()) {
                errors.push(FieldError::new(
                    crate::pointer::push("", name),
                    Code::UnknownKey,
                    "a version has version, config, flows and collections",
                ));
            }
        }
        match (version, config, errors.is_empty()) {
            (Some(version), Some(config), true) => Ok(IntegrationVersion {
                version,
                state: VersionState::Draft,
                config,
                flows: flows.unwrap_or_default(),
                collections,
                record_types: Vec::new(),
            }),
            _ => Err(errors),
        }
    }

    /// Replaces a draft's contents with a new body `{config, flows, collections}` (a `version`
    /// in the body must match). A published version is immutable.
    pub fn replace_draft(
        &self,
        body: &Value,
        record_types: &[RecordType],
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.state == VersionState::Published {
            errors.push(FieldError::new(
                "",
                Code::Immutable,
                format!("version {} is published and cannot change", self.version),
            ));
            return Err(errors);
        }
        if let Some(v) = body.get("version")
            && parse_semver(Some(v), &mut errors).is_some_and(|v| v != self.version)
        {
            errors.push(FieldError::new(
                "/version",
                Code::Invalid,
                "the body's version differs from the path's",
            ));
        }
        let (config, flows, collections) = parse_contents(body, record_types, &mut errors);
        match (config, errors.is_empty()) {
            (Some(config), true) => Ok(IntegrationVersion {
                version: self.version.clone(),
                state: VersionState::Draft,
                config,
                flows: flows.unwrap_or_default(),
                collections,
                record_types: Vec::new(),
            }),
            _ => Err(errors),
        }
    }

    /// Publishes a draft: it must be greater than every published version. The record types
    /// its collections use are frozen from the organization's `record_types`.
    pub fn publish(
        &self,
        existing: &[VersionSummary],
        record_types: &[RecordType],
    ) -> Result<Self, FieldError> {
        if self.state == VersionState::Published {
            return Err(FieldError::new(
                "",
                Code::Immutable,
                format!("version {} is already published", self.version),
            ));
        }
        if let Some(e) = order_error(&self.version, existing) {
            return Err(e);
        }
        let frozen = record_types
            .iter()
            .filter(|t| self.collections.iter().any(|c| c.record_type == t.name))
            .cloned()
            .collect();
        Ok(IntegrationVersion {
            state: VersionState::Published,
            record_types: frozen,
            ..self.clone()
        })
    }

    /// The collection of that name.
    pub fn collection(&self, name: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.name == name)
    }

    /// Whether a flow's `map` names the collection.
    pub fn collection_in_use(&self, name: &str) -> bool {
        self.flows.iter().any(|f| f.map.collection() == Some(name))
    }

    /// The summary used by the order rules.
    pub fn summary(&self) -> VersionSummary {
        VersionSummary {
            version: self.version.clone(),
            state: self.state,
        }
    }
}

fn parse_semver(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Version> {
    match value {
        None => {
            errors.push(FieldError::new(
                "/version",
                Code::Required,
                "a version such as 1.2.0 is required",
            ));
            None
        }
        Some(Value::String(s)) => match Version::parse(s) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.push(FieldError::new(
                    "/version",
                    Code::InvalidVersion,
                    format!("not a semantic version: {e}"),
                ));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(
                "/version",
                Code::Type,
                "expected a string such as 1.2.0",
            ));
            None
        }
    }
}

fn order_error(version: &Version, existing: &[VersionSummary]) -> Option<FieldError> {
    let latest = existing
        .iter()
        .filter(|e| e.state == VersionState::Published && &e.version != version)
        .map(|e| &e.version)
        .max()?;
    (version <= latest).then(|| {
        FieldError::new(
            "/version",
            Code::VersionOrder,
            format!("must be greater than every published version (latest: {latest})"),
        )
    })
}

/// The contents of a version body: its spec, flows and collections, every problem reported.
fn parse_contents(
    body: &Value,
    record_types: &[RecordType],
    errors: &mut Vec<FieldError>,
) -> (Option<CompiledSpec>, Option<Vec<Flow>>, Vec<Collection>) {
    if !body.is_object() {
        errors.push(FieldError::new(
            "",
            Code::Type,
            "a version body must be an object",
        ));
        return (None, None, Vec::new());
    }
    let config = match body.get("config") {
        None => {
            errors.push(FieldError::new(
                "/config",
                Code::Required,
                "a config spec is required",
            ));
            None
        }
        Some(spec) => match CompiledSpec::parse(spec) {
            Ok(spec) => Some(spec),
            Err(e) => {
                errors.extend(prefix_all(e, "/config"));
                None
            }
        },
    };
    let collections = parse_collections(body.get("collections"), record_types, errors);
    let flows = match (body.get("flows"), &config) {
        (None, _) => Some(Vec::new()),
        (Some(flows), Some(spec)) => match parse_flows(flows, spec.spec()) {
            Ok(flows) => {
                let names: Vec<&str> = body
                    .get("collections")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|c| c.get("name").and_then(Value::as_str))
                    .collect();
                let unknown = check_collections(&flows, &names);
                if unknown.is_empty() {
                    Some(flows)
                } else {
                    errors.extend(prefix_all(unknown, "/flows"));
                    None
                }
            }
            Err(e) => {
                errors.extend(prefix_all(e, "/flows"));
                None
            }
        },
        // Flows name variables of the spec: without a valid spec they cannot be checked yet.
        (Some(_), None) => None,
    };
    (config, flows, collections)
}

/// A version body's `collections`: each checked against the record types, names unique.
fn parse_collections(
    value: Option<&Value>,
    record_types: &[RecordType],
    errors: &mut Vec<FieldError>,
) -> Vec<Collection> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        errors.push(FieldError::new(
            "/collections",
            Code::Type,
            "collections must be an array",
        ));
        return Vec::new();
    };
    let mut collections: Vec<Collection> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = crate::pointer::push_index("/collections", i);
        match validate_collection(item, record_types) {
            Ok(collection) if collections.iter().any(|c| c.name == collection.name) => {
                errors.push(FieldError::new(
                    crate::pointer::push(&path, "name"),
                    Code::Duplicate,
                    format!("the collection name `{}` is used twice", collection.name),
                ));
            }
            Ok(collection) => collections.push(collection),
            Err(e) => errors.extend(prefix_all(e, &path)),
        }
    }
    collections
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn summary(v: &str, state: VersionState) -> VersionSummary {
        VersionSummary {
            version: Version::parse(v).unwrap(),
            state,
        }
    }

    fn body(version: &str) -> Value {
        json!({"version": version, "config": {"pages": [{"title": "P", "elements": [
            {"key": "endpoint", "label": "Endpoint", "type": "url", "required": true}]}]},
            "flows": [{"name": "orders", "trigger": "webhook", "deliver": {"url": "endpoint"}}]})
    }

    #[test]
    fn drafts_publish_in_order() {
        let existing = vec![
            summary("1.0.0", VersionState::Published),
            summary("1.2.0", VersionState::Draft),
        ];
        let v = IntegrationVersion::parse_draft(&body("1.1.0"), &existing, &[]).unwrap();
        assert_eq!(v.state, VersionState::Draft);
        let published = v.publish(&existing, &[]).unwrap();
        assert_eq!(published.state, VersionState::Published);
        assert_eq!(
            published.replace_draft(&body("1.1.0"), &[]).unwrap_err()[0].code,
            Code::Immutable
        );
        let existing = vec![summary("1.3.0", VersionState::Published)];
        assert_eq!(
            v.publish(&existing, &[]).unwrap_err().code,
            Code::VersionOrder
        );
    }

    #[test]
    fn version_problems_join_spec_problems() {
        let existing = vec![
            summary("2.0.0", VersionState::Published),
            summary("1.0.0", VersionState::Draft),
        ];
        let mut b = body("1.5.0");
        b["config"]["pages"][0]["elements"][0]["key"] = json!("Bad");
        let errors = IntegrationVersion::parse_draft(&b, &existing, &[]).unwrap_err();
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            vec![
                ("/version", Code::VersionOrder),
                ("/config/pages/0/elements/0/key", Code::InvalidKey)
            ]
        );
        let errors = IntegrationVersion::parse_draft(&body("1.0.0"), &existing, &[]).unwrap_err();
        assert_eq!(errors[0].code, Code::Duplicate);
        let errors = IntegrationVersion::parse_draft(&body("one"), &existing, &[]).unwrap_err();
        assert_eq!(errors[0].code, Code::InvalidVersion);
    }

    #[test]
    fn flows_are_checked_against_the_spec() {
        let mut b = body("1.0.0");
        b["flows"][0]["deliver"]["url"] = json!("nowhere");
        let errors = IntegrationVersion::parse_draft(&b, &[], &[]).unwrap_err();
        assert_eq!(errors[0].path, "/flows/0/deliver/url");
        let mut b = body("1.0.0");
        b["flows"][0]["map"] = json!({"collection": "contacts"});
        let errors = IntegrationVersion::parse_draft(&b, &[], &[]).unwrap_err();
        assert_eq!(
            (errors[0].path.as_str(), errors[0].code),
            ("/flows/0/map/collection", Code::InvalidReference)
        );
        b["collections"] = json!("none");
        let errors = IntegrationVersion::parse_draft(&b, &[], &[]).unwrap_err();
        assert_eq!(
            (errors[0].path.as_str(), errors[0].code),
            ("/collections", Code::Type)
        );
    }

    #[test]
    fn publishing_freezes_the_record_types_used() {
        let record_type = |name: &str| RecordType {
            name: name.into(),
            description: String::new(),
            schema: json!({"type": "object"}),
        };
        let mut draft = IntegrationVersion::parse_draft(&body("1.0.0"), &[], &[]).unwrap();
        draft.collections.push(Collection {
            name: "contacts".into(),
            record_type: "contact".into(),
            direction: Direction::To,
            foreign_schema: None,
            notes: String::new(),
            mappings: Vec::new(),
            tests: Vec::new(),
        });
        let published = draft
            .publish(&[], &[record_type("account"), record_type("contact")])
            .unwrap();
        let frozen: Vec<&str> = published
            .record_types
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        assert_eq!(frozen, ["contact"]);
        let contacts = published.collection("contacts").unwrap();
        assert_eq!(
            collection_target(contacts, &published.record_types),
            Some(&json!({"type": "object"}))
        );
        assert!(!published.collection_in_use("contacts"));
    }

    #[test]
    fn integration_fields_are_checked_and_normalized() {
        let fields = IntegrationFields {
            name: " Salesforce ".into(),
            category: "CRM".into(),
            labels: vec!["Sales".into(), "sales".into()],
            ..Default::default()
        };
        let i = Integration::new("i1".into(), fields).unwrap();
        assert_eq!(
            (i.name.as_str(), i.category.as_str(), i.labels.clone()),
            ("Salesforce", "crm", vec!["sales".to_string()])
        );
        let bad = IntegrationFields {
            icon_url: Some("nope".into()),
            ..Default::default()
        };
        let errors = Integration::new("i2".into(), bad).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.path.as_str()).collect::<Vec<_>>(),
            vec!["/name", "/icon_url"]
        );
    }

    #[test]
    fn only_published_versions_run() {
        let mut version = IntegrationVersion::parse_draft(&body("1.0.0"), &[], &[]).unwrap();
        assert_eq!(version.state, VersionState::Draft);
        let error = version.check_runnable().unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.code, error.message.as_str()),
            (
                "/version",
                Code::Invalid,
                "only published versions can be run"
            )
        );
        version.state = VersionState::Published;
        assert_eq!(version.check_runnable(), Ok(()));
    }
}
