//! Renders a group or member search plan (`RecordPlan`), the viewer's visibility and the
//! order as portable SQL, the way `search_sql.rs` does for items. The groups table is aliased
//! `g`, the users table `u`. Text comparisons are byte-wise on both backends (the PostgreSQL
//! columns involved are `COLLATE "C"`), which is Rust's `str` order.

use keyportal_domain::search::groups::{GroupField, GroupSort, GroupSortKey};
use keyportal_domain::search::records::{RecordField, RecordPlan};
use keyportal_domain::search::users::{UserField, UserSort, UserSortKey};
use keyportal_domain::visibility::{VisibleGroups, VisibleUsers};

use super::search_sql::{Arg, Sql, FALSE, TRUE};

/// Where one kind of record and its index rows are stored.
pub(super) struct RecordTable<F> {
    /// The record's key column, qualified (`g.id`).
    key: &'static str,
    /// The index table and its column holding the record's key.
    terms: &'static str,
    terms_key: &'static str,
    /// The column holding a text or number field, qualified.
    column: fn(F) -> &'static str,
}

pub(super) const GROUPS: RecordTable<GroupField> = RecordTable {
    key: "g.id",
    terms: "group_terms",
    terms_key: "group_id",
    column: group_column,
};

pub(super) const USERS: RecordTable<UserField> = RecordTable {
    key: "u.username",
    terms: "user_terms",
    terms_key: "username",
    column: user_column,
};

fn group_column(field: GroupField) -> &'static str {
    match field {
        GroupField::Id => "g.id",
        GroupField::Title => "g.title",
        GroupField::Owner => "g.owner",
        GroupField::OrgId => "g.org_id",
        GroupField::Access => "g.access",
        GroupField::Tags => "g.tags",
        GroupField::Description => "g.description",
        GroupField::Snippet => "g.snippet",
        GroupField::Created => "g.created",
        GroupField::Modified => "g.modified",
    }
}

fn user_column(field: UserField) -> &'static str {
    match field {
        UserField::Username => "u.username",
        UserField::FullName => "u.full_name",
        UserField::FirstName => "u.first_name",
        UserField::LastName => "u.last_name",
        UserField::Description => "u.description",
        UserField::OrgId => "u.org_id",
        UserField::Role => "u.role_id",
        UserField::UserLicenseType => "u.user_type",
        UserField::Provider => "u.provider",
        UserField::Created => "u.created",
        UserField::Modified => "u.modified",
    }
}

