//! Running flows: receive (webhook payload or test input) → map (core's pure mapping) → deliver
//! (HTTP to a URL from the instance's config, authorised by its connection), recorded as an
//! execution with per-step results and logs. Failed deliveries retry with exponential backoff,
//! honouring `Retry-After`. The input is sealed in the execution row until it finishes, so a
//! restart resumes what a crash interrupted.

use crate::egress;
use crate::error::{ApiError, ApiResult};
use crate::service::instances::version_of;
use crate::service::oauth_client::ClientCredentials;
use crate::service::state::AppState;
use crate::store::{self, now_ms};
use marketplace_core::config::effective_config;
use marketplace_core::flow::{Flow, Method, apply_map};
use marketplace_core::instance::Instance;
use marketplace_core::spec::{ConnectionKind, VariableType};
use serde_json::{Map, Value, json};
use std::time::Duration;

pub use crate::store::executions::ExecutionRecord;

/// An execution (404 when unknown).
pub async fn load_execution(state: &AppState, id: &str) -> ApiResult<ExecutionRecord> {
    store::executions::get(&state.store, id)
        .await?
        .ok_or(ApiError::NotFound("execution"))
}

/// Records a queued execution of a flow (its input sealed) and returns its id.
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
        now_ms(),
    )
    .await?)
}

/// Runs a flow of an instance with test input, now (one delivery attempt); `flow` defaults to
/// the version's first.
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
pub async fn trigger(state: &AppState, secret: &str, input: &Value) -> ApiResult<String> {
    let (instance_id, flow, organization_id) =
        store::instances::by_webhook_token(&state.store, secret)
            .await?
            .ok_or(ApiError::NotFound("webhook"))?;
    let instance =
        crate::service::instances::load(state, &organization_id, &instance_id, None).await?;
    if instance.status != marketplace_core::InstanceStatus::Active {
        return Err(ApiError::conflict(
            "instance_not_active",
            format!("the instance is {}", instance.status.as_str()),
        ));
    }
    let execution_id = enqueue(state, &organization_id, &instance, &flow, "webhook", input).await?;
    spawn(state.clone(), execution_id.clone());
    Ok(execution_id)
}

/// Runs a queued execution to its end (retrying deliveries up to `attempts` times).
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
        finish(state, execution_id, "failed", &json!([]), 0).await?;
        let finished = load_execution(state, execution_id).await?;
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
    let mut steps = vec![json!({"step": "receive", "status": "succeeded"})];
    let output = apply_map(&flow.map, &input);
    steps.push(json!({"step": "map", "status": "succeeded", "rules": flow.map.len()}));
    let mut made = 0;
    let status = match &flow.deliver {
        None => "succeeded",
        Some(_) => {
            let vendor = store::customers::vendor_values(
                &state.store,
                instance.customer_id.as_str(),
                instance.integration_id.as_str(),
            )
            .await?;
            let config = effective_config(version.config.spec(), &[&vendor, &instance.config]);
            let outcome = deliver(
                state,
                flow,
                &version.config,
                &config,
                &output,
                attempts.max(1),
                &mut log,
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
    finish(state, execution_id, status, &Value::Array(steps), made).await?;
    let finished = load_execution(state, execution_id).await?;
    crate::service::alerts::execution_finished(state, &queued.organization_id, finished).await
}

async fn finish(
    state: &AppState,
    execution_id: &str,
    status: &str,
    steps: &Value,
    attempts: u32,
) -> ApiResult<()> {
    Ok(store::executions::finish(
        &state.store,
        execution_id,
        status,
        steps,
        attempts,
        now_ms(),
    )
    .await?)
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
    step: Value,
}

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
        ConnectionKind::OAuth2AuthorizationCode => {
            Err("authorization-code connections cannot authorise deliveries yet".into())
        }
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

async fn deliver(
    state: &AppState,
    flow: &Flow,
    spec: &marketplace_core::CompiledSpec,
    config: &Map<String, Value>,
    body: &Value,
    attempts: u32,
    log: &mut Logger<'_>,
) -> ApiResult<Outcome> {
    let deliver = flow
        .deliver
        .as_ref()
        .expect("called for flows that deliver");
    let failed = |attempts: u32, error: String| Outcome {
        ok: false,
        attempts,
        step: json!({"step": "deliver", "status": "failed", "attempts": attempts, "error": error}),
    };
    let Some(url) = config.get(&deliver.url).and_then(Value::as_str) else {
        log.write(
            "error",
            "delivery",
            &format!("the variable `{}` has no URL", deliver.url),
        )
        .await?;
        return Ok(failed(
            0,
            format!("the variable `{}` has no value", deliver.url),
        ));
    };
    let url = match url::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return Ok(failed(0, format!("the URL is not valid: {e}"))),
    };
    if egress::check_url(&url, state.settings.allow_private_targets).is_err() {
        log.write("error", "delivery", PRIVATE_TARGET).await?;
        return Ok(failed(0, PRIVATE_TARGET.to_owned()));
    }
    let auth = match &deliver.connection {
        None => Auth::None,
        Some(key) => {
            let kind = match spec.variable(key).map(|v| &v.kind) {
                Some(VariableType::Connection(kind)) => *kind,
                _ => return Ok(failed(0, format!("`{key}` is not a connection"))),
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
                    return Ok(failed(0, format!("authorisation failed: {e}")));
                }
            }
        }
    };
    let method = match deliver.method {
        Method::Get => reqwest::Method::GET,
        Method::Post => reqwest::Method::POST,
        Method::Put => reqwest::Method::PUT,
        Method::Patch => reqwest::Method::PATCH,
        Method::Delete => reqwest::Method::DELETE,
    };
    let mut last_error = String::new();
    for attempt in 1..=attempts {
        let mut request = state.http.request(method.clone(), url.clone()).json(body);
        request = match &auth {
            Auth::None => request,
            Auth::Bearer(token) => request.bearer_auth(token),
            Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        };
        let (retry_after, retryable) = match send(state, request).await {
            Ok(response) if response.status().is_success() => {
                let status = response.status().as_u16();
                log.write(
                    "info",
                    "delivery",
                    &format!(
                        "delivered to {} ({status}) on attempt {attempt}",
                        url.host_str().unwrap_or("")
                    ),
                )
                .await?;
                return Ok(Outcome {
                    ok: true,
                    attempts: attempt,
                    step: json!({"step": "deliver", "status": "succeeded", "attempts": attempt, "response_status": status}),
                });
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                last_error = format!("the target answered {status}");
                (
                    retry_after,
                    status.is_server_error() || status.as_u16() == 429 || status.as_u16() == 408,
                )
            }
            Err(egress::SendError::Blocked(_)) => {
                log.write("error", "delivery", PRIVATE_TARGET).await?;
                return Ok(failed(attempt, PRIVATE_TARGET.to_owned()));
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
            return Ok(failed(attempt, last_error));
        }
        tokio::time::sleep(backoff(attempt, retry_after)).await;
    }
    Ok(failed(attempts, last_error))
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

/// Resumes executions a stop interrupted (queued or running, input still sealed).
pub async fn resume_interrupted(state: &AppState) -> ApiResult<usize> {
    let ids = store::executions::interrupted(&state.store).await?;
    for id in &ids {
        spawn(state.clone(), id.clone());
    }
    Ok(ids.len())
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
