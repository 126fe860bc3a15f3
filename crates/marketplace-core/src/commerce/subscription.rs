//! Subscriptions: what an activation starts and a deactivation ends, why a customer cancelled,
//! and the checks of imported history.

use crate::commerce::pricing::{Pricing, parse_pricing};
use crate::error::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The longest cancellation comment, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Whether a subscription runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// Running.
    Active,
    /// Ended.
    Cancelled,
}

impl SubscriptionStatus {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status with that name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "active" => Some(Self::Active),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// Who cancelled a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The customer (scored).
    Customer,
    /// The organization: an admin deactivation, a customer deleted, a failed activation
    /// (never scored).
    Organization,
}

impl CancelledBy {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Organization => "organization",
        }
    }

    /// The value with that name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "customer" => Some(Self::Customer),
            "organization" => Some(Self::Organization),
            _ => None,
        }
    }
}

/// Why a customer cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancellationReason {
    /// No longer needed.
    NotNeeded,
    /// Too expensive.
    TooExpensive,
    /// Lacks features.
    MissingFeatures,
    /// Does not work.
    NotWorking,
    /// Moved to something else.
    SwitchedToAlternative,
    /// Another reason (the comment says which).
    Other,
    /// No reason given (a plain `DELETE`).
    Unspecified,
}

impl CancellationReason {
    /// The reasons a customer picks from (`unspecified` is never picked: it is what a plain
    /// deactivation records).
    pub const PICKABLE: [CancellationReason; 6] = [
        Self::NotNeeded,
        Self::TooExpensive,
        Self::MissingFeatures,
        Self::NotWorking,
        Self::SwitchedToAlternative,
        Self::Other,
    ];

    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotNeeded => "not_needed",
            Self::TooExpensive => "too_expensive",
            Self::MissingFeatures => "missing_features",
            Self::NotWorking => "not_working",
            Self::SwitchedToAlternative => "switched_to_alternative",
            Self::Other => "other",
            Self::Unspecified => "unspecified",
        }
    }

    /// The reason with that name (`unspecified` included: stored rows carry it).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::PICKABLE
            .into_iter()
            .chain([Self::Unspecified])
            .find(|r| r.as_str() == name)
    }
}

/// A customer's cancellation: the reason and an optional comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cancellation {
    /// Why.
    pub reason: CancellationReason,
    /// In their words.
    pub comment: Option<String>,
}

impl Cancellation {
    /// What a plain deactivation records.
    pub fn unspecified() -> Self {
        Self {
            reason: CancellationReason::Unspecified,
            comment: None,
        }
    }
}

/// Checks a cancellation a customer sends (`{reason, comment?}` at `path`): `reason` one of
/// [`CancellationReason::PICKABLE`] (`option`), `comment` a string of at most
/// [`MAX_COMMENT_CHARS`] (`type`, `max_length`).
pub fn parse_cancellation(value: &Value, path: &str) -> Result<Cancellation, Vec<FieldError>> {
    let Some(object) = value.as_object() else {
        return Err(vec![FieldError::new(
            path,
            FieldErrorCode::Type,
            "expected an object {reason, comment}",
        )]);
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if key != "reason" && key != "comment" {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::UnknownKey,
                "a cancellation has reason and comment",
            ));
        }
    }
    let pickable = CancellationReason::PICKABLE
        .map(CancellationReason::as_str)
        .join(", ");
    let reason = match object.get("reason") {
        None => {
            errors.push(FieldError::new(
                format!("{path}/reason"),
                FieldErrorCode::Required,
                format!("one of {pickable}"),
            ));
            None
        }
        Some(Value::String(name)) => match CancellationReason::from_name(name) {
            Some(reason) if reason != CancellationReason::Unspecified => Some(reason),
            _ => {
                errors.push(FieldError::new(
                    format!("{path}/reason"),
                    FieldErrorCode::Option,
                    format!("one of {pickable}"),
                ));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(
                format!("{path}/reason"),
                FieldErrorCode::Type,
                format!("a string, one of {pickable}"),
            ));
            None
        }
    };
    let comment = match object.get("comment") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() > MAX_COMMENT_CHARS => {
            errors.push(FieldError::new(
                format!("{path}/comment"),
                FieldErrorCode::MaxLength,
                format!("at most {MAX_COMMENT_CHARS} characters"),
            ));
            None
        }
        Some(Value::String(text)) => Some(text.clone()).filter(|t| !t.trim().is_empty()),
        Some(_) => {
            errors.push(FieldError::new(
                format!("{path}/comment"),
                FieldErrorCode::Type,
                "a string",
            ));
            None
        }
    };
    match reason {
        Some(reason) if errors.is_empty() => Ok(Cancellation { reason, comment }),
        _ => Err(errors),
    }
}

