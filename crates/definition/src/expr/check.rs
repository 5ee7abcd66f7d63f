//! Type-check a syntax tree and compile it to a [`Program`] with names resolved to slots.

use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use regex::RegexBuilder;
use rust_decimal::Decimal;

use super::eval::{Func, MacroKind, Node, PeriodPart, Program};
use super::parser::{Ast, AstKind, BinOp};
use super::{Deps, ExprError, Ty, TypeEnv};
use crate::diagnostic::did_you_mean;
use crate::value::Value;

pub(super) fn check(ast: &Ast, env: &TypeEnv<'_>) -> Result<(Program, Ty, Deps), ExprError> {
    let mut checker = Checker { env, locals: Vec::new(), deps: Deps::default() };
    let (node, ty) = checker.expr(ast)?;
    let mut deps = checker.deps;
    deps.answers.sort_unstable();
    deps.answers.dedup();
    deps.columns.sort_unstable();
    deps.columns.dedup();
    Ok((Program::new(node), ty, deps))
}

struct Checker<'e, 'a> {
    env: &'e TypeEnv<'a>,
    /// Macro variables in scope, innermost last; a variable's index is its local slot.
    locals: Vec<(String, Ty)>,
    deps: Deps,
}

fn err(ast: &Ast, message: impl Into<String>) -> ExprError {
    ExprError::new(ast.start, ast.end - ast.start, message)
}

fn boxed(node: Node) -> Box<Node> {
    Box::new(node)
}

/// The common type of two branches or list items, if they have one.
fn unify(a: &Ty, b: &Ty) -> Option<Ty> {
    match (a, b) {
        _ if a == b => Some(a.clone()),
        (Ty::Any, _) | (_, Ty::Any) => Some(Ty::Any),
        (Ty::Null, other) | (other, Ty::Null) => Some(other.clone()),
        (x, y) if x.is_text() && y.is_text() => Some(Ty::Text),
        (Ty::List(x), Ty::List(y)) => unify(x, y).map(|t| Ty::List(Box::new(t))),
        _ => None,
    }
}

fn comparable_for_equality(a: &Ty, b: &Ty) -> bool {
    a.is_open() || b.is_open() || unify(a, b).is_some()
}

