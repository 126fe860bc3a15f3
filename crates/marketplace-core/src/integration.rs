//! Integrations and their versions: semver, drafts, publishing, immutability and order.

use crate::certification::{Application, SupportedApplication};
use crate::compiled::CompiledSpec;
use crate::customer::normalize_labels;
use crate::error::{FieldError, FieldErrorCode as Code, prefix_all};
use crate::flow::{Flow, Trigger, check_collections, parse_flows};
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

    /// Parses a version body `{version, config, flows, collections}` as a new draft (its
    /// [`VersionDocument`] fields are read by [`VersionDocument::parse`]), checking
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
            if !VERSION_KEYS.contains(&name.as_str()) {
                errors.push(FieldError::new(
                    crate::pointer::push("", name),
                    Code::UnknownKey,
                    format!("a version has {}", VERSION_KEYS.join(", ")),
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

/// The keys of a version body.
const VERSION_KEYS: [&str; 7] = [
    "version",
    "config",
    "flows",
    "collections",
    "applications",
    "documentation",
    "connection_test",
];

/// What a version's document says for certification, beside its config, flows and
/// collections: the application versions it supports (editable after publication), its
/// documentation, and the `manual` flow that tests the connection to the third party.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDocument {
    /// Supported application versions.
    #[serde(default)]
    pub applications: Vec<SupportedApplication>,
    /// Documentation (markdown: features, workflows).
    #[serde(default)]
    pub documentation: String,
    /// The name of a `manual` flow of the version that reaches the third party.
    #[serde(default)]
    pub connection_test: Option<String>,
}

impl VersionDocument {
    /// Reads `applications`, `documentation` and `connection_test` of a version body, every
    /// problem at once: shapes (`/applications/0/versions/1` `type`), duplicates, and a
    /// `connection_test` naming a `manual` flow of `flows` (else `/connection_test`
    /// `invalid_reference`; not checked when `flows` is `None`, i.e. they did not parse).
    /// Whether the applications exist is [`check_supported`]'s.
    pub fn parse(body: &Value, flows: Option<&[Flow]>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let applications = match body.get("applications") {
            None | Some(Value::Null) => Vec::new(),
            Some(value) => match parse_supported(value) {
                Ok(applications) => applications,
                Err(e) => {
                    errors.extend(prefix_all(e, "/applications"));
                    Vec::new()
                }
            },
        };
        let documentation = match body.get("documentation") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(_) => {
                errors.push(FieldError::new(
                    "/documentation",
                    Code::Type,
                    "documentation is markdown text",
                ));
                String::new()
            }
        };
        let connection_test = match body.get("connection_test") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => {
                let manual = flows.is_none_or(|flows| {
                    flows
                        .iter()
                        .any(|f| &f.name == name && f.trigger == Trigger::Manual)
                });
                if !manual {
                    errors.push(FieldError::new(
                        "/connection_test",
                        Code::InvalidReference,
                        format!("the version has no manual flow named `{name}`"),
                    ));
                }
                Some(name.clone())
            }
            Some(_) => {
                errors.push(FieldError::new(
                    "/connection_test",
                    Code::Type,
                    "the name of a manual flow",
                ));
                None
            }
        };
        if errors.is_empty() {
            Ok(VersionDocument {
                applications,
                documentation,
                connection_test,
            })
        } else {
            Err(errors)
        }
    }
}

/// Reads a list of supported applications `[{application_id, versions: [name]}]` (paths
/// relative to the list: `/0/versions/1`); an application or a version named twice is a
/// `duplicate`. Whether they exist is [`check_supported`]'s.
pub fn parse_supported(value: &Value) -> Result<Vec<SupportedApplication>, Vec<FieldError>> {
    let Some(items) = value.as_array() else {
        return Err(vec![FieldError::new(
            "",
            Code::Type,
            "a list of {application_id, versions}",
        )]);
    };
    let mut errors = Vec::new();
    let mut supported: Vec<SupportedApplication> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = crate::pointer::push_index("", i);
        let Some(object) = item.as_object() else {
            errors.push(FieldError::new(
                at,
                Code::Type,
                "an object {application_id, versions}",
            ));
            continue;
        };
        for key in object.keys() {
            if key != "application_id" && key != "versions" {
                errors.push(FieldError::new(
                    crate::pointer::push(&at, key),
                    Code::UnknownKey,
                    "a supported application has application_id and versions",
                ));
            }
        }
        let id = match object.get("application_id") {
            Some(Value::String(id))
                if supported.iter().any(|s| s.application_id.as_str() == id) =>
            {
                errors.push(FieldError::new(
                    format!("{at}/application_id"),
                    Code::Duplicate,
                    "this application is already listed",
                ));
                None
            }
            Some(Value::String(id)) => Some(id.clone()),
            None => {
                errors.push(FieldError::new(
                    format!("{at}/application_id"),
                    Code::Required,
                    "the application's id is required",
                ));
                None
            }
            Some(_) => {
                errors.push(FieldError::new(
                    format!("{at}/application_id"),
                    Code::Type,
                    "an application id (app_...)",
                ));
                None
            }
        };
        let mut versions: Vec<String> = Vec::new();
        match object.get("versions") {
            Some(Value::Array(names)) => {
                for (j, name) in names.iter().enumerate() {
                    let path = crate::pointer::push_index(&format!("{at}/versions"), j);
                    match name.as_str() {
                        Some(name) if versions.iter().any(|v| v == name) => {
                            errors.push(FieldError::new(
                                path,
                                Code::Duplicate,
                                "this version is already listed",
                            ))
                        }
                        Some(name) => versions.push(name.to_owned()),
                        None => errors.push(FieldError::new(path, Code::Type, "a version name")),
                    }
                }
            }
            None => errors.push(FieldError::new(
                format!("{at}/versions"),
                Code::Required,
                "the supported version names are required",
            )),
            Some(_) => errors.push(FieldError::new(
                format!("{at}/versions"),
                Code::Type,
                "a list of version names",
            )),
        }
        if let Some(id) = id {
            supported.push(SupportedApplication {
                application_id: id.into(),
                versions,
            });
        }
    }
    if errors.is_empty() {
        Ok(supported)
    } else {
        Err(errors)
    }
}