/// One subscription of an import, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedSubscription {
    /// The subscriber (`cus_...`; the service checks it is the organization's).
    pub customer_id: String,
    /// Where it was sold.
    pub marketplace_id: String,
    /// What was subscribed to.
    pub integration_id: String,
    /// Its price then.
    pub pricing: Option<Pricing>,
    /// When it began (ms).
    pub subscribed_at: i64,
    /// When the customer cancelled it, if they did (ms).
    pub cancelled_at: Option<i64>,
    /// Why, when cancelled (`unspecified` when not said).
    pub cancellation: Option<Cancellation>,
}

/// Checks one item of an import at `/items/{index}`: ids as strings, `pricing` as a listing's,
/// `subscribed_at` and `cancelled_at` as times (`parse_time` reads RFC 3339) not after `now`
/// (`max`), `cancelled_at` not before `subscribed_at` (`min`), and a cancellation only with
/// `cancelled_at`.
pub fn check_import_item(
    item: &Value,
    index: usize,
    now: i64,
    parse_time: impl Fn(&str) -> Option<i64>,
) -> Result<ImportedSubscription, Vec<FieldError>> {
    let path = format!("/items/{index}");
    let Some(object) = item.as_object() else {
        return Err(vec![FieldError::new(
            path,
            FieldErrorCode::Type,
            "expected an object",
        )]);
    };
    let mut errors = Vec::new();
    const KEYS: [&str; 7] = [
        "customer_id",
        "marketplace_id",
        "integration_id",
        "pricing",
        "subscribed_at",
        "cancelled_at",
        "cancellation",
    ];
    for key in object.keys() {
        if !KEYS.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::UnknownKey,
                format!("an imported subscription has {}", KEYS.join(", ")),
            ));
        }
    }
    let mut id = |key: &str| match object.get(key) {
        Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
        Some(Value::String(_)) | None => {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::Required,
                "an id is required",
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::Type,
                "a string id",
            ));
            None
        }
    };
    let customer_id = id("customer_id");
    let marketplace_id = id("marketplace_id");
    let integration_id = id("integration_id");
    let pricing = match parse_pricing(
        object.get("pricing").unwrap_or(&Value::Null),
        &format!("{path}/pricing"),
    ) {
        Ok(pricing) => pricing,
        Err(found) => {
            errors.extend(found);
            None
        }
    };
    let mut time = |key: &str, required: bool| match object.get(key) {
        None | Some(Value::Null) if !required => None,
        Some(Value::String(text)) => match parse_time(text) {
            Some(at) if at > now => {
                errors.push(FieldError::new(
                    format!("{path}/{key}"),
                    FieldErrorCode::Max,
                    "an imported subscription is history: not after now",
                ));
                None
            }
            Some(at) => Some(at),
            None => {
                errors.push(FieldError::new(
                    format!("{path}/{key}"),
                    FieldErrorCode::Format,
                    "an RFC 3339 time",
                ));
                None
            }
        },
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::Required,
                "an RFC 3339 time is required",
            ));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::Type,
                "an RFC 3339 time",
            ));
            None
        }
    };
    let subscribed_at = time("subscribed_at", true);
    let cancelled_at = time("cancelled_at", false);
    if let (Some(start), Some(end)) = (subscribed_at, cancelled_at)
        && end < start
    {
        errors.push(FieldError::new(
            format!("{path}/cancelled_at"),
            FieldErrorCode::Min,
            "not before subscribed_at",
        ));
    }
    let cancellation = match object.get("cancellation") {
        None | Some(Value::Null) => cancelled_at.map(|_| Cancellation::unspecified()),
        Some(value) if object.get("cancelled_at").is_none_or(Value::is_null) => {
            let _ = value;
            errors.push(FieldError::new(
                format!("{path}/cancellation"),
                FieldErrorCode::Invalid,
                "a cancellation needs cancelled_at",
            ));
            None
        }
        Some(value) => match parse_cancellation(value, &format!("{path}/cancellation")) {
            Ok(cancellation) => Some(cancellation),
            Err(found) => {
                errors.extend(found);
                None
            }
        },
    };
    match (customer_id, marketplace_id, integration_id, subscribed_at) {
        (Some(customer_id), Some(marketplace_id), Some(integration_id), Some(subscribed_at))
            if errors.is_empty() =>
        {
            Ok(ImportedSubscription {
                customer_id,
                marketplace_id,
                integration_id,
                pricing,
                subscribed_at,
                cancelled_at,
                cancellation,
            })
        }
        _ => Err(errors),
    }
}

