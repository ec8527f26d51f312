//! A parsed item query as a plan over stored data: index rows (see [`super::items`]), item
//! columns, shares and numbers. Every decision the matcher makes from a field's kind (whole
//! value or words, lowering, numbers, the access wire value) is made here, so the store only
//! renders each atom as SQL and the database answers exactly what the matcher answers.
//!
//! One difference is chosen, not inherited: a range is accepted only on `created` and
//! `modified` with whole-number (or `*`) bounds. The matcher also compares text ranges
//! (`owner:[a TO k]`), with numbers compared as numbers wherever both sides parse, which no
//! index can serve; such a query is refused with a message naming the field.

use super::ast::{Bound, Node, Value};
use super::items::{TermField, ITEM_DEFAULT_FIELDS};
use super::matcher::{exact_value_matches, lower};
use super::numbers::{number_range, number_term, range_refused, NumberTest};
use super::Query;
use crate::error::DomainError;
use crate::visibility::VisibleItems;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemPlan {
    True,
    False,
    Not(Box<ItemPlan>),
    And(Vec<ItemPlan>),
    Or(Vec<ItemPlan>),
    /// A row of `field` whose term equals `term`, or with `prefix` begins with it.
    Term {
        field: TermField,
        term: String,
        prefix: bool,
    },
    /// Rows of `field` at consecutive positions holding `words` (at least two); with `prefix`
    /// the last word need only begin its term.
    Phrase {
        field: TermField,
        words: Vec<String>,
        prefix: bool,
    },
    /// Some row of `field` (with `non_empty`, whose term is not empty).
    TermExists {
        field: TermField,
        non_empty: bool,
    },
    /// A column equals `text`, or with `prefix` begins with it.
    Column {
        column: KeyColumn,
        text: String,
        prefix: bool,
    },
    /// The column holds a non-empty value (an absent folder counts as empty).
    NonEmpty(ValueColumn),
    /// The item is in a folder.
    InFolder,
    /// Shared with a group whose id equals `id` (or begins with it).
    Group {
        id: String,
        prefix: bool,
    },
    /// Shared with any group.
    SharedWithAnyGroup,
    /// The access as the wire shows it (`shared` = private with groups) is one of these.
    Access(AccessSet),
    /// `lower <= value <= upper` (bounds inclusive or not, `None` unbounded).
    Number {
        field: NumberField,
        lower: Option<(i64, bool)>,
        upper: Option<(i64, bool)>,
    },
    /// The number written in decimal begins with `digits`.
    NumberPrefix {
        field: NumberField,
        digits: String,
    },
}

/// Columns compared with a lowered term. `Id` holds ids as stored (lower case, but for the
/// rare exception the index row [`TermField::IdLowered`] answers); the others are lowered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyColumn {
    Id,
    OwnerKey,
    OrgKey,
    TypeKey,
}

