//! Formulas: jq programs on jaq (`jaq-core`, `jaq-std`, `jaq-json`), admitted only when their
//! syntax tree uses allow-listed filters and operators whose cost is linear in the input, so
//! every admitted formula ends in time bounded by its input; no clock is involved.
//!
//! Without the `formula` feature (the main WebAssembly module) compiling a formula fails with
//! `formula_forbidden` and a message saying formulas are not in this build.
//!
//! # Admission
//!
//! jaq has no step counter, so a formula is judged before it runs. [`Formula::compile`] lexes
//! and parses it with jaq's own parser and walks the syntax tree once, with an abstract value
//! per term: may it yield a stream (`many`), how many values at most when it does not (`fan`),
//! how large each output and all outputs together can be as a multiple of the formula's input
//! (`grow`, `sum`), its possible JSON types, how deep it nests and how many copies of a
//! `reduce` accumulator it holds. A formula is refused (`formula_forbidden`, naming the cause)
//! when it:
//! - calls a filter outside [`ALLOWED`] (the named ones of the contract get their own message),
//!   or uses `def`, `import`, `include`, `..`, `label`/`break`, `$ENV` or a `@format`;
//! - takes a product of two streams (`(.[]) + (.[])`, `.[] as $x | ...`, a condition or a
//!   value argument that yields a stream), so every term runs at most once per part of the input;
//! - uses, inside an iteration (`.[] | f`, `map(f)`, `reduce` ...), a variable bound outside it
//!   that can be large (it would be walked once per element);
//! - can make a value more than [`MAX_GROWTH`] times its input (duplication chains such as
//!   `. + . | . + . | ...`, `tojson | tojson | ...`), fan out to more than [`MAX_FAN`] values, or
//!   nest more than [`MAX_NEST_GROWTH`] levels deeper than its input;
//! - may repeat a string (`*` of a string by a number that is not a small literal) or subtract
//!   arrays (quadratic) — one operand must then be provably a number (`tonumber`, `length`, a
//!   literal ...);
//! - runs `reduce`/`foreach` over anything but a path of the input or of a variable, walks the
//!   accumulator at each step (only `. + x`, paths and assignments on it are constant-time),
//!   or grows/nests the accumulator faster than the input.
//!
//! Sources over [`super::MAX_FORMULA_CHARS`] characters or syntax trees deeper than
//! [`MAX_DEPTH`] are refused with `formula_limit`.
//!
//! # Running
//!
//! [`Formula::run`] refuses inputs over [`super::MAX_FORMULA_INPUT`] bytes of JSON, builds jaq
//! values directly (integers stay integers), takes the first output only, and measures it
//! (stopping early) before converting it back: over [`super::MAX_FORMULA_OUTPUT`] bytes →
//! `formula_limit`. A non-finite number (`nan`, `infinite`), an object key that is not a string
//! or a value nested deeper than [`MAX_OUTPUT_NESTING`] is a `formula_error`, never a silent
//! `null`.

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

