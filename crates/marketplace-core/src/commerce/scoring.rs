//! A listing's score: 100 minus the deductions its facts earn under the organization's policy,
//! at a given time, and the visibility it gives the listing (listed, hidden from external
//! search, delisted).
//!
//! [`score`] is a pure function of facts, policy and `now`: facts dated after `now` are ignored,
//! the order of facts changes nothing, and every factor is reported, with its points and the
//! items that earned them.

use crate::commerce::subscription::CancelledBy;
use crate::error::{FieldError, FieldErrorCode};
use crate::marketplace::ListingVisibility;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Milliseconds in a day (the policy's windows are whole days).
const DAY_MS: i64 = 86_400_000;

/// What the organization's scoring deducts and where its thresholds are
/// (`GET/PUT /api/v1/scoring-policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringPolicy {
    /// Points per declared application whose latest version the listed version lacks.
    pub unsupported_version_points: u32,
    /// Points per negative review left unaddressed past its window.
    pub negative_review_points: u32,
    /// Days the vendor has to answer a negative review (by a dispute) before it counts.
    pub negative_review_window_days: u32,
    /// The days looked back over for excessive cancellations.
    pub cancellation_period_days: u32,
    /// Below [`Self::cancellation_percent_from`] subscribers: this many cancellations are
    /// excessive.
    pub cancellation_count: u32,
    /// From [`Self::cancellation_percent_from`] subscribers: this share (percent) is excessive.
    pub cancellation_percent: u32,
    /// The number of subscribers from which the share applies rather than the count.
    pub cancellation_percent_from: u32,
    /// Points, once, for excessive cancellations.
    pub excessive_cancellation_points: u32,
    /// Points per customer cancellation between one and seven months after subscribing.
    pub misrepresentation_points: u32,
    /// Below this score the listing is hidden from external search (the partner catalog).
    pub external_search_threshold: u32,
    /// Below this score the listing is delisted (instances keep running).
    pub delist_threshold: u32,
}

impl Default for ScoringPolicy {
    fn default() -> Self {
        Self {
            unsupported_version_points: 10,
            negative_review_points: 5,
            negative_review_window_days: 30,
            cancellation_period_days: 90,
            cancellation_count: 5,
            cancellation_percent: 25,
            cancellation_percent_from: 20,
            excessive_cancellation_points: 15,
            misrepresentation_points: 5,
            external_search_threshold: 60,
            delist_threshold: 40,
        }
    }
}

impl ScoringPolicy {
    /// Every problem of a policy a vendor sends: thresholds and percent at most 100, periods and
    /// the count at least 1, the delist threshold not above the external search one.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let at_most_100 = [
            ("/cancellation_percent", self.cancellation_percent),
            ("/external_search_threshold", self.external_search_threshold),
            ("/delist_threshold", self.delist_threshold),
        ];
        for (path, value) in at_most_100 {
            if value > 100 {
                errors.push(FieldError::new(path, FieldErrorCode::Max, "at most 100"));
            }
        }
        let at_least_1 = [
            (
                "/negative_review_window_days",
                self.negative_review_window_days,
            ),
            ("/cancellation_period_days", self.cancellation_period_days),
            ("/cancellation_count", self.cancellation_count),
        ];
        for (path, value) in at_least_1 {
            if value < 1 {
                errors.push(FieldError::new(path, FieldErrorCode::Min, "at least 1"));
            }
        }
        if self.delist_threshold > self.external_search_threshold && self.delist_threshold <= 100 {
            errors.push(FieldError::new(
                "/delist_threshold",
                FieldErrorCode::Max,
                format!(
                    "at most the external search threshold ({}): a listing is hidden before it \
                     is delisted",
                    self.external_search_threshold
                ),
            ));
        }
        errors
    }
}

/// A subscription to the listed integration, as scoring sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionFact {
    /// `sub_...`.
    pub id: String,
    /// The subscriber.
    pub customer_id: String,
    /// When it began (ms since the epoch).
    pub subscribed_at: i64,
    /// A re-subscription: the customer activated again after cancelling, with none active.
    pub returning: bool,
    /// When and by whom it was cancelled, if it was.
    pub cancelled: Option<(i64, CancelledBy)>,
}

/// A review of the listed integration, as scoring sees it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewFact {
    /// `rev_...`.
    pub id: String,
    /// Its author.
    pub customer_id: String,
    /// 1 to 5; 2 or less is negative.
    pub rating: u8,
    /// When it was written.
    pub created_at: i64,
    /// The vendor's dispute of it, if any.
    pub dispute: Option<DisputeFact>,
}

