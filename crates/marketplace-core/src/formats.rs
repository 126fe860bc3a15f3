//! String formats checked by value validation: url, email, date, timestamp, cron, time zone.
//!
//! Where a format is a regular expression, the same expression is exported in the JSON Schema
//! (`pattern`), so that core and a JSON Schema validator agree on it.

use regex_lite::Regex;
use std::sync::OnceLock;

/// An absolute http(s) URL with a host, made of the characters RFC 3986 allows.
pub const URL_PATTERN: &str = r"^https?://[A-Za-z0-9\-._~%!$&'()*+,;=:@\[\]]+(?:[/?#][A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]*)?$";

/// An email address (the WHATWG form rule, with a dotted domain).
pub const EMAIL_PATTERN: &str = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~\-]+@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$";

/// A 5-field cron expression: minute, hour, day of month, month, day of week; `*`, values,
/// ranges, lists and steps; month and weekday names in upper case.
pub const CRON_PATTERN: &str = concat!(
    r"^(?:\*|[0-5]?[0-9](?:-[0-5]?[0-9])?)(?:/[1-9][0-9]*)?(?:,(?:\*|[0-5]?[0-9](?:-[0-5]?[0-9])?)(?:/[1-9][0-9]*)?)*",
    r" (?:\*|(?:[01]?[0-9]|2[0-3])(?:-(?:[01]?[0-9]|2[0-3]))?)(?:/[1-9][0-9]*)?(?:,(?:\*|(?:[01]?[0-9]|2[0-3])(?:-(?:[01]?[0-9]|2[0-3]))?)(?:/[1-9][0-9]*)?)*",
    r" (?:\*|(?:0?[1-9]|[12][0-9]|3[01])(?:-(?:0?[1-9]|[12][0-9]|3[01]))?)(?:/[1-9][0-9]*)?(?:,(?:\*|(?:0?[1-9]|[12][0-9]|3[01])(?:-(?:0?[1-9]|[12][0-9]|3[01]))?)(?:/[1-9][0-9]*)?)*",
    r" (?:\*|(?:0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:-(?:0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(?:/[1-9][0-9]*)?(?:,(?:\*|(?:0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC)(?:-(?:0?[1-9]|1[0-2]|JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC))?)(?:/[1-9][0-9]*)?)*",
    r" (?:\*|(?:[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(?:-(?:[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT))?)(?:/[1-9][0-9]*)?(?:,(?:\*|(?:[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(?:-(?:[0-7]|SUN|MON|TUE|WED|THU|FRI|SAT))?)(?:/[1-9][0-9]*)?)*$",
);

/// IANA time zone names (zones and links), sorted, one per line; taken from tzdata 2025b.
const TIME_ZONE_NAMES: &str = include_str!("tz_names.txt");

/// A format check: whether a string is in the format.
pub type FormatCheck = fn(&str) -> bool;

fn compiled(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("built-in pattern compiles"))
}

/// Whether `s` is an absolute http(s) URL.
pub fn is_url(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    compiled(&RE, URL_PATTERN).is_match(s)
}

/// Whether `s` is an email address.
pub fn is_email(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    compiled(&RE, EMAIL_PATTERN).is_match(s)
}

/// Whether `s` is a 5-field cron expression.
pub fn is_cron(s: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    compiled(&RE, CRON_PATTERN).is_match(s)
}

/// Whether `s` is a calendar date `YYYY-MM-DD` (RFC 3339 full-date).
pub fn is_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year repr:full sign:automatic]-[month]-[day]");
    s.len() == 10 && time::Date::parse(s, format).is_ok()
}

/// Whether `s` is an RFC 3339 timestamp.
pub fn is_timestamp(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

/// Whether `s` names an IANA time zone.
pub fn is_time_zone(s: &str) -> bool {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| time_zone_names().collect())
        .binary_search(&s)
        .is_ok()
}

/// Every IANA time zone name, sorted.
pub fn time_zone_names() -> impl Iterator<Item = &'static str> {
    TIME_ZONE_NAMES.lines()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_accept_and_reject() {
        let table: &[(FormatCheck, &str, bool)] = &[
            (is_url, "https://api.example.com/v1?x=1#f", true),
            (is_url, "http://localhost:8080", true),
            (is_url, "ftp://example.com", false),
            (is_url, "https://", false),
            (is_url, "https://exa mple.com", false),
            (is_url, "example.com", false),
            (is_email, "ops+alerts@example.co.uk", true),
            (is_email, "no-at-sign.example.com", false),
            (is_email, "a@localhost", false),
            (is_email, "a b@example.com", false),
            (is_date, "2024-02-29", true),
            (is_date, "2023-02-29", false),
            (is_date, "2024-2-9", false),
            (is_timestamp, "2024-05-01T10:00:00Z", true),
            (is_timestamp, "2024-05-01T10:00:00.5+02:00", true),
            (is_timestamp, "2024-05-01 10:00", false),
            (is_cron, "*/5 * * * *", true),
            (is_cron, "0 9-17 * JAN-MAR MON-FRI", true),
            (is_cron, "0,15,30,45 0 1 1 0", true),
            (is_cron, "60 * * * *", false),
            (is_cron, "* * * *", false),
            (is_cron, "*/0 * * * *", false),
            (is_time_zone, "Europe/Berlin", true),
            (is_time_zone, "UTC", true),
            (is_time_zone, "Mars/Olympus", false),
        ];
        for (check, input, expected) in table {
            assert_eq!(check(input), *expected, "{input}");
        }
    }

    #[test]
    fn time_zone_list_is_sorted_and_large() {
        let names: Vec<&str> = time_zone_names().collect();
        assert!(names.len() > 400);
        assert!(names.windows(2).all(|w| w[0] < w[1]));
    }
}
