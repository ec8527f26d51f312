//! Recursive descent over the tokens:
//!
//! ```text
//! query   := or
//! or      := and ( OR and )*
//! and     := unary ( [AND] unary )*          -- no operator means AND
//! unary   := ( NOT | '-' | '+' )* primary     -- applied iteratively, not recursively
//! primary := '(' or ')' | field ':' value | word | phrase   [modifier]*
//! value   := word | phrase | '(' or ')' | ('['|'{') bound TO bound (']'|'}')
//! ```
//!
//! Recursion happens only through parentheses, whose depth is limited to [`MAX_DEPTH`].

use super::ast::{self, Bound, Node, Value};
use super::lexer::{Tok, Token};
use super::limits::check_term;
use super::{invalid, MAX_DEPTH};
use crate::error::DomainError;

pub(super) fn parse_tokens(tokens: Vec<Token>) -> Result<Node, DomainError> {
    let mut parser = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    let root = parser.or(None)?;
    match parser.peek() {
        None => Ok(root),
        Some(Token {
            tok: Tok::RParen,
            pos,
        }) => Err(invalid(format!(
            "Unbalanced parenthesis at position {pos}."
        ))),
        Some(token) => Err(unexpected(token)),
    }
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
}

fn unexpected(token: &Token) -> DomainError {
    invalid(format!(
        "Unexpected {} at position {}.",
        token.tok.describe(),
        token.pos
    ))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        if token.is_some() {
            self.next += 1;
        }
        token
    }

    /// After an operator: something it can apply to must follow.
    fn expect_operand(&self, operator: &str, pos: usize) -> Result<(), DomainError> {
        match self.peek().map(|token| &token.tok) {
            None | Some(Tok::RParen) | Some(Tok::And) | Some(Tok::Or) => Err(invalid(format!(
                "{operator} at position {pos} must be followed by a term."
            ))),
            Some(_) => Ok(()),
        }
    }

    fn or(&mut self, field: Option<&str>) -> Result<Node, DomainError> {
        let mut items = vec![self.and(field)?];
        while let Some(Token { tok: Tok::Or, pos }) = self.peek() {
            let pos = *pos;
            self.next += 1;
            self.expect_operand("OR", pos)?;
            items.push(self.and(field)?);
        }
        Ok(ast::or(items))
    }

    fn and(&mut self, field: Option<&str>) -> Result<Node, DomainError> {
        let mut items = vec![self.unary(field)?];
        loop {
            match self.peek() {
                None
                | Some(Token {
                    tok: Tok::RParen | Tok::Or,
                    ..
                }) => break,
                Some(Token { tok: Tok::And, pos }) => {
                    let pos = *pos;
                    self.next += 1;
                    self.expect_operand("AND", pos)?;
                }
                Some(_) => {}
            }
            items.push(self.unary(field)?);
        }
        Ok(ast::and(items))
    }

    fn unary(&mut self, field: Option<&str>) -> Result<Node, DomainError> {
        let mut negate = false;
        while let Some(token) = self.peek() {
            let (operator, flips) = match token.tok {
                Tok::Not => ("NOT", true),
                Tok::Prohibit => ("'-'", true),
                Tok::Require => ("'+'", false),
                _ => break,
            };
            let pos = token.pos;
            self.next += 1;
            self.expect_operand(operator, pos)?;
            negate ^= flips;
        }
        let node = self.primary(field)?;
        Ok(if negate {
            Node::Not(Box::new(node))
        } else {
            node
        })
    }

    fn primary(&mut self, field: Option<&str>) -> Result<Node, DomainError> {
        let Some(token) = self.bump() else {
            return Err(invalid("Expected a term at the end of the query.".into()));
        };
        let node = match token.tok {
            Tok::LParen => self.group(field, token.pos)?,
            Tok::Field(name) => self.field_value(&name, token.pos)?,
            Tok::Word { text, prefix } => term(field, Value::word(&text, prefix))?,
            Tok::Phrase(text) => term(field, Value::phrase(&text))?,
            Tok::RParen => {
                return Err(invalid(format!(
                    "Unbalanced parenthesis at position {}.",
                    token.pos
                )))
            }
            _ => return Err(unexpected(&token)),
        };
        while let Some(Token {
            tok: Tok::Modifier, ..
        }) = self.peek()
        {
            self.next += 1;
        }
        Ok(node)
    }

    /// `( … )`; the opening parenthesis at `open` is consumed. Terms inside without a field of
    /// their own apply to `field`.
    fn group(&mut self, field: Option<&str>, open: usize) -> Result<Node, DomainError> {
        if self.depth >= MAX_DEPTH {
            return Err(invalid(format!(
                "Parentheses nested more than {MAX_DEPTH} deep at position {open}."
            )));
        }
        match self.peek() {
            None => {
                return Err(invalid(format!(
                    "Unbalanced parenthesis at position {open}."
                )))
            }
            Some(Token {
                tok: Tok::RParen, ..
            }) => return Err(invalid(format!("Empty parentheses at position {open}."))),
            Some(_) => {}
        }
        self.depth += 1;
        let inner = self.or(field)?;
        self.depth -= 1;
        match self.bump() {
            Some(Token {
                tok: Tok::RParen, ..
            }) => Ok(inner),
            _ => Err(invalid(format!(
                "Unbalanced parenthesis at position {open}."
            ))),
        }
    }

    /// What follows `name:` (at `pos`).
    fn field_value(&mut self, name: &str, pos: usize) -> Result<Node, DomainError> {
        let Some(token) = self.bump() else {
            return Err(invalid(format!(
                "Missing value after '{name}:' at position {pos}."
            )));
        };
        match token.tok {
            Tok::Word { text, prefix } => term(Some(name), Value::word(&text, prefix)),
            Tok::Phrase(text) => term(Some(name), Value::phrase(&text)),
            Tok::LParen => self.group(Some(name), token.pos),
            Tok::RangeOpen { inclusive } => self.range(name, inclusive, token.pos),
            _ => Err(invalid(format!(
                "Expected a value after '{name}:' at position {}.",
                token.pos
            ))),
        }
    }

    /// `[lower TO upper]`; the opening bracket at `open` is consumed.
    fn range(&mut self, name: &str, inclusive: bool, open: usize) -> Result<Node, DomainError> {
        let unclosed = || invalid(format!("Unclosed range starting at position {open}."));
        let lower = self.bound(open)?;
        match self.bump() {
            Some(Token { tok: Tok::To, .. }) => {}
            Some(token) => {
                return Err(invalid(format!(
                    "Expected TO in the range at position {}.",
                    token.pos
                )))
            }
            None => return Err(unclosed()),
        }
        let upper = self.bound(open)?;
        let upper_inclusive = match self.bump() {
            Some(Token {
                tok: Tok::RangeClose { inclusive },
                ..
            }) => inclusive,
            Some(token) => {
                return Err(invalid(format!(
                    "Expected ']' or '}}' to close the range at position {}.",
                    token.pos
                )))
            }
            None => return Err(unclosed()),
        };
        Ok(Node::Range {
            field: name.to_string(),
            lower: Bound {
                value: lower,
                inclusive,
            },
            upper: Bound {
                value: upper,
                inclusive: upper_inclusive,
            },
        })
    }

    /// One end of a range: a word (`*` for unbounded) or a phrase.
    fn bound(&mut self, open: usize) -> Result<Option<String>, DomainError> {
        match self.bump() {
            Some(Token {
                tok: Tok::Word { text, .. },
                ..
            }) => Ok((text != "*").then_some(text)),
            Some(Token {
                tok: Tok::Phrase(text),
                ..
            }) => Ok(Some(text)),
            Some(token) => Err(invalid(format!(
                "Missing range bound at position {}.",
                token.pos
            ))),
            None => Err(invalid(format!(
                "Unclosed range starting at position {open}."
            ))),
        }
    }
}

/// A term on `field` (`None`: the default fields), refused when longer than the index can
/// answer exactly (see `limits.rs`).
fn term(field: Option<&str>, value: Value) -> Result<Node, DomainError> {
    check_term(field, &value)?;
    Ok(match (field, value) {
        (None, Value::Any) => Node::All,
        (field, value) => Node::Term {
            field: field.map(str::to_string),
            value,
        },
    })
}