/// A dispute of a review.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisputeFact {
    /// When the vendor filed it.
    pub filed_at: i64,
    /// The reviewer's decision and when it was made (`true`: accepted).
    pub decided: Option<(bool, i64)>,
}

/// An application the listed version declares, with its released versions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationFact {
    /// `app_...`.
    pub id: String,
    /// Its name, for the factor's detail.
    pub name: String,
    /// Its versions: (version, release date).
    pub versions: Vec<(String, i64)>,
    /// The versions the listed integration version supports.
    pub supported: Vec<String>,
}

/// Everything a listing's score is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreFacts {
    /// The applications the listed version declares.
    pub applications: Vec<ApplicationFact>,
    /// The integration's reviews.
    pub reviews: Vec<ReviewFact>,
    /// The integration's subscriptions (in this marketplace), but those [`uncancelled`]
    /// counts.
    ///
    /// [`uncancelled`]: ScoreFacts::uncancelled
    pub subscriptions: Vec<SubscriptionFact>,
    /// How many more subscriptions, not in `subscriptions`, were never cancelled, are not
    /// returning, and began at or before the time scored. Scoring only counts such a
    /// subscription (a subscriber of the cancellation period), so a store with many of them
    /// gives their number rather than each one; listing them instead scores the same.
    pub uncancelled: u64,
}

/// The four factors, always all reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FactorCode {
    /// A declared application's latest version is not supported.
    UnsupportedApplicationVersion,
    /// Negative reviews past their window, not disputed (or the dispute rejected).
    NegativeReviews,
    /// Too many customer cancellations in the period.
    ExcessiveCancellations,
    /// Customer cancellations between one and seven months after subscribing.
    Misrepresentation,
}

impl FactorCode {
    /// The wire name (`negative_reviews`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsupportedApplicationVersion => "unsupported_application_version",
            Self::NegativeReviews => "negative_reviews",
            Self::ExcessiveCancellations => "excessive_cancellations",
            Self::Misrepresentation => "misrepresentation",
        }
    }
}

/// What earned (or would earn) points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactorItem {
    /// The application, review or subscription.
    pub id: String,
    /// Why it counts, for people.
    pub detail: String,
}

/// One factor of a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Factor {
    /// Which.
    pub code: FactorCode,
    /// Its deduction (0 or negative).
    pub points: i64,
    /// How many items it found.
    pub count: usize,
    /// The items, by id.
    pub items: Vec<FactorItem>,
}

/// A listing's score at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// 0 to 100.
    pub score: u32,
    /// What the score allows (`visible`, `hidden_from_external_search`, `delisted`).
    pub visibility: ListingVisibility,
    /// The four factors, in [`FactorCode`] order.
    pub factors: Vec<Factor>,
}

/// The visibility a score gives under a policy.
pub fn visibility(score: u32, policy: &ScoringPolicy) -> ListingVisibility {
    if score < policy.delist_threshold {
        ListingVisibility::Delisted
    } else if score < policy.external_search_threshold {
        ListingVisibility::HiddenFromExternalSearch
    } else {
        ListingVisibility::Visible
    }
}

/// `ms` plus `months` calendar months, the day clamped to the target month's end (Jan 31 + 1
/// month is Feb 28 or 29); `None` outside `time`'s range.
pub fn add_months(ms: i64, months: u8) -> Option<i64> {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    let date = at.date();
    let month_index = date.month() as i32 - 1 + i32::from(months);
    let year = date.year() + month_index.div_euclid(12);
    let month = date.month().nth_next(months);
    let day = date.day().min(time::util::days_in_month(month, year));
    let moved = at.replace_date(Date::from_calendar_date(year, month, day).ok()?);
    i64::try_from(moved.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The score of a listing from its facts, under a policy, at `now`.
pub fn score(facts: &ScoreFacts, policy: &ScoringPolicy, now: i64) -> Score {
    let returns = Returns::of(facts, now);
    let factors = vec![
        unsupported_versions(&facts.applications, policy, now),
        negative_reviews(facts, &returns, policy, now),
        excessive_cancellations(facts, &returns, policy, now),
        misrepresentation(facts, &returns, policy, now),
    ];
    let deducted: i64 = factors.iter().map(|f| f.points).sum();
    let score = (100 + deducted).clamp(0, 100) as u32;
    Score {
        score,
        visibility: visibility(score, policy),
        factors,
    }
}

/// A factor from its items (sorted by id, so the facts' order does not matter) and the points
/// each item, or the factor once, deducts.
fn factor(code: FactorCode, mut items: Vec<FactorItem>, points: i64) -> Factor {
    items.sort_by(|a, b| a.id.cmp(&b.id).then_with(|| a.detail.cmp(&b.detail)));
    Factor {
        code,
        points,
        count: items.len(),
        items,
    }
}

/// Each declared application whose latest version (released on or before `now`) the listed
/// version does not support.
fn unsupported_versions(
    applications: &[ApplicationFact],
    policy: &ScoringPolicy,
    now: i64,
) -> Factor {
    let items: Vec<FactorItem> = applications
        .iter()
        .filter_map(|application| {
            // The latest by release date; the greatest name breaks a tie, for any order.
            let (latest, _) = application
                .versions
                .iter()
                .filter(|(_, released)| *released <= now)
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)))?;
            (!application.supported.contains(latest)).then(|| FactorItem {
                id: application.id.clone(),
                detail: format!(
                    "{} {latest} is its latest version; the listed version does not support it",
                    application.name
                ),
            })
        })
        .collect();
    let points = -(items.len() as i64) * i64::from(policy.unsupported_version_points);
    factor(FactorCode::UnsupportedApplicationVersion, items, points)
}

