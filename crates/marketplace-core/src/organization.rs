//! The organization's settings: the origins allowed to embed the marketplace, and the theme of
//! the embedded page.
//!
//! Origins are parsed here by hand rather than with the `url` crate, whose IDNA tables would
//! weigh on the WebAssembly module: a small parser that accepts what a browser sends as an
//! `Origin` (`scheme://host[:port]`, an ASCII host) and refuses the rest. Its answers agree
//! with `url` on every input it accepts (a test checks them against it).

use crate::error::{FieldError, FieldErrorCode};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// The themes of the embedded marketplace, the default first.
pub const THEME_NAMES: &[&str] = &["light", "dark"];

/// An accent colour, `#rrggbb`, as a regular expression (for pages that cannot load the
/// WebAssembly module; [`is_accent_colour`] is the same rule).
pub const ACCENT_PATTERN: &str = "^#[0-9a-fA-F]{6}$";

/// The accent colour when the organization sets none.
pub const DEFAULT_ACCENT: &str = "#4f46e5";

/// Theme defaults of the embedded marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// One of [`THEME_NAMES`]: `light` or `dark`.
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Accent colour, `#rrggbb`.
    #[serde(default = "default_accent")]
    pub accent: String,
}

fn default_theme() -> String {
    THEME_NAMES[0].to_owned()
}

fn default_accent() -> String {
    DEFAULT_ACCENT.to_owned()
}

impl Default for Theme {
    fn default() -> Self {
        Theme {
            theme: default_theme(),
            accent: default_accent(),
        }
    }
}

/// Whether a name is a theme of the embedded marketplace (one of [`THEME_NAMES`]).
pub fn is_theme_name(name: &str) -> bool {
    THEME_NAMES.contains(&name)
}

/// Whether a string is an accent colour, `#rrggbb` ([`ACCENT_PATTERN`]).
pub fn is_accent_colour(colour: &str) -> bool {
    colour
        .strip_prefix('#')
        .is_some_and(|h| h.len() == 6 && h.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Checks theme defaults: `/theme/theme` (`option`) and `/theme/accent` (`format`).
pub fn check_theme(theme: &Theme) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !is_theme_name(&theme.theme) {
        errors.push(FieldError::new(
            "/theme/theme",
            FieldErrorCode::Option,
            format!("must be {}", THEME_NAMES.join(" or ")),
        ));
    }
    if !is_accent_colour(&theme.accent) {
        errors.push(FieldError::new(
            "/theme/accent",
            FieldErrorCode::Format,
            format!("must be a colour such as {DEFAULT_ACCENT}"),
        ));
    }
    errors
}

/// Checks and normalizes embed origins (each as [`parse_origin`]); errors at
/// `/allowed_origins/{i}`, code `format`.
pub fn check_origins(origins: &[String]) -> Result<Vec<String>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, origin) in origins.iter().enumerate() {
        match parse_origin(origin) {
            Some(origin) => out.push(origin),
            None => errors.push(FieldError::new(
                format!("/allowed_origins/{i}"),
                FieldErrorCode::Format,
                "an origin is scheme://host[:port], such as https://app.example.com",
            )),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// An origin in the form browsers send it, `scheme://host[:port]`: `http` or `https`, the
/// scheme and host lower-cased, the default port dropped, nothing else. `None` for anything
/// else: a path other than `/`, a query, a fragment, user info, a non-ASCII host (write it in
/// punycode), an IPv4 address not in plain dotted-decimal form.
pub fn parse_origin(text: &str) -> Option<String> {
    // As URL parsers do, leading and trailing spaces and control characters are ignored.
    let text = text.trim_matches(|c: char| c <= ' ');
    let (scheme, rest) = text.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority
        .chars()
        .any(|c| c <= ' ' || matches!(c, '/' | '\\' | '?' | '#' | '@' | '%'))
    {
        return None;
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(bracketed) => {
            let (address, tail) = bracketed.split_once(']')?;
            let port = match tail {
                "" => None,
                tail => Some(tail.strip_prefix(':')?),
            };
            (format!("[{}]", ipv6_text(address.parse().ok()?)), port)
        }
        None => {
            let (host, port) = match authority.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            };
            (domain_or_ipv4(host)?, port)
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) => Some(port_number(digits)?).filter(|&p| p != default_port),
    };
    let mut origin = format!("{scheme}://{host}");
    if let Some(port) = port {
        let _ = write!(origin, ":{port}");
    }
    Some(origin)
}

/// A port, `0` to `65535`, in decimal digits (leading zeros allowed, as URL parsers do).
fn port_number(digits: &str) -> Option<u16> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    if significant.len() > 5 {
        return None;
    }
    match significant {
        "" => Some(0),
        n => n.parse().ok(),
    }
}

