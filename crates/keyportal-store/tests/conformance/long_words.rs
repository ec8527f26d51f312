//! Long words (a base64 blob in a description): PostgreSQL refuses B-tree entries over about
//! 2,700 bytes, so index rows keep such a word truncated (`search::limits`). An item, a group
//! and a member holding a 5,000-byte word are saved on both backends and found by a prefix of
//! it; migration 12 cuts rows stored whole before.

use keyportal_domain::search::groups::{GroupField, GroupSort};
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::limits::MAX_TERM_BYTES;
use keyportal_domain::search::parse;
use keyportal_domain::search::users::{UserField, UserSort};
use keyportal_store::{
    GroupSearch, GroupStore, ItemSearch, ItemStore, SqlStore, UserSearch, UserStore,
};

use crate::fixtures::*;

/// 5,000 bytes of one word, with a multi-byte character straddling the 260-byte cut. The tail
/// is pseudo-random like a base64 blob: PostgreSQL compresses a repetitive one below its
/// limit, which would let the test pass without the truncation.
fn blob(tag: char) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(tag);
    let tail: String = (0..4_740)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from(ALPHABET[(state % ALPHABET.len() as u64) as usize])
        })
        .collect();
    format!("{tag}{}ü{tail}", "Q".repeat(258))
}

/// How many items, groups and members a query finds.
async fn found(store: &SqlStore, q: &str) -> (usize, usize, usize) {
    let query = parse(q).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    let items = store
        .search_items(&ItemSearch {
            plan: &query.item_plan().expect("item plan"),
            visible: None,
            sort: ItemSort::NEWEST_FIRST,
            offset: 0,
            limit: 10,
        })
        .await
        .expect("item search")
        .total;
    let groups = store
        .search_groups(&GroupSearch {
            plan: &query.record_plan::<GroupField>().expect("group plan"),
            visible: None,
            sort: GroupSort::by_field(None, false),
            offset: 0,
            limit: 10,
        })
        .await
        .expect("group search")
        .total;
    let users = store
        .search_users(&UserSearch {
            plan: &query.record_plan::<UserField>().expect("member plan"),
            visible: None,
            sort: UserSort::by_field(None, false),
            offset: 0,
            limit: 10,
        })
        .await
        .expect("member search")
        .total;
    (items, groups, users)
}

/// The longest prefix of `word` a query may hold, lowered, as a `description:` prefix query.
fn longest_prefix(word: &str) -> String {
    let lowered = word.to_lowercase();
    let mut cut = MAX_TERM_BYTES;
    while !lowered.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("description:{}*", &lowered[..cut])
}

pub(crate) async fn long_words_are_saved_and_found_by_prefix(store: &SqlStore) {
    let word = blob('B');
    assert!(word.len() >= 5_000);
    let mut member = user("longword");
    member.description = format!("profile {word} end");
    store
        .create_user(&member, "$argon2id$hash")
        .await
        .expect("a member with a long word is saved");
    let mut it = item(1, "longword", None, 1);
    it.description = format!("before {word} after");
    it.tags = vec![format!("{}€€", "t".repeat(255))];
    store
        .insert_item(&it)
        .await
        .expect("an item with a long word is saved");
    let mut g = group(2, "longword", 1);
    g.description = word.clone();
    store
        .create_group(&g)
        .await
        .expect("a group with a long word is saved");

    assert_eq!(found(store, &longest_prefix(&word)).await, (1, 1, 1));
    assert_eq!(found(store, "description:bq*").await, (1, 1, 1));
    assert_eq!(found(store, "description:after").await, (1, 0, 0));
    assert_eq!(found(store, "description:end").await, (0, 0, 1));
    // A prefix that leaves the word somewhere before the cut finds nothing.
    let wrong = format!("description:bq{}z*", "q".repeat(200));
    assert_eq!(found(store, &wrong).await, (0, 0, 0));
    // A whole tag longer than the cut: found by a prefix, not by a shorter value.
    let tag_prefix = format!("tags:{}*", "t".repeat(250));
    assert_eq!(found(store, &tag_prefix).await.0, 1);
    assert_eq!(
        found(store, &format!("tags:{}", "t".repeat(255))).await.0,
        0
    );

    // The rows are replaced exactly when the word goes away, and die with the item.
    let mut edited = it.clone();
    edited.description = "short now".into();
    store.update_item(&edited).await.expect("update");
    assert_eq!(found(store, &longest_prefix(&word)).await, (0, 1, 1));
    let mut back = edited.clone();
    back.description = word.clone();
    store.update_item(&back).await.expect("update back");
    assert_eq!(found(store, &longest_prefix(&word)).await.0, 1);
    store.delete_item(&back.id).await.expect("delete");
    let leftover: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item_terms WHERE item_id = $1")
        .bind(&back.id)
        .fetch_one(store.pool())
        .await
        .expect("count rows");
    assert_eq!(leftover, 0, "every row of the deleted item is gone");
}

/// Rows written whole before migration 12 are cut by it, so an item's recomputed rows (how
/// its rows are deleted) match what is stored.
pub(crate) async fn migration_12_cuts_long_terms_stored_before(store: &SqlStore) {
    add_user(store, "ann").await;
    // 1,000 bytes: long enough to be cut, short enough for PostgreSQL to have stored whole.
    let word = blob('C')[..1_000].to_string();
    let mut it = item(3, "ann", None, 1);
    it.description = word.clone();
    store.insert_item(&it).await.expect("item");
    // What an older version stored: the whole word.
    let whole = word.to_lowercase();
    sqlx::query("UPDATE item_terms SET term = $1 WHERE item_id = $2 AND field = 2")
        .bind(&whole)
        .bind(&it.id)
        .execute(store.pool())
        .await
        .expect("store the word whole");
    for statement in UNDO_MIGRATION_14
        .iter()
        .chain(UNDO_MIGRATION_13)
        .chain(UNDO_MIGRATION_12)
    {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .expect("back to before migration 12");
    }
    let upgraded = SqlStore::connect(store.url()).await.expect("upgrade");
    let longest: i64 =
        sqlx::query_scalar("SELECT CAST(MAX(length(term)) AS BIGINT) FROM item_terms")
            .fetch_one(upgraded.pool())
            .await
            .expect("longest term");
    assert!(longest <= 260, "{longest} characters");
    assert_eq!(found(&upgraded, &longest_prefix(&word)).await.0, 1);
    upgraded.delete_item(&it.id).await.expect("delete");
    let leftover: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM item_terms")
        .fetch_one(upgraded.pool())
        .await
        .expect("count rows");
    assert_eq!(leftover, 0);
    upgraded.pool().close().await;
}