/// When each customer last came back (a returning subscription) by `now`: what they said or did
/// before that no longer counts.
struct Returns<'a>(rustc_hash::FxHashMap<&'a str, i64>);

impl<'a> Returns<'a> {
    fn of(facts: &'a ScoreFacts, now: i64) -> Self {
        let mut latest = rustc_hash::FxHashMap::default();
        for s in &facts.subscriptions {
            if s.returning && s.subscribed_at <= now {
                let at = latest
                    .entry(s.customer_id.as_str())
                    .or_insert(s.subscribed_at);
                *at = (*at).max(s.subscribed_at);
            }
        }
        Returns(latest)
    }

    /// Whether the customer came back at or after `at`.
    fn since(&self, customer_id: &str, at: i64) -> bool {
        self.0.get(customer_id).is_some_and(|back| *back >= at)
    }
}

/// Each negative review written by `now`, past its window, with no pending or accepted dispute
/// as of `now`, whose author has not come back since.
fn negative_reviews(
    facts: &ScoreFacts,
    returns: &Returns<'_>,
    policy: &ScoringPolicy,
    now: i64,
) -> Factor {
    let items: Vec<FactorItem> = facts
        .reviews
        .iter()
        .filter(|review| {
            counts_against(
                review,
                returns.since(&review.customer_id, review.created_at + 1),
                policy,
                now,
            )
        })
        .map(|review| FactorItem {
            id: review.id.clone(),
            detail: format!(
                "rated {} of 5, more than {} days ago, not disputed",
                review.rating, policy.negative_review_window_days
            ),
        })
        .collect();
    let points = -(items.len() as i64) * i64::from(policy.negative_review_points);
    factor(FactorCode::NegativeReviews, items, points)
}

/// Whether a review counts against the score at `now`: written by then, negative, past its
/// window, with no pending or accepted dispute, its author not back since (`returned`).
pub fn counts_against(
    review: &ReviewFact,
    returned: bool,
    policy: &ScoringPolicy,
    now: i64,
) -> bool {
    let window = i64::from(policy.negative_review_window_days) * DAY_MS;
    crate::commerce::review::is_negative(review.rating)
        && review.created_at.saturating_add(window) <= now
        && !disputed_at(review.dispute.as_ref(), now)
        && !returned
}

/// Whether a dispute shields its review at `now`: filed, and not rejected yet.
fn disputed_at(dispute: Option<&DisputeFact>, now: i64) -> bool {
    dispute.is_some_and(|d| {
        d.filed_at <= now
            && match d.decided {
                Some((accepted, at)) if at <= now => accepted,
                _ => true,
            }
    })
}

