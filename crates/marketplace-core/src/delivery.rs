//! Deliveries of events to the vendor: what an attempt's outcome decides (done, retry when,
//! or dead letter), the JSON payload sent, and the Standard Webhooks signature it carries.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::time::UNIX_EPOCH;

/// What an attempt got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome<'a> {
    /// An HTTP answer.
    Response {
        /// The status code.
        status: u16,
        /// The `Retry-After` header, if any.
        retry_after: Option<&'a str>,
        /// The body (possibly truncated by the caller).
        body: &'a [u8],
    },
    /// No answer in time.
    Timeout,
    /// Connection refused/reset/TLS/DNS failure.
    ConnectionError,
    /// The SSRF guard left no address.
    Blocked,
}

impl AttemptOutcome<'_> {
    /// Whether the vendor answered 401 (the server then retries once with a new OAuth 2.0 token).
    pub fn is_unauthorized(&self) -> bool {
        matches!(self, Self::Response { status: 401, .. })
    }
}

/// Why a delivery is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadReason {
    /// The retry window ended.
    RetriesExhausted,
    /// The vendor refused it for good (3xx, or a 4xx other than 408 and 429).
    Rejected,
    /// The target URL resolves only to addresses the SSRF guard refuses.
    BlockedTarget,
}

impl DeadReason {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RetriesExhausted => "retries_exhausted",
            Self::Rejected => "rejected",
            Self::BlockedTarget => "blocked_target",
        }
    }
}

/// The vendor's answer to an `instance.activated` under `confirm`, or any recorded result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendorAnswer {
    /// Whether the vendor accepts.
    pub success: bool,
    /// A message for people (why it failed).
    #[serde(default)]
    pub message: Option<String>,
    /// The vendor's error code.
    #[serde(default, alias = "errorCode")]
    pub error_code: Option<String>,
    /// The vendor's account for the instance.
    #[serde(default, alias = "accountIdentifier")]
    pub account_identifier: Option<String>,
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// 2xx: done. `answer` is Some when the body is a JSON object with `success` (or, for a
    /// confirm activation, always: a 2xx body without `"success": false` confirms, with any
    /// `account_identifier`); `later` is true for 202 on an `instance.activated` under confirm
    /// (the vendor answers by the result API; `answer` is then None).
    Succeeded {
        /// The vendor's answer, if it gave one.
        answer: Option<VendorAnswer>,
        /// The answer comes later, through the result API.
        later: bool,
    },
    /// Try again at `at_ms`.
    Retry {
        /// When (Unix milliseconds).
        at_ms: i64,
    },
    /// Never again.
    Dead(DeadReason),
}

/// The retry schedule: exponential backoff with jitter, within a window from the delivery's
/// creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first delay (ms).
    pub base_ms: i64,
    /// How long after its creation a delivery may still be tried (ms).
    pub window_ms: i64,
    /// The longest delay between two attempts (ms).
    pub max_delay_ms: i64,
}

impl Default for RetryPolicy {
    /// 5 s first, doubling up to 6 h, for 3 days.
    fn default() -> Self {
        Self {
            base_ms: 5_000,
            window_ms: 259_200_000,
            max_delay_ms: 21_600_000,
        }
    }
}

impl RetryPolicy {
    /// The backoff after attempt `attempt` (1-based): min(base·2^(attempt-1), max) scaled by
    /// (0.5 + jitter/2), jitter in [0, 1] (clamped).
    pub fn backoff_ms(&self, attempt: u32, jitter: f64) -> i64 {
        let doublings = attempt.saturating_sub(1).min(62);
        let delay = self
            .base_ms
            .saturating_mul(1_i64 << doublings)
            .min(self.max_delay_ms);
        let scale = 0.5 + jitter.clamp(0.0, 1.0) / 2.0;
        (delay as f64 * scale) as i64
    }
}

