//! Running flows: receive (webhook payload or test input) → map (core's pure mapping) → deliver
//! (HTTP to a URL from the instance's config, authorised by its connection), recorded as an
//! execution with per-step results and logs. Failed deliveries retry with exponential backoff,
//! honouring `Retry-After`. The input is sealed in the execution row until it finishes, so a
//! restart resumes what a crash interrupted.

use crate::egress;
use crate::error::{ApiError, ApiResult};
use crate::service::connections::{self, Want};
use crate::service::instances::version_of;
use crate::service::oauth_client::ClientCredentials;
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use base64::Engine;
use marketplace_core::flow::{Flow, FlowMap, Method};
use marketplace_core::instance::Instance;
use marketplace_core::mapping::{OverrideEditor, apply_mappings};
use marketplace_core::redaction;
use marketplace_core::spec::{ConnectionKind, VariableType};
use serde_json::{Map, Value, json};
use std::time::Duration;

pub use crate::store::executions::ExecutionRecord;

/// An execution (404 when unknown).
#[tracing::instrument(name = "runner::load_execution", level = "debug", skip_all)]
pub async fn load_execution(state: &AppState, id: &str) -> ApiResult<ExecutionRecord> {
    store::executions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound("execution"))
}

/// Records a queued execution of a flow (its input sealed) and returns its id.
#[tracing::instrument(name = "runner::enqueue", level = "debug", skip_all)]
pub async fn enqueue(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    flow: &str,
    trigger: &str,
    input: &Value,
) -> ApiResult<String> {
    Ok(store::executions::enqueue(
        &state.store,
        organization_id,
        instance,
        flow,
        trigger,
        input,
        lease_from_now(state),
    )
    .await?)
}

/// Now, and the end of a lease on an execution taken now.
pub fn lease_from_now(state: &AppState) -> store::executions::Leased {
    let now = now_ms();
    store::executions::Leased {
        now,
        until: now + state.settings.execution_lease_ms,
    }
}

/// Runs a flow of an instance with test input, now (one delivery attempt); `flow` defaults to
/// the version's first.
#[tracing::instrument(name = "runner::test_run", level = "debug", skip_all)]
pub async fn test_run(
    state: &AppState,
    organization_id: &str,
    instance: &Instance,
    flow: Option<&str>,
    input: &Value,
) -> ApiResult<ExecutionRecord> {
    if instance.status == marketplace_core::InstanceStatus::Deactivated {
        return Err(ApiError::conflict(
            "invalid_state",
            "a deactivated instance does not run",
        ));
    }
    let version = version_of(state, instance).await?;
    let flow = match flow {
        Some(name) => version.flows.iter().find(|f| f.name == name),
        None => version.flows.first(),
    }
    .ok_or_else(|| {
        ApiError::field(marketplace_core::FieldError::new(
            "/flow",
            marketplace_core::FieldErrorCode::InvalidReference,
            "the version has no such flow",
        ))
    })?;
    let execution_id = enqueue(state, organization_id, instance, &flow.name, "test", input).await?;
    run(state, &execution_id, 1).await
}

/// Triggers the flow of a webhook URL's secret with a payload: records the execution, runs it
/// in the background, and returns its id (404 for an unknown secret, 409 unless active).
#[tracing::instrument(name = "runner::trigger", level = "debug", skip_all)]
pub async fn trigger(state: &AppState, secret: &str, input: &Value) -> ApiResult<String> {
    let (instance_id, flow, organization_id) =
        store::instances::by_webhook_token(&state.store, secret)
            .await?
            .ok_or(ApiError::NotFound("webhook"))?;
    let instance =
        crate::service::instances::load(state, &organization_id, &instance_id, None).await?;
    // A disabled flow's URL answers as if it did not exist (it comes back if re-enabled).
    if !instance.flow_enabled(&flow) {
        return Err(ApiError::NotFound("webhook"));
    }
    if instance.status != marketplace_core::InstanceStatus::Active {
        return Err(ApiError::conflict(
            "instance_not_active",
            format!("the instance is {}", instance.status.as_str()),
        ));
    }
    let mut ids = start_executions(
        state,
        &organization_id,
        vec![instance],
        &flow,
        "webhook",
        input,
    )
    .await?;
    Ok(ids.remove(0))
}

