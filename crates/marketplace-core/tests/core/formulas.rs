//! Formulas under fuzzing: any text compiles or is refused without panicking, and an admitted
//! formula runs on any JSON input without panicking, giving a value, nothing, `formula_error` or
//! `formula_limit` — never a syntax or admission code after admission.

use marketplace_core::FieldErrorCode;
use marketplace_core::mapping::{Formula, MAX_FORMULA_OUTPUT};
use proptest::prelude::*;
use serde_json::Value;

/// jq's vocabulary, the forbidden filters included.
const TOKENS: &[&str] = &[
    ".",
    ".a",
    ".b",
    ".[]",
    ".[0]",
    ".[1:]",
    "?",
    "|",
    ",",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">=",
    "and",
    "or",
    "//",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ";",
    "as",
    "$x",
    "$y",
    "reduce",
    "foreach",
    "if",
    "then",
    "elif",
    "else",
    "end",
    "try",
    "catch",
    "def",
    "f",
    "map",
    "select",
    "length",
    "tostring",
    "tojson",
    "tonumber",
    "add",
    "keys",
    "sort",
    "sort_by",
    "group_by",
    "unique",
    "flatten",
    "first",
    "last",
    "join",
    "split",
    "explode",
    "implode",
    "to_entries",
    "from_entries",
    "with_entries",
    "ascii_downcase",
    "ltrimstr",
    "contains",
    "has",
    "not",
    "empty",
    "error",
    "null",
    "true",
    "false",
    "range",
    "limit",
    "recurse",
    "..",
    "repeat",
    "while",
    "until",
    "input",
    "inputs",
    "$ENV",
    "env",
    "now",
    "halt",
    "debug",
    "walk",
    "paths",
    "getpath",
    "label",
    "break",
    "@base64",
    "@json",
    "import",
    "include",
    "\"s\"",
    "\"\\(.)\"",
    "\"\"",
    "0",
    "1",
    "2",
    "-1",
    "16",
    "1e3",
    "0.5",
    "|=",
    "+=",
    "=",
    "//=",
    "$__loc__",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(TOKENS), 1..24).prop_map(|t| t.join(" ")),
        "\\PC{0,40}",
    ]
}

/// Programs that parse, built from jq's grammar, so that many are admitted and run.
fn program() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        ".", ".a", ".b", ".[]", ".[0]", ".a[]?", "1", "2", "\"s\"", "null", "true", "empty",
        "length", "tostring", "keys", "add", "sort", "first", "$__loc__",
    ])
    .prop_map(str::to_owned);
    leaf.prop_recursive(4, 24, 3, |inner| {
        let unary = prop::sample::select(vec![
            "map",
            "select",
            "sort_by",
            "group_by",
            "first",
            "last",
            "add",
            "any",
            "all",
            "with_entries",
            "map_values",
            "error",
            "join",
            "split",
            "has",
            "contains",
            "ltrimstr",
            "isempty",
            "del",
            "nth",
            "range",
            "limit(1; .[])|",
            "recurse",
        ]);
        let op = prop::sample::select(vec![
            "|", ",", "+", "-", "*", "/", "%", "==", "<", "and", "or", "//", "|=", "=", "+=",
        ]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("({a}) {o} ({b})")),
            (unary, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("[{a}]")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{a: ({a}), b: ({b})}}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) as $x | {b}")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("reduce .[] as $x ({a}; {b})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("[foreach .[]? as $x ({a}; {b})]")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(a, b, c)| format!("if {a} then {b} else {c} end")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("try ({a}) catch ({b})")),
            inner.prop_map(|a| format!("\"<\\({a})>\"")),
        ]
    })
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec!["a", "b", "c"]).prop_map(str::to_owned),
                inner,
                0..3
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn runs_cleanly(source: &str, input: &Value) -> Result<(), TestCaseError> {
    let Ok(formula) = Formula::compile(source) else {
        return Ok(());
    };
    match formula.run(input) {
        Ok(Some(out)) => {
            let size = serde_json::to_vec(&out).map(|v| v.len()).unwrap_or(0);
            prop_assert!(size <= MAX_FORMULA_OUTPUT, "`{source}` gave {size} bytes");
        }
        Ok(None) => {}
        Err(e) => prop_assert!(
            matches!(
                e.code,
                FieldErrorCode::FormulaError | FieldErrorCode::FormulaLimit
            ),
            "`{source}` failed at run time with {}: {}",
            e.code,
            e.message
        ),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_text_compiles_or_is_refused_and_runs(source in token_soup(), input in json()) {
        if let Err(e) = Formula::compile(&source) {
            prop_assert!(
                matches!(
                    e.code,
                    FieldErrorCode::FormulaSyntax
                        | FieldErrorCode::FormulaForbidden
                        | FieldErrorCode::FormulaLimit
                ),
                "`{source}`: {}",
                e.code
            );
            prop_assert!(!e.message.is_empty());
        }
        runs_cleanly(&source, &input)?;
    }

    #[test]
    fn grammatical_programs_run_cleanly_when_admitted(source in program(), input in json()) {
        runs_cleanly(&source, &input)?;
    }
}
