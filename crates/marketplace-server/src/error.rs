//! The service's one error type: every error leaves as RFC 9457 `application/problem+json`.

use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use marketplace_api::Problem;
use marketplace_core::{Deployability, FieldError};

/// Result of handlers and store functions.
pub type ApiResult<T> = Result<T, ApiError>;

/// One reason of a refusal: a stable code and what it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Stable code.
    pub code: String,
    /// Explanation.
    pub message: String,
}

/// Everything a request can fail with; each variant names its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request itself is malformed (JSON syntax, path, query).
    #[error("{detail}")]
    BadRequest {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 401: no credentials, or bad ones.
    #[error("{detail}")]
    Unauthorized {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 403: the caller's role may not do this.
    #[error("{detail}")]
    Forbidden {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 404: not found, or not visible to this caller.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405: the route exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: a unique value is taken, or the state forbids the change.
    #[error("{detail}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 409: the state forbids the change, for reasons each with its code (a certification
    /// request whose checks fail: `requirements_unmet`).
    #[error("{detail}")]
    ConflictWithReasons {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
        /// Every reason.
        reasons: Vec<Reason>,
    },
    /// 403 or 409: the listing is not deployable for this customer.
    #[error("not deployable")]
    NotDeployable(Deployability),
    /// 413: the body is too large.
    #[error("the request body is too large")]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    /// 415: a file of a content type this endpoint does not take.
    #[error("{0}")]
    UnsupportedFileType(String),
    /// 422: refused as a whole, with its own code and no field errors to list (an image that
    /// does not decode, bytes that are not what their declared type says, a shared webhook call
    /// without its routing value).
    #[error("{detail}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 422: field errors, all of them.
    #[error("the request has {} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    /// 429: too many attempts; `Retry-After` says when to try again.
    #[error("{detail}")]
    TooManyRequests {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
        /// Seconds until another attempt may succeed (`Retry-After`).
        retry_after_s: u64,
    },
    /// 503: a dependency (the database) does not answer.
    #[error("{detail}")]
    Unavailable {
        /// Stable code.
        code: &'static str,
        /// Explanation.
        detail: String,
    },
    /// 500: something on our side; the detail is logged, never returned.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// A 400 with a code.
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    /// A 401 with a code.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unauthorized {
            code,
            detail: detail.into(),
        }
    }

    /// A 403 with a code.
    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Forbidden {
            code,
            detail: detail.into(),
        }
    }

    /// A 409 with a code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
        }
    }

    /// A 422 with its own code.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unprocessable {
            code,
            detail: detail.into(),
        }
    }

    /// A 422 with one field error.
    pub fn field(error: FieldError) -> Self {
        Self::Validation(vec![error])
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden { .. } => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } | Self::ConflictWithReasons { .. } => StatusCode::CONFLICT,
            Self::NotDeployable(d) if d.is_conflict() => StatusCode::CONFLICT,
            Self::NotDeployable(_) => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::UnsupportedFileType(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            Self::Validation(_) | Self::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Unauthorized { code, .. }
            | Self::Forbidden { code, .. }
            | Self::Conflict { code, .. }
            | Self::ConflictWithReasons { code, .. }
            | Self::TooManyRequests { code, .. }
            | Self::Unprocessable { code, .. }
            | Self::Unavailable { code, .. } => code,
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotDeployable(d) => match d.status {
                marketplace_core::DeployabilityStatus::ContactVendor => "contact_vendor",
                _ => "not_deployable",
            },
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType | Self::UnsupportedFileType(_) => "unsupported_media_type",
            Self::Validation(_) => "validation_failed",
            Self::Internal(_) => "internal",
        }
    }

    /// The problem document.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let code = self.code();
        let detail = match self {
            Self::Internal(_) => "an internal error occurred; it has been logged".to_owned(),
            Self::NotDeployable(d) => d
                .reasons
                .iter()
                .map(|r| r.message.as_ref())
                .collect::<Vec<_>>()
                .join("; "),
            other => other.to_string(),
        };
        Problem {
            problem_type: format!("urn:marketplace:problem:{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors: match self {
                Self::Validation(errors) => Some(errors.iter().map(Into::into).collect()),
                _ => None,
            },
            reasons: match self {
                Self::NotDeployable(d) => Some(d.reasons.iter().map(Into::into).collect()),
                Self::ConflictWithReasons { reasons, .. } => Some(
                    reasons
                        .iter()
                        .map(|r| marketplace_api::DeployabilityReason {
                            code: marketplace_api::ReasonCode::from_wire(&r.code),
                            message: r.message.clone(),
                            variables: Vec::new(),
                        })
                        .collect(),
                ),
                _ => None,
            },
            error: OAUTH_ERRORS.contains(&code).then(|| code.to_owned()),
            // None outside a request (a problem built by a test or a background task).
            request_id: REQUEST_ID.try_with(Clone::clone).ok(),
        }
    }
}

/// Codes that are also OAuth2 errors (RFC 6749 sections 4.1.2.1 and 5.2; `login_required`:
/// OpenID Connect Core 3.1.2.6): their problems carry `error`.
const OAUTH_ERRORS: [&str; 6] = [
    "invalid_client",
    "invalid_grant",
    "invalid_request",
    "login_required",
    "unauthorized_client",
    "unsupported_grant_type",
];

tokio::task_local! {
    /// The id of the request being answered (set by `http::trace_request` around each request),
    /// which every problem carries as `request_id`.
    pub static REQUEST_ID: String;
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let status = self.status();
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            // RFC 6749 section 5.2: a client refused on HTTP Basic is told that scheme.
            let scheme = if self.code() == "invalid_client" {
                "Basic"
            } else {
                "Bearer"
            };
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(scheme));
        }
        if let Self::TooManyRequests { retry_after_s, .. } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response
    }
}

impl StoreError {
    /// This error as the service's, a duplicate unique value becoming `conflict` (a 409 naming
    /// which value is taken).
    pub fn or_conflict(self, conflict: ApiError) -> ApiError {
        if self.is_duplicate() {
            conflict
        } else {
            self.into()
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e.is_duplicate() {
            return ApiError::conflict(
                "duplicate",
                "a record with this unique value already exists",
            );
        }
        ApiError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<marketplace_core::attachment::FileError> for ApiError {
    fn from(e: marketplace_core::attachment::FileError) -> Self {
        use marketplace_core::attachment::{FileError, FileKind};
        match e {
            FileError::UnsupportedType => {
                let accepted: Vec<&str> = FileKind::ALL.iter().map(|k| k.mime()).collect();
                ApiError::UnsupportedFileType(format!(
                    "this content type is not accepted here; accepted: {}",
                    accepted.join(", ")
                ))
            }
            FileError::TooLarge { .. } => ApiError::PayloadTooLarge,
            FileError::ContentMismatch | FileError::InvalidImage => ApiError::Unprocessable {
                code: e.code(),
                detail: e.to_string(),
            },
        }
    }
}

impl From<marketplace_core::instance::TransitionError> for ApiError {
    fn from(e: marketplace_core::instance::TransitionError) -> Self {
        ApiError::conflict("invalid_state", e.to_string())
    }
}
