//! Commerce: what a listing costs ([`pricing`]) and how well it keeps its place in the
//! marketplace ([`scoring`]).

pub mod pricing;
pub mod scoring;

pub use pricing::{Pricing, parse_pricing};
pub use scoring::{
    ApplicationFact, CancelledBy, DisputeFact, Factor, FactorCode, FactorItem, ReviewFact, Score,
    ScoreFacts, ScoringPolicy, SubscriptionFact, add_months, score, visibility,
};
