//! Field errors: what is wrong, where (a JSON Pointer) and a stable machine code.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable machine codes of field errors; the wire form is the snake_case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldErrorCode {
    /// A required value is missing.
    Required,
    /// The value has the wrong JSON type.
    Type,
    /// A string does not match the variable's pattern.
    Pattern,
    /// A number is below the minimum.
    Min,
    /// A number is above the maximum.
    Max,
    /// A string is shorter than the minimum length.
    MinLength,
    /// A string is longer than the maximum length.
    MaxLength,
    /// A value is not one of the allowed options.
    Option,
    /// A string is not in the expected format (url, email, date, cron, ...).
    Format,
    /// A key that the spec does not know.
    UnknownKey,
    /// A value that this editor may not set.
    NotEditable,
    /// The same key or name appears twice.
    Duplicate,
    /// A key or name does not follow the syntax rules.
    InvalidKey,
    /// A reference (flow step, variable name) points at nothing suitable.
    InvalidReference,
    /// A value is empty where something is needed.
    Empty,
    /// A semantic version is malformed.
    InvalidVersion,
    /// A version is not greater than every published version.
    VersionOrder,
    /// A published version cannot be changed.
    Immutable,
    /// A value that is not valid for a reason not covered above.
    Invalid,
    /// A mapping's target or source pointer names no field of its schema.
    UnknownField,
    /// A mapping formula does not parse.
    FormulaSyntax,
    /// A mapping formula uses a filter or operator outside the allowed set.
    FormulaForbidden,
    /// A mapping formula failed on this input.
    FormulaError,
    /// A mapping formula's input or output is over its size limit.
    FormulaLimit,
}

impl FieldErrorCode {
    /// The wire name of the code, e.g. `"min_length"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Required => "required",
            Self::Type => "type",
            Self::Pattern => "pattern",
            Self::Min => "min",
            Self::Max => "max",
            Self::MinLength => "min_length",
            Self::MaxLength => "max_length",
            Self::Option => "option",
            Self::Format => "format",
            Self::UnknownKey => "unknown_key",
            Self::NotEditable => "not_editable",
            Self::Duplicate => "duplicate",
            Self::InvalidKey => "invalid_key",
            Self::InvalidReference => "invalid_reference",
            Self::Empty => "empty",
            Self::InvalidVersion => "invalid_version",
            Self::VersionOrder => "version_order",
            Self::Immutable => "immutable",
            Self::Invalid => "invalid",
            Self::UnknownField => "unknown_field",
            Self::FormulaSyntax => "formula_syntax",
            Self::FormulaForbidden => "formula_forbidden",
            Self::FormulaError => "formula_error",
            Self::FormulaLimit => "formula_limit",
        }
    }
}

impl fmt::Display for FieldErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem with one field: `{path, code, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// JSON Pointer into the checked document (`/account_code`, `/pages/0/elements/1/key`).
    pub path: String,
    /// Stable machine code.
    pub code: FieldErrorCode,
    /// Human-readable explanation.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(path: impl Into<String>, code: FieldErrorCode, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            code,
            message: message.into(),
        }
    }

    /// The same error seen from an enclosing document (`/config` + `/region`).
    #[must_use]
    pub fn prefixed(mut self, prefix: &str) -> Self {
        self.path.insert_str(0, prefix);
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "{path}: {} ({})", self.message, self.code)
    }
}

/// A list of field errors, all the problems of one document at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, thiserror::Error, Serialize, Deserialize)]
#[error("{} field error(s), first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    /// `Ok(value)` when there are no errors, else the errors.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
}

/// Prefixes every error's path (`/config`), for errors found in a nested document.
pub fn prefix_all(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors.into_iter().map(|e| e.prefixed(prefix)).collect()
}

/// The inverse of [`prefix_all`]: errors under `prefix` seen from the nested document again
/// (`/config/region` → `/region`); other errors are left as they are.
pub fn unprefix_all(errors: Vec<FieldError>, prefix: &str) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.path.strip_prefix(prefix)
                && (rest.is_empty() || rest.starts_with('/'))
            {
                e.path = rest.to_owned();
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_come_and_go() {
        let errors = vec![
            FieldError::new("/region", FieldErrorCode::Option, "m"),
            FieldError::new("", FieldErrorCode::Type, "m"),
        ];
        let prefixed = prefix_all(errors.clone(), "/config");
        assert_eq!(prefixed[0].path, "/config/region");
        assert_eq!(prefixed[1].path, "/config");
        assert_eq!(unprefix_all(prefixed, "/config"), errors);
        let other = vec![
            FieldError::new("/name", FieldErrorCode::Empty, "m"),
            FieldError::new("/configuration", FieldErrorCode::Empty, "m"),
        ];
        assert_eq!(unprefix_all(other.clone(), "/config"), other);
    }
}
