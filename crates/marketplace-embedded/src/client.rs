//! The client: one typed async method per endpoint of the embedded API ([`crate::endpoint`]).

use crate::endpoint::{self, Endpoint, encode};
use crate::error::{Error, Result};
use crate::token::{TokenSource, needs_refresh, now_secs, token_expiry};
use crate::transport::{HttpRequest, HttpResponse, Method, Transport};
use crate::wire::{
    ConnectionAuthorization, DeactivateBody, ExecutionView, InstanceMappingsView, InstanceView,
    LaunchUrl, LogView, Mapping, MarketplaceDetail, MarketplaceEntry, MarketplaceQuery, Page,
    PageQuery, PreviewResult, ReviewBody, ReviewView, SubscriptionView, ValidateResult,
};
use marketplace_core::error::unprefix_all;
use marketplace_core::values::Editor;
use marketplace_core::{
    CompiledSpec, FieldError, FieldErrorCode, Submission, accept_activation, validate_update,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

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
    /// The listed version of each integration, as last seen.
    listed: Mutex<HashMap<String, String>>,
    /// Each instance as last seen in an answer, for local checks of reconfigurations.
    instances_seen: Mutex<HashMap<String, InstanceView>>,
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

    /// A client of the service at `base_url`, over the platform's `fetch`.
    #[cfg(target_arch = "wasm32")]
    pub fn new(base_url: impl Into<String>, tokens: TokenSource) -> Self {
        Self::with_transport(base_url, tokens, Arc::new(crate::transport::FetchTransport))
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
            listed: Mutex::new(HashMap::new()),
            instances_seen: Mutex::new(HashMap::new()),
        }
    }

    /// The marketplace: listed integrations with the customer's activation state.
    pub async fn catalog(&self, filter: &MarketplaceQuery) -> Result<Page<MarketplaceEntry>> {
        self.call(endpoint::catalog(filter)).await
    }

    /// One integration with the spec the customer fills in; caches its compiled spec.
    pub async fn integration(&self, integration_id: &str) -> Result<MarketplaceDetail> {
        let detail = self.call(endpoint::integration(integration_id)).await?;
        // Compiled now for later local checks. A spec this SDK cannot compile (a newer
        // service's) fails those checks with `Error::Decode`, not this read.
        let _ = self.remember(&detail);
        Ok(detail)
    }

    /// Asks the service whether values are valid for the listed version (not an error if not).
    pub async fn validate(&self, integration_id: &str, config: &Value) -> Result<ValidateResult> {
        self.call(endpoint::validate(integration_id, config)).await
    }

    /// Checks values locally against the listed version's spec by core's rule of activation, as
    /// the customer (paths relative to the config); reads the integration only when its listed
    /// spec is not known yet.
    pub async fn check(&self, integration_id: &str, config: &Value) -> Result<Vec<FieldError>> {
        let spec = match self.listed_spec(integration_id) {
            Some(spec) => spec,
            None => self.remember(&self.integration(integration_id).await?)?,
        };
        let Some(submitted) = config.as_object() else {
            let error = FieldError::new("", FieldErrorCode::Type, "config must be an object");
            return Ok(vec![error]);
        };
        let none = Map::new();
        let submission = Submission {
            editor: Editor::Customer,
            submitted,
            vendor_values: &none,
            token_values: None,
        };
        Ok(match accept_activation(&spec, submission) {
            Ok(_) => Vec::new(),
            Err(errors) => unprefix_all(errors, "/config"),
        })
    }

    /// The values of an activation, checked locally: [`Error::Validation`] when they fail.
    pub async fn check_activation(
        &self,
        integration_id: &str,
        config: &Value,
    ) -> Result<Map<String, Value>> {
        let errors = self.check(integration_id, config).await?;
        match config.as_object() {
            Some(config) if errors.is_empty() => Ok(config.clone()),
            _ => Err(Error::Validation(errors)),
        }
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
    ) -> Result<InstanceView> {
        let config = self.check_activation(integration_id, config).await?;
        let instance = self
            .call(endpoint::activate(
                integration_id,
                name,
                &config,
                idempotency_key,
            ))
            .await?;
        Ok(self.seen(instance))
    }

    /// Activates an approved workflow template of the listed version in one click (the detail's
    /// `workflow_templates`), giving the values of its `connections`. A retry with the same
    /// `idempotency_key` answers the same instance.
    pub async fn activate_template(
        &self,
        integration_id: &str,
        template_id: &str,
        name: Option<&str>,
        connections: &Map<String, Value>,
        idempotency_key: Option<&str>,
    ) -> Result<InstanceView> {
        let instance = self
            .call(endpoint::activate_template(
                integration_id,
                template_id,
                name,
                connections,
                idempotency_key,
            ))
            .await?;
        Ok(self.seen(instance))
    }

    /// Chooses the flows of an instance that run (a disabled flow's webhook URL answers 404).
    pub async fn enable_flows(&self, instance_id: &str, flows: &[String]) -> Result<InstanceView> {
        let instance = self
            .call(endpoint::enable_flows(instance_id, flows))
            .await?;
        Ok(self.seen(instance))
    }

    /// The customer's instances, a page at a time.
    pub async fn instances(&self, page: &PageQuery) -> Result<Page<InstanceView>> {
        let page = self.call(endpoint::instances(page)).await?;
        for instance in &page.items {
            self.seen(instance.clone());
        }
        Ok(page)
    }

    /// One of the customer's instances.
    pub async fn instance(&self, instance_id: &str) -> Result<InstanceView> {
        let instance = self.call(endpoint::instance(instance_id)).await?;
        Ok(self.seen(instance))
    }

    /// Remembers an instance as an answer showed it; returns it.
    fn seen(&self, instance: InstanceView) -> InstanceView {
        self.instances_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(instance.id.clone(), instance.clone());
        instance
    }

    /// The update of a reconfiguration, checked locally by core's rule against the instance as
    /// last seen in an answer (read only when never seen, or when that refuses it): merged over
    /// the stored values as the service will ([`Error::Validation`] when it fails; errors on
    /// secrets kept masked are left to the service).
    pub async fn check_reconfiguration(
        &self,
        instance_id: &str,
        config: &Value,
    ) -> Result<Map<String, Value>> {
        let Some(update) = config.as_object() else {
            return Err(Error::Validation(vec![FieldError::new(
                "",
                FieldErrorCode::Type,
                "config must be an object",
            )]));
        };
        let known = self
            .instances_seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(instance_id)
            .cloned();
        // The instance as last seen, with no read; a refusal by it is judged again by the
        // instance as it is now (another user may have changed it).
        if let Some(instance) = known
            && self
                .reconfiguration_errors(&instance, update)
                .await?
                .is_empty()
        {
            return Ok(update.clone());
        }
        let instance = self.instance(instance_id).await?;
        let errors = self.reconfiguration_errors(&instance, update).await?;
        if errors.is_empty() {
            Ok(update.clone())
        } else {
            Err(Error::Validation(errors))
        }
    }

    /// The local errors of an update of `instance` (none when its version's spec is unknown).
    async fn reconfiguration_errors(
        &self,
        instance: &InstanceView,
        update: &Map<String, Value>,
    ) -> Result<Vec<FieldError>> {
        Ok(
            match self
                .spec_of(&instance.integration_id, &instance.version)
                .await?
            {
                Some(spec) => validate_update(&spec, &instance.config, update, Editor::Customer),
                None => Vec::new(),
            },
        )
    }

    /// Reconfigures an instance: a new name and/or the customer's whole part of the config (an
    /// omitted secret, or one sent back masked, keeps its value).
    ///
    /// The values are validated locally first ([`Marketplace::check_reconfiguration`]).
    pub async fn reconfigure(
        &self,
        instance_id: &str,
        name: Option<&str>,
        config: Option<&Value>,
    ) -> Result<InstanceView> {
        let config = match config {
            Some(config) => Some(self.check_reconfiguration(instance_id, config).await?),
            None => None,
        };
        let instance = self
            .call(endpoint::reconfigure(instance_id, name, config.as_ref()))
            .await?;
        Ok(self.seen(instance))
    }

    /// Pauses an instance.
    pub async fn pause(&self, instance_id: &str) -> Result<InstanceView> {
        let instance = self.call(endpoint::pause(instance_id)).await?;
        Ok(self.seen(instance))
    }

    /// Resumes a paused instance.
    pub async fn resume(&self, instance_id: &str) -> Result<InstanceView> {
        let instance = self.call(endpoint::resume(instance_id)).await?;
        Ok(self.seen(instance))
    }

    /// Deactivates an instance.
    pub async fn deactivate(&self, instance_id: &str) -> Result<InstanceView> {
        let instance = self.call(endpoint::deactivate(instance_id)).await?;
        Ok(self.seen(instance))
    }

    /// Deactivates an instance saying why: its subscription ends, cancelled by the customer
    /// with `reason` (one of core's `CancellationReason::PICKABLE`, and an optional comment).
    pub async fn deactivate_with_reason(
        &self,
        instance_id: &str,
        reason: &DeactivateBody,
    ) -> Result<InstanceView> {
        let instance = self
            .call(endpoint::deactivate_with_reason(instance_id, reason))
            .await?;
        Ok(self.seen(instance))
    }

    /// The customer's subscriptions (one per activation: its price then, and how it ended).
    pub async fn subscriptions(&self, page: &PageQuery) -> Result<Page<SubscriptionView>> {
        self.call(endpoint::subscriptions(page)).await
    }

    /// An integration's reviews, authors unnamed; the customer's own one is `mine`.
    pub async fn reviews(&self, integration_id: &str) -> Result<Page<ReviewView>> {
        self.call(endpoint::reviews(integration_id)).await
    }

    /// Reviews an integration the customer subscribed to (once; `review_prompt` on the detail
    /// says when to ask).
    pub async fn review(&self, integration_id: &str, review: &ReviewBody) -> Result<ReviewView> {
        self.call(endpoint::review(integration_id, review)).await
    }

    /// Edits the customer's own review, or adds its `follow_up` once the customer came back.
    pub async fn edit_review(&self, review_id: &str, review: &ReviewBody) -> Result<ReviewView> {
        self.call(endpoint::edit_review(review_id, review)).await
    }

    /// A short-lived URL that signs the customer in to the vendor's product, for an instance
    /// whose `launch_url` is set (SSO configured); open it in a new tab or window.
    pub async fn launch_instance(&self, instance_id: &str) -> Result<LaunchUrl> {
        self.call(endpoint::launch(instance_id)).await
    }

    /// Starts authorising an OAuth2 authorization-code connection of an instance: the
    /// provider's URL to open in a popup. The service's callback page then posts
    /// `CONNECTION_AUTHORIZED` or `CONNECTION_FAILED` to the opener (docs/connections.md).
    pub async fn authorize_connection(
        &self,
        instance_id: &str,
        key: &str,
    ) -> Result<ConnectionAuthorization> {
        self.call(endpoint::authorize_connection(instance_id, key))
            .await
    }

    /// Disconnects a connection of an instance: its tokens are forgotten (`not_connected`).
    pub async fn disconnect_connection(&self, instance_id: &str, key: &str) -> Result<()> {
        let endpoint = endpoint::disconnect_connection(instance_id, key);
        // 204: no body to decode.
        self.send(endpoint.method, &endpoint.path, &endpoint.query, None, &[])
            .await?;
        Ok(())
    }

    /// Runs a flow of the instance (default: the first) with test input, now.
    pub async fn test(
        &self,
        instance_id: &str,
        flow: Option<&str>,
        input: &Value,
    ) -> Result<ExecutionView> {
        self.call(endpoint::test(instance_id, flow, input)).await
    }

    /// The instance's overrides of a collection and the mappings it runs with them.
    pub async fn instance_mappings(
        &self,
        instance_id: &str,
        collection: &str,
    ) -> Result<InstanceMappingsView> {
        self.call(endpoint::instance_mappings(instance_id, collection))
            .await
    }

    /// Replaces the instance's overrides of a collection (a customer may override only
    /// `overridable` mappings; others are `not_editable` at `/overrides/N/to`).
    pub async fn put_instance_mappings(
        &self,
        instance_id: &str,
        collection: &str,
        overrides: &[Mapping],
    ) -> Result<InstanceMappingsView> {
        self.call(endpoint::put_instance_mappings(
            instance_id,
            collection,
            overrides,
        ))
        .await
    }

    /// Applies the instance's effective mappings of a collection to `input` (with `overrides`
    /// tried instead of the stored ones when given): the output and every error.
    pub async fn preview_instance_mappings(
        &self,
        instance_id: &str,
        collection: &str,
        input: &Value,
        overrides: Option<&[Mapping]>,
    ) -> Result<PreviewResult> {
        self.call(endpoint::preview_instance_mappings(
            instance_id,
            collection,
            input,
            overrides,
        ))
        .await
    }

    /// The instance's logs, newest first, a page at a time.
    pub async fn logs(&self, instance_id: &str, page: &PageQuery) -> Result<Page<LogView>> {
        self.call(endpoint::logs(instance_id, page)).await
    }

    /// The instance's executions, newest first, a page at a time.
    pub async fn executions(
        &self,
        instance_id: &str,
        page: &PageQuery,
    ) -> Result<Page<ExecutionView>> {
        self.call(endpoint::executions(instance_id, page)).await
    }

    /// Sends an endpoint's request (with the token, retried once after a 401) and decodes its
    /// answer: the way to reach an endpoint as [`crate::endpoint`] describes it.
    pub async fn call<T: DeserializeOwned>(&self, endpoint: Endpoint<T>) -> Result<T> {
        let key = endpoint.idempotency_key.as_deref();
        let headers: Vec<(&str, &str)> = key.map(|k| ("idempotency-key", k)).into_iter().collect();
        let response = self
            .send(
                endpoint.method,
                &endpoint.path,
                &endpoint.query,
                endpoint.body,
                &headers,
            )
            .await?;
        serde_json::from_slice(&response.body).map_err(|e| Error::Decode(e.to_string()))
    }

    /// The compiled spec of the integration's listed version, if known.
    fn listed_spec(&self, integration_id: &str) -> Option<Arc<CompiledSpec>> {
        let version = self
            .listed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(integration_id)
            .cloned()?;
        let specs = self.specs.lock().unwrap_or_else(PoisonError::into_inner);
        specs.get(&(integration_id.to_owned(), version)).cloned()
    }

    /// The compiled spec of a detail, compiled once per integration and version; the detail's
    /// version is remembered as the listed one.
    fn remember(&self, detail: &MarketplaceDetail) -> Result<Arc<CompiledSpec>> {
        let key = (
            detail.entry.integration_id.clone(),
            detail.entry.version.clone(),
        );
        self.listed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.0.clone(), key.1.clone());
        let mut specs = self.specs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(spec) = specs.get(&key) {
            return Ok(spec.clone());
        }
        let spec = Arc::new(detail.config.compile().map_err(|errors| {
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
        query: &[(String, String)],
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
}
