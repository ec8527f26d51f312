//! Family 3c: a personal key acts as its owner only within its privileges (design §2.10): it
//! neither reads the owner's private content nor deletes the owner's groups with
//! `viewOrgUsers`, and even with `createItem` it never manages credentials (slot dates).

use crate::support::{assert_refused, credential, item, key_code, mint, now, sqlite_server, DAY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_key_with_view_org_users_does_not_act_as_its_owner_elsewhere() {
    let (s, admin) = sqlite_server().await;
    let secret = s.add_item(&admin, "admin", "Private plans", &[]).await;
    let folder = s
        .post(
            "content/users/admin/createFolder",
            Some(&admin),
            &[("title", "Hidden folder")],
        )
        .await;
    assert_eq!(folder["success"], true, "{folder}");
    let group = s
        .post(
            "community/createGroup",
            Some(&admin),
            &[("title", "Admins only"), ("access", "private")],
        )
        .await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = credential(&s, &admin, "admin", &["portal:user:viewOrgUsers"], &[]).await;
    let key = mint(&s, &c, "1").await;
    // It acts as its owner (community/self) but lists none of the owner's private content.
    assert_eq!(
        s.get_with_key("community/self", &key, None).await["username"],
        "admin"
    );
    let listing = s.get_with_key("content/users/admin", &key, None).await;
    assert!(!listing.to_string().contains(&secret), "{listing}");
    assert!(!listing.to_string().contains("Hidden folder"), "{listing}");
    assert_refused(
        &s.get_with_key(&format!("content/items/{secret}"), &key, None)
            .await,
        400,
        Some("CONT_0001"),
        "reading the owner's private item",
    );
    let deleted = s
        .post(&format!("community/groups/{group}/delete"), Some(&key), &[])
        .await;
    assert_refused(
        &deleted,
        400,
        Some("Group does not exist"),
        "deleting the owner's group",
    );
    let still = s
        .get(&format!("community/groups/{group}"), Some(&admin), &[])
        .await;
    assert_eq!(still["id"], group.as_str(), "{still}");
    assert_eq!(item(&s, &admin, &secret).await["title"], "Private plans");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_personal_key_cannot_manage_credentials_through_item_updates() {
    let (s, admin) = sqlite_server().await;
    let other = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let other_key = mint(&s, &other, "2").await;
    // A personal key that may edit its owner's items (createItem) and sees the other
    // credential's item through its item access.
    let access = format!("portal:app:access:item:{}", other.item);
    let c = credential(
        &s,
        &admin,
        "admin",
        &["portal:user:createItem", &access],
        &[],
    )
    .await;
    let key = mint(&s, &c, "1").await;
    let date_before = item(&s, &admin, &other.item).await["apiToken2ExpirationDate"].clone();
    let moved = s
        .post(
            &format!("content/users/admin/items/{}/update", other.item),
            Some(&key),
            &[
                ("apiToken2ExpirationDate", &(now() + 3 * DAY).to_string()),
                ("snippet", "moved by a key"),
            ],
        )
        .await;
    assert_refused(
        &moved,
        403,
        Some("API keys cannot manage credentials."),
        "a personal key moves a slot date",
    );
    let after = item(&s, &admin, &other.item).await;
    assert_eq!(after["apiToken2ExpirationDate"], date_before);
    assert_ne!(after["snippet"], "moved by a key");
    assert_eq!(
        key_code(&s, &other_key, None).await,
        0,
        "the other key survived"
    );
    // The same key still edits the item itself: its privilege covers items, not credentials.
    let edited = s
        .post(
            &format!("content/users/admin/items/{}/update", other.item),
            Some(&key),
            &[("snippet", "edited by a personal key")],
        )
        .await;
    assert_eq!(edited["success"], true, "{edited}");
    assert_eq!(key_code(&s, &other_key, None).await, 0);
}
