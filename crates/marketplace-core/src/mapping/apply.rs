//! Applying mappings: the one function behind previews, flows, collection tests, the SDK and
//! the npm package.

use super::formula::{FormulaFailure, FormulaInput};
use super::schema::{self, array_index};
use super::{Collection, Formula, Mapping, Rule};
use crate::error::{FieldError, FieldErrorCode as Code};
use crate::flow::set_at;
use crate::pointer;
use serde::Serialize;
use serde_json::{Map, Value};

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
    steps: Vec<Step<'a>>,
    target: Option<&'a Value>,
}

/// One mapping, its pointers split into tokens.
#[derive(Debug)]
struct Step<'a> {
    /// Where the errors of this mapping go (`/mappings/3`).
    path: String,
    /// The output pointer's tokens, or the error a malformed `to` gives at each apply.
    to: Result<Vec<String>, FieldError>,
    action: Action<'a>,
}

/// How a step makes its value.
#[derive(Debug)]
enum Action<'a> {
    /// `field` and `translation` (with a table): read `from`, translate, fall back on `default`.
    Read {
        from: Result<Vec<String>, FieldError>,
        table: Option<&'a Map<String, Value>>,
        default: Option<&'a Value>,
    },
    /// `static`.
    Write(&'a Value),
    /// `formula`, compiled, or why it is refused.
    Formula(Result<Formula, FormulaFailure>),
}

/// Splits a pointer into tokens; a malformed one becomes the error reported at each apply.
fn split(
    pointer_text: &str,
    path: &str,
    key: &str,
    allow_root: bool,
) -> Result<Vec<String>, FieldError> {
    match pointer::tokens(pointer_text) {
        Some(tokens) if allow_root || !tokens.is_empty() => Ok(tokens),
        _ => Err(FieldError::new(
            pointer::push(path, key),
            Code::Format,
            format!("`{key}` must be a JSON Pointer such as /email"),
        )),
    }
}

/// Compiles the formulas of `mappings`; `target` is the schema the output is checked against
/// (none: unchecked). A formula that does not compile fails at each apply with its code.
pub fn prepare<'a>(mappings: &'a [Mapping], target: Option<&'a Value>) -> Prepared<'a> {
    let steps = mappings
        .iter()
        .enumerate()
        .map(|(i, mapping)| {
            let path = pointer::push_index("/mappings", i);
            let action = match &mapping.rule {
                Rule::Field { from, default } => Action::Read {
                    from: split(from, &path, "from", true),
                    table: None,
                    default: default.as_ref(),
                },
                Rule::Translation {
                    from,
                    table,
                    default,
                } => Action::Read {
                    from: split(from, &path, "from", true),
                    table: Some(table),
                    default: default.as_ref(),
                },
                Rule::Static { value } => Action::Write(value),
                Rule::Formula { formula } => Action::Formula(Formula::compile(formula)),
            };
            Step {
                to: split(&mapping.to, &path, "to", false),
                path,
                action,
            }
        })
        .collect();
    Prepared { steps, target }
}

/// The value at `tokens` in `value` (RFC 6901: array indexes without leading zeros).
fn get_at<'v>(value: &'v Value, tokens: &[String]) -> Option<&'v Value> {
    tokens
        .iter()
        .try_fold(value, |current, token| match current {
            Value::Object(object) => object.get(token),
            Value::Array(items) => items.get(array_index(token)?),
            _ => None,
        })
}

/// The string form a translation table is keyed by: a string itself, else its JSON text.
fn string_form(value: &Value) -> std::borrow::Cow<'_, str> {
    match value {
        Value::String(s) => s.as_str().into(),
        other => other.to_string().into(),
    }
}

