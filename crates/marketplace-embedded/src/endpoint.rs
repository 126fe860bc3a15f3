//! Each endpoint of the embedded API as a value: method, path, query, body, and the type of its
//! answer. [`Marketplace`](crate::Marketplace)'s typed methods build these and send them with
//! [`Marketplace::call`](crate::Marketplace::call), which decodes the answer.

use crate::transport::Method;
use crate::wire::{
    ActivationBody, ConnectionAuthorization, DeactivateBody, ExecutionView, InstanceMappingsBody,
    InstanceMappingsView, InstanceView, LaunchUrl, LogView, Mapping, MarketplaceDetail,
    MarketplaceEntry, MarketplaceQuery, OneClickBody, Page, PageQuery, PreviewBody, PreviewResult,
    ReconfigureBody, ReviewBody, ReviewView, SubscriptionView, TestBody, ValidateBody,
    ValidateResult,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::marker::PhantomData;

/// The prefix of every embedded path.
const PREFIX: &str = "/api/v1/embedded";

/// A request to one endpoint, whose JSON answer is a `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint<T> {
    /// The method.
    pub method: Method,
    /// The path, from the service's root (segments percent-encoded).
    pub path: String,
    /// Query `(name, value)` pairs, not yet encoded.
    pub query: Vec<(String, String)>,
    /// The JSON body, if any.
    pub body: Option<Vec<u8>>,
    /// The `Idempotency-Key` header, if any.
    pub idempotency_key: Option<String>,
    answer: PhantomData<fn() -> T>,
}

impl<T> Endpoint<T> {
    /// A request without query or body.
    fn new(method: Method, path: String) -> Self {
        Endpoint {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotency_key: None,
            answer: PhantomData,
        }
    }

    /// With the fields of a query type as `(name, value)` pairs (absent ones left out).
    fn query(mut self, query: &impl Serialize) -> Self {
        self.query = query_pairs(query);
        self
    }

    /// With a JSON body. The bodies here are derived structs of strings and JSON values, which
    /// always serialize.
    fn body(mut self, body: &impl Serialize) -> Self {
        self.body = Some(serde_json::to_vec(body).unwrap_or_default());
        self
    }
}

/// `GET /marketplace`: the listed integrations with the customer's activation state.
pub fn catalog(filter: &MarketplaceQuery) -> Endpoint<Page<MarketplaceEntry>> {
    Endpoint::new(Method::Get, format!("{PREFIX}/marketplace")).query(filter)
}

/// `GET /marketplace/{id}`: one integration with the spec the customer fills in.
pub fn integration(integration_id: &str) -> Endpoint<MarketplaceDetail> {
    Endpoint::new(Method::Get, integration_path(integration_id, ""))
}

/// `POST /marketplace/{id}/validate`: the service's verdict on values, nothing stored.
pub fn validate(integration_id: &str, config: &Value) -> Endpoint<ValidateResult> {
    let body = ValidateBody {
        config: config.clone(),
    };
    Endpoint::new(Method::Post, integration_path(integration_id, "/validate")).body(&body)
}

/// `POST /instances`: activates an integration.
pub fn activate(
    integration_id: &str,
    name: Option<&str>,
    config: &Map<String, Value>,
    idempotency_key: Option<&str>,
) -> Endpoint<InstanceView> {
    let body = ActivationBody {
        integration_id: integration_id.to_owned(),
        name: name.map(str::to_owned),
        config: config.clone(),
    };
    let mut endpoint = Endpoint::new(Method::Post, format!("{PREFIX}/instances")).body(&body);
    endpoint.idempotency_key = idempotency_key.map(str::to_owned);
    endpoint
}

/// `POST /instances` with `template_id`: a one-click activation from an approved workflow
/// template, with the values of its connections.
pub fn activate_template(
    integration_id: &str,
    template_id: &str,
    name: Option<&str>,
    connections: &Map<String, Value>,
    idempotency_key: Option<&str>,
) -> Endpoint<InstanceView> {
    let body = OneClickBody {
        integration_id: integration_id.to_owned(),
        template_id: template_id.to_owned(),
        name: name.map(str::to_owned),
        connections: connections.clone(),
    };
    let mut endpoint = Endpoint::new(Method::Post, format!("{PREFIX}/instances")).body(&body);
    endpoint.idempotency_key = idempotency_key.map(str::to_owned);
    endpoint
}

/// `PATCH /instances/{id}` with `enabled_flows`: the flows that run from now on.
pub fn enable_flows(instance_id: &str, flows: &[String]) -> Endpoint<InstanceView> {
    let body = ReconfigureBody {
        enabled_flows: Some(flows.to_vec()),
        ..ReconfigureBody::default()
    };
    Endpoint::new(Method::Patch, instance_path(instance_id, "")).body(&body)
}

