//! Properties of listing visibility: assigning a listing to a tenant never hides one,
//! unassigning never shows one; another marketplace's or a delisted listing is never visible;
//! the partner catalog shows a subset of what customers see. And the key and field rules.

use marketplace_core::marketplace::{
    AppManagement, ListingVisibility, MarketplaceFields, TenantAccess, TenantFields,
    in_external_search, is_valid_key, visible,
};
use marketplace_core::{IntegrationId, Listing, MarketplaceId};
use proptest::prelude::*;

fn listing(marketplace: &str, integration: &str, visibility: ListingVisibility) -> Listing {
    Listing {
        pricing: None,
        marketplace_id: marketplace.into(),
        integration_id: integration.into(),
        version: semver::Version::new(1, 0, 0),
        overview: String::new(),
        customer_deployable: true,
        allow_multiple_instances: false,
        partner_brief: Default::default(),
        visibility,
    }
}

fn arb_visibility() -> impl Strategy<Value = ListingVisibility> {
    prop_oneof![
        Just(ListingVisibility::Visible),
        Just(ListingVisibility::HiddenFromExternalSearch),
        Just(ListingVisibility::Delisted),
    ]
}

fn arb_tenant() -> impl Strategy<Value = Option<TenantAccess>> {
    proptest::option::of((
        prop_oneof![Just(AppManagement::All), Just(AppManagement::Tenant)],
        proptest::collection::hash_set("int_[a-e]", 0..4),
    ))
    .prop_map(|t| {
        t.map(|(app_management, assigned)| TenantAccess {
            app_management,
            assigned: assigned.into_iter().map(IntegrationId::from).collect(),
        })
    })
}

proptest! {
    #[test]
    fn assigning_never_hides_and_unassigning_never_shows(
        tenant in arb_tenant(),
        integration in "int_[a-e]",
        other in "int_[a-e]",
        listed_in in "mkt_[ab]",
        visibility in arb_visibility(),
    ) {
        let market = MarketplaceId::from("mkt_a");
        let l = listing(&listed_in, &integration, visibility);
        let before = visible(&l, &market, tenant.as_ref());
        let mut assigned = tenant.clone();
        let mut unassigned = tenant.clone();
        if let (Some(a), Some(u)) = (&mut assigned, &mut unassigned) {
            a.assigned.insert(other.as_str().into());
            u.assigned.remove(other.as_str());
        }
        prop_assert!(!before || visible(&l, &market, assigned.as_ref()));
        prop_assert!(before || !visible(&l, &market, unassigned.as_ref()));
        // Never another marketplace's, never delisted; external search is a subset.
        if before {
            prop_assert_eq!(l.marketplace_id.as_str(), "mkt_a");
            prop_assert_ne!(visibility, ListingVisibility::Delisted);
        }
        prop_assert!(!in_external_search(&l, &market, tenant.as_ref()) || before);
        prop_assert_eq!(
            in_external_search(&l, &market, tenant.as_ref()),
            before && visibility == ListingVisibility::Visible
        );
        // Without a tenant, or with `all`, assignment does not matter.
        if tenant.as_ref().is_none_or(|t| t.app_management == AppManagement::All) {
            prop_assert_eq!(before, l.marketplace_id.as_str() == "mkt_a" && visibility != ListingVisibility::Delisted);
        }
    }
}

#[test]
fn keys_follow_their_pattern() {
    for good in ["default", "eu", "a", "partner-eu-2", &"a".repeat(63)] {
        assert!(is_valid_key(good), "{good}");
    }
    for bad in ["", "EU", "1eu", "-eu", "eu_west", "é", &"a".repeat(64)] {
        assert!(!is_valid_key(bad), "{bad}");
    }
}

#[test]
fn marketplace_and_tenant_fields_report_every_problem() {
    let fields = MarketplaceFields {
        key: "Bad Key".into(),
        name: " ".into(),
        allowed_origins: vec!["https://ok.example".into(), "nope".into()],
        front_end_url: Some("ftp://x".into()),
        ..Default::default()
    };
    let paths: Vec<String> = fields
        .validate()
        .unwrap_err()
        .0
        .into_iter()
        .map(|e| format!("{} {}", e.path, e.code.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            "/key format",
            "/name required",
            "/allowed_origins/1 format",
            "/front_end_url format"
        ]
    );
    let tenant = TenantFields {
        key: "resellers".into(),
        name: "Resellers".into(),
        ..Default::default()
    };
    assert!(tenant.validate().is_ok());
}
