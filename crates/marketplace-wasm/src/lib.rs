//! WebAssembly bindings of the marketplace for JavaScript: core's rules, run synchronously.
//!
//! A tour, one file per concern:
//! - [`spec`]: `parseSpec` and `toJsonSchema`;
//! - [`validate`]: `validateConfig`, a config checked against a spec for an editor;
//!   `CompiledSpec`, whose `validate` reads the values `js/values.js` encodes in place (the
//!   `marketplace-tape` crate): no JSON text in between;
//! - [`deployability`]: `deployability`, whether a customer may activate a listing;
//! - [`rules`]: `rules`, the data of core's rules that forms need (connection inputs, the
//!   masked placeholder, theme names, the accent pattern);
//! - [`error`]: how failures reach JavaScript (an `Error` with `code` and `errors`);
//! - [`convert`]: JS values in and out, through `JSON` (keeps serde's JS glue out of the module);
//! - [`types`]: the TypeScript declarations of every export, written and reviewed in one place.
//!
//! The crate is thin: no rule lives here, every answer comes from `marketplace-core`. The
//! package's `Marketplace` client (`js/client.js`, over `fetch`, validating locally through
//! this module) and `mountMarketplace` (`js/mount.js`, the iframe handshake) are plain
//! JavaScript: compiling the Rust SDK in would take the module from 115 to 168 KiB gzipped. `cargo xtask wasm` builds the npm
//! package into `pkg/` (see `xtask/src/wasm_pkg.rs`).

pub mod convert;
pub mod deployability;
pub mod error;
pub mod rules;
pub mod spec;
pub mod types;
pub mod validate;

/// The result of an export: `Err` is thrown in JavaScript.
pub type JsResult<T> = Result<T, wasm_bindgen::JsValue>;