/// Columns tested for holding a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueColumn {
    Id,
    Owner,
    OrgId,
    Title,
    ItemType,
    Description,
    Snippet,
    Url,
    Folder,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberField {
    Created,
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AccessSet {
    pub private: bool,
    pub shared: bool,
    pub org: bool,
    pub public: bool,
}

impl Query {
    /// The plan of an item search; `Err` for what item search refuses (see the module docs).
    pub fn item_plan(&self) -> Result<ItemPlan, DomainError> {
        node(&self.root)
    }
}

fn node(node_: &Node) -> Result<ItemPlan, DomainError> {
    Ok(match node_ {
        Node::All => ItemPlan::True,
        Node::Not(inner) => not(node(inner)?),
        Node::And(items) => and(items.iter().map(node).collect::<Result<_, _>>()?),
        Node::Or(items) => or(items.iter().map(node).collect::<Result<_, _>>()?),
        Node::Term {
            field: Some(field),
            value,
        } => field_term(field, value),
        Node::Term { field: None, value } => or(ITEM_DEFAULT_FIELDS
            .iter()
            .map(|field| field_term(field, value))
            .collect()),
        Node::Range {
            field,
            lower,
            upper,
        } => range(field, lower, upper)?,
    })
}

fn field_term(field: &str, value: &Value) -> ItemPlan {
    match field {
        "id" => keyed(
            KeyColumn::Id,
            ValueColumn::Id,
            Some(TermField::IdLowered),
            value,
        ),
        "owner" => keyed(KeyColumn::OwnerKey, ValueColumn::Owner, None, value),
        "orgid" => keyed(KeyColumn::OrgKey, ValueColumn::OrgId, None, value),
        "accountid" => account_words(value),
        "title" => text(TermField::Title, Some(ValueColumn::Title), value),
        "description" => text(
            TermField::Description,
            Some(ValueColumn::Description),
            value,
        ),
        "snippet" => text(TermField::Snippet, Some(ValueColumn::Snippet), value),
        "url" => text(TermField::Url, Some(ValueColumn::Url), value),
        "name" => text(TermField::Name, None, value),
        "ownerfolder" => text(TermField::OwnerFolder, None, value),
        "type" => item_type(value),
        "tags" => whole_values(TermField::Tags, value),
        "typekeywords" => whole_values(TermField::TypeKeywords, value),
        "group" => match value {
            Value::Any => ItemPlan::SharedWithAnyGroup,
            Value::Word { text, prefix, .. } => ItemPlan::Group {
                id: text.clone(),
                prefix: *prefix,
            },
            Value::Phrase { text, .. } => ItemPlan::Group {
                id: text.clone(),
                prefix: false,
            },
        },
        "access" => access(value),
        "created" => number(NumberField::Created, value),
        "modified" => number(NumberField::Modified, value),
        // Fields items do not have never match.
        _ => ItemPlan::False,
    }
}

/// A single-valued whole-value field held lowered in `column` (or, for ids, as stored).
fn keyed(
    column: KeyColumn,
    present: ValueColumn,
    lowered_rows: Option<TermField>,
    value: &Value,
) -> ItemPlan {
    let (text, prefix) = match value {
        Value::Any => return ItemPlan::NonEmpty(present),
        Value::Word { text, prefix, .. } => (text, *prefix),
        Value::Phrase { text, .. } => (text, false),
    };
    let on_column = ItemPlan::Column {
        column,
        text: text.clone(),
        prefix,
    };
    match lowered_rows {
        None => on_column,
        Some(field) => or(vec![
            on_column,
            ItemPlan::Term {
                field,
                term: text.clone(),
                prefix,
            },
        ]),
    }
}

/// Words and phrases of a free-text field; `present` is the column that always holds the
/// field (`None`: the field may be absent, its rows tell).
fn text(field: TermField, present: Option<ValueColumn>, value: &Value) -> ItemPlan {
    let (terms, prefix) = match value {
        Value::Any => {
            return match (present, field) {
                (Some(column), _) => ItemPlan::NonEmpty(column),
                (None, TermField::OwnerFolder) => ItemPlan::NonEmpty(ValueColumn::Folder),
                (None, _) => ItemPlan::TermExists {
                    field: TermField::NameWhole,
                    non_empty: true,
                },
            }
        }
        Value::Word { words, prefix, .. } => (words, *prefix),
        Value::Phrase { words, .. } => (words, false),
    };
    if terms.is_empty() {
        // No words: contained in any value the field has.
        return match (present, field) {
            (Some(_), _) => ItemPlan::True,
            (None, TermField::OwnerFolder) => ItemPlan::InFolder,
            (None, _) => ItemPlan::TermExists {
                field: TermField::NameWhole,
                non_empty: false,
            },
        };
    }
    run(field, terms, prefix)
}

/// `terms` (not empty) as consecutive rows of `field`.
fn run(field: TermField, terms: &[String], prefix: bool) -> ItemPlan {
    match terms {
        [one] => ItemPlan::Term {
            field,
            term: one.clone(),
            prefix,
        },
        _ => ItemPlan::Phrase {
            field,
            words: terms.to_vec(),
            prefix,
        },
    }
}

/// `accountid` is free text over the org id. An org id that is one alphanumeric word is its
/// own lowered key; only other org ids have [`TermField::AccountWords`] rows.
fn account_words(value: &Value) -> ItemPlan {
    let (terms, prefix) = match value {
        Value::Any => return ItemPlan::NonEmpty(ValueColumn::OrgId),
        Value::Word { words, prefix, .. } => (words, *prefix),
        Value::Phrase { words, .. } => (words, false),
    };
    match terms.as_slice() {
        [] => ItemPlan::True,
        [one] => or(vec![
            ItemPlan::Column {
                column: KeyColumn::OrgKey,
                text: one.clone(),
                prefix,
            },
            run(TermField::AccountWords, terms, prefix),
        ]),
        _ => run(TermField::AccountWords, terms, prefix),
    }
}

/// `type`: a phrase is the whole type; a word is the whole type or a run of its words.
fn item_type(value: &Value) -> ItemPlan {
    match value {
        Value::Any => ItemPlan::NonEmpty(ValueColumn::ItemType),
        Value::Phrase { text, .. } => ItemPlan::Column {
            column: KeyColumn::TypeKey,
            text: text.clone(),
            prefix: false,
        },
        Value::Word {
            text,
            words,
            prefix,
        } => {
            let whole = ItemPlan::Column {
                column: KeyColumn::TypeKey,
                text: text.clone(),
                prefix: *prefix,
            };
            if words.is_empty() {
                whole
            } else {
                or(vec![whole, run(TermField::TypeWords, words, *prefix)])
            }
        }
    }
}

/// Tags and type keywords: a list of whole values.
fn whole_values(field: TermField, value: &Value) -> ItemPlan {
    match value {
        Value::Any => ItemPlan::TermExists {
            field,
            non_empty: true,
        },
        Value::Word { text, prefix, .. } => ItemPlan::Term {
            field,
            term: text.clone(),
            prefix: *prefix,
        },
        Value::Phrase { text, .. } => ItemPlan::Term {
            field,
            term: text.clone(),
            prefix: false,
        },
    }
}

/// The access levels whose wire value matches, decided here for each of the four.
fn access(value: &Value) -> ItemPlan {
    let set = AccessSet {
        private: exact_value_matches("private", value),
        shared: exact_value_matches("shared", value),
        org: exact_value_matches("org", value),
        public: exact_value_matches("public", value),
    };
    match set {
        AccessSet {
            private: true,
            shared: true,
            org: true,
            public: true,
        } => ItemPlan::True,
        AccessSet {
            private: false,
            shared: false,
            org: false,
            public: false,
        } => ItemPlan::False,
        set => ItemPlan::Access(set),
    }
}

/// `created` / `modified` terms: numeric equality, or a prefix of the decimal digits.
fn number(field: NumberField, value: &Value) -> ItemPlan {
    number_plan(field, number_term(value))
}

fn range(field: &str, lower: &Bound, upper: &Bound) -> Result<ItemPlan, DomainError> {
    let field_code = match field {
        "created" => NumberField::Created,
        "modified" => NumberField::Modified,
        _ => return Err(range_refused(field)),
    };
    Ok(number_plan(field_code, number_range(field, lower, upper)?))
}

fn number_plan(field: NumberField, test: NumberTest) -> ItemPlan {
    match test {
        NumberTest::All => ItemPlan::True,
        NumberTest::Never => ItemPlan::False,
        NumberTest::Between { lower, upper } => ItemPlan::Number {
            field,
            lower,
            upper,
        },
        NumberTest::Prefix(digits) => ItemPlan::NumberPrefix { field, digits },
    }
}

fn not(plan: ItemPlan) -> ItemPlan {
    match plan {
        ItemPlan::True => ItemPlan::False,
        ItemPlan::False => ItemPlan::True,
        ItemPlan::Not(inner) => *inner,
        other => ItemPlan::Not(Box::new(other)),
    }
}

fn and(items: Vec<ItemPlan>) -> ItemPlan {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            ItemPlan::True => {}
            ItemPlan::False => return ItemPlan::False,
            ItemPlan::And(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => ItemPlan::True,
        1 => kept.pop().unwrap_or(ItemPlan::True),
        _ => ItemPlan::And(kept),
    }
}

fn or(items: Vec<ItemPlan>) -> ItemPlan {
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        match item {
            ItemPlan::False => {}
            ItemPlan::True => return ItemPlan::True,
            ItemPlan::Or(inner) => kept.extend(inner),
            other => kept.push(other),
        }
    }
    match kept.len() {
        0 => ItemPlan::False,
        1 => kept.pop().unwrap_or(ItemPlan::False),
        _ => ItemPlan::Or(kept),
    }
}

impl ItemPlan {
    /// Whether every item the plan matches is visible anyway: a member searching their own
    /// items (`owner:` themselves) needs no visibility filter. Usernames are unique ignoring
    /// case and an item's owner is a username, so the lowered owner names one member.
    pub fn implies_visible(&self, visible: &VisibleItems) -> bool {
        visible
            .owner
            .as_deref()
            .is_some_and(|owner| self.requires_owner_key(&lower(owner)))
    }

    /// Whether every matching item has this lowered owner (a top-level `owner:` term), so a
    /// caller who is that owner sees them all without a visibility filter.
    pub fn requires_owner_key(&self, owner_key: &str) -> bool {
        let is_owner = |plan: &ItemPlan| {
            matches!(plan, ItemPlan::Column { column: KeyColumn::OwnerKey, text, prefix: false }
                if text == owner_key)
        };
        match self {
            ItemPlan::And(items) => items.iter().any(is_owner),
            other => is_owner(other),
        }
    }
}
