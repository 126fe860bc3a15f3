//! JSON Pointer (RFC 6901) building, for the paths of field errors.

use std::fmt::Write;

/// Appends one reference token to a pointer, escaping `~` and `/`.
#[inline]
pub fn push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    for c in token.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
    out
}

/// Appends an array index to a pointer.
pub fn push_index(pointer: &str, index: usize) -> String {
    let mut out = String::with_capacity(pointer.len() + 4);
    out.push_str(pointer);
    let _ = write!(out, "/{index}");
    out
}

/// Splits a pointer into its unescaped reference tokens; `None` if it is not a pointer.
pub fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_round_trips() {
        let p = push(&push_index("", 2), "a/b~c");
        assert_eq!(p, "/2/a~1b~0c");
        assert_eq!(
            tokens(&p).unwrap(),
            vec!["2".to_string(), "a/b~c".to_string()]
        );
        assert_eq!(tokens("no-slash"), None);
        assert_eq!(tokens(""), Some(vec![]));
    }
}
