//! Deciding whether a document matches a parsed query.

use std::cmp::Ordering;

use super::ast::{Bound, Node, Value};
use super::Searchable;

/// How a field's values are compared with a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Whole-value equality against each value (ids, names, keywords, tags).
    Exact,
    /// Equality, or for a bare word one of the type's words.
    Type,
    /// Numbers (epoch milliseconds): numeric equality.
    Number,
    /// Free text: word and phrase containment.
    Text,
}

pub(super) fn kind(field: &str) -> Kind {
    match field {
        "id" | "owner" | "orgid" | "group" | "access" | "username" | "tags" | "typekeywords"
        | "categories" => Kind::Exact,
        "type" => Kind::Type,
        "created" | "modified" => Kind::Number,
        _ => Kind::Text,
    }
}

pub(super) fn matches(node: &Node, doc: &dyn Searchable) -> bool {
    match node {
        Node::All => true,
        Node::Not(inner) => !matches(inner, doc),
        Node::And(items) => items.iter().all(|item| matches(item, doc)),
        Node::Or(items) => items.iter().any(|item| matches(item, doc)),
        Node::Term {
            field: Some(field),
            value,
        } => field_matches(doc, field, value),
        Node::Term { field: None, value } => doc
            .default_fields()
            .iter()
            .any(|field| field_matches(doc, &field.to_ascii_lowercase(), value)),
        Node::Range {
            field,
            lower,
            upper,
        } => doc
            .field_values(field)
            .iter()
            .any(|value| in_range(value, lower, upper)),
    }
}

fn field_matches(doc: &dyn Searchable, field: &str, value: &Value) -> bool {
    let kind = kind(field);
    doc.field_values(field)
        .iter()
        .any(|candidate| value_matches(kind, candidate, value))
}

/// Whether a whole-value field's `candidate` (e.g. an access level) matches `value`.
pub(super) fn exact_value_matches(candidate: &str, value: &Value) -> bool {
    value_matches(Kind::Exact, candidate, value)
}

fn value_matches(kind: Kind, candidate: &str, value: &Value) -> bool {
    match value {
        Value::Any => !candidate.is_empty(),
        Value::Phrase { text, words: terms } => match kind {
            Kind::Exact | Kind::Type => eq_ci(candidate, text),
            Kind::Number => number_eq(candidate, text),
            Kind::Text => contains_run(&words(candidate), terms, false),
        },
        Value::Word {
            text,
            words: terms,
            prefix,
        } => match kind {
            Kind::Exact => {
                if *prefix {
                    starts_with_ci(candidate, text)
                } else {
                    eq_ci(candidate, text)
                }
            }
            Kind::Type => {
                let whole = if *prefix {
                    starts_with_ci(candidate, text)
                } else {
                    eq_ci(candidate, text)
                };
                whole || (!terms.is_empty() && contains_run(&words(candidate), terms, *prefix))
            }
            Kind::Number => {
                if *prefix {
                    starts_with_ci(candidate, text)
                } else {
                    number_eq(candidate, text)
                }
            }
            Kind::Text => contains_run(&words(candidate), terms, *prefix),
        },
    }
}

/// Lower-cases character by character (the same mapping on both sides of every comparison).
pub(crate) fn lower(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// The lower-cased words of a text: runs of alphanumeric characters.
pub(crate) fn words(text: &str) -> Vec<String> {
    lower(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_string)
        .collect()
}

/// `candidate`, lower-cased, equals `lowered`.
fn eq_ci(candidate: &str, lowered: &str) -> bool {
    candidate
        .chars()
        .flat_map(char::to_lowercase)
        .eq(lowered.chars())
}

/// `candidate`, lower-cased, starts with `lowered`.
fn starts_with_ci(candidate: &str, lowered: &str) -> bool {
    let mut have = candidate.chars().flat_map(char::to_lowercase);
    lowered.chars().all(|want| have.next() == Some(want))
}

/// `terms` occur as consecutive words of `text`; with `prefix`, the last term need only begin
/// its word. No terms (a term with no letters or digits) is contained in any text.
fn contains_run(text: &[String], terms: &[String], prefix: bool) -> bool {
    let Some(last) = terms.len().checked_sub(1) else {
        return true;
    };
    text.windows(terms.len()).any(|window| {
        window
            .iter()
            .zip(terms)
            .enumerate()
            .all(|(k, (word, term))| {
                if prefix && k == last {
                    word.starts_with(term.as_str())
                } else {
                    word == term
                }
            })
    })
}

/// An integer, leading zeros and sign allowed.
pub(super) fn integer(text: &str) -> Option<i128> {
    text.trim().parse::<i128>().ok()
}

fn number_eq(candidate: &str, lowered: &str) -> bool {
    match (integer(candidate), integer(lowered)) {
        (Some(a), Some(b)) => a == b,
        _ => eq_ci(candidate, lowered),
    }
}

/// Compares a value with a bound: numerically when both are integers, otherwise as lower-cased
/// text.
fn compare(candidate: &str, bound: &str) -> Ordering {
    match (integer(candidate), integer(bound)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => lower(candidate).cmp(&lower(bound)),
    }
}

fn in_range(candidate: &str, lower_bound: &Bound, upper_bound: &Bound) -> bool {
    let above = match &lower_bound.value {
        None => true,
        Some(bound) => match compare(candidate, bound) {
            Ordering::Greater => true,
            Ordering::Equal => lower_bound.inclusive,
            Ordering::Less => false,
        },
    };
    let below = match &upper_bound.value {
        None => true,
        Some(bound) => match compare(candidate, bound) {
            Ordering::Less => true,
            Ordering::Equal => upper_bound.inclusive,
            Ordering::Greater => false,
        },
    };
    above && below
}
