//! Running flows: receive (webhook payload or test input) → map (core's pure mapping) → deliver
//! (HTTP to a URL from the instance's config, authorised by its connection), recorded as an
//! execution with per-step results and logs. Failed deliveries retry with exponential backoff,
//! honouring `Retry-After`. The input is sealed in the execution row until it finishes, so a
//! restart resumes what a crash interrupted.

use crate::db::{new_id, now_ms, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::http::customers::vendor_values;
use crate::instances::version_of;
use crate::state::AppState;
use marketplace_core::config::effective_config;
use marketplace_core::flow::{Flow, Method, apply_map};
use marketplace_core::instance::Instance;
use marketplace_core::spec::{ConnectionKind, VariableType};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::net::IpAddr;
use std::time::Duration;
use utoipa::ToSchema;

/// An execution as responses show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExecutionView {
    /// Id.
    pub id: String,
    /// The instance.
    pub instance_id: String,
    /// The customer.
    pub customer_id: String,
    /// The integration.
    pub integration_id: String,
    /// The version run.
    pub version: String,
    /// The flow.
    pub flow: String,
    /// `webhook` or `test`.
    pub trigger: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// Delivery attempts made.
    pub attempts: i64,
    /// Per-step results.
    #[schema(value_type = Vec<Object>)]
    pub steps: Value,
    /// Start.
    pub started_at: String,
    /// End, once finished.
    pub finished_at: Option<String>,
}

/// Row of `executions`.
#[derive(Debug, sqlx::FromRow)]
pub struct ExecutionRow {
    id: String,
    instance_id: String,
    customer_id: String,
    integration_id: String,
    version: String,
    flow: String,
    trigger: String,
    status: String,
    attempts: i64,
    steps: String,
    started_at: i64,
    finished_at: Option<i64>,
}

/// Columns of an execution row, for SELECTs.
pub const EXECUTION_SELECT: &str = "SELECT id, instance_id, customer_id, integration_id, version, flow, trigger, status, attempts, \
    steps, started_at, finished_at FROM executions";

impl ExecutionRow {
    /// The execution's id.
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl From<ExecutionRow> for ExecutionView {
    fn from(r: ExecutionRow) -> Self {
        ExecutionView {
            id: r.id,
            instance_id: r.instance_id,
            customer_id: r.customer_id,
            integration_id: r.integration_id,
            version: r.version,
            flow: r.flow,
            trigger: r.trigger,
            status: r.status,
            attempts: r.attempts,
            steps: serde_json::from_str(&r.steps).unwrap_or(Value::Array(vec![])),
            started_at: rfc3339(r.started_at),
            finished_at: r.finished_at.map(rfc3339),
        }
    }
}

/// Loads an execution.
pub async fn load_execution(state: &AppState, id: &str) -> ApiResult<ExecutionView> {
    let sql = format!("{EXECUTION_SELECT} WHERE id = $1");
    let row: Option<ExecutionRow> = sqlx::query_as(&sql)
        .bind(id)
        .fetch_optional(&state.db.write)
        .await?;
    row.map(ExecutionView::from)
        .ok_or(ApiError::NotFound("execution"))
}

fn input_context(execution_id: &str) -> String {
    format!("execution_input:{execution_id}")
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
    let id = new_id("exe");
    sqlx::query(
        "INSERT INTO executions (id, organization_id, customer_id, integration_id, version, instance_id, flow, trigger, status, steps, \
         attempts, sealed_input, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', '[]', 0, $9, $10)",
    )
    .bind(&id)
    .bind(organization_id)
    .bind(instance.customer_id.as_str())
    .bind(instance.integration_id.as_str())
    .bind(instance.version.to_string())
    .bind(instance.id.as_str())
    .bind(flow)
    .bind(trigger)
    .bind(state.sealer.seal_json(&input_context(&id), input))
    .bind(now_ms())
    .execute(&state.db.write)
    .await?;
    Ok(id)
}

/// Runs a queued execution to its end (retrying deliveries up to `attempts` times).
pub async fn run(state: &AppState, execution_id: &str, attempts: u32) -> ApiResult<ExecutionView> {
    #[derive(sqlx::FromRow)]
    struct Queued {
        organization_id: String,
        instance_id: String,
        flow: String,
        sealed_input: Option<Vec<u8>>,
    }
    let queued: Queued = sqlx::query_as(
        "SELECT organization_id, instance_id, flow, sealed_input FROM executions WHERE id = $1",
    )
    .bind(execution_id)
    .fetch_one(&state.db.write)
    .await?;
    let input = queued
        .sealed_input
        .and_then(|blob| state.sealer.open_json(&input_context(execution_id), &blob))
        .unwrap_or(Value::Null);
    let instance =
        crate::instances::load(state, &queued.organization_id, &queued.instance_id, None).await?;
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
        return load_execution(state, execution_id).await;
    };
    sqlx::query("UPDATE executions SET status = 'running' WHERE id = $1")
        .bind(execution_id)
        .execute(&state.db.write)
        .await?;
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
            let vendor = vendor_values(
                state,
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
    load_execution(state, execution_id).await
}

async fn finish(
    state: &AppState,
    execution_id: &str,
    status: &str,
    steps: &Value,
    attempts: u32,
) -> ApiResult<()> {
    sqlx::query("UPDATE executions SET status = $1, steps = $2, attempts = $3, finished_at = $4, sealed_input = NULL WHERE id = $5")
        .bind(status)
        .bind(steps.to_string())
        .bind(attempts as i64)
        .bind(now_ms())
        .bind(execution_id)
        .execute(&state.db.write)
        .await?;
    Ok(())
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
        sqlx::query(
            "INSERT INTO logs (id, organization_id, customer_id, integration_id, version, instance_id, execution_id, severity, type, message, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(new_id("log"))
        .bind(self.organization_id)
        .bind(self.instance.customer_id.as_str())
        .bind(self.instance.integration_id.as_str())
        .bind(self.instance.version.to_string())
        .bind(self.instance.id.as_str())
        .bind(self.execution_id)
        .bind(severity)
        .bind(log_type)
        .bind(message)
        .bind(now_ms())
        .execute(&self.state.db.write)
        .await?;
        Ok(())
    }
}

struct Outcome {
    ok: bool,
    attempts: u32,
    step: Value,
}

/// Whether an address is private, loopback, link-local or otherwise not on the public internet.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])
                || v4.octets()[0] == 0
        }
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xfe00) == 0xfc00
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_private(IpAddr::V4(v4)))
        }
    }
}

