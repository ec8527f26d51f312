//! Items and their shares.

use keyportal_domain::item::{Item, ItemAccess};
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::plan::ItemPlan;
use keyportal_store::{
    FolderListing, FolderStore, GroupStore, ItemSearch, ItemStore, SharedItem, SqlStore,
};
use serde_json::{json, Map, Value};

use crate::fixtures::*;

pub(crate) async fn items_round_trip_every_field(store: &SqlStore) {
    add_user(store, "ivy").await;
    let f = folder(1, "ivy", "Maps", 1);
    store.create_folder(&f).await.expect("folder");
    let mut extra = Map::new();
    extra.insert("extent".into(), json!([[-180.0, -90.0], [180.0, 90.5]]));
    extra.insert("culture".into(), json!("de-ch"));
    extra.insert("listed".into(), json!(false));
    extra.insert("licenseInfo".into(), json!("<b>CC-BY</b> — ©"));
    extra.insert("categories".into(), json!(["/Categories/Ünïcode"]));
    let full = Item {
        id: hex_id(0xabc),
        owner: "ivy".into(),
        org_id: "orgAAAAAAAAAAAAA".into(),
        folder_id: Some(f.id.clone()),
        title: "Karte der Städte — 東京 🗺".into(),
        item_type: "Application".into(),
        type_keywords: vec!["API Key".into(), "Registered App".into(), "APIToken".into()],
        tags: vec!["ünïcode".into(), "with,comma".into(), "quote\"d".into()],
        description: "<p>Multi\nline</p> 'single' ; --".into(),
        snippet: "Snippet ✓".into(),
        url: "https://example.com/arcgis/rest/services/x/FeatureServer?token=".into(),
        access: ItemAccess::Org,
        properties: Some(json!({
            "nested": {"a": [1, 2, 3], "b": null, "c": 1.5, "d": "ü"},
            "flag": true
        })),
        extra,
        created: 1_700_000_000_001,
        modified: 1_700_000_000_002,
    };
    store.insert_item(&full).await.expect("insert");
    let expected = SharedItem {
        item: full.clone(),
        group_ids: vec![],
    };
    assert_eq!(store.get_item(&full.id).await.expect("get"), Some(expected));

    let mut json_null = item(2, "ivy", None, 5);
    json_null.access = ItemAccess::Public;
    json_null.properties = Some(Value::Null);
    store.insert_item(&json_null).await.expect("insert");
    assert_eq!(
        store
            .get_item(&json_null.id)
            .await
            .expect("get")
            .map(|s| s.item),
        Some(json_null)
    );
    let mut plain = item(3, "ivy", None, 6);
    plain.access = ItemAccess::Private;
    store.insert_item(&plain).await.expect("insert");
    assert_eq!(
        store
            .get_item(&plain.id)
            .await
            .expect("get")
            .map(|s| s.item),
        Some(plain)
    );
    assert_eq!(store.get_item(&hex_id(999)).await.expect("get"), None);
}

pub(crate) async fn items_list_by_folder_oldest_first(store: &SqlStore) {
    add_user(store, "jo").await;
    add_user(store, "kim").await;
    let f = folder(1, "jo", "Work", 1);
    store.create_folder(&f).await.expect("folder");
    let in_folder = [
        item(10, "jo", Some(f.id.clone()), 300),
        item(11, "jo", Some(f.id.clone()), 100),
        item(12, "jo", Some(f.id.clone()), 200),
    ];
    let at_root = [item(20, "jo", None, 50), item(21, "jo", None, 40)];
    let others = [item(30, "kim", None, 10)];
    for it in in_folder.iter().chain(&at_root).chain(&others) {
        store.insert_item(it).await.expect("insert");
    }
    store
        .create_group(&group(1, "kim", 1))
        .await
        .expect("group");
    store
        .share_item_with_group(&hex_id(12), &hex_id(1))
        .await
        .expect("share");

    let listed = folder_page(store, "jo", Some(&f.id)).await;
    let ids: Vec<&str> = listed.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, [hex_id(11), hex_id(12), hex_id(10)]);
    assert_eq!(listed[1].group_ids, vec![hex_id(1)]);
    assert!(listed[0].group_ids.is_empty());

    let root = folder_page(store, "jo", None).await;
    let ids: Vec<&str> = root.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, [hex_id(21), hex_id(20)]);
    assert!(folder_page(store, "kim", Some(&f.id)).await.is_empty());
    assert!(folder_page(store, "nobody", None).await.is_empty());

    // A page in the middle, with the total of the whole folder.
    let middle = store
        .list_items_in_folder(&FolderListing {
            owner: "jo",
            folder_id: Some(&f.id),
            visible: None,
            offset: 1,
            limit: 1,
        })
        .await
        .expect("page");
    assert_eq!(middle.total, 3);
    let ids: Vec<&str> = middle.items.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(ids, [hex_id(12)]);

    let all = store
        .search_items(&ItemSearch {
            plan: &ItemPlan::True,
            visible: None,
            sort: ItemSort::NEWEST_FIRST,
            offset: 0,
            limit: 100,
        })
        .await
        .expect("all");
    assert_eq!(all.total, 6);
    let shared: Vec<&SharedItem> = all
        .items
        .iter()
        .filter(|s| !s.group_ids.is_empty())
        .collect();
    assert_eq!(shared.len(), 1);
    assert_eq!(shared[0].item.id, hex_id(12));
    assert_eq!(store.count_items_owned_by("jo").await.expect("count"), 5);
    assert_eq!(store.count_items_owned_by("kim").await.expect("count"), 1);
    assert_eq!(
        store.count_items_owned_by("nobody").await.expect("count"),
        0
    );
}