/// The customer cancellations that count at `now`: made by the customer by `now`, the customer
/// not back since.
fn counted_cancellations<'a>(
    facts: &'a ScoreFacts,
    returns: &'a Returns<'a>,
    now: i64,
) -> impl Iterator<Item = (&'a SubscriptionFact, i64)> + 'a {
    facts
        .subscriptions
        .iter()
        .filter_map(move |s| match s.cancelled {
            Some((at, CancelledBy::Customer))
                if at <= now && !returns.since(&s.customer_id, at) =>
            {
                Some((s, at))
            }
            _ => None,
        })
}

/// Once, when the period's customer cancellations reach the count (few subscribers) or the
/// share (many): subscribers are the subscriptions active at some time in the period.
fn excessive_cancellations(
    facts: &ScoreFacts,
    returns: &Returns<'_>,
    policy: &ScoringPolicy,
    now: i64,
) -> Factor {
    let from = now - i64::from(policy.cancellation_period_days) * DAY_MS;
    let listed = facts
        .subscriptions
        .iter()
        .filter(|s| s.subscribed_at <= now && s.cancelled.is_none_or(|(at, _)| at > from))
        .count();
    let subscribers = listed as u64 + facts.uncancelled;
    let items: Vec<FactorItem> = counted_cancellations(facts, returns, now)
        .filter(|(_, at)| *at > from)
        .map(|(s, _)| FactorItem {
            id: s.id.clone(),
            detail: format!(
                "cancelled by the customer in the last {} days",
                policy.cancellation_period_days
            ),
        })
        .collect();
    let cancellations = items.len() as u64;
    let excessive = cancellations > 0
        && if subscribers < u64::from(policy.cancellation_percent_from) {
            cancellations >= u64::from(policy.cancellation_count)
        } else {
            cancellations * 100 >= u64::from(policy.cancellation_percent) * subscribers
        };
    let points = if excessive {
        -i64::from(policy.excessive_cancellation_points)
    } else {
        0
    };
    factor(FactorCode::ExcessiveCancellations, items, points)
}

/// Each counted customer cancellation more than one calendar month and at most seven after
/// subscribing.
fn misrepresentation(
    facts: &ScoreFacts,
    returns: &Returns<'_>,
    policy: &ScoringPolicy,
    now: i64,
) -> Factor {
    let items: Vec<FactorItem> = counted_cancellations(facts, returns, now)
        .filter(|(s, at)| {
            match (
                add_months(s.subscribed_at, 1),
                add_months(s.subscribed_at, 7),
            ) {
                (Some(one), Some(seven)) => one < *at && *at <= seven,
                _ => false,
            }
        })
        .map(|(s, _)| FactorItem {
            id: s.id.clone(),
            detail: "cancelled by the customer between one and seven months after subscribing"
                .to_owned(),
        })
        .collect();
    let points = -(items.len() as i64) * i64::from(policy.misrepresentation_points);
    factor(FactorCode::Misrepresentation, items, points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-01-31T12:00:00Z, in ms.
    const JAN_31: i64 = 1_769_860_800_000;

    fn at(text: &str) -> i64 {
        let parsed = OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .expect("an RFC 3339 time");
        (parsed.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn subscription(id: &str, customer: &str, subscribed_at: i64) -> SubscriptionFact {
        SubscriptionFact {
            id: id.into(),
            customer_id: customer.into(),
            subscribed_at,
            returning: false,
            cancelled: None,
        }
    }

    fn cancelled(mut s: SubscriptionFact, at: i64, by: CancelledBy) -> SubscriptionFact {
        s.cancelled = Some((at, by));
        s
    }

    fn review(id: &str, customer: &str, rating: u8, created_at: i64) -> ReviewFact {
        ReviewFact {
            id: id.into(),
            customer_id: customer.into(),
            rating,
            created_at,
            dispute: None,
        }
    }

    fn points(score: &Score, code: FactorCode) -> (i64, usize) {
        let factor = score
            .factors
            .iter()
            .find(|f| f.code == code)
            .expect("every factor");
        (factor.points, factor.count)
    }

    #[test]
    fn months_are_calendar_months_clamped_at_month_ends() {
        assert_eq!(
            add_months(at("2026-01-31T12:00:00Z"), 1),
            Some(at("2026-02-28T12:00:00Z"))
        );
        assert_eq!(
            add_months(at("2028-01-31T00:00:00Z"), 1),
            Some(at("2028-02-29T00:00:00Z"))
        );
        assert_eq!(
            add_months(at("2026-08-31T09:30:00Z"), 7),
            Some(at("2027-03-31T09:30:00Z"))
        );
        assert_eq!(
            add_months(at("2026-07-31T00:00:00Z"), 7),
            Some(at("2027-02-28T00:00:00Z"))
        );
        assert_eq!(
            add_months(at("2026-12-15T00:00:00Z"), 1),
            Some(at("2027-01-15T00:00:00Z"))
        );
        assert_eq!(add_months(JAN_31, 0), Some(JAN_31));
    }

    #[test]
    fn misrepresentation_counts_cancellations_after_one_month_up_to_seven() {
        let subscribed = at("2026-01-31T12:00:00Z");
        let now = at("2027-06-01T00:00:00Z");
        let cases = [
            // Exactly one month (Feb 28, clamped): not yet.
            ("2026-02-28T12:00:00Z", 0),
            ("2026-02-28T12:00:00.001Z", 1),
            // Exactly seven months (Aug 31): still.
            ("2026-08-31T12:00:00Z", 1),
            ("2026-08-31T12:00:00.001Z", 0),
        ];
        for (cancelled_at, count) in cases {
            let facts = ScoreFacts {
                subscriptions: vec![cancelled(
                    subscription("sub_1", "cus_1", subscribed),
                    at(cancelled_at),
                    CancelledBy::Customer,
                )],
                ..ScoreFacts::default()
            };
            let score = score(&facts, &ScoringPolicy::default(), now);
            assert_eq!(
                points(&score, FactorCode::Misrepresentation),
                (-5 * count as i64, count),
                "cancelled at {cancelled_at}"
            );
        }
    }

    #[test]
    fn an_organization_s_cancellation_and_a_returned_customer_s_are_not_scored() {
        let subscribed = at("2026-01-01T00:00:00Z");
        let cancel_at = at("2026-03-01T00:00:00Z");
        let now = at("2026-04-01T00:00:00Z");
        let organization = ScoreFacts {
            subscriptions: vec![cancelled(
                subscription("sub_1", "cus_1", subscribed),
                cancel_at,
                CancelledBy::Organization,
            )],
            ..ScoreFacts::default()
        };
        assert_eq!(
            score(&organization, &ScoringPolicy::default(), now).score,
            100
        );
        let mut back = subscription("sub_2", "cus_1", at("2026-03-15T00:00:00Z"));
        back.returning = true;
        let returned = ScoreFacts {
            subscriptions: vec![
                cancelled(
                    subscription("sub_1", "cus_1", subscribed),
                    cancel_at,
                    CancelledBy::Customer,
                ),
                back,
            ],
            reviews: vec![review("rev_1", "cus_1", 1, at("2026-01-10T00:00:00Z"))],
            ..ScoreFacts::default()
        };
        let scored = score(&returned, &ScoringPolicy::default(), now);
        assert_eq!(scored.score, 100, "{scored:?}");
        // Before the return, both counted.
        let before = score(
            &returned,
            &ScoringPolicy::default(),
            at("2026-03-10T00:00:00Z"),
        );
        assert_eq!(points(&before, FactorCode::Misrepresentation), (-5, 1));
        assert_eq!(points(&before, FactorCode::NegativeReviews), (-5, 1));
    }

    #[test]
    fn a_negative_review_counts_past_its_window_unless_a_dispute_stands() {
        let written = at("2026-01-01T00:00:00Z");
        let policy = ScoringPolicy::default();
        let mut facts = ScoreFacts {
            reviews: vec![
                review("rev_1", "cus_1", 2, written),
                review("rev_2", "cus_2", 3, written),
            ],
            ..ScoreFacts::default()
        };
        assert_eq!(
            points(
                &score(&facts, &policy, written + 30 * DAY_MS - 1),
                FactorCode::NegativeReviews
            ),
            (0, 0)
        );
        assert_eq!(
            points(
                &score(&facts, &policy, written + 30 * DAY_MS),
                FactorCode::NegativeReviews
            ),
            (-5, 1)
        );
        let filed = written + DAY_MS;
        let decided = written + 40 * DAY_MS;
        facts.reviews[0].dispute = Some(DisputeFact {
            filed_at: filed,
            decided: Some((false, decided)),
        });
        // Pending until decided, then rejected: it counts again.
        assert_eq!(
            points(
                &score(&facts, &policy, decided - 1),
                FactorCode::NegativeReviews
            ),
            (0, 0)
        );
        assert_eq!(
            points(
                &score(&facts, &policy, decided),
                FactorCode::NegativeReviews
            ),
            (-5, 1)
        );
        facts.reviews[0].dispute = Some(DisputeFact {
            filed_at: filed,
            decided: Some((true, decided)),
        });
        assert_eq!(
            points(
                &score(&facts, &policy, decided),
                FactorCode::NegativeReviews
            ),
            (0, 0)
        );
    }

    #[test]
    fn uncancelled_subscriptions_given_as_a_count_are_subscribers() {
        let policy = ScoringPolicy::default();
        let now = at("2026-06-01T00:00:00Z");
        let start = at("2026-05-01T00:00:00Z");
        // 9 customer cancellations of 40 subscribers: 22.5 %, under the share (25 %).
        let cancelling: Vec<SubscriptionFact> = (0..9)
            .map(|i| {
                let s = subscription(&format!("sub_{i:03}"), &format!("cus_{i:03}"), start);
                cancelled(s, start + DAY_MS, CancelledBy::Customer)
            })
            .collect();
        let listed =
            ScoreFacts {
                subscriptions: cancelling
                    .iter()
                    .cloned()
                    .chain((9..40).map(|i| {
                        subscription(&format!("sub_{i:03}"), &format!("cus_{i:03}"), start)
                    }))
                    .collect(),
                ..ScoreFacts::default()
            };
        let counted = ScoreFacts {
            subscriptions: cancelling,
            uncancelled: 31,
            ..ScoreFacts::default()
        };
        let excessive = |facts: &ScoreFacts| {
            points(
                &score(facts, &policy, now),
                FactorCode::ExcessiveCancellations,
            )
        };
        assert_eq!(excessive(&listed), (0, 9));
        // Without the 31 the 9 would be judged by the count (5) and deduct.
        assert_eq!(excessive(&counted), (0, 9));
    }

    #[test]
    fn excessive_cancellations_use_the_count_below_the_threshold_and_the_share_above() {
        let policy = ScoringPolicy::default();
        let now = at("2026-06-01T00:00:00Z");
        let start = at("2026-05-01T00:00:00Z");
        let facts = |subscribers: usize, cancelling: usize| ScoreFacts {
            subscriptions: (0..subscribers)
                .map(|i| {
                    let s = subscription(&format!("sub_{i:03}"), &format!("cus_{i:03}"), start);
                    if i < cancelling {
                        cancelled(s, start + DAY_MS, CancelledBy::Customer)
                    } else {
                        s
                    }
                })
                .collect(),
            ..ScoreFacts::default()
        };
        let excessive = |subscribers, cancelling| {
            points(
                &score(&facts(subscribers, cancelling), &policy, now),
                FactorCode::ExcessiveCancellations,
            )
        };
        assert_eq!(excessive(10, 4), (0, 4));
        assert_eq!(excessive(10, 5), (-15, 5));
        assert_eq!(excessive(40, 9), (0, 9));
        assert_eq!(excessive(40, 10), (-15, 10));
        // Cancelled before the period: neither a subscriber nor a cancellation of it.
        let old = ScoreFacts {
            subscriptions: (0..5)
                .map(|i| {
                    cancelled(
                        subscription(&format!("sub_{i}"), "cus", start - 200 * DAY_MS),
                        start - 100 * DAY_MS,
                        CancelledBy::Customer,
                    )
                })
                .collect(),
            ..ScoreFacts::default()
        };
        assert_eq!(
            points(
                &score(&old, &policy, now),
                FactorCode::ExcessiveCancellations
            ),
            (0, 0)
        );
    }

    #[test]
    fn thresholds_hide_then_delist() {
        let policy = ScoringPolicy::default();
        assert_eq!(visibility(60, &policy), ListingVisibility::Visible);
        assert_eq!(
            visibility(59, &policy),
            ListingVisibility::HiddenFromExternalSearch
        );
        assert_eq!(
            visibility(40, &policy),
            ListingVisibility::HiddenFromExternalSearch
        );
        assert_eq!(visibility(39, &policy), ListingVisibility::Delisted);
        let versions = |supported: &[&str]| ApplicationFact {
            id: "app_1".into(),
            name: "Shop".into(),
            versions: vec![("1.0".into(), JAN_31 - DAY_MS), ("2.0".into(), JAN_31)],
            supported: supported.iter().map(|v| (*v).to_owned()).collect(),
        };
        let facts = ScoreFacts {
            applications: vec![versions(&["1.0"])],
            ..ScoreFacts::default()
        };
        assert_eq!(
            points(
                &score(&facts, &policy, JAN_31),
                FactorCode::UnsupportedApplicationVersion
            ),
            (-10, 1)
        );
        // 2.0 not yet released: 1.0 is the latest, supported.
        assert_eq!(score(&facts, &policy, JAN_31 - 1).score, 100);
        let facts = ScoreFacts {
            applications: vec![versions(&["2.0"])],
            ..ScoreFacts::default()
        };
        assert_eq!(score(&facts, &policy, JAN_31).score, 100);
    }

    #[test]
    fn a_policy_names_its_problems() {
        let policy = ScoringPolicy {
            delist_threshold: 70,
            cancellation_count: 0,
            cancellation_percent: 101,
            ..ScoringPolicy::default()
        };
        let found: Vec<(String, &str)> = policy
            .check()
            .into_iter()
            .map(|e| (e.path, e.code.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("/cancellation_percent".to_owned(), "max"),
                ("/cancellation_count".to_owned(), "min"),
                ("/delist_threshold".to_owned(), "max"),
            ]
        );
        assert!(ScoringPolicy::default().check().is_empty());
    }

    /// Times within about a year of `BASE`.
    const BASE: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    fn time_strategy() -> impl Strategy<Value = i64> {
        0..400i64 * DAY_MS / 1000 * 1000
    }

    fn facts_strategy() -> impl Strategy<Value = ScoreFacts> {
        let subscription = (
            0..6u8,
            time_strategy(),
            any::<bool>(),
            prop::option::of((time_strategy(), any::<bool>())),
        )
            .prop_map(|(customer, offset, returning, cancel)| SubscriptionFact {
                id: String::new(),
                customer_id: format!("cus_{customer}"),
                subscribed_at: BASE + offset,
                returning,
                cancelled: cancel.map(|(extra, by_customer)| {
                    (
                        BASE + offset + extra,
                        if by_customer {
                            CancelledBy::Customer
                        } else {
                            CancelledBy::Organization
                        },
                    )
                }),
            });
        let review = (
            0..6u8,
            1..=5u8,
            time_strategy(),
            prop::option::of((
                time_strategy(),
                prop::option::of((any::<bool>(), time_strategy())),
            )),
        )
            .prop_map(|(customer, rating, offset, dispute)| ReviewFact {
                id: String::new(),
                customer_id: format!("cus_{customer}"),
                rating,
                created_at: BASE + offset,
                dispute: dispute.map(|(filed, decided)| DisputeFact {
                    filed_at: BASE + offset + filed,
                    decided: decided
                        .map(|(accepted, later)| (accepted, BASE + offset + filed + later)),
                }),
            });
        let application = (
            prop::collection::vec(time_strategy(), 0..4),
            prop::collection::vec(any::<bool>(), 4),
        )
            .prop_map(|(released, supported)| ApplicationFact {
                id: String::new(),
                name: "App".into(),
                versions: released
                    .iter()
                    .enumerate()
                    .map(|(i, at)| (format!("v{i}"), BASE + at))
                    .collect(),
                supported: (0..released.len())
                    .filter(|i| supported[*i])
                    .map(|i| format!("v{i}"))
                    .collect(),
            });
        (
            prop::collection::vec(application, 0..3),
            prop::collection::vec(review, 0..12),
            prop::collection::vec(subscription, 0..30),
        )
            .prop_map(|(mut applications, mut reviews, mut subscriptions)| {
                for (i, a) in applications.iter_mut().enumerate() {
                    a.id = format!("app_{i:02}");
                }
                for (i, r) in reviews.iter_mut().enumerate() {
                    r.id = format!("rev_{i:02}");
                }
                for (i, s) in subscriptions.iter_mut().enumerate() {
                    s.id = format!("sub_{i:02}");
                }
                ScoreFacts {
                    applications,
                    reviews,
                    subscriptions,
                    uncancelled: 0,
                }
            })
    }

    fn policy_strategy() -> impl Strategy<Value = ScoringPolicy> {
        (
            0..30u32,
            0..30u32,
            1..60u32,
            1..200u32,
            1..10u32,
            0..=100u32,
            0..40u32,
            0..30u32,
            0..30u32,
            0..=100u32,
        )
            .prop_flat_map(
                |(
                    unsupported,
                    negative,
                    window,
                    period,
                    count,
                    percent,
                    from,
                    excessive,
                    misrep,
                    external,
                )| {
                    (0..=external).prop_map(move |delist| ScoringPolicy {
                        unsupported_version_points: unsupported,
                        negative_review_points: negative,
                        negative_review_window_days: window,
                        cancellation_period_days: period,
                        cancellation_count: count,
                        cancellation_percent: percent,
                        cancellation_percent_from: from,
                        excessive_cancellation_points: excessive,
                        misrepresentation_points: misrep,
                        external_search_threshold: external,
                        delist_threshold: delist,
                    })
                },
            )
    }

    proptest! {
        #[test]
        fn bounded_order_independent_and_blind_to_the_future(
            facts in facts_strategy(),
            policy in policy_strategy(),
            now in time_strategy(),
            later in prop::collection::vec(time_strategy(), 3),
        ) {
            let now = BASE + now;
            let scored = score(&facts, &policy, now);
            prop_assert!(scored.score <= 100);
            prop_assert_eq!(scored.factors.len(), 4);
            prop_assert_eq!(scored.visibility, visibility(scored.score, &policy));
            let deducted: i64 = scored.factors.iter().map(|f| f.points).sum();
            prop_assert!(scored.factors.iter().all(|f| f.points <= 0 && f.count == f.items.len()));
            prop_assert_eq!(i64::from(scored.score), (100 + deducted).max(0));

            // Order: reversed facts score the same.
            let mut reversed = facts.clone();
            reversed.applications.reverse();
            reversed.reviews.reverse();
            reversed.subscriptions.reverse();
            for a in &mut reversed.applications {
                a.versions.reverse();
            }
            prop_assert_eq!(&score(&reversed, &policy, now), &scored);

            // The future: a review, a subscription and a version dated after `now` change nothing.
            let mut future = facts.clone();
            future.reviews.push(review("rev_future", "cus_0", 1, now + 1 + later[0]));
            future.subscriptions.push(cancelled(
                subscription("sub_future", "cus_0", now + 1 + later[1]),
                now + 2 + later[1],
                CancelledBy::Customer,
            ));
            if let Some(application) = future.applications.first_mut() {
                application.versions.push(("v_future".into(), now + 1 + later[2]));
            }
            prop_assert_eq!(&score(&future, &policy, now), &scored);
        }

        #[test]
        fn monotone_in_each_fact(
            facts in facts_strategy(),
            now in time_strategy(),
            pick in any::<prop::sample::Index>(),
            when in time_strategy(),
        ) {
            // The default policy: its count and share agree at the threshold (5 of 20 is 25 %).
            let policy = ScoringPolicy::default();
            let now = BASE + now;
            let base = score(&facts, &policy, now).score;

            // A negative review never raises it.
            let mut worse = facts.clone();
            worse.reviews.push(review("rev_new", "cus_9", 1, BASE + when));
            prop_assert!(score(&worse, &policy, now).score <= base);

            // A customer cancelling an active subscription never raises it.
            if !facts.subscriptions.is_empty() {
                let mut worse = facts.clone();
                let i = pick.index(worse.subscriptions.len());
                let s = &mut worse.subscriptions[i];
                if s.cancelled.is_none() {
                    s.cancelled = Some((s.subscribed_at.max(BASE + when), CancelledBy::Customer));
                    prop_assert!(score(&worse, &policy, now).score <= base);
                }
            }

            // A newer version nobody supports never raises it; support never lowers it.
            if !facts.applications.is_empty() {
                let i = pick.index(facts.applications.len());
                let mut worse = facts.clone();
                worse.applications[i].versions.push(("v_newest".into(), BASE + when));
                prop_assert!(score(&worse, &policy, now).score <= base);
                let mut better = facts.clone();
                let versions: Vec<String> = better.applications[i].versions.iter().map(|(v, _)| v.clone()).collect();
                better.applications[i].supported = versions;
                prop_assert!(score(&better, &policy, now).score >= base);
            }

            // An accepted dispute never lowers it.
            if !facts.reviews.is_empty() {
                let mut better = facts.clone();
                let i = pick.index(better.reviews.len());
                let r = &mut better.reviews[i];
                r.dispute = Some(DisputeFact { filed_at: r.created_at, decided: Some((true, r.created_at)) });
                prop_assert!(score(&better, &policy, now).score >= base);
            }

            // A return (after every cancellation of that customer) never lowers it.
            if let Some(customer) = facts
                .subscriptions
                .iter()
                .find(|s| matches!(s.cancelled, Some((_, CancelledBy::Customer))))
                .map(|s| s.customer_id.clone())
            {
                let last = facts
                    .subscriptions
                    .iter()
                    .filter(|s| s.customer_id == customer)
                    .filter_map(|s| s.cancelled.map(|(at, _)| at))
                    .max()
                    .unwrap_or(BASE);
                let mut better = facts.clone();
                let mut back = subscription("sub_back", &customer, last.max(BASE + when));
                back.returning = true;
                better.subscriptions.push(back);
                prop_assert!(score(&better, &policy, now).score >= base, "a return lowered the score");
            }
        }

        #[test]
        fn uncancelled_subscriptions_counted_or_listed_score_the_same(
            facts in facts_strategy(),
            policy in policy_strategy(),
            now in time_strategy(),
        ) {
            // What a store may leave out of the list: never cancelled, not returning, begun by
            // `now`. The facts' subscriptions cover each of those and every other kind.
            let now = BASE + now;
            let listed = score(&facts, &policy, now);
            let mut counted = facts.clone();
            counted.subscriptions.retain(|s| {
                s.cancelled.is_some() || s.returning || s.subscribed_at > now
            });
            counted.uncancelled = (facts.subscriptions.len() - counted.subscriptions.len()) as u64;
            prop_assert_eq!(score(&counted, &policy, now), listed);
        }
    }
}