impl FormulaFailure {
    fn new(code: FieldErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// The deepest syntax tree admitted (jaq's compiler and interpreter recurse on it).
pub const MAX_DEPTH: usize = 64;
/// How many times its input a value inside a formula may grow (`. + .` doubles it).
pub const MAX_GROWTH: u32 = 16;
/// How many values a formula may fan out to without iterating its input (`(., .)` is 2).
pub const MAX_FAN: u32 = 16;
/// How many levels deeper than its input a formula may nest its values.
pub const MAX_NEST_GROWTH: u32 = 64;
/// The deepest input or output value a formula takes or gives.
pub const MAX_OUTPUT_NESTING: usize = 256;

/// The filters a formula may call, `(name, arity)`: each costs time linear in its input (`sort`,
/// `sort_by`, `group_by`, `unique`, `unique_by`, `keys` are n log n), all defined by jaq-core,
/// jaq-std (no features: no regular expressions, formats, time or math) or jaq-json.
/// Left out on purpose: `fromjson` (it parses text of any nesting), `transpose` (pads to the
/// longest row), `combinations`, `nth(n; f)`/`skip`, `getpath`/`paths`/`path`/`pick`, `splits`/
/// `test`/`sub`/`gsub` (regular expressions are not in this build), `tobytes`, `bsearch`.
pub const ALLOWED: &[(&str, usize)] = &[
    // Values and conditions.
    ("empty", 0),
    ("error", 0),
    ("error", 1),
    ("null", 0),
    ("true", 0),
    ("false", 0),
    ("not", 0),
    ("select", 1),
    ("type", 0),
    ("isboolean", 0),
    ("isnumber", 0),
    ("isstring", 0),
    ("isarray", 0),
    ("isobject", 0),
    ("isnan", 0),
    ("isinfinite", 0),
    ("isfinite", 0),
    ("isnormal", 0),
    ("nan", 0),
    ("infinite", 0),
    ("values", 0),
    ("nulls", 0),
    ("booleans", 0),
    ("numbers", 0),
    ("strings", 0),
    ("arrays", 0),
    ("objects", 0),
    ("iterables", 0),
    ("scalars", 0),
    ("finites", 0),
    ("normals", 0),
    ("isempty", 1),
    ("any", 0),
    ("any", 1),
    ("any", 2),
    ("all", 0),
    ("all", 1),
    ("all", 2),
    // Conversions.
    ("tostring", 0),
    ("tojson", 0),
    ("tonumber", 0),
    ("toboolean", 0),
    ("length", 0),
    ("utf8bytelength", 0),
    // Numbers.
    ("floor", 0),
    ("round", 0),
    ("ceil", 0),
    ("abs", 0),
    // Strings.
    ("ascii_downcase", 0),
    ("ascii_upcase", 0),
    ("ltrimstr", 1),
    ("rtrimstr", 1),
    ("startswith", 1),
    ("endswith", 1),
    ("trim", 0),
    ("ltrim", 0),
    ("rtrim", 0),
    ("split", 1),
    ("join", 1),
    ("explode", 0),
    ("implode", 0),
    // Arrays and objects.
    ("first", 0),
    ("last", 0),
    ("nth", 1),
    ("first", 1),
    ("last", 1),
    ("add", 0),
    ("add", 1),
    ("map", 1),
    ("map_values", 1),
    ("keys", 0),
    ("keys_unsorted", 0),
    ("has", 1),
    ("in", 1),
    ("contains", 1),
    ("inside", 1),
    ("index", 1),
    ("rindex", 1),
    ("indices", 1),
    ("to_entries", 0),
    ("from_entries", 0),
    ("with_entries", 1),
    ("del", 1),
    ("reverse", 0),
    ("sort", 0),
    ("sort_by", 1),
    ("group_by", 1),
    ("unique", 0),
    ("unique_by", 1),
    ("min", 0),
    ("max", 0),
    ("min_by", 1),
    ("max_by", 1),
    ("flatten", 0),
    ("flatten", 1),
];

/// Filters refused by name, with the contract's reason.
#[cfg_attr(not(feature = "formula"), allow(dead_code))]
const FORBIDDEN: &[&str] = &[
    "input",
    "inputs",
    "env",
    "now",
    "halt",
    "halt_error",
    "input_filename",
    "debug",
    "stderr",
    "localtime",
    "strflocaltime",
    "repeat",
    "recurse",
    "while",
    "until",
    "range",
    "limit",
    "walk",
    "paths",
    "getpath",
    "setpath",
    "delpaths",
    "path",
    "combinations",
    "input_line_number",
    "get_search_list",
    "splits",
    "fromjson",
];

fn forbidden(message: impl Into<String>) -> FormulaFailure {
    FormulaFailure::new(FieldErrorCode::FormulaForbidden, message)
}

fn limit(message: impl Into<String>) -> FormulaFailure {
    FormulaFailure::new(FieldErrorCode::FormulaLimit, message)
}

/// A formula admitted and compiled, ready to run many times (cloning it is cheap).
#[derive(Clone)]
pub struct Formula {
    #[cfg(feature = "formula")]
    filter: std::sync::Arc<jaq_core::Filter<engine::Data>>,
    #[cfg(not(feature = "formula"))]
    _never: std::convert::Infallible,
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
        let chars = source.chars().count();
        if chars > super::MAX_FORMULA_CHARS {
            return Err(limit(format!(
                "the formula has {chars} characters, more than {}",
                super::MAX_FORMULA_CHARS
            )));
        }
        #[cfg(feature = "formula")]
        {
            if let Some(formula) = compiled::get(source) {
                return Ok(formula);
            }
            admit::admit(source)?;
            let formula = engine::compile(source).map(|filter| Formula {
                filter: std::sync::Arc::new(filter),
            })?;
            compiled::put(source, &formula);
            Ok(formula)
        }
        #[cfg(not(feature = "formula"))]
        {
            Err(forbidden("formulas are not available in this build"))
        }
    }

    /// Runs the formula on `input`: its first output, or `None` when it outputs nothing
    /// (`empty`). Input over [`super::MAX_FORMULA_INPUT`] or output over
    /// [`super::MAX_FORMULA_OUTPUT`] → `formula_limit`; a jq error → `formula_error`.
    pub fn run(
        &self,
        input: &serde_json::Value,
    ) -> Result<Option<serde_json::Value>, FormulaFailure> {
        self.run_on(&FormulaInput::new(input)?)
    }

    /// [`Formula::run`] on an input measured and converted once, so that several formulas on
    /// the same record (a collection's) pay for that once.
    pub fn run_on(
        &self,
        input: &FormulaInput,
    ) -> Result<Option<serde_json::Value>, FormulaFailure> {
        #[cfg(feature = "formula")]
        {
            engine::run(&self.filter, input.0.clone())
        }
        #[cfg(not(feature = "formula"))]
        {
            let _ = input;
            match self._never {}
        }
    }
}

/// A formula's input, checked against [`super::MAX_FORMULA_INPUT`] and converted to jq's
/// values once.
pub struct FormulaInput(#[cfg(feature = "formula")] engine::Input);

impl FormulaInput {
    /// Measures and converts `input` (over the limit → `formula_limit`).
    pub fn new(input: &serde_json::Value) -> Result<FormulaInput, FormulaFailure> {
        #[cfg(feature = "formula")]
        {
            engine::input(input).map(FormulaInput)
        }
        #[cfg(not(feature = "formula"))]
        {
            let _ = input;
            Ok(FormulaInput())
        }
    }
}

impl std::fmt::Debug for FormulaInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormulaInput")
    }
}

