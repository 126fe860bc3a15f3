//! Times on the wire: RFC 3339 strings, stored as Unix milliseconds.

/// Formats Unix milliseconds as RFC 3339 (core's, which delivery payloads use too).
pub use marketplace_core::delivery::rfc3339;

/// Parses an RFC 3339 query value into Unix milliseconds (400 naming the parameter).
pub fn parse_rfc3339(name: &str, value: Option<&str>) -> crate::error::ApiResult<Option<i64>> {
    value
        .map(|s| {
            time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                .map_err(|_| {
                    crate::error::ApiError::bad_request(
                        "invalid_query",
                        format!("{name} must be an RFC 3339 timestamp"),
                    )
                })
        })
        .transpose()
}
