//! Config values as the npm package's JavaScript encodes them for validation
//! (`crates/marketplace-wasm/js/values.js`), read in place as core's [`JsonView`]: no JSON
//! text, no `serde_json::Value`. [`validate`] is what `CompiledSpec.validate` runs.
//!
//! The encoding is two buffers:
//! - `text`: every string of the value (member names and string values), UTF-8, one after
//!   the other in the order the tape meets them;
//! - `tape`: the value depth first as numbers: a tag, then what the tag needs. `NULL`,
//!   `FALSE`, `TRUE`; `NUMBER` then the number; `STRING` then its length in UTF-16 units;
//!   `ARRAY` then its length, then its items; `OBJECT` then its member count, then for each
//!   member its name and its value. A name is its length in UTF-16 units (the name is in the
//!   text), or `-1 - i` for the key of the spec's `i`th variable (in spec order), which the
//!   JavaScript side looks up instead of copying the key into the text.
//!
//! A tape that does not read back to exactly that (a buffer too short or too long, an unknown
//! tag, a number that is not finite, a lone surrogate JavaScript's encoder replaced) is
//! refused with `None`, and the caller validates through JSON instead, whose answer is the
//! reference: the view answers as the `Value` parsed from the same value's JSON would.

use marketplace_core::json_view::{JsonObject, JsonView, f64_as_integer, str_order};
use marketplace_core::{CompiledSpec, FieldError, ValidationOptions, validate_view};

/// Core's validation of encoded values (see the crate's documentation); `None` when the
/// buffers are not an encoding of one value, for the caller to validate through JSON.
pub fn validate(
    spec: &CompiledSpec,
    text: &[u8],
    tape: &[f64],
    options: ValidationOptions,
) -> Option<Vec<FieldError>> {
    let tape = Tape::read(text, tape, spec)?;
    Some(validate_view(spec, tape.root(), options))
}

/// The tags of the tape, as `values.js` writes them.
const NULL: f64 = 0.0;
const FALSE: f64 = 1.0;
const TRUE: f64 = 2.0;
const NUMBER: f64 = 3.0;
const STRING: f64 = 4.0;
const ARRAY: f64 = 5.0;
const OBJECT: f64 = 6.0;

/// [`Member::variable`] of a member named in the text (a bare `u32` rather than an
/// `Option<u32>`: 255 bytes less of the gzipped module, at the same speed).
const NO_VARIABLE: u32 = u32::MAX;

/// The deepest nesting read (`values.js` stops before it; serde_json's own limit is 128).
const MAX_DEPTH: u32 = 100;

/// The values read from a tape: the root, with the items of arrays and the members of objects
/// (sorted by name, as serde_json's map keeps them) in two lists they point into.
pub struct Tape<'a> {
    root: Node<'a>,
    items: Vec<Node<'a>>,
    members: Vec<Member<'a>>,
}

/// A member of an object of a [`Tape`].
#[derive(Clone, Copy)]
struct Member<'a> {
    name: &'a str,
    value: Node<'a>,
    /// The index of the spec's variable it names, when the tape named it so; [`NO_VARIABLE`]
    /// if not.
    variable: u32,
}

/// One value of a tape.
#[derive(Clone, Copy)]
enum Node<'a> {
    Null,
    Bool,
    Number(f64),
    Str(&'a str),
    /// Items `start..end` of [`Tape::items`].
    Array(u32, u32),
    /// Members `start..end` of [`Tape::members`].
    Object(u32, u32),
}

impl<'a> Tape<'a> {
    /// Reads a tape and its text, a member named by a variable's index with that variable's
    /// key in `spec`; `None` when they are not an encoding of one value.
    pub fn read(text: &'a [u8], tape: &[f64], spec: &'a CompiledSpec) -> Option<Tape<'a>> {
        let text = std::str::from_utf8(text).ok()?;
        let mut reader = Reader {
            spec,
            text,
            ascii: text.is_ascii(),
            tape,
            at: 0,
            // Every member takes two numbers or more.
            out: Tape {
                root: Node::Null,
                items: Vec::new(),
                members: Vec::with_capacity(tape.len() / 2),
            },
            reserved: 0,
        };
        reader.out.root = reader.value(0)?;
        (reader.at == tape.len() && reader.text.is_empty()).then_some(reader.out)
    }

    /// The value the tape encodes.
    pub fn root(&self) -> View<'_, 'a> {
        self.view(self.root)
    }

    /// The value of a node.
    fn view(&self, node: Node<'a>) -> View<'_, 'a> {
        View { tape: self, node }
    }
}