/// Records an execution of `flow` for each instance and starts them, in a task of its own: a
/// caller that goes away (an HTTP client that disconnected) cannot drop this work between
/// recording an execution and starting it, which would leave it queued until the next start.
#[tracing::instrument(name = "runner::start_executions", level = "debug", skip_all)]
pub async fn start_executions(
    state: &AppState,
    organization_id: &str,
    instances: Vec<Instance>,
    flow: &str,
    trigger: &'static str,
    input: &Value,
) -> ApiResult<Vec<String>> {
    let (state, organization_id) = (state.clone(), organization_id.to_owned());
    let (flow, input) = (flow.to_owned(), input.clone());
    tokio::spawn(async move {
        let mut ids = Vec::with_capacity(instances.len());
        for instance in &instances {
            let id = enqueue(&state, &organization_id, instance, &flow, trigger, &input).await?;
            spawn(state.clone(), id.clone());
            ids.push(id);
        }
        Ok(ids)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the executions' task failed: {e}")))?
}

/// Runs a queued execution to its end (retrying deliveries up to `attempts` times).
#[tracing::instrument(name = "runner::run", level = "debug", skip_all)]
pub async fn run(
    state: &AppState,
    execution_id: &str,
    attempts: u32,
) -> ApiResult<ExecutionRecord> {
    let queued = store::executions::queued(&state.store, execution_id)
        .await?
        .ok_or(ApiError::NotFound("execution"))?;
    let input = queued.input;
    let instance =
        crate::service::instances::load(state, &queued.organization_id, &queued.instance_id, None)
            .await?;
    let version = version_of(state, &instance).await?;
    let mut log = Logger {
        state,
        organization_id: &queued.organization_id,
        instance: &instance,
        execution_id,
    };
    let Some(flow) = version.flows.iter().find(|f| f.name == queued.flow) else {
        log.write(
            "error",
            "execution",
            &format!(
                "flow `{}` is not in version {}",
                queued.flow, instance.version
            ),
        )
        .await?;
        let stored = finish(state, execution_id, "failed", &json!([]), 0).await?;
        let finished = load_execution(state, execution_id).await?;
        if !stored {
            return Ok(finished);
        }
        return crate::service::alerts::execution_finished(
            state,
            &queued.organization_id,
            finished,
        )
        .await;
    };
    store::executions::start(&state.store, execution_id).await?;
    log.write(
        "info",
        "execution",
        &format!("flow `{}` started", flow.name),
    )
    .await?;
    let config = crate::service::instances::effective_config_of(state, &instance, &version).await?;
    let mut secrets: Vec<String> = redaction::secret_values(version.config.spec(), &config)
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut steps = vec![Step::new("receive", now_ms()).output(input.clone()).done()];
    let map = Step::new("map", now_ms()).input(input.clone());
    let mapped = map_step(state, &instance, &version, flow, &input).await?;
    let output = mapped.output;
    let mut map = map
        .output(output.clone())
        .with("rules", json!(mapped.rules));
    if let Some(collection) = flow.map.collection() {
        map = map.with("collection", json!(collection));
    }
    let map_failed = !mapped.errors.is_empty();
    if map_failed {
        map = map
            .with("errors", json!(mapped.errors))
            .failed(format!("{} mapping error(s)", mapped.errors.len()));
    }
    steps.push(map.done());
    let mut made = 0;
    let status = match &flow.deliver {
        _ if map_failed => "failed",
        None => "succeeded",
        Some(_) => {
            let outcome = deliver(
                state,
                flow,
                &version.config,
                &config,
                &output,
                attempts.max(1),
                &mut log,
                &mut secrets,
            )
            .await?;
            made = outcome.attempts;
            steps.push(outcome.step);
            if outcome.ok { "succeeded" } else { "failed" }
        }
    };
    log.write(
        if status == "succeeded" {
            "info"
        } else {
            "error"
        },
        "execution",
        &format!("flow `{}` {status}", flow.name),
    )
    .await?;
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let steps = steps.into_iter().map(|s| s.record(&secrets)).collect();
    let stored = finish(state, execution_id, status, &Value::Array(steps), made).await?;
    let finished = load_execution(state, execution_id).await?;
    if !stored {
        // Another process holds it now; its end is that process's to record and alert on.
        return Ok(finished);
    }
    crate::service::alerts::execution_finished(state, &queued.organization_id, finished).await
}

/// What the map step gave: the output, every error, and how many mappings ran.
struct Mapped {
    output: Value,
    errors: Vec<marketplace_core::FieldError>,
    rules: usize,
}

/// The map step: no rules pass the input through; inline rules apply unchecked; a collection
/// applies the instance's effective mappings (collection + overrides) checked against the
/// collection's target schema (core's `apply_mappings` in every case).
async fn map_step(
    state: &AppState,
    instance: &Instance,
    version: &marketplace_core::IntegrationVersion,
    flow: &Flow,
    input: &Value,
) -> ApiResult<Mapped> {
    let (applied, rules) = match &flow.map {
        FlowMap::Rules(rules) if rules.is_empty() => {
            return Ok(Mapped {
                output: input.clone(),
                errors: Vec::new(),
                rules: 0,
            });
        }
        FlowMap::Rules(rules) => (apply_mappings(rules, None, input), rules.len()),
        FlowMap::Collection { collection } => {
            let Some(found) = version.collection(collection) else {
                return Err(ApiError::Internal(format!(
                    "flow `{}` names a missing collection",
                    flow.name
                )));
            };
            let mut conn = state.store.read().await?;
            let overrides =
                store::instance_mappings::get(&mut conn, instance.id.as_str(), collection).await?;
            drop(conn);
            match crate::service::mappings::apply_effective(
                found,
                &overrides,
                OverrideEditor::Vendor,
                &version.record_types,
                input,
            ) {
                // Overrides replace mappings one for one: as many rules as the collection has.
                Ok(applied) => (applied, found.mappings.len()),
                Err(errors) => {
                    return Ok(Mapped {
                        output: json!({}),
                        errors,
                        rules: 0,
                    });
                }
            }
        }
    };
    Ok(Mapped {
        output: applied.output,
        errors: applied.errors,
        rules,
    })
}

/// One step of a run, as it happened; [`Step::record`] makes what the execution stores.
struct Step {
    name: &'static str,
    status: &'static str,
    started_at: i64,
    finished_at: Option<i64>,
    input: Option<Value>,
    output: Option<Value>,
    error: Option<String>,
    extra: Map<String, Value>,
}

impl Step {
    /// A step that started at `started_at` and succeeded (so far).
    fn new(name: &'static str, started_at: i64) -> Step {
        Step {
            name,
            status: "succeeded",
            started_at,
            finished_at: None,
            input: None,
            output: None,
            error: None,
            extra: Map::new(),
        }
    }

    fn input(mut self, input: Value) -> Step {
        self.input = Some(input);
        self
    }

    fn output(mut self, output: Value) -> Step {
        self.output = Some(output);
        self
    }

    fn with(mut self, key: &str, value: Value) -> Step {
        self.extra.insert(key.to_owned(), value);
        self
    }

    /// Marks the step's end, now.
    fn done(mut self) -> Step {
        self.finished_at = Some(now_ms());
        self
    }

    fn failed(mut self, error: String) -> Step {
        self.status = "failed";
        self.error = Some(error);
        self
    }

    /// The record of the executions API: `{step, status, started_at, duration_ms, input,
    /// output, error}` (and the step's own fields), its input and output redacted and capped.
    fn record(self, secrets: &[&str]) -> Value {
        let finished_at = self.finished_at.unwrap_or_else(now_ms);
        let mut out = self.extra;
        out.insert("step".into(), json!(self.name));
        out.insert("status".into(), json!(self.status));
        out.insert(
            "started_at".into(),
            json!(marketplace_core::delivery::rfc3339(self.started_at)),
        );
        out.insert(
            "duration_ms".into(),
            json!((finished_at - self.started_at).max(0)),
        );
        if let Some(input) = &self.input {
            out.insert("input".into(), redaction::record(input, secrets));
        }
        if let Some(output) = &self.output {
            out.insert("output".into(), redaction::record(output, secrets));
        }
        if let Some(error) = &self.error {
            out.insert(
                "error".into(),
                json!(redaction::redact(&json!(error), secrets)),
            );
        }
        Value::Object(out)
    }
}

/// Stores an execution's end; counted in `marketplace_executions_total`. `false` when this
/// process no longer held its lease: another process took it over, and records its end.
async fn finish(
    state: &AppState,
    execution_id: &str,
    status: &'static str,
    steps: &Value,
    attempts: u32,
) -> ApiResult<bool> {
    let stored = store::executions::finish(
        &state.store,
        execution_id,
        status,
        steps,
        attempts,
        now_ms(),
    )
    .await?;
    if stored {
        crate::telemetry::execution(status);
    } else {
        tracing::warn!(
            execution_id,
            "an execution's lease was lost: another process ran it"
        );
    }
    Ok(stored)
}

/// Writes logs of one execution.
struct Logger<'a> {
    state: &'a AppState,
    organization_id: &'a str,
    instance: &'a Instance,
    execution_id: &'a str,
}

impl Logger<'_> {
    async fn write(&mut self, severity: &str, log_type: &str, message: &str) -> ApiResult<()> {
        let line = store::executions::LogLine {
            execution_id: self.execution_id,
            severity,
            log_type,
            message,
        };
        store::executions::log(
            &self.state.store,
            self.organization_id,
            self.instance,
            &line,
            now_ms(),
        )
        .await?;
        crate::service::alerts::log_written(
            self.state,
            self.organization_id,
            self.instance,
            self.execution_id,
            severity,
            message,
        )
        .await
    }
}

