//! Subscriptions: each activation starts one at the listing's price, each deactivation (or a
//! failed activation, or the customer's deletion) ends it; past history is imported; admins and
//! customers read them.

use crate::error::{ApiError, ApiResult};
use crate::service::state::AppState;
use crate::store::subscriptions::{Subscription, SubscriptionFilter};
use crate::store::{self, Page, PageRequest, Tx, new_id, now_ms};
use marketplace_core::commerce::{
    Cancellation, CancelledBy, ImportedSubscription, Pricing, SubscriptionStatus, check_import_item,
};
use marketplace_core::event::{Event, EventType};
use marketplace_core::{FieldError, FieldErrorCode, Instance};
use serde_json::{Value, json};
use std::collections::HashMap;

/// How an instance's subscription ends when it is deactivated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// Who ended it.
    pub by: CancelledBy,
    /// The customer's reason (a customer's deactivation only).
    pub cancellation: Option<Cancellation>,
}

impl Ending {
    /// A customer's deactivation, with their reason (`unspecified` for a plain `DELETE`).
    pub fn by_customer(cancellation: Cancellation) -> Self {
        Self {
            by: CancelledBy::Customer,
            cancellation: Some(cancellation),
        }
    }

    /// The organization's (an admin deactivation): never scored.
    pub fn by_organization() -> Self {
        Self {
            by: CancelledBy::Organization,
            cancellation: None,
        }
    }
}

/// The event of a subscription's change.
fn event(event_type: EventType, s: &Subscription, at: i64) -> Event {
    Event {
        event_type,
        at,
        customer_id: Some(s.customer_id.as_str().into()),
        integration_id: Some(s.integration_id.as_str().into()),
        // The instance's own history stays its state changes: the instance is named in the
        // data.
        instance_id: None,
        data: json!({
            "subscription_id": s.id,
            "instance_id": s.instance_id,
            "marketplace_id": s.marketplace_id,
            "status": s.status.as_str(),
            "returning": s.returning,
            "pricing": s.pricing,
            "cancelled_by": s.cancelled.map(|(_, by)| by.as_str()),
            "cancellation": s.cancellation,
        }),
    }
}

/// Starts the subscription of a new instance in `tx`, at the listing's price now (`returning`:
/// core's `is_returning` on the history [`store::instances::before_activation`] read; what the
/// customer wrote before then stops counting). Records `subscription.created`, routed with what the caller has read already (`known`, as
/// `store::events::record_routed` takes it); how many deliveries that enqueued.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn start(
    tx: &mut Tx,
    organization_id: &str,
    marketplace_id: &str,
    pricing: Option<&Pricing>,
    instance: &Instance,
    returning: bool,
    known: Option<store::deliveries::Known<'_>>,
    now: i64,
) -> ApiResult<usize> {
    let (customer_id, integration_id) = (
        instance.customer_id.as_str(),
        instance.integration_id.as_str(),
    );
    if returning {
        store::reviews::mark_returned(tx, customer_id, integration_id, now).await?;
    }
    let subscription = Subscription {
        id: new_id("sub"),
        customer_id: customer_id.to_owned(),
        marketplace_id: marketplace_id.to_owned(),
        integration_id: integration_id.to_owned(),
        instance_id: Some(instance.id.to_string()),
        pricing: pricing.cloned(),
        status: SubscriptionStatus::Active,
        returning,
        imported: false,
        subscribed_at: now,
        cancelled: None,
        cancellation: None,
        updated_at: now,
    };
    store::subscriptions::insert(tx, organization_id, &subscription).await?;
    let created = event(EventType::SubscriptionCreated, &subscription, now);
    let (_, enqueued) = store::events::record_routed(tx, organization_id, &created, known).await?;
    Ok(enqueued)
}

/// Ends the instance's active subscription in `tx` (nothing when it has none); records
/// `subscription.cancelled`.
pub(crate) async fn end(
    tx: &mut Tx,
    organization_id: &str,
    instance_id: &str,
    ending: &Ending,
    now: i64,
) -> ApiResult<()> {
    let cancelled = store::subscriptions::cancel_for_instance(
        tx,
        instance_id,
        ending.by,
        ending.cancellation.as_ref(),
        now,
    )
    .await?;
    if let Some(s) = cancelled {
        let cancelled = event(EventType::SubscriptionCancelled, &s, now);
        store::events::record(tx, organization_id, &cancelled).await?;
    }
    Ok(())
}

