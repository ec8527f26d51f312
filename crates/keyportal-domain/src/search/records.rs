//! Groups and members as search documents ("records"): one plan for both, over stored data.
//!
//! A record's fields are simpler than an item's: whole values (ids, names, access, tags),
//! free text (titles, descriptions, names) and numbers (`created`, `modified`). How a field is
//! compared is the matcher's decision, taken from its name ([`super::matcher::kind`]); the
//! index rows ([`record_rows`]) and the plan ([`Query::record_plan`]) follow that same decision,
//! so the database answers exactly what the matcher answers:
//!
//! * whole-value fields are stored as one lowered row per value (position = index in the list),
//!   so `owner:Ann`, `access:pub*` and `tags:"web map"` are row lookups;
//! * text fields are stored as one row per word with its position (phrases are consecutive
//!   positions); a text field always holds exactly one value, possibly empty, which its
//!   column keeps for `field:*`;
//! * numbers stay in their columns.

use std::fmt::Debug;

use super::ast::{Node, Value};
use super::limits::indexed_term;
use super::matcher::{kind, lower, words, Kind};
use super::numbers::{number_range, number_term, range_refused, NumberTest};
use super::{Query, Searchable};
use crate::error::DomainError;

/// The fields of one kind of record. Every text field holds exactly one value.
pub trait RecordField: Copy + Debug + Eq + Ord + 'static {
    /// Every field.
    const ALL: &'static [Self];
    /// Fields an unqualified term is matched against.
    const DEFAULT_FIELDS: &'static [&'static str];
    /// The field's name in queries (lower case), as the record's `Searchable` answers it.
    fn name(self) -> &'static str;
    /// The stored code of its index rows: never renumber one.
    fn code(self) -> i64;
}

/// How a record field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// One lowered row per value.
    Whole,
    /// One row per word, with positions; the value also in a column.
    Words,
    /// A number column.
    Number,
}

/// How `field` is stored: the matcher's kind of its name. `None` for the `type` kind, which
/// no record has (a test holds every record to this).
pub fn storage<F: RecordField>(field: F) -> Option<Storage> {
    match kind(field.name()) {
        Kind::Exact => Some(Storage::Whole),
        Kind::Text => Some(Storage::Words),
        Kind::Number => Some(Storage::Number),
        Kind::Type => None,
    }
}

fn named<F: RecordField>(name: &str) -> Option<F> {
    F::ALL.iter().copied().find(|field| field.name() == name)
}

/// One index row of a record: `term` of `field` at `pos`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordRow<F> {
    pub field: F,
    pub pos: i64,
    pub term: String,
}

/// The index rows of a record, from the values its `Searchable` gives the matcher; terms
/// longer than [`INDEXED_TERM_MAX`](super::limits::INDEXED_TERM_MAX) bytes are stored
/// truncated ([`indexed_term`]).
pub fn record_rows<F: RecordField>(doc: &dyn Searchable) -> Vec<RecordRow<F>> {
    let mut rows = Vec::new();
    for &field in F::ALL {
        let values = doc.field_values(field.name());
        match storage(field) {
            Some(Storage::Whole) => {
                for (pos, value) in values.iter().enumerate() {
                    rows.push(RecordRow {
                        field,
                        pos: pos as i64,
                        term: indexed_term(lower(value)),
                    });
                }
            }
            Some(Storage::Words) => {
                // A gap between values, so that no phrase runs from one value into the next.
                let mut pos = 0i64;
                for value in &values {
                    for term in words(value) {
                        let term = indexed_term(term);
                        rows.push(RecordRow { field, pos, term });
                        pos += 1;
                    }
                    pos += 1;
                }
            }
            Some(Storage::Number) | None => {}
        }
    }
    rows
}

