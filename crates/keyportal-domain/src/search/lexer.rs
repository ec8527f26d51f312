//! Splits a query into tokens. Positions are 1-based character positions.

use super::{invalid, quote};
use crate::error::DomainError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Tok {
    LParen,
    RParen,
    /// `[` (inclusive) or `{` (exclusive) right after `field:`.
    RangeOpen {
        inclusive: bool,
    },
    /// `]` (inclusive) or `}` (exclusive) closing a range.
    RangeClose {
        inclusive: bool,
    },
    /// `TO` inside a range.
    To,
    /// `AND` or `&&`.
    And,
    /// `OR` or `||`.
    Or,
    /// `NOT`.
    Not,
    /// A leading `+`.
    Require,
    /// A leading `-`.
    Prohibit,
    /// `name:` (lower-cased name, colon consumed).
    Field(String),
    /// An unquoted term, escapes resolved; `prefix` when it ended with an unescaped `*` (removed).
    /// Inside a range the text is kept as written (`*` is an open bound).
    Word {
        text: String,
        prefix: bool,
    },
    /// A quoted phrase, without its quotes, escapes resolved.
    Phrase(String),
    /// A boost (`^2`) or fuzziness (`~`, `~0.8`) suffix: accepted and ignored.
    Modifier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) tok: Tok,
    pub(super) pos: usize,
}

impl Tok {
    /// How an error detail names this token.
    pub(super) fn describe(&self) -> String {
        match self {
            Tok::LParen => "'('".into(),
            Tok::RParen => "')'".into(),
            Tok::RangeOpen { inclusive: true } => "'['".into(),
            Tok::RangeOpen { inclusive: false } => "'{'".into(),
            Tok::RangeClose { inclusive: true } => "']'".into(),
            Tok::RangeClose { inclusive: false } => "'}'".into(),
            Tok::To => "TO".into(),
            Tok::And => "AND".into(),
            Tok::Or => "OR".into(),
            Tok::Not => "NOT".into(),
            Tok::Require => "'+'".into(),
            Tok::Prohibit => "'-'".into(),
            Tok::Field(name) => format!("'{}:'", quote(name)),
            Tok::Word { text, prefix } => {
                format!("'{}{}'", quote(text), if *prefix { "*" } else { "" })
            }
            Tok::Phrase(text) => format!("\"{}\"", quote(text)),
            Tok::Modifier => "a boost or fuzziness modifier".into(),
        }
    }
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, DomainError> {
    Lexer {
        chars: input.chars().collect(),
        i: 0,
        tokens: Vec::new(),
        after_field: false,
        in_range: false,
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    tokens: Vec<Token>,
    /// The previous token was `field:`: the next one is a value, so `-`, `+`, `&&`, keywords and
    /// colons are ordinary characters and `[` / `{` open a range.
    after_field: bool,
    /// Between `[`/`{` and `]`/`}`.
    in_range: bool,
}

impl Lexer {
    fn run(mut self) -> Result<Vec<Token>, DomainError> {
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() {
                self.i += 1;
                continue;
            }
            let start = self.i;
            let tok = if self.in_range {
                self.range_token(c)?
            } else {
                self.token(c)?
            };
            if self.i == start {
                // Every branch consumes input; this guards the loop should one ever not.
                return Err(invalid(format!(
                    "Unexpected character '{c}' at position {}.",
                    start + 1
                )));
            }
            self.after_field = matches!(tok, Tok::Field(_));
            match tok {
                Tok::RangeOpen { .. } => self.in_range = true,
                Tok::RangeClose { .. } => self.in_range = false,
                _ => {}
            }
            self.tokens.push(Token {
                tok,
                pos: start + 1,
            });
        }
        Ok(self.tokens)
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    fn token(&mut self, c: char) -> Result<Tok, DomainError> {
        let next = self.peek(1);
        let tok = match c {
            '(' => {
                self.i += 1;
                Tok::LParen
            }
            ')' => {
                self.i += 1;
                Tok::RParen
            }
            '"' => Tok::Phrase(self.phrase()?),
            '[' | '{' if self.after_field => {
                self.i += 1;
                Tok::RangeOpen {
                    inclusive: c == '[',
                }
            }
            '-' | '+' if !self.after_field && next.is_some_and(|n| !n.is_whitespace()) => {
                self.i += 1;
                if c == '-' {
                    Tok::Prohibit
                } else {
                    Tok::Require
                }
            }
            '&' | '|' if !self.after_field && next == Some(c) => {
                self.i += 2;
                if c == '&' {
                    Tok::And
                } else {
                    Tok::Or
                }
            }
            '^' | '~' if !self.after_field && self.modifier_len().is_some() => {
                self.i += self.modifier_len().unwrap_or(1);
                Tok::Modifier
            }
            _ => self.word(),
        };
        Ok(tok)
    }

    fn range_token(&mut self, c: char) -> Result<Tok, DomainError> {
        let tok = match c {
            ']' | '}' => {
                self.i += 1;
                Tok::RangeClose {
                    inclusive: c == ']',
                }
            }
            '"' => Tok::Phrase(self.phrase()?),
            _ => {
                let mut text = String::new();
                while let Some(c) = self.peek(0) {
                    if c.is_whitespace() || c == ']' || c == '}' || c == '"' {
                        break;
                    }
                    self.i += 1;
                    if c == '\\' {
                        if let Some(escaped) = self.peek(0) {
                            text.push(escaped);
                            self.i += 1;
                            continue;
                        }
                    }
                    text.push(c);
                }
                if text == "TO" {
                    Tok::To
                } else {
                    Tok::Word {
                        text,
                        prefix: false,
                    }
                }
            }
        };
        Ok(tok)
    }

    /// A quoted phrase; `self.i` is at the opening quote.
    fn phrase(&mut self) -> Result<String, DomainError> {
        let open = self.i + 1;
        self.i += 1;
        let mut text = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                return Err(invalid(format!(
                    "Unbalanced quotation mark at position {open}."
                )));
            };
            self.i += 1;
            match c {
                '"' => return Ok(text),
                '\\' => {
                    if let Some(escaped) = self.peek(0) {
                        text.push(escaped);
                        self.i += 1;
                    }
                }
                _ => text.push(c),
            }
        }
    }

