//! A spec ready for fast validation: patterns compiled once, variables indexed by key.

use crate::error::{FieldError, FieldErrorCode as Code};
use crate::pointer;
use crate::spec::{ConfigSpec, Element, Variable, VariableType};
use crate::values::Editor;
use regex_lite::Regex;
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// A variable with its compiled pattern and its path in a config object (`/key`).
#[derive(Debug, Clone)]
pub struct CompiledVariable {
    /// The variable.
    pub variable: Variable,
    /// The compiled pattern of a `string` variable that has one.
    pub pattern: Option<Regex>,
    /// JSON Pointer of the variable's value in a config object.
    pub path: String,
}

/// A parsed, valid spec with compiled patterns; what validation runs against.
#[derive(Debug, Clone)]
pub struct CompiledSpec {
    spec: ConfigSpec,
    variables: Vec<CompiledVariable>,
    index: FxHashMap<String, usize>,
    required: [usize; 3],
}

impl CompiledSpec {
    /// Parses and validates a spec from JSON, reporting every problem at once.
    pub fn parse(value: &Value) -> Result<Self, Vec<FieldError>> {
        Self::new(ConfigSpec::parse(value)?)
    }

    /// Compiles a parsed spec; fails only on a pattern that does not compile.
    pub fn new(spec: ConfigSpec) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut variables = Vec::new();
        let mut index = FxHashMap::default();
        for (p, page) in spec.pages.iter().enumerate() {
            for (e, element) in page.elements.iter().enumerate() {
                let Element::Variable(variable) = element else {
                    continue;
                };
                let pattern = match &variable.kind {
                    VariableType::String {
                        pattern: Some(source),
                        ..
                    } => match Regex::new(source) {
                        Ok(re) => Some(re),
                        Err(err) => {
                            let path = format!("/pages/{p}/elements/{e}/pattern");
                            errors.push(FieldError::new(
                                path,
                                Code::Pattern,
                                format!("the pattern does not compile: {err}"),
                            ));
                            None
                        }
                    },
                    _ => None,
                };
                index.insert(variable.key.clone(), variables.len());
                variables.push(CompiledVariable {
                    path: pointer::push("", &variable.key),
                    variable: variable.clone(),
                    pattern,
                });
            }
        }
        let required = [Editor::Customer, Editor::Embedded, Editor::Organization].map(|editor| {
            variables
                .iter()
                .filter(|c| c.variable.required_of(editor))
                .count()
        });
        if errors.is_empty() {
            Ok(Self {
                spec,
                variables,
                index,
                required,
            })
        } else {
            Err(errors)
        }
    }

    /// The spec.
    pub fn spec(&self) -> &ConfigSpec {
        &self.spec
    }

    /// The variable with that key.
    pub fn variable(&self, key: &str) -> Option<&Variable> {
        self.compiled_variable(key).map(|c| &c.variable)
    }

    /// The compiled variable with that key.
    #[inline]
    pub fn compiled_variable(&self, key: &str) -> Option<&CompiledVariable> {
        self.index.get(key).map(|&i| &self.variables[i])
    }

    /// Every compiled variable, in spec order.
    #[inline]
    pub fn compiled_variables(&self) -> &[CompiledVariable] {
        &self.variables
    }

    /// How many variables this editor must give a value for (required, no default, editable).
    pub fn required_count(&self, editor: Editor) -> usize {
        self.required[editor as usize]
    }

    /// Every variable, in spec order.
    pub fn variables(&self) -> impl Iterator<Item = &Variable> {
        self.variables.iter().map(|c| &c.variable)
    }
}

impl PartialEq for CompiledSpec {
    fn eq(&self, other: &Self) -> bool {
        self.spec == other.spec
    }
}

impl Serialize for CompiledSpec {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.spec.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for CompiledSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::parse(&value).map_err(|errors| serde::de::Error::custom(crate::FieldErrors(errors)))
    }
}
