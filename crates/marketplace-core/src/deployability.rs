//! Deployability: may this customer activate this listing, and if not, why.

use crate::integration::{IntegrationVersion, VersionState};
use crate::listing::Listing;
use crate::spec::Visibility;
use crate::values::Editor;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// The answer a customer sees on a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeployabilityStatus {
    /// The customer may activate it.
    Deployable,
    /// The vendor must act first (settings, or activation on the customer's behalf).
    ContactVendor,
    /// It cannot be activated.
    NotDeployable,
}

/// Why a listing is not deployable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// The listing is not customer-deployable: the vendor activates it.
    ListingNotCustomerDeployable,
    /// A required variable the customer cannot set has no default and no vendor-set value.
    MissingDefault,
    /// The customer already has an instance and multiple instances are not allowed.
    InstanceExists,
    /// The listed version is not published.
    VersionNotPublished,
    /// The version's certification tier is below the marketplace's minimum.
    TierBelowMinimum,
}

impl ReasonCode {
    /// The status this reason leads to.
    pub fn status(self) -> DeployabilityStatus {
        match self {
            Self::ListingNotCustomerDeployable | Self::MissingDefault => {
                DeployabilityStatus::ContactVendor
            }
            Self::InstanceExists | Self::VersionNotPublished | Self::TierBelowMinimum => {
                DeployabilityStatus::NotDeployable
            }
        }
    }

    /// Whether the reason is a conflict with existing state (409) rather than a refusal (403).
    pub fn is_conflict(self) -> bool {
        self == Self::InstanceExists
    }

    fn message(self) -> &'static str {
        match self {
            Self::ListingNotCustomerDeployable => {
                "this integration is activated by the vendor; contact them to enable it"
            }
            Self::MissingDefault => {
                "this integration needs settings from the vendor before it can be activated"
            }
            Self::InstanceExists => "an instance of this integration already exists",
            Self::VersionNotPublished => "the listed version is not published",
            Self::TierBelowMinimum => {
                "this integration's certification tier is below the marketplace's minimum"
            }
        }
    }
}

/// One reason, with what the vendor must fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployabilityReason {
    /// Stable code.
    pub code: ReasonCode,
    /// Human-readable explanation.
    pub message: Cow<'static, str>,
    /// For `missing_default`: the variables lacking a value (for the vendor's eyes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<String>,
}

/// Deployability of a listing for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployability {
    /// The answer.
    pub status: DeployabilityStatus,
    /// Every reason, empty when deployable.
    pub reasons: Vec<DeployabilityReason>,
}

impl Deployability {
    /// Whether the customer may activate.
    pub fn is_deployable(&self) -> bool {
        self.status == DeployabilityStatus::Deployable
    }

    /// Whether the refusal is a conflict (409) rather than forbidden (403).
    pub fn is_conflict(&self) -> bool {
        self.status == DeployabilityStatus::NotDeployable
            && self.reasons.iter().any(|r| r.code.is_conflict())
    }

    /// The same answer without vendor-only details, for customers' eyes.
    pub fn for_customer(&self) -> Deployability {
        self.clone().into_customer()
    }

    /// [`Self::for_customer`], consuming the answer.
    pub fn into_customer(mut self) -> Deployability {
        for reason in &mut self.reasons {
            reason.variables = Vec::new();
        }
        self
    }

    /// The answer for whoever activates: the organization may activate what customers may not
    /// (a listing that is not customer-deployable; it sets missing values itself), so those
    /// reasons go and the status follows the rest; any other editor gets [`Self::for_customer`].
    pub fn for_editor(self, editor: Editor) -> Deployability {
        match editor {
            Editor::Organization => {
                let reasons: Vec<DeployabilityReason> = self
                    .reasons
                    .into_iter()
                    .filter(|r| {
                        !matches!(
                            r.code,
                            ReasonCode::ListingNotCustomerDeployable | ReasonCode::MissingDefault
                        )
                    })
                    .collect();
                Deployability {
                    status: status_of(&reasons),
                    reasons,
                }
            }
            Editor::Customer | Editor::Embedded => self.into_customer(),
        }
    }

