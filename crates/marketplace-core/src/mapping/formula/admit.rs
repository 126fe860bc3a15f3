//! Admission: one walk over jaq's syntax tree with an abstract value per term (the rules are in
//! the documentation of [`super`]).

use super::{
    ALLOWED, FORBIDDEN, FormulaFailure, MAX_DEPTH, MAX_FAN, MAX_GROWTH, MAX_NEST_GROWTH, forbidden,
    limit,
};
use crate::error::FieldErrorCode;
use jaq_core::load::lex::{StrPart, Tok, Token};
use jaq_core::load::parse::{BinaryOp, Pattern, Term};
use jaq_core::load::{Lexer, Parser};
use jaq_core::ops::Math;
use jaq_core::path::{Part, Path};

type T<'s> = Term<&'s str>;
type R<X> = Result<X, FormulaFailure>;

/// JSON types a value may have (a bit set).
const NULL: u8 = 1;
const BOOL: u8 = 2;
const INT: u8 = 4;
const FLOAT: u8 = 8;
const STR: u8 = 16;
const ARR: u8 = 32;
const OBJ: u8 = 64;
const NUM: u8 = INT | FLOAT;
const ANY: u8 = NULL | BOOL | NUM | STR | ARR | OBJ;

/// What admission knows of a term's outputs, sizes in multiples of the formula's input.
#[derive(Clone, Copy, Debug)]
struct Abs {
    /// It may yield a stream over parts of its input (`.[]`).
    many: bool,
    /// When not `many`: at most this many outputs.
    fan: u32,
    /// Each output is at most `grow` times the input (0: constant size).
    grow: u32,
    /// All outputs of one run together are at most `sum` times the input.
    sum: u32,
    /// Its possible JSON types.
    ty: u8,
    /// How many levels deeper than the input it may nest.
    nest: u32,
    /// How many copies of the enclosing `reduce`/`foreach` accumulator it holds.
    accs: u32,
}

impl Abs {
    /// One output of `grow` times the input, of type `ty`.
    fn one(grow: u32, ty: u8) -> Self {
        Self {
            many: false,
            fan: 1,
            grow,
            sum: grow,
            ty,
            nest: 0,
            accs: 0,
        }
    }

    /// No output at all (`empty`, `error`).
    fn none() -> Self {
        Self {
            fan: 0,
            sum: 0,
            ty: 0,
            ..Self::one(0, 0)
        }
    }

    /// A single output with this value's size, type, nesting and accumulator copies.
    fn single(self) -> Self {
        Self {
            many: false,
            fan: 1,
            sum: self.grow,
            ..self
        }
    }

    /// The stream of this value's elements (`.[]`).
    fn elements(self) -> Self {
        Self {
            many: true,
            fan: 1,
            sum: self.grow.max(1),
            ty: ANY,
            ..self
        }
    }
}

/// `ceil(a / b)` with `b` at least 1.
fn ratio(a: u32, b: u32) -> u32 {
    a.div_ceil(b.max(1))
}

/// Sum over a stream `over` of outputs of `grow` each (count included).
fn scaled(grow: u32, over: &Abs) -> u32 {
    if over.many {
        ratio(grow, over.grow)
            .max(1)
            .saturating_mul(over.sum.max(1))
            .saturating_add(1)
    } else {
        over.fan.saturating_mul(grow)
    }
}

/// The filters whose argument runs once per element of the input.
const PER_ELEMENT: &[&str] = &[
    "map",
    "map_values",
    "with_entries",
    "sort_by",
    "group_by",
    "unique_by",
    "min_by",
    "max_by",
    "any",
    "all",
];

/// A bound variable: its value and the iteration level where it was bound.
struct Var<'s> {
    name: &'s str,
    abs: Abs,
    level: u32,
}

/// The walk: variables in scope and how many iterations enclose the current term.
struct Walk<'s> {
    vars: Vec<Var<'s>>,
    level: u32,
}

/// Lexes, parses and admits `source` (see the module documentation of [`super`]).
pub(super) fn admit(source: &str) -> R<()> {
    let tokens = Lexer::new(source).lex().map_err(|errors| {
        let (expect, found) = &errors[0];
        syntax(format!(
            "expected {} at `{}`",
            expect.as_str(),
            excerpt(found)
        ))
    })?;
    if let Some(Token(word @ ("import" | "include"), Tok::Word)) = tokens.first() {
        return Err(forbidden(format!("`{word}` is not allowed in formulas")));
    }
    nesting(&tokens, 0)?;
    let term = Parser::new(&tokens).parse(|p| p.term()).map_err(|errors| {
        let (expect, found) = &errors[0];
        let found = found.map_or("the end of the formula".to_owned(), |t| {
            format!("`{}`", excerpt(t.as_str()))
        });
        syntax(format!("expected {}, found {found}", expect.as_str()))
    })?;
    let mut walk = Walk {
        vars: Vec::new(),
        level: 0,
    };
    walk.term(&term, Abs::one(1, ANY), 0).map(|_| ())
}

