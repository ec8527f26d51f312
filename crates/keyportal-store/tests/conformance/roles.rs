//! Custom roles.

use keyportal_store::{RoleStore, SqlStore};

use crate::fixtures::*;

pub(crate) async fn roles_round_trip_and_names_are_unique_ignoring_case(store: &SqlStore) {
    assert!(store.list_roles().await.expect("list").is_empty());
    let analysts = role(
        "AnAlYsTs12345678",
        "Analysts",
        &[
            "portal:user:createItem",
            "portal:app:access:item:0123456789abcdef0123456789abcdef",
        ],
    );
    store.create_role(&analysts).await.expect("create");
    assert_eq!(
        store.get_role(&analysts.id).await.expect("get"),
        Some(analysts.clone())
    );
    assert_eq!(store.get_role("analysts12345678").await.expect("get"), None);

    let shouting = role("Shouting12345678", "ANALYSTS", &[]);
    assert_conflict(
        store.create_role(&shouting).await,
        "a role named ANALYSTS already exists",
    );
    let same_id = role("AnAlYsTs12345678", "Other", &[]);
    assert_conflict(store.create_role(&same_id).await, "AnAlYsTs12345678");

    let umlaut = role("Umlaut1234567890", "Ärzte", &["portal:user:joinGroup"]);
    store.create_role(&umlaut).await.expect("create");
    let upper_umlaut = role("Umlaut0987654321", "ÄRZTE", &[]);
    assert_conflict(store.create_role(&upper_umlaut).await, "ÄRZTE");
    let empty = role("Empty12345678901", "empty", &[]);
    store.create_role(&empty).await.expect("no privileges");

    let listed: Vec<String> = store
        .list_roles()
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(listed, vec!["Analysts", "empty", "Ärzte"]);

    let mut renamed = analysts.clone();
    renamed.name = "Data analysts".into();
    renamed.description = "Ändert Daten".into();
    renamed.privileges = ["portal:user:shareToGroup"].into_iter().collect();
    renamed.modified = 99;
    store.update_role(&renamed).await.expect("update");
    assert_eq!(
        store.get_role(&renamed.id).await.expect("get"),
        Some(renamed.clone())
    );
    // Changing only the case of one's own name is fine; taking another's name is not.
    renamed.name = "DATA ANALYSTS".into();
    store.update_role(&renamed).await.expect("case change");
    renamed.name = "ärzte".into();
    assert_conflict(store.update_role(&renamed).await, "ärzte");
    // The old name is free again.
    store
        .create_role(&shouting)
        .await
        .expect("old name reusable");

    assert_not_found(
        store
            .update_role(&role("Missing123456789", "Missing", &[]))
            .await,
    );
    store.delete_role(&umlaut.id).await.expect("delete");
    assert_eq!(store.get_role(&umlaut.id).await.expect("get"), None);
    assert_not_found(store.delete_role(&umlaut.id).await);
}
