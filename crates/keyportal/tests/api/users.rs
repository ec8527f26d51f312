//! Members over REST: createUser, profiles, roles, user types, disable/enable/delete.

use serde_json::Value;

use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;

on_both_backends!(
    administrators_manage_members,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let alice = s
            .member(&admin, "alice", "org_publisher", "creatorUT")
            .await;
        let me = s.get("community/self", Some(&alice), &[]).await;
        assert_eq!(me["username"], "alice");
        assert_eq!(me["role"], "org_publisher");
        assert_eq!(me["userLicenseTypeId"], "creatorUT");
        assert_eq!(me["email"], "test@example.com");
        let privileges: Vec<&str> = me["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        assert!(privileges.contains(&"portal:user:generateApiTokens"));
        assert!(!privileges.iter().any(|p| p.contains(":admin:")));

        let bob = s.member(&admin, "bob", "org_user", "creatorUT").await;
        let seen_by_bob = s.get("community/users/alice", Some(&bob), &[]).await;
        assert_eq!(seen_by_bob["username"], "alice");
        assert!(
            seen_by_bob.get("email").is_none(),
            "private fields stay private"
        );
        let seen_by_admin = s.get("community/users/alice", Some(&admin), &[]).await;
        assert_eq!(seen_by_admin["email"], "test@example.com");

        let duplicate: Value = s
            .client
            .post(format!("{}/portaladmin/security/users/createUser", s.url))
            .header("Referer", REFERER)
            .form(&[
                ("username", "alice"),
                ("password", "another-pass-1"),
                ("role", "org_user"),
                ("userLicenseTypeId", "creatorUT"),
                ("f", "json"),
                ("token", admin.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(error_code(&duplicate), 409);
        let by_member: Value = s
            .client
            .post(format!("{}/portaladmin/security/users/createUser", s.url))
            .header("Referer", REFERER)
            .form(&[
                ("username", "mallory"),
                ("password", "another-pass-1"),
                ("f", "json"),
                ("token", bob.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(error_code(&by_member), 403);

        let listed = s
            .get("portals/self/users", Some(&admin), &[("num", "100")])
            .await;
        assert_eq!(listed["total"], 3);
        let names: Vec<&str> = listed["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert_eq!(names, vec!["admin", "alice", "bob"]);
        assert_eq!(
            error_code(&s.get("portals/self/users", Some(&bob), &[]).await),
            403
        );

        // Role and user type changes apply at once.
        let demoted = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "alice"), ("role", "org_user")],
            )
            .await;
        assert_eq!(demoted["success"], true);
        let me = s.get("community/self", Some(&alice), &[]).await;
        assert_eq!(me["role"], "org_user");
        let unknown_role = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "alice"), ("role", "emperor")],
            )
            .await;
        assert_eq!(error_code(&unknown_role), 400);
        let to_viewer = s
            .post(
                "portals/self/updateUserLicenseType",
                Some(&admin),
                &[("users", "alice"), ("userLicenseType", "viewerUT")],
            )
            .await;
        assert_eq!(to_viewer["success"], true);
        let me = s.get("community/self", Some(&alice), &[]).await;
        assert_eq!(me["userLicenseTypeId"], "viewerUT");
        assert!(!me["privileges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "portal:user:createItem"));
        let admin_needs_creator = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "alice"), ("role", "org_admin")],
            )
            .await;
        assert_eq!(error_code(&admin_needs_creator), 400);

        // Disabling signs the member out and keeps them out; enabling lets them back in.
        let disabled = s
            .post("community/users/bob/disable", Some(&admin), &[])
            .await;
        assert_eq!(disabled["success"], true);
        assert_eq!(
            error_code(&s.get("community/self", Some(&bob), &[]).await),
            498
        );
        let refused = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", "bob"),
                    ("password", "bob-pass-1"),
                    ("client", "referer"),
                    ("referer", REFERER),
                ],
            )
            .await;
        assert_eq!(error_code(&refused), 400);
        s.post("community/users/bob/enable", Some(&admin), &[])
            .await;
        let back = s.sign_in("bob", "bob-pass-1").await;
        assert_eq!(
            s.get("community/self", Some(&back), &[]).await["username"],
            "bob"
        );

        // Members who own content cannot be deleted; others can.
        s.add_item(&back, "bob", "Bob's", &[]).await;
        let owns = s
            .post("community/users/bob/delete", Some(&admin), &[])
            .await;
        assert_eq!(error_code(&owns), 409);
        let deleted = s
            .post("community/users/alice/delete", Some(&admin), &[])
            .await;
        assert_eq!(deleted["success"], true);
        assert_eq!(
            error_code(&s.get("community/users/alice", Some(&admin), &[]).await),
            400
        );
        assert_eq!(
            error_code(&s.get("community/self", Some(&alice), &[]).await),
            498
        );
    }
);

on_both_backends!(
    the_last_administrator_stays,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let demote_self = s
            .post(
                "portals/self/updateuserrole",
                Some(&admin),
                &[("user", "admin"), ("role", "org_user")],
            )
            .await;
        assert_eq!(error_code(&demote_self), 409);
        let disable_self = s
            .post("community/users/admin/disable", Some(&admin), &[])
            .await;
        assert_eq!(error_code(&disable_self), 400);
        assert_eq!(
            s.get("community/self", Some(&admin), &[]).await["role"],
            "org_admin"
        );
    }
);

on_both_backends!(
    portal_self_describes_the_org_and_the_user,
    false,
    |s: TestServer| async move {
        let anonymous = s.get("portals/self", None, &[]).await;
        assert_eq!(anonymous["portalName"], "keyportal test");
        assert_eq!(anonymous["isPortal"], true);
        assert!(anonymous.get("user").is_none());
        let org_id = anonymous["id"].as_str().unwrap().to_string();
        assert_eq!(org_id.len(), 16);
        let admin = s.admin_token().await;
        let signed_in = s.get("portals/self", Some(&admin), &[]).await;
        assert_eq!(signed_in["user"]["username"], "admin");
        assert_eq!(signed_in["user"]["orgId"], org_id.as_str());
        let by_id = s.get(&format!("portals/{org_id}"), Some(&admin), &[]).await;
        assert_eq!(by_id["id"], org_id.as_str());
        let admin_root: Value = s
            .client
            .get(format!("{}/portaladmin?f=json&token={admin}", s.url))
            .header("Referer", REFERER)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(admin_root.get("error").is_none(), "{admin_root}");
    }
);