struct Outcome {
    ok: bool,
    attempts: u32,
    step: Step,
}

/// At most this much of a target's answer is read for the deliver step's record (the record
/// keeps at most an excerpt of anything over 64 KiB anyway).
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// What a delivery reports when the guard refuses its target.
const PRIVATE_TARGET: &str =
    "the target resolves to a private or loopback address, which deliveries may not reach";

/// How long one outbound request (delivery or token fetch) may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends through the guarded client, with the service's policy and the request timeout.
async fn send(
    state: &AppState,
    request: reqwest::RequestBuilder,
) -> Result<reqwest::Response, egress::SendError> {
    egress::send(
        &state.http,
        request.timeout(REQUEST_TIMEOUT),
        state.settings.allow_private_targets,
    )
    .await
}

enum Auth {
    None,
    Bearer(String),
    Basic(String, String),
}

async fn authorise(
    state: &AppState,
    kind: ConnectionKind,
    inputs: &Map<String, Value>,
    cache_key: (&str, i64),
) -> Result<Auth, String> {
    let input = |name: &str| {
        inputs
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        ConnectionKind::ApiKey => Ok(Auth::Bearer(input("api_key"))),
        ConnectionKind::Basic => Ok(Auth::Basic(input("username"), input("password"))),
        ConnectionKind::OAuth2ClientCredentials => {
            let (token_url, client_id, client_secret, scopes) = (
                input("token_url"),
                input("client_id"),
                input("client_secret"),
                input("scopes"),
            );
            let credentials = ClientCredentials {
                token_url: &token_url,
                client_id: &client_id,
                client_secret: &client_secret,
                scope: Some(scopes.as_str()).filter(|s| !s.is_empty()),
            };
            // Tokens are kept per connection of the instance, until its next change.
            let (connection, changed_at) = cache_key;
            state
                .oauth_tokens
                .token(
                    &state.http,
                    (connection, changed_at),
                    &credentials,
                    now_ms(),
                )
                .await
                .map(Auth::Bearer)
                .map_err(|e| {
                    if e.blocked {
                        PRIVATE_TARGET.to_owned()
                    } else {
                        e.message
                    }
                })
        }
        ConnectionKind::OAuth2AuthorizationCode => Err(
            "an authorization-code connection needs the vendor's `app` to authorise deliveries"
                .into(),
        ),
    }
}