/// `GET /instances`: the customer's instances, a page.
pub fn instances(page: &PageQuery) -> Endpoint<Page<InstanceView>> {
    Endpoint::new(Method::Get, format!("{PREFIX}/instances")).query(page)
}

/// `GET /instances/{id}`.
pub fn instance(instance_id: &str) -> Endpoint<InstanceView> {
    Endpoint::new(Method::Get, instance_path(instance_id, ""))
}

/// `PATCH /instances/{id}`: a new name and/or config.
pub fn reconfigure(
    instance_id: &str,
    name: Option<&str>,
    config: Option<&Map<String, Value>>,
) -> Endpoint<InstanceView> {
    let body = ReconfigureBody {
        name: name.map(str::to_owned),
        config: config.cloned(),
        enabled_flows: None,
    };
    Endpoint::new(Method::Patch, instance_path(instance_id, "")).body(&body)
}

/// `POST /instances/{id}/pause`.
pub fn pause(instance_id: &str) -> Endpoint<InstanceView> {
    Endpoint::new(Method::Post, instance_path(instance_id, "/pause"))
}

/// `POST /instances/{id}/resume`.
pub fn resume(instance_id: &str) -> Endpoint<InstanceView> {
    Endpoint::new(Method::Post, instance_path(instance_id, "/resume"))
}

/// `DELETE /instances/{id}`: deactivates the instance.
pub fn deactivate(instance_id: &str) -> Endpoint<InstanceView> {
    Endpoint::new(Method::Delete, instance_path(instance_id, ""))
}

/// `POST /instances/{id}/deactivate`: deactivates the instance saying why (its subscription
/// ends, cancelled by the customer with this reason).
pub fn deactivate_with_reason(
    instance_id: &str,
    reason: &DeactivateBody,
) -> Endpoint<InstanceView> {
    Endpoint::new(Method::Post, instance_path(instance_id, "/deactivate")).body(reason)
}

/// `GET /subscriptions`: the customer's subscriptions, a page.
pub fn subscriptions(page: &PageQuery) -> Endpoint<Page<SubscriptionView>> {
    Endpoint::new(Method::Get, format!("{PREFIX}/subscriptions")).query(page)
}

/// `GET /marketplace/{id}/reviews`: an integration's reviews (the customer's own one `mine`).
pub fn reviews(integration_id: &str) -> Endpoint<Page<ReviewView>> {
    Endpoint::new(Method::Get, integration_path(integration_id, "/reviews"))
}

/// `POST /marketplace/{id}/reviews`: the customer reviews an integration it subscribed to.
pub fn review(integration_id: &str, review: &ReviewBody) -> Endpoint<ReviewView> {
    Endpoint::new(Method::Post, integration_path(integration_id, "/reviews")).body(review)
}

/// `PATCH /reviews/{id}`: edits the customer's own review, or adds its `follow_up` once the
/// customer came back.
pub fn edit_review(review_id: &str, review: &ReviewBody) -> Endpoint<ReviewView> {
    Endpoint::new(
        Method::Patch,
        format!("{PREFIX}/reviews/{}", encode(review_id)),
    )
    .body(review)
}

/// `POST /instances/{id}/launch`: a short-lived URL signing the customer in to the vendor's
/// product (for an instance whose `launch_url` is set); open it in a new tab.
pub fn launch(instance_id: &str) -> Endpoint<LaunchUrl> {
    Endpoint::new(Method::Post, instance_path(instance_id, "/launch"))
}

/// `POST /instances/{id}/connections/{key}/authorize`: the provider's authorization URL of an
/// OAuth2 authorization-code connection, to open in a popup (single use, 10 minutes).
pub fn authorize_connection(instance_id: &str, key: &str) -> Endpoint<ConnectionAuthorization> {
    let suffix = format!("/connections/{}/authorize", encode(key));
    Endpoint::new(Method::Post, instance_path(instance_id, &suffix))
}

/// `DELETE /instances/{id}/connections/{key}`: forgets the connection's tokens (204, no body).
pub fn disconnect_connection(instance_id: &str, key: &str) -> Endpoint<()> {
    let suffix = format!("/connections/{}", encode(key));
    Endpoint::new(Method::Delete, instance_path(instance_id, &suffix))
}

/// `POST /instances/{id}/test`: runs a flow (default: the first) with a test input, now.
pub fn test(instance_id: &str, flow: Option<&str>, input: &Value) -> Endpoint<ExecutionView> {
    let body = TestBody {
        flow: flow.map(str::to_owned),
        input: input.clone(),
    };
    Endpoint::new(Method::Post, instance_path(instance_id, "/test")).body(&body)
}

