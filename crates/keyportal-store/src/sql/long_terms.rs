//! Migration 12's fill: index rows stored before terms were truncated
//! (`keyportal_domain::search::limits`) are cut the same way, so that every stored row is what
//! the domain computes today. Items need it: their rows are deleted by recomputing them from
//! the stored item, and a row still holding a whole long word would never be deleted.

use keyportal_domain::search::limits::{indexed_term, INDEXED_TERM_MAX};
use sqlx::{AnyConnection, Row};

use crate::StoreResult;

/// The index tables and the column naming what each row belongs to.
const TABLES: &[(&str, &str)] = &[
    ("item_terms", "item_id"),
    ("group_terms", "group_id"),
    ("user_terms", "username"),
];

/// A term over the limit has more than this many characters (a character is at most four
/// bytes); `length` counts characters on both backends, so the database returns only the few
/// candidates instead of every row.
const CANDIDATE_CHARS: i64 = (INDEXED_TERM_MAX / 4) as i64;

/// Truncates every stored term longer than the limit; returns how many rows changed.
pub(crate) async fn truncate_stored(conn: &mut AnyConnection) -> StoreResult<u64> {
    let mut changed = 0;
    for (table, owner) in TABLES {
        let select = format!(
            "SELECT field, term, {owner} AS owner, pos FROM {table} WHERE length(term) > $1"
        );
        let rows = sqlx::query(&select)
            .bind(CANDIDATE_CHARS)
            .fetch_all(&mut *conn)
            .await?;
        let update = format!(
            "UPDATE {table} SET term = $1 WHERE field = $2 AND term = $3 AND {owner} = $4 \
             AND pos = $5"
        );
        for row in rows {
            let term: String = row.try_get("term")?;
            let cut = indexed_term(term.clone());
            if cut == term {
                continue;
            }
            // A row's (field, owner, pos) holds one term, so the cut one cannot collide.
            sqlx::query(&update)
                .bind(cut)
                .bind(row.try_get::<i64, _>("field")?)
                .bind(term)
                .bind(row.try_get::<String, _>("owner")?)
                .bind(row.try_get::<i64, _>("pos")?)
                .execute(&mut *conn)
                .await?;
            changed += 1;
        }
    }
    Ok(changed)
}