impl Checker<'_, '_> {
    fn expr(&mut self, ast: &Ast) -> Result<(Node, Ty), ExprError> {
        match &ast.kind {
            AstKind::Null => Ok((Node::Const(Value::Null), Ty::Null)),
            AstKind::Bool(b) => Ok((Node::Const(Value::Bool(*b)), Ty::Bool)),
            AstKind::Number(text) => Ok((Node::Const(Value::Number(number(text, ast)?)), Ty::Number)),
            AstKind::Str(s) => Ok((Node::Const(Value::text(s)), Ty::Text)),
            AstKind::Ident(name) => self.ident(name, ast),
            AstKind::Member(target, field) => self.member(target, field, ast),
            AstKind::Call { target: None, name, name_start, args } => {
                self.function(name, *name_start, args, ast)
            }
            AstKind::Call { target: Some(target), name, name_start, args } => {
                self.method(target, name, *name_start, args, ast)
            }
            AstKind::Index(target, index) => {
                let (t, tt) = self.expr(target)?;
                let (i, it) = self.expr(index)?;
                let element = match tt {
                    Ty::List(inner) => *inner,
                    Ty::Any | Ty::Null => Ty::Any,
                    other => {
                        return Err(err(
                            target,
                            format!("only a list can be indexed with `[…]`, but this is {other}"),
                        ));
                    }
                };
                if !matches!(it, Ty::Number | Ty::Any | Ty::Null) {
                    return Err(err(index, format!("a list index must be a number, but this is {it}")));
                }
                Ok((Node::Index(boxed(t), boxed(i)), element))
            }
            AstKind::List(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                let mut element = Ty::Any;
                for (k, item) in items.iter().enumerate() {
                    let (n, t) = self.expr(item)?;
                    element = if k == 0 {
                        t
                    } else {
                        unify(&element, &t).ok_or_else(|| {
                            err(item, format!("every item of a list must be of one type, but this is {t} after {element}"))
                        })?
                    };
                    nodes.push(n);
                }
                Ok((Node::List(nodes), Ty::List(Box::new(element))))
            }
            AstKind::Not(operand) => {
                let (n, t) = self.expr(operand)?;
                self.expect_bool(&t, operand, "`!` needs a true-or-false value")?;
                Ok((Node::Not(boxed(n)), Ty::Bool))
            }
            AstKind::Neg(operand) => {
                let (n, t) = self.expr(operand)?;
                if !matches!(t, Ty::Number | Ty::Any | Ty::Null) {
                    return Err(err(operand, format!("`-` needs a number, but this is {t}")));
                }
                Ok((Node::Neg(boxed(n)), Ty::Number))
            }
            AstKind::And(a, b) | AstKind::Or(a, b) => {
                let is_and = matches!(ast.kind, AstKind::And(..));
                let word = if is_and { "&&" } else { "||" };
                let (na, ta) = self.expr(a)?;
                self.expect_bool(&ta, a, &format!("both sides of `{word}` must be true or false"))?;
                let (nb, tb) = self.expr(b)?;
                self.expect_bool(&tb, b, &format!("both sides of `{word}` must be true or false"))?;
                let node =
                    if is_and { Node::And(boxed(na), boxed(nb)) } else { Node::Or(boxed(na), boxed(nb)) };
                Ok((node, Ty::Bool))
            }
            AstKind::Cond(c, then, otherwise) => {
                let (nc, tc) = self.expr(c)?;
                self.expect_bool(&tc, c, "the condition before `?` must be true or false")?;
                let (nt, tt) = self.expr(then)?;
                let (no, to) = self.expr(otherwise)?;
                let ty = unify(&tt, &to).ok_or_else(|| {
                    err(ast, format!("both results of `? :` must be of one type, but they are {tt} and {to}"))
                })?;
                Ok((Node::Cond(boxed(nc), boxed(nt), boxed(no)), ty))
            }
            AstKind::Binary(op, a, b) => self.binary(*op, a, b, ast),
        }
    }

    fn expect_bool(&self, ty: &Ty, ast: &Ast, message: &str) -> Result<(), ExprError> {
        if matches!(ty, Ty::Bool | Ty::Any | Ty::Null) {
            Ok(())
        } else {
            Err(err(ast, format!("{message}, but this is {ty}")))
        }
    }

