//! What an admin API key may do, by its role, and who may decide what someone filed.
//!
//! An `admin` key does everything. A `reviewer` key reads like an admin and may only decide
//! (workflow templates now; certification requests and disputes use the same rule): every other
//! write is refused (403 `forbidden_role`). Nobody decides what they filed (403 `self_review`).

use serde::{Deserialize, Serialize};

/// The role of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyRole {
    /// Everything the admin API offers.
    #[default]
    Admin,
    /// Reads, and decisions on what others filed.
    Reviewer,
}

impl ApiKeyRole {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Reviewer => "reviewer",
        }
    }

    /// The role with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "admin" => Some(Self::Admin),
            "reviewer" => Some(Self::Reviewer),
            _ => None,
        }
    }
}

/// What a request with an API key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAccess {
    /// Reads (GET, HEAD).
    Read,
    /// Any other change.
    Write,
    /// A decision on something filed for review (a template, a certification request, a dispute).
    Decide,
}

/// Whether a key of that role may do that (`false`: 403 `forbidden_role`).
pub fn allows(role: ApiKeyRole, access: KeyAccess) -> bool {
    match role {
        ApiKeyRole::Admin => true,
        ApiKeyRole::Reviewer => access != KeyAccess::Write,
    }
}

/// Who filed something for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmitterKind {
    /// The organization itself, with an API key (the id is the key's id).
    Organization,
    /// A partner of the marketplace (the id is the partner's id).
    Partner,
}

impl SubmitterKind {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organization => "organization",
            Self::Partner => "partner",
        }
    }

    /// The kind with that name; `None` for any other text.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "organization" => Some(Self::Organization),
            "partner" => Some(Self::Partner),
            _ => None,
        }
    }
}

/// Who filed something: its kind and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Submitter {
    /// Organization (an API key) or partner.
    pub kind: SubmitterKind,
    /// The API key id, or the partner id.
    pub id: String,
}

/// Whether the API key `decider_key_id` may decide what `submitter` filed: any admin or
/// reviewer key, except the key that filed it (`false`: 403 `self_review`).
pub fn may_decide(decider_key_id: &str, submitter: &Submitter) -> bool {
    !(submitter.kind == SubmitterKind::Organization && submitter.id == decider_key_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ApiKeyRole::*;
    use KeyAccess::*;

    #[test]
    fn roles_table() {
        // role, access, allowed
        let table = [
            (Admin, Read, true),
            (Admin, Write, true),
            (Admin, Decide, true),
            (Reviewer, Read, true),
            (Reviewer, Write, false),
            (Reviewer, Decide, true),
        ];
        for (role, access, allowed) in table {
            assert_eq!(allows(role, access), allowed, "{role:?} {access:?}");
        }
    }

    #[test]
    fn nobody_decides_what_they_filed() {
        let by_key = |id: &str| Submitter {
            kind: SubmitterKind::Organization,
            id: id.into(),
        };
        let by_partner = Submitter {
            kind: SubmitterKind::Partner,
            id: "key_1".into(),
        };
        // decider, submitter, allowed
        let table = [
            ("key_1", by_key("key_1"), false),
            ("key_2", by_key("key_1"), true),
            ("key_1", by_partner.clone(), true),
            ("key_2", by_partner, true),
        ];
        for (decider, submitter, allowed) in table {
            assert_eq!(
                may_decide(decider, &submitter),
                allowed,
                "{decider} {submitter:?}"
            );
        }
    }

    #[test]
    fn names_round_trip() {
        for role in [Admin, Reviewer] {
            assert_eq!(ApiKeyRole::from_name(role.as_str()), Some(role));
        }
        assert_eq!(ApiKeyRole::from_name("owner"), None);
        for kind in [SubmitterKind::Organization, SubmitterKind::Partner] {
            assert_eq!(SubmitterKind::from_name(kind.as_str()), Some(kind));
        }
        assert_eq!(SubmitterKind::from_name("customer"), None);
    }
}
