//! What the validator reads of a JSON value, so that a config is checked where it is held:
//! serde_json's [`Value`], or another reader's view of the same JSON. The npm package checks
//! the values JavaScript encodes for it this way, without JSON text or a `Value` in between.
//!
//! A view answers as the `Value` parsed from the same JSON text would: objects list their
//! members in key order (as serde_json's map holds them), numbers read as `Value`'s do.

use serde_json::{Map, Value};

/// A JSON value, read.
pub trait JsonView<'a>: Copy {
    /// An object of this reader.
    type Object: JsonObject<'a, Value = Self>;
    /// The items of an array of this reader, in order.
    type Items: Iterator<Item = Self>;

    /// The string, when the value is one.
    fn as_str(self) -> Option<&'a str>;
    /// The number, when the value is one.
    fn as_f64(self) -> Option<f64>;
    /// The number as an integer, accepting a zero fraction (`3.0`) as JSON Schema does; `None`
    /// for any other value, a fraction, or an integer beyond the exact range of `f64`
    /// (`9.0e15`) that JSON text did not write as an `i64`.
    fn as_integer(self) -> Option<i64>;
    /// Whether the value is `true` or `false`.
    fn is_boolean(self) -> bool;
    /// The items, when the value is an array.
    fn as_array(self) -> Option<Self::Items>;
    /// The object, when the value is one.
    fn as_object(self) -> Option<Self::Object>;
}

/// A JSON object, read.
pub trait JsonObject<'a>: Copy {
    /// The values of this reader.
    type Value: JsonView<'a, Object = Self>;
    /// The members, in key order.
    type Members: Iterator<Item = (&'a str, Self::Value)>;

    /// The value of a member.
    fn get(self, key: &str) -> Option<Self::Value>;
    /// Whether the object has a member of that name.
    fn contains_key(self, key: &str) -> bool {
        self.get(key).is_some()
    }
    /// The members, `(name, value)`, in key order.
    fn members(self) -> Self::Members;
    /// The members as [`members`](Self::members) lists them, each with the index of the
    /// variable it is the value of in the spec the values are validated against, when the
    /// reader knows it from how the values reached it (the npm package's encoding names a
    /// variable by its index); `None` for the validator to look the name up.
    fn variable_members(self) -> impl Iterator<Item = (&'a str, Option<usize>, Self::Value)> {
        self.members().map(|(name, value)| (name, None, value))
    }
}

/// How two strings compare (as `str`s do: byte by byte), in a loop of its own: comparing
/// `str`s calls `memcmp`, which WebAssembly has as a function comparing a byte at a time, and
/// the names and values compared here mostly differ in their first bytes.
#[inline(always)]
pub fn str_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes().cmp(b.bytes())
}

/// The largest magnitude below which a fractionless `f64` is read as an integer.
const EXACT_INTEGER_LIMIT: f64 = 9.0e15;

/// [`JsonView::as_integer`] of a number held as an `f64`: a zero fraction within the exact
/// range of `f64`.
pub fn f64_as_integer(f: f64) -> Option<i64> {
    (f.fract() == 0.0 && f.abs() < EXACT_INTEGER_LIMIT).then_some(f as i64)
}

impl<'a> JsonView<'a> for &'a Value {
    type Object = &'a Map<String, Value>;
    type Items = std::slice::Iter<'a, Value>;

    fn as_str(self) -> Option<&'a str> {
        Value::as_str(self)
    }

    fn as_f64(self) -> Option<f64> {
        Value::as_f64(self)
    }

    fn as_integer(self) -> Option<i64> {
        let n = self.as_number()?;
        n.as_i64().or_else(|| f64_as_integer(n.as_f64()?))
    }

    fn is_boolean(self) -> bool {
        Value::is_boolean(self)
    }

    fn as_array(self) -> Option<Self::Items> {
        Value::as_array(self).map(|items| items.iter())
    }

    fn as_object(self) -> Option<Self::Object> {
        Value::as_object(self)
    }
}

/// The members of a serde_json map, names as `&str`.
type MapMembers<'a> =
    std::iter::Map<serde_json::map::Iter<'a>, fn((&'a String, &'a Value)) -> (&'a str, &'a Value)>;

impl<'a> JsonObject<'a> for &'a Map<String, Value> {
    type Value = &'a Value;
    type Members = MapMembers<'a>;

    fn get(self, key: &str) -> Option<&'a Value> {
        Map::get(self, key)
    }

    fn contains_key(self, key: &str) -> bool {
        Map::contains_key(self, key)
    }

    fn members(self) -> Self::Members {
        self.iter().map(|(name, value)| (name.as_str(), value))
    }
}
