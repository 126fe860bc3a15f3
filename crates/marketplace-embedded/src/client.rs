//! The client: one typed async method per endpoint of the embedded API.

use crate::error::{Error, Result};
use crate::token::{TokenSource, needs_refresh, now_secs, token_expiry};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};
use crate::wire::{
    ActivationRequest, CatalogEntry, CatalogQuery, Execution, Instance, IntegrationDetail,
    LogEntry, Page, ReconfigureRequest, TestRequest, ValidateRequest, ValidateResult,
};
use marketplace_core::values::{Editor, ValidationOptions, validate_config};
use marketplace_core::{CompiledSpec, FieldError, FieldErrorCode, merge_update};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// The prefix of every embedded path.
const PREFIX: &str = "/api/v1/embedded";

/// A client of the embedded API for one signed-in user of the host app.
///
/// Writes (`activate`, `reconfigure`) are checked locally against the listed spec first and fail
/// with [`Error::Validation`] without a request; the service stays the authority.
pub struct Marketplace {
    base: String,
    transport: Arc<dyn Transport>,
    tokens: TokenSource,
    current: Mutex<Option<String>>,
    specs: Mutex<HashMap<(String, String), Arc<CompiledSpec>>>,
}

impl fmt::Debug for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Marketplace")
            .field("base", &self.base)
            .field("tokens", &self.tokens)
            .finish_non_exhaustive()
    }
}

