//! Issue 10, findings 1 and 2 from outside: a personal key never acts as its owner beyond its
//! privileges, app keys never act as anyone, and delegated administrators grant only what they
//! hold. Each refusal is checked to have changed nothing.

use serde_json::json;

use crate::harness::{error_code, key_with, TestServer};
use crate::on_both_backends;

/// A custom role with exactly `privileges`, created by the administrator.
async fn role_with(s: &TestServer, admin: &str, name: &str, privileges: &[&str]) -> String {
    let created = s
        .post(
            "portals/self/createRole",
            Some(admin),
            &[("name", name), ("description", "delegated")],
        )
        .await;
    let role = created["id"].as_str().expect("role id").to_string();
    let set = s
        .post(
            &format!("portals/self/roles/{role}/setPrivileges"),
            Some(admin),
            &[(
                "privileges",
                &json!({ "privileges": privileges }).to_string(),
            )],
        )
        .await;
    assert_eq!(set["success"], true, "{set}");
    role
}

on_both_backends!(
    a_personal_key_reads_and_changes_only_what_its_privileges_cover,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let secret_item = s.add_item(&admin, "admin", "Private plans", &[]).await;
        let group = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[("title", "Admins only"), ("access", "private")],
            )
            .await;
        let group_id = group["group"]["id"].as_str().expect("group").to_string();
        let (_, _, key) =
            key_with(&s, &admin, &["portal:user:viewOrgUsers".to_string()], &[]).await;

        let listing = s.get("content/users/admin", Some(&key), &[]).await;
        let ids: Vec<&str> = listing["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["id"].as_str()).collect())
            .unwrap_or_default();
        assert!(
            !ids.contains(&secret_item.as_str()),
            "the key lists its owner's private item: {listing}"
        );
        assert!(listing["folders"].as_array().is_none_or(|f| f.is_empty()));

        let deleted = s
            .post(
                &format!("community/groups/{group_id}/delete"),
                Some(&key),
                &[],
            )
            .await;
        assert_ne!(deleted["success"], true, "{deleted}");
        assert!(
            error_code(&deleted) == 403 || error_code(&deleted) == 400,
            "{deleted}"
        );
        let still = s
            .get(&format!("community/groups/{group_id}"), Some(&admin), &[])
            .await;
        assert_eq!(still["id"], group_id, "the group is still there: {still}");
    }
);

on_both_backends!(
    an_app_key_never_acts_as_its_owner_nor_tells_who_exists,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        s.add_item(&admin, "admin", "Private plans", &[]).await;
        let (_, _, key) = key_with(&s, &admin, &["premium:user:basemaps".to_string()], &[]).await;
        let existing = s.get("content/users/admin", Some(&key), &[]).await;
        let missing = s.get("content/users/nobody-here", Some(&key), &[]).await;
        assert_eq!(existing["total"], 0, "{existing}");
        assert_eq!(
            existing["total"], missing["total"],
            "an existing and a missing member look the same to a basemaps key: {existing} / {missing}"
        );
        assert_eq!(error_code(&missing), 0, "{missing}");
        let added = s
            .post(
                "content/users/admin/addItem",
                Some(&key),
                &[("title", "From a key"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(error_code(&added), 403, "{added}");
    }
);

on_both_backends!(
    a_delegated_role_manager_cannot_grant_what_they_lack,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let delegated = [
            "portal:user:createItem",
            "portal:admin:viewUsers",
            "portal:admin:manageRoles",
            "portal:admin:changeUserRoles",
        ];
        let role = role_with(&s, &admin, "Role managers", &delegated).await;
        let mallory = s.member(&admin, "mallory", &role, "creatorUT").await;

        // A new role with a privilege mallory does not hold.
        let wider = json!({ "privileges": ["portal:admin:manageSecurity"] }).to_string();
        let created = s
            .post(
                "portals/self/createRole",
                Some(&mallory),
                &[("name", "Escalated"), ("description", "x")],
            )
            .await;
        if let Some(id) = created["id"].as_str() {
            let set = s
                .post(
                    &format!("portals/self/roles/{id}/setPrivileges"),
                    Some(&mallory),
                    &[("privileges", &wider)],
                )
                .await;
            assert_eq!(error_code(&set), 403, "{set}");
            assert!(set["error"]["details"]
                .to_string()
                .contains("manageSecurity"));
        }
        // Widening the role mallory holds.
        let mut own_plus: Vec<&str> = delegated.to_vec();
        own_plus.push("portal:admin:deleteItems");
        let widened = s
            .post(
                &format!("portals/self/roles/{role}/setPrivileges"),
                Some(&mallory),
                &[("privileges", &json!({ "privileges": own_plus }).to_string())],
            )
            .await;
        assert_eq!(error_code(&widened), 403, "{widened}");
        let privileges = s
            .get(
                &format!("portals/self/roles/{role}/getPrivileges"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(
            privileges["privileges"].as_array().map(Vec::len),
            Some(delegated.len()),
            "the refused change changed nothing: {privileges}"
        );
        // Promoting themself to administrator.
        let promoted = s
            .post(
                "portals/self/updateUserRole",
                Some(&mallory),
                &[("user", "mallory"), ("role", "org_admin")],
            )
            .await;
        assert_eq!(error_code(&promoted), 403, "{promoted}");
        let me = s.get("community/users/mallory", Some(&admin), &[]).await;
        assert_eq!(me["roleId"], role, "mallory's role is unchanged: {me}");
        // An allowed delegation still works: a role within what mallory holds.
        let allowed = s
            .post(
                "portals/self/createRole",
                Some(&mallory),
                &[("name", "Creators"), ("description", "x")],
            )
            .await;
        let allowed_id = allowed["id"].as_str().expect("role").to_string();
        let set = s
            .post(
                &format!("portals/self/roles/{allowed_id}/setPrivileges"),
                Some(&mallory),
                &[(
                    "privileges",
                    &json!({ "privileges": ["portal:user:createItem"] }).to_string(),
                )],
            )
            .await;
        assert_eq!(set["success"], true, "{set}");
    }
);

on_both_backends!(
    an_inviter_cannot_create_an_administrator,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let role = role_with(&s, &admin, "Inviters", &["portal:admin:inviteUsers"]).await;
        let inviter = s.member(&admin, "ivy", &role, "creatorUT").await;
        let created = s
            .post_raw(
                "/portaladmin/security/users/createUser",
                &[
                    ("username", "trojan"),
                    ("password", "Trojan-pass-1"),
                    ("firstname", "T"),
                    ("lastname", "H"),
                    ("email", "t@example.com"),
                    ("role", "org_admin"),
                    ("userLicenseTypeId", "creatorUT"),
                    ("provider", "arcgis"),
                    ("f", "json"),
                    ("token", &inviter),
                ],
            )
            .await;
        assert_eq!(error_code(&created), 403, "{created}");
        let lookup = s.get("community/users/trojan", Some(&admin), &[]).await;
        assert!(
            lookup.get("error").is_some(),
            "no account was created: {lookup}"
        );
    }
);
