//! Bulk writes (the legacy import): many rows per statement in one transaction, and the
//! legacy key look-ups an import needs (by hash, by import time).

use keyportal_domain::item::{Item, ItemAccess};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::parse;
use keyportal_store::{BulkStore, ItemSearch, ItemStore, LegacyKeyStore, SqlStore};
use serde_json::json;

use crate::fixtures::*;

const OWNER: &str = "bulkowner";
/// More than two full statements' worth of rows, and a partial one.
const COUNT: u64 = 1_203;

fn bulk_item(n: u64, created: i64) -> Item {
    let mut item = item(n, OWNER, None, created);
    item.item_type = "API Key".into();
    item.type_keywords = vec!["API Key".into()];
    item.tags = vec!["legacy".into(), format!("t{n}")];
    item.snippet = "Imported legacy API key".into();
    item.title = format!("Clé {n} \"quoted\"");
    if n.is_multiple_of(2) {
        item.access = ItemAccess::Org;
        item.properties = Some(json!({"n": n}));
        item.extra.insert("culture".into(), json!("fr"));
    }
    item
}

fn bulk_key(n: u64, created: i64) -> LegacyKey {
    LegacyKey {
        item_id: hex_id(n),
        owner: OWNER.into(),
        key_hash: format!("{n:064x}"),
        key_hint: "AAPKabcd…wxyz".into(),
        privileges: vec!["premium:user:geocode".into()],
        http_referrers: if n.is_multiple_of(3) {
            vec!["https://*.example.com".into()]
        } else {
            vec![]
        },
        active: true,
        created,
        last_used: -1,
    }
}

async fn write(store: &SqlStore, range: std::ops::Range<u64>, created: i64) {
    let items: Vec<Item> = range.clone().map(|n| bulk_item(n, created)).collect();
    let keys: Vec<LegacyKey> = range.map(|n| bulk_key(n, created)).collect();
    let mut bulk = store.begin_bulk().await.expect("begin");
    bulk.insert_items(&items).await.expect("items");
    bulk.insert_legacy_keys(&keys).await.expect("keys");
    bulk.commit().await.expect("commit");
}

pub(crate) async fn bulk_writes_round_trip_and_show_only_once_committed(store: &SqlStore) {
    add_user(store, OWNER).await;
    let items: Vec<Item> = (1..=COUNT).map(|n| bulk_item(n, 700)).collect();
    let keys: Vec<LegacyKey> = (1..=COUNT).map(|n| bulk_key(n, 700)).collect();
    let mut bulk = store.begin_bulk().await.expect("begin");
    bulk.insert_items(&items).await.expect("items");
    bulk.insert_legacy_keys(&keys).await.expect("keys");
    assert_eq!(
        store.get_item(&hex_id(5)).await.expect("get"),
        None,
        "nothing is visible before the commit"
    );
    bulk.commit().await.expect("commit");
    assert_eq!(
        store.count_items_owned_by(OWNER).await.expect("count"),
        1_203
    );
    for n in [1, 2, 500, 501, 1_000, 1_203] {
        let stored = store
            .get_item(&hex_id(n))
            .await
            .expect("get")
            .expect("item");
        assert_eq!(stored.item, bulk_item(n, 700), "item {n}");
        assert_eq!(
            store.get_legacy_key(&hex_id(n)).await.expect("get"),
            Some(bulk_key(n, 700)),
            "key {n}"
        );
    }
    assert_eq!(all_legacy_keys(store).await.len(), 1_203);
    // Bulk-written items are in the search index like any other.
    for (q, expected) in [
        ("title:\"clé 501\"", vec![hex_id(501)]),
        ("tags:t1203", vec![hex_id(1_203)]),
        (
            "owner:bulkowner AND type:\"API Key\" AND quoted",
            Vec::new(),
        ),
        // A whole owner: its total comes from the kept counts.
        ("owner:BulkOwner", Vec::new()),
    ] {
        let plan = parse(q).expect("query").item_plan().expect("plan");
        let page = store
            .search_items(&ItemSearch {
                plan: &plan,
                visible: None,
                sort: ItemSort::NEWEST_FIRST,
                offset: 0,
                limit: 5,
            })
            .await
            .expect("search");
        let ids: Vec<String> = page.items.iter().map(|s| s.item.id.clone()).collect();
        if expected.is_empty() {
            assert_eq!(page.total, 1_203, "{q}");
        } else {
            assert_eq!((ids, page.total), (expected, 1), "{q}");
        }
    }
}