/// Seconds to wait before retry `attempt` (1-based): `Retry-After` when given (capped), else
/// exponential from 250 ms.
fn backoff(attempt: u32, retry_after: Option<u64>) -> Duration {
    match retry_after {
        Some(seconds) => Duration::from_secs(seconds.min(60)),
        None => Duration::from_millis(250u64.saturating_mul(1 << attempt.min(8))),
    }
}

#[allow(clippy::too_many_arguments)] // one call site; the run's pieces, not options
async fn deliver(
    state: &AppState,
    flow: &Flow,
    spec: &marketplace_core::CompiledSpec,
    config: &Map<String, Value>,
    body: &Value,
    attempts: u32,
    log: &mut Logger<'_>,
    secrets: &mut Vec<String>,
) -> ApiResult<Outcome> {
    let deliver = flow
        .deliver
        .as_ref()
        .expect("called for flows that deliver");
    let step = Step::new("deliver", now_ms());
    let failed = |step: Step, attempts: u32, error: String| {
        let step = step.with("attempts", json!(attempts)).failed(error).done();
        Outcome {
            ok: false,
            attempts,
            step,
        }
    };
    let Some(url) = config.get(&deliver.url).and_then(Value::as_str) else {
        log.write(
            "error",
            "delivery",
            &format!("the variable `{}` has no URL", deliver.url),
        )
        .await?;
        return Ok(failed(
            step,
            0,
            format!("the variable `{}` has no value", deliver.url),
        ));
    };
    let url = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return Ok(failed(step, 0, format!("the URL is not valid: {e}"))),
    };
    let method = match deliver.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut headers = Map::new();
    headers.insert("content-type".into(), json!("application/json"));
    let mut step = step.input(json!({"method": method.as_str(), "url": url.as_str(),
        "headers": headers.clone(), "body": body}));
    if egress::check_url(&url, state.settings.allow_private_targets).is_err() {
        log.write("error", "delivery", PRIVATE_TARGET).await?;
        return Ok(failed(step, 0, PRIVATE_TARGET.to_owned()));
    }
    // An authorised connection (OAuth2 authorization code with the vendor's app): its key.
    let authorized = deliver.connection.as_deref().filter(|key| {
        spec.variable(key)
            .is_some_and(|v| v.connection_app.is_some())
    });
    let auth = match &deliver.connection {
        None => Auth::None,
        Some(key) if authorized.is_some() => {
            match connections::access_token(state, log.instance, key, Want::OnUse).await {
                Ok(token) => Auth::Bearer(token),
                Err(e) => {
                    log.write("error", "delivery", &format!("authorisation failed: {e}"))
                        .await?;
                    return Ok(failed(step, 0, format!("authorisation failed: {e}")));
                }
            }
        }
        Some(key) => {
            let kind = match spec.variable(key).map(|v| &v.kind) {
                Some(VariableType::Connection(kind)) => *kind,
                _ => return Ok(failed(step, 0, format!("`{key}` is not a connection"))),
            };
            let inputs = config
                .get(key)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let connection = format!("{}/{key}", log.instance.id.as_str());
            let cache_key = (connection.as_str(), log.instance.updated_at);
            match authorise(state, kind, &inputs, cache_key).await {
                Ok(auth) => auth,
                Err(e) => {
                    log.write("error", "delivery", &format!("authorisation failed: {e}"))
                        .await?;
                    return Ok(failed(step, 0, format!("authorisation failed: {e}")));
                }
            }
        }
    };
    let authorization = match &auth {
        Auth::None => None,
        Auth::Bearer(token) => {
            secrets.push(token.clone());
            Some(format!("Bearer {token}"))
        }
        Auth::Basic(user, password) => Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )),
    };
    if let Some(authorization) = authorization {
        headers.insert("authorization".into(), json!(authorization));
        step.input = Some(json!({"method": method.as_str(), "url": url.as_str(),
            "headers": headers, "body": body}));
    }
    let mut last_error = String::new();
    let mut auth = auth;
    let mut refreshed_after_401 = false;
    for attempt in 1..=attempts {
        let sent = loop {
            let mut request = state.http.request(method.clone(), url.clone()).json(body);
            request = match &auth {
                Auth::None => request,
                Auth::Bearer(token) => request.bearer_auth(token),
                Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
            };
            let sent = send(state, request).await;
            // A 401 with an authorised connection's token: one forced refresh, then once more.
            if let (Ok(response), Some(key), Auth::Bearer(token)) = (&sent, authorized, &auth)
                && response.status() == reqwest::StatusCode::UNAUTHORIZED
                && !refreshed_after_401
            {
                refreshed_after_401 = true;
                let wanted = Want::Replacing(token);
                if let Ok(fresh) = connections::access_token(state, log.instance, key, wanted).await
                    && fresh != *token
                {
                    log.write(
                        "info",
                        "delivery",
                        "the target answered 401: token refreshed",
                    )
                    .await?;
                    secrets.push(fresh.clone());
                    auth = Auth::Bearer(fresh);
                    continue;
                }
            }
            break sent;
        };
        let (retry_after, retryable) = match sent {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                step.output = Some(answer(response).await);
                if status.is_success() {
                    crate::telemetry::delivery_attempt("flow", "delivered");
                    log.write(
                        "info",
                        "delivery",
                        &format!(
                            "delivered to {} ({}) on attempt {attempt}",
                            url.host_str().unwrap_or(""),
                            status.as_u16()
                        ),
                    )
                    .await?;
                    return Ok(Outcome {
                        ok: true,
                        attempts: attempt,
                        step: step
                            .with("attempts", json!(attempt))
                            .with("response_status", json!(status.as_u16()))
                            .done(),
                    });
                }
                last_error = format!("the target answered {status}");
                (
                    retry_after,
                    status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408,
                )
            }
            Err(egress::SendError::Blocked(_)) => {
                crate::telemetry::delivery_attempt("flow", "failed");
                log.write("error", "delivery", PRIVATE_TARGET).await?;
                return Ok(failed(step, attempt, PRIVATE_TARGET.to_owned()));
            }
            Err(e) => {
                last_error = format!("the request failed: {e}");
                (None, true)
            }
        };
        log.write(
            "warn",
            "delivery",
            &format!("attempt {attempt} of {attempts}: {last_error}"),
        )
        .await?;
        if !retryable || attempt == attempts {
            crate::telemetry::delivery_attempt("flow", "failed");
            return Ok(failed(step, attempt, last_error));
        }
        crate::telemetry::delivery_attempt("flow", "retry");
        tokio::time::sleep(backoff(attempt, retry_after)).await;
    }
    Ok(failed(step, attempts, last_error))
}