    fn visible_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.locals.iter().map(|(n, _)| n.as_str()).collect();
        if let Some(table) = self.env.row.and_then(|t| self.env.tables.get(t as usize)) {
            names.extend(table.columns.iter().map(|(n, _)| n.as_str()));
        }
        names.extend(self.env.globals.keys().map(String::as_str));
        names.push("period");
        names
    }

    fn ident(&mut self, name: &str, ast: &Ast) -> Result<(Node, Ty), ExprError> {
        if let Some(index) = self.locals.iter().rposition(|(n, _)| n == name) {
            return Ok((Node::Local(index as u32), self.locals[index].1.clone()));
        }
        if let Some(table) = self.env.row.and_then(|t| self.env.tables.get(t as usize))
            && let Some(column) = table.columns.iter().position(|(n, _)| n == name)
        {
            self.deps.columns.push(column as u32);
            return Ok((Node::Column(column as u32), table.columns[column].1.clone()));
        }
        if let Some(global) = self.env.globals.get(name) {
            self.deps.answers.push(global.slot);
            return Ok((Node::Answer(global.slot), global.ty.clone()));
        }
        if name == "period" {
            return Err(err(ast, "`period` must be followed by `.start`, `.end` or `.due`"));
        }
        let names = self.visible_names();
        let mut e =
            err(ast, format!("`{name}` is not a question, table or column that this expression can see"));
        if let Some(close) = did_you_mean(name, names.iter().copied()) {
            e = e.with_help(format!("did you mean `{close}`?"));
        } else if self.env.row.is_none()
            && self.env.tables.iter().any(|t| t.columns.iter().any(|(c, _)| c == name))
        {
            e = e.with_help("table columns are only visible in that table's rules, or through the table, e.g. `spend.map(r, r.amount)`");
        }
        Err(e)
    }

    fn member(&mut self, target: &Ast, field: &str, ast: &Ast) -> Result<(Node, Ty), ExprError> {
        if let AstKind::Ident(name) = &target.kind
            && name == "period"
            && !self.locals.iter().any(|(n, _)| n == "period")
            && !self.env.globals.contains_key("period")
        {
            let part = match field {
                "start" => PeriodPart::Start,
                "end" => PeriodPart::End,
                "due" => PeriodPart::Due,
                other => {
                    let mut e =
                        err(ast, format!("`period` has no `{other}`; it has `start`, `end` and `due`"));
                    if let Some(close) = did_you_mean(other, ["start", "end", "due"]) {
                        e = e.with_help(format!("did you mean `period.{close}`?"));
                    }
                    return Err(e);
                }
            };
            return Ok((Node::Period(part), Ty::Date));
        }
        let (t, ty) = self.expr(target)?;
        match ty {
            Ty::Row(table) => {
                let columns = &self.env.tables[table as usize];
                match columns.columns.iter().position(|(n, _)| n == field) {
                    Some(index) => {
                        Ok((Node::Field(boxed(t), index as u32), columns.columns[index].1.clone()))
                    }
                    None => {
                        let mut e = err(ast, format!("the table `{}` has no column `{field}`", columns.id));
                        if let Some(close) =
                            did_you_mean(field, columns.columns.iter().map(|(n, _)| n.as_str()))
                        {
                            e = e.with_help(format!("did you mean `{close}`?"));
                        }
                        Err(e)
                    }
                }
            }
            Ty::List(inner) if matches!(*inner, Ty::Row(_)) => {
                Err(err(ast, format!("`.{field}` cannot be read from a whole table; read it from each row"))
                    .with_help(format!(
                        "for example `table.map(r, r.{field})` or `table.all(r, r.{field} …)`"
                    )))
            }
            other => Err(err(ast, format!("`.{field}` cannot be read from {other}"))),
        }
    }

    fn args(&mut self, args: &[Ast]) -> Result<Vec<(Node, Ty)>, ExprError> {
        args.iter().map(|a| self.expr(a)).collect()
    }

    fn arity(name: &str, args: &[Ast], ast: &Ast, min: usize, max: usize) -> Result<(), ExprError> {
        if args.len() < min || args.len() > max {
            let wanted = if min == max {
                format!("{min}")
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            return Err(err(
                ast,
                format!(
                    "`{name}` takes {wanted} argument{}, but {} given",
                    if max == 1 { "" } else { "s" },
                    args.len()
                ),
            ));
        }
        Ok(())
    }

    fn function(
        &mut self,
        name: &str,
        name_start: u32,
        args: &[Ast],
        ast: &Ast,
    ) -> Result<(Node, Ty), ExprError> {
        match name {
            "sum" => {
                Self::arity(name, args, ast, 1, 1)?;
                let (n, t) = self.expr(&args[0])?;
                if !matches!(&t, Ty::List(inner) if matches!(**inner, Ty::Number | Ty::Any)) && !t.is_open() {
                    return Err(err(&args[0], format!("`sum` needs a list of numbers, but this is {t}"))
                        .with_help("to add up a table column, map it first: `sum(table.map(r, r.column))`"));
                }
                Ok((Node::Func(Func::Sum, vec![n]), Ty::Number))
            }
            "count" | "size" => {
                Self::arity(name, args, ast, 1, 1)?;
                let (n, t) = self.expr(&args[0])?;
                if !matches!(t, Ty::List(_) | Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(&args[0], format!("`{name}` needs a list or text, but this is {t}")));
                }
                Ok((Node::Func(Func::Size, vec![n]), Ty::Number))
            }
            "min" | "max" => {
                Self::arity(name, args, ast, 1, usize::MAX)?;
                let checked = self.args(args)?;
                let element = if checked.len() == 1 {
                    match &checked[0].1 {
                        Ty::List(inner) => (**inner).clone(),
                        other => {
                            return Err(err(
                                &args[0],
                                format!("`{name}` of one value needs a list, but this is {other}"),
                            ));
                        }
                    }
                } else {
                    let mut ty = checked[0].1.clone();
                    for ((_, t), a) in checked.iter().zip(args).skip(1) {
                        ty = unify(&ty, t).ok_or_else(|| {
                            err(a, format!("`{name}` needs values of one type, but this is {t} after {ty}"))
                        })?;
                    }
                    ty
                };
                if !matches!(element, Ty::Number | Ty::Date | Ty::Any | Ty::Null) {
                    return Err(err(ast, format!("`{name}` works on numbers or dates, not {element}")));
                }
                let func = if name == "min" { Func::Min } else { Func::Max };
                let single = checked.len() == 1;
                let nodes = checked.into_iter().map(|(n, _)| n).collect();
                Ok((Node::Func(if single { func } else { func.variadic() }, nodes), element))
            }
            "coalesce" => {
                Self::arity(name, args, ast, 2, usize::MAX)?;
                let checked = self.args(args)?;
                let mut ty = checked[0].1.clone();
                for ((_, t), a) in checked.iter().zip(args).skip(1) {
                    ty = unify(&ty, t).ok_or_else(|| {
                        err(a, format!("`coalesce` needs values of one type, but this is {t} after {ty}"))
                    })?;
                }
                Ok((Node::Func(Func::Coalesce, checked.into_iter().map(|(n, _)| n).collect()), ty))
            }
            "days_between" => {
                Self::arity(name, args, ast, 2, 2)?;
                let checked = self.args(args)?;
                for ((_, t), a) in checked.iter().zip(args) {
                    if !matches!(t, Ty::Date | Ty::Any | Ty::Null) {
                        return Err(err(a, format!("`days_between` needs two dates, but this is {t}")));
                    }
                }
                Ok((Node::Func(Func::DaysBetween, checked.into_iter().map(|(n, _)| n).collect()), Ty::Number))
            }
            "today" => {
                Self::arity(name, args, ast, 0, 0)?;
                Ok((Node::Today, Ty::Date))
            }
            "date" => {
                Self::arity(name, args, ast, 1, 1)?;
                if let AstKind::Str(text) = &args[0].kind {
                    let d = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
                        err(&args[0], format!("`{text}` is not a real date in the form YYYY-MM-DD"))
                    })?;
                    return Ok((Node::Const(Value::Date(d)), Ty::Date));
                }
                let (n, t) = self.expr(&args[0])?;
                if !matches!(t, Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(
                        &args[0],
                        format!("`date` needs text in the form YYYY-MM-DD, but this is {t}"),
                    ));
                }
                Ok((Node::Func(Func::Date, vec![n]), Ty::Date))
            }
            "abs" => {
                Self::arity(name, args, ast, 1, 1)?;
                let (n, t) = self.expr(&args[0])?;
                self.expect_number(&t, &args[0], "abs")?;
                Ok((Node::Func(Func::Abs, vec![n]), Ty::Number))
            }
            "round" => {
                Self::arity(name, args, ast, 1, 2)?;
                let checked = self.args(args)?;
                for ((_, t), a) in checked.iter().zip(args) {
                    self.expect_number(t, a, "round")?;
                }
                Ok((Node::Func(Func::Round, checked.into_iter().map(|(n, _)| n).collect()), Ty::Number))
            }
            "has" | "int" | "double" | "string" | "timestamp" | "duration" | "dyn" | "type" | "uint"
            | "bytes" => Err(ExprError::new(
                name_start,
                name.chars().count() as u32,
                format!("`{name}` is a CEL function that formwork does not support"),
            )),
            other => {
                let known = [
                    "sum",
                    "count",
                    "size",
                    "min",
                    "max",
                    "coalesce",
                    "days_between",
                    "today",
                    "date",
                    "abs",
                    "round",
                ];
                let mut e = ExprError::new(
                    name_start,
                    other.chars().count() as u32,
                    format!("`{other}` is not a known function"),
                );
                if let Some(close) = did_you_mean(other, known) {
                    e = e.with_help(format!("did you mean `{close}`?"));
                } else {
                    e = e.with_help(format!("functions are: {}", known.join(", ")));
                }
                Err(e)
            }
        }
    }

    fn expect_number(&self, ty: &Ty, ast: &Ast, name: &str) -> Result<(), ExprError> {
        if matches!(ty, Ty::Number | Ty::Any | Ty::Null) {
            Ok(())
        } else {
            Err(err(ast, format!("`{name}` needs a number, but this is {ty}")))
        }
    }

    fn method(
        &mut self,
        target: &Ast,
        name: &str,
        name_start: u32,
        args: &[Ast],
        ast: &Ast,
    ) -> Result<(Node, Ty), ExprError> {
        let macro_kind = match name {
            "all" => Some(MacroKind::All),
            "exists" => Some(MacroKind::Exists),
            "exists_one" => Some(MacroKind::ExistsOne),
            "filter" => Some(MacroKind::Filter),
            "map" => Some(MacroKind::Map),
            _ => None,
        };
        if let Some(kind) = macro_kind {
            return self.macro_call(kind, target, name, args, ast);
        }
        let (t, tt) = self.expr(target)?;
        match name {
            "size" => {
                Self::arity(name, args, ast, 0, 0)?;
                if !matches!(tt, Ty::List(_) | Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(target, format!("`.size()` needs a list or text, but this is {tt}")));
                }
                Ok((Node::Func(Func::Size, vec![t]), Ty::Number))
            }
            "contains" | "startsWith" | "endsWith" => {
                Self::arity(name, args, ast, 1, 1)?;
                if !matches!(tt, Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(target, format!("`.{name}()` needs text, but this is {tt}"))
                        .with_help("to test whether a list holds a value, use `value in list`"));
                }
                let (a, at) = self.expr(&args[0])?;
                if !matches!(at, Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(&args[0], format!("`.{name}()` needs text, but this is {at}")));
                }
                let func = match name {
                    "contains" => Func::Contains,
                    "startsWith" => Func::StartsWith,
                    _ => Func::EndsWith,
                };
                Ok((Node::Func(func, vec![t, a]), Ty::Bool))
            }
            "matches" => {
                Self::arity(name, args, ast, 1, 1)?;
                if !matches!(tt, Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null) {
                    return Err(err(target, format!("`.matches()` needs text, but this is {tt}")));
                }
                let AstKind::Str(pattern) = &args[0].kind else {
                    return Err(err(&args[0], "`.matches()` needs a regular expression written as a string"));
                };
                let regex = RegexBuilder::new(pattern).size_limit(1 << 20).build().map_err(|e| {
                    err(
                        &args[0],
                        format!("this is not a valid regular expression: {}", first_line(&e.to_string())),
                    )
                })?;
                Ok((Node::Matches(boxed(t), Arc::new(regex)), Ty::Bool))
            }
            other => {
                let known = [
                    "size",
                    "contains",
                    "startsWith",
                    "endsWith",
                    "matches",
                    "all",
                    "exists",
                    "exists_one",
                    "filter",
                    "map",
                ];
                let mut e = ExprError::new(
                    name_start,
                    other.chars().count() as u32,
                    format!("`.{other}()` is not a known method"),
                );
                if let Some(close) = did_you_mean(other, known) {
                    e = e.with_help(format!("did you mean `.{close}()`?"));
                }
                Err(e)
            }
        }
    }

    fn macro_call(
        &mut self,
        kind: MacroKind,
        target: &Ast,
        name: &str,
        args: &[Ast],
        ast: &Ast,
    ) -> Result<(Node, Ty), ExprError> {
        let max = if kind == MacroKind::Map { 3 } else { 2 };
        Self::arity(name, args, ast, 2, max)?;
        let (list, lt) = self.expr(target)?;
        let element = match lt {
            Ty::List(inner) => *inner,
            Ty::Any | Ty::Null => Ty::Any,
            other => {
                return Err(err(
                    target,
                    format!("`.{name}()` works on a list or table, but this is {other}"),
                ));
            }
        };
        let AstKind::Ident(var) = &args[0].kind else {
            return Err(err(
                &args[0],
                format!("the first argument of `.{name}()` must be a name for each item, such as `r`"),
            ));
        };
        if self.env.globals.contains_key(var) {
            return Err(err(
                &args[0],
                format!("`{var}` is already the id of a question; choose another name for each item"),
            ));
        }
        self.locals.push((var.clone(), element.clone()));
        let local = (self.locals.len() - 1) as u32;
        let body = self.expr(&args[1]);
        let transform = if args.len() == 3 { Some(self.expr(&args[2])) } else { None };
        self.locals.pop();
        let (body, bt) = body?;
        let transform = transform.transpose()?;
        let condition = format!("the condition of `.{name}()` must be true or false");
        let result_ty = match (kind, &transform) {
            (MacroKind::Map, None) => Ty::List(Box::new(bt)),
            (MacroKind::Map, Some((_, tt))) => {
                self.expect_bool(
                    &bt,
                    &args[1],
                    "the filter of a three-argument `.map()` must be true or false",
                )?;
                Ty::List(Box::new(tt.clone()))
            }
            (MacroKind::Filter, _) => {
                self.expect_bool(&bt, &args[1], &condition)?;
                Ty::List(Box::new(element))
            }
            (MacroKind::All | MacroKind::Exists | MacroKind::ExistsOne, _) => {
                self.expect_bool(&bt, &args[1], &condition)?;
                Ty::Bool
            }
        };
        let transform = transform.map(|(n, _)| boxed(n));
        Ok((Node::Macro { kind, list: boxed(list), local, body: boxed(body), transform }, result_ty))
    }

    fn binary(&mut self, op: BinOp, a: &Ast, b: &Ast, ast: &Ast) -> Result<(Node, Ty), ExprError> {
        let (na, ta) = self.expr(a)?;
        let (nb, tb) = self.expr(b)?;
        let ty = match op {
            BinOp::Add => match (&ta, &tb) {
                (Ty::Number, Ty::Number) => Ty::Number,
                (x, y) if x.is_text() && y.is_text() => Ty::Text,
                (Ty::List(_), Ty::List(_)) => {
                    unify(&ta, &tb).ok_or_else(|| err(ast, format!("cannot join {ta} and {tb}")))?
                }
                (x, y) if x.is_open() || y.is_open() => {
                    if x.is_open() {
                        tb.clone()
                    } else {
                        ta.clone()
                    }
                }
                (Ty::Date, Ty::Number) | (Ty::Number, Ty::Date) => {
                    return Err(err(ast, "cannot add a number to a date")
                        .with_help("compare dates directly, or use `days_between(a, b)`"));
                }
                _ => return Err(err(ast, format!("cannot add {tb} to {ta}"))),
            },
            BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                let ok = |t: &Ty| matches!(t, Ty::Number | Ty::Any | Ty::Null);
                if !ok(&ta) || !ok(&tb) {
                    let mut e =
                        err(ast, format!("`{}` needs two numbers, but these are {ta} and {tb}", op.symbol()));
                    if op == BinOp::Sub && ta == Ty::Date && tb == Ty::Date {
                        e = e.with_help(
                            "to count the days from one date to another, use `days_between(a, b)`",
                        );
                    }
                    return Err(e);
                }
                Ty::Number
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = |t: &Ty| {
                    matches!(t, Ty::Number | Ty::Date | Ty::Text | Ty::Choice(_) | Ty::Any | Ty::Null)
                };
                if !ordered(&ta)
                    || !ordered(&tb)
                    || (!ta.is_open() && !tb.is_open() && unify(&ta, &tb).is_none())
                {
                    return Err(
                        err(ast, format!("cannot compare {ta} with {tb}")).with_help(compare_help(&ta, &tb))
                    );
                }
                Ty::Bool
            }
            BinOp::Eq | BinOp::Ne => {
                if !comparable_for_equality(&ta, &tb) {
                    return Err(
                        err(ast, format!("cannot compare {ta} with {tb}")).with_help(compare_help(&ta, &tb))
                    );
                }
                self.check_choice_literal(&ta, b)?;
                self.check_choice_literal(&tb, a)?;
                Ty::Bool
            }
            BinOp::In => {
                match &tb {
                    Ty::List(inner) => {
                        if !comparable_for_equality(&ta, inner) {
                            return Err(err(ast, format!("{ta} can never be in {tb}")));
                        }
                        self.check_choice_literal(inner, a)?;
                    }
                    Ty::Any | Ty::Null => {}
                    other => {
                        return Err(err(b, format!("the right of `in` must be a list, but this is {other}")));
                    }
                }
                Ty::Bool
            }
        };
        Ok((Node::Binary(op, boxed(na), boxed(nb)), ty))
    }

    /// `rag == "gren"`: a literal compared with a choice must be one of the list's values.
    fn check_choice_literal(&self, ty: &Ty, literal: &Ast) -> Result<(), ExprError> {
        let (Ty::Choice(list), AstKind::Str(text)) = (ty, &literal.kind) else {
            return Ok(());
        };
        let Some((list_id, values)) = self.env.choice_lists.get(*list as usize) else {
            return Ok(());
        };
        if values.iter().any(|v| v == text) {
            return Ok(());
        }
        let mut e = err(literal, format!("`{text}` is not a value of the choice list `{list_id}`"));
        if let Some(close) = did_you_mean(text, values.iter().map(String::as_str)) {
            e = e.with_help(format!("did you mean `{close}`? Compare with a choice's value, not its label"));
        } else if values.len() <= 12 {
            e = e.with_help(format!("its values are: {}", values.join(", ")));
        }
        Err(e)
    }
}