/// Reads a tape into a [`Tape`].
struct Reader<'a, 't> {
    /// The spec whose variables' keys a member's index refers to.
    spec: &'a CompiledSpec,
    /// The text not read yet.
    text: &'a str,
    /// Whether the whole text is ASCII (then a UTF-16 length is a byte length).
    ascii: bool,
    tape: &'t [f64],
    at: usize,
    out: Tape<'a>,
    /// How many items and members the arrays and objects read so far said they hold: each
    /// takes a number of the tape or more, so a count past what the tape can hold is refused
    /// before room is made for it.
    reserved: usize,
}

impl<'a> Reader<'a, '_> {
    /// The next number of the tape.
    #[inline(always)]
    fn next(&mut self) -> Option<f64> {
        let n = *self.tape.get(self.at)?;
        self.at += 1;
        Some(n)
    }

    /// The next number of the tape as a count or a length.
    #[inline(always)]
    fn count(&mut self) -> Option<usize> {
        as_count(self.next()?)
    }

    /// Counts `len` more items or members; `None` when the tape cannot hold them all.
    #[inline(always)]
    fn reserve(&mut self, len: usize) -> Option<()> {
        self.reserved = self.reserved.checked_add(len)?;
        (self.reserved <= self.tape.len()).then_some(())
    }

    /// The next string of the text, as long as the next number of the tape says.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        let units = self.count()?;
        self.text_of(units)
    }

    /// A member's name, and the index of the variable it names when the tape names it by that
    /// index (`-1 - index`) rather than by a length of the text ([`NO_VARIABLE`]).
    #[inline]
    fn name(&mut self) -> Option<(&'a str, u32)> {
        let n = self.next()?;
        if n < 0.0 {
            let index = -1.0 - n;
            let variables = self.spec.compiled_variables();
            return (index.fract() == 0.0 && index < variables.len() as f64).then(|| {
                let key = variables[index as usize].variable.key.as_str();
                (key, index as u32)
            });
        }
        Some((self.text_of(as_count(n)?)?, NO_VARIABLE))
    }

    /// The next `units` UTF-16 code units of the text.
    #[inline]
    fn text_of(&mut self, units: usize) -> Option<&'a str> {
        let bytes = if self.ascii {
            units
        } else {
            utf8_length(self.text, units)?
        };
        let (string, rest) = self.text.split_at_checked(bytes)?;
        self.text = rest;
        Some(string)
    }

    /// Reads one value (what it holds into the output); returns its node.
    fn value(&mut self, depth: u32) -> Option<Node<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        let tag = self.next()?;
        let node = if tag == NULL {
            Node::Null
        } else if tag == FALSE || tag == TRUE {
            Node::Bool
        } else if tag == NUMBER {
            let n = self.next()?;
            if !n.is_finite() {
                return None;
            }
            Node::Number(n)
        } else if tag == STRING {
            Node::Str(self.string()?)
        } else if tag == ARRAY {
            let len = self.count()?;
            self.reserve(len)?;
            // The items' places, filled in as they are read (theirs are made after).
            let start = self.out.items.len();
            self.out.items.resize(start + len, Node::Null);
            for at in start..start + len {
                self.out.items[at] = self.value(depth + 1)?;
            }
            Node::Array(as_index(start)?, as_index(start + len)?)
        } else if tag == OBJECT {
            let len = self.count()?;
            self.reserve(len)?;
            let start = self.out.members.len();
            let empty = Member {
                name: "",
                value: Node::Null,
                variable: NO_VARIABLE,
            };
            self.out.members.resize(start + len, empty);
            for at in start..start + len {
                let (name, variable) = self.name()?;
                // A string inline (most values are): the recursive call costs more than it.
                let value = if self.tape.get(self.at) == Some(&STRING) {
                    self.at += 1;
                    Node::Str(self.string()?)
                } else {
                    self.value(depth + 1)?
                };
                self.out.members[at] = Member {
                    name,
                    value,
                    variable,
                };
            }
            sort_by_name(&mut self.out.members[start..start + len])?;
            Node::Object(as_index(start)?, as_index(start + len)?)
        } else {
            return None;
        };
        Some(node)
    }
}

/// A number of the tape as a count or a length: a whole number from 0 to `u32::MAX`.
#[inline(always)]
fn as_count(n: f64) -> Option<usize> {
    (n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64).then_some(n as usize)
}