/// A parsed query as a plan over a record's stored data (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordPlan<F> {
    True,
    False,
    Not(Box<RecordPlan<F>>),
    And(Vec<RecordPlan<F>>),
    Or(Vec<RecordPlan<F>>),
    /// A row of `field` whose term equals `term`, or with `prefix` begins with it.
    Term {
        field: F,
        term: String,
        prefix: bool,
    },
    /// Rows of `field` at consecutive positions holding `words` (at least two); with `prefix`
    /// the last word need only begin its term.
    Phrase {
        field: F,
        words: Vec<String>,
        prefix: bool,
    },
    /// A row of `field` whose term is not empty.
    TermExists(F),
    /// The (text) field's column is not empty.
    NonEmpty(F),
    /// `lower <= value <= upper` (bounds inclusive or not, `None` unbounded).
    Number {
        field: F,
        lower: Option<(i64, bool)>,
        upper: Option<(i64, bool)>,
    },
    /// The number written in decimal begins with `digits`.
    NumberPrefix {
        field: F,
        digits: String,
    },
}

impl Query {
    /// The plan of a search over records with fields `F`; `Err` for a range on a field that
    /// is not a number, or with bounds that are not whole numbers (as item search refuses).
    pub fn record_plan<F: RecordField>(&self) -> Result<RecordPlan<F>, DomainError> {
        node(&self.root)
    }
}

fn node<F: RecordField>(node_: &Node) -> Result<RecordPlan<F>, DomainError> {
    Ok(match node_ {
        Node::All => RecordPlan::True,
        Node::Not(inner) => not(node(inner)?),
        Node::And(items) => and(items.iter().map(node).collect::<Result<_, _>>()?),
        Node::Or(items) => or(items.iter().map(node).collect::<Result<_, _>>()?),
        Node::Term {
            field: Some(field),
            value,
        } => field_term(field, value),
        Node::Term { field: None, value } => or(F::DEFAULT_FIELDS
            .iter()
            .map(|field| field_term(&field.to_ascii_lowercase(), value))
            .collect()),
        Node::Range {
            field,
            lower,
            upper,
        } => match named::<F>(field).filter(|f| storage(*f) == Some(Storage::Number)) {
            Some(number_field) => number(number_field, number_range(field, lower, upper)?),
            None => return Err(range_refused(field)),
        },
    })
}

fn field_term<F: RecordField>(name: &str, value: &Value) -> RecordPlan<F> {
    // Fields the record does not have never match.
    let Some(field) = named::<F>(name) else {
        return RecordPlan::False;
    };
    match storage(field) {
        None => RecordPlan::False,
        Some(Storage::Whole) => match value {
            Value::Any => RecordPlan::TermExists(field),
            Value::Word { text, prefix, .. } => RecordPlan::Term {
                field,
                term: text.clone(),
                prefix: *prefix,
            },
            Value::Phrase { text, .. } => RecordPlan::Term {
                field,
                term: text.clone(),
                prefix: false,
            },
        },
        Some(Storage::Words) => {
            let (terms, prefix) = match value {
                Value::Any => return RecordPlan::NonEmpty(field),
                Value::Word { words, prefix, .. } => (words, *prefix),
                Value::Phrase { words, .. } => (words, false),
            };
            match terms.as_slice() {
                // No words: contained in any value, and the field always has one.
                [] => RecordPlan::True,
                [one] => RecordPlan::Term {
                    field,
                    term: one.clone(),
                    prefix,
                },
                _ => RecordPlan::Phrase {
                    field,
                    words: terms.clone(),
                    prefix,
                },
            }
        }
        Some(Storage::Number) => number(field, number_term(value)),
    }
}

fn number<F>(field: F, test: NumberTest) -> RecordPlan<F> {
    match test {
        NumberTest::All => RecordPlan::True,
        NumberTest::Never => RecordPlan::False,
        NumberTest::Between { lower, upper } => RecordPlan::Number {
            field,
            lower,
            upper,
        },
        NumberTest::Prefix(digits) => RecordPlan::NumberPrefix { field, digits },
    }
}

fn not<F>(plan: RecordPlan<F>) -> RecordPlan<F> {
    match plan {
        RecordPlan::True => RecordPlan::False,
        RecordPlan::False => RecordPlan::True,
        RecordPlan::Not(inner) => *inner,
        other => RecordPlan::Not(Box::new(other)),
    }
}

fn and<F>(items: Vec<RecordPlan<F>>) -> RecordPlan<F> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            RecordPlan::True => {}
            RecordPlan::False => return RecordPlan::False,
            RecordPlan::And(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => RecordPlan::True,
        1 => kept.pop().unwrap_or(RecordPlan::True),
        _ => RecordPlan::And(kept),
    }
}

