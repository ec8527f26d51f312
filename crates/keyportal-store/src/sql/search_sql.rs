//! Renders an item search plan, a viewer's visibility and a sort order as one portable SQL
//! text with `$N` parameters. The items table is aliased `i`.
//!
//! Text comparisons are byte-wise on both backends (SQLite's BINARY collation; the PostgreSQL
//! columns they touch are `COLLATE "C"`), which for UTF-8 is code-point order, Rust's
//! `str` order. A prefix is a range `[p, next(p))` so that it can use an index.

use keyportal_domain::search::items::{ItemSort, ItemSortKey, TermField};
use keyportal_domain::search::plan::{AccessSet, ItemPlan, KeyColumn, NumberField, ValueColumn};
use keyportal_domain::visibility::VisibleItems;

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    Text(String),
    Int(i64),
}

/// SQL under construction with its parameters in order.
#[derive(Debug, Default)]
pub(super) struct Sql {
    pub(super) args: Vec<Arg>,
}

pub(super) const TRUE: &str = "1 = 1";
pub(super) const FALSE: &str = "1 = 0";

impl Sql {
    /// Adds a parameter; returns its placeholder.
    pub(super) fn arg(&mut self, arg: Arg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    pub(super) fn text(&mut self, text: &str) -> String {
        self.arg(Arg::Text(text.to_string()))
    }

    /// `column = text`, or with `prefix` `column` in `[text, next(text))`.
    pub(super) fn compare(&mut self, column: &str, text: &str, prefix: bool) -> String {
        if !prefix {
            return format!("{column} = {}", self.text(text));
        }
        let low = self.text(text);
        match next_prefix(text) {
            Some(high) => format!("{column} >= {low} AND {column} < {}", self.text(&high)),
            None => format!("{column} >= {low}"),
        }
    }

    /// `column` begins with `text`, by its first characters (columns not kept in byte order).
    pub(super) fn starts_with(&mut self, column: &str, text: &str) -> String {
        let length = text.chars().count();
        format!("substr({column}, 1, {length}) = {}", self.text(text))
    }

    /// The condition of a plan.
    pub(super) fn plan(&mut self, plan: &ItemPlan) -> String {
        // Stored text never holds NUL (the domain refuses control characters), and PostgreSQL
        // cannot take it as a parameter: an atom that needs it matches nothing.
        if holds_nul(plan) {
            return FALSE.into();
        }
        match plan {
            ItemPlan::True => TRUE.into(),
            ItemPlan::False => FALSE.into(),
            ItemPlan::Not(inner) => format!("NOT ({})", self.plan(inner)),
            ItemPlan::And(items) => self.join(items, " AND "),
            ItemPlan::Or(items) => self.join(items, " OR "),
            ItemPlan::Term {
                field,
                term,
                prefix,
            } => {
                let condition = self.compare("term", term, *prefix);
                terms_subquery(*field, &condition)
            }
            ItemPlan::Phrase {
                field,
                words,
                prefix,
            } => self.phrase(*field, words, *prefix),
            ItemPlan::TermExists { field, non_empty } => {
                let condition = if *non_empty { "term > ''" } else { TRUE };
                terms_subquery(*field, condition)
            }
            ItemPlan::Column {
                column,
                text,
                prefix,
            } => match column {
                // Ids keep the case they were stored with: compared by characters.
                KeyColumn::Id if *prefix => self.starts_with("i.id", text),
                KeyColumn::Id => self.compare("i.id", text, false),
                KeyColumn::OwnerKey => self.compare("i.owner_key", text, *prefix),
                KeyColumn::OrgKey => self.compare("i.org_key", text, *prefix),
                KeyColumn::TypeKey => self.compare("i.type_key", text, *prefix),
            },
            ItemPlan::NonEmpty(column) => non_empty(*column),
            ItemPlan::InFolder => "i.folder_id IS NOT NULL".into(),
            ItemPlan::Group { id, prefix } => {
                let condition = if *prefix {
                    self.starts_with("group_id", id)
                } else {
                    self.compare("group_id", id, false)
                };
                format!("i.id IN (SELECT item_id FROM shares WHERE {condition})")
            }
            ItemPlan::SharedWithAnyGroup => {
                "i.id IN (SELECT item_id FROM shares WHERE group_id <> '')".into()
            }
            ItemPlan::Access(set) => access(*set),
            ItemPlan::Number {
                field,
                lower,
                upper,
            } => {
                let column = number_column(*field);
                let mut parts = Vec::new();
                if let Some((value, inclusive)) = lower {
                    let op = if *inclusive { ">=" } else { ">" };
                    parts.push(format!("{column} {op} {}", self.arg(Arg::Int(*value))));
                }
                if let Some((value, inclusive)) = upper {
                    let op = if *inclusive { "<=" } else { "<" };
                    parts.push(format!("{column} {op} {}", self.arg(Arg::Int(*value))));
                }
                if parts.is_empty() {
                    TRUE.into()
                } else {
                    format!("({})", parts.join(" AND "))
                }
            }
            ItemPlan::NumberPrefix { field, digits } => {
                let column = format!("CAST({} AS TEXT)", number_column(*field));
                self.starts_with(&column, digits)
            }
        }
    }

    fn join(&mut self, items: &[ItemPlan], with: &str) -> String {
        let parts: Vec<String> = items.iter().map(|item| self.plan(item)).collect();
        format!("({})", parts.join(with))
    }

    /// Rows `t0, t1, …` of one item and field at consecutive positions.
    fn phrase(&mut self, field: TermField, words: &[String], prefix: bool) -> String {
        let last = words.len().saturating_sub(1);
        let mut joins = String::new();
        let mut conditions = vec![format!("t0.field = {}", field.code())];
        for (k, word) in words.iter().enumerate() {
            let alias = format!("t{k}");
            if k > 0 {
                joins.push_str(&format!(
                    " JOIN item_terms {alias} ON {alias}.field = t0.field \
                     AND {alias}.item_id = t0.item_id AND {alias}.pos = t0.pos + {k}"
                ));
            }
            conditions.push(self.compare(&format!("{alias}.term"), word, prefix && k == last));
        }
        format!(
            "i.id IN (SELECT t0.item_id FROM item_terms t0{joins} WHERE {})",
            conditions.join(" AND ")
        )
    }

    /// What the viewer may see.
    pub(super) fn visible(&mut self, visible: &VisibleItems) -> String {
        let mut parts = vec!["i.access = 'public'".to_string()];
        if let Some(scope) = &visible.granted {
            if !scope.items.is_empty() {
                let owner = self.text(&scope.owner);
                let ids = self.list(&scope.items);
                parts.push(format!("(i.owner = {owner} AND i.id IN ({ids}))"));
            }
        }
        if let Some(owner) = &visible.owner {
            parts.push(format!("i.owner = {}", self.text(owner)));
        }
        if let Some(org) = &visible.whole_org {
            parts.push(format!("i.org_id = {}", self.text(org)));
        }
        if let Some(org) = &visible.org_shared {
            parts.push(format!(
                "(i.access = 'org' AND i.org_id = {})",
                self.text(org)
            ));
        }
        if !visible.groups.is_empty() {
            let groups = self.list(&visible.groups);
            parts.push(format!(
                "i.id IN (SELECT item_id FROM shares WHERE group_id IN ({groups}))"
            ));
        }
        format!("({})", parts.join(" OR "))
    }

    /// Placeholders for a list of texts.
    pub(super) fn list(&mut self, values: &[String]) -> String {
        let placeholders: Vec<String> = values.iter().map(|v| self.text(v)).collect();
        placeholders.join(", ")
    }
}

/// `ORDER BY` for a sort, ties broken by id in the same direction.
pub(super) fn order_by(sort: ItemSort) -> String {
    let column = match sort.key {
        ItemSortKey::Title => "i.title_key",
        ItemSortKey::Owner => "i.owner",
        ItemSortKey::Type => "i.type_key",
        ItemSortKey::Created => "i.created",
        ItemSortKey::Modified => "i.modified",
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!("{column} {direction}, i.id {direction}")
}

fn terms_subquery(field: TermField, condition: &str) -> String {
    format!(
        "i.id IN (SELECT item_id FROM item_terms WHERE field = {} AND {condition})",
        field.code()
    )
}

fn non_empty(column: ValueColumn) -> String {
    let name = match column {
        ValueColumn::Id => "i.id",
        ValueColumn::Owner => "i.owner",
        ValueColumn::OrgId => "i.org_id",
        ValueColumn::Title => "i.title",
        ValueColumn::ItemType => "i.item_type",
        ValueColumn::Description => "i.description",
        ValueColumn::Snippet => "i.snippet",
        ValueColumn::Url => "i.url",
        ValueColumn::Folder => return "(i.folder_id IS NOT NULL AND i.folder_id <> '')".into(),
    };
    format!("{name} <> ''")
}

fn number_column(field: NumberField) -> &'static str {
    match field {
        NumberField::Created => "i.created",
        NumberField::Modified => "i.modified",
    }
}

fn access(set: AccessSet) -> String {
    let mut parts = Vec::new();
    if set.public {
        parts.push("i.access = 'public'");
    }
    if set.org {
        parts.push("i.access = 'org'");
    }
    if set.private {
        parts.push("(i.access = 'private' AND i.id NOT IN (SELECT item_id FROM shares))");
    }
    if set.shared {
        parts.push("(i.access = 'private' AND i.id IN (SELECT item_id FROM shares))");
    }
    if parts.is_empty() {
        FALSE.into()
    } else {
        format!("({})", parts.join(" OR "))
    }
}

/// Whether an atom (not its sub-plans) carries text with a NUL character.
fn holds_nul(plan: &ItemPlan) -> bool {
    let nul = |text: &str| text.contains('\0');
    match plan {
        ItemPlan::Term { term, .. } => nul(term),
        ItemPlan::Phrase { words, .. } => words.iter().any(|w| nul(w)),
        ItemPlan::Column { text, .. } => nul(text),
        ItemPlan::Group { id, .. } => nul(id),
        ItemPlan::NumberPrefix { digits, .. } => nul(digits),
        _ => false,
    }
}

/// The smallest string greater than every string that begins with `prefix`: its last
/// character incremented (dropping trailing `char::MAX`); `None` when there is none.
pub(super) fn next_prefix(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(u32::from(c) + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges_end_at_the_next_string() {
        assert_eq!(next_prefix("abc").as_deref(), Some("abd"));
        assert_eq!(next_prefix("a\u{D7FF}").as_deref(), Some("a\u{E000}"));
        assert_eq!(next_prefix("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(next_prefix("\u{10FFFF}"), None);
        assert_eq!(next_prefix(""), None);
    }

    #[test]
    fn plans_render_with_numbered_parameters() {
        let mut sql = Sql::default();
        let text = sql.plan(&ItemPlan::And(vec![
            ItemPlan::Term {
                field: TermField::Title,
                term: "k7".into(),
                prefix: true,
            },
            ItemPlan::Not(Box::new(ItemPlan::Column {
                column: KeyColumn::OwnerKey,
                text: "jo".into(),
                prefix: false,
            })),
        ]));
        assert_eq!(
            text,
            "(i.id IN (SELECT item_id FROM item_terms WHERE field = 1 AND term >= $1 AND \
             term < $2) AND NOT (i.owner_key = $3))"
        );
        assert_eq!(
            sql.args,
            [
                Arg::Text("k7".into()),
                Arg::Text("k8".into()),
                Arg::Text("jo".into())
            ]
        );
    }
}