impl Marketplace {
    /// A client of the service at `base_url` (`https://marketplace.example`), over `reqwest`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(base_url: impl Into<String>, tokens: TokenSource) -> Self {
        Self::with_transport(
            base_url,
            tokens,
            Arc::new(crate::transport::ReqwestTransport::new()),
        )
    }

    /// A client over a given transport.
    pub fn with_transport(
        base_url: impl Into<String>,
        tokens: TokenSource,
        transport: Arc<dyn Transport>,
    ) -> Self {
        let base = base_url.into().trim_end_matches('/').to_owned();
        Marketplace {
            base,
            transport,
            tokens,
            current: Mutex::new(None),
            specs: Mutex::new(HashMap::new()),
        }
    }

    /// The marketplace: listed integrations with the customer's activation state.
    pub async fn catalog(&self, filter: &CatalogQuery) -> Result<Page<CatalogEntry>> {
        let query = filter.pairs();
        self.json(
            Method::Get,
            &format!("{PREFIX}/marketplace"),
            &query,
            None::<&()>,
            &[],
        )
        .await
    }

    /// One integration with the spec the customer fills in; caches its compiled spec.
    pub async fn integration(&self, integration_id: &str) -> Result<IntegrationDetail> {
        let path = format!("{PREFIX}/marketplace/{}", segment(integration_id));
        let detail: IntegrationDetail =
            self.json(Method::Get, &path, &[], None::<&()>, &[]).await?;
        self.remember(&detail)?;
        Ok(detail)
    }

    /// Asks the service whether values are valid for the listed version (not an error if not).
    pub async fn validate(&self, integration_id: &str, config: &Value) -> Result<ValidateResult> {
        let path = format!("{PREFIX}/marketplace/{}/validate", segment(integration_id));
        let body = ValidateRequest {
            config: config.clone(),
        };
        self.json(Method::Post, &path, &[], Some(&body), &[]).await
    }

    /// Checks values locally against the listed version's spec, complete, as the customer.
    pub async fn check(&self, integration_id: &str, config: &Value) -> Result<Vec<FieldError>> {
        let detail = self.integration(integration_id).await?;
        let spec = self.remember(&detail)?;
        Ok(validate_config(
            &spec,
            config,
            ValidationOptions::complete(Editor::Customer),
        ))
    }

    /// Activates a listed integration; `idempotency_key` makes a retry return the same instance.
    ///
    /// The values are validated locally first: [`Error::Validation`] means nothing was sent.
    pub async fn activate(
        &self,
        integration_id: &str,
        name: Option<&str>,
        config: &Value,
        idempotency_key: Option<&str>,
    ) -> Result<Instance> {
        let errors = self.check(integration_id, config).await?;
        let Some(config) = config.as_object().filter(|_| errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        let body = ActivationRequest {
            integration_id: integration_id.to_owned(),
            name: name.map(str::to_owned),
            config: config.clone(),
        };
        let headers: Vec<(&str, &str)> = idempotency_key
            .map(|k| ("idempotency-key", k))
            .into_iter()
            .collect();
        self.json(
            Method::Post,
            &format!("{PREFIX}/instances"),
            &[],
            Some(&body),
            &headers,
        )
        .await
    }

    /// The customer's instances (first page).
    pub async fn instances(&self) -> Result<Page<Instance>> {
        self.json(
            Method::Get,
            &format!("{PREFIX}/instances"),
            &[],
            None::<&()>,
            &[],
        )
        .await
    }

    /// One of the customer's instances.
    pub async fn instance(&self, instance_id: &str) -> Result<Instance> {
        self.json(
            Method::Get,
            &instance_path(instance_id, ""),
            &[],
            None::<&()>,
            &[],
        )
        .await
    }

    /// Reconfigures an instance: a new name and/or the customer's whole part of the config (an
    /// omitted secret, or one sent back masked, keeps its value).
    ///
    /// The values are validated locally first when the instance runs the listed version.
    pub async fn reconfigure(
        &self,
        instance_id: &str,
        name: Option<&str>,
        config: Option<&Value>,
    ) -> Result<Instance> {
        let config = match config {
            None => None,
            Some(config) => {
                let Some(update) = config.as_object() else {
                    return Err(Error::Validation(vec![FieldError::new(
                        "",
                        FieldErrorCode::Type,
                        "config must be an object",
                    )]));
                };
                let instance = self.instance(instance_id).await?;
                if let Some(spec) = self
                    .spec_of(&instance.integration_id, &instance.version)
                    .await?
                {
                    let errors = check_update(&spec, &instance.config, update);
                    if !errors.is_empty() {
                        return Err(Error::Validation(errors));
                    }
                }
                Some(update.clone())
            }
        };
        let body = ReconfigureRequest {
            name: name.map(str::to_owned),
            config,
        };
        self.json(
            Method::Patch,
            &instance_path(instance_id, ""),
            &[],
            Some(&body),
            &[],
        )
        .await
    }

    /// Pauses an instance.
    pub async fn pause(&self, instance_id: &str) -> Result<Instance> {
        let path = instance_path(instance_id, "/pause");
        self.json(Method::Post, &path, &[], None::<&()>, &[]).await
    }

    /// Resumes a paused instance.
    pub async fn resume(&self, instance_id: &str) -> Result<Instance> {
        let path = instance_path(instance_id, "/resume");
        self.json(Method::Post, &path, &[], None::<&()>, &[]).await
    }

    /// Deactivates an instance.
    pub async fn deactivate(&self, instance_id: &str) -> Result<Instance> {
        let path = instance_path(instance_id, "");
        self.json(Method::Delete, &path, &[], None::<&()>, &[])
            .await
    }

    /// Runs a flow of the instance (default: the first) with test input, now.
    pub async fn test(
        &self,
        instance_id: &str,
        flow: Option<&str>,
        input: &Value,
    ) -> Result<Execution> {
        let body = TestRequest {
            flow: flow.map(str::to_owned),
            input: input.clone(),
        };
        let path = instance_path(instance_id, "/test");
        self.json(Method::Post, &path, &[], Some(&body), &[]).await
    }

    /// The instance's logs (first page, newest first).
    pub async fn logs(&self, instance_id: &str) -> Result<Page<LogEntry>> {
        let path = instance_path(instance_id, "/logs");
        self.json(Method::Get, &path, &[], None::<&()>, &[]).await
    }

    /// The instance's executions (first page, newest first).
    pub async fn executions(&self, instance_id: &str) -> Result<Page<Execution>> {
        let path = instance_path(instance_id, "/executions");
        self.json(Method::Get, &path, &[], None::<&()>, &[]).await
    }

    /// The compiled spec of a detail, compiled once per integration and version.
    fn remember(&self, detail: &IntegrationDetail) -> Result<Arc<CompiledSpec>> {
        let key = (
            detail.entry.integration_id.clone(),
            detail.entry.version.clone(),
        );
        let mut specs = self.specs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(spec) = specs.get(&key) {
            return Ok(spec.clone());
        }
        let spec = Arc::new(CompiledSpec::new(detail.config.clone()).map_err(|errors| {
            Error::Decode(format!("the listed spec does not compile: {errors:?}"))
        })?);
        specs.insert(key, spec.clone());
        Ok(spec)
    }

    /// The compiled spec of a version, if cached or still the listed one.
    async fn spec_of(
        &self,
        integration_id: &str,
        version: &str,
    ) -> Result<Option<Arc<CompiledSpec>>> {
        let key = (integration_id.to_owned(), version.to_owned());
        let cached = self
            .specs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
            .cloned();
        if cached.is_some() {
            return Ok(cached);
        }
        let detail = match self.integration(integration_id).await {
            Ok(detail) => detail,
            // No longer listed: the service alone can judge.
            Err(Error::Problem { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if detail.entry.version == version {
            Ok(Some(self.remember(&detail)?))
        } else {
            Ok(None)
        }
    }

    /// The token to send: the cached one unless due for a refresh (or `fresh` is asked).
    async fn token(&self, fresh: bool) -> Result<String> {
        let callback = match &self.tokens {
            TokenSource::Fixed(token) => return Ok(token.clone()),
            TokenSource::Callback(callback) => callback.clone(),
        };
        if !fresh {
            let current = self
                .current
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            if let Some(token) = current
                && !needs_refresh(token_expiry(&token), now_secs())
            {
                return Ok(token);
            }
        }
        let token = callback().await.map_err(Error::Token)?;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        Ok(token)
    }

    /// Sends a request with a token, retrying once with a fresh token after a `401`.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse> {
        let mut url = format!("{}{path}", self.base);
        for (i, (name, value)) in query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(&encode(name));
            url.push('=');
            url.push_str(&encode(value));
        }
        let mut fresh = false;
        loop {
            let token = self.token(fresh).await?;
            let mut all = vec![
                ("authorization".to_owned(), format!("Bearer {token}")),
                ("accept".to_owned(), "application/json".to_owned()),
            ];
            if body.is_some() {
                all.push(("content-type".to_owned(), "application/json".to_owned()));
            }
            all.extend(
                headers
                    .iter()
                    .map(|(n, v)| ((*n).to_owned(), (*v).to_owned())),
            );
            let request = HttpRequest {
                method,
                url: url.clone(),
                headers: all,
                body: body.clone(),
            };
            let response = self.transport.send(request).await?;
            let can_retry = !fresh && matches!(self.tokens, TokenSource::Callback(_));
            if response.status == 401 && can_retry {
                fresh = true;
                continue;
            }
            if !(200..300).contains(&response.status) {
                return Err(Error::from_response(response.status, &response.body));
            }
            return Ok(response);
        }
    }

    /// Sends a request with a JSON body and decodes the JSON answer.
    async fn json<T: DeserializeOwned, B: Serialize>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
        headers: &[(&str, &str)],
    ) -> Result<T> {
        let body = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| Error::Decode(e.to_string()))?;
        let response = self.send(method, path, query, body, headers).await?;
        serde_json::from_slice(&response.body).map_err(|e| Error::Decode(e.to_string()))
    }
}

