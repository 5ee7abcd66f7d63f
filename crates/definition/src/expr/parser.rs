//! Parse tokens into a syntax tree, following CEL's grammar and precedence.

use super::ExprError;
use super::lexer::{Tok, Token};

/// The deepest nesting an expression may have (brackets, operators, calls).
pub const MAX_DEPTH: u32 = 32;
/// The most nodes an expression may have.
pub const MAX_NODES: u32 = 2_000;

/// A node of the syntax tree with its character range in the expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Ast {
    pub kind: AstKind,
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AstKind {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Ident(String),
    /// `target.name`
    Member(Box<Ast>, String),
    /// `name(args)` or `target.name(args)`
    Call {
        target: Option<Box<Ast>>,
        name: String,
        name_start: u32,
        args: Vec<Ast>,
    },
    Index(Box<Ast>, Box<Ast>),
    List(Vec<Ast>),
    Not(Box<Ast>),
    Neg(Box<Ast>),
    Binary(BinOp, Box<Ast>, Box<Ast>),
    And(Box<Ast>, Box<Ast>),
    Or(Box<Ast>, Box<Ast>),
    Cond(Box<Ast>, Box<Ast>, Box<Ast>),
}

/// Binary operators other than `&&` and `||`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    In,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::In => "in",
        }
    }
}

