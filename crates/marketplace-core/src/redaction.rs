//! What an execution's step records may show: secrets replaced by `"[redacted]"`, and inputs or
//! outputs too large to keep replaced by a short excerpt.
//!
//! The service calls [`record`] on every step input and output before storing it, with the
//! instance's secret values (secret and password variables, connection inputs, tokens fetched
//! for the delivery).

use crate::spec::{ConfigSpec, VariableType};
use serde_json::{Map, Value, json};

/// What a secret (or a credential header's value) becomes.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not searched for: a one- to three-character value (`"1"`,
/// `"eu"`) would blank out ordinary text everywhere and hides nothing worth hiding.
pub const MIN_SECRET_LEN: usize = 4;

/// The largest step input or output kept whole: 64 KiB of JSON text.
pub const MAX_RECORDED_BYTES: usize = 64 * 1024;

/// The size of the excerpt kept of a larger one: 1 KiB of its JSON text.
pub const EXCERPT_BYTES: usize = 1024;

/// Header names whose values are credentials, compared case-insensitively.
const CREDENTIAL_HEADERS: [&str; 4] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// A step input or output as stored: [`redact`]ed, then [`cap`]ped at [`MAX_RECORDED_BYTES`].
pub fn record(value: &Value, secrets: &[&str]) -> Value {
    cap(redact(value, secrets), MAX_RECORDED_BYTES)
}

/// Replaces each secret wherever it occurs inside any string (keys included) with
/// [`REDACTED`], and the value of every `Authorization`, `Proxy-Authorization`, `Cookie` or
/// `Set-Cookie` key (in any case, at any depth: the headers of a request or response) with
/// [`REDACTED`].
///
/// Secrets shorter than [`MIN_SECRET_LEN`] characters are ignored. Where two secrets overlap,
/// the longest one starting first is replaced; the replacement text is never searched again.
pub fn redact(value: &Value, secrets: &[&str]) -> Value {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .copied()
        .filter(|s| s.chars().count() >= MIN_SECRET_LEN)
        .collect();
    secrets.sort_unstable();
    secrets.dedup();
    redact_value(value, &secrets)
}