/// The path of an instance, with a suffix (`/pause`).
fn instance_path(instance_id: &str, suffix: &str) -> String {
    format!("{PREFIX}/instances/{}{suffix}", segment(instance_id))
}

/// Checks a reconfiguration as the service will: the update merged over the stored values
/// (masked here), complete; errors on values kept masked are left to the service.
fn check_update(
    spec: &CompiledSpec,
    stored: &Map<String, Value>,
    update: &Map<String, Value>,
) -> Vec<FieldError> {
    let merged = merge_update(spec.spec(), stored, update);
    let errors = validate_config(
        spec,
        &Value::Object(merged.clone()),
        ValidationOptions::complete(Editor::Customer),
    );
    errors
        .into_iter()
        .filter(|e| {
            let key = e
                .path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("");
            let key = key.replace("~1", "/").replace("~0", "~");
            !merged.get(&key).is_some_and(has_masked)
        })
        .collect()
}

/// Whether a value is, or holds, a masked secret `{"set": true}`.
fn has_masked(value: &Value) -> bool {
    match value {
        Value::Object(map) => {
            (map.len() == 1 && map.get("set") == Some(&Value::Bool(true)))
                || map.values().any(has_masked)
        }
        _ => false,
    }
}

/// Percent-encodes a path segment.
fn segment(s: &str) -> String {
    encode(s)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
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
    use serde_json::json;

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode("a b&c=é"), "a%20b%26c%3D%C3%A9");
        assert_eq!(encode("int_01-x.y~"), "int_01-x.y~");
    }

    #[test]
    fn masked_values_are_recognized() {
        assert!(has_masked(&json!({"set": true})));
        assert!(has_masked(&json!({"api_key": {"set": true}})));
        assert!(!has_masked(&json!({"set": false})));
        assert!(!has_masked(&json!("x")));
    }
}