fn or<F>(items: Vec<RecordPlan<F>>) -> RecordPlan<F> {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            RecordPlan::False => {}
            RecordPlan::True => return RecordPlan::True,
            RecordPlan::Or(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => RecordPlan::False,
        1 => kept.pop().unwrap_or(RecordPlan::False),
        _ => RecordPlan::Or(kept),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::{Group, GroupAccess};
    use crate::search::groups::{group_rows, GroupField};
    use crate::search::parse;
    use crate::search::users::UserField;

    fn plan<F: RecordField>(q: &str) -> RecordPlan<F> {
        parse(q)
            .and_then(|q| q.record_plan::<F>())
            .unwrap_or_else(|e| panic!("{q}: {e:?}"))
    }

    #[test]
    fn every_record_field_has_a_storage_and_a_unique_code() {
        fn check<F: RecordField>() {
            let mut codes: Vec<i64> = F::ALL.iter().map(|f| f.code()).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), F::ALL.len());
            for field in F::ALL {
                assert!(storage(*field).is_some(), "{field:?} has the type kind");
            }
            for name in F::DEFAULT_FIELDS {
                assert!(
                    named::<F>(name).is_some(),
                    "default field {name} is unknown"
                );
            }
        }
        check::<GroupField>();
        check::<UserField>();
    }

    #[test]
    fn rows_hold_lowered_whole_values_and_positioned_words() {
        let group = Group {
            id: "ab".into(),
            owner: "Ann".into(),
            org_id: "o".into(),
            title: "Fire-Map team".into(),
            access: GroupAccess::Org,
            tags: vec!["Web Map".into(), String::new()],
            description: String::new(),
            snippet: "--".into(),
            phone: String::new(),
            sort_field: String::new(),
            sort_order: String::new(),
            is_invitation_only: false,
            is_view_only: false,
            auto_join: false,
            created: 1,
            modified: 2,
        };
        let rows = group_rows(&group);
        let of = |field: GroupField| -> Vec<(i64, &str)> {
            rows.iter()
                .filter(|r| r.field == field)
                .map(|r| (r.pos, r.term.as_str()))
                .collect()
        };
        assert_eq!(
            of(GroupField::Title),
            [(0, "fire"), (1, "map"), (2, "team")]
        );
        assert_eq!(of(GroupField::Owner), [(0, "ann")]);
        assert_eq!(of(GroupField::Tags), [(0, "web map"), (1, "")]);
        assert_eq!(of(GroupField::Access), [(0, "org")]);
        assert!(of(GroupField::Snippet).is_empty(), "no words, no rows");
        assert!(
            of(GroupField::Created).is_empty(),
            "numbers stay in columns"
        );
    }

    #[test]
    fn plans_follow_the_matchers_kinds() {
        assert_eq!(
            plan::<GroupField>("owner:ANN*"),
            RecordPlan::Term {
                field: GroupField::Owner,
                term: "ann".into(),
                prefix: true
            }
        );
        assert_eq!(
            plan::<GroupField>("title:\"Fire map\""),
            RecordPlan::Phrase {
                field: GroupField::Title,
                words: vec!["fire".into(), "map".into()],
                prefix: false
            }
        );
        assert_eq!(
            plan::<UserField>("description:*"),
            RecordPlan::NonEmpty(UserField::Description)
        );
        assert_eq!(plan::<UserField>("fullname:--"), RecordPlan::True);
        assert_eq!(plan::<UserField>("email:x"), RecordPlan::False);
        assert_eq!(
            plan::<GroupField>("-tags:*"),
            RecordPlan::Not(Box::new(RecordPlan::TermExists(GroupField::Tags)))
        );
        assert_eq!(
            plan::<UserField>("created:[5 TO *}"),
            RecordPlan::Number {
                field: UserField::Created,
                lower: Some((5, true)),
                upper: None
            }
        );
        let refused = parse("title:[a TO k]").and_then(|q| q.record_plan::<GroupField>());
        assert!(
            refused.is_err(),
            "text ranges are refused as in item search"
        );
        match plan::<GroupField>("map") {
            RecordPlan::Or(parts) => assert_eq!(parts.len(), GroupField::DEFAULT_FIELDS.len()),
            other => panic!("an unqualified term searches the default fields: {other:?}"),
        }
    }
}
