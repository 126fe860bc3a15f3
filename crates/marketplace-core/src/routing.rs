//! Shared webhook triggers: one URL per integration and flow, whose calls are routed to a
//! customer by a value of the call (a field of the JSON body, or a header) that is the
//! customer's `external_id`.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::pointer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// Where a shared webhook call names its customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RouteBy {
    /// A JSON Pointer into the body (`/account/id`).
    Pointer(String),
    /// A header (`X-Customer-Id`), compared case-insensitively.
    Header(String),
}

/// The longest header name accepted.
const MAX_HEADER_NAME: usize = 256;

impl RouteBy {
    /// Reads and checks a `route_by` object (`{pointer}` or `{header}`); every problem, paths
    /// relative to `path`.
    pub fn parse(value: &Value, path: &str) -> Result<RouteBy, Vec<FieldError>> {
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new(
                path,
                Code::Type,
                "route_by must be an object: {\"pointer\": ...} or {\"header\": ...}",
            )]);
        };
        let mut errors: Vec<FieldError> = object
            .keys()
            .filter(|k| *k != "pointer" && *k != "header")
            .map(|k| {
                FieldError::new(
                    pointer::push(path, k),
                    Code::UnknownKey,
                    "route_by has `pointer` or `header`",
                )
            })
            .collect();
        let route = match (object.get("pointer"), object.get("header")) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    path,
                    Code::Invalid,
                    "route_by has `pointer` or `header`, not both",
                ));
                None
            }
            (None, None) => {
                errors.push(FieldError::new(
                    path,
                    Code::Required,
                    "route_by needs `pointer` or `header`",
                ));
                None
            }
            (Some(p), None) => match p.as_str() {
                Some(p) if p.starts_with('/') => Some(RouteBy::Pointer(p.to_owned())),
                _ => {
                    errors.push(FieldError::new(
                        pointer::push(path, "pointer"),
                        Code::Format,
                        "`pointer` must be a JSON Pointer into the body such as /account/id",
                    ));
                    None
                }
            },
            (None, Some(h)) => match h.as_str() {
                Some(h) if is_header_name(h) => Some(RouteBy::Header(h.to_owned())),
                _ => {
                    errors.push(FieldError::new(
                        pointer::push(path, "header"),
                        Code::Format,
                        "`header` must be an HTTP header name such as X-Customer-Id",
                    ));
                    None
                }
            },
        };
        match route {
            Some(route) if errors.is_empty() => Ok(route),
            _ => Err(errors),
        }
    }

    /// The customer's `external_id` a call names: the string found (or a number as decimal
    /// text); `headers` are the call's (name, value) pairs.
    pub fn routing_value(
        &self,
        body: &Value,
        headers: &[(&str, &str)],
    ) -> Result<String, RoutingKeyMissing> {
        let found = match self {
            RouteBy::Pointer(p) => match body.pointer(p) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            },
            RouteBy::Header(name) => headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned()),
        };
        found
            .filter(|s| !s.is_empty())
            .ok_or_else(|| RoutingKeyMissing(self.clone()))
    }
}

/// A shared webhook call that does not name its customer where the trigger looks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingKeyMissing(pub RouteBy);

impl RoutingKeyMissing {
    /// The stable code: `routing_key_missing`.
    pub const CODE: &'static str = "routing_key_missing";
}

impl fmt::Display for RoutingKeyMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            RouteBy::Pointer(p) => write!(
                f,
                "the body has no string or number at {p} to name the customer"
            ),
            RouteBy::Header(h) => write!(f, "the {h} header naming the customer is missing"),
        }
    }
}

impl std::error::Error for RoutingKeyMissing {}

/// Whether `s` is an HTTP header name (RFC 9110 token).
fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_HEADER_NAME
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_route_by_and_reports_every_problem() {
        assert_eq!(
            RouteBy::parse(&json!({"pointer": "/account/id"}), "/route_by"),
            Ok(RouteBy::Pointer("/account/id".into()))
        );
        assert_eq!(
            RouteBy::parse(&json!({"header": "X-Customer-Id"}), "/route_by"),
            Ok(RouteBy::Header("X-Customer-Id".into()))
        );
        let cases = [
            (json!("x"), vec![("/route_by", Code::Type)]),
            (json!({}), vec![("/route_by", Code::Required)]),
            (
                json!({"pointer": "/a", "header": "X"}),
                vec![("/route_by", Code::Invalid)],
            ),
            (
                json!({"pointer": "a"}),
                vec![("/route_by/pointer", Code::Format)],
            ),
            (
                json!({"pointer": ""}),
                vec![("/route_by/pointer", Code::Format)],
            ),
            (
                json!({"header": "X Y"}),
                vec![("/route_by/header", Code::Format)],
            ),
            (
                json!({"header": "X", "query": "k"}),
                vec![("/route_by/query", Code::UnknownKey)],
            ),
        ];
        for (input, expected) in cases {
            let errors = RouteBy::parse(&input, "/route_by").unwrap_err();
            let got: Vec<(&str, Code)> = errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
            assert_eq!(got, expected, "{input}");
        }
        let wire = serde_json::to_value(RouteBy::Pointer("/a".into())).unwrap();
        assert_eq!(wire, json!({"pointer": "/a"}));
    }

    #[test]
    fn finds_the_routing_value() {
        let by_pointer = RouteBy::Pointer("/account/id".into());
        let by_header = RouteBy::Header("X-Customer-Id".into());
        let headers = [("x-customer-id", " acme "), ("other", "x")];
        /// (route, body, headers, the routing value found).
        type Case<'a> = (
            &'a RouteBy,
            Value,
            &'a [(&'a str, &'a str)],
            Option<&'a str>,
        );
        let cases: [Case<'_>; 8] = [
            (
                &by_pointer,
                json!({"account": {"id": "acme"}}),
                &[],
                Some("acme"),
            ),
            (&by_pointer, json!({"account": {"id": 42}}), &[], Some("42")),
            (
                &by_pointer,
                json!({"account": {"id": 4.5}}),
                &[],
                Some("4.5"),
            ),
            (&by_pointer, json!({"account": {"id": true}}), &[], None),
            (&by_pointer, json!({"account": {"id": ""}}), &[], None),
            (&by_pointer, json!({"account": {}}), &headers, None),
            (&by_header, json!({}), &headers, Some("acme")),
            (&by_header, json!({}), &[("other", "x")], None),
        ];
        for (route, body, headers, expected) in cases {
            let got = route.routing_value(&body, headers);
            assert_eq!(got.as_deref().ok(), expected, "{route:?} {body}");
            if let Err(e) = got {
                assert_eq!(e.0, *route);
            }
        }
        assert_eq!(RoutingKeyMissing::CODE, "routing_key_missing");
    }
}
