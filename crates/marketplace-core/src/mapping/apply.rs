//! Applying mappings: the one function behind previews, flows, collection tests, the SDK and
//! the npm package.

use super::{Collection, Mapping};
use crate::error::FieldError;
use serde::Serialize;
use serde_json::Value;

/// What applying mappings gave: the output and every error (`/mappings/3` `formula_error` |
/// `formula_limit`; `/output/...` where the output breaks the target schema).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// The output record (`{}` when nothing was written).
    pub output: Value,
    /// Every problem, in mapping order, then the output's.
    pub errors: Vec<FieldError>,
}

/// Mappings ready to apply many times: formulas compiled once.
#[derive(Debug)]
pub struct Prepared<'a> {
    _mappings: &'a [Mapping],
    _target: Option<&'a Value>,
}

/// Compiles the formulas of `mappings`; `target` is the schema the output is checked against
/// (none: unchecked). A formula that does not compile fails at each apply with its code.
pub fn prepare<'a>(mappings: &'a [Mapping], target: Option<&'a Value>) -> Prepared<'a> {
    let _ = (mappings, target);
    todo!("mapping::prepare")
}

impl Prepared<'_> {
    /// Applies the mappings to `input`, from `{}`, in order: `field` copies (missing: its
    /// `default`, else nothing), `static` writes, `translation` maps the value's string form
    /// (miss → `default`, else the value; missing → `default` or nothing), `formula` writes its
    /// first output (`empty`: nothing). A failing mapping is reported and the rest run; then
    /// the output is checked against the target.
    pub fn apply(&self, input: &Value) -> Applied {
        let _ = input;
        todo!("mapping::Prepared::apply")
    }
}

/// [`prepare`] then [`Prepared::apply`], for a single use.
pub fn apply_mappings(mappings: &[Mapping], target: Option<&Value>, input: &Value) -> Applied {
    prepare(mappings, target).apply(input)
}

/// One collection test's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestResult {
    /// The test's name.
    pub name: String,
    /// Output equals `expected` and there were no errors.
    pub passed: bool,
    /// What the mappings gave.
    pub output: Value,
    /// The errors applying them.
    pub errors: Vec<FieldError>,
}

/// Runs a collection's tests against its own mappings; `target` as for [`prepare`].
pub fn run_tests(collection: &Collection, target: Option<&Value>) -> Vec<TestResult> {
    let _ = (collection, target);
    todo!("mapping::run_tests")
}
