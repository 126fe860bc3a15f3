//! Checks shared by the modules' tests.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;

/// Decodes `json` (as the service sends it) into `T` and checks it encodes back to the same JSON.
pub(crate) fn round_trip<T: Serialize + DeserializeOwned>(json: Value) -> T {
    let decoded: T = serde_json::from_value(json.clone())
        .unwrap_or_else(|e| panic!("{} does not decode: {e}", std::any::type_name::<T>()));
    let encoded = serde_json::to_value(&decoded).expect("encodes");
    assert_eq!(encoded, json, "{} re-encodes", std::any::type_name::<T>());
    decoded
}

/// Checks an open enum: each known value survives a round trip, and `other` (an `Other(name)`)
/// is what an unknown `name` decodes to, and encodes back to `name`.
pub(crate) fn open_enum<T>(known: &[T], other: T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    assert!(!known.is_empty());
    for value in known {
        let json = serde_json::to_value(value).expect("encodes");
        assert!(json.is_string(), "{value:?} is a string on the wire");
        assert_eq!(&serde_json::from_value::<T>(json).expect("decodes"), value);
    }
    let name = serde_json::to_value(&other).expect("encodes");
    assert!(!known.contains(&other), "{other:?} is not a known value");
    assert_eq!(serde_json::from_value::<T>(name).expect("decodes"), other);
}