pub(crate) async fn item_updates_and_conflicts(store: &SqlStore) {
    add_user(store, "lee").await;
    add_user(store, "max").await;
    let f = folder(1, "lee", "Box", 1);
    store.create_folder(&f).await.expect("folder");
    let mut it = item(1, "lee", Some(f.id.clone()), 10);
    it.properties = Some(json!({"k": "v"}));
    store.insert_item(&it).await.expect("insert");

    assert_conflict(store.insert_item(&it).await, &it.id);
    assert_conflict(
        store
            .insert_item(&item(2, "lee", Some(hex_id(77)), 1))
            .await,
        &hex_id(77),
    );
    assert_conflict(
        store.insert_item(&item(3, "nobody", None, 1)).await,
        "nobody",
    );

    it.folder_id = None;
    it.title = "Renamed — ✓".into();
    it.item_type = "Feature Service".into();
    it.type_keywords = vec!["Data".into()];
    it.tags = vec!["t1".into(), "t2".into()];
    it.description = "new".into();
    it.snippet = "snip".into();
    it.url = "https://example.org".into();
    it.access = ItemAccess::Public;
    it.properties = None;
    it.extra.insert("culture".into(), json!("fr-fr"));
    it.modified = 20;
    store.update_item(&it).await.expect("update");
    assert_eq!(
        store.get_item(&it.id).await.expect("get").map(|s| s.item),
        Some(it.clone())
    );
    assert!(folder_page(store, "lee", Some(&f.id)).await.is_empty());

    // Reassigning to another owner (an admin operation) moves it out of lee's content.
    it.owner = "max".into();
    store.update_item(&it).await.expect("reassign");
    assert_eq!(store.count_items_owned_by("max").await.expect("count"), 1);
    assert_eq!(store.count_items_owned_by("lee").await.expect("count"), 0);

    it.folder_id = Some(hex_id(55));
    assert_conflict(store.update_item(&it).await, &hex_id(55));
    assert_not_found(store.update_item(&item(9, "lee", None, 1)).await);
}

pub(crate) async fn shares_are_idempotent_and_die_with_the_item(store: &SqlStore) {
    add_user(store, "ned").await;
    let g1 = group(1, "ned", 1);
    let g2 = group(2, "ned", 2);
    store.create_group(&g1).await.expect("group");
    store.create_group(&g2).await.expect("group");
    let it = item(1, "ned", None, 1);
    let other = item(2, "ned", None, 2);
    store.insert_item(&it).await.expect("item");
    store.insert_item(&other).await.expect("item");

    for _ in 0..2 {
        store
            .share_item_with_group(&it.id, &g2.id)
            .await
            .expect("share");
        store
            .share_item_with_group(&it.id, &g1.id)
            .await
            .expect("share");
    }
    store
        .share_item_with_group(&other.id, &g1.id)
        .await
        .expect("share");
    let shared = store.get_item(&it.id).await.expect("get").expect("item");
    assert_eq!(shared.group_ids, vec![g1.id.clone(), g2.id.clone()]);
    assert_eq!(
        store.items_shared_with(&g1.id).await.expect("shared"),
        vec![it.id.clone(), other.id.clone()]
    );
    assert_not_found(store.share_item_with_group(&it.id, &hex_id(99)).await);
    assert_not_found(store.share_item_with_group(&hex_id(99), &g1.id).await);

    for _ in 0..2 {
        store
            .unshare_item_from_group(&it.id, &g2.id)
            .await
            .expect("unshare");
    }
    store
        .unshare_item_from_group(&hex_id(99), &hex_id(98))
        .await
        .expect("unsharing nothing is fine");
    assert_eq!(
        store
            .get_item(&it.id)
            .await
            .expect("get")
            .expect("item")
            .group_ids,
        vec![g1.id.clone()]
    );

    store.delete_item(&it.id).await.expect("delete");
    assert_eq!(store.get_item(&it.id).await.expect("get"), None);
    assert_eq!(
        store.items_shared_with(&g1.id).await.expect("shared"),
        vec![other.id.clone()]
    );
    assert_not_found(store.delete_item(&it.id).await);
    // The id may be reused after deletion, with no stale shares.
    store.insert_item(&it).await.expect("reinsert");
    assert!(store
        .get_item(&it.id)
        .await
        .expect("get")
        .expect("item")
        .group_ids
        .is_empty());
}

/// Every item of a folder (`None` = root), oldest first.
async fn folder_page(store: &SqlStore, owner: &str, folder_id: Option<&str>) -> Vec<SharedItem> {
    let page = store
        .list_items_in_folder(&FolderListing {
            owner,
            folder_id,
            visible: None,
            offset: 0,
            limit: 100,
        })
        .await
        .expect("folder page");
    assert_eq!(page.total, page.items.len());
    page.items
}