/// How many bytes of `text` its first `units` UTF-16 code units take; `None` when the text
/// is shorter, or holds what `TextEncoder` writes for a lone surrogate (JSON would refuse it).
fn utf8_length(text: &str, units: usize) -> Option<usize> {
    let mut counted = 0;
    let mut bytes = 0;
    for c in text.chars() {
        if counted == units {
            break;
        }
        if c == char::REPLACEMENT_CHARACTER {
            return None;
        }
        counted += c.len_utf16();
        bytes += c.len_utf8();
    }
    (counted == units).then_some(bytes)
}

/// A place in [`Tape::items`] or [`Tape::members`] as a node holds it.
#[inline(always)]
fn as_index(at: usize) -> Option<u32> {
    u32::try_from(at).ok()
}

/// Sorts an object's members by name, as serde_json's map lists them (JavaScript lists them in
/// insertion order, usually the form's); `None` for a name given twice. An insertion sort:
/// members mostly come sorted already, and the standard library's sorts weigh 1 KiB gzipped
/// in the module.
fn sort_by_name(members: &mut [Member<'_>]) -> Option<()> {
    for i in 1..members.len() {
        let member = members[i];
        if str_order(members[i - 1].name, member.name).is_lt() {
            continue;
        }
        let at = match members[..i].binary_search_by(|m| str_order(m.name, member.name)) {
            Ok(_) => return None,
            Err(at) => at,
        };
        members.copy_within(at..i, at + 1);
        members[at] = member;
    }
    Some(())
}

/// A value of a [`Tape`], read by core's validation.
#[derive(Clone, Copy)]
pub struct View<'t, 'a> {
    tape: &'t Tape<'a>,
    node: Node<'a>,
}

/// An object of a [`Tape`].
#[derive(Clone, Copy)]
pub struct ObjectView<'t, 'a> {
    tape: &'t Tape<'a>,
    members: &'t [Member<'a>],
}

/// 2^63: integral `f64`s of smaller magnitude are written by JSON as digits an `i64` holds.
const I64_LIMIT: f64 = (1u64 << 63) as f64;

impl<'t, 'a: 't> JsonView<'t> for View<'t, 'a> {
    type Object = ObjectView<'t, 'a>;
    type Items = Items<'t, 'a>;

    fn as_str(self) -> Option<&'t str> {
        match self.node {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    fn as_f64(self) -> Option<f64> {
        match self.node {
            Node::Number(n) => Some(n),
            _ => None,
        }
    }

    fn as_integer(self) -> Option<i64> {
        let n = self.as_f64()?;
        // JSON writes an integral number below 1e21 as digits (the shortest that read back to
        // it, then zeros), which serde_json reads as an i64 when they fit; a larger one in
        // exponent form, read as an f64. -2^63 is written -9223372036854776000: no i64.
        if n.fract() == 0.0 && n > -I64_LIMIT && n < I64_LIMIT {
            Some(n as i64)
        } else {
            f64_as_integer(n)
        }
    }

    fn is_boolean(self) -> bool {
        matches!(self.node, Node::Bool)
    }

    fn as_array(self) -> Option<Self::Items> {
        match self.node {
            Node::Array(start, end) => Some(Items {
                tape: self.tape,
                items: self.tape.items[start as usize..end as usize].iter(),
            }),
            _ => None,
        }
    }

    fn as_object(self) -> Option<Self::Object> {
        match self.node {
            Node::Object(start, end) => Some(ObjectView {
                tape: self.tape,
                members: &self.tape.members[start as usize..end as usize],
            }),
            _ => None,
        }
    }
}

impl<'t, 'a: 't> JsonObject<'t> for ObjectView<'t, 'a> {
    type Value = View<'t, 'a>;
    type Members = Members<'t, 'a>;

    fn get(self, key: &str) -> Option<Self::Value> {
        let at = self
            .members
            .binary_search_by(|m| str_order(m.name, key))
            .ok()?;
        Some(self.tape.view(self.members[at].value))
    }

    fn members(self) -> Self::Members {
        Members {
            tape: self.tape,
            members: self.members.iter(),
        }
    }

    fn variable_members(self) -> impl Iterator<Item = (&'t str, Option<usize>, Self::Value)> {
        self.members.iter().map(|m| {
            let variable = (m.variable != NO_VARIABLE).then_some(m.variable as usize);
            (m.name, variable, self.tape.view(m.value))
        })
    }
}

/// The members of an [`ObjectView`], in name order.
pub struct Members<'t, 'a> {
    tape: &'t Tape<'a>,
    members: std::slice::Iter<'t, Member<'a>>,
}

impl<'t, 'a: 't> Iterator for Members<'t, 'a> {
    type Item = (&'t str, View<'t, 'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let member = self.members.next()?;
        Some((member.name, self.tape.view(member.value)))
    }
}

