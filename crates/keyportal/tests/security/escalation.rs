//! Family 3a: delegated administrators (custom roles with a few `portal:admin:*` privileges)
//! try to grant themselves or others what they do not hold — through roles, role assignment,
//! user types and new accounts (design §2.12). Every refusal names the missing privilege and
//! leaves roles and members as they were.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::support::{assert_refused, role_privileges, role_with, sqlite_server, user};

/// The two refusals of design §2.12, as the service words them.
const GRANT: &str = "You cannot grant privileges you do not hold";
const ABOVE: &str =
    "You cannot change a member, role or credential that holds privileges you do not hold";

/// `createUser` as `token`; the answer.
async fn create_user(
    s: &TestServer,
    token: &str,
    username: &str,
    role: &str,
    user_type: &str,
) -> serde_json::Value {
    s.post_raw(
        "/portaladmin/security/users/createUser",
        &[
            ("username", username),
            ("password", "Created-pass-1"),
            ("firstname", "Created"),
            ("lastname", username),
            ("email", "created@example.com"),
            ("role", role),
            ("userLicenseTypeId", user_type),
            ("provider", "arcgis"),
            ("f", "json"),
            ("token", token),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_managers_grant_and_change_only_what_they_hold() {
    let (s, admin) = sqlite_server().await;
    let delegated = [
        "portal:user:createItem",
        "portal:admin:viewUsers",
        "portal:admin:manageRoles",
        "portal:admin:changeUserRoles",
    ];
    let managers = role_with(&s, &admin, "Role managers", &delegated).await;
    let officers = role_with(
        &s,
        &admin,
        "Security officers",
        &["portal:admin:viewUsers", "portal:admin:manageSecurity"],
    )
    .await;
    let mallory = s.member(&admin, "mallory", &managers, "creatorUT").await;
    s.member(&admin, "victor", "org_user", "creatorUT").await;
    let roles_before = s.get("portals/self/roles", Some(&admin), &[]).await["total"].clone();

    // A new role carrying a privilege mallory lacks, in one call.
    let created = s
        .post(
            "portals/self/createRole",
            Some(&mallory),
            &[
                ("name", "Escalated"),
                (
                    "privileges",
                    &json!({ "privileges": ["portal:admin:manageSecurity"] }).to_string(),
                ),
            ],
        )
        .await;
    assert_refused(
        &created,
        403,
        Some("portal:admin:manageSecurity"),
        "createRole beyond own",
    );
    assert_eq!(
        s.get("portals/self/roles", Some(&admin), &[]).await["total"],
        roles_before,
        "no role was created"
    );

    // Widening mallory's own role.
    let mut own_plus: Vec<&str> = delegated.to_vec();
    own_plus.push("portal:admin:deleteUsers");
    let widened = s
        .post(
            &format!("portals/self/roles/{managers}/setPrivileges"),
            Some(&mallory),
            &[("privileges", &json!({ "privileges": own_plus }).to_string())],
        )
        .await;
    assert_refused(
        &widened,
        403,
        Some("portal:admin:deleteUsers"),
        "widening the own role",
    );
    let mut expected: Vec<String> = delegated.iter().map(|p| p.to_string()).collect();
    expected.sort();
    assert_eq!(role_privileges(&s, &admin, &managers).await, expected);

    // Changing (renaming, re-privileging, deleting) a role that holds more than mallory.
    let renamed = s
        .post(
            &format!("portals/self/roles/{officers}/update"),
            Some(&mallory),
            &[("name", "Hijacked"), ("description", "x")],
        )
        .await;
    assert_refused(
        &renamed,
        403,
        Some("portal:admin:manageSecurity"),
        "renaming a higher role",
    );
    let narrowed = s
        .post(
            &format!("portals/self/roles/{officers}/setPrivileges"),
            Some(&mallory),
            &[("privileges", r#"{"privileges":["portal:admin:viewUsers"]}"#)],
        )
        .await;
    assert_refused(
        &narrowed,
        403,
        Some("portal:admin:manageSecurity"),
        "re-privileging a higher role",
    );
    let deleted = s
        .post(
            &format!("portals/self/roles/{officers}/delete"),
            Some(&mallory),
            &[],
        )
        .await;
    assert_refused(
        &deleted,
        403,
        Some("portal:admin:manageSecurity"),
        "deleting a higher role",
    );
    let role = s
        .get(&format!("portals/self/roles/{officers}"), Some(&admin), &[])
        .await;
    assert_eq!(role["name"], "Security officers", "{role}");
    assert_eq!(
        role_privileges(&s, &admin, &officers).await,
        vec!["portal:admin:manageSecurity", "portal:admin:viewUsers"]
    );

    // Self-assignment of administrator, on both spellings of the route.
    for route in ["portals/self/updateUserRole", "portals/self/updateuserrole"] {
        let promoted = s
            .post(
                route,
                Some(&mallory),
                &[("user", "mallory"), ("role", "org_admin")],
            )
            .await;
        assert_refused(&promoted, 403, Some("GWM_0003"), route);
    }
    // Changing a member who holds privileges mallory lacks (any org_user does).
    let given = s
        .post(
            "portals/self/updateUserRole",
            Some(&mallory),
            &[("user", "victor"), ("role", "org_publisher")],
        )
        .await;
    assert_refused(&given, 403, Some(ABOVE), "changing an org_user's role");
    // Giving a member within mallory's reach a role that grants what mallory lacks.
    let creators = role_with(&s, &admin, "Creators", &["portal:user:createItem"]).await;
    s.member(&admin, "wendy", &creators, "creatorUT").await;
    let given = s
        .post(
            "portals/self/updateUserRole",
            Some(&mallory),
            &[("user", "wendy"), ("role", "org_publisher")],
        )
        .await;
    assert_refused(&given, 403, Some(GRANT), "granting publisher");
    assert_eq!(user(&s, &admin, "wendy").await["roleId"], creators.as_str());
    // Demoting the administrator, who holds more than mallory.
    let demoted = s
        .post(
            "portals/self/updateUserRole",
            Some(&mallory),
            &[("user", "admin"), ("role", "viewer")],
        )
        .await;
    assert_refused(
        &demoted,
        403,
        Some("GWM_0003"),
        "demoting the administrator",
    );
    assert_eq!(
        user(&s, &admin, "mallory").await["roleId"],
        managers.as_str()
    );
    assert_eq!(user(&s, &admin, "victor").await["role"], "org_user");
    assert_eq!(user(&s, &admin, "admin").await["role"], "org_admin");
    assert_eq!(
        s.get("community/self", Some(&admin), &[]).await["role"],
        "org_admin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn license_managers_and_inviters_grant_only_what_they_hold() {
    let (s, admin) = sqlite_server().await;
    s.member(&admin, "tina", "org_user", "viewerUT").await;
    // Larry holds everything tina holds now, so only the upgrade's new privileges are missing.
    let tina = user(&s, &admin, "tina").await;
    let mut held: Vec<String> = tina["privileges"]
        .as_array()
        .unwrap_or_else(|| panic!("{tina}"))
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    held.extend([
        "portal:admin:viewUsers".into(),
        "portal:admin:manageLicenses".into(),
    ]);
    let held: Vec<&str> = held.iter().map(String::as_str).collect();
    let licensing = role_with(&s, &admin, "Licensing", &held).await;
    let larry = s.member(&admin, "larry", &licensing, "creatorUT").await;

    // Upgrading tina's user type would give her org_user's privileges, which larry lacks.
    for route in [
        "portals/self/updateUserLicenseType",
        "portals/self/updateuserlicensetype",
    ] {
        let upgraded = s
            .post(
                route,
                Some(&larry),
                &[("users", "tina"), ("userLicenseType", "creatorUT")],
            )
            .await;
        assert_refused(&upgraded, 403, Some(GRANT), route);
    }
    assert_eq!(
        user(&s, &admin, "tina").await["userLicenseTypeId"],
        "viewerUT"
    );
    // Changing the administrator's type: the administrator holds more than larry.
    let changed = s
        .post(
            "portals/self/updateUserLicenseType",
            Some(&larry),
            &[
                ("users", "admin"),
                ("userLicenseType", "GISProfessionalAdvUT"),
            ],
        )
        .await;
    assert_refused(
        &changed,
        403,
        Some(ABOVE),
        "changing the administrator's type",
    );
    assert_eq!(
        user(&s, &admin, "admin").await["userLicenseTypeId"],
        "creatorUT"
    );
    // A batch with one member out of reach changes nobody, not even the one within reach.
    s.member(&admin, "vic", "viewer", "viewerUT").await;
    let batch = s
        .post(
            "portals/self/updateUserLicenseType",
            Some(&larry),
            &[
                ("users", "vic,admin"),
                ("userLicenseType", "GISProfessionalBasicUT"),
            ],
        )
        .await;
    assert_refused(
        &batch,
        403,
        Some(ABOVE),
        "a batch including the administrator",
    );
    assert_eq!(
        user(&s, &admin, "vic").await["userLicenseTypeId"],
        "viewerUT"
    );
    let alone = s
        .post(
            "portals/self/updateUserLicenseType",
            Some(&larry),
            &[
                ("users", "vic"),
                ("userLicenseType", "GISProfessionalBasicUT"),
            ],
        )
        .await;
    assert_eq!(alone["success"], true, "vic alone is within reach: {alone}");

    // An inviter (inviteUsers only) creates no account with privileges they lack.
    let inviters = role_with(&s, &admin, "Inviters", &["portal:admin:inviteUsers"]).await;
    let ivy = s.member(&admin, "ivy", &inviters, "creatorUT").await;
    let officers = role_with(&s, &admin, "Officers", &["portal:admin:manageSecurity"]).await;
    for (username, role, fragment) in [
        ("trojan_admin", "org_admin", GRANT),
        ("trojan_pub", "org_publisher", GRANT),
        (
            "trojan_officer",
            officers.as_str(),
            "portal:admin:manageSecurity",
        ),
    ] {
        let created = create_user(&s, &ivy, username, role, "creatorUT").await;
        assert_refused(&created, 403, Some(fragment), username);
        let lookup = user(&s, &admin, username).await;
        assert_eq!(
            error_code(&lookup),
            400,
            "{username} was not created: {lookup}"
        );
    }
}