/// Decides after attempt number `attempt` (1-based) of a delivery created at `created_at_ms`:
/// any 2xx succeeds (answer parsed when `awaits_answer` = instance.activated under confirm; for
/// other events a JSON body with `success` is still parsed and recorded); 5xx, 408, 429,
/// Timeout, ConnectionError retry; other 4xx and 3xx: Dead(Rejected); Blocked:
/// Dead(BlockedTarget). Delay: Retry-After (delta-seconds or HTTP-date, relative to `now_ms`)
/// when present and valid, else [`RetryPolicy::backoff_ms`]. When now + delay passes
/// created_at + window: Dead(RetriesExhausted). (The 401-under-OAuth2 single retry with a new
/// token is the server's; see [`AttemptOutcome::is_unauthorized`].)
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    outcome: &AttemptOutcome<'_>,
    awaits_answer: bool,
    created_at_ms: i64,
    now_ms: i64,
    jitter: f64,
) -> Decision {
    let retry_after = match *outcome {
        AttemptOutcome::Response { status, body, .. } if (200..300).contains(&status) => {
            let later = awaits_answer && status == 202;
            let answer = if later {
                None
            } else {
                read_answer(body, awaits_answer)
            };
            return Decision::Succeeded { answer, later };
        }
        AttemptOutcome::Response {
            status: 408 | 429 | 500..,
            retry_after,
            ..
        } => retry_after,
        AttemptOutcome::Response {
            status: 300..=499, ..
        } => return Decision::Dead(DeadReason::Rejected),
        AttemptOutcome::Blocked => return Decision::Dead(DeadReason::BlockedTarget),
        // 1xx as a final answer, timeouts and connection failures: try again.
        AttemptOutcome::Response { .. }
        | AttemptOutcome::Timeout
        | AttemptOutcome::ConnectionError => None,
    };
    let delay = retry_after
        .and_then(|value| parse_retry_after(value, now_ms))
        .unwrap_or_else(|| policy.backoff_ms(attempt, jitter));
    let at_ms = now_ms.saturating_add(delay);
    if at_ms > created_at_ms.saturating_add(policy.window_ms) {
        Decision::Dead(DeadReason::RetriesExhausted)
    } else {
        Decision::Retry { at_ms }
    }
}

/// The answer in a 2xx body: a JSON object with a boolean `success`; when `awaits_answer`,
/// any other body confirms (an object's `account_identifier` kept).
fn read_answer(body: &[u8], awaits_answer: bool) -> Option<VendorAnswer> {
    let object = serde_json::from_slice::<Map<String, Value>>(body).ok();
    let explicit = object
        .as_ref()
        .filter(|o| o.get("success").is_some_and(Value::is_boolean))
        .and_then(|o| serde_json::from_value(Value::Object(o.clone())).ok());
    if explicit.is_some() || !awaits_answer {
        return explicit;
    }
    let mut implied = object
        .and_then(|mut o| {
            o.insert("success".into(), Value::Bool(true));
            serde_json::from_value::<VendorAnswer>(Value::Object(o)).ok()
        })
        .unwrap_or_default();
    implied.success = true;
    Some(implied)
}

/// Parses Retry-After into milliseconds from now (HTTP-dates in the past give 0; garbage gives
/// None).
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<i64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds: i64 = value.parse().ok()?;
        return seconds.checked_mul(1000);
    }
    let date = httpdate::parse_http_date(value).ok()?;
    let date_ms = date
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    Some(date_ms.saturating_sub(now_ms).max(0))
}

/// The customer in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadCustomer<'a> {
    /// Our id.
    pub id: &'a str,
    /// The vendor's id for it.
    pub external_id: &'a str,
    /// Its name.
    pub name: &'a str,
}

/// The instance in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadInstance<'a> {
    /// Id.
    pub id: &'a str,
    /// Its integration.
    pub integration_id: &'a str,
    /// The version it runs.
    pub version: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Status (wire name).
    pub status: &'a str,
    /// Where the customer opens it, if anywhere.
    pub launch_url: Option<&'a str>,
}

