//! String formats checked by value validation: url, email, date, timestamp, cron, time zone.
//!
//! Url, email and cron are described by regular expressions, exported in the JSON Schema
//! (`pattern`) so that core and a JSON Schema validator agree on them; core checks them with
//! plain code, several times faster than a backtracking-free regex engine without literal
//! optimizations (regex-lite), and a property test holds code and expression together.

use crate::json_view::str_order;
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
#[inline]
fn is_url_authority_char(c: u8) -> bool {
    // A `match`, not `b"...".contains`: no call per byte (a `memchr` in WebAssembly).
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'%'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'['
                | b']'
        )
}

/// The characters that end a URL's authority.
#[inline]
fn is_url_delimiter(c: u8) -> bool {
    matches!(c, b'/' | b'?' | b'#')
}

/// Whether `s` is an absolute http(s) URL: the same language as [`URL_PATTERN`], checked without
/// a regular expression (a test holds the two together).
#[inline]
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
        .position(|&c| is_url_delimiter(c))
        .unwrap_or(bytes.len());
    let (authority, tail) = bytes.split_at(authority_end);
    !authority.is_empty()
        && authority.iter().all(|&c| is_url_authority_char(c))
        && tail
            .iter()
            .all(|&c| is_url_authority_char(c) || is_url_delimiter(c))
}

/// Whether `s` is an email address: the same language as [`EMAIL_PATTERN`], without a regex.
#[inline]
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = split_once_byte(s.as_bytes(), b'@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || is_email_local_symbol(c));
    let label_ok = |b: &[u8]| {
        (1..=63).contains(&b.len())
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric()
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
    };
    if !local_ok {
        return false;
    }
    let mut labels = 0;
    for label in domain.split(|&c| c == b'.') {
        if !label_ok(label) {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// The part of `b` before the first `separator` and the part after it.
///
/// The formats are checked on bytes, not on `str`s: searching a `str` for a `char` costs a
/// call or two per search in WebAssembly, a tenth of the check of a short value.
#[inline]
fn split_once_byte(b: &[u8], separator: u8) -> Option<(&[u8], &[u8])> {
    let at = b.iter().position(|&c| c == separator)?;
    Some((&b[..at], &b[at + 1..]))
}

/// The symbols [`EMAIL_PATTERN`] allows in the local part.
#[inline]
fn is_email_local_symbol(c: u8) -> bool {
    matches!(
        c,
        b'.' | b'!'
            | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'/'
            | b'='
            | b'?'
            | b'^'
            | b'_'
            | b'`'
            | b'{'
            | b'|'
            | b'}'
            | b'~'
            | b'-'
    )
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
    #[inline]
    fn value_ok(&self, v: &[u8]) -> bool {
        if self.names.iter().any(|name| name.as_bytes() == v) {
            return true;
        }
        // At most two digits: the number fits any integer.
        (1..=self.max_digits).contains(&v.len())
            && v.iter().all(|c| c.is_ascii_digit())
            && (self.min..=self.max)
                .contains(&v.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0')))
    }

    #[inline]
    fn element_ok(&self, element: &[u8]) -> bool {
        let (base, step) = match split_once_byte(element, b'/') {
            Some((base, step)) => (base, Some(step)),
            None => (element, None),
        };
        let step_ok = step.is_none_or(|s| {
            s.first().is_some_and(|c| (b'1'..=b'9').contains(c))
                && s.iter().all(|c| c.is_ascii_digit())
        });
        let base_ok = base == b"*"
            || match split_once_byte(base, b'-') {
                Some((from, to)) => self.value_ok(from) && self.value_ok(to),
                None => self.value_ok(base),
            };
        step_ok && base_ok
    }
}

/// Whether `s` is a 5-field cron expression: the same language as [`CRON_PATTERN`], without a regex.
#[inline]
pub fn is_cron(s: &str) -> bool {
    let mut fields = s.as_bytes().split(|&c| c == b' ');
    CRON_FIELDS.iter().all(|rules| {
        fields.next().is_some_and(|field| {
            field
                .split(|&c| c == b',')
                .all(|element| rules.element_ok(element))
        })
    }) && fields.next().is_none()
}

/// Whether `s` is a calendar date `YYYY-MM-DD` (RFC 3339 full-date).
#[inline]
pub fn is_date(s: &str) -> bool {
    s.len() == 10 && date_of(s.as_bytes()).is_some()
}

/// Whether `s` is an RFC 3339 timestamp, as the `time` crate's `Rfc3339` parser accepts them
/// (any one-byte separator between date and time, `z` as `Z`, any number of fraction digits,
/// a leap second only where it is the last second of a month in UTC). Plain code: `time`'s
/// parser costs a tenth of the WebAssembly module and is slower; a property test holds the
/// two together.
#[inline]
pub fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let Some((year, month, day)) = date_of(b) else {
        return false;
    };
    // b[10] is the separator: any byte.
    let (Some(hour), Some(minute), Some(second)) = (two(b, 11), two(b, 14), two(b, 17)) else {
        return false;
    };
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return false;
    }
    let mut rest = &b[19..];
    if let [b'.', tail @ ..] = rest {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &tail[digits..];
    }
    // The offset, in minutes east of UTC.
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (Some(hours), Some(minutes)) = (two(rest, 1), two(rest, 4)) else {
                return false;
            };
            if hours > 23 || minutes > 59 {
                return false;
            }
            let minutes = i32::from(hours) * 60 + i32::from(minutes);
            if *sign == b'-' { -minutes } else { minutes }
        }
        _ => return false,
    };
    if hour > 23 || minute > 59 || second > 60 {
        return false;
    }
    // A leap second stands for 23:59:59.999999999 UTC on the last day of a month.
    if second == 60 {
        let utc = i32::from(hour) * 60 + i32::from(minute) - offset;
        let last_day = days_in_month(year, month);
        let utc_day_is_last = match utc.div_euclid(24 * 60) {
            -1 => day == 1,
            0 => day == last_day,
            _ => day + 1 == last_day,
        };
        return utc.rem_euclid(24 * 60) == 23 * 60 + 59 && utc_day_is_last;
    }
    true
}

