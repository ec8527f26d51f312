//! Group and member search, filtered, counted, sorted and paged in the database.
//!
//! Each page is two statements: a `COUNT(*)` for the total, then the page's rows in order
//! (`ORDER BY … LIMIT … OFFSET …`, served by the sort indexes of migration 11). Memory does
//! not depend on how many groups or members match.

use keyportal_domain::group::Group;
use keyportal_domain::user::User;
use sqlx::any::AnyRow;

use super::groups::{group_from_row, COLUMNS as GROUP_COLUMNS};
use super::item_search::bind_all;
use super::record_sql::{group_order, user_order, GROUPS, USERS};
use super::rows::{count, to_i64};
use super::search_sql::{Arg, Sql};
use super::users::{user_from_row, COLUMNS as USER_COLUMNS};
use super::SqlStore;
use crate::{GroupPage, GroupSearch, StoreResult, UserPage, UserSearch};

/// One page of a search over `table` (`groups g` or `users u`).
struct PageQuery<'a> {
    table: &'a str,
    columns: &'a str,
    order: String,
    offset: usize,
    limit: usize,
}

impl SqlStore {
    pub(super) async fn search_groups_page(
        &self,
        search: &GroupSearch<'_>,
    ) -> StoreResult<GroupPage> {
        let mut sql = Sql::default();
        let mut conditions = vec![sql.record(&GROUPS, search.plan)];
        if let Some(visible) = search.visible {
            conditions.push(sql.visible_groups(visible));
        }
        let query = PageQuery {
            table: "groups g",
            columns: GROUP_COLUMNS,
            order: group_order(search.sort),
            offset: search.offset,
            limit: search.limit,
        };
        let (rows, total) = self.record_page(sql, &conditions, query).await?;
        let groups = rows
            .iter()
            .map(group_from_row)
            .collect::<StoreResult<Vec<Group>>>()?;
        Ok(GroupPage { groups, total })
    }

    pub(super) async fn search_users_page(&self, search: &UserSearch<'_>) -> StoreResult<UserPage> {
        let mut sql = Sql::default();
        let mut conditions = vec![sql.record(&USERS, search.plan)];
        if let Some(visible) = search.visible {
            conditions.push(sql.visible_users(visible));
        }
        let query = PageQuery {
            table: "users u",
            columns: USER_COLUMNS,
            order: user_order(search.sort),
            offset: search.offset,
            limit: search.limit,
        };
        let (rows, total) = self.record_page(sql, &conditions, query).await?;
        let users = rows
            .iter()
            .map(user_from_row)
            .collect::<StoreResult<Vec<User>>>()?;
        Ok(UserPage { users, total })
    }

    async fn record_page(
        &self,
        mut sql: Sql,
        conditions: &[String],
        query: PageQuery<'_>,
    ) -> StoreResult<(Vec<AnyRow>, usize)> {
        let filter = conditions.join(" AND ");
        let count_sql = format!("SELECT COUNT(*) AS n FROM {} WHERE {filter}", query.table);
        let row = bind_all(sqlx::query(&count_sql), &sql.args)
            .fetch_one(self.pool())
            .await?;
        let total = count(&row, "n")?;
        if query.limit == 0 || query.offset >= total {
            return Ok((Vec::new(), total));
        }
        let limit_arg = sql.arg(Arg::Int(to_i64(query.limit)));
        let offset_arg = sql.arg(Arg::Int(to_i64(query.offset)));
        let page_sql = format!(
            "SELECT {} FROM {} WHERE {filter} ORDER BY {} LIMIT {limit_arg} OFFSET {offset_arg}",
            query.columns, query.table, query.order
        );
        let rows = bind_all(sqlx::query(&page_sql), &sql.args)
            .fetch_all(self.pool())
            .await?;
        Ok((rows, total))
    }
}
