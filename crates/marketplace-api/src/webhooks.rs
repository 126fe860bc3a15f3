//! `POST /webhooks/{secret}`: a flow's trigger; the body is any payload, the answer the execution.
//! Shared webhook triggers: one URL per integration and flow
//! (`POST /webhooks/shared/{integration_id}/{flow}`), routed to a customer by a value of the call,
//! set up with `PUT /api/v1/integrations/{id}/shared-webhook`.

use serde::{Deserialize, Serialize};

/// The accepted trigger (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// The execution that runs the flow; follow it with the executions API.
    pub execution_id: String,
}

/// The accepted call of a shared webhook (202): one execution per active instance it reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SharedAccepted {
    /// The executions started, one per active instance of the customer.
    pub execution_ids: Vec<String>,
}

/// Where a shared webhook call names its customer (the customer's `external_id`): exactly one
/// of `pointer` and `header`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteBy {
    /// A JSON Pointer into the body (`/account/id`): a string, or a number as decimal text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
    /// A header (`X-Customer-Id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
}

impl From<&marketplace_core::routing::RouteBy> for RouteBy {
    fn from(route: &marketplace_core::routing::RouteBy) -> Self {
        use marketplace_core::routing::RouteBy as Core;
        match route {
            Core::Pointer(p) => RouteBy {
                pointer: Some(p.clone()),
                header: None,
            },
            Core::Header(h) => RouteBy {
                pointer: None,
                header: Some(h.clone()),
            },
        }
    }
}

/// `PUT /api/v1/integrations/{id}/shared-webhook`: creates or changes the shared webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharedWebhookInput {
    /// Where calls name their customer.
    pub route_by: RouteBy,
}

/// An integration's shared webhook trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SharedWebhookView {
    /// The integration.
    pub integration_id: String,
    /// Where calls name their customer.
    pub route_by: RouteBy,
    /// The URL to call, `{flow}` standing for a webhook flow's name.
    pub url_template: String,
    /// The key calls carry (`X-Webhook-Key` or `?key=`): only in the answer that creates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// `POST /api/v1/integrations/{id}/shared-webhook/key`: a new key, shown once; the old one stops
/// working.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(utoipa::ToSchema))]
pub struct SharedWebhookKey {
    /// The new key.
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::round_trip;
    use serde_json::json;

    #[test]
    fn the_answer_as_the_service_sends_it() {
        let accepted: Accepted = round_trip(json!({"execution_id": "exe_1"}));
        assert_eq!(accepted.execution_id, "exe_1");
        let shared: SharedAccepted = round_trip(json!({"execution_ids": ["exe_1", "exe_2"]}));
        assert_eq!(shared.execution_ids.len(), 2);
    }

    #[test]
    fn shared_webhooks_as_the_service_sends_them() {
        let view: SharedWebhookView = round_trip(json!({"integration_id": "int_1",
            "route_by": {"pointer": "/account/id"}, "key": "whk_1",
            "url_template": "http://localhost:8080/webhooks/shared/int_1/{flow}"}));
        assert_eq!(view.route_by.pointer.as_deref(), Some("/account/id"));
        let core = marketplace_core::routing::RouteBy::Header("X-Customer-Id".into());
        assert_eq!(
            serde_json::to_value(RouteBy::from(&core)).unwrap(),
            json!({"header": "X-Customer-Id"})
        );
        round_trip::<SharedWebhookKey>(json!({"key": "whk_2"}));
        let refused =
            serde_json::from_value::<SharedWebhookInput>(json!({"route_by": {"query": "k"}}));
        assert!(refused.is_err());
    }
}
