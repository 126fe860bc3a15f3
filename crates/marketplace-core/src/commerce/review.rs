//! Reviews: one per customer and integration, written by subscribers; the vendor's response and
//! dispute, a reviewer's decision; the follow-up a returning customer adds; what the detail
//! page prompts for.

use crate::error::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The longest review, response, follow-up, dispute reason or decision notes, in characters.
pub const MAX_TEXT_CHARS: usize = 5_000;

/// Whether a rating counts as negative (2 or less of 5).
pub fn is_negative(rating: u8) -> bool {
    rating <= 2
}

/// An integration's rating: the average of its reviews' ratings with one decimal (`"4.5"`;
/// `None` without reviews) and how many there are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// The average, rounded half away from zero to one decimal.
    pub average: Option<String>,
    /// How many reviews.
    pub count: u32,
}

/// The rating of these ratings.
pub fn rating(ratings: &[u8]) -> Rating {
    let count = u32::try_from(ratings.len()).unwrap_or(u32::MAX);
    let average = (count > 0).then(|| {
        let sum: u64 = ratings.iter().map(|r| u64::from(*r)).sum();
        let mut average = (rust_decimal::Decimal::from(sum) / rust_decimal::Decimal::from(count))
            .round_dp_with_strategy(1, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        average.rescale(1);
        average.to_string()
    });
    Rating { average, count }
}

/// Where a dispute stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// Filed, waiting for a reviewer.
    Pending,
    /// The review no longer counts against the score.
    Accepted,
    /// The review counts again.
    Rejected,
}

impl DisputeStatus {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
        }
    }

    /// The status with that name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Rejected]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// What the detail page asks the customer for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewPrompt {
    /// A review: a paid listing, a subscription, no review yet.
    Review,
    /// A follow-up: the customer came back after reviewing, and has not followed up.
    FollowUp,
}

impl ReviewPrompt {
    /// The wire name (`review`, `follow_up`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Review => "review",
            Self::FollowUp => "follow_up",
        }
    }
}

/// The prompt of a listing's detail for a customer: `paid` (a price above zero), whether the
/// customer has a subscription to it, and its review if any (`returned`, whether it has a
/// follow-up).
pub fn review_prompt(
    paid: bool,
    subscribed: bool,
    review: Option<(bool, bool)>,
) -> Option<ReviewPrompt> {
    match review {
        None if paid && subscribed => Some(ReviewPrompt::Review),
        Some((true, false)) => Some(ReviewPrompt::FollowUp),
        _ => None,
    }
}

/// A review's text fields: a string of at most [`MAX_TEXT_CHARS`] (`type`, `max_length`).
fn text(
    object: &Map<String, Value>,
    key: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    match object.get(key) {
        None | Some(Value::Null) if !required => None,
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                format!("/{key}"),
                FieldErrorCode::Required,
                "a text is required",
            ));
            None
        }
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT_CHARS => {
            errors.push(FieldError::new(
                format!("/{key}"),
                FieldErrorCode::MaxLength,
                format!("at most {MAX_TEXT_CHARS} characters"),
            ));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                format!("/{key}"),
                FieldErrorCode::Type,
                "a string",
            ));
            None
        }
    }
}

/// Refuses keys other than `allowed`.
fn only(object: &Map<String, Value>, allowed: &[&str], errors: &mut Vec<FieldError>) {
    for key in object.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.push(FieldError::new(
                format!("/{key}"),
                FieldErrorCode::UnknownKey,
                format!("expected {}", allowed.join(", ")),
            ));
        }
    }
}

/// The object of a body, or a `type` error at the root.
fn object_of(body: &Value) -> Result<&Map<String, Value>, Vec<FieldError>> {
    body.as_object().ok_or_else(|| {
        vec![FieldError::new(
            "",
            FieldErrorCode::Type,
            "expected an object",
        )]
    })
}

/// What a customer writes or changes: a rating, a text and (once returned) a follow-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewChange {
    /// 1 to 5.
    pub rating: Option<u8>,
    /// The review.
    pub text: Option<String>,
    /// The follow-up.
    pub follow_up: Option<String>,
}

/// Checks a customer's review body: a new review needs `rating` (an integer 1–5, `min`/`max`)
/// and may have `text`; an edit changes any of them. `follow_up` is editable only once the
/// customer has `returned` (else `not_editable`).
pub fn parse_review(
    body: &Value,
    creating: bool,
    returned: bool,
) -> Result<ReviewChange, Vec<FieldError>> {
    let object = object_of(body)?;
    let mut errors = Vec::new();
    only(object, &["rating", "text", "follow_up"], &mut errors);
    let rating = match object.get("rating") {
        None | Some(Value::Null) if !creating => None,
        None | Some(Value::Null) => {
            errors.push(FieldError::new(
                "/rating",
                FieldErrorCode::Required,
                "a rating from 1 to 5",
            ));
            None
        }
        Some(value) => match value.as_i64() {
            Some(r) if r < 1 => {
                errors.push(FieldError::new(
                    "/rating",
                    FieldErrorCode::Min,
                    "at least 1",
                ));
                None
            }
            Some(r) if r > 5 => {
                errors.push(FieldError::new("/rating", FieldErrorCode::Max, "at most 5"));
                None
            }
            Some(r) => Some(r as u8),
            None => {
                errors.push(FieldError::new(
                    "/rating",
                    FieldErrorCode::Type,
                    "an integer from 1 to 5",
                ));
                None
            }
        },
    };
    let written = text(object, "text", false, &mut errors);
    let follow_up = if object.get("follow_up").is_some_and(|v| !v.is_null()) && !returned {
        errors.push(FieldError::new(
            "/follow_up",
            FieldErrorCode::NotEditable,
            "a follow-up is written after coming back to the integration",
        ));
        None
    } else {
        text(object, "follow_up", false, &mut errors)
    };
    if errors.is_empty() {
        Ok(ReviewChange {
            rating,
            text: written,
            follow_up,
        })
    } else {
        Err(errors)
    }
}