/// The calendar date `YYYY-MM-DD` that `b` starts with (year 0000 to 9999, proleptic
/// Gregorian), as (year, month, day).
#[inline]
fn date_of(b: &[u8]) -> Option<(u16, u8, u8)> {
    let year = u16::from(two(b, 0)?) * 100 + u16::from(two(b, 2)?);
    let (month, day) = (two(b, 5)?, two(b, 8)?);
    let valid = b[4] == b'-'
        && b[7] == b'-'
        && (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day);
    valid.then_some((year, month, day))
}

/// The two ASCII digits at `at` as a number.
#[inline]
fn two(b: &[u8], at: usize) -> Option<u8> {
    match b.get(at..at + 2)? {
        [tens @ b'0'..=b'9', ones @ b'0'..=b'9'] => Some((tens - b'0') * 10 + (ones - b'0')),
        _ => None,
    }
}

/// The number of days of a month (1 to 12) of a year.
#[inline]
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether `s` names an IANA time zone.
#[inline]
pub fn is_time_zone(s: &str) -> bool {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES
        .get_or_init(|| time_zone_names().collect())
        .binary_search_by(|name| str_order(name, s))
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
        fn timestamp_code_agrees_with_time(s in "[0-9]{4}-[01][0-9]-[0-3][0-9]([Tt z]|é)?[0-2][0-9]:[0-6][0-9]:[0-6][0-9](\\.[0-9]{0,12})?([Zz]|[+-][0-2][0-9]:[0-6][0-9]|[+-][0-9]{2}|)") {
            let time = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).is_ok();
            prop_assert_eq!(is_timestamp(&s), time, "input {:?}", s);
        }

        #[test]
        fn leap_seconds_agree_with_time(day in "(0000-01-01|2016-12-31|2024-02-2[89]|2023-02-28|9999-12-31|2024-04-30|2024-05-01)", clock in "(23:59|00:59|01:00|22:59|00:00):60(\\.5)?", offset in "(Z|[+-](00|01|23):(00|01|59))") {
            let s = format!("{day}T{clock}{offset}");
            let parsed = time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).is_ok();
            prop_assert_eq!(is_timestamp(&s), parsed, "input {:?}", s);
        }

        #[test]
        fn date_code_agrees_with_time(s in "[0-9+-]?[0-9]{3,4}-[0-9]{1,2}-[0-9]{1,2}[0-9 ]?") {
            let format = time::macros::format_description!("[year repr:full sign:automatic]-[month]-[day]");
            let time = s.len() == 10 && time::Date::parse(&s, format).is_ok();
            prop_assert_eq!(is_date(&s), time, "input {:?}", s);
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
            (is_timestamp, "2024-05-01t10:00:00z", true),
            (is_timestamp, "2016-12-31T23:59:60Z", true),
            (is_timestamp, "2017-01-01T00:59:60.5+01:00", true),
            (is_timestamp, "2016-12-30T23:59:60Z", false),
            (is_timestamp, "2024-05-01T10:00:00+24:00", false),
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
