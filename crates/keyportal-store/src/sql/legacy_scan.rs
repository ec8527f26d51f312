//! Reading every active legacy key for the key table at start: a million of them must load in
//! a second or two. The driver hands rows over one at a time between its thread and ours, at
//! a cost of microseconds each, more than the database spends reading them; so the keys come
//! in pages of `PAGE`, each page one row whose keys are packed by `string_agg`
//! (SQLite ≥ 3.44 and PostgreSQL alike), unpacked here into one reused entry.
//!
//! Packing is checked, not trusted: a page also carries its row count, and a page whose text
//! does not split into exactly that many six-field records (a stored value holding a separator,
//! which no value keyportal writes can: JSON escapes control characters) is read row by row.

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::rows::corrupt;
use super::{Backend, SqlStore};
use crate::{LegacyKeyGrant, StoreResult};

const RECORD: char = '\u{1e}';
const FIELD: char = '\u{1f}';
const PAGE: i64 = 4096;

/// The next page: its last position, its size and its keys packed. SQLite pages by rowid, the
/// table's own order (its page cache is small: going by the item id index would look each row
/// up at random); PostgreSQL by item id (the primary key). The one per-backend branch here.
const PACKED_PAGE_SQLITE: &str = "SELECT MAX(position), COUNT(*), string_agg(item_id || \
     '\u{1f}' || key_hash || '\u{1f}' || owner || '\u{1f}' || privileges || '\u{1f}' || \
     http_referrers || '\u{1f}' || CAST(last_used AS TEXT), '\u{1e}') \
     FROM (SELECT rowid AS position, item_id, key_hash, owner, privileges, http_referrers, \
           last_used FROM legacy_keys WHERE active <> 0 AND rowid > $1 ORDER BY rowid LIMIT $2) page";

const PACKED_PAGE_POSTGRES: &str = "SELECT MAX(item_id), COUNT(*), string_agg(item_id || \
     '\u{1f}' || key_hash || '\u{1f}' || owner || '\u{1f}' || privileges || '\u{1f}' || \
     http_referrers || '\u{1f}' || CAST(last_used AS TEXT), '\u{1e}') \
     FROM (SELECT item_id, key_hash, owner, privileges, http_referrers, last_used \
           FROM legacy_keys WHERE active <> 0 AND item_id > $1 ORDER BY item_id LIMIT $2) page";

/// The same page row by row, when its packing did not check out.
const PAGE_ROWS_SQLITE: &str = "SELECT item_id, key_hash, owner, privileges, http_referrers, \
     last_used FROM legacy_keys WHERE active <> 0 AND rowid > $1 AND rowid <= $2";

const PAGE_ROWS_POSTGRES: &str = "SELECT item_id, key_hash, owner, privileges, http_referrers, \
     last_used FROM legacy_keys WHERE active <> 0 AND item_id > $1 AND item_id <= $2";

/// Where the previous page ended.
#[derive(Debug, Clone)]
enum Position {
    Rowid(i64),
    ItemId(String),
}

impl Position {
    fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Position::Rowid(rowid) => query.bind(*rowid),
            Position::ItemId(id) => query.bind(id.as_str()),
        }
    }

    fn read(&self, row: &AnyRow) -> StoreResult<Option<Position>> {
        Ok(match self {
            Position::Rowid(_) => row.try_get::<Option<i64>, _>(0)?.map(Position::Rowid),
            Position::ItemId(_) => row.try_get::<Option<String>, _>(0)?.map(Position::ItemId),
        })
    }
}

/// Reuses the entry's buffers: the JSON lists are parsed only when their text differs from
/// the previous key's (`raw`), which for imported keys is almost never.
#[derive(Default)]
struct Decoder {
    entry: LegacyKeyGrant,
    raw_privileges: Option<String>,
    raw_referrers: Option<String>,
}

fn set_text(into: &mut String, value: &str) {
    into.clear();
    into.push_str(value);
}

fn set_list(raw: &mut Option<String>, into: &mut Vec<String>, value: &str) -> StoreResult<()> {
    if raw.as_deref() != Some(value) {
        *into = serde_json::from_str(value).map_err(|e| corrupt("legacy_keys", &e.to_string()))?;
        *raw = Some(value.to_string());
    }
    Ok(())
}