/// One of the organization's subscriptions.
#[tracing::instrument(name = "subscriptions::get", level = "debug", skip_all)]
pub async fn get(state: &AppState, organization_id: &str, id: &str) -> ApiResult<Subscription> {
    store::subscriptions::get(&state.store, organization_id, id)
        .await?
        .ok_or(ApiError::NotFound("subscription"))
}

/// A page of the organization's subscriptions.
#[tracing::instrument(name = "subscriptions::list", level = "debug", skip_all)]
pub async fn list(
    state: &AppState,
    organization_id: &str,
    filter: &SubscriptionFilter,
    page: &PageRequest,
) -> ApiResult<Page<Subscription>> {
    Ok(store::subscriptions::list(&state.store, organization_id, filter, page).await?)
}

/// Whether the id under `key` (`customer_id`, `marketplace_id`, `integration_id`) names one of
/// the organization's.
async fn is_owned(state: &AppState, organization_id: &str, key: &str, id: &str) -> ApiResult<bool> {
    let db = &state.store;
    Ok(match key {
        "customer_id" => store::customers::get(db, organization_id, id)
            .await?
            .is_some(),
        "marketplace_id" => store::marketplaces::get(db, organization_id, id)
            .await?
            .is_some(),
        _ => store::integrations::get(db, organization_id, id)
            .await?
            .is_some(),
    })
}

/// Imports past subscriptions (`{items: [...]}`), all or none: each item checked by core, its
/// customer, marketplace and integration the organization's. Records one
/// `subscription.imported` per item; how many.
#[tracing::instrument(name = "subscriptions::import", level = "debug", skip_all)]
pub async fn import(state: &AppState, organization_id: &str, body: &Value) -> ApiResult<usize> {
    let now = now_ms();
    let Some(items) = body.get("items").and_then(Value::as_array) else {
        return Err(ApiError::field(FieldError::new(
            "/items",
            FieldErrorCode::Required,
            "an array of subscriptions",
        )));
    };
    let parse_time = |text: &str| {
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
    };
    let mut errors = Vec::new();
    // (the item's index in the body, the item)
    let mut checked: Vec<(usize, ImportedSubscription)> = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        match check_import_item(item, index, now, parse_time) {
            Ok(item) => checked.push((index, item)),
            Err(found) => errors.extend(found),
        }
    }
    // Each id is looked up once, however many items name it.
    let mut owned: HashMap<(&str, &str), bool> = HashMap::new();
    for (index, item) in &checked {
        let references = [
            ("customer_id", item.customer_id.as_str()),
            ("marketplace_id", item.marketplace_id.as_str()),
            ("integration_id", item.integration_id.as_str()),
        ];
        for (key, id) in references {
            let found = match owned.get(&(key, id)) {
                Some(found) => *found,
                None => {
                    let found = is_owned(state, organization_id, key, id).await?;
                    owned.insert((key, id), found);
                    found
                }
            };
            if !found {
                errors.push(FieldError::new(
                    format!("/items/{index}/{key}"),
                    FieldErrorCode::InvalidReference,
                    "not one of the organization's",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut tx = state.store.begin().await?;
    for (_, item) in &checked {
        let subscription = Subscription {
            id: new_id("sub"),
            customer_id: item.customer_id.clone(),
            marketplace_id: item.marketplace_id.clone(),
            integration_id: item.integration_id.clone(),
            instance_id: None,
            pricing: item.pricing.clone(),
            status: if item.cancelled_at.is_some() {
                SubscriptionStatus::Cancelled
            } else {
                SubscriptionStatus::Active
            },
            returning: false,
            imported: true,
            subscribed_at: item.subscribed_at,
            cancelled: item.cancelled_at.map(|at| (at, CancelledBy::Customer)),
            cancellation: item.cancellation.clone(),
            updated_at: now,
        };
        store::subscriptions::insert(&mut tx, organization_id, &subscription).await?;
        let imported = event(EventType::SubscriptionImported, &subscription, now);
        store::events::record(&mut tx, organization_id, &imported).await?;
    }
    tx.commit().await?;
    state.deliveries.wake.notify_one();
    Ok(checked.len())
}