/// Refuses targets on private networks unless the service allows them.
async fn check_target(state: &AppState, url: &url::Url) -> Result<(), String> {
    if state.settings.allow_private_targets {
        return Ok(());
    }
    let host = url.host_str().ok_or("the URL has no host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let addresses =
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
            .await
            .map_err(|e| format!("the host does not resolve: {e}"))?;
    for address in addresses {
        if is_private(address.ip()) {
            return Err("the target resolves to a private or loopback address, which deliveries may not reach".into());
        }
    }
    Ok(())
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
            let token_url =
                url::Url::parse(&input("token_url")).map_err(|e| format!("bad token URL: {e}"))?;
            check_target(state, &token_url).await?;
            let mut form = vec![("grant_type".to_owned(), "client_credentials".to_owned())];
            let scopes = input("scopes");
            if !scopes.is_empty() {
                form.push(("scope".into(), scopes));
            }
            let body = form
                .iter()
                .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
                .collect::<Vec<_>>()
                .join("&");
            let response = state
                .http
                .post(token_url)
                .basic_auth(input("client_id"), Some(input("client_secret")))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .map_err(|e| format!("the token endpoint did not answer: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("the token endpoint answered {}", response.status()));
            }
            let token: Value = response
                .json()
                .await
                .map_err(|e| format!("the token response is not JSON: {e}"))?;
            token
                .get("access_token")
                .and_then(Value::as_str)
                .map(|t| Auth::Bearer(t.to_owned()))
                .ok_or_else(|| "the token response has no access_token".into())
        }
        ConnectionKind::OAuth2AuthorizationCode => {
            Err("authorization-code connections cannot authorise deliveries yet".into())
        }
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
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
    if let Err(e) = check_target(state, &url).await {
        log.write("error", "delivery", &e).await?;
        return Ok(failed(0, e));
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
            match authorise(state, kind, &inputs).await {
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
        let (retry_after, retryable) = match request.send().await {
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
            Err(e) => {
                last_error = format!("the request failed: {}", e.without_url());
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
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM executions WHERE status IN ('queued', 'running') ORDER BY id",
    )
    .fetch_all(&state.db.read)
    .await?;
    for id in &ids {
        spawn(state.clone(), id.clone());
    }
    Ok(ids.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_recognised() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.1.1",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700::1111"] {
            assert!(!is_private(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn backoff_grows_and_honours_retry_after() {
        assert_eq!(backoff(1, None), Duration::from_millis(500));
        assert_eq!(backoff(2, None), Duration::from_millis(1000));
        assert_eq!(backoff(1, Some(3)), Duration::from_secs(3));
        assert_eq!(backoff(1, Some(3600)), Duration::from_secs(60));
    }
}