/// The customer user in a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PayloadUser<'a> {
    /// Id.
    pub id: &'a str,
    /// Email.
    pub email: Option<&'a str>,
    /// Name.
    pub name: Option<&'a str>,
    /// Role (wire name).
    pub role: &'a str,
}

/// The JSON payload of a delivery: `{id, type, timestamp (RFC 3339 of at_ms), organization_id,
/// data: {customer, instance?, user?, ...event_data}, result_url}`, with `test: true` added
/// when `test`. Event data keys never overwrite `customer`, `instance` or `user`.
#[allow(clippy::too_many_arguments)] // The interface the server codes against; each is distinct.
pub fn payload(
    event_id: &str,
    event_type: &str,
    at_ms: i64,
    organization_id: &str,
    customer: Option<PayloadCustomer<'_>>,
    instance: Option<PayloadInstance<'_>>,
    user: Option<PayloadUser<'_>>,
    event_data: &Value,
    result_url: &str,
    test: bool,
) -> Value {
    let mut data = Map::new();
    if let Some(c) = customer {
        data.insert(
            "customer".into(),
            json!({"id": c.id, "external_id": c.external_id, "name": c.name}),
        );
    }
    if let Some(i) = instance {
        data.insert(
            "instance".into(),
            json!({"id": i.id, "integration_id": i.integration_id, "version": i.version,
                   "name": i.name, "status": i.status, "launch_url": i.launch_url}),
        );
    }
    if let Some(u) = user {
        data.insert(
            "user".into(),
            json!({"id": u.id, "email": u.email, "name": u.name, "role": u.role}),
        );
    }
    if let Some(extra) = event_data.as_object() {
        for (key, value) in extra {
            data.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    let mut body = json!({
        "id": event_id,
        "type": event_type,
        "timestamp": rfc3339(at_ms),
        "organization_id": organization_id,
        "data": data,
        "result_url": result_url,
    });
    if test && let Some(object) = body.as_object_mut() {
        object.insert("test".into(), Value::Bool(true));
    }
    body
}

/// Unix milliseconds as RFC 3339 (UTC, fractional seconds only when not whole).
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Why a signature cannot be made or checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_` + base64 of a non-empty key.
    #[error("the signing secret is not whsec_ followed by base64")]
    BadSecret,
    /// No signature of the header matches.
    #[error("no signature matches")]
    NoMatch,
    /// The timestamp is outside the tolerance.
    #[error("the timestamp is too old or too new")]
    Expired,
}

impl SignatureError {
    /// Stable machine code.
    pub fn code(self) -> &'static str {
        match self {
            Self::BadSecret => "bad_secret",
            Self::NoMatch => "signature_mismatch",
            Self::Expired => "timestamp_expired",
        }
    }
}

/// The prefix of Standard Webhooks secrets.
const SECRET_PREFIX: &str = "whsec_";

/// Standard Webhooks. secret = "whsec_" + base64(key bytes).
pub fn new_signing_secret(key: &[u8; 32]) -> String {
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The HMAC of `{id}.{timestamp}.{body}` under a secret, ready to finalize or verify.
fn mac(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<Hmac<Sha256>, SignatureError> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret);
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| SignatureError::BadSecret)?;
    if key.is_empty() {
        return Err(SignatureError::BadSecret);
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| SignatureError::BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// "v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>"; several secrets (during a
/// rotation) give space-separated signatures.
pub fn sign(
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> Result<String, SignatureError> {
    let signatures = secrets
        .iter()
        .map(|secret| {
            let tag = mac(secret, id, timestamp, body)?.finalize().into_bytes();
            Ok(format!("v1,{}", STANDARD.encode(tag)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(signatures.join(" "))
}

/// Verifies a `webhook-signature` header (any of its space-separated `v1,` signatures) against
/// the secret, with a timestamp tolerance (seconds) around `now_s`. Constant-time compare.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
    signature_header: &str,
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    let mac = mac(secret, id, timestamp, body)?;
    if now_s.abs_diff(timestamp) > tolerance_s.unsigned_abs() {
        return Err(SignatureError::Expired);
    }
    let matches = signature_header
        .split_whitespace()
        .filter_map(|signature| signature.strip_prefix("v1,"))
        .filter_map(|encoded| STANDARD.decode(encoded).ok())
        .any(|tag| mac.clone().verify_slice(&tag).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOW: i64 = 1_700_000_000_000;

    fn response(
        status: u16,
        retry_after: Option<&'static str>,
        body: &'static [u8],
    ) -> AttemptOutcome<'static> {
        AttemptOutcome::Response {
            status,
            retry_after,
            body,
        }
    }

    #[test]
    fn every_branch_of_decide() {
        let policy = RetryPolicy::default();
        let retry = |ms: i64| Decision::Retry { at_ms: NOW + ms };
        let done =
            |answer: Option<VendorAnswer>, later: bool| Decision::Succeeded { answer, later };
        let yes = |account: Option<&str>| VendorAnswer {
            success: true,
            account_identifier: account.map(str::to_owned),
            ..VendorAnswer::default()
        };
        let refused = VendorAnswer {
            success: false,
            message: Some("no seats".into()),
            error_code: Some("MAX_USERS_REACHED".into()),
            account_identifier: None,
        };
        let refusal: &[u8] =
            br#"{"success": false, "message": "no seats", "errorCode": "MAX_USERS_REACHED"}"#;
        // (attempt, outcome, awaits_answer, created_at offset from now, jitter) -> decision
        let table: Vec<(u32, AttemptOutcome<'_>, bool, i64, f64, Decision)> = vec![
            (
                1,
                response(200, None, b""),
                false,
                0,
                0.0,
                done(None, false),
            ),
            (
                1,
                response(204, None, b"ok"),
                false,
                0,
                0.0,
                done(None, false),
            ),
            (
                1,
                response(200, None, refusal),
                false,
                0,
                0.0,
                done(Some(refused.clone()), false),
            ),
            (
                1,
                response(200, None, refusal),
                true,
                0,
                0.0,
                done(Some(refused.clone()), false),
            ),
            (
                1,
                response(200, None, b""),
                true,
                0,
                0.0,
                done(Some(yes(None)), false),
            ),
            (
                1,
                response(201, None, br#"{"accountIdentifier": "acc-1"}"#),
                true,
                0,
                0.0,
                done(Some(yes(Some("acc-1"))), false),
            ),
            (1, response(202, None, b""), true, 0, 0.0, done(None, true)),
            (
                1,
                response(202, None, b""),
                false,
                0,
                0.0,
                done(None, false),
            ),
            (
                1,
                response(301, None, b""),
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::Rejected),
            ),
            (
                1,
                response(400, None, b""),
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::Rejected),
            ),
            (
                1,
                response(401, None, b""),
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::Rejected),
            ),
            (
                1,
                response(403, None, b""),
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::Rejected),
            ),
            (
                1,
                response(404, None, b""),
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::Rejected),
            ),
            (1, response(408, None, b""), false, 0, 0.0, retry(2_500)),
            (1, response(429, None, b""), false, 0, 1.0, retry(5_000)),
            (3, response(500, None, b""), false, 0, 1.0, retry(20_000)),
            (2, response(503, None, b""), false, 0, 0.5, retry(7_500)),
            (1, AttemptOutcome::Timeout, false, 0, 0.0, retry(2_500)),
            (
                1,
                AttemptOutcome::ConnectionError,
                false,
                0,
                1.0,
                retry(5_000),
            ),
            (
                1,
                AttemptOutcome::Blocked,
                false,
                0,
                0.0,
                Decision::Dead(DeadReason::BlockedTarget),
            ),
            // The delay is capped at six hours.
            (
                40,
                response(500, None, b""),
                false,
                0,
                1.0,
                retry(21_600_000),
            ),
            // Retry-After wins, in both forms; garbage falls back to the backoff.
            (
                1,
                response(429, Some("120"), b""),
                false,
                0,
                0.0,
                retry(120_000),
            ),
            (
                1,
                response(503, Some("Tue, 14 Nov 2023 22:13:27 GMT"), b""),
                false,
                0,
                0.0,
                retry(7_000),
            ),
            (
                1,
                response(503, Some("soon"), b""),
                false,
                0,
                0.0,
                retry(2_500),
            ),
            // The window ends three days after creation.
            (
                8,
                response(500, None, b""),
                false,
                -(259_200_000 - 640_000),
                1.0,
                retry(640_000),
            ),
            (
                8,
                response(500, None, b""),
                false,
                -(259_200_000 - 639_999),
                1.0,
                Decision::Dead(DeadReason::RetriesExhausted),
            ),
            (
                1,
                response(429, Some("259200"), b""),
                false,
                -1,
                0.0,
                Decision::Dead(DeadReason::RetriesExhausted),
            ),
        ];
        for (i, (attempt, outcome, awaits, created, jitter, expected)) in
            table.into_iter().enumerate()
        {
            assert_eq!(
                decide(
                    &policy,
                    attempt,
                    &outcome,
                    awaits,
                    NOW + created,
                    NOW,
                    jitter
                ),
                expected,
                "row {i}"
            );
        }
        assert!(response(401, None, b"").is_unauthorized());
        assert!(!response(403, None, b"").is_unauthorized());
        assert_eq!(DeadReason::BlockedTarget.as_str(), "blocked_target");
        assert_eq!(
            serde_json::to_value(DeadReason::RetriesExhausted).unwrap(),
            json!(DeadReason::RetriesExhausted.as_str())
        );
    }

    #[test]
    fn retry_after_in_both_forms() {
        // 1_700_000_000 s is Tue, 14 Nov 2023 22:13:20 GMT.
        let table = [
            ("0", Some(0)),
            (" 30 ", Some(30_000)),
            ("Tue, 14 Nov 2023 22:13:50 GMT", Some(30_000)),
            ("Tuesday, 14-Nov-23 22:13:50 GMT", Some(30_000)),
            ("Tue Nov 14 22:13:50 2023", Some(30_000)),
            ("Tue, 14 Nov 2023 22:00:00 GMT", Some(0)),
            ("-5", None),
            ("1.5", None),
            ("", None),
            ("99999999999999999999", None),
            ("tomorrow", None),
        ];
        for (value, expected) in table {
            assert_eq!(parse_retry_after(value, NOW), expected, "{value:?}");
        }
    }

    #[test]
    fn payload_shape() {
        let customer = PayloadCustomer {
            id: "cus_1",
            external_id: "acme",
            name: "Acme",
        };
        let instance = PayloadInstance {
            id: "ins_1",
            integration_id: "int_1",
            version: "1.2.0",
            name: "Shop",
            status: "pending",
            launch_url: None,
        };
        let user = PayloadUser {
            id: "usr_1",
            email: Some("a@acme.example"),
            name: None,
            role: "admin",
        };
        let data = json!({"previous_status": "active", "customer": "overwritten?", "user": 1});
        let body = payload(
            "evt_1",
            "instance.activated",
            1_614_265_330_500,
            "org_1",
            Some(customer),
            Some(instance),
            Some(user),
            &data,
            "https://mp.example/api/v1/vendor/deliveries/dlv_1/result",
            true,
        );
        assert_eq!(
            body,
            json!({
                "id": "evt_1",
                "type": "instance.activated",
                "timestamp": "2021-02-25T15:02:10.5Z",
                "organization_id": "org_1",
                "data": {
                    "customer": {"id": "cus_1", "external_id": "acme", "name": "Acme"},
                    "instance": {"id": "ins_1", "integration_id": "int_1", "version": "1.2.0",
                                 "name": "Shop", "status": "pending", "launch_url": null},
                    "user": {"id": "usr_1", "email": "a@acme.example", "name": null, "role": "admin"},
                    "previous_status": "active"
                },
                "result_url": "https://mp.example/api/v1/vendor/deliveries/dlv_1/result",
                "test": true
            })
        );
        let plain = payload(
            "e",
            "customer.created",
            0,
            "o",
            None,
            None,
            None,
            &json!(null),
            "r",
            false,
        );
        assert_eq!(plain["data"], json!({}));
        assert_eq!(plain["timestamp"], json!("1970-01-01T00:00:00Z"));
        assert!(plain.get("test").is_none());
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1_614_265_330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;

    #[test]
    fn the_standard_webhooks_test_vector() {
        // The expected value was computed independently (Python's hmac over the same input).
        let expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(sign(&[SECRET], ID, TS, BODY).unwrap(), expected);
        assert_eq!(verify(SECRET, ID, TS, BODY, expected, TS, 300), Ok(()));
        // Without the prefix the key is the same.
        assert_eq!(
            verify(&SECRET[6..], ID, TS, BODY, expected, TS, 300),
            Ok(())
        );
    }

    #[test]
    fn rotation_tampering_expiry_and_bad_secrets() {
        let other = new_signing_secret(&[7; 32]);
        assert!(other.starts_with("whsec_") && other.len() == 6 + 44);
        let header = sign(&[SECRET, &other], ID, TS, BODY).unwrap();
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], sign(&[SECRET], ID, TS, BODY).unwrap());
        // Either secret verifies the rotated header.
        assert_eq!(verify(SECRET, ID, TS, BODY, &header, TS, 300), Ok(()));
        assert_eq!(verify(&other, ID, TS, BODY, &header, TS, 300), Ok(()));
        let third = new_signing_secret(&[8; 32]);
        let table = [
            (
                verify(&third, ID, TS, BODY, &header, TS, 300),
                SignatureError::NoMatch,
            ),
            (
                verify(SECRET, ID, TS, br#"{"test": 2432232315}"#, &header, TS, 300),
                SignatureError::NoMatch,
            ),
            (
                verify(SECRET, "msg_other", TS, BODY, &header, TS, 300),
                SignatureError::NoMatch,
            ),
            (
                verify(SECRET, ID, TS + 1, BODY, &header, TS + 1, 300),
                SignatureError::NoMatch,
            ),
            (
                verify(SECRET, ID, TS, BODY, "v2,abc garbage", TS, 300),
                SignatureError::NoMatch,
            ),
            (
                verify(SECRET, ID, TS, BODY, &header, TS + 301, 300),
                SignatureError::Expired,
            ),
            (
                verify(SECRET, ID, TS, BODY, &header, TS - 301, 300),
                SignatureError::Expired,
            ),
            (
                verify("whsec_!!", ID, TS, BODY, &header, TS, 300),
                SignatureError::BadSecret,
            ),
            (
                verify("whsec_", ID, TS, BODY, &header, TS, 300),
                SignatureError::BadSecret,
            ),
        ];
        for (i, (got, expected)) in table.into_iter().enumerate() {
            assert_eq!(got, Err(expected), "row {i}");
        }
        assert_eq!(verify(SECRET, ID, TS, BODY, &header, TS + 300, 300), Ok(()));
        assert_eq!(
            sign(&["nope!"], ID, TS, BODY),
            Err(SignatureError::BadSecret)
        );
        assert_eq!(SignatureError::Expired.code(), "timestamp_expired");
    }

    proptest! {
        #[test]
        fn what_is_signed_verifies(
            key in proptest::array::uniform32(any::<u8>()),
            body in proptest::collection::vec(any::<u8>(), 0..512),
            id in "[a-zA-Z0-9_]{1,32}",
            timestamp in 0_i64..4_000_000_000,
        ) {
            let secret = new_signing_secret(&key);
            let header = sign(&[&secret], &id, timestamp, &body).unwrap();
            prop_assert_eq!(verify(&secret, &id, timestamp, &body, &header, timestamp, 0), Ok(()));
            let mut tampered = body.clone();
            tampered.push(b' ');
            prop_assert_eq!(
                verify(&secret, &id, timestamp, &tampered, &header, timestamp, 0),
                Err(SignatureError::NoMatch)
            );
        }
    }
}
