//! Commerce: subscriptions (`GET /api/v1/subscriptions[/{id}]`, `POST .../import`, the
//! customer's `GET /api/v1/embedded/subscriptions`), the customer's deactivation with a reason
//! (`POST /api/v1/embedded/instances/{id}/deactivate`), the scoring policy
//! (`GET/PUT /api/v1/scoring-policy`) and a listing's score
//! (`GET /api/v1/marketplaces/{id}/listings/{integration_id}/score`).

use crate::listings::{ListingVisibility, PricingView};
use marketplace_core::commerce::ScoringPolicy;
use serde::{Deserialize, Serialize};

/// A subscription: what an activation started at the listing's price then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SubscriptionView {
    /// Id (`sub_...`).
    pub id: String,
    /// The subscriber.
    pub customer_id: String,
    /// Where it was sold.
    pub marketplace_id: String,
    /// What was subscribed to.
    pub integration_id: String,
    /// The instance that started it (null for imported history).
    pub instance_id: Option<String>,
    /// The listing's price when it began (null: free).
    pub pricing: Option<PricingView>,
    /// `active` or `cancelled`.
    pub status: String,
    /// A return: the customer had cancelled before, with none active.
    pub returning: bool,
    /// Imported history.
    pub imported: bool,
    /// When it began (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub subscribed_at: String,
    /// When it ended (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub cancelled_at: Option<String>,
    /// `customer` or `organization` (never scored).
    pub cancelled_by: Option<String>,
    /// The customer's reason.
    pub cancellation: Option<CancellationView>,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// Why a customer cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct CancellationView {
    /// `not_needed`, `too_expensive`, `missing_features`, `not_working`,
    /// `switched_to_alternative`, `other`, or `unspecified` (a plain `DELETE`).
    pub reason: String,
    /// In the customer's words.
    pub comment: Option<String>,
}

/// Body of `POST /api/v1/embedded/instances/{id}/deactivate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeactivateBody {
    /// `not_needed`, `too_expensive`, `missing_features`, `not_working`,
    /// `switched_to_alternative` or `other`.
    pub reason: String,
    /// In the customer's words (at most 2,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

query! {
    /// Filters and paging of the subscription list.
    pub struct SubscriptionQuery {
        /// Only this customer's.
        pub customer_id: Option<String>,
        /// Only this integration's.
        pub integration_id: Option<String>,
        /// Only this marketplace's.
        pub marketplace_id: Option<String>,
        /// `active` or `cancelled`.
        pub status: Option<String>,
    }
    with paging
}

/// One past subscription of `POST /api/v1/subscriptions/import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ImportItem {
    /// The subscriber (`cus_...`).
    pub customer_id: String,
    /// Where it was sold (`mkt_...`).
    pub marketplace_id: String,
    /// What was subscribed to (`int_...`).
    pub integration_id: String,
    /// Its price then (null: free).
    pub pricing: Option<PricingView>,
    /// When it began (RFC 3339, not after now).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub subscribed_at: String,
    /// When the customer cancelled it (RFC 3339, between `subscribed_at` and now).
    #[serde(default)]
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub cancelled_at: Option<String>,
    /// Why (`unspecified` when left out).
    #[serde(default)]
    pub cancellation: Option<DeactivateBody>,
}

/// Body of `POST /api/v1/subscriptions/import`: past history, all or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ImportBody {
    /// The subscriptions.
    pub items: Vec<ImportItem>,
}

/// Answer of an import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Imported {
    /// How many subscriptions were imported.
    pub imported: usize,
}

/// The organization's scoring policy: what each fact deducts from a listing's 100 points, and
/// the thresholds that hide and then delist it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScoringPolicyView {
    /// Per declared application whose latest version the listed version lacks (default 10).
    pub unsupported_version_points: u32,
    /// Per negative review (rating 2 or less) past its window without a standing dispute (5).
    pub negative_review_points: u32,
    /// Days to dispute a negative review before it counts (30).
    pub negative_review_window_days: u32,
    /// The days looked back over for excessive cancellations (90).
    pub cancellation_period_days: u32,
    /// Cancellations that are excessive below `cancellation_percent_from` subscribers (5).
    pub cancellation_count: u32,
    /// The share of subscribers that is excessive from `cancellation_percent_from` (25).
    pub cancellation_percent: u32,
    /// Subscribers from which the share applies (20).
    pub cancellation_percent_from: u32,
    /// Deducted once for excessive cancellations (15).
    pub excessive_cancellation_points: u32,
    /// Per customer cancellation one to seven months after subscribing (5).
    pub misrepresentation_points: u32,
    /// Below this score: hidden from external search (60).
    pub external_search_threshold: u32,
    /// Below this score: delisted, its instances kept running (40; at most the external one).
    pub delist_threshold: u32,
}

