//! Reading a whole table in key order, a batch at a time, inside a writer's transaction: the
//! migrations that build an index for existing rows use it, so memory stays flat however many
//! rows there are.

use sqlx::any::AnyRow;
use sqlx::AnyConnection;

use crate::StoreResult;

/// Rows per batch.
const BATCH: i64 = 500;

/// Runs `each` over every row of `sql` (`… WHERE <key> > $1 ORDER BY <key> LIMIT $2`), decoded
/// by `decode`, a batch at a time; `key` gives the value the next batch starts after. Returns
/// how many rows were read.
pub(crate) async fn for_each_batch<T>(
    conn: &mut AnyConnection,
    sql: &str,
    decode: fn(&AnyRow) -> StoreResult<T>,
    key: fn(&T) -> &str,
    mut each: impl AsyncFnMut(&mut AnyConnection, &[T]) -> StoreResult<()>,
) -> StoreResult<u64> {
    let mut last = String::new();
    let mut done = 0u64;
    loop {
        let rows = sqlx::query(sql)
            .bind(&last)
            .bind(BATCH)
            .fetch_all(&mut *conn)
            .await?;
        let batch = rows.iter().map(decode).collect::<StoreResult<Vec<T>>>()?;
        let Some(tail) = batch.last() else {
            return Ok(done);
        };
        last = key(tail).to_string();
        each(&mut *conn, &batch).await?;
        done += batch.len() as u64;
    }
}
