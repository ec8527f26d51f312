//! Folders.

use keyportal_store::{FolderStore, ItemStore, SqlStore};

use crate::fixtures::*;

pub(crate) async fn folders_are_per_owner_with_unique_titles(store: &SqlStore) {
    add_user(store, "fay").await;
    add_user(store, "gus").await;
    let keys = folder(1, "fay", "Keys", 30);
    let cyrillic = folder(2, "fay", "Ключи 🔑", 10);
    let other = folder(3, "fay", "Other", 20);
    for f in [&keys, &cyrillic, &other] {
        store.create_folder(f).await.expect("create");
    }
    assert_eq!(
        store.get_folder("fay", &keys.id).await.expect("get"),
        Some(keys.clone())
    );
    assert_eq!(store.get_folder("gus", &keys.id).await.expect("get"), None);
    assert_eq!(
        store.get_folder("fay", &hex_id(99)).await.expect("get"),
        None
    );
    assert_eq!(
        store.list_folders("fay").await.expect("list"),
        vec![cyrillic.clone(), other.clone(), keys.clone()]
    );
    assert!(store.list_folders("gus").await.expect("list").is_empty());

    assert_conflict(
        store.create_folder(&folder(4, "fay", "KEYS", 1)).await,
        "fay already has a folder named KEYS",
    );
    assert_conflict(
        store.create_folder(&folder(5, "fay", "КЛЮЧИ 🔑", 1)).await,
        "КЛЮЧИ",
    );
    assert_conflict(
        store.create_folder(&folder(1, "gus", "New", 1)).await,
        &keys.id,
    );
    assert_conflict(
        store.create_folder(&folder(6, "nobody", "X", 1)).await,
        "nobody",
    );
    // Another owner may use the same title.
    store
        .create_folder(&folder(7, "gus", "keys", 1))
        .await
        .expect("same title, other owner");

    assert_not_found(store.delete_folder("gus", &keys.id).await);
    store.delete_folder("fay", &keys.id).await.expect("delete");
    assert_eq!(store.get_folder("fay", &keys.id).await.expect("get"), None);
    assert_not_found(store.delete_folder("fay", &keys.id).await);
    store
        .create_folder(&folder(8, "fay", "keys", 40))
        .await
        .expect("title free again");
}

pub(crate) async fn non_empty_folders_cannot_be_deleted(store: &SqlStore) {
    add_user(store, "hal").await;
    let f = folder(1, "hal", "Full", 1);
    store.create_folder(&f).await.expect("folder");
    store
        .insert_item(&item(1, "hal", Some(f.id.clone()), 1))
        .await
        .expect("item");
    assert_conflict(store.delete_folder("hal", &f.id).await, "not empty");
    assert!(store.get_folder("hal", &f.id).await.expect("get").is_some());
    let mut moved = store
        .get_item(&hex_id(1))
        .await
        .expect("get")
        .expect("item")
        .item;
    moved.folder_id = None;
    store.update_item(&moved).await.expect("move to root");
    store.delete_folder("hal", &f.id).await.expect("now empty");
}