    /// Whether an activation is refused (any reason at all); see [`Self::is_conflict`] for which
    /// refusal it is.
    pub fn refuses(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// The status that a set of reasons leads to: the worst of theirs, deployable when none.
fn status_of(reasons: &[DeployabilityReason]) -> DeployabilityStatus {
    if reasons
        .iter()
        .any(|r| r.code.status() == DeployabilityStatus::NotDeployable)
    {
        DeployabilityStatus::NotDeployable
    } else if reasons.is_empty() {
        DeployabilityStatus::Deployable
    } else {
        DeployabilityStatus::ContactVendor
    }
}

/// What deployability looks at.
#[derive(Debug, Clone, Copy)]
pub struct DeployabilityInput<'a> {
    /// The listing.
    pub listing: &'a Listing,
    /// The listed version.
    pub version: &'a IntegrationVersion,
    /// The customer's instances of this integration whose status
    /// [`counts_as_existing`](crate::InstanceStatus::counts_as_existing).
    pub live_instances: usize,
    /// Values the vendor set for this customer and integration (organization and embedded variables).
    pub vendor_values: Option<&'a Map<String, Value>>,
    /// Values of embedded variables from the host's token.
    pub embedded_values: Option<&'a Map<String, Value>>,
    /// The listed version's certification tier (null: below compatible).
    pub tier: Option<crate::certification::Tier>,
    /// The marketplace's minimum tier (null: any); below it the answer is `not_deployable`
    /// with reason `tier_below_minimum`.
    pub min_tier: Option<crate::certification::Tier>,
}

/// Whether the customer's live instances of the listing decide its deployability (a listing
/// without multiple instances refuses a second one): only then must an activation count them
/// again where no other activation can interleave.
pub fn limits_live_instances(listing: &Listing) -> bool {
    !listing.allow_multiple_instances
}

/// Answers whether the customer may activate the listing, with every reason.
pub fn deployability(input: DeployabilityInput<'_>) -> Deployability {
    let mut reasons = Vec::new();
    let mut push = |code: ReasonCode, variables: Vec<String>| {
        reasons.push(DeployabilityReason {
            code,
            message: Cow::Borrowed(code.message()),
            variables,
        });
    };
    if input.version.state != VersionState::Published {
        push(ReasonCode::VersionNotPublished, Vec::new());
    }
    if input.min_tier.is_some_and(|min| input.tier < Some(min)) {
        push(ReasonCode::TierBelowMinimum, Vec::new());
    }
    if limits_live_instances(input.listing) && input.live_instances > 0 {
        push(ReasonCode::InstanceExists, Vec::new());
    }
    if !input.listing.customer_deployable {
        push(ReasonCode::ListingNotCustomerDeployable, Vec::new());
    }
    let has =
        |layer: Option<&Map<String, Value>>, key: &str| layer.is_some_and(|m| m.contains_key(key));
    let mut missing: Vec<String> = input
        .version
        .config
        .variables()
        .filter(|v| v.required && v.default.is_none() && v.visibility != Visibility::Customer)
        .filter(|v| v.connection_app.is_none())
        .filter(|v| {
            let from_token =
                v.visibility == Visibility::Embedded && has(input.embedded_values, &v.key);
            !from_token && !has(input.vendor_values, &v.key)
        })
        .map(|v| v.key.clone())
        .collect();
    // The OAuth apps of authorised connections: every variable they name needs a value.
    for key in
        crate::connection::unset_app_variables(input.version.config.spec(), input.vendor_values)
    {
        if !missing.contains(&key) {
            missing.push(key);
        }
    }
    if !missing.is_empty() {
        push(ReasonCode::MissingDefault, missing);
    }
    Deployability {
        status: status_of(&reasons),
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::CompiledSpec;
    use serde_json::json;

    fn version(state: VersionState) -> IntegrationVersion {
        let config = CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "a", "label": "A", "type": "string", "required": true},
            {"key": "plan", "label": "Plan", "type": "string", "visibility": "organization", "required": true},
            {"key": "tenant", "label": "Tenant", "type": "string", "visibility": "embedded", "required": true},
            {"key": "tier", "label": "Tier", "type": "string", "visibility": "organization", "required": true, "default": "x"}
        ]}]}))
        .unwrap();
        IntegrationVersion {
            version: semver::Version::new(1, 0, 0),
            state,
            config,
            flows: vec![],
            collections: Vec::new(),
            record_types: Vec::new(),
        }
    }

    fn listing(customer_deployable: bool, allow_multiple_instances: bool) -> Listing {
        Listing {
            pricing: None,
            marketplace_id: "mkt_test".into(),
            partner_brief: Default::default(),
            visibility: Default::default(),
            integration_id: "i".into(),
            version: semver::Version::new(1, 0, 0),
            overview: String::new(),
            customer_deployable,
            allow_multiple_instances,
        }
    }

    #[test]
    fn reasons_and_statuses() {
        let vendor = json!({"plan": "gold", "tenant": "t1"})
            .as_object()
            .unwrap()
            .clone();
        let token = json!({"tenant": "t2"}).as_object().unwrap().clone();
        let only_plan = json!({"plan": "gold"}).as_object().unwrap().clone();
        let published = version(VersionState::Published);
        let draft = version(VersionState::Draft);
        let open = listing(true, false);
        let closed = listing(false, true);
        use DeployabilityStatus::*;
        use ReasonCode::*;
        let table: Vec<(DeployabilityInput<'_>, DeployabilityStatus, Vec<ReasonCode>)> = vec![
            (
                DeployabilityInput {
                    listing: &open,
                    version: &published,
                    live_instances: 0,
                    vendor_values: Some(&vendor),
                    embedded_values: None,
                    tier: None,
                    min_tier: None,
                },
                Deployable,
                vec![],
            ),
            (
                DeployabilityInput {
                    listing: &open,
                    version: &published,
                    live_instances: 0,
                    vendor_values: Some(&only_plan),
                    embedded_values: Some(&token),
                    tier: None,
                    min_tier: None,
                },
                Deployable,
                vec![],
            ),
            (
                DeployabilityInput {
                    listing: &open,
                    version: &published,
                    live_instances: 0,
                    vendor_values: Some(&only_plan),
                    embedded_values: None,
                    tier: None,
                    min_tier: None,
                },
                ContactVendor,
                vec![MissingDefault],
            ),
            (
                DeployabilityInput {
                    listing: &open,
                    version: &published,
                    live_instances: 1,
                    vendor_values: Some(&vendor),
                    embedded_values: None,
                    tier: None,
                    min_tier: None,
                },
                NotDeployable,
                vec![InstanceExists],
            ),
            (
                DeployabilityInput {
                    listing: &closed,
                    version: &published,
                    live_instances: 3,
                    vendor_values: Some(&vendor),
                    embedded_values: None,
                    tier: None,
                    min_tier: None,
                },
                ContactVendor,
                vec![ListingNotCustomerDeployable],
            ),
            (
                DeployabilityInput {
                    listing: &closed,
                    version: &draft,
                    live_instances: 0,
                    vendor_values: None,
                    embedded_values: None,
                    tier: None,
                    min_tier: None,
                },
                NotDeployable,
                vec![
                    VersionNotPublished,
                    ListingNotCustomerDeployable,
                    MissingDefault,
                ],
            ),
        ];
        for (i, (input, status, codes)) in table.into_iter().enumerate() {
            let d = deployability(input);
            assert_eq!(d.status, status, "row {i}");
            assert_eq!(
                d.reasons.iter().map(|r| r.code).collect::<Vec<_>>(),
                codes,
                "row {i}"
            );
        }
        let d = deployability(DeployabilityInput {
            listing: &open,
            version: &published,
            live_instances: 1,
            vendor_values: None,
            embedded_values: None,
            tier: None,
            min_tier: None,
        });
        assert!(d.is_conflict());
        assert_eq!(d.reasons[1].variables, vec!["plan", "tenant"]);
        assert!(
            d.for_customer()
                .reasons
                .iter()
                .all(|r| r.variables.is_empty())
        );
    }

    #[test]
    fn the_organization_may_activate_what_customers_may_not() {
        let published = version(VersionState::Published);
        let draft = version(VersionState::Draft);
        let closed = listing(false, false);
        use DeployabilityStatus::*;
        use ReasonCode::*;
        // (version, live instances) → organization's answer, customer's answer
        let table = [
            (
                &published,
                0,
                (Deployable, vec![]),
                (
                    ContactVendor,
                    vec![ListingNotCustomerDeployable, MissingDefault],
                ),
            ),
            (
                &published,
                1,
                (NotDeployable, vec![InstanceExists]),
                (
                    NotDeployable,
                    vec![InstanceExists, ListingNotCustomerDeployable, MissingDefault],
                ),
            ),
            (
                &draft,
                0,
                (NotDeployable, vec![VersionNotPublished]),
                (
                    NotDeployable,
                    vec![
                        VersionNotPublished,
                        ListingNotCustomerDeployable,
                        MissingDefault,
                    ],
                ),
            ),
        ];
        for (version, live, organization, customer) in table {
            let answer = deployability(DeployabilityInput {
                listing: &closed,
                version,
                live_instances: live,
                vendor_values: None,
                embedded_values: None,
                tier: None,
                min_tier: None,
            });
            for (editor, (status, codes)) in [
                (Editor::Organization, organization),
                (Editor::Customer, customer),
            ] {
                let d = answer.clone().for_editor(editor);
                assert_eq!(d.status, status, "{editor:?}, {live}");
                assert_eq!(d.reasons.iter().map(|r| r.code).collect::<Vec<_>>(), codes);
                assert_eq!(d.refuses(), !codes.is_empty());
            }
        }
        // Customers never see the variables the vendor must set; the organization does.
        let answer = deployability(DeployabilityInput {
            listing: &listing(true, false),
            version: &published,
            live_instances: 0,
            vendor_values: None,
            embedded_values: None,
            tier: None,
            min_tier: None,
        });
        assert!(
            answer.clone().for_editor(Editor::Embedded).reasons[0]
                .variables
                .is_empty()
        );
        assert_eq!(
            answer.clone().for_editor(Editor::Organization).status,
            Deployable
        );
        assert!(!answer.for_editor(Editor::Organization).refuses());
    }
}