    /// An unquoted word, a field name (`name:`) or an operator keyword.
    fn word(&mut self) -> Tok {
        let value_mode = self.after_field;
        let mut text = String::new();
        let mut escaped = false;
        let mut trailing_stars = 0usize;
        while let Some(c) = self.peek(0) {
            if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                break;
            }
            if c == '\\' {
                escaped = true;
                trailing_stars = 0;
                self.i += 1;
                match self.peek(0) {
                    Some(next) => {
                        text.push(next);
                        self.i += 1;
                    }
                    None => text.push('\\'),
                }
                continue;
            }
            if c == ':' && !value_mode && !escaped && is_field_name(&text) {
                self.i += 1;
                return Tok::Field(text.to_ascii_lowercase());
            }
            if (c == '^' || c == '~') && !text.is_empty() && self.modifier_len().is_some() {
                break;
            }
            if c == '*' {
                trailing_stars += 1;
            } else {
                trailing_stars = 0;
            }
            text.push(c);
            self.i += 1;
        }
        if !escaped && !value_mode {
            match text.as_str() {
                "AND" => return Tok::And,
                "OR" => return Tok::Or,
                "NOT" => return Tok::Not,
                _ => {}
            }
        }
        // The trailing stars are ASCII, one byte each.
        text.truncate(text.len().saturating_sub(trailing_stars));
        Tok::Word {
            text,
            prefix: trailing_stars > 0,
        }
    }

    /// Length of a boost (`^2`, `^0.5`) or fuzziness (`~`, `~2`, `~0.8`) suffix starting at
    /// `self.i`, when one does and is followed by the end of the term.
    fn modifier_len(&self) -> Option<usize> {
        let sigil = self.peek(0)?;
        let mut len = 1;
        let digits = |from: usize| {
            (from..)
                .take_while(|&k| self.peek(k).is_some_and(|c| c.is_ascii_digit()))
                .count()
        };
        let whole = digits(len);
        if sigil == '^' && whole == 0 {
            return None;
        }
        if sigil != '^' && sigil != '~' {
            return None;
        }
        len += whole;
        if whole > 0 && self.peek(len) == Some('.') {
            let fraction = digits(len + 1);
            if fraction == 0 {
                return None;
            }
            len += 1 + fraction;
        }
        match self.peek(len) {
            None => Some(len),
            Some(c) if c.is_whitespace() || c == '(' || c == ')' || c == '"' => Some(len),
            Some(_) => None,
        }
    }
}

/// A field name: an ASCII letter or `_`, then ASCII letters, digits, `_` or `.`.
fn is_field_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
}
