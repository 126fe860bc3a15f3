//! The SDK's one error: a problem the service answered, local validation, transport, decoding
//! and token failures.

use marketplace_api::{DeployabilityReason, Problem};
use marketplace_core::FieldError;

/// Result of the SDK's calls.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything a call can fail with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The service answered with an `application/problem+json` error.
    #[error("{status} {code}: {detail}")]
    Problem {
        /// HTTP status.
        status: u16,
        /// Stable machine code (`not_found`, `not_deployable`, `validation_failed`...).
        code: String,
        /// Human-readable explanation.
        detail: String,
        /// Field errors of a 422, paths into the request body.
        errors: Vec<marketplace_api::FieldError>,
        /// Deployability reasons of a 403 or 409.
        reasons: Vec<DeployabilityReason>,
        /// The request's id in the service's logs (`x-request-id`): quote it to support.
        request_id: Option<String>,
    },
    /// The values failed local validation (core's field errors); nothing was sent. Paths are
    /// relative to the config.
    #[error("invalid config: {}", join(.0))]
    Validation(Vec<FieldError>),
    /// The request did not complete (connection, TLS, timeout).
    #[error("transport failed: {0}")]
    Transport(String),
    /// A response body could not be read.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The token source failed to give a token.
    #[error("no token: {0}")]
    Token(String),
}

fn join<E: ToString>(errors: &[E]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl Error {
    /// A stable machine code: the problem's code, or `validation_failed`, `transport`,
    /// `decode`, `token`.
    pub fn code(&self) -> &str {
        match self {
            Error::Problem { code, .. } => code,
            Error::Validation(_) => "validation_failed",
            Error::Transport(_) => "transport",
            Error::Decode(_) => "decode",
            Error::Token(_) => "token",
        }
    }

    /// The HTTP status of a problem, if this is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Problem { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The id of the request a problem answered (`x-request-id`), if the service sent one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Problem { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The field errors, local or from a 422, in their wire form.
    pub fn field_errors(&self) -> Vec<marketplace_api::FieldError> {
        match self {
            Error::Problem { errors, .. } => errors.clone(),
            Error::Validation(errors) => errors.iter().map(Into::into).collect(),
            _ => Vec::new(),
        }
    }

    /// Builds the error of a failed response: its problem body, or a bare problem from the status.
    pub fn from_response(status: u16, body: &[u8]) -> Error {
        match serde_json::from_slice::<Problem>(body) {
            Ok(p) => Error::Problem {
                status,
                code: p.code,
                detail: p.detail,
                errors: p.errors.unwrap_or_default(),
                reasons: p.reasons.unwrap_or_default(),
                request_id: p.request_id,
            },
            Err(_) => Error::Problem {
                status,
                code: format!("http_{status}"),
                detail: String::from_utf8_lossy(body).chars().take(500).collect(),
                errors: Vec::new(),
                reasons: Vec::new(),
                request_id: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_decoded_with_their_errors_and_reasons() {
        let body = br#"{"type":"urn:marketplace:problem:not_deployable","title":"Conflict","status":409,
            "detail":"an instance of this integration already exists","code":"not_deployable",
            "reasons":[{"code":"instance_exists","message":"an instance of this integration already exists"}]}"#;
        let error = Error::from_response(409, body);
        assert_eq!(error.code(), "not_deployable");
        assert_eq!(error.status(), Some(409));
        let Error::Problem { reasons, .. } = error else {
            panic!("a problem");
        };
        assert_eq!(reasons[0].code, marketplace_api::ReasonCode::InstanceExists);
    }

    #[test]
    fn local_and_remote_field_errors_read_alike() {
        let local = Error::Validation(vec![FieldError::new(
            "/region",
            marketplace_core::FieldErrorCode::Option,
            "must be one of eu, us",
        )]);
        let remote = Error::from_response(
            422,
            br#"{"status":422,"code":"validation_failed","errors":[
                {"path":"/config/region","code":"option","message":"must be one of eu, us"}]}"#,
        );
        assert_eq!(local.field_errors()[0].code, remote.field_errors()[0].code);
        assert_eq!(remote.field_errors()[0].path, "/config/region");
    }

    #[test]
    fn a_body_that_is_no_problem_still_gives_a_problem() {
        let error = Error::from_response(502, b"bad gateway");
        assert_eq!(error.code(), "http_502");
        assert_eq!(error.to_string(), "502 http_502: bad gateway");
    }
}
