//! The bodies of the embedded API: the types of `marketplace-api`, the service's own wire
//! contract, re-exported (the whole crate is [`crate::api`]).

pub use marketplace_api::commerce::{
    CancellationView, DeactivateBody, ReviewBody, ReviewView, SubscriptionView,
};
pub use marketplace_api::common::{
    Deployability, DeployabilityReason, DeployabilityStatus, FieldError, FieldErrorCode, Page,
    PageQuery, Problem, ReasonCode,
};
pub use marketplace_api::connections::{
    ConnectionAuthorization, ConnectionMessage, ConnectionMessageType, ConnectionStatus,
};
pub use marketplace_api::embedded::{
    MarketplaceDetail, MarketplaceEntry, MarketplaceQuery, TestBody, ValidateBody, ValidateResult,
};
pub use marketplace_api::instances::{
    ActivationBody, ConnectionView, InstanceStatus, InstanceView, LaunchUrl, ReconfigureBody,
    WebhookUrl,
};
pub use marketplace_api::mappings::{
    InstanceMappingsBody, InstanceMappingsView, Mapping, MappingKind, PreviewBody, PreviewResult,
};
pub use marketplace_api::observability::{
    ExecutionStatus, ExecutionStep, ExecutionTrigger, ExecutionView, LogSeverity, LogType, LogView,
    StepName,
};
pub use marketplace_api::spec::ConfigSpec;
pub use marketplace_api::templates::{OneClickBody, TemplateSummary};