impl Decoder {
    fn fill(&mut self, fields: [&str; 5], last_used: i64) -> StoreResult<&LegacyKeyGrant> {
        let [item_id, key_hash, owner, privileges, referrers] = fields;
        set_text(&mut self.entry.item_id, item_id);
        set_text(&mut self.entry.key_hash, key_hash);
        set_text(&mut self.entry.owner, owner);
        set_list(
            &mut self.raw_privileges,
            &mut self.entry.privileges,
            privileges,
        )?;
        set_list(
            &mut self.raw_referrers,
            &mut self.entry.http_referrers,
            referrers,
        )?;
        self.entry.last_used = last_used;
        Ok(&self.entry)
    }

    fn fill_row(&mut self, row: &AnyRow) -> StoreResult<&LegacyKeyGrant> {
        let fields = [
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ];
        self.fill(fields, row.try_get(5)?)
    }
}

/// The records of a packed page, or `None` unless it holds exactly `expected` well-formed ones.
fn unpack(packed: &str, expected: i64) -> Option<Vec<([&str; 5], i64)>> {
    let mut keys = Vec::with_capacity(usize::try_from(expected).ok()?);
    for record in packed.split(RECORD) {
        let mut f = record.split(FIELD);
        let fields = [f.next()?, f.next()?, f.next()?, f.next()?, f.next()?];
        let last_used = f.next()?.parse().ok()?;
        if f.next().is_some() {
            return None;
        }
        keys.push((fields, last_used));
    }
    (i64::try_from(keys.len()).ok()? == expected).then_some(keys)
}

pub(super) async fn scan(
    store: &SqlStore,
    visit: &mut (dyn for<'e> FnMut(&'e LegacyKeyGrant) + Send),
) -> StoreResult<u64> {
    let (page_sql, rows_sql, mut after) = match store.backend {
        Backend::Sqlite => (
            PACKED_PAGE_SQLITE,
            PAGE_ROWS_SQLITE,
            Position::Rowid(i64::MIN),
        ),
        Backend::Postgres => (
            PACKED_PAGE_POSTGRES,
            PAGE_ROWS_POSTGRES,
            Position::ItemId(String::new()),
        ),
    };
    let mut decoder = Decoder::default();
    let mut seen = 0u64;
    loop {
        let row = after
            .bind(sqlx::query(page_sql))
            .bind(PAGE)
            .fetch_one(store.pool())
            .await?;
        let count: i64 = row.try_get(1)?;
        let (Some(last), Some(packed)) = (after.read(&row)?, row.try_get::<Option<&str>, _>(2)?)
        else {
            return Ok(seen);
        };
        match unpack(packed, count) {
            Some(keys) => {
                for (fields, last_used) in keys {
                    visit(decoder.fill(fields, last_used)?);
                }
            }
            None => {
                tracing::warn!(
                    "legacy keys: a stored value holds a separator; page read row by row"
                );
                let query = last.bind(after.bind(sqlx::query(rows_sql)));
                let mut rows = query.fetch(store.pool());
                while let Some(row) = rows.try_next().await? {
                    visit(decoder.fill_row(&row)?);
                }
            }
        }
        seen += u64::try_from(count).unwrap_or(0);
        after = last;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_unpack_only_when_every_record_checks_out() {
        let one = "i1\u{1f}h1\u{1f}ann\u{1f}[\"p\"]\u{1f}[]\u{1f}-1";
        let two = format!("{one}\u{1e}i2\u{1f}h2\u{1f}bob\u{1f}[]\u{1f}[]\u{1f}5");
        let keys = unpack(&two, 2).expect("two keys");
        assert_eq!(keys[1], (["i2", "h2", "bob", "[]", "[]"], 5));
        assert!(unpack(&two, 1).is_none(), "a count that differs");
        assert!(
            unpack("i\u{1f}h\u{1f}o\u{1f}[]\u{1f}[]", 1).is_none(),
            "five fields"
        );
        assert!(
            unpack(&format!("{one}\u{1f}x"), 1).is_none(),
            "seven fields"
        );
        assert!(unpack("i\u{1f}h\u{1f}o\u{1f}[]\u{1f}[]\u{1f}soon", 1).is_none());
    }
}