pub(crate) async fn a_bulk_write_is_all_or_nothing(store: &SqlStore) {
    add_user(store, OWNER).await;
    write(store, 1..3, 700).await;
    // Dropped without a commit: rolled back.
    let mut bulk = store.begin_bulk().await.expect("begin");
    let items: Vec<Item> = (10..20).map(|n| bulk_item(n, 800)).collect();
    bulk.insert_items(&items).await.expect("items");
    drop(bulk);
    assert_eq!(store.get_item(&hex_id(10)).await.expect("get"), None);
    // A taken id, a taken hash and a missing owner are conflicts; nothing of the batch stays.
    let mut bulk = store.begin_bulk().await.expect("begin");
    let taken: Vec<Item> = (20..22).chain(2..3).map(|n| bulk_item(n, 800)).collect();
    assert_conflict(bulk.insert_items(&taken).await, "already exists");
    drop(bulk);
    assert_eq!(store.get_item(&hex_id(20)).await.expect("get"), None);
    let mut bulk = store.begin_bulk().await.expect("begin");
    bulk.insert_items(&[bulk_item(30, 800)])
        .await
        .expect("item");
    let mut same_hash = bulk_key(30, 800);
    same_hash.key_hash = bulk_key(1, 700).key_hash;
    assert_conflict(
        bulk.insert_legacy_keys(&[same_hash]).await,
        "already exists",
    );
    drop(bulk);
    assert_eq!(store.get_item(&hex_id(30)).await.expect("get"), None);
    let mut bulk = store.begin_bulk().await.expect("begin");
    let mut stranger = bulk_item(40, 800);
    stranger.owner = "nobody".into();
    assert_conflict(bulk.insert_items(&[stranger]).await, "does not exist");
    drop(bulk);
    let mut bulk = store.begin_bulk().await.expect("begin");
    assert_conflict(
        bulk.insert_legacy_keys(&[bulk_key(50, 800)]).await,
        "does not exist",
    );
    drop(bulk);
    assert_eq!(all_legacy_keys(store).await.len(), 2);
    // The store still writes after every rollback.
    write(store, 60..61, 800).await;
    assert_eq!(all_legacy_keys(store).await.len(), 3);
    // Rolled-back batches left no count behind.
    let plan = parse("owner:bulkowner")
        .expect("query")
        .item_plan()
        .expect("plan");
    let page = store
        .search_items(&ItemSearch {
            plan: &plan,
            visible: None,
            sort: ItemSort::NEWEST_FIRST,
            offset: 0,
            limit: 1,
        })
        .await
        .expect("search");
    assert_eq!(page.total, 3);
}

pub(crate) async fn legacy_keys_are_found_by_hash_and_by_import_time(store: &SqlStore) {
    add_user(store, OWNER).await;
    write(store, 1..601, 700).await;
    write(store, 601..700, 900).await;
    assert_eq!(
        store.legacy_hashes_stored(&[]).await.expect("none asked"),
        Vec::<String>::new()
    );
    // More hashes than one statement takes, most of them unknown.
    let asked: Vec<String> = (550..1_300).map(|n| format!("{n:064x}")).collect();
    let mut found = store.legacy_hashes_stored(&asked).await.expect("lookup");
    found.sort();
    let expected: Vec<String> = (550..700).map(|n| format!("{n:064x}")).collect();
    assert_eq!(found, expected);

    // Pages of one import, by item id, never another import's keys.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store
            .legacy_keys_created_at(700, &after, 250)
            .await
            .expect("page");
        assert!(page.len() <= 250);
        assert!(page.iter().all(|k| k.created == 700));
        seen.extend(page.iter().map(|k| k.item_id.clone()));
        match page.last() {
            Some(last) if page.len() == 250 => after = last.item_id.clone(),
            _ => break,
        }
    }
    let expected: Vec<String> = (1..601).map(hex_id).collect();
    assert_eq!(seen, expected, "every key once, in item id order");
    let later = store
        .legacy_keys_created_at(900, "", 1_000)
        .await
        .expect("later import");
    assert_eq!(later.len(), 99);
    assert_eq!(later[0], bulk_key(601, 900));
    assert!(store
        .legacy_keys_created_at(901, "", 10)
        .await
        .expect("none")
        .is_empty());
}

pub(crate) async fn legacy_keys_are_listed_page_by_page(store: &SqlStore) {
    add_user(store, OWNER).await;
    write(store, 1..401, 700).await;
    write(store, 401..551, 600).await;
    // Every key once, by item id, whatever import it came from; pages of at most `limit`.
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let page = store
            .list_legacy_keys_after(None, &after, 128)
            .await
            .expect("page");
        assert!(page.len() <= 128);
        seen.extend(page.iter().map(|k| k.item_id.clone()));
        match page.last() {
            Some(last) if page.len() == 128 => after = last.item_id.clone(),
            _ => break,
        }
    }
    let expected: Vec<String> = (1..551).map(hex_id).collect();
    assert_eq!(seen, expected);
    let from = store
        .list_legacy_keys_after(None, &hex_id(549), 10)
        .await
        .expect("tail");
    assert_eq!(from, vec![bulk_key(550, 600)]);
    assert!(store
        .list_legacy_keys_after(None, &hex_id(550), 10)
        .await
        .expect("beyond")
        .is_empty());

    // One owner's keys: full pages of theirs only, in item id order, across both imports.
    let theirs: Vec<u64> = (3..551).step_by(7).collect();
    for &n in &theirs {
        let mut key = bulk_key(n, if n < 401 { 700 } else { 600 });
        key.owner = "other".into();
        store.update_legacy_key(&key).await.expect("reassign");
    }
    let mut pages = Vec::new();
    let mut after = String::new();
    loop {
        let page = store
            .list_legacy_keys_after(Some("other"), &after, 10)
            .await
            .expect("owner page");
        assert!(page.iter().all(|k| k.owner == "other"));
        pages.push(page.len());
        match page.last() {
            Some(last) => after = last.item_id.clone(),
            None => break,
        }
    }
    assert_eq!(pages.iter().sum::<usize>(), theirs.len());
    assert!(
        pages[..pages.len() - 2].iter().all(|n| *n == 10),
        "{pages:?}"
    );
    let first = store
        .list_legacy_keys_after(Some("other"), "", 2)
        .await
        .expect("first page");
    let ids: Vec<String> = first.iter().map(|k| k.item_id.clone()).collect();
    assert_eq!(ids, [hex_id(3), hex_id(10)]);
    let owners = store
        .list_legacy_keys_after(Some(OWNER), "", 1_000)
        .await
        .expect("the rest");
    assert_eq!(owners.len(), 550 - theirs.len());
    assert!(store
        .list_legacy_keys_after(Some("BULKOWNER"), "", 10)
        .await
        .expect("another spelling")
        .is_empty());
}