fn syntax(message: String) -> FormulaFailure {
    FormulaFailure::new(FieldErrorCode::FormulaSyntax, message)
}

fn excerpt(s: &str) -> String {
    s.chars().take(20).collect()
}

/// Refuses token trees deeper than [`MAX_DEPTH`] before jaq's parser recurses on them, and
/// long runs of prefix constructs (`- - - 1`, `try try .`) that nest without brackets.
fn nesting(tokens: &[Token<&str>], depth: usize) -> R<()> {
    if depth > MAX_DEPTH {
        return Err(limit(format!(
            "the formula nests deeper than {MAX_DEPTH} levels"
        )));
    }
    let mut prefixes = 0;
    for Token(s, tok) in tokens {
        prefixes = match *s {
            "-" | "try" | "if" | "then" | "elif" | "else" | "reduce" | "foreach" | "def"
            | "label" | "as" | "|" => prefixes + 1,
            _ => 0,
        };
        if prefixes > MAX_DEPTH {
            return Err(limit(format!(
                "the formula nests deeper than {MAX_DEPTH} levels"
            )));
        }
        match tok {
            Tok::Block(inner) => nesting(inner, depth + 1)?,
            Tok::Str(parts) => {
                for part in parts {
                    if let StrPart::Term(Token(_, Tok::Block(inner))) = part {
                        nesting(inner, depth + 1)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Refuses values past the bounds of the module documentation.
fn check(a: Abs) -> R<Abs> {
    if a.grow > MAX_GROWTH || a.sum > MAX_GROWTH {
        return Err(forbidden(format!(
            "the formula can make a value more than {MAX_GROWTH} times its input \
             (a value used twice, repeated conversions, or a large value repeated per element)"
        )));
    }
    if a.fan > MAX_FAN {
        return Err(forbidden(format!(
            "the formula can yield more than {MAX_FAN} values"
        )));
    }
    if a.nest > MAX_NEST_GROWTH {
        return Err(forbidden(format!(
            "the formula can nest values more than {MAX_NEST_GROWTH} levels deeper than its input"
        )));
    }
    if a.accs > 1 {
        return Err(forbidden(
            "the formula copies the reduce/foreach accumulator, so it can double at every step",
        ));
    }
    Ok(a)
}

/// Refuses an operation that walks the whole of `a` when `a` holds the accumulator.
fn scan(a: &Abs, what: &str) -> R<()> {
    if a.accs > 0 {
        return Err(forbidden(format!(
            "{what} walks the reduce/foreach accumulator at every step (quadratic); \
             only `. + x`, paths and assignments may use it"
        )));
    }
    Ok(())
}

/// Refuses a product of streams, or a stream combined with a large value; gives how many
/// outputs the combination has and which operand is the stream.
fn product(parts: &[Abs]) -> R<(u32, Option<Abs>)> {
    let streams: Vec<&Abs> = parts.iter().filter(|a| a.many).collect();
    if streams.len() > 1 {
        return Err(forbidden(
            "the formula combines two streams (each value of one with each of the other)",
        ));
    }
    let fan = parts
        .iter()
        .filter(|a| !a.many)
        .fold(1u32, |n, a| n.saturating_mul(a.fan));
    if let Some(stream) = streams.first() {
        if parts.iter().any(|a| !a.many && a.grow > 0) {
            return Err(forbidden(
                "the formula combines every value of a stream with a value taken from the input",
            ));
        }
        return Ok((fan, Some(**stream)));
    }
    Ok((fan, None))
}

/// The result of combining `parts` into outputs of `grow`, `ty` and `nest`.
fn combined(parts: &[Abs], grow: u32, ty: u8, nest: u32) -> R<Abs> {
    let (fan, stream) = product(parts)?;
    let accs = parts.iter().map(|a| a.accs).sum();
    let a = match stream {
        Some(s) => Abs {
            many: true,
            fan: 1,
            grow,
            sum: scaled(grow, &s).saturating_mul(fan),
            ty,
            nest,
            accs,
        },
        None => Abs {
            many: false,
            fan,
            grow,
            sum: fan.saturating_mul(grow),
            ty,
            nest,
            accs,
        },
    };
    check(a)
}

/// Both outputs of `a` and of `b` (`a, b`, `a // b`, branches).
fn union(a: Abs, b: Abs) -> R<Abs> {
    check(Abs {
        many: a.many || b.many,
        fan: if a.many || b.many {
            1
        } else {
            a.fan.saturating_add(b.fan)
        },
        grow: a.grow.max(b.grow),
        sum: a.sum.saturating_add(b.sum),
        ty: a.ty | b.ty,
        nest: a.nest.max(b.nest),
        accs: a.accs.max(b.accs),
    })
}

/// All outputs of `a` gathered in one array.
fn collect(a: Abs) -> R<Abs> {
    let copies = if a.many { u32::MAX } else { a.fan };
    check(Abs {
        accs: if a.accs > 0 {
            a.accs.saturating_mul(copies)
        } else {
            0
        },
        nest: a.nest + 1,
        ..Abs::one(a.sum, ARR)
    })
}

/// How many levels a path expression (`.a[0].b`, `.a | .b`) descends, at most.
fn path_length(t: &T<'_>) -> u32 {
    match t {
        Term::Id => 0,
        Term::Path(base, path) => path_length(base).saturating_add(path.0.len() as u32),
        Term::BinOp(l, BinaryOp::Pipe(None), r) => path_length(l).saturating_add(path_length(r)),
        Term::TryCatch(t, None) => path_length(t),
        _ => 1,
    }
}

/// An integer literal, possibly negated.
fn int_literal(t: &T<'_>) -> Option<i64> {
    match t {
        Term::Num(s) => s.parse().ok(),
        Term::Neg(t) => int_literal(t).map(|i| -i),
        _ => None,
    }
}

impl<'s> Walk<'s> {
    fn term(&mut self, t: &T<'s>, dot: Abs, depth: usize) -> R<Abs> {
        if depth > MAX_DEPTH {
            return Err(limit(format!(
                "the formula nests deeper than {MAX_DEPTH} levels"
            )));
        }
        let d = depth + 1;
        match t {
            Term::Id => Ok(dot.single()),
            Term::Recurse => Err(forbidden("`..` (recursion) is not allowed in formulas")),
            Term::Num(s) => Ok(Abs::one(
                0,
                if s.parse::<i64>().is_ok() { INT } else { FLOAT },
            )),
            Term::Str(Some(format), _) => Err(forbidden(format!(
                "`{format}` formats are not allowed in formulas"
            ))),
            Term::Str(None, parts) => {
                let mut abs = Vec::new();
                let mut grow = 0u32;
                for part in parts {
                    if let StrPart::Term(t) = part {
                        let a = self.term(t, dot, d)?;
                        scan(&a, "string interpolation")?;
                        grow = grow.saturating_add(a.grow.saturating_mul(2));
                        abs.push(Abs { accs: 0, ..a });
                    }
                }
                combined(&abs, grow, STR, 0)
            }
            Term::Arr(None) => Ok(Abs::one(0, ARR)),
            Term::Arr(Some(f)) => collect(self.term(f, dot, d)?),
            Term::Obj(entries) => self.object(entries, dot, d),
            Term::Neg(f) => {
                let a = self.term(f, dot, d)?;
                scan(&a, "negation")?;
                combined(&[a], a.grow, NUM, 0)
            }
            Term::BinOp(l, op, r) => self.binop(l, op, r, dot, d),
            Term::Label(..) | Term::Break(_) => {
                Err(forbidden("`label`/`break` are not allowed in formulas"))
            }
            Term::Fold(kind, src, pattern, args) => self.fold(kind, src, pattern, args, dot, d),
            Term::TryCatch(body, catch) => {
                let a = self.term(body, dot, d)?;
                match catch {
                    None => Ok(a),
                    Some(c) => {
                        // The error value may quote the values involved.
                        let error =
                            Abs::one(dot.grow.saturating_add(a.grow).saturating_mul(2), ANY);
                        let c = self.term(c, check(error)?, d)?;
                        union(a, c)
                    }
                }
            }
            Term::IfThenElse(branches, otherwise) => {
                let mut out = Abs::none();
                for (cond, then) in branches {
                    let c = self.term(cond, dot, d)?;
                    if c.many {
                        return Err(forbidden(
                            "an `if` condition yields a stream of values; use `any`/`all`",
                        ));
                    }
                    let b = self.term(then, dot, d)?;
                    let b = Abs {
                        fan: b.fan.saturating_mul(c.fan),
                        sum: b.sum.saturating_mul(c.fan),
                        ..b
                    };
                    out = union(out, b)?;
                }
                let e = match otherwise {
                    Some(e) => self.term(e, dot, d)?,
                    None => dot.single(),
                };
                union(out, e)
            }
            Term::Def(..) => Err(forbidden("`def` is not allowed in formulas")),
            Term::Call(name, args) => self.call(name, args, dot, d),
            Term::Var(name) => self.var(name),
            Term::Path(base, path) => {
                let b = self.term(base, dot, d)?;
                self.path(b, path, dot, d)
            }
        }
    }

    fn var(&self, name: &str) -> R<Abs> {
        let Some(var) = self.vars.iter().rev().find(|v| v.name == name) else {
            return Err(forbidden(if name == "$ENV" {
                "`$ENV` is not allowed in formulas".to_owned()
            } else {
                format!("`{name}` is not bound")
            }));
        };
        if var.level < self.level && var.abs.grow > 0 {
            return Err(forbidden(format!(
                "`{name}` is bound outside an iteration (`.[]`, `map`, `reduce` ...) and used \
                 inside it, so a large value would be walked once per element"
            )));
        }
        Ok(var.abs.single())
    }

    fn path(&mut self, b: Abs, path: &Path<T<'s>>, dot: Abs, d: usize) -> R<Abs> {
        let mut cur = b;
        for (part, _opt) in &path.0 {
            match part {
                Part::Range(None, None) => {
                    scan(&cur, "`.[]`")?;
                    cur = check(Abs {
                        many: true,
                        fan: 1,
                        sum: if cur.many { cur.sum } else { cur.sum.max(1) },
                        ty: ANY,
                        ..cur
                    })?;
                }
                Part::Index(i) => {
                    let i = self.term(i, dot, d)?;
                    cur = self.index(cur, &[i], ANY)?;
                }
                Part::Range(from, upto) => {
                    scan(&cur, "a slice")?;
                    let mut ix = Vec::new();
                    for x in [from, upto].into_iter().flatten() {
                        ix.push(self.term(x, dot, d)?);
                    }
                    let ty = cur.ty & (STR | ARR | NULL);
                    cur = self.index(cur, &ix, ty)?;
                }
            }
        }
        Ok(cur)
    }

    /// `base[ix...]`: each output is a part of `base`.
    fn index(&self, base: Abs, ix: &[Abs], ty: u8) -> R<Abs> {
        for i in ix {
            scan(i, "an index")?;
            if i.many && (base.many || base.grow > 0) {
                return Err(forbidden(
                    "the formula indexes a value with a stream of indices",
                ));
            }
        }
        let fan = ix
            .iter()
            .fold(base.fan, |n, i| n.saturating_mul(i.fan.max(1)));
        let many = base.many || ix.iter().any(|i| i.many);
        check(Abs {
            many,
            fan: if many { 1 } else { fan },
            sum: if base.many {
                base.sum
            } else {
                fan.saturating_mul(base.grow)
            },
            ty,
            ..base
        })
    }

    fn object(&mut self, entries: &[(T<'s>, Option<T<'s>>)], dot: Abs, d: usize) -> R<Abs> {
        let mut parts = Vec::new();
        let mut grow = 0u32;
        let mut nest = 0u32;
        for (k, v) in entries {
            let key = self.term(k, dot, d)?;
            scan(&key, "an object key")?;
            let value = match (k, v) {
                (_, Some(v)) => self.term(v, dot, d)?,
                // `{$x}` is `{x: $x}`, `{a}` is `{a: .a}`.
                (Term::Var(_), None) => key,
                (_, None) => self.index(dot.single(), &[key], ANY)?,
            };
            grow = grow.saturating_add(key.grow).saturating_add(value.grow);
            nest = nest.max(value.nest.saturating_add(1));
            parts.push(key);
            parts.push(value);
        }
        combined(&parts, grow, OBJ, nest)
    }

    fn binop(
        &mut self,
        l: &T<'s>,
        op: &BinaryOp<&'s str>,
        r: &T<'s>,
        dot: Abs,
        d: usize,
    ) -> R<Abs> {
        match op {
            BinaryOp::Pipe(None) => {
                let a = self.term(l, dot, d)?;
                self.pipe(a, r, d)
            }
            BinaryOp::Pipe(Some(pattern)) => {
                let a = self.term(l, dot, d)?;
                if a.many {
                    return Err(forbidden(
                        "`... as $x | ...` over a stream repeats the rest for each value; \
                         use `map`, `reduce` or `first(...)`",
                    ));
                }
                let mark = self.vars.len();
                self.bind(pattern, a.single(), dot, d)?;
                let b = self.term(r, dot, d);
                self.vars.truncate(mark);
                let b = b?;
                check(Abs {
                    fan: if b.many {
                        1
                    } else {
                        b.fan.saturating_mul(a.fan)
                    },
                    sum: b.sum.saturating_mul(a.fan),
                    ..b
                })
            }
            BinaryOp::Comma | BinaryOp::Alt => {
                let a = self.term(l, dot, d)?;
                let b = self.term(r, dot, d)?;
                union(a, b)
            }
            BinaryOp::Or | BinaryOp::And => {
                let a = self.term(l, dot, d)?;
                let b = self.term(r, dot, d)?;
                combined(&[a, b], 0, BOOL, 0).map(|x| Abs { accs: 0, ..x })
            }
            BinaryOp::Cmp(_) => {
                let a = self.term(l, dot, d)?;
                let b = self.term(r, dot, d)?;
                // A comparison stops at the smaller side: it walks only when both are large.
                if a.grow > 0 && b.grow > 0 {
                    scan(&a, "a comparison")?;
                    scan(&b, "a comparison")?;
                }
                combined(&[a, b], 0, BOOL, 0).map(|x| Abs { accs: 0, ..x })
            }
            BinaryOp::Math(op) => {
                let a = self.term(l, dot, d)?;
                let b = self.term(r, dot, d)?;
                self.math(*op, (l, a), (r, b))
            }
            BinaryOp::Assign | BinaryOp::UpdateAlt => {
                let target = self.term(l, dot, d)?;
                let value = self.term(r, dot, d)?;
                self.assign(dot, (l, target), value, value.grow)
            }
            BinaryOp::UpdateMath(op) => {
                let target = self.term(l, dot, d)?;
                let value = self.term(r, dot, d)?;
                // `l op= r` is `r as $x | l |= . op $x`.
                let part = self.math(*op, (l, target.single()), (r, value))?;
                self.assign(dot, (l, target), value, part.grow)
            }
            BinaryOp::Update => {
                let target = self.term(l, dot, d)?;
                let new = self.pipe_each(target, r, d)?;
                let grow = ratio(new.grow, target.grow).max(1);
                check(Abs {
                    grow: dot
                        .grow
                        .saturating_add(grow.saturating_mul(target.sum.max(1))),
                    nest: dot.nest + new.nest.saturating_sub(target.nest),
                    ..dot.single()
                })
            }
        }
    }

    /// `target = value` (or `op=`, `//=`): each path of `target` in `dot` gets a value of `grow`.
    fn assign(&self, dot: Abs, (path, target): (&T<'s>, Abs), value: Abs, grow: u32) -> R<Abs> {
        scan(&value, "an assigned value")?;
        if value.many {
            return Err(forbidden("the formula assigns a stream of values"));
        }
        if target.many && grow > 0 {
            return Err(forbidden(
                "the formula assigns a value taken from the input to every element",
            ));
        }
        check(Abs {
            fan: dot.fan.saturating_mul(value.fan),
            grow: dot
                .grow
                .saturating_add(grow.saturating_mul(target.fan.max(1)))
                .saturating_add(u32::from(target.many)),
            // The value lands at most as deep as the target path is long.
            nest: dot.nest.max(value.nest.saturating_add(path_length(path))),
            ..dot.single()
        })
    }

    fn math(&self, op: Math, (lt, a): (&T<'s>, Abs), (rt, b): (&T<'s>, Abs)) -> R<Abs> {
        let numeric = |x: &Abs| x.ty & !(NUM | NULL) == 0;
        if !matches!(op, Math::Add) {
            scan(&a, "arithmetic")?;
        }
        scan(&b, "arithmetic")?;
        let (grow, ty) = match op {
            // Concatenation (or a sum): the accumulator may stay on the left.
            Math::Add => {
                let ty = if numeric(&a) && numeric(&b) {
                    NUM
                } else {
                    (a.ty | b.ty) & !NULL
                };
                (a.grow.saturating_add(b.grow), ty | (a.ty & b.ty & NULL))
            }
            Math::Sub => {
                if a.ty & ARR != 0 && b.ty & ARR != 0 {
                    return Err(forbidden(
                        "`-` may subtract two arrays (quadratic); make one side a number, \
                         e.g. `(.a | tonumber) - .b`",
                    ));
                }
                (
                    a.grow.max(b.grow),
                    if numeric(&a) || numeric(&b) {
                        NUM
                    } else {
                        ARR | OBJ
                    },
                )
            }
            Math::Mul => {
                let repeats = |s: &Abs, n: &Abs| s.ty & STR != 0 && n.ty & INT != 0;
                if repeats(&a, &b) || repeats(&b, &a) {
                    // Only a small literal count may repeat a string.
                    let (text, other, count) = match (int_literal(lt), int_literal(rt)) {
                        (_, Some(n)) => (a, b, n),
                        (Some(n), _) => (b, a, n),
                        _ => {
                            return Err(forbidden(
                                "`*` may repeat a string; make both sides numbers, \
                                 e.g. `(.a | tonumber) * (.b | tonumber)`",
                            ));
                        }
                    };
                    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
                    if count > MAX_GROWTH {
                        return Err(forbidden(format!(
                            "`*` may repeat a string more than {MAX_GROWTH} times"
                        )));
                    }
                    let other = other.grow;
                    (text.grow.saturating_mul(count).max(other), ANY)
                } else {
                    (
                        a.grow.saturating_add(b.grow),
                        if numeric(&a) && numeric(&b) { NUM } else { ANY },
                    )
                }
            }
            // A string split by a string (every character when the separator is empty).
            Math::Div => (a.grow.saturating_mul(4).max(b.grow), NUM | ARR),
            Math::Rem => (a.grow.max(b.grow), NUM),
        };
        let nest = if op == Math::Div {
            a.nest + 1
        } else {
            a.nest.max(b.nest)
        };
        combined(&[a, b], grow, ty, nest)
    }

    /// `a | g`: `g` once per output of `a` (an iteration when `a` is a stream).
    fn pipe(&mut self, a: Abs, g: &T<'s>, d: usize) -> R<Abs> {
        let r = self.pipe_each(a, g, d)?;
        check(if a.many {
            Abs {
                many: true,
                fan: 1,
                sum: scaled(r.sum.max(r.grow), &a),
                ..r
            }
        } else {
            Abs {
                fan: if r.many {
                    1
                } else {
                    r.fan.saturating_mul(a.fan)
                },
                sum: r.sum.saturating_mul(a.fan.max(1)),
                ..r
            }
        })
    }

    /// Runs `g` on one output of `a` (one level of iteration deeper when `a` is a stream).
    fn pipe_each(&mut self, a: Abs, g: &T<'s>, d: usize) -> R<Abs> {
        if a.many {
            self.level += 1;
            let r = self.term(g, a.single(), d);
            self.level -= 1;
            r
        } else {
            self.term(g, a.single(), d)
        }
    }

    fn bind(&mut self, pattern: &Pattern<&'s str>, value: Abs, dot: Abs, d: usize) -> R<()> {
        match pattern {
            Pattern::Var(name) => self.vars.push(Var {
                name,
                abs: value,
                level: self.level,
            }),
            Pattern::Arr(items) => {
                for p in items {
                    self.bind(p, Abs { ty: ANY, ..value }, dot, d)?;
                }
            }
            Pattern::Obj(entries) => {
                for (k, p) in entries {
                    let key = self.term(k, dot, d)?;
                    if key.many {
                        return Err(forbidden("a pattern key yields a stream of values"));
                    }
                    self.bind(p, Abs { ty: ANY, ..value }, dot, d)?;
                }
            }
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn fold(
        &mut self,
        kind: &str,
        src: &T<'s>,
        pattern: &Pattern<&'s str>,
        args: &[T<'s>],
        dot: Abs,
        d: usize,
    ) -> R<Abs> {
        fn over_input(t: &T<'_>) -> bool {
            match t {
                Term::Id | Term::Var(_) => true,
                Term::TryCatch(t, None) => over_input(t),
                Term::Path(base, path) => {
                    over_input(base)
                        && path.0.iter().all(|(part, _)| match part {
                            Part::Index(i) => {
                                matches!(i, Term::Str(None, _) | Term::Num(_) | Term::Var(_))
                            }
                            Part::Range(a, b) => [a, b]
                                .into_iter()
                                .flatten()
                                .all(|i| matches!(i, Term::Num(_) | Term::Var(_) | Term::Neg(_))),
                        })
                }
                _ => false,
            }
        }
        if !over_input(src) {
            return Err(forbidden(format!(
                "`{kind}` may only run over a path of the input or of a variable, such as `.items[]`"
            )));
        }
        let (init, update, extract) = match args {
            [i, u] => (i, u, None),
            [i, u, e] if kind == "foreach" => (i, u, Some(e)),
            _ => return Err(syntax(format!("`{kind}` takes (init; update)"))),
        };
        let source = self.term(src, dot, d)?;
        let init = self.term(init, dot, d)?;
        if init.many {
            return Err(forbidden(format!(
                "the `{kind}` start value yields a stream"
            )));
        }
        let element = source.single();
        let mark = self.vars.len();
        self.level += 1;
        let result = (|| {
            self.bind(pattern, element, dot, d)?;
            // The accumulator: its own content is counted by `accs`; `grow` is what each step
            // adds. Its type and nesting settle after at most three steps, or it is refused.
            let mut acc = Abs {
                grow: 0,
                sum: 0,
                accs: 1,
                ..init.single()
            };
            let mut step = None;
            for _ in 0..3 {
                let u = self.term(update, acc, d)?;
                if u.many {
                    return Err(forbidden(format!("the `{kind}` update yields a stream")));
                }
                if u.ty | acc.ty == acc.ty && u.nest <= acc.nest {
                    step = Some(u);
                    break;
                }
                acc.ty |= u.ty;
                acc.nest = acc.nest.max(u.nest);
            }
            let Some(step) = step else {
                return Err(forbidden(format!(
                    "the `{kind}` accumulator nests deeper at every step"
                )));
            };
            let total = init.grow.saturating_add(scaled(
                step.grow,
                &Abs {
                    many: true,
                    ..source
                },
            ));
            let outputs = match extract {
                Some(e) => Some(self.term(e, acc, d)?),
                None if kind == "foreach" => Some(acc),
                None => None,
            };
            Ok((acc, total, outputs))
        })();
        self.level -= 1;
        self.vars.truncate(mark);
        let (acc, total, outputs) = result?;
        match outputs {
            None => check(Abs {
                fan: init.fan,
                grow: total,
                sum: total.saturating_mul(init.fan),
                ty: acc.ty,
                nest: acc.nest,
                accs: init.accs,
                many: false,
            }),
            Some(out) => {
                if out.accs > 0 && out.ty & !(NUM | NULL | BOOL) != 0 {
                    return Err(forbidden(
                        "`foreach` outputs its whole accumulator at every step (quadratic)",
                    ));
                }
                let grow = out.grow;
                check(Abs {
                    many: true,
                    fan: 1,
                    grow,
                    sum: scaled(
                        grow,
                        &Abs {
                            many: true,
                            ..source
                        },
                    ),
                    ty: out.ty,
                    nest: out.nest,
                    accs: init.accs,
                })
            }
        }
    }

    fn call(&mut self, name: &'s str, args: &[T<'s>], dot: Abs, d: usize) -> R<Abs> {
        if FORBIDDEN.contains(&name) {
            return Err(forbidden(format!("`{name}` is not allowed in formulas")));
        }
        if !ALLOWED.contains(&(name, args.len())) {
            return Err(forbidden(if args.is_empty() {
                format!("`{name}` is not an allowed filter")
            } else {
                format!("`{name}/{}` is not an allowed filter", args.len())
            }));
        }
        let g = dot.grow;
        let same = dot.single();
        // Per-element arguments: one iteration deeper, on each element.
        if PER_ELEMENT.contains(&name) && args.len() == 1 {
            scan(&dot, &format!("`{name}`"))?;
            let each = self.pipe(dot.elements(), &args[0], d)?;
            return match name {
                "map" => collect(each),
                "map_values" => check(Abs {
                    grow: ratio(each.grow, g)
                        .max(1)
                        .saturating_mul(g)
                        .saturating_add(1),
                    nest: dot.nest.max(each.nest),
                    ..same
                }),
                "with_entries" => {
                    let entries = Abs {
                        nest: dot.nest + 1,
                        ..Abs::one(g.saturating_mul(4), ARR)
                    };
                    let each = self.pipe(entries.elements(), &args[0], d)?;
                    let mapped = collect(each)?;
                    check(Abs {
                        ty: OBJ,
                        nest: mapped.nest,
                        ..mapped
                    })
                }
                "group_by" => check(Abs {
                    grow: g.saturating_add(1),
                    nest: dot.nest + 1,
                    ..same
                }),
                "sort_by" | "unique_by" => Ok(same),
                "min_by" | "max_by" => Ok(Abs { ty: ANY, ..same }),
                _ => Ok(Abs::one(0, BOOL)), // any(f), all(f)
            };
        }
        // Arguments evaluated on the input, once.
        let mut vals = Vec::new();
        for arg in args {
            vals.push(self.term(arg, dot, d)?);
        }
        let value_args = |vals: &[Abs]| -> R<()> {
            if vals.iter().any(|v| v.many) {
                return Err(forbidden(format!(
                    "an argument of `{name}` yields a stream of values"
                )));
            }
            vals.iter().try_for_each(|v| scan(v, &format!("`{name}`")))
        };
        let out = |grow: u32, ty: u8| Abs {
            nest: 0,
            ..Abs::one(grow, ty)
        };
        let walks = |what: &str| scan(&dot, &format!("`{what}`"));
        match name {
            "empty" => Ok(Abs::none()),
            "error" => {
                value_args(&vals)?;
                Ok(Abs::none())
            }
            "null" => Ok(out(0, NULL)),
            "true" | "false" | "not" | "isboolean" | "isnumber" | "isstring" | "isarray"
            | "isobject" | "isnan" | "isinfinite" | "isfinite" | "isnormal" => Ok(out(0, BOOL)),
            "nan" | "infinite" => Ok(out(0, FLOAT)),
            "type" => Ok(out(0, STR)),
            "values" | "nulls" | "booleans" | "numbers" | "strings" | "arrays" | "objects"
            | "iterables" | "scalars" | "finites" | "normals" => Ok(same),
            "first" | "last" if args.is_empty() => Ok(same),
            "select" => {
                value_args(&vals)?;
                check(Abs {
                    fan: vals[0].fan,
                    sum: g.saturating_mul(vals[0].fan),
                    ..same
                })
            }
            "isempty" => Ok(out(0, BOOL)),
            "any" | "all" if args.is_empty() => {
                walks(name)?;
                Ok(out(0, BOOL))
            }
            "any" | "all" => {
                // any(generator; condition): the condition once per generated value.
                let generator = vals[0];
                self.pipe(generator, &args[1], d)?;
                Ok(out(0, BOOL))
            }
            "length" | "utf8bytelength" => {
                walks(name)?;
                Ok(out(0, INT))
            }
            "tonumber" | "floor" | "round" | "ceil" => {
                walks(name)?;
                Ok(Abs { ty: NUM, ..same })
            }
            "toboolean" => {
                walks(name)?;
                Ok(out(0, BOOL))
            }
            "abs" => Ok(same),
            "tostring" | "tojson" => {
                walks(name)?;
                check(out(g.saturating_mul(2).saturating_add(1), STR))
            }
            "ascii_downcase" | "ascii_upcase" | "trim" | "ltrim" | "rtrim" | "reverse" | "sort"
            | "unique" | "flatten" | "min" | "max" | "add" | "keys" | "keys_unsorted"
            | "from_entries"
                if args.is_empty() =>
            {
                walks(name)?;
                value_args(&vals)?;
                let ty = match name {
                    "keys" | "keys_unsorted" | "flatten" => ARR,
                    "from_entries" => OBJ,
                    "ascii_downcase" | "ascii_upcase" | "trim" | "ltrim" | "rtrim" => STR,
                    _ => ANY,
                };
                Ok(Abs {
                    ty,
                    accs: 0,
                    ..same
                })
            }
            "to_entries" => {
                walks(name)?;
                check(Abs {
                    nest: dot.nest + 1,
                    ..out(g.saturating_mul(4), ARR)
                })
            }
            "explode" => {
                walks(name)?;
                check(out(g.saturating_mul(8), ARR))
            }
            "implode" => {
                walks(name)?;
                check(out(g.saturating_mul(3), STR))
            }
            "first" | "last" if args.len() == 1 => {
                let f = vals[0];
                Ok(Abs {
                    many: false,
                    fan: 1,
                    sum: f.grow,
                    ..f
                })
            }
            "add" => {
                let f = vals[0];
                scan(&f, "`add`")?;
                check(out(f.sum, ANY))
            }
            "nth" => {
                value_args(&vals)?;
                check(Abs {
                    fan: vals[0].fan,
                    ty: ANY,
                    ..same
                })
            }
            "del" => Ok(same),
            "has" | "in" | "startswith" | "endswith" => {
                value_args(&vals)?;
                Ok(out(0, BOOL))
            }
            "ltrimstr" | "rtrimstr" => {
                value_args(&vals)?;
                Ok(same)
            }
            "contains" | "inside" | "index" | "rindex" | "indices" | "join" | "split" => {
                walks(name)?;
                value_args(&vals)?;
                if name != "split" && g > 0 && vals[0].grow > 0 {
                    return Err(forbidden(format!(
                        "`{name}` of two values taken from the input may be quadratic; \
                         give it a literal"
                    )));
                }
                match name {
                    "contains" | "inside" => Ok(out(0, BOOL)),
                    "index" | "rindex" => Ok(out(0, INT | NULL)),
                    "indices" => check(out(g.saturating_mul(8), ARR)),
                    "join" => check(out(g.saturating_add(1), STR)),
                    _ => check(Abs {
                        nest: dot.nest + 1,
                        ..out(g.saturating_mul(4), ARR)
                    }),
                }
            }
            _ => Err(forbidden(format!("`{name}` is not an allowed filter"))),
        }
    }
}
