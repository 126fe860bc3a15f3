//! String formats checked by value validation: url, email, date, timestamp, cron, time zone.
//!
//! Url, email and cron are described by regular expressions, exported in the JSON Schema
//! (`pattern`) so that core and a JSON Schema validator agree on them; core checks them with
//! plain code, several times faster than a backtracking-free regex engine without literal
//! optimizations (regex-lite), and a property test holds code and expression together.

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

/// Characters of a URL's authority in [`URL_PATTERN`].
fn is_url_authority_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:@[]".contains(&c)
}

/// Whether `s` is an absolute http(s) URL: the same language as [`URL_PATTERN`], checked without
/// a regular expression (a test holds the two together).
pub fn is_url(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    let bytes = rest.as_bytes();
    let authority_end = bytes
        .iter()
        .position(|c| b"/?#".contains(c))
        .unwrap_or(bytes.len());
    let (authority, tail) = bytes.split_at(authority_end);
    !authority.is_empty()
        && authority.iter().all(|&c| is_url_authority_char(c))
        && tail
            .iter()
            .all(|&c| is_url_authority_char(c) || b"/?#".contains(&c))
}

/// Whether `s` is an email address: the same language as [`EMAIL_PATTERN`], without a regex.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&c));
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        (1..=63).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    local_ok && domain.split('.').count() >= 2 && domain.split('.').all(label_ok)
}

/// Names accepted in the month field of a cron expression.
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
/// Names accepted in the day-of-week field of a cron expression.
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field of a cron expression: its value range, digits allowed, and names.
struct CronField {
    min: u32,
    max: u32,
    max_digits: usize,
    names: &'static [&'static str],
}

const CRON_FIELDS: [CronField; 5] = [
    CronField {
        min: 0,
        max: 59,
        max_digits: 2,
        names: &[],
    },
    CronField {
        min: 0,
        max: 23,
        max_digits: 2,
        names: &[],
    },
    CronField {
        min: 1,
        max: 31,
        max_digits: 2,
        names: &[],
    },
    CronField {
        min: 1,
        max: 12,
        max_digits: 2,
        names: &MONTHS,
    },
    CronField {
        min: 0,
        max: 7,
        max_digits: 1,
        names: &WEEKDAYS,
    },
];

impl CronField {
    fn value_ok(&self, v: &str) -> bool {
        if self.names.contains(&v) {
            return true;
        }
        (1..=self.max_digits).contains(&v.len())
            && v.bytes().all(|c| c.is_ascii_digit())
            && v.parse::<u32>()
                .is_ok_and(|n| (self.min..=self.max).contains(&n))
    }

    fn element_ok(&self, element: &str) -> bool {
        let (base, step) = match element.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (element, None),
        };
        let step_ok = step.is_none_or(|s| {
            s.bytes().next().is_some_and(|c| (b'1'..=b'9').contains(&c))
                && s.bytes().all(|c| c.is_ascii_digit())
        });
        let base_ok = base == "*"
            || match base.split_once('-') {
                Some((from, to)) => self.value_ok(from) && self.value_ok(to),
                None => self.value_ok(base),
            };
        step_ok && base_ok
    }
}

/// Whether `s` is a 5-field cron expression: the same language as [`CRON_PATTERN`], without a regex.
pub fn is_cron(s: &str) -> bool {
    let fields: Vec<&str> = s.split(' ').collect();
    fields.len() == 5
        && fields
            .iter()
            .zip(&CRON_FIELDS)
            .all(|(field, rules)| field.split(',').all(|element| rules.element_ok(element)))
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
    use proptest::prelude::*;
    use regex_lite::Regex;

    fn agree(pattern: &str, check: FormatCheck, input: &str) -> Result<(), TestCaseError> {
        let re = Regex::new(pattern).unwrap();
        prop_assert_eq!(re.is_match(input), check(input), "input {:?}", input);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn url_code_agrees_with_its_pattern(s in "(https?://|http:/|ftp://)?[a-zA-Z0-9./?#:@ %\\[\\]<>-]{0,20}") {
            agree(URL_PATTERN, is_url, &s)?;
        }

        #[test]
        fn email_code_agrees_with_its_pattern(s in "[a-z0-9.+ -]{0,8}@?[a-zA-Z0-9.@_ -]{0,70}") {
            agree(EMAIL_PATTERN, is_email, &s)?;
        }

        #[test]
        fn cron_code_agrees_with_its_pattern(s in "([0-9*/,-]{1,5}|JAN|SUN|MON-FRI|[0-9]{1,3}|0[0-9])( ([0-9*/,-]{1,5}|JAN-MAR|SAT|0[0-9]|[0-9]{1,3})){0,5} ?") {
            agree(CRON_PATTERN, is_cron, &s)?;
        }
    }

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