/// A target's answer as the deliver step records it: `{status, headers, body}`, the body as
/// JSON when it parses, else as text (at most [`MAX_ANSWER_BYTES`] of it).
async fn answer(mut response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let headers: Map<String, Value> = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                json!(String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    let mut bytes = Vec::new();
    while bytes.len() < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(MAX_ANSWER_BYTES);
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
    };
    json!({"status": status, "headers": headers, "body": body})
}

/// Runs an execution in the background (webhook triggers answer 202 at once).
pub fn spawn(state: AppState, execution_id: String) {
    tokio::spawn(async move {
        let attempts = state.settings.delivery_attempts;
        if let Err(e) = run(&state, &execution_id, attempts).await {
            tracing::error!(execution_id, error = %e, "execution failed to run");
        }
    });
}

/// Executions taken over at once, at most.
const TAKEOVER_BATCH: i64 = 64;

/// Resumes, at start, the executions a stop interrupted (queued or running, input still sealed).
/// On SQLite, which one process holds, every one of them at once; on PostgreSQL, those whose
/// lease ended (the others may be running in another process: [`run_lease_keeper`] takes them
/// over if their lease ends).
#[tracing::instrument(name = "runner::resume_interrupted", level = "debug", skip_all)]
pub async fn resume_interrupted(state: &AppState) -> ApiResult<usize> {
    let now = match state.store.backend() {
        store::Backend::Sqlite => i64::MAX,
        store::Backend::Postgres => now_ms(),
    };
    let mut resumed = 0;
    loop {
        let until = lease_from_now(state).until;
        let ids =
            store::executions::claim_abandoned(&state.store, now, until, TAKEOVER_BATCH).await?;
        resumed += ids.len();
        let last = (ids.len() as i64) < TAKEOVER_BATCH;
        for id in ids {
            spawn(state.clone(), id);
        }
        if last {
            return Ok(resumed);
        }
    }
}