impl From<ScoringPolicy> for ScoringPolicyView {
    fn from(policy: ScoringPolicy) -> Self {
        Self {
            unsupported_version_points: policy.unsupported_version_points,
            negative_review_points: policy.negative_review_points,
            negative_review_window_days: policy.negative_review_window_days,
            cancellation_period_days: policy.cancellation_period_days,
            cancellation_count: policy.cancellation_count,
            cancellation_percent: policy.cancellation_percent,
            cancellation_percent_from: policy.cancellation_percent_from,
            excessive_cancellation_points: policy.excessive_cancellation_points,
            misrepresentation_points: policy.misrepresentation_points,
            external_search_threshold: policy.external_search_threshold,
            delist_threshold: policy.delist_threshold,
        }
    }
}

impl From<ScoringPolicyView> for ScoringPolicy {
    fn from(view: ScoringPolicyView) -> Self {
        Self {
            unsupported_version_points: view.unsupported_version_points,
            negative_review_points: view.negative_review_points,
            negative_review_window_days: view.negative_review_window_days,
            cancellation_period_days: view.cancellation_period_days,
            cancellation_count: view.cancellation_count,
            cancellation_percent: view.cancellation_percent,
            cancellation_percent_from: view.cancellation_percent_from,
            excessive_cancellation_points: view.excessive_cancellation_points,
            misrepresentation_points: view.misrepresentation_points,
            external_search_threshold: view.external_search_threshold,
            delist_threshold: view.delist_threshold,
        }
    }
}

/// One factor of a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct FactorView {
    /// `unsupported_application_version`, `negative_reviews`, `excessive_cancellations` or
    /// `misrepresentation`.
    pub code: String,
    /// Its deduction (0 or negative).
    pub points: i64,
    /// How many items it found.
    pub count: usize,
    /// The applications, reviews or subscriptions, with why they count.
    pub items: Vec<FactorItemView>,
}

/// What a factor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct FactorItemView {
    /// The application, review or subscription.
    pub id: String,
    /// Why it counts.
    pub detail: String,
}

/// The thresholds a score was judged against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ThresholdsView {
    /// Below it: hidden from external search.
    pub external_search: u32,
    /// Below it: delisted.
    pub delist: u32,
}

/// A listing's score at a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ScoreView {
    /// 0 to 100.
    pub score: u32,
    /// What the score allows.
    pub visibility: ListingVisibility,
    /// The four factors, always all.
    pub factors: Vec<FactorView>,
    /// The policy's thresholds.
    pub thresholds: ThresholdsView,
    /// The time it was computed at (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub evaluated_at: String,
}

query! {
    /// `?at=` of a score.
    pub struct ScoreQuery {
        /// The time to score at (RFC 3339; default now).
        pub at: Option<String>,
    }
}

/// A review: one per customer and integration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ReviewView {
    /// Id (`rev_...`).
    pub id: String,
    /// The reviewed integration.
    pub integration_id: String,
    /// The author (the admin API only: customers see reviews unnamed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// 1 to 5.
    pub rating: u8,
    /// The review.
    pub text: String,
    /// Rated 2 or less.
    pub negative: bool,
    /// The author came back after writing it (it no longer counts against the score).
    pub returned: bool,
    /// What the author added after coming back.
    pub follow_up: Option<String>,
    /// The vendor's response.
    pub vendor_response: Option<ResponseView>,
    /// The vendor's dispute of it.
    pub dispute: Option<DisputeView>,
    /// Whether the customer asking wrote it (the embedded API only: the review it may edit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mine: Option<bool>,
    /// Whether it counts against the listing's score now (the admin API only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts_against_score: Option<bool>,
    /// Creation time (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub created_at: String,
    /// Last change (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub updated_at: String,
}

/// The vendor's response to a review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct ResponseView {
    /// What the vendor answered.
    pub text: String,
    /// When (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub at: String,
}

/// The vendor's dispute of a negative review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct DisputeView {
    /// `pending`, `accepted` (the review no longer counts) or `rejected`.
    pub status: String,
    /// The vendor's reason.
    pub reason: String,
    /// The reviewer's notes.
    pub notes: Option<String>,
    /// When it was filed (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub filed_at: String,
    /// When it was decided (RFC 3339).
    #[cfg_attr(feature = "schema", schema(format = DateTime))]
    pub decided_at: Option<String>,
}

/// Body of a customer's review (`POST`: `rating` required; `PATCH`: any field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<u8>,
    /// The review (at most 5,000 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Once the customer came back: what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
}

/// Body of `PUT /api/v1/reviews/{id}/response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// The answer (at most 5,000 characters).
    pub text: String,
}

/// Body of `POST /api/v1/reviews/{id}/dispute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// Why the review should not count.
    pub reason: String,
}

/// Body of `POST /api/v1/reviews/{id}/dispute/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `accept` or `reject`.
    pub decision: String,
    /// Why.
    #[serde(default)]
    pub notes: String,
}

query! {
    /// Filters and paging of the review list.
    pub struct ReviewQuery {
        /// Only this integration's.
        pub integration_id: Option<String>,
        /// Only this customer's.
        pub customer_id: Option<String>,
        /// Only negative (`true`) or only other (`false`) reviews.
        pub negative: Option<bool>,
        /// Only reviews with a dispute in this state (`pending`, `accepted`, `rejected`).
        pub dispute: Option<String>,
    }
    with paging
}