/// Whether an activation is a return: the customer cancelled one of the integration's
/// subscriptions before, and none is active (`subscriptions`: the customer's subscriptions of
/// the integration, as status and who cancelled).
pub fn is_returning(subscriptions: &[(SubscriptionStatus, Option<CancelledBy>)]) -> bool {
    subscriptions
        .iter()
        .all(|(status, _)| *status == SubscriptionStatus::Cancelled)
        && subscriptions
            .iter()
            .any(|(_, by)| *by == Some(CancelledBy::Customer))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(errors: Vec<FieldError>) -> Vec<(String, &'static str)> {
        errors
            .into_iter()
            .map(|e| (e.path, e.code.as_str()))
            .collect()
    }

    #[test]
    fn a_cancellation_names_a_pickable_reason() {
        assert_eq!(
            parse_cancellation(&json!({"reason": "too_expensive", "comment": "pricey"}), "")
                .unwrap(),
            Cancellation {
                reason: CancellationReason::TooExpensive,
                comment: Some("pricey".into())
            }
        );
        assert_eq!(
            codes(parse_cancellation(&json!({"reason": "unspecified"}), "").unwrap_err()),
            [("/reason".to_owned(), "option")]
        );
        assert_eq!(
            codes(
                parse_cancellation(&json!({"comment": "x".repeat(2_001), "why": 1}), "")
                    .unwrap_err()
            ),
            [
                ("/why".to_owned(), "unknown_key"),
                ("/reason".to_owned(), "required"),
                ("/comment".to_owned(), "max_length"),
            ]
        );
    }

    #[test]
    fn imported_history_is_not_after_now_and_ends_after_it_begins() {
        let parse = |text: &str| text.parse::<i64>().ok();
        let item = |subscribed: &str, cancelled: Value| {
            json!({"customer_id": "cus_1", "marketplace_id": "mkt_1", "integration_id": "int_1",
                   "pricing": {"currency": "EUR", "up_front": "0", "monthly": "9.9"},
                   "subscribed_at": subscribed, "cancelled_at": cancelled})
        };
        let ok = check_import_item(&item("100", json!("200")), 0, 1_000, parse).unwrap();
        assert_eq!(ok.cancellation, Some(Cancellation::unspecified()));
        assert_eq!(
            ok.pricing
                .unwrap()
                .amount_text(rust_decimal::Decimal::new(99, 1)),
            "9.90"
        );
        assert_eq!(
            codes(check_import_item(&item("100", json!("2000")), 3, 1_000, parse).unwrap_err()),
            [("/items/3/cancelled_at".to_owned(), "max")]
        );
        assert_eq!(
            codes(check_import_item(&item("100", json!("50")), 3, 1_000, parse).unwrap_err()),
            [("/items/3/cancelled_at".to_owned(), "min")]
        );
        assert_eq!(
            codes(check_import_item(&item("x", Value::Null), 1, 1_000, parse).unwrap_err()),
            [("/items/1/subscribed_at".to_owned(), "format")]
        );
    }

    #[test]
    fn a_return_follows_the_customer_s_own_cancellation_with_none_active() {
        use CancelledBy::{Customer, Organization};
        use SubscriptionStatus::{Active, Cancelled};
        assert!(!is_returning(&[]));
        assert!(is_returning(&[(Cancelled, Some(Customer))]));
        assert!(!is_returning(&[(Cancelled, Some(Organization))]));
        assert!(!is_returning(&[
            (Cancelled, Some(Customer)),
            (Active, None)
        ]));
    }
}