pub(crate) fn parse(tokens: Vec<Token>) -> Result<Ast, ExprError> {
    let mut p = Parser { tokens, pos: 0, depth: 0, nodes: 0 };
    let ast = p.expr()?;
    let t = p.peek();
    if t.kind != Tok::Eof {
        return Err(ExprError::new(
            t.start,
            t.end - t.start,
            format!("unexpected {} after a complete expression", t.kind.describe()),
        )
        .with_help("check for a missing operator such as `&&` or `||`"));
    }
    Ok(ast)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: u32,
    nodes: u32,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn eat(&mut self, kind: &Tok) -> bool {
        if &self.peek().kind == kind {
            self.next();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, kind: Tok, what: &str) -> Result<Token, ExprError> {
        let t = self.next();
        if t.kind == kind {
            Ok(t)
        } else {
            Err(ExprError::new(
                t.start,
                (t.end - t.start).max(1),
                format!("expected {what}, found {}", t.kind.describe()),
            ))
        }
    }

    fn node(&mut self, kind: AstKind, start: u32, end: u32) -> Result<Ast, ExprError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(ExprError::new(
                start,
                end - start,
                format!("the expression has more than {MAX_NODES} parts"),
            )
            .with_help("split it into several rules or calculated questions"));
        }
        Ok(Ast { kind, start, end })
    }

    fn enter(&mut self) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let t = self.peek();
            return Err(ExprError::new(
                t.start,
                1,
                format!("the expression is nested more than {MAX_DEPTH} levels deep"),
            )
            .with_help("split it into several rules or calculated questions"));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Ast, ExprError> {
        self.enter()?;
        let cond = self.or()?;
        let result = if self.eat(&Tok::Question) {
            let then = self.or()?;
            self.expect(Tok::Colon, "`:` in `condition ? a : b`")?;
            let otherwise = self.expr()?;
            let (start, end) = (cond.start, otherwise.end);
            self.node(AstKind::Cond(Box::new(cond), Box::new(then), Box::new(otherwise)), start, end)?
        } else {
            cond
        };
        self.depth -= 1;
        Ok(result)
    }

    fn or(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.and()?;
        while self.eat(&Tok::OrOr) {
            let right = self.and()?;
            let (start, end) = (left.start, right.end);
            left = self.node(AstKind::Or(Box::new(left), Box::new(right)), start, end)?;
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.relation()?;
        while self.eat(&Tok::AndAnd) {
            let right = self.relation()?;
            let (start, end) = (left.start, right.end);
            left = self.node(AstKind::And(Box::new(left), Box::new(right)), start, end)?;
        }
        Ok(left)
    }

    fn relation(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.addition()?;
        loop {
            let op = match self.peek().kind {
                Tok::Lt => BinOp::Lt,
                Tok::Le => BinOp::Le,
                Tok::Gt => BinOp::Gt,
                Tok::Ge => BinOp::Ge,
                Tok::EqEq => BinOp::Eq,
                Tok::Ne => BinOp::Ne,
                Tok::In => BinOp::In,
                _ => return Ok(left),
            };
            self.next();
            let right = self.addition()?;
            let (start, end) = (left.start, right.end);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), start, end)?;
        }
    }

    fn addition(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.multiplication()?;
        loop {
            let op = match self.peek().kind {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.next();
            let right = self.multiplication()?;
            let (start, end) = (left.start, right.end);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), start, end)?;
        }
    }

    fn multiplication(&mut self) -> Result<Ast, ExprError> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().kind {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok(left),
            };
            self.next();
            let right = self.unary()?;
            let (start, end) = (left.start, right.end);
            left = self.node(AstKind::Binary(op, Box::new(left), Box::new(right)), start, end)?;
        }
    }

    fn unary(&mut self) -> Result<Ast, ExprError> {
        let t = self.peek().clone();
        match t.kind {
            Tok::Not => {
                self.next();
                self.enter()?;
                let operand = self.unary()?;
                self.depth -= 1;
                let end = operand.end;
                self.node(AstKind::Not(Box::new(operand)), t.start, end)
            }
            Tok::Minus => {
                self.next();
                self.enter()?;
                let operand = self.unary()?;
                self.depth -= 1;
                let end = operand.end;
                if let AstKind::Number(n) = &operand.kind {
                    let n = match n.strip_prefix('-') {
                        Some(positive) => positive.to_string(),
                        None => format!("-{n}"),
                    };
                    return self.node(AstKind::Number(n), t.start, end);
                }
                self.node(AstKind::Neg(Box::new(operand)), t.start, end)
            }
            _ => self.member(),
        }
    }

    fn member(&mut self) -> Result<Ast, ExprError> {
        let mut target = self.primary()?;
        loop {
            if self.eat(&Tok::Dot) {
                let name = self.next();
                let Tok::Ident(field) = name.kind else {
                    return Err(ExprError::new(
                        name.start,
                        (name.end - name.start).max(1),
                        format!("expected a name after `.`, found {}", name.kind.describe()),
                    ));
                };
                if self.peek().kind == Tok::LParen {
                    let (args, end) = self.arguments()?;
                    let start = target.start;
                    target = self.node(
                        AstKind::Call {
                            target: Some(Box::new(target)),
                            name: field,
                            name_start: name.start,
                            args,
                        },
                        start,
                        end,
                    )?;
                } else {
                    let start = target.start;
                    target = self.node(AstKind::Member(Box::new(target), field), start, name.end)?;
                }
            } else if self.eat(&Tok::LBracket) {
                self.enter()?;
                let index = self.expr()?;
                self.depth -= 1;
                let close = self.expect(Tok::RBracket, "`]`")?;
                let start = target.start;
                target = self.node(AstKind::Index(Box::new(target), Box::new(index)), start, close.end)?;
            } else {
                return Ok(target);
            }
        }
    }

    /// `( expr, expr, … )` after a function name; returns the arguments and the end offset.
    fn arguments(&mut self) -> Result<(Vec<Ast>, u32), ExprError> {
        self.expect(Tok::LParen, "`(`")?;
        self.enter()?;
        let mut args = Vec::new();
        if self.peek().kind != Tok::RParen {
            loop {
                args.push(self.expr()?);
                if !self.eat(&Tok::Comma) {
                    break;
                }
            }
        }
        self.depth -= 1;
        let close = self.expect(Tok::RParen, "`)` or `,`")?;
        Ok((args, close.end))
    }

    fn primary(&mut self) -> Result<Ast, ExprError> {
        let t = self.peek().clone();
        match t.kind {
            Tok::Null => {
                self.next();
                self.node(AstKind::Null, t.start, t.end)
            }
            Tok::True | Tok::False => {
                self.next();
                self.node(AstKind::Bool(t.kind == Tok::True), t.start, t.end)
            }
            Tok::Number(n) => {
                self.next();
                self.node(AstKind::Number(n), t.start, t.end)
            }
            Tok::Str(s) => {
                self.next();
                self.node(AstKind::Str(s), t.start, t.end)
            }
            Tok::Ident(name) => {
                self.next();
                if self.peek().kind == Tok::LParen {
                    let (args, end) = self.arguments()?;
                    return self.node(
                        AstKind::Call { target: None, name, name_start: t.start, args },
                        t.start,
                        end,
                    );
                }
                self.node(AstKind::Ident(name), t.start, t.end)
            }
            Tok::LParen => {
                self.next();
                self.enter()?;
                let inner = self.expr()?;
                self.depth -= 1;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            Tok::LBracket => {
                self.next();
                self.enter()?;
                let mut items = Vec::new();
                while self.peek().kind != Tok::RBracket {
                    items.push(self.expr()?);
                    if !self.eat(&Tok::Comma) {
                        break;
                    }
                }
                self.depth -= 1;
                let close = self.expect(Tok::RBracket, "`]` or `,`")?;
                self.node(AstKind::List(items), t.start, close.end)
            }
            Tok::LBrace => Err(ExprError::new(
                t.start,
                1,
                "map literals (`{…}`) are not supported in formwork expressions",
            )),
            Tok::Eof => Err(ExprError::new(t.start, 1, "the expression ends too early")
                .with_help("something is missing at the end, such as a value after an operator")),
            other => Err(ExprError::new(
                t.start,
                (t.end - t.start).max(1),
                format!("expected a value, found {}", other.describe()),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::*;

    fn ast(src: &str) -> Ast {
        parse(tokenize(src).unwrap()).unwrap()
    }

    fn err(src: &str) -> ExprError {
        parse(tokenize(src).unwrap()).unwrap_err()
    }

    #[test]
    fn precedence_follows_cel() {
        let a = ast("a || b && c == 1 + 2 * 3");
        let AstKind::Or(_, right) = a.kind else { panic!("{a:?}") };
        let AstKind::And(_, right) = right.kind else { panic!() };
        let AstKind::Binary(BinOp::Eq, _, right) = right.kind else { panic!() };
        let AstKind::Binary(BinOp::Add, _, right) = right.kind else { panic!() };
        assert!(matches!(right.kind, AstKind::Binary(BinOp::Mul, _, _)));
    }

    #[test]
    fn parses_macros_and_members() {
        let a = ast("sum(spend.filter(r, r.source == 'tf').map(r, r.amount))");
        let AstKind::Call { target: None, name, args, .. } = a.kind else { panic!() };
        assert_eq!(name, "sum");
        assert!(matches!(&args[0].kind, AstKind::Call { name, .. } if name == "map"));
    }

    #[test]
    fn reports_trailing_tokens_and_early_end() {
        assert!(err("a b").message.contains("unexpected `b`"));
        assert!(err("a &&").message.contains("ends too early"));
    }

    #[test]
    fn limits_depth() {
        let src = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(err(&src).message.contains("nested more than"));
        let src = format!("{}true", "!".repeat(100));
        assert!(err(&src).message.contains("nested more than"));
    }
}