/// `GET /instances/{id}/logs`: newest first, a page.
pub fn logs(instance_id: &str, page: &PageQuery) -> Endpoint<Page<LogView>> {
    Endpoint::new(Method::Get, instance_path(instance_id, "/logs")).query(page)
}

/// `GET /instances/{id}/executions`: newest first, a page.
pub fn executions(instance_id: &str, page: &PageQuery) -> Endpoint<Page<ExecutionView>> {
    Endpoint::new(Method::Get, instance_path(instance_id, "/executions")).query(page)
}

/// `GET /instances/{id}/mappings/{collection}`: the instance's overrides of a collection and
/// its effective mappings.
pub fn instance_mappings(instance_id: &str, collection: &str) -> Endpoint<InstanceMappingsView> {
    Endpoint::new(Method::Get, mappings_path(instance_id, collection, ""))
}

/// `PUT /instances/{id}/mappings/{collection}`: replaces the overrides (only `overridable`
/// mappings).
pub fn put_instance_mappings(
    instance_id: &str,
    collection: &str,
    overrides: &[Mapping],
) -> Endpoint<InstanceMappingsView> {
    let body = InstanceMappingsBody {
        overrides: overrides.to_vec(),
    };
    Endpoint::new(Method::Put, mappings_path(instance_id, collection, "")).body(&body)
}

/// `POST /instances/{id}/mappings/{collection}/preview`: the effective mappings (with
/// `overrides` instead of the stored ones when given) applied to `input`.
pub fn preview_instance_mappings(
    instance_id: &str,
    collection: &str,
    input: &Value,
    overrides: Option<&[Mapping]>,
) -> Endpoint<PreviewResult> {
    let body = PreviewBody {
        input: input.clone(),
        overrides: overrides.map(<[Mapping]>::to_vec),
    };
    Endpoint::new(
        Method::Post,
        mappings_path(instance_id, collection, "/preview"),
    )
    .body(&body)
}

/// The path of an instance's mappings of a collection, with a suffix (`/preview`).
fn mappings_path(instance_id: &str, collection: &str, suffix: &str) -> String {
    format!(
        "{PREFIX}/instances/{}/mappings/{}{suffix}",
        encode(instance_id),
        encode(collection)
    )
}

/// The path of an integration in the marketplace, with a suffix (`/validate`).
fn integration_path(integration_id: &str, suffix: &str) -> String {
    format!("{PREFIX}/marketplace/{}{suffix}", encode(integration_id))
}

/// The path of an instance, with a suffix (`/pause`).
fn instance_path(instance_id: &str, suffix: &str) -> String {
    format!("{PREFIX}/instances/{}{suffix}", encode(instance_id))
}

/// The fields of a query type as `(name, value)` pairs: strings as they are, numbers and booleans
/// in their JSON form; absent (`null`) fields left out. The query types are flat structs of
/// such values, which always serialize.
fn query_pairs(query: &impl Serialize) -> Vec<(String, String)> {
    let Ok(Value::Object(fields)) = serde_json::to_value(query) else {
        return Vec::new();
    };
    fields
        .into_iter()
        .filter_map(|(name, value)| match value {
            Value::Null => None,
            Value::String(s) => Some((name, s)),
            other => Some((name, other.to_string())),
        })
        .collect()
}

/// Percent-encodes everything but RFC 3986 unreserved characters (a path segment or a query
/// name or value).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=é"), "a%20b%26c%3D%C3%A9");
        assert_eq!(encode("int_01-x.y~"), "int_01-x.y~");
        assert_eq!(pause("a/b").path, "/api/v1/embedded/instances/a%2Fb/pause");
    }

    #[test]
    fn queries_leave_out_absent_fields() {
        let filter = MarketplaceQuery {
            category: Some("crm".into()),
            limit: Some(2),
            ..MarketplaceQuery::default()
        };
        let query = catalog(&filter).query;
        assert_eq!(
            query,
            [
                ("category".into(), "crm".into()),
                ("limit".into(), "2".into())
            ]
        );
        assert!(instances(&PageQuery::default()).query.is_empty());
    }

    #[test]
    fn activation_carries_its_key_and_body() {
        let config = serde_json::json!({"region": "eu"});
        let endpoint = activate(
            "int_1",
            Some("Mine"),
            config.as_object().unwrap(),
            Some("k1"),
        );
        assert_eq!(endpoint.method, Method::Post);
        assert_eq!(endpoint.idempotency_key.as_deref(), Some("k1"));
        let body: Value = serde_json::from_slice(endpoint.body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"integration_id": "int_1", "name": "Mine", "config": {"region": "eu"}})
        );
    }
}
