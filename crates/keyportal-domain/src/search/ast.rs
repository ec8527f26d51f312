//! The parsed form of a query. Every string in it is already lower-cased and split into words
//! where matching needs that, so matching a document does no work on the query side.

use super::matcher::{lower, words};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    /// `*`: every document.
    All,
    /// A term or phrase, on a field or (`field: None`) on the document's default fields.
    Term {
        field: Option<String>,
        value: Value,
    },
    /// `field:[lower TO upper]`.
    Range {
        field: String,
        lower: Bound,
        upper: Bound,
    },
    Not(Box<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// `field:*`: the field has a non-empty value.
    Any,
    /// An unquoted term; `prefix` when it ended with `*` (removed from `text`).
    Word {
        text: String,
        words: Vec<String>,
        prefix: bool,
    },
    /// A quoted phrase.
    Phrase { text: String, words: Vec<String> },
}

impl Value {
    pub(crate) fn word(raw: &str, prefix: bool) -> Value {
        if prefix && raw.is_empty() {
            return Value::Any;
        }
        Value::Word {
            text: lower(raw),
            words: words(raw),
            prefix,
        }
    }

    pub(crate) fn phrase(raw: &str) -> Value {
        Value::Phrase {
            text: lower(raw),
            words: words(raw),
        }
    }
}

/// One end of a range; `value: None` for `*` (unbounded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bound {
    pub(crate) value: Option<String>,
    pub(crate) inclusive: bool,
}

/// Joins clauses with AND, flattening nested ANDs; one clause stays itself.
pub(crate) fn and(items: Vec<Node>) -> Node {
    join(items, Node::And, |node| match node {
        Node::And(inner) => Ok(inner),
        other => Err(other),
    })
}

/// Joins clauses with OR, flattening nested ORs; one clause stays itself.
pub(crate) fn or(items: Vec<Node>) -> Node {
    join(items, Node::Or, |node| match node {
        Node::Or(inner) => Ok(inner),
        other => Err(other),
    })
}

fn join(
    items: Vec<Node>,
    make: fn(Vec<Node>) -> Node,
    split: fn(Node) -> Result<Vec<Node>, Node>,
) -> Node {
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match split(item) {
            Ok(inner) => flat.extend(inner),
            Err(single) => flat.push(single),
        }
    }
    if flat.len() == 1 {
        if let Some(only) = flat.pop() {
            return only;
        }
    }
    make(flat)
}
