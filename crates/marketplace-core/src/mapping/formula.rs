//! Formulas: jq programs on jaq (`jaq-core`, `jaq-std`, `jaq-json`), admitted only when their
//! syntax tree uses allow-listed filters and operators whose cost is linear in the input, so
//! every admitted formula ends in time bounded by its input; no clock is involved.
//!
//! Without the `formula` feature (the main WebAssembly module) compiling a formula fails with
//! `formula_forbidden` and a message saying formulas are not in this build.

use crate::error::FieldErrorCode;

/// Why a formula was refused or failed: `formula_syntax`, `formula_forbidden`, `formula_error`
/// or `formula_limit`, with a message naming the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaFailure {
    /// The stable code.
    pub code: FieldErrorCode,
    /// What is wrong, for a person.
    pub message: String,
}

/// A formula admitted and compiled, ready to run many times.
pub struct Formula {
    _private: (),
}

impl std::fmt::Debug for Formula {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Formula")
    }
}

impl Formula {
    /// Parses, admits (the allow-list) and compiles a formula of at most
    /// [`super::MAX_FORMULA_CHARS`] characters.
    pub fn compile(source: &str) -> Result<Formula, FormulaFailure> {
        let _ = source;
        todo!("mapping::formula::compile")
    }

    /// Runs the formula on `input`: its first output, or `None` when it outputs nothing
    /// (`empty`). Input over [`super::MAX_FORMULA_INPUT`] or output over
    /// [`super::MAX_FORMULA_OUTPUT`] → `formula_limit`; a jq error → `formula_error`.
    pub fn run(
        &self,
        input: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, FormulaFailure> {
        let _ = input;
        todo!("mapping::formula::run")
    }
}