/// Checks a body with one required text field (`{text}` of a response, `{reason}` of a
/// dispute).
pub fn parse_text(body: &Value, key: &str) -> Result<String, Vec<FieldError>> {
    let object = object_of(body)?;
    let mut errors = Vec::new();
    only(object, &[key], &mut errors);
    let found = text(object, key, true, &mut errors);
    match found {
        Some(found) if errors.is_empty() => Ok(found),
        _ => Err(errors),
    }
}

/// Checks a reviewer's decision on a dispute: `{decision: "accept" | "reject", notes}`; whether
/// it accepts, and the notes.
pub fn parse_decision(body: &Value) -> Result<(bool, String), Vec<FieldError>> {
    let object = object_of(body)?;
    let mut errors = Vec::new();
    only(object, &["decision", "notes"], &mut errors);
    let accept = match object.get("decision").and_then(Value::as_str) {
        Some("accept") => Some(true),
        Some("reject") => Some(false),
        _ => {
            errors.push(FieldError::new(
                "/decision",
                FieldErrorCode::Option,
                "accept or reject",
            ));
            None
        }
    };
    let notes = text(object, "notes", false, &mut errors).unwrap_or_default();
    match accept {
        Some(accept) if errors.is_empty() => Ok((accept, notes)),
        _ => Err(errors),
    }
}

/// Why a vendor may not dispute a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeRefusal {
    /// Only negative reviews are disputed (409 `review_not_negative`).
    NotNegative,
    /// A review is disputed once (409 `dispute_exists`).
    Exists,
}

/// Whether the vendor may dispute a review with this rating and dispute state.
pub fn may_dispute(rating: u8, disputed: bool) -> Result<(), DisputeRefusal> {
    if !is_negative(rating) {
        Err(DisputeRefusal::NotNegative)
    } else if disputed {
        Err(DisputeRefusal::Exists)
    } else {
        Ok(())
    }
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
    fn a_review_has_a_rating_from_one_to_five_and_a_follow_up_only_after_a_return() {
        assert_eq!(
            parse_review(&json!({"rating": 2, "text": "slow"}), true, false).unwrap(),
            ReviewChange {
                rating: Some(2),
                text: Some("slow".into()),
                follow_up: None
            }
        );
        assert_eq!(
            codes(parse_review(&json!({"text": "x"}), true, false).unwrap_err()),
            [("/rating".to_owned(), "required")]
        );
        assert_eq!(
            codes(parse_review(&json!({"rating": 6}), true, false).unwrap_err()),
            [("/rating".to_owned(), "max")]
        );
        assert_eq!(
            codes(parse_review(&json!({"rating": 0}), false, false).unwrap_err()),
            [("/rating".to_owned(), "min")]
        );
        assert_eq!(
            codes(parse_review(&json!({"follow_up": "better now"}), false, false).unwrap_err()),
            [("/follow_up".to_owned(), "not_editable")]
        );
        assert_eq!(
            parse_review(&json!({"follow_up": "better now"}), false, true)
                .unwrap()
                .follow_up
                .as_deref(),
            Some("better now")
        );
        assert_eq!(
            codes(
                parse_review(
                    &json!({"rating": 3, "text": "x".repeat(5_001)}),
                    true,
                    false
                )
                .unwrap_err()
            ),
            [("/text".to_owned(), "max_length")]
        );
    }

    #[test]
    fn prompts_ask_paying_subscribers_for_a_review_and_returners_for_a_follow_up() {
        assert_eq!(review_prompt(true, true, None), Some(ReviewPrompt::Review));
        assert_eq!(review_prompt(false, true, None), None);
        assert_eq!(review_prompt(true, false, None), None);
        assert_eq!(review_prompt(true, true, Some((false, false))), None);
        assert_eq!(
            review_prompt(true, true, Some((true, false))),
            Some(ReviewPrompt::FollowUp)
        );
        assert_eq!(review_prompt(true, true, Some((true, true))), None);
    }

    #[test]
    fn a_rating_averages_to_one_decimal() {
        assert_eq!(
            rating(&[]),
            Rating {
                average: None,
                count: 0
            }
        );
        assert_eq!(rating(&[5, 4]).average.as_deref(), Some("4.5"));
        assert_eq!(rating(&[5, 4, 4]).average.as_deref(), Some("4.3"));
        assert_eq!(
            rating(&[1, 2, 2, 2, 1, 1, 2, 2]).average.as_deref(),
            Some("1.6")
        );
        assert_eq!(
            rating(&[3]),
            Rating {
                average: Some("3.0".into()),
                count: 1
            }
        );
    }

    #[test]
    fn only_a_negative_review_is_disputed_and_only_once() {
        assert_eq!(may_dispute(2, false), Ok(()));
        assert_eq!(may_dispute(3, false), Err(DisputeRefusal::NotNegative));
        assert_eq!(may_dispute(1, true), Err(DisputeRefusal::Exists));
        assert_eq!(
            parse_decision(&json!({"decision": "accept", "notes": "fake"})),
            Ok((true, "fake".into()))
        );
        assert_eq!(
            codes(parse_decision(&json!({"decision": "maybe"})).unwrap_err()),
            [("/decision".to_owned(), "option")]
        );
        assert_eq!(
            codes(parse_text(&json!({}), "reason").unwrap_err()),
            [("/reason".to_owned(), "required")]
        );
    }
}
