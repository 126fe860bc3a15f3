//! Commerce: what a listing costs ([`pricing`]), what an activation starts and a deactivation
//! ends ([`subscription`]), what customers say of an integration ([`review`]), and how well a
//! listing keeps its place in the marketplace ([`scoring`]).

pub mod pricing;
pub mod review;
pub mod scoring;
pub mod subscription;

pub use pricing::{Pricing, parse_pricing};
pub use review::{DisputeStatus, Rating, ReviewChange, ReviewPrompt, rating, review_prompt};
pub use scoring::{
    ApplicationFact, DisputeFact, Factor, FactorCode, FactorItem, ReviewFact, Score, ScoreFacts,
    ScoringPolicy, SubscriptionFact, add_months, score, visibility,
};
pub use subscription::{
    Cancellation, CancellationReason, CancelledBy, ImportedSubscription, SubscriptionStatus,
    check_import_item, is_returning, parse_cancellation,
};