fn redact_value(value: &Value, secrets: &[&str]) -> Value {
    match value {
        Value::String(s) => Value::String(redact_str(s, secrets)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_value(v, secrets)).collect())
        }
        Value::Object(map) => {
            let mut out = Map::with_capacity(map.len());
            for (key, v) in map {
                let v = if is_credential_header(key) {
                    Value::String(REDACTED.to_owned())
                } else {
                    redact_value(v, secrets)
                };
                out.insert(redact_str(key, secrets), v);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn is_credential_header(key: &str) -> bool {
    CREDENTIAL_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(key))
}

/// The secret values of a config: the strings of `secret` variables (of each item of a
/// collection too) and the secret inputs of connections (API keys, passwords, client secrets).
pub fn secret_values<'a>(spec: &ConfigSpec, config: &'a Map<String, Value>) -> Vec<&'a str> {
    let mut out = Vec::new();
    for variable in spec.variables() {
        let Some(value) = config.get(&variable.key) else {
            continue;
        };
        match &variable.kind {
            VariableType::Secret(_) => strings(value, &mut out),
            VariableType::Connection(kind) => {
                for input in kind.inputs().iter().filter(|i| i.secret) {
                    if let Some(v) = value.get(input.name) {
                        strings(v, &mut out);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Every string inside a value.
fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// One left-to-right pass: at each position the longest secret starting there is replaced.
fn redact_str(s: &str, secrets: &[&str]) -> String {
    if secrets.is_empty() {
        return s.to_owned();
    }
    let mut out = String::new();
    let (mut at, mut kept) = (0, 0);
    while at < s.len() {
        let rest = &s[at..];
        let found = secrets
            .iter()
            .filter(|secret| rest.starts_with(*secret))
            .map(|secret| secret.len())
            .max();
        match found {
            Some(len) => {
                out.push_str(&s[kept..at]);
                out.push_str(REDACTED);
                at += len;
                kept = at;
            }
            None => at += rest.chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&s[kept..]);
    out
}

/// The value itself when its JSON text is at most `max_bytes` long; else
/// `{truncated: true, size, excerpt}` with its size in bytes and the first [`EXCERPT_BYTES`]
/// of its JSON text (cut on a character boundary).
pub fn cap(value: Value, max_bytes: usize) -> Value {
    let text = value.to_string();
    if text.len() <= max_bytes {
        return value;
    }
    let mut end = EXCERPT_BYTES.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!({"truncated": true, "size": text.len(), "excerpt": &text[..end]})
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redacts_secrets_and_credential_headers() {
        let secrets = ["key-SECRET-0001", "tok", "SECRET", ""];
        let cases = [
            (json!("plain"), json!("plain")),
            (json!("Bearer key-SECRET-0001"), json!("Bearer [redacted]")),
            (
                json!("a SECRET and key-SECRET-0001!"),
                json!("a [redacted] and [redacted]!"),
            ),
            (
                json!("tok is too short to hide"),
                json!("tok is too short to hide"),
            ),
            (
                json!({"headers": {"AUTHORIZATION": "Basic x", "cookie": "a=b", "x": "SECRET"}}),
                json!({"headers": {"AUTHORIZATION": "[redacted]", "cookie": "[redacted]", "x": "[redacted]"}}),
            ),
            (
                json!({"SECRET": [1, true, null, "SECRETSECRET"]}),
                json!({"[redacted]": [1, true, null, "[redacted][redacted]"]}),
            ),
            (json!("héSECRETé"), json!("hé[redacted]é")),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(&input, &secrets), expected, "{input}");
        }
    }

    #[test]
    fn finds_the_secret_values_of_a_config() {
        let spec = ConfigSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "token", "label": "T", "type": "secret"},
            {"key": "extra", "label": "E", "type": "secret"},
            {"key": "auth", "label": "A", "type": "connection", "connection": {"kind": "basic"}},
            {"key": "region", "label": "R", "type": "string"}
        ]}]}))
        .unwrap();
        let config = json!({"token": "t-1", "extra": "t-2", "region": "eu",
            "auth": {"username": "ada", "password": "p-1"}});
        let mut found = secret_values(&spec, config.as_object().unwrap());
        found.sort_unstable();
        assert_eq!(found, vec!["p-1", "t-1", "t-2"]);
    }

    #[test]
    fn caps_large_values_on_a_char_boundary() {
        let small = json!({"a": "b"});
        assert_eq!(cap(small.clone(), 64), small);
        let large = json!("é".repeat(2000));
        let capped = cap(large.clone(), 1000);
        assert_eq!(capped["truncated"], json!(true));
        assert_eq!(capped["size"], json!(large.to_string().len()));
        let excerpt = capped["excerpt"].as_str().unwrap();
        assert!(excerpt.len() <= EXCERPT_BYTES && excerpt.len() >= EXCERPT_BYTES - 1);
        assert!(large.to_string().starts_with(excerpt));
        let exact = json!("x".repeat(62));
        assert_eq!(
            cap(exact.clone(), 64),
            exact,
            "64 bytes of JSON text is kept"
        );
    }

    #[test]
    fn record_redacts_before_cutting() {
        let body = json!(format!("SECRET{}", "x".repeat(MAX_RECORDED_BYTES)));
        let stored = record(&body, &["SECRET"]);
        assert!(
            stored["excerpt"]
                .as_str()
                .unwrap()
                .starts_with("\"[redacted]xx")
        );
    }

    fn keywordless(secret: &str) -> bool {
        !["null", "true", "false"].iter().any(|k| secret.contains(k))
    }

    /// JSON values whose strings are made of secrets and other text.
    fn values(secrets: Vec<String>) -> impl Strategy<Value = Value> {
        let piece = prop_oneof![
            proptest::sample::select(secrets),
            "[a-z]{0,5}",
            Just(REDACTED.to_owned()),
        ];
        let text = proptest::collection::vec(piece, 0..6).prop_map(|p| p.concat());
        let leaf = prop_oneof![
            text.clone().prop_map(Value::String),
            any::<i32>().prop_map(|n| json!(n))
        ];
        leaf.prop_recursive(3, 24, 4, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((text.clone(), inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn no_secret_survives(
            (secrets, value) in proptest::collection::vec("[a-z]{4,10}".prop_filter("no JSON keyword", |s| keywordless(s)), 1..4)
                .prop_flat_map(|s| (Just(s.clone()), values(s)))
        ) {
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let text = redact(&value, &refs).to_string();
            for fragment in text.split(REDACTED) {
                for secret in &secrets {
                    prop_assert!(!fragment.contains(secret.as_str()), "{secret} in {text}");
                }
            }
        }
    }
}
