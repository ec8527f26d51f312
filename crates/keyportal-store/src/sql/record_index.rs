//! Keeping the group and member search indexes exact: a record's lowered sort column and its
//! rows in `group_terms` / `user_terms` are written in the transaction that writes the record.
//!
//! The rows come from the domain ([`group_rows`], [`user_rows`]), built from the values the
//! matcher reads with the matcher's own tokenizer. A record's rows are replaced whole (deleted
//! by its id or username, which the tables index), so a change of the tokenizer needs only a
//! migration that calls [`rebuild`].

use keyportal_domain::group::Group;
use keyportal_domain::search::groups::{group_rows, group_title_key};
use keyportal_domain::search::records::{RecordField, RecordRow};
use keyportal_domain::search::users::{user_full_name_key, user_rows};
use keyportal_domain::user::User;
use sqlx::AnyConnection;

use super::batches::for_each_batch;
use super::groups::{group_from_row, COLUMNS as GROUP_COLUMNS};
use super::users::{user_from_row, COLUMNS as USER_COLUMNS};
use crate::StoreResult;

/// Rows per multi-row INSERT (four parameters each, far below every backend's limit).
const INSERT_CHUNK: usize = 200;

/// Writes the sort column and the index rows of a stored group, replacing any it had.
pub(crate) async fn index_group(conn: &mut AnyConnection, group: &Group) -> StoreResult<()> {
    sqlx::query("UPDATE groups SET title_key = $1 WHERE id = $2")
        .bind(group_title_key(group))
        .bind(&group.id)
        .execute(&mut *conn)
        .await?;
    unindex_group(conn, &group.id).await?;
    insert_rows(
        conn,
        "group_terms",
        "group_id",
        &group.id,
        group_rows(group),
    )
    .await
}

/// Removes a group's index rows.
pub(crate) async fn unindex_group(conn: &mut AnyConnection, id: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM group_terms WHERE group_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Writes the sort column and the index rows of a stored member, replacing any they had.
pub(crate) async fn index_user(conn: &mut AnyConnection, user: &User) -> StoreResult<()> {
    sqlx::query("UPDATE users SET full_name_key = $1 WHERE username = $2")
        .bind(user_full_name_key(user))
        .bind(&user.username)
        .execute(&mut *conn)
        .await?;
    unindex_user(conn, &user.username).await?;
    insert_rows(
        conn,
        "user_terms",
        "username",
        &user.username,
        user_rows(user),
    )
    .await
}

/// Removes a member's index rows.
pub(crate) async fn unindex_user(conn: &mut AnyConnection, username: &str) -> StoreResult<()> {
    sqlx::query("DELETE FROM user_terms WHERE username = $1")
        .bind(username)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn insert_rows<F: RecordField>(
    conn: &mut AnyConnection,
    table: &str,
    key_column: &str,
    key: &str,
    rows: Vec<RecordRow<F>>,
) -> StoreResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        let placeholders: Vec<String> = (0..chunk.len())
            .map(|k| {
                let n = 4 * k;
                format!("(${}, ${}, ${}, ${})", n + 1, n + 2, n + 3, n + 4)
            })
            .collect();
        let sql = format!(
            "INSERT INTO {table} (field, term, {key_column}, pos) VALUES {}",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for row in chunk {
            query = query
                .bind(row.field.code())
                .bind(row.term.as_str())
                .bind(key)
                .bind(row.pos);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Rebuilds both indexes from the stored groups and members, a batch at a time (memory stays
/// flat); returns how many groups and members were indexed. Runs in the caller's transaction:
/// the migration that introduces or changes the indexes.
pub(crate) async fn rebuild(conn: &mut AnyConnection) -> StoreResult<(u64, u64)> {
    for table in ["group_terms", "user_terms"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    let groups_sql =
        format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id > $1 ORDER BY id LIMIT $2");
    let groups = for_each_batch(
        conn,
        &groups_sql,
        group_from_row,
        |g| &g.id,
        async |conn, batch| {
            for group in batch {
                index_group(conn, group).await?;
            }
            Ok(())
        },
    )
    .await?;
    let users_sql =
        format!("SELECT {USER_COLUMNS} FROM users WHERE username > $1 ORDER BY username LIMIT $2");
    let users = for_each_batch(
        conn,
        &users_sql,
        user_from_row,
        |u| &u.username,
        async |conn, batch| {
            for user in batch {
                index_user(conn, user).await?;
            }
            Ok(())
        },
    )
    .await?;
    Ok((groups, users))
}
