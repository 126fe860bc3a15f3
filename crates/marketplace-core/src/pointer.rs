//! JSON Pointer (RFC 6901) building, for the paths of field errors.

use std::fmt::Write;

/// Appends one reference token to a pointer, escaping `~` and `/`.
#[inline]
pub fn push(pointer: &str, token: &str) -> String {
    let mut out = String::with_capacity(pointer.len() + token.len() + 1);
    out.push_str(pointer);
    out.push('/');
    if !token.bytes().any(|c| c == b'~' || c == b'/') {
        out.push_str(token);
        return out;
    }
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

/// Where a value is, written out as a JSON Pointer only when an error names it: validation
/// walks many values and reports few.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// A pointer already written.
    Written(&'a str),
    /// The member of that name of the object at a path.
    Member(&'a Path<'a>, &'a str),
    /// The item at that index of the array at a path.
    Item(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// The path as a JSON Pointer.
    pub fn to_pointer(&self) -> String {
        match *self {
            Path::Written(pointer) => pointer.to_owned(),
            Path::Member(parent, token) => push(&parent.to_pointer(), token),
            Path::Item(parent, index) => push_index(&parent.to_pointer(), index),
        }
    }
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

    #[test]
    fn a_path_is_written_out_as_its_pointer() {
        let root = Path::Written("/headers");
        let item = Path::Item(&root, 2);
        let member = Path::Member(&item, "a/b~c");
        assert_eq!(member.to_pointer(), "/headers/2/a~1b~0c");
        assert_eq!(Path::Member(&Path::Written(""), "k").to_pointer(), "/k");
    }
}