/// Checks supported applications against the registered ones, every problem at once (paths
/// relative to the list): an unknown application is `invalid_reference` at `/0/application_id`,
/// an unknown version of it at `/0/versions/1`.
pub fn check_supported(
    supported: &[SupportedApplication],
    registered: &[Application],
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, declared) in supported.iter().enumerate() {
        let Some(application) = registered.iter().find(|a| a.id == declared.application_id) else {
            errors.push(FieldError::new(
                format!("/{i}/application_id"),
                Code::InvalidReference,
                format!("no application `{}`", declared.application_id.as_str()),
            ));
            continue;
        };
        for (j, name) in declared.versions.iter().enumerate() {
            if !application.versions.iter().any(|v| &v.name == name) {
                errors.push(FieldError::new(
                    format!("/{i}/versions/{j}"),
                    Code::InvalidReference,
                    format!("{} has no version `{name}`", application.name),
                ));
            }
        }
    }
    errors
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
        Some(raw) => match CompiledSpec::parse(raw) {
            Ok(spec) => {
                let references = crate::connection::check_app_references(spec.spec(), raw);
                errors.extend(prefix_all(references, "/config"));
                Some(spec)
            }
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

    #[test]
    fn version_documents_name_a_manual_flow() {
        let mut b = body("1.0.0");
        b["flows"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "ping", "trigger": "manual"}));
        b["documentation"] = json!("# Orders");
        b["applications"] = json!([{"application_id": "app_1", "versions": ["2024.1"]}]);
        b["connection_test"] = json!("ping");
        let draft = IntegrationVersion::parse_draft(&b, &[], &[]).unwrap();
        let document = VersionDocument::parse(&b, Some(&draft.flows)).unwrap();
        assert_eq!(document.connection_test.as_deref(), Some("ping"));
        assert_eq!(document.documentation, "# Orders");
        assert_eq!(document.applications[0].versions, ["2024.1"]);

        // A webhook flow, or no flow of that name, does not test a connection.
        for name in ["orders", "nope"] {
            b["connection_test"] = json!(name);
            let errors = VersionDocument::parse(&b, Some(&draft.flows)).unwrap_err();
            assert_eq!(errors[0].path, "/connection_test");
            assert_eq!(errors[0].code, Code::InvalidReference);
        }
        // Flows that did not parse are not a reason to refuse the name.
        assert!(VersionDocument::parse(&b, None).is_ok());
        assert_eq!(
            VersionDocument::parse(&json!({}), Some(&[])).unwrap(),
            VersionDocument::default()
        );
        let errors = VersionDocument::parse(
            &json!({"documentation": 1, "connection_test": [], "applications": {}}),
            Some(&[]),
        )
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            ["/applications", "/documentation", "/connection_test"]
        );
    }

    #[test]
    fn supported_applications_are_checked_every_one() {
        let errors = parse_supported(&json!([
            {"application_id": "app_1", "versions": ["1", "1", 2]},
            {"application_id": "app_1", "versions": []},
            {"versions": "all", "extra": true}
        ]))
        .unwrap_err();
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("/0/versions/1", Code::Duplicate),
                ("/0/versions/2", Code::Type),
                ("/1/application_id", Code::Duplicate),
                ("/2/extra", Code::UnknownKey),
                ("/2/application_id", Code::Required),
                ("/2/versions", Code::Type),
            ]
        );

        let registered = [Application {
            id: "app_1".into(),
            provider_id: "prv_1".into(),
            name: "Shop".into(),
            product_url: None,
            logo_url: None,
            versions: vec![crate::certification::ApplicationVersion {
                name: "2024.1".into(),
                released_on: "2024-01-15".into(),
            }],
        }];
        let supported = parse_supported(&json!([
            {"application_id": "app_1", "versions": ["2024.1", "2025.1"]},
            {"application_id": "app_2", "versions": ["1"]}
        ]))
        .unwrap();
        let errors = check_supported(&supported, &registered);
        let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            got,
            [
                ("/0/versions/1", Code::InvalidReference),
                ("/1/application_id", Code::InvalidReference),
            ]
        );
        assert!(
            check_supported(
                &supported[..1]
                    .iter()
                    .map(|s| SupportedApplication {
                        versions: vec!["2024.1".into()],
                        ..s.clone()
                    })
                    .collect::<Vec<_>>(),
                &registered
            )
            .is_empty()
        );
    }
}
