//! Customers (the vendor's customers), their users and roles.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::ids::{CustomerId, UserId};
use crate::pointer;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// Longest external id accepted.
pub const MAX_EXTERNAL_ID_LEN: usize = 255;

/// A customer of the vendor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// The service's id.
    pub id: CustomerId,
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The host app's id of this customer, unique in the organization.
    pub external_id: String,
    /// Labels, lower-cased and de-duplicated.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
}

/// The editable fields of a customer, as a create body carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerFields {
    /// Display name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The host app's id of this customer.
    pub external_id: String,
    /// Labels (normalized on the way in).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
}

impl Customer {
    /// Builds a customer from its fields, checking and normalizing them (every problem at once).
    pub fn new(id: CustomerId, fields: CustomerFields) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = fields.name.trim().to_owned();
        if name.is_empty() {
            errors.push(FieldError::new(
                "/name",
                Code::Required,
                "a name is required",
            ));
        }
        if let Err(e) = check_external_id(&fields.external_id) {
            errors.push(e);
        }
        if fields
            .avatar_url
            .as_deref()
            .is_some_and(|u| !crate::formats::is_url(u))
        {
            errors.push(FieldError::new(
                "/avatar_url",
                Code::Format,
                "must be an absolute http(s) URL",
            ));
        }
        let labels = normalize_labels(&fields.labels, "/labels", &mut errors);
        let customer = Customer {
            id,
            name,
            description: fields.description,
            external_id: fields.external_id,
            labels,
            avatar_url: fields.avatar_url,
        };
        if errors.is_empty() {
            Ok(customer)
        } else {
            Err(errors)
        }
    }

    /// Whether the customer matches a case-insensitive text search (name, description, external
    /// id, labels) and, when given, carries the label.
    pub fn matches(&self, text: Option<&str>, label: Option<&str>) -> bool {
        let label_ok = label.is_none_or(|l| {
            let l = l.trim().to_lowercase();
            self.labels.contains(&l)
        });
        let text_ok = text.is_none_or(|t| {
            let needle = t.to_lowercase();
            contains_ci(&self.name, &needle)
                || contains_ci(&self.description, &needle)
                || contains_ci(&self.external_id, &needle)
                || self.labels.iter().any(|l| l.contains(&needle))
        });
        label_ok && text_ok
    }

    /// Whether deleting may proceed: the confirmation must equal the customer's name.
    pub fn confirms_deletion(&self, confirm_name: &str) -> bool {
        confirm_name == self.name
    }
}

/// Case-insensitive substring test; `needle` is already lower-cased.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(needle)
}

/// Checks an external id: 1 to 255 characters, no control characters, no surrounding spaces.
pub fn check_external_id(external_id: &str) -> Result<(), FieldError> {
    let path = "/external_id";
    if external_id.is_empty() {
        return Err(FieldError::new(
            path,
            Code::Required,
            "an external id is required",
        ));
    }
    if external_id.chars().count() > MAX_EXTERNAL_ID_LEN {
        return Err(FieldError::new(
            path,
            Code::MaxLength,
            format!("must be at most {MAX_EXTERNAL_ID_LEN} characters long"),
        ));
    }
    if external_id.trim() != external_id || external_id.chars().any(char::is_control) {
        return Err(FieldError::new(
            path,
            Code::Format,
            "must not hold control characters or surrounding spaces",
        ));
    }
    Ok(())
}

/// Lower-cases, trims and de-duplicates labels, keeping first-seen order; empty labels are errors.
pub fn normalize_labels(
    labels: &[String],
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (i, label) in labels.iter().enumerate() {
        let label = label.trim().to_lowercase();
        if label.is_empty() {
            errors.push(FieldError::new(
                pointer::push_index(path, i),
                Code::Empty,
                "labels must not be empty",
            ));
        } else if seen.insert(label.clone()) {
            out.push(label);
        }
    }
    out
}

/// A customer user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May activate and configure.
    #[default]
    Admin,
    /// Read only.
    Viewer,
}

impl Role {
    /// The wire name (`admin`, `viewer`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Viewer => "viewer",
        }
    }
}

/// A user of a customer, known from a token's `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerUser {
    /// The host app's user id (`sub`).
    pub id: UserId,
    /// The customer the user belongs to.
    pub customer_id: CustomerId,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: Option<String>,
    /// Role last seen.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> CustomerFields {
        CustomerFields {
            name: "Acme Corp".into(),
            description: "Rockets".into(),
            external_id: "acme-42".into(),
            labels: vec!["Gold".into(), " gold ".into(), "EU".into()],
            avatar_url: None,
        }
    }

    #[test]
    fn labels_are_lower_cased_and_deduplicated() {
        let c = Customer::new("c1".into(), fields()).unwrap();
        assert_eq!(c.labels, vec!["gold", "eu"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let f = CustomerFields {
            name: " ".into(),
            external_id: " x".into(),
            labels: vec!["".into()],
            ..fields()
        };
        let errors = Customer::new("c1".into(), f).unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, vec!["/name", "/external_id", "/labels/0"]);
        assert_eq!(
            check_external_id(&"x".repeat(256)).unwrap_err().code,
            Code::MaxLength
        );
        assert_eq!(check_external_id("").unwrap_err().code, Code::Required);
    }

    #[test]
    fn search_is_case_insensitive_over_every_field() {
        let c = Customer::new("c1".into(), fields()).unwrap();
        let table = [
            (Some("ACME"), None, true),
            (Some("rock"), None, true),
            (Some("42"), None, true),
            (Some("GOL"), None, true),
            (Some("zzz"), None, false),
            (None, Some("Gold"), true),
            (None, Some("silver"), false),
            (Some("acme"), Some("eu"), true),
        ];
        for (text, label, expected) in table {
            assert_eq!(c.matches(text, label), expected, "{text:?} {label:?}");
        }
        assert!(c.confirms_deletion("Acme Corp") && !c.confirms_deletion("acme corp"));
    }
}