impl Prepared<'_> {
    /// Applies the mappings to `input`, from `{}`, in order: `field` copies (missing: its
    /// `default`, else nothing), `static` writes, `translation` maps the value's string form
    /// (miss → `default`, else the value; missing → `default` or nothing), `formula` writes its
    /// first output (`empty`: nothing). A failing mapping is reported and the rest run; then
    /// the output is checked against the target.
    pub fn apply(&self, input: &Value) -> Applied {
        let mut output = Value::Object(Map::new());
        let mut errors = Vec::new();
        // Formulas share one measured and converted input, made on the first formula.
        let mut formula_input: Option<Result<FormulaInput, FormulaFailure>> = None;
        for step in &self.steps {
            let to = match &step.to {
                Ok(to) => to,
                Err(error) => {
                    errors.push(error.clone());
                    continue;
                }
            };
            let value = match &step.action {
                Action::Read {
                    from,
                    table,
                    default,
                } => {
                    let from = match from {
                        Ok(from) => from,
                        Err(error) => {
                            errors.push(error.clone());
                            continue;
                        }
                    };
                    match (get_at(input, from), table) {
                        (None, _) => default.cloned(),
                        (Some(found), None) => Some(found.clone()),
                        (Some(found), Some(table)) => table
                            .get(string_form(found).as_ref())
                            .or(*default)
                            .or(Some(found))
                            .cloned(),
                    }
                }
                Action::Write(value) => Some((*value).clone()),
                Action::Formula(Ok(formula)) => match formula_input
                    .get_or_insert_with(|| FormulaInput::new(input))
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|prepared| formula.run_on(prepared))
                {
                    Ok(value) => value,
                    Err(failure) => {
                        errors.push(FieldError::new(&step.path, failure.code, failure.message));
                        None
                    }
                },
                Action::Formula(Err(failure)) => {
                    errors.push(FieldError::new(
                        &step.path,
                        failure.code,
                        failure.message.clone(),
                    ));
                    None
                }
            };
            if let Some(value) = value {
                set_at(&mut output, to, value);
            }
        }
        if let Some(target) = self.target {
            errors.extend(schema::check(target, &output, "/output"));
        }
        Applied { output, errors }
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
/// Outputs equal `expected` as JSON values (numbers by value: `1` = `1.0`).
pub fn run_tests(collection: &Collection, target: Option<&Value>) -> Vec<TestResult> {
    let prepared = prepare(&collection.mappings, target);
    collection
        .tests
        .iter()
        .map(|test| {
            let Applied { output, errors } = prepared.apply(&test.input);
            TestResult {
                name: test.name.clone(),
                passed: errors.is_empty() && schema::json_eq(&output, &test.expected),
                output,
                errors,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{CollectionTest, Direction};
    use serde_json::json;

    fn mappings(value: Value) -> Vec<Mapping> {
        serde_json::from_value(value).expect("mappings parse")
    }

    fn codes(errors: &[FieldError]) -> Vec<(&str, Code)> {
        errors.iter().map(|e| (e.path.as_str(), e.code)).collect()
    }

    #[test]
    fn applies_every_kind_in_order() {
        let m = mappings(json!([
            {"to": "/email", "from": "/Email"},
            {"kind": "field", "to": "/phone", "from": "/Phone", "default": "none"},
            {"kind": "field", "to": "/fax", "from": "/Fax"},
            {"kind": "static", "to": "/source", "value": "shop"},
            {"kind": "translation", "to": "/country", "from": "/addr/cc", "table": {"DE": "Germany"}, "default": "Other"},
            {"kind": "translation", "to": "/region", "from": "/addr/cc", "table": {"FR": "EU"}},
            {"kind": "translation", "to": "/vip", "from": "/level", "table": {"3": true}},
            {"kind": "translation", "to": "/zone", "from": "/addr/zone", "table": {"x": 1}, "default": 0},
            {"kind": "translation", "to": "/gone", "from": "/nothing", "table": {"x": 1}},
            {"kind": "field", "to": "/first_line/sku", "from": "/lines/0/sku"},
            {"kind": "field", "to": "/source", "from": "/Source"}
        ]));
        let input = json!({
            "Email": "a@b.co", "addr": {"cc": "DE"}, "level": 3,
            "lines": [{"sku": "X1"}], "Source": "api"
        });
        let applied = apply_mappings(&m, None, &input);
        assert_eq!(applied.errors, vec![]);
        assert_eq!(
            applied.output,
            json!({
                "email": "a@b.co", "phone": "none", "source": "api", "country": "Germany",
                "region": "DE", "vip": true, "zone": 0, "first_line": {"sku": "X1"}
            })
        );
        assert_eq!(apply_mappings(&[], None, &input).output, json!({}));
    }

    #[test]
    fn malformed_pointers_fail_at_each_apply_and_the_rest_run() {
        let m = mappings(json!([
            {"to": "", "from": "/a"},
            {"to": "b", "from": "/a"},
            {"to": "/c", "from": "a"},
            {"to": "/d", "from": "/a"}
        ]));
        let prepared = prepare(&m, None);
        for _ in 0..2 {
            let applied = prepared.apply(&json!({"a": 1}));
            assert_eq!(applied.output, json!({"d": 1}));
            assert_eq!(
                codes(&applied.errors),
                vec![
                    ("/mappings/0/to", Code::Format),
                    ("/mappings/1/to", Code::Format),
                    ("/mappings/2/from", Code::Format),
                ]
            );
        }
    }

    #[test]
    fn checks_the_output_against_the_target() {
        let target = json!({"type": "object", "required": ["email", "name"], "properties": {
            "email": {"type": "string", "format": "email"}, "name": {"type": "string"}
        }});
        let m = mappings(json!([{"to": "/email", "from": "/e"}]));
        let applied = apply_mappings(&m, Some(&target), &json!({"e": "nope"}));
        assert_eq!(
            codes(&applied.errors),
            vec![
                ("/output/name", Code::Required),
                ("/output/email", Code::Format)
            ]
        );
    }

    #[test]
    fn runs_tests() {
        let collection = Collection {
            name: "contacts".into(),
            record_type: "contact".into(),
            direction: Direction::To,
            foreign_schema: None,
            notes: String::new(),
            mappings: mappings(json!([{"to": "/n", "from": "/N"}])),
            tests: vec![
                CollectionTest {
                    name: "same".into(),
                    input: json!({"N": 1}),
                    expected: json!({"n": 1.0}),
                },
                CollectionTest {
                    name: "different".into(),
                    input: json!({"N": 2}),
                    expected: json!({"n": 1}),
                },
                CollectionTest {
                    name: "breaks the target".into(),
                    input: json!({"N": "x"}),
                    expected: json!({"n": "x"}),
                },
            ],
        };
        let target = json!({"properties": {"n": {"type": "integer"}}});
        let results = run_tests(&collection, Some(&target));
        let passed: Vec<bool> = results.iter().map(|r| r.passed).collect();
        assert_eq!(passed, vec![true, false, false]);
        assert_eq!(results[1].output, json!({"n": 2}));
        assert_eq!(codes(&results[2].errors), vec![("/output/n", Code::Type)]);
    }

    #[cfg(feature = "formula")]
    #[test]
    fn runs_formulas() {
        let m = mappings(json!([
            {"kind": "formula", "to": "/name", "formula": ".first + \" \" + .last"},
            {"kind": "formula", "to": "/nothing", "formula": "empty"},
            {"kind": "formula", "to": "/bad", "formula": ".first + 1"},
            {"kind": "formula", "to": "/syntax", "formula": ".first +"},
            {"kind": "formula", "to": "/forbidden", "formula": "range(10)"},
            {"kind": "static", "to": "/after", "value": true}
        ]));
        let applied = apply_mappings(&m, None, &json!({"first": "Ada", "last": "Lovelace"}));
        assert_eq!(
            applied.output,
            json!({"name": "Ada Lovelace", "after": true})
        );
        assert_eq!(
            codes(&applied.errors),
            vec![
                ("/mappings/2", Code::FormulaError),
                ("/mappings/3", Code::FormulaSyntax),
                ("/mappings/4", Code::FormulaForbidden),
            ]
        );
    }
}