impl Sql {
    /// The condition of a record plan over `table`.
    pub(super) fn record<F: RecordField>(
        &mut self,
        table: &RecordTable<F>,
        plan: &RecordPlan<F>,
    ) -> String {
        // Stored text never holds NUL, and PostgreSQL cannot take it as a parameter.
        if holds_nul(plan) {
            return FALSE.into();
        }
        match plan {
            RecordPlan::True => TRUE.into(),
            RecordPlan::False => FALSE.into(),
            RecordPlan::Not(inner) => format!("NOT ({})", self.record(table, inner)),
            RecordPlan::And(items) => self.join_records(table, items, " AND "),
            RecordPlan::Or(items) => self.join_records(table, items, " OR "),
            RecordPlan::Term {
                field,
                term,
                prefix,
            } => {
                let condition = self.compare("term", term, *prefix);
                rows_where(table, *field, &condition)
            }
            RecordPlan::Phrase {
                field,
                words,
                prefix,
            } => self.record_phrase(table, *field, words, *prefix),
            RecordPlan::TermExists(field) => rows_where(table, *field, "term > ''"),
            RecordPlan::NonEmpty(field) => format!("{} <> ''", (table.column)(*field)),
            RecordPlan::Number {
                field,
                lower,
                upper,
            } => {
                let column = (table.column)(*field);
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
            RecordPlan::NumberPrefix { field, digits } => {
                let column = format!("CAST({} AS TEXT)", (table.column)(*field));
                self.starts_with(&column, digits)
            }
        }
    }

    fn join_records<F: RecordField>(
        &mut self,
        table: &RecordTable<F>,
        items: &[RecordPlan<F>],
        with: &str,
    ) -> String {
        let parts: Vec<String> = items.iter().map(|item| self.record(table, item)).collect();
        format!("({})", parts.join(with))
    }

    /// Rows `t0, t1, …` of one record and field at consecutive positions.
    fn record_phrase<F: RecordField>(
        &mut self,
        table: &RecordTable<F>,
        field: F,
        words: &[String],
        prefix: bool,
    ) -> String {
        let (terms, key) = (table.terms, table.terms_key);
        let last = words.len().saturating_sub(1);
        let mut joins = String::new();
        let mut conditions = vec![format!("t0.field = {}", field.code())];
        for (k, word) in words.iter().enumerate() {
            let alias = format!("t{k}");
            if k > 0 {
                joins.push_str(&format!(
                    " JOIN {terms} {alias} ON {alias}.field = t0.field \
                     AND {alias}.{key} = t0.{key} AND {alias}.pos = t0.pos + {k}"
                ));
            }
            conditions.push(self.compare(&format!("{alias}.term"), word, prefix && k == last));
        }
        format!(
            "{} IN (SELECT t0.{key} FROM {terms} t0{joins} WHERE {})",
            table.key,
            conditions.join(" AND ")
        )
    }

    /// The groups the viewer may see.
    pub(super) fn visible_groups(&mut self, visible: &VisibleGroups) -> String {
        let mut parts = vec!["g.access = 'public'".to_string()];
        if !visible.member_of.is_empty() {
            parts.push(format!("g.id IN ({})", self.list(&visible.member_of)));
        }
        if let Some(org) = &visible.whole_org {
            parts.push(format!("g.org_id = {}", self.text(org)));
        }
        if let Some(org) = &visible.org_shared {
            parts.push(format!(
                "(g.access = 'org' AND g.org_id = {})",
                self.text(org)
            ));
        }
        format!("({})", parts.join(" OR "))
    }

    /// The members the viewer may see (nobody, for a viewer with no account and no org).
    pub(super) fn visible_users(&mut self, visible: &VisibleUsers) -> String {
        let mut parts = Vec::new();
        if let Some(username) = &visible.myself {
            parts.push(format!("u.username = {}", self.text(username)));
        }
        if let Some(org) = &visible.org {
            parts.push(format!("u.org_id = {}", self.text(org)));
        }
        if parts.is_empty() {
            FALSE.into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
}

/// `ORDER BY` for a group sort, ties broken by id in the same direction.
pub(super) fn group_order(sort: GroupSort) -> String {
    let column = match sort.key {
        GroupSortKey::Title => "g.title_key",
        GroupSortKey::Owner => "g.owner",
        GroupSortKey::Created => "g.created",
        GroupSortKey::Modified => "g.modified",
    };
    let direction = if sort.descending { "DESC" } else { "ASC" };
    format!("{column} {direction}, g.id {direction}")
}

/// `ORDER BY` for a member sort, ties broken by username (unique) in the same direction.
pub(super) fn user_order(sort: UserSort) -> String {
    let direction = if sort.descending { "DESC" } else { "ASC" };
    let column = match sort.key {
        UserSortKey::Username => return format!("u.username {direction}"),
        UserSortKey::FullName => "u.full_name_key",
        UserSortKey::Created => "u.created",
        UserSortKey::Modified => "u.modified",
    };
    format!("{column} {direction}, u.username {direction}")
}

fn rows_where<F: RecordField>(table: &RecordTable<F>, field: F, condition: &str) -> String {
    format!(
        "{} IN (SELECT {} FROM {} WHERE field = {} AND {condition})",
        table.key,
        table.terms_key,
        table.terms,
        field.code()
    )
}

/// Whether an atom (not its sub-plans) carries text with a NUL character.
fn holds_nul<F>(plan: &RecordPlan<F>) -> bool {
    let nul = |text: &str| text.contains('\0');
    match plan {
        RecordPlan::Term { term, .. } => nul(term),
        RecordPlan::Phrase { words, .. } => words.iter().any(|w| nul(w)),
        RecordPlan::NumberPrefix { digits, .. } => nul(digits),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_plans_render_against_their_own_index_table() {
        let mut sql = Sql::default();
        let text = sql.record(
            &USERS,
            &RecordPlan::And(vec![
                RecordPlan::Phrase {
                    field: UserField::FullName,
                    words: vec!["ann".into(), "le".into()],
                    prefix: true,
                },
                RecordPlan::Not(Box::new(RecordPlan::NonEmpty(UserField::Description))),
            ]),
        );
        assert_eq!(
            text,
            "(u.username IN (SELECT t0.username FROM user_terms t0 JOIN user_terms t1 ON \
             t1.field = t0.field AND t1.username = t0.username AND t1.pos = t0.pos + 1 WHERE \
             t0.field = 2 AND t0.term = $1 AND t1.term >= $2 AND t1.term < $3) AND NOT \
             (u.description <> ''))"
        );
        assert_eq!(sql.args.len(), 3);
        let mut sql = Sql::default();
        assert_eq!(
            sql.visible_users(&VisibleUsers::default()),
            FALSE,
            "an anonymous viewer sees no member"
        );
    }
}