/// A host name (ASCII letters, digits, `-`, `_`, dot-separated non-empty labels) lower-cased,
/// or an IPv4 address in dotted-decimal form. A host whose last label is numeric must be an
/// IPv4 address, as in browsers.
fn domain_or_ipv4(host: &str) -> Option<String> {
    let labels: Vec<&str> = host.split('.').collect();
    let valid = labels.iter().all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    if !valid {
        return None;
    }
    let last = labels.last()?.to_ascii_lowercase();
    let numeric = last.bytes().all(|b| b.is_ascii_digit())
        || last
            .strip_prefix("0x")
            .is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if !numeric {
        return Some(host.to_ascii_lowercase());
    }
    let octet = |label: &&str| {
        let plain = label.len() == 1 || !label.starts_with('0');
        (plain && label.len() <= 3 && label.bytes().all(|b| b.is_ascii_digit()))
            .then(|| label.parse::<u8>().ok())
            .flatten()
    };
    (labels.len() == 4 && labels.iter().all(|label| octet(label).is_some()))
        .then(|| host.to_owned())
}

/// An IPv6 address as URLs write it: lower-case hexadecimal pieces, the first longest run of
/// two or more zero pieces written `::`.
fn ipv6_text(address: Ipv6Addr) -> String {
    let pieces = address.segments();
    let mut run: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < pieces.len() {
        let start = i;
        while i < pieces.len() && pieces[i] == 0 {
            i += 1;
        }
        let length = i - start;
        if length >= 2 && run.is_none_or(|(_, best)| length > best) {
            run = Some((start, length));
        }
        i = i.max(start + 1);
    }
    let mut out = String::new();
    let mut i = 0;
    while i < pieces.len() {
        if let Some((start, length)) = run
            && i == start
        {
            out.push_str(if i == 0 { "::" } else { ":" });
            i += length;
            continue;
        }
        let _ = write!(out, "{:x}", pieces[i]);
        if i + 1 < pieces.len() {
            out.push(':');
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_or_refused() {
        let table: &[(&str, Option<&str>)] = &[
            ("https://app.example.com", Some("https://app.example.com")),
            ("https://ok.example/", Some("https://ok.example")),
            ("HTTPS://App.Example.COM", Some("https://app.example.com")),
            ("http://localhost:3000", Some("http://localhost:3000")),
            ("http://a.example:80", Some("http://a.example")),
            ("https://a.example:443/", Some("https://a.example")),
            ("http://a.example:443", Some("http://a.example:443")),
            ("https://a.example:0443", Some("https://a.example")),
            ("http://a.example:", Some("http://a.example")),
            ("http://127.0.0.1:8080", Some("http://127.0.0.1:8080")),
            ("http://[::1]:8080", Some("http://[::1]:8080")),
            (
                "http://[2001:DB8:0:0:1:0:0:1]",
                Some("http://[2001:db8::1:0:0:1]"),
            ),
            ("http://[0:0:1:0:0:0:0:0]", Some("http://[0:0:1::]")),
            ("http://[1:0:0:2:0:0:0:3]", Some("http://[1:0:0:2::3]")),
            ("http://[1:2:3:4:5:6:7:8]", Some("http://[1:2:3:4:5:6:7:8]")),
            ("http://[1:0:3:4:5:6:7:8]", Some("http://[1:0:3:4:5:6:7:8]")),
            ("http://my_host-1.example", Some("http://my_host-1.example")),
            (" https://a.example ", Some("https://a.example")),
            ("not an origin", None),
            ("", None),
            ("ftp://a.example", None),
            ("https://", None),
            ("https:///a.example", None),
            ("https:a.example", None),
            ("https://a.example/path", None),
            ("https://a.example?q", None),
            ("https://a.example/?", None),
            ("https://a.example#x", None),
            ("https://user@a.example", None),
            ("https://:pw@a.example", None),
            ("https://a.example:99999", None),
            ("https://a.example:80a", None),
            ("https://a..example", None),
            ("https://a.example.", None),
            ("https://exämple.com", None),
            ("https://a%41.example", None),
            ("https://a b.example", None),
            ("https://a.example\\", None),
            ("http://127.1", None),
            ("http://010.0.0.1", None),
            ("http://256.0.0.1", None),
            ("http://a.1", None),
            ("http://0x7f.0.0.1", None),
            ("http://[::1", None),
            ("http://[::1]x", None),
            ("http://[fe80::1%25eth0]", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_origin(input).as_deref(), *expected, "{input:?}");
        }
    }

    #[test]
    fn accepted_origins_agree_with_the_url_crate() {
        let inputs = [
            "https://app.example.com",
            "HTTPS://App.Example.COM/",
            "http://localhost:3000",
            "http://a.example:80",
            "https://a.example:0443",
            "http://a.example:",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
            "http://[2001:DB8:0:0:1:0:0:1]",
            "http://[0:0:1:0:0:0:0:0]",
            "http://[1:0:0:2:0:0:0:3]",
            "http://[::ffff:1.2.3.4]",
            "http://my_host-1.example",
            " https://a.example ",
        ];
        for input in inputs {
            let ours = parse_origin(input).unwrap_or_else(|| panic!("{input:?} refused"));
            let theirs = url::Url::parse(input)
                .unwrap()
                .origin()
                .ascii_serialization();
            assert_eq!(ours, theirs, "{input:?}");
        }
    }

    #[test]
    fn check_origins_reports_each_bad_origin_by_index() {
        let origins = ["not an origin", "https://ok.example/", "ftp://x"].map(String::from);
        let errors = check_origins(&origins).unwrap_err();
        let paths: Vec<(&str, FieldErrorCode)> =
            errors.iter().map(|e| (e.path.as_str(), e.code)).collect();
        assert_eq!(
            paths,
            [
                ("/allowed_origins/0", FieldErrorCode::Format),
                ("/allowed_origins/2", FieldErrorCode::Format)
            ]
        );
        assert_eq!(
            check_origins(&["https://ok.example/".into(), "http://B.example:8080".into()]),
            Ok(vec![
                "https://ok.example".to_owned(),
                "http://b.example:8080".to_owned()
            ])
        );
    }

    #[test]
    fn themes_and_accents() {
        let pattern = regex_lite::Regex::new(ACCENT_PATTERN).unwrap();
        for (colour, ok) in [
            ("#4f46e5", true),
            ("#ABCDEF", true),
            ("#abcdeg", false),
            ("4f46e5", false),
            ("#4f46e", false),
            ("#4f46e55", false),
            ("", false),
        ] {
            assert_eq!(is_accent_colour(colour), ok, "{colour}");
            assert_eq!(pattern.is_match(colour), ok, "pattern, {colour}");
        }
        assert!(is_theme_name("light") && is_theme_name("dark") && !is_theme_name("Dark"));
        assert_eq!(check_theme(&Theme::default()), []);
        let bad = Theme {
            theme: "blue".into(),
            accent: "red".into(),
        };
        let errors = check_theme(&bad);
        assert_eq!(
            errors
                .iter()
                .map(|e| (e.path.as_str(), e.code, e.message.as_str()))
                .collect::<Vec<_>>(),
            [
                (
                    "/theme/theme",
                    FieldErrorCode::Option,
                    "must be light or dark"
                ),
                (
                    "/theme/accent",
                    FieldErrorCode::Format,
                    "must be a colour such as #4f46e5"
                )
            ]
        );
        let theme: Theme = serde_json::from_str("{}").unwrap();
        assert_eq!(theme, Theme::default());
        assert_eq!(
            (theme.theme.as_str(), theme.accent.as_str()),
            ("light", "#4f46e5")
        );
        assert!(serde_json::from_str::<Theme>(r#"{"colour": "x"}"#).is_err());
    }
}