fn compare_help(a: &Ty, b: &Ty) -> String {
    match (a, b) {
        (Ty::Date, Ty::Number) | (Ty::Number, Ty::Date) => {
            "compare a date with another date, e.g. `end_date >= start_date` or `end_date <= date('2027-03-31')`".into()
        }
        (Ty::Text | Ty::Choice(_), Ty::Number) | (Ty::Number, Ty::Text | Ty::Choice(_)) => {
            "choice values are text: write the value in quotes, e.g. `rent_period == '1'`".into()
        }
        (Ty::Bool, _) | (_, Ty::Bool) => "a yes/no question is true or false: use it directly, e.g. `has_changes` or `!has_changes`".into(),
        _ => "both sides must be of the same type".into(),
    }
}

fn first_line(s: &str) -> String {
    s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(s).trim().to_string()
}

/// Parse a number literal exactly.
fn number(text: &str, ast: &Ast) -> Result<Decimal, ExprError> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let parsed = if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok().map(Decimal::from)
    } else if body.contains(['e', 'E']) {
        Decimal::from_scientific(body).ok()
    } else {
        Decimal::from_str(body).ok()
    };
    match parsed {
        Some(n) => Ok(if negative { -n } else { n }),
        None => Err(err(ast, format!("`{text}` is not a number formwork can hold exactly"))
            .with_help("numbers can have up to 28 significant digits")),
    }
}
