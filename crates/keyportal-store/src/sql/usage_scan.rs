//! Reading a range of days of usage for reports. A month of a large organization is about a
//! million rows, and the driver costs one to two microseconds for each row it hands over, more
//! than the database spends finding them. So the organization-wide read asks the database for
//! one row per day, its counts packed into one text by `string_agg` (SQLite ≥ 3.44 and
//! PostgreSQL alike), and unpacks them here without building a string per count.
//!
//! Packing is checked, not trusted: each day also carries its row count, and a day whose text
//! does not split into exactly that many well-formed records (a stored name holding one of the
//! separators, which no name keyportal writes can) is read again row by row.

use futures_util::TryStreamExt;
use keyportal_domain::text::can_be_stored;
use keyportal_domain::usage::UsageRowRef;
use sqlx::Row;

use super::usage::{count_of, slot_of};
use super::SqlStore;
use crate::StoreResult;

/// Between records, and between the fields of one (ASCII record and unit separators).
const RECORD: char = '\u{1e}';
const FIELD: char = '\u{1f}';

/// One row per day; the day range is the leading column of the primary key and of
/// `usage_day_rows` (migration 9), which also holds the count, so this reads one index range.
const PACKED: &str = "SELECT day, COUNT(*), string_agg(client_id || '\u{1f}' || \
                      CAST(slot AS TEXT) || '\u{1f}' || service || '\u{1f}' || \
                      CAST(count AS TEXT), '\u{1e}') \
                      FROM usage WHERE day >= $1 AND day <= $2 GROUP BY day";

const ROWS_OF_CLIENT: &str = "SELECT day, client_id, slot, service, count FROM usage \
                              WHERE client_id = $1 AND day >= $2 AND day <= $3";

const ROWS_OF_DAY: &str = "SELECT day, client_id, slot, service, count FROM usage \
                           WHERE day = $1";

/// The records of one day's packed text, or `None` when it does not hold exactly `expected`
/// well-formed ones.
fn unpack(day: i64, packed: &str, expected: i64) -> Option<Vec<UsageRowRef<'_>>> {
    let mut rows = Vec::with_capacity(usize::try_from(expected).ok()?);
    for record in packed.split(RECORD) {
        let mut fields = record.split(FIELD);
        let (Some(client_id), Some(slot), Some(service), Some(count), None) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            return None;
        };
        rows.push(UsageRowRef {
            day,
            client_id,
            slot: slot.parse().ok()?,
            service,
            count: count.parse().ok()?,
        });
    }
    (i64::try_from(rows.len()).ok()? == expected).then_some(rows)
}

/// Rows one by one (one credential's, or a day whose packing did not check out).
async fn scan_rows<'q>(
    store: &SqlStore,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    visit: &mut (dyn for<'r> FnMut(UsageRowRef<'r>) + Send),
) -> StoreResult<u64> {
    let mut rows = query.fetch(store.pool());
    let mut seen = 0u64;
    while let Some(row) = rows.try_next().await? {
        visit(UsageRowRef {
            day: row.try_get(0)?,
            client_id: row.try_get(1)?,
            slot: slot_of(row.try_get(2)?)?,
            service: row.try_get(3)?,
            count: count_of(row.try_get(4)?)?,
        });
        seen += 1;
    }
    Ok(seen)
}

pub(super) async fn scan(
    store: &SqlStore,
    client_id: Option<&str>,
    first: i64,
    last: i64,
    visit: &mut (dyn for<'r> FnMut(UsageRowRef<'r>) + Send),
) -> StoreResult<u64> {
    if let Some(client_id) = client_id {
        // No stored client id holds NUL (PostgreSQL could not even compare it).
        if !can_be_stored(client_id) {
            return Ok(0);
        }
        let query = sqlx::query(ROWS_OF_CLIENT)
            .bind(client_id)
            .bind(first)
            .bind(last);
        return scan_rows(store, query, visit).await;
    }
    let mut days = sqlx::query(PACKED)
        .bind(first)
        .bind(last)
        .fetch(store.pool());
    let mut seen = 0u64;
    let mut unpackable = Vec::new();
    while let Some(row) = days.try_next().await? {
        let day: i64 = row.try_get(0)?;
        let expected: i64 = row.try_get(1)?;
        let packed: &str = row.try_get(2)?;
        match unpack(day, packed, expected) {
            Some(rows) => {
                seen += rows.len() as u64;
                rows.into_iter().for_each(&mut *visit);
            }
            None => unpackable.push(day),
        }
    }
    drop(days);
    for day in unpackable {
        tracing::warn!(
            day,
            "usage: a stored name holds a separator; day read row by row"
        );
        seen += scan_rows(store, sqlx::query(ROWS_OF_DAY).bind(day), visit).await?;
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_days_unpack_only_when_every_record_checks_out() {
        let packed = "c1\u{1f}1\u{1f}geocode\u{1f}5\u{1e}c2\u{1f}0\u{1f}portal\u{1f}7";
        let rows = unpack(20_000, packed, 2).expect("two records");
        assert_eq!(
            (
                rows[1].client_id,
                rows[1].slot,
                rows[1].service,
                rows[1].count
            ),
            ("c2", 0, "portal", 7)
        );
        assert!(
            unpack(20_000, packed, 3).is_none(),
            "a row count that differs"
        );
        // A name holding the record separator forges a record: the count gives it away.
        let forged = "a\u{1f}1\u{1f}b\u{1f}9\u{1e}x\u{1f}1\u{1f}geocode\u{1f}5";
        assert!(unpack(20_000, forged, 1).is_none());
        assert!(unpack(20_000, "c\u{1f}1\u{1f}s\u{1f}x\u{1f}5", 1).is_none());
        assert!(unpack(20_000, "c\u{1f}one\u{1f}s\u{1f}5", 1).is_none());
    }
}