#[cfg(feature = "formula")]
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<Formula>();
};

/// Lexing, parsing, compiling and running on jaq.
#[cfg(feature = "formula")]
mod engine {
    use super::{FormulaFailure, MAX_OUTPUT_NESTING, limit};
    use crate::error::FieldErrorCode;
    use jaq_core::load::{Arena, File, Loader};
    use jaq_core::{Compiler, Ctx, Vars, data, unwrap_valr};
    use jaq_json::{Map, Num, Rc, Val};
    use serde_json::Value;

    /// jaq's data: just the compiled filters, values of jaq-json.
    pub(super) type Data = data::JustLut<Val>;

    fn error(message: impl Into<String>) -> FormulaFailure {
        FormulaFailure::new(FieldErrorCode::FormulaError, message)
    }

    /// Compiles an admitted formula with the definitions of jaq-core, jaq-std and jaq-json.
    pub(super) fn compile(source: &str) -> Result<jaq_core::Filter<Data>, FormulaFailure> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs().filter(|def| !needs_missing_native(def.name, def.args.len())))
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::base_funs())
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let modules = Loader::new(defs)
            .load(
                &arena,
                File {
                    code: source,
                    path: (),
                },
            )
            .map_err(|_| {
                FormulaFailure::new(FieldErrorCode::FormulaSyntax, "the formula does not parse")
            })?;
        Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errors| {
                let names: Vec<String> = errors
                    .iter()
                    .flat_map(|(_, errs)| errs.iter().map(|(name, _)| format!("`{name}`")))
                    .collect();
                super::forbidden(format!(
                    "the formula uses what is not defined: {}",
                    names.join(", ")
                ))
            })
    }

    /// Definitions of jaq-std that call natives of its features we leave off (log, math,
    /// regex, time, format): left out so the rest compiles (none of them is allowed anyway).
    fn needs_missing_native(name: &str, arity: usize) -> bool {
        const MISSING: &[&str] = &[
            "stderr",
            "debug",
            "halt",
            "halt_error",
            "logb",
            "significand",
            "pow10",
            "drem",
            "nexttoward",
            "scalb",
            "gamma",
            "test",
            "scan_",
            "match",
            "capture",
            "sub",
            "gsub",
            "scan",
            "splits",
            "todate",
            "fromdate",
            "@sh",
            "@html",
            "@htmld",
            "@uri",
            "@urid",
            "@base64",
            "@base64d",
        ];
        MISSING.contains(&name) || (name == "split" && arity == 2)
    }

    /// A formula's input as jq's value.
    pub(super) type Input = Val;

    /// Checks the input's size and converts it (see [`super::FormulaInput::new`]).
    pub(super) fn input(input: &Value) -> Result<Input, FormulaFailure> {
        let size = json_size(input, super::super::MAX_FORMULA_INPUT);
        if size > super::super::MAX_FORMULA_INPUT {
            return Err(limit(format!(
                "the formula's input is over {} bytes of JSON",
                super::super::MAX_FORMULA_INPUT
            )));
        }
        to_val(input, 0)
    }

    /// Runs a compiled formula on `input` (see [`super::Formula::run`]).
    pub(super) fn run(
        filter: &jaq_core::Filter<Data>,
        input: Input,
    ) -> Result<Option<Value>, FormulaFailure> {
        let ctx = Ctx::<Data>::new(&filter.lut, Vars::new([]));
        // Only the first output is ever pulled: jaq is lazy, the rest is never computed.
        let first = filter.id.run((ctx, input)).map(unwrap_valr).next();
        match first {
            None => Ok(None),
            // `error("x")` says `x`; other errors say what jaq says of their value.
            Some(Err(e)) => Err(error(match e.into_val() {
                Val::TStr(s) | Val::BStr(s) => String::from_utf8_lossy(&s).into_owned(),
                v => v.to_string(),
            })),
            Some(Ok(v)) => {
                let max = super::super::MAX_FORMULA_OUTPUT;
                if val_size(&v, max)? > max {
                    return Err(limit(format!(
                        "the formula's output is over {max} bytes of JSON"
                    )));
                }
                let out = from_val(&v, 0)?;
                if json_size(&out, max) > max {
                    return Err(limit(format!(
                        "the formula's output is over {max} bytes of JSON"
                    )));
                }
                Ok(Some(out))
            }
        }
    }

    /// The length of `value`'s compact JSON text, counted up to a little past `max`.
    fn json_size(value: &Value, max: usize) -> usize {
        struct Count(usize, usize);
        impl std::io::Write for Count {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0 += buf.len();
                if self.0 > self.1 {
                    return Err(std::io::Error::other("over the limit"));
                }
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut count = Count(0, max);
        let _ = serde_json::to_writer(&mut count, value);
        count.0
    }

    /// A lower bound of the JSON size of a jaq value, stopping as soon as it passes `max`
    /// (values may share parts, so walking them whole could cost far more than `max`).
    fn val_size(v: &Val, max: usize) -> Result<usize, FormulaFailure> {
        let mut total = 0usize;
        let mut stack: Vec<(&Val, usize)> = vec![(v, 0)];
        while let Some((v, depth)) = stack.pop() {
            if depth > MAX_OUTPUT_NESTING {
                return Err(error(format!(
                    "the output is nested deeper than {MAX_OUTPUT_NESTING} levels"
                )));
            }
            total += match v {
                Val::Null | Val::Bool(_) | Val::Num(_) => 1,
                Val::BStr(b) | Val::TStr(b) => b.len() + 2,
                Val::Arr(a) => {
                    stack.extend(a.iter().map(|x| (x, depth + 1)));
                    a.len() + 2
                }
                Val::Obj(o) => {
                    for (k, x) in o.iter() {
                        stack.push((k, depth + 1));
                        stack.push((x, depth + 1));
                    }
                    o.len() * 2 + 2
                }
            };
            if total > max {
                break;
            }
        }
        Ok(total)
    }

    fn to_val(v: &Value, depth: usize) -> Result<Val, FormulaFailure> {
        if depth > MAX_OUTPUT_NESTING {
            return Err(limit(format!(
                "the formula's input is nested deeper than {MAX_OUTPUT_NESTING} levels"
            )));
        }
        Ok(match v {
            Value::Null => Val::Null,
            Value::Bool(b) => Val::Bool(*b),
            Value::Number(n) => Val::Num(match n.as_i64().and_then(|i| isize::try_from(i).ok()) {
                Some(i) => Num::Int(i),
                None => match n.as_f64().filter(|_| n.is_f64()) {
                    Some(f) => Num::Float(f),
                    // Integers beyond `isize` (u64 or 32-bit targets) become big integers.
                    None => Num::from_str_radix(&n.to_string(), 10)
                        .unwrap_or(Num::Float(n.as_f64().unwrap_or(0.0))),
                },
            }),
            Value::String(s) => Val::utf8_str(s.clone()),
            Value::Array(a) => Val::Arr(Rc::new(
                a.iter()
                    .map(|x| to_val(x, depth + 1))
                    .collect::<Result<_, _>>()?,
            )),
            Value::Object(o) => Val::obj(
                o.iter()
                    .map(|(k, x)| Ok((Val::utf8_str(k.clone()), to_val(x, depth + 1)?)))
                    .collect::<Result<Map, FormulaFailure>>()?,
            ),
        })
    }

    fn from_num(n: &Num) -> Result<Value, FormulaFailure> {
        let not_finite = || error("the formula gave a number that is not finite (nan or infinite)");
        match n {
            Num::Int(i) => Ok(Value::from(*i as i64)),
            Num::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .ok_or_else(not_finite),
            // Big integers and decimal literals: their decimal text, read as serde_json does.
            Num::BigInt(_) | Num::Dec(_) => n
                .to_string()
                .parse::<serde_json::Number>()
                .ok()
                .filter(|x| x.as_f64().is_some_and(f64::is_finite))
                .map(Value::Number)
                .ok_or_else(not_finite),
        }
    }

    fn from_val(v: &Val, depth: usize) -> Result<Value, FormulaFailure> {
        if depth > MAX_OUTPUT_NESTING {
            return Err(error(format!(
                "the output is nested deeper than {MAX_OUTPUT_NESTING} levels"
            )));
        }
        Ok(match v {
            Val::Null => Value::Null,
            Val::Bool(b) => Value::Bool(*b),
            Val::Num(n) => from_num(n)?,
            Val::BStr(b) | Val::TStr(b) => Value::String(String::from_utf8_lossy(b).into_owned()),
            Val::Arr(a) => Value::Array(
                a.iter()
                    .map(|x| from_val(x, depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Val::Obj(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| match k {
                        Val::TStr(s) | Val::BStr(s) => Ok((
                            String::from_utf8_lossy(s).into_owned(),
                            from_val(x, depth + 1)?,
                        )),
                        _ => Err(error(format!(
                            "the output has an object key that is not a string: {k}"
                        ))),
                    })
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

#[cfg(feature = "formula")]
mod admit;

/// Formulas already compiled, by source: compiling one (jaq's loader and compiler over its
/// standard definitions) costs far more than running it, and the same collections are
/// validated and applied again and again. Compiling is a pure function of the source, so
/// remembering its result changes no answer; the memo forgets everything when it is full.
#[cfg(feature = "formula")]
mod compiled {
    use super::Formula;
    use std::collections::HashMap;
    use std::sync::{Mutex, PoisonError};

    /// At most this many formulas are remembered.
    const CAPACITY: usize = 1024;

    static MEMO: Mutex<Option<HashMap<String, Formula>>> = Mutex::new(None);

    /// The compiled formula of `source`, if remembered.
    pub(super) fn get(source: &str) -> Option<Formula> {
        let memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
        memo.as_ref()?.get(source).cloned()
    }

    /// Remembers the compiled formula of `source`.
    pub(super) fn put(source: &str, formula: &Formula) {
        let mut memo = MEMO.lock().unwrap_or_else(PoisonError::into_inner);
        let map = memo.get_or_insert_with(HashMap::new);
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(source.to_owned(), formula.clone());
    }
}

#[cfg(all(test, not(feature = "formula")))]
mod tests_without_formulas {
    use super::*;

    #[test]
    fn formulas_are_refused_without_the_feature() {
        let e = Formula::compile(".a").unwrap_err();
        assert_eq!(e.code, FieldErrorCode::FormulaForbidden);
        assert!(
            e.message.contains("not available in this build"),
            "{}",
            e.message
        );
    }
}

#[cfg(all(test, feature = "formula"))]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn run(source: &str, input: Value) -> Result<Option<Value>, FormulaFailure> {
        Formula::compile(source)?.run(&input)
    }

    fn code(source: &str) -> FieldErrorCode {
        match Formula::compile(source) {
            Ok(_) => panic!("`{source}` was admitted"),
            Err(e) => e.code,
        }
    }

    #[test]
    fn a_formula_is_compiled_once_and_refusals_are_not_remembered() {
        let source = ".memo_check + 1";
        let first = Formula::compile(source).unwrap();
        let again = Formula::compile(source).unwrap();
        assert!(std::sync::Arc::ptr_eq(&first.filter, &again.filter));
        assert_eq!(again.run(&json!({"memo_check": 1})), Ok(Some(json!(2))));
        assert_eq!(code("range(10)"), FieldErrorCode::FormulaForbidden);
        assert_eq!(code("range(10)"), FieldErrorCode::FormulaForbidden);
    }

    #[test]
    fn allowed_constructs_give_their_output() {
        let person = json!({"first": "Ada", "last": "Lovelace", "a": true, "x": null,
            "items": [{"price": 2, "sku": "b"}, {"price": 3.5, "sku": "a"}],
            "tags": ["x", "y"], "n": "42", "addr": {"cc": "DE"}});
        let table: &[(&str, Value)] = &[
            (".first + \" \" + .last", json!("Ada Lovelace")),
            (".items | map(.price) | add", json!(5.5)),
            ("if .a then 1 else 2 end", json!(1)),
            ("if .x then 1 elif .a then 3 else 2 end", json!(3)),
            (".x // \"d\"", json!("d")),
            (".addr.cc | ascii_downcase", json!("de")),
            (".tags | join(\", \")", json!("x, y")),
            (".tags | length", json!(2)),
            (".n | tonumber", json!(42)),
            ("(.n | tonumber) * 2", json!(84)),
            (".items | sort_by(.sku) | map(.sku)", json!(["a", "b"])),
            (".items | map(select(.price > 2)) | length", json!(1)),
            ("[.items[].sku] | sort | first", json!("a")),
            (
                "{name: (.first + \" \" + .last), count: (.items | length)}",
                json!({"name": "Ada Lovelace", "count": 2}),
            ),
            ("\"\\(.first) \\(.items | length)\"", json!("Ada 2")),
            (".addr | to_entries | map(.key)", json!(["cc"])),
            (
                ".addr | with_entries(.value |= ascii_downcase)",
                json!({"cc": "de"}),
            ),
            ("reduce .items[] as $i (0; . + $i.price)", json!(5.5)),
            (
                "reduce .items[] as $i ([]; . + [$i.sku])",
                json!(["b", "a"]),
            ),
            ("[foreach .items[] as $i (0; . + 1)]", json!([1, 2])),
            (".first as $f | .last | $f + .", json!("AdaLovelace")),
            ("try error(\"x\") catch .", json!("x")),
            (".tags | any(. == \"y\")", json!(true)),
            (".tags | contains([\"x\"])", json!(true)),
            (".first | ltrimstr(\"A\") | ascii_upcase", json!("DA")),
            ("\"a,b\" | split(\",\")", json!(["a", "b"])),
            (".items | first.sku", json!("b")),
            (".addr | has(\"cc\")", json!(true)),
            (".missing.deeper", Value::Null),
            (".items | map(.price) | max", json!(3.5)),
            (
                "del(.items) | keys",
                json!(["a", "addr", "first", "last", "n", "tags", "x"]),
            ),
            ("[.tags[] | ascii_upcase]", json!(["X", "Y"])),
            (".items[] | .sku", json!("b")),
            ("1.5 * 2", json!(3.0)),
            ("9007199254740993", json!(9007199254740993_i64)),
            ("type", json!("object")),
            (".tags | unique | reverse", json!(["y", "x"])),
            ("[.items[].price] | min", json!(2)),
            (".a and (.x | not)", json!(true)),
            (".items | group_by(.price > 2) | length", json!(2)),
            ("{} | .a = 1", json!({"a": 1})),
            (".items | map(.price += 1) | map(.price)", json!([3, 4.5])),
            (".tags[0] * 3", json!("xxx")),
            ("3 * .tags[1]", json!("yyy")),
            (
                "reduce .items[] as $i ({}; .[$i.sku] = $i.price)",
                json!({"b": 2, "a": 3.5}),
            ),
            ("reduce .items[] as $i ({n: 0}; .n += 1)", json!({"n": 2})),
            (
                "reduce .items[] as $i ({}; .[$i.sku] |= (. // 0) + $i.price)",
                json!({"b": 2, "a": 3.5}),
            ),
            ("first(.tags[])", json!("x")),
        ];
        for (source, expected) in table {
            assert_eq!(
                run(source, person.clone()),
                Ok(Some(expected.clone())),
                "{source}"
            );
        }
    }

    #[test]
    fn empty_gives_nothing_and_errors_are_formula_errors() {
        assert_eq!(run("empty", json!(1)), Ok(None));
        assert_eq!(run(".[] | select(. > 5)", json!([1, 2])), Ok(None));
        let e = run("error(\"x\")", json!(1)).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (FieldErrorCode::FormulaError, "x")
        );
        let e = run(".a + 1", json!({"a": "s"})).unwrap_err();
        assert_eq!(e.code, FieldErrorCode::FormulaError);
        assert!(e.message.contains("cannot"), "{}", e.message);
        let e = run("nan", json!(1)).unwrap_err();
        assert_eq!(e.code, FieldErrorCode::FormulaError);
        let e = run("{(1): 2}", json!(1)).unwrap_err();
        assert_eq!(e.code, FieldErrorCode::FormulaError);
    }

    #[test]
    fn forbidden_names_are_refused_by_name() {
        let names = [
            ("def f: 1; f", "def"),
            ("import \"a\" as a; .", "import"),
            ("include \"a\"; .", "include"),
            ("input", "input"),
            ("inputs", "inputs"),
            ("$ENV", "$ENV"),
            ("env", "env"),
            ("now", "now"),
            ("halt", "halt"),
            ("halt_error", "halt_error"),
            ("input_filename", "input_filename"),
            ("debug", "debug"),
            ("stderr", "stderr"),
            ("localtime", "localtime"),
            ("strflocaltime(\"%Y\")", "strflocaltime"),
            ("repeat(.)", "repeat"),
            ("recurse", "recurse"),
            ("..", ".."),
            ("while(. < 3; . + 1)", "while"),
            ("until(. > 3; . + 1)", "until"),
            ("range(10)", "range"),
            ("limit(2; .[])", "limit"),
            ("walk(.)", "walk"),
            ("paths", "paths"),
            ("getpath([\"a\"])", "getpath"),
            ("combinations", "combinations"),
            ("fromjson", "fromjson"),
            ("label $out | 1", "label"),
            ("@base64", "@base64"),
            ("test(\"a\")", "test"),
            ("\"x\" * 100000", "`*`"),
            (".a * .b", "`*`"),
            ("[.[]] - [.[]]", "`-`"),
            ("reduce range(9) as $x (0; . + 1)", "reduce"),
            ("reduce (.[] | .a) as $x (0; . + 1)", "reduce"),
            ("[.[] as $x | .[] | $x]", "as $x"),
            ("[.[] + .[]]", "two streams"),
            (". as $all | .[] | $all", "$all"),
            (". + . | . + . | . + . | . + . | . + .", "16 times"),
            ("tojson | tojson | tojson | tojson | tojson", "16 times"),
            ("[(., .) | (., .) | (., .) | (., .) | (., .)]", "16 times"),
            ("[(1, 1) | (1, 1) | (1, 1) | (1, 1) | (1, 1)]", "16 values"),
            ("reduce .[] as $x (.; . + .)", "accumulator"),
            ("reduce .[] as $x ([]; [.])", "nests deeper"),
            (
                "reduce .[] as $x (\"\"; . + $x | ascii_downcase)",
                "accumulator",
            ),
            ("[foreach .[] as $x ([]; . + [$x])]", "foreach"),
            (".[] |= $x", "$x"),
            ("if .[] then 1 else 2 end", "condition"),
            ("contains(.)", "quadratic"),
        ];
        for (source, needle) in names {
            match Formula::compile(source) {
                Ok(_) => panic!("`{source}` was admitted"),
                Err(e) => {
                    assert_eq!(
                        e.code,
                        FieldErrorCode::FormulaForbidden,
                        "{source}: {}",
                        e.message
                    );
                    assert!(e.message.contains(needle), "{source}: {}", e.message);
                }
            }
        }
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        for source in [
            "",
            ".a +",
            "if . then 1",
            "{a: }",
            "\"open",
            ".[",
            "1 as",
            "map(.",
        ] {
            let e = Formula::compile(source).unwrap_err();
            assert_eq!(
                e.code,
                FieldErrorCode::FormulaSyntax,
                "{source}: {}",
                e.message
            );
            assert!(e.message.starts_with("expected"), "{source}: {}", e.message);
        }
    }

    #[test]
    fn limits_are_formula_limit() {
        let long = format!("\"{}\"", "x".repeat(super::super::MAX_FORMULA_CHARS));
        assert_eq!(code(&long), FieldErrorCode::FormulaLimit);
        let deep = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert_eq!(code(&deep), FieldErrorCode::FormulaLimit);
        for prefix in ["- ", "try ", "not | ", ". as $x | "] {
            let source = format!("{}1", prefix.repeat(400));
            let e = Formula::compile(&source).unwrap_err();
            assert_eq!(
                e.code,
                FieldErrorCode::FormulaLimit,
                "{prefix}: {}",
                e.message
            );
        }
        let chain = format!("1{}", " + 1".repeat(400));
        assert_eq!(code(&chain), FieldErrorCode::FormulaLimit);
        // Deep sources within 2,000 characters are refused before jaq's parser or compiler
        // could exhaust the stack.
        let deep = [
            format!("{}.", ".|".repeat(999)),
            format!("{}1", "1+".repeat(999)),
            format!("{}. {}", "if . then ".repeat(180), "end ".repeat(180)),
            format!("{}.", "try ".repeat(490)),
            format!("{}.", ".a as $x | ".repeat(190)),
            format!("{}1{}", "[".repeat(990), "]".repeat(990)),
            format!("{}1{}", "\"\\(".repeat(600), ")\"".repeat(600)),
            format!("{}.", "reduce . as $x (.; ".repeat(100)),
            format!("{}1", "-".repeat(1999)),
            format!("{}.", "not|".repeat(499)),
        ];
        for source in deep {
            let e = Formula::compile(&source).unwrap_err();
            assert!(
                matches!(
                    e.code,
                    FieldErrorCode::FormulaLimit | FieldErrorCode::FormulaSyntax
                ),
                "{}: {}",
                &source[..20],
                e.message
            );
        }

        let f = Formula::compile(".").unwrap();
        let big = json!("x".repeat(super::super::MAX_FORMULA_INPUT));
        assert_eq!(f.run(&big).unwrap_err().code, FieldErrorCode::FormulaLimit);
        let fits = json!("x".repeat(super::super::MAX_FORMULA_INPUT - 2));
        assert_eq!(f.run(&fits), Ok(Some(fits.clone())));

        // Sixteen times the input is admitted but over the output limit.
        let grow = Formula::compile("[., ., ., ., ., ., ., .]").unwrap();
        let input = json!("y".repeat(200 * 1024));
        assert_eq!(
            grow.run(&input).unwrap_err().code,
            FieldErrorCode::FormulaLimit
        );
    }

    #[test]
    fn only_the_first_output_is_taken() {
        // The second output would fail: it is never computed.
        assert_eq!(run("1, error(\"no\")", json!(null)), Ok(Some(json!(1))));
    }

    #[test]
    fn integers_stay_integers() {
        assert_eq!(run(".", json!(u64::MAX)), Ok(Some(json!(u64::MAX))));
        assert_eq!(run(". + 1", json!(41)), Ok(Some(json!(42))));
        assert_eq!(run(".", json!(-7)), Ok(Some(json!(-7))));
    }
}