/// A loop in every serving process: renews the leases of the executions this process runs, and
/// takes over the unfinished executions whose lease ended (their process died), a third of a
/// lease apart. An execution taken over runs again from its start (at least once; its end is
/// recorded once, by the lease holder).
pub async fn run_lease_keeper(state: AppState) {
    let period = Duration::from_millis((state.settings.execution_lease_ms / 3).max(100) as u64);
    loop {
        tokio::time::sleep(period).await;
        let leased = lease_from_now(&state);
        if let Err(e) = store::executions::renew_leases(&state.store, leased.until).await {
            tracing::warn!(error = %e, "could not renew the executions' leases");
            continue;
        }
        match store::executions::claim_abandoned(
            &state.store,
            leased.now,
            leased.until,
            TAKEOVER_BATCH,
        )
        .await
        {
            Ok(ids) => {
                if !ids.is_empty() {
                    tracing::info!(
                        count = ids.len(),
                        "took over executions whose process stopped"
                    );
                }
                for id in ids {
                    spawn(state.clone(), id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not take over abandoned executions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        assert_eq!(backoff(1, None), Duration::from_millis(500));
        assert_eq!(backoff(2, None), Duration::from_millis(1000));
        assert_eq!(backoff(1, Some(3)), Duration::from_secs(3));
        assert_eq!(backoff(1, Some(3600)), Duration::from_secs(60));
    }
}
