//! Custom roles: create, set and get privileges, assign, delete.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;

on_both_backends!(
    custom_roles_grant_exactly_their_privileges,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let created = s
            .post(
                "portals/self/createRole",
                Some(&admin),
                &[("name", "Key makers"), ("description", "Make keys")],
            )
            .await;
        assert_eq!(created["success"], true, "{created}");
        let role = created["id"].as_str().unwrap().to_string();
        let privileges = json!({"privileges": ["portal:user:createItem", "portal:user:generateApiTokens", "portal:user:assignPrivilegesToApps", "portal:user:viewOrgItems"]}).to_string();
        let set = s
            .post(
                &format!("portals/self/roles/{role}/setPrivileges"),
                Some(&admin),
                &[("privileges", &privileges)],
            )
            .await;
        assert_eq!(set["success"], true);
        let got = s
            .get(
                &format!("portals/self/roles/{role}/getPrivileges"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(got["privileges"].as_array().unwrap().len(), 4);

        let unknown = s
            .post(
                &format!("portals/self/roles/{role}/setPrivileges"),
                Some(&admin),
                &[("privileges", r#"{"privileges":["portal:user:teleport"]}"#)],
            )
            .await;
        assert_eq!(error_code(&unknown), 400);
        assert_eq!(
            s.get(
                &format!("portals/self/roles/{role}/getPrivileges"),
                Some(&admin),
                &[]
            )
            .await["privileges"]
                .as_array()
                .unwrap()
                .len(),
            4,
            "a refused change changes nothing"
        );

        let duplicate = s
            .post(
                "portals/self/createRole",
                Some(&admin),
                &[("name", "key makers")],
            )
            .await;
        assert_eq!(error_code(&duplicate), 409);

        let kim = s.member(&admin, "kim", &role, "creatorUT").await;
        let me = s.get("community/self", Some(&kim), &[]).await;
        assert_eq!(me["role"], "org_user");
        assert_eq!(me["roleId"], role.as_str());
        let mut mine: Vec<String> = me["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect();
        mine.sort();
        assert_eq!(
            mine,
            vec![
                "portal:user:assignPrivilegesToApps",
                "portal:user:createItem",
                "portal:user:generateApiTokens",
                "portal:user:viewOrgItems"
            ]
        );
        let group = s
            .post(
                "community/createGroup",
                Some(&kim),
                &[("title", "g"), ("access", "private")],
            )
            .await;
        assert_eq!(error_code(&group), 403, "not in the role");

        let listed = s.get("portals/self/roles", Some(&admin), &[]).await;
        let names: Vec<&str> = listed["roles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(
            names.contains(&"Key makers")
                && names.contains(&"Viewer")
                && names.contains(&"Administrator")
        );
        assert_eq!(
            error_code(&s.get("portals/self/roles", Some(&kim), &[]).await),
            403
        );

        let in_use = s
            .post(
                &format!("portals/self/roles/{role}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(error_code(&in_use), 409);
        s.post(
            "portals/self/updateuserrole",
            Some(&admin),
            &[("user", "kim"), ("role", "viewer")],
        )
        .await;
        let deleted = s
            .post(
                &format!("portals/self/roles/{role}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(deleted["success"], true);
        let built_in = s
            .post("portals/self/roles/org_admin/delete", Some(&admin), &[])
            .await;
        assert_eq!(error_code(&built_in), 400);
    }
);