/// The items of an array of a [`Tape`], in order.
pub struct Items<'t, 'a> {
    tape: &'t Tape<'a>,
    items: std::slice::Iter<'t, Node<'a>>,
}

impl<'t, 'a: 't> Iterator for Items<'t, 'a> {
    type Item = View<'t, 'a>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.tape.view(*self.items.next()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use marketplace_core::{Editor, validate_config};
    use serde_json::{Value, json};

    /// What `values.js` writes for a JSON value; members in reverse order when `reverse`, a
    /// member name found in `names` by its index there.
    fn encode(value: &Value, reverse: bool, names: &[&str]) -> (String, Vec<f64>) {
        fn walk(
            value: &Value,
            reverse: bool,
            names: &[&str],
            text: &mut String,
            tape: &mut Vec<f64>,
        ) {
            let string = |s: &str, text: &mut String, tape: &mut Vec<f64>| {
                tape.push(s.encode_utf16().count() as f64);
                text.push_str(s);
            };
            match value {
                Value::Null => tape.push(NULL),
                Value::Bool(b) => tape.push(if *b { TRUE } else { FALSE }),
                Value::Number(n) => tape.extend([NUMBER, n.as_f64().unwrap()]),
                Value::String(s) => {
                    tape.push(STRING);
                    string(s, text, tape);
                }
                Value::Array(items) => {
                    tape.extend([ARRAY, items.len() as f64]);
                    for item in items {
                        walk(item, reverse, names, text, tape);
                    }
                }
                Value::Object(members) => {
                    tape.extend([OBJECT, members.len() as f64]);
                    let mut members: Vec<_> = members.iter().collect();
                    if reverse {
                        members.reverse();
                    }
                    for (name, value) in members {
                        match names.iter().position(|n| *n == name.as_str()) {
                            Some(index) => tape.push(-1.0 - index as f64),
                            None => string(name, text, tape),
                        }
                        walk(value, reverse, names, text, tape);
                    }
                }
            }
        }
        let (mut text, mut tape) = (String::new(), Vec::new());
        walk(value, reverse, names, &mut text, &mut tape);
        (text, tape)
    }

    fn spec() -> CompiledSpec {
        CompiledSpec::parse(&json!({"pages": [{"title": "P", "elements": [
            {"key": "code", "label": "Code", "type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$", "required": true},
            {"key": "name", "label": "Name", "type": "string", "max_length": 3},
            {"key": "count", "label": "Count", "type": "integer", "min": 0, "max": 10},
            {"key": "on", "label": "On", "type": "boolean"},
            {"key": "mails", "label": "Mails", "type": "email", "collection": "value_list"},
            {"key": "headers", "label": "Headers", "type": "string", "collection": "key_value_list"},
            {"key": "when", "label": "When", "type": "schedule"},
            {"key": "fields", "label": "Fields", "type": "object_field_map", "fields": ["email"]},
            {"key": "auth", "label": "Auth", "type": "connection", "connection": {"kind": "basic"}},
            {"key": "payload", "label": "Payload", "type": "json"}
        ]}]}))
        .expect("the spec parses")
    }

    /// The spec's variable keys, in spec order.
    fn keys(spec: &CompiledSpec) -> Vec<&str> {
        spec.variables().map(|v| v.key.as_str()).collect()
    }

    fn options() -> ValidationOptions {
        ValidationOptions::complete(Editor::Customer)
    }

    #[test]
    fn answers_as_the_json_path_in_serde_jsons_order() {
        let spec = spec();
        let broken = json!({
            "zz": 1, "name": "Ünïcode", "count": 11.0, "on": "yes", "mails": ["a@example.com", "nope"],
            "headers": [{"key": "", "value": "v", "x": 1}, {"value": "v"}, 3],
            "when": {"cron": "never", "tz": "UTC"}, "fields": {"email": 1, "phone": "P"},
            "auth": {"username": "", "extra": "x"}, "payload": {"a": [1, null, {"b": true}]}, "aa": null
        });
        let valid =
            json!({"code": "ABC-1234", "name": "日本", "count": 3, "mails": [], "payload": "😀"});
        let names = keys(&spec);
        for values in [&broken, &valid, &json!({})] {
            let expected = validate_config(&spec, values, options());
            for reverse in [false, true] {
                for by_index in [&names[..], &[]] {
                    let (text, tape) = encode(values, reverse, by_index);
                    let errors = validate(&spec, text.as_bytes(), &tape, options());
                    assert_eq!(
                        errors.as_ref(),
                        Some(&expected),
                        "{values} reversed: {reverse}, keys by index: {}",
                        !by_index.is_empty()
                    );
                }
            }
        }
        assert!(validate_config(&spec, &broken, options()).len() >= 14);
        assert!(validate_config(&spec, &valid, options()).is_empty());
    }

    #[test]
    fn integers_as_json_text_writes_them() {
        let spec = spec();
        let count = |n: f64| {
            let (text, tape) = encode(&json!({"code": "ABC-1234", "count": 0}), false, &[]);
            let at = tape.len() - 1;
            let mut tape = tape;
            tape[at] = n;
            validate(&spec, text.as_bytes(), &tape, options()).expect("a tape")
        };
        let codes = |n: f64| -> Vec<String> {
            count(n)
                .iter()
                .map(|e| e.code.as_str().to_owned())
                .collect()
        };
        assert!(codes(3.0).is_empty());
        assert_eq!(codes(3.5), ["type"]);
        assert_eq!(codes(11.0), ["max"]);
        let below = ((1u64 << 63) - 1024) as f64; // the largest f64 below 2^63
        assert_eq!(codes(-below), ["min"]); // an i64
        assert_eq!(codes(-I64_LIMIT), ["type"]); // -2^63: not as JSON writes it
        assert_eq!(codes(I64_LIMIT), ["type"]);
        assert_eq!(codes(1e21), ["type"]);
    }

    #[test]
    fn a_tape_that_is_not_one_value_is_refused() {
        let spec = spec();
        let names = keys(&spec);
        let (text, tape) = encode(&json!({"code": "ABC-1234", "name": "é"}), false, &[]);
        assert!(validate(&spec, text.as_bytes(), &tape, options()).is_some());
        let refused = |text: &[u8], tape: &[f64]| validate(&spec, text, tape, options()).is_none();
        assert!(
            refused(text.as_bytes(), &tape[..tape.len() - 1]),
            "truncated tape"
        );
        assert!(
            refused(&text.as_bytes()[..text.len() - 1], &tape),
            "truncated text"
        );
        assert!(
            refused(format!("{text}x").as_bytes(), &tape),
            "text left over"
        );
        assert!(
            refused(text.as_bytes(), &[&tape[..], &[NULL]].concat()),
            "tape left over"
        );
        assert!(refused(b"", &[9.0]), "unknown tag");
        assert!(refused(b"", &[NUMBER, f64::NAN]), "not a finite number");
        assert!(refused(b"", &[ARRAY, 0.5]), "a fractional count");
        assert!(refused(b"", &[ARRAY, -1.0]), "a negative count");
        // Refused before room is made for them (which would abort).
        let most = f64::from(u32::MAX);
        assert!(
            refused(b"", &[ARRAY, most, NULL]),
            "more items than numbers"
        );
        assert!(
            refused(b"", &[OBJECT, most, 1.0, NULL]),
            "more members than numbers"
        );
        let nested = [ARRAY, 5.0, ARRAY, 5.0, ARRAY, 5.0, NULL, NULL, NULL];
        assert!(refused(b"", &nested), "counts that add up past the tape");
        assert!(refused(b"\xff", &[STRING, 1.0]), "not UTF-8");
        assert!(
            refused("\u{fffd}".as_bytes(), &[STRING, 1.0]),
            "a replaced lone surrogate"
        );
        assert!(
            refused("é".as_bytes(), &[STRING, 2.0]),
            "a length past the text"
        );
        let twice = [OBJECT, 2.0, 1.0, NULL, 1.0, NULL];
        assert!(refused(b"aa", &twice), "a member named twice");
        let deep: Vec<f64> = (0..=MAX_DEPTH + 1)
            .flat_map(|_| [ARRAY, 1.0])
            .chain([NULL])
            .collect();
        assert!(refused(b"", &deep), "deeper than the limit");
        let object = [OBJECT, 1.0, 1.0, ARRAY, 0.0];
        assert!(!refused(b"a", &object), "an object with one member");
        let last = -(names.len() as f64);
        assert!(
            !refused(b"", &[OBJECT, 1.0, last, NULL]),
            "the last key by index"
        );
        assert!(
            refused(b"", &[OBJECT, 1.0, last - 1.0, NULL]),
            "an index past the variables"
        );
        assert!(
            refused(b"", &[OBJECT, 1.0, -1.5, NULL]),
            "a fractional index"
        );
        let code = -1.0 - names.iter().position(|n| *n == "code").unwrap() as f64;
        assert!(
            refused(b"code", &[OBJECT, 2.0, code, NULL, 4.0, NULL]),
            "a name by index and in the text"
        );
    }
}
