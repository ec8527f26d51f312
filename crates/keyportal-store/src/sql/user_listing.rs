//! Listings of members that the database filters, counts and pages: the organization's member
//! list with its search and filters, and how many members hold each role.

use keyportal_domain::text::can_be_stored;
use keyportal_domain::user::User;

use super::rows::{count, flag_value, text, to_i64};
use super::users::{user_from_row, COLUMNS};
use super::SqlStore;
use crate::{MemberFilter, StoreResult};

/// A value bound to a placeholder of the filter's `WHERE`.
enum Arg {
    Text(String),
    Int(i64),
}

/// `WHERE …` (or nothing) for `filter`, with its arguments in placeholder order.
fn where_clause(filter: &MemberFilter<'_>) -> (String, Vec<Arg>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut args: Vec<Arg> = Vec::new();
    let placeholder = |arg: Arg, args: &mut Vec<Arg>| {
        args.push(arg);
        format!("${}", args.len())
    };
    if let Some(needle) = filter.text.filter(|t| !t.is_empty()) {
        // Both sides go through the database's own lower(), so a backend compares consistently
        // with itself (SQLite folds ASCII letters only, PostgreSQL all of them).
        let pattern = format!("%{}%", like_escape(needle));
        let terms: Vec<String> = ["username", "full_name", "email"]
            .iter()
            .map(|column| {
                let p = placeholder(Arg::Text(pattern.clone()), &mut args);
                format!("lower({column}) LIKE lower({p}) ESCAPE '\\'")
            })
            .collect();
        conditions.push(format!("({})", terms.join(" OR ")));
    }
    if let Some(role) = filter.role_id {
        let p = placeholder(Arg::Text(role.to_string()), &mut args);
        conditions.push(format!("role_id = {p}"));
    }
    if let Some(user_type) = filter.user_type {
        let p = placeholder(Arg::Text(user_type.id().to_string()), &mut args);
        conditions.push(format!("user_type = {p}"));
    }
    if let Some(disabled) = filter.disabled {
        let p = placeholder(Arg::Int(flag_value(disabled)), &mut args);
        conditions.push(format!("disabled = {p}"));
    }
    if conditions.is_empty() {
        (String::new(), args)
    } else {
        (format!(" WHERE {}", conditions.join(" AND ")), args)
    }
}

/// `text` as a LIKE pattern matching itself only (`\` escapes).
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn bind<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Text(value) => query.bind(value.as_str()),
            Arg::Int(value) => query.bind(*value),
        };
    }
    query
}

impl SqlStore {
    pub(super) async fn members_page(
        &self,
        filter: &MemberFilter<'_>,
        start: usize,
        num: usize,
    ) -> StoreResult<(Vec<User>, usize)> {
        let storable = [filter.text, filter.role_id]
            .into_iter()
            .flatten()
            .all(can_be_stored);
        if !storable {
            return Ok((Vec::new(), 0));
        }
        let (condition, args) = where_clause(filter);
        let total = bind(
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM users{condition}")),
            &args,
        )
        .fetch_one(self.pool())
        .await?;
        let total = count(&total, "n")?;
        if num == 0 || start >= total {
            return Ok((Vec::new(), total));
        }
        let n = args.len();
        // Served by the unique index on username (ordered in byte order on both backends).
        let sql = format!(
            "SELECT {COLUMNS} FROM users{condition} ORDER BY username LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows = bind(sqlx::query(&sql), &args)
            .bind(to_i64(num))
            .bind(to_i64(start))
            .fetch_all(self.pool())
            .await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok((users, total))
    }

    pub(super) async fn role_counts(&self) -> StoreResult<Vec<(String, usize)>> {
        let rows = sqlx::query(
            "SELECT role_id, COUNT(*) AS n FROM users GROUP BY role_id ORDER BY role_id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| Ok((text(row, "role_id")?, count(row, "n")?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::user_type::UserType;

    #[test]
    fn like_patterns_match_only_themselves() {
        assert_eq!(like_escape("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(like_escape("plain"), "plain");
    }

    #[test]
    fn conditions_number_their_placeholders_in_order() {
        let filter = MemberFilter {
            text: Some("ann"),
            role_id: Some("org_user"),
            user_type: Some(UserType::Viewer),
            disabled: Some(true),
        };
        let (sql, args) = where_clause(&filter);
        assert_eq!(args.len(), 6);
        assert!(sql.contains("lower(email) LIKE lower($3)"));
        assert!(sql.ends_with("role_id = $4 AND user_type = $5 AND disabled = $6"));
        assert_eq!(where_clause(&MemberFilter::default()).0, "");
    }
}
