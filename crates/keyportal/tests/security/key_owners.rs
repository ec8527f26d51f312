//! Family 1b: a key never outlives or outgrows its owner, is read only from the places keys
//! travel in, and an app key (standard privileges only) never acts as the member who made it.

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;
use crate::support::{
    app_info, assert_refused, credential, item, mint, role_with, sqlite_server, user, verify,
};

on_both_backends!(
    a_key_loses_at_once_what_its_owner_loses,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let pat = s.member(&admin, "pat", "org_publisher", "creatorUT").await;
        let c = credential(
            &s,
            &pat,
            "pat",
            &["premium:user:basemaps", "portal:user:createItem"],
            &[],
        )
        .await;
        let key = mint(&s, &c, "1").await;
        let add = |title: &'static str| {
            let (s, key) = (&s, key.clone());
            async move {
                s.post(
                    "content/users/pat/addItem",
                    Some(&key),
                    &[("title", title), ("type", "Web Map")],
                )
                .await
            }
        };
        assert_eq!(verify(&s, "service=basemaps", Some(&key), &[]).await.0, 200);
        assert_eq!(add("Before").await["success"], true);

        // Demoted to Viewer: the key loses basemaps and createItem on the very next request.
        let demoted = s
            .post(
                "portals/self/updateUserRole",
                Some(&admin),
                &[("user", "pat"), ("role", "viewer")],
            )
            .await;
        assert_eq!(demoted["success"], true, "{demoted}");
        let (status, body) = verify(&s, "service=basemaps", Some(&key), &[]).await;
        assert_eq!((status, body["reason"].clone()), (403, json!("service")));
        assert!(body["needed"].to_string().contains("premium:user:basemaps"));
        let (status, body) = verify(&s, "privilege=portal:user:createItem", Some(&key), &[]).await;
        assert_eq!((status, body["reason"].clone()), (403, json!("privilege")));
        assert_refused(
            &add("After").await,
            403,
            Some("GWM_0003"),
            "demoted owner's key adds",
        );
        let listing = s.get("content/users/pat", Some(&admin), &[]).await;
        let titles = listing["items"].to_string();
        assert!(
            titles.contains("Before") && !titles.contains("After"),
            "{listing}"
        );

        // Disabled: the key is refused outright, as an inactive owner's.
        s.post(
            "portals/self/updateUserRole",
            Some(&admin),
            &[("user", "pat"), ("role", "org_publisher")],
        )
        .await;
        let disabled = s
            .post("community/users/pat/disable", Some(&admin), &[])
            .await;
        assert_eq!(disabled["success"], true, "{disabled}");
        assert_refused(
            &s.get_with_key("portals/self", &key, None).await,
            498,
            None,
            "a disabled owner's key",
        );
        let (status, body) = verify(&s, "service=basemaps", Some(&key), &[]).await;
        assert_eq!(
            (status, body["reason"].clone()),
            (401, json!("owner_inactive"))
        );
        // A disabled owner's credential mints no new key either.
        let minted = s
            .post(
                "oauth2/token",
                None,
                &[
                    ("client_id", &c.client_id),
                    ("client_secret", &c.secret),
                    ("apiToken", "2"),
                ],
            )
            .await;
        assert_refused(&minted, 403, None, "minting for a disabled owner");
        assert_eq!(user(&s, &admin, "pat").await["disabled"], true);

        // Enabled again with the role back: the same key works (the refusals changed nothing).
        s.post("community/users/pat/enable", Some(&admin), &[])
            .await;
        assert_eq!(verify(&s, "service=basemaps", Some(&key), &[]).await.0, 200);
    }
);

/// One thing an app key tries on its owner's behalf, and the refusal it gets.
struct Attempt {
    case: &'static str,
    path: String,
    form: Vec<(&'static str, String)>,
    code: i64,
}

fn attempt(case: &'static str, path: String, form: &[(&'static str, &str)], code: i64) -> Attempt {
    Attempt {
        case,
        path,
        form: form.iter().map(|(k, v)| (*k, v.to_string())).collect(),
        code,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_key_never_acts_as_its_owner() {
    let (s, admin) = sqlite_server().await;
    s.member(&admin, "pat", "org_user", "creatorUT").await;
    let private = s
        .add_item(&admin, "admin", "Owner's private map", &[])
        .await;
    let group = s
        .post(
            "community/createGroup",
            Some(&admin),
            &[("title", "Owner's group"), ("access", "private")],
        )
        .await["group"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let key = mint(&s, &c, "1").await;
    let spare = s
        .add_item(&admin, "admin", "Spare app", &[("type", "Application")])
        .await;

    let attempts = [
        attempt(
            "read the owner's profile",
            "community/self".into(),
            &[],
            403,
        ),
        attempt(
            "read a private item",
            format!("content/items/{private}"),
            &[],
            400,
        ),
        attempt(
            "rename a private item",
            format!("content/users/admin/items/{private}/update"),
            &[("title", "Renamed by a key")],
            400,
        ),
        attempt(
            "delete a private item",
            format!("content/users/admin/items/{private}/delete"),
            &[],
            400,
        ),
        attempt(
            "share a private item publicly",
            format!("content/users/admin/items/{private}/share"),
            &[("everyone", "true")],
            400,
        ),
        attempt(
            "add an item",
            "content/users/admin/addItem".into(),
            &[("title", "By a key"), ("type", "Web Map")],
            403,
        ),
        attempt(
            "create a group",
            "community/createGroup".into(),
            &[("title", "By a key"), ("access", "org")],
            403,
        ),
        attempt(
            "delete the owner's group",
            format!("community/groups/{group}/delete"),
            &[],
            400,
        ),
        attempt(
            "disable a member",
            "community/users/pat/disable".into(),
            &[],
            403,
        ),
        attempt(
            "promote a member",
            "portals/self/updateUserRole".into(),
            &[("user", "pat"), ("role", "org_admin")],
            403,
        ),
        attempt(
            "create a role",
            "portals/self/createRole".into(),
            &[("name", "By a key")],
            403,
        ),
        attempt(
            "register an app",
            "oauth2/registerApp".into(),
            &[
                ("itemId", spare.as_str()),
                ("privileges", "[\"premium:user:basemaps\"]"),
            ],
            400,
        ),
        attempt(
            "read its own credential's secret",
            format!("content/users/admin/items/{}/registeredAppInfo", c.item),
            &[],
            400,
        ),
        attempt(
            "widen its own credential",
            format!("oauth2/apps/{}/update", c.client_id),
            &[(
                "privileges",
                "[\"premium:user:basemaps\",\"premium:user:geocode\"]",
            )],
            403,
        ),
    ];
    for Attempt {
        case,
        path,
        form,
        code,
    } in &attempts
    {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = s.post(path, Some(&key), &form).await;
        let fragment = if *code == 400 {
            "does not exist or is inaccessible"
        } else {
            "GWM_0003"
        };
        assert_refused(
            &answer,
            *code,
            Some(fragment),
            &format!("an app key tries to {case}"),
        );
        assert!(
            !answer.to_string().contains(&c.secret),
            "{case}: the secret leaked"
        );
    }
    // Nothing changed.
    let still = item(&s, &admin, &private).await;
    assert_eq!(
        (still["title"].clone(), still["access"].clone()),
        (json!("Owner's private map"), json!("private"))
    );
    let g = s
        .get(&format!("community/groups/{group}"), Some(&admin), &[])
        .await;
    assert_eq!(g["id"], group.as_str(), "{g}");
    let pat = user(&s, &admin, "pat").await;
    assert_eq!(
        (pat["disabled"].clone(), pat["role"].clone()),
        (json!(false), json!("org_user"))
    );
    let roles = s.get("portals/self/roles", Some(&admin), &[]).await;
    assert!(!roles.to_string().contains("By a key"), "{roles}");
    let mine = s.get("content/users/admin", Some(&admin), &[]).await;
    assert!(!mine.to_string().contains("By a key"));
    assert_eq!(error_code(&item(&s, &admin, &spare).await), 0);
    let info = crate::support::app_info(&s, &admin, "admin", &c.item).await;
    assert_eq!(
        info["privileges"],
        json!(["premium:user:basemaps"]),
        "{info}"
    );
    assert_eq!(crate::support::key_code(&s, &key, None).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_loses_what_a_user_type_downgrade_takes() {
    let (s, admin) = sqlite_server().await;
    let makers = role_with(
        &s,
        &admin,
        "Key makers",
        &[
            "portal:user:createItem",
            "portal:user:generateApiTokens",
            "portal:user:assignPrivilegesToApps",
        ],
    )
    .await;
    let uma = s.member(&admin, "uma", &makers, "creatorUT").await;
    let c = credential(&s, &uma, "uma", &["portal:user:createItem"], &[]).await;
    let key = mint(&s, &c, "1").await;
    let query = "privilege=portal:user:createItem";
    assert_eq!(verify(&s, query, Some(&key), &[]).await.0, 200);
    let downgraded = s
        .post(
            "portals/self/updateUserLicenseType",
            Some(&admin),
            &[("users", "uma"), ("userLicenseType", "viewerUT")],
        )
        .await;
    assert_eq!(downgraded["success"], true, "{downgraded}");
    let (status, body) = verify(&s, query, Some(&key), &[]).await;
    assert_eq!((status, body["reason"].clone()), (403, json!("privilege")));
    let added = s
        .post(
            "content/users/uma/addItem",
            Some(&key),
            &[("title", "After the downgrade"), ("type", "Web Map")],
        )
        .await;
    assert_refused(
        &added,
        403,
        Some("portal:user:createItem"),
        "a Viewer's key adds",
    );
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &c.client_id),
                ("client_secret", &c.secret),
                ("apiToken", "2"),
            ],
        )
        .await;
    assert_refused(&minted, 403, None, "a Viewer mints a key");
    let listing = s.get("content/users/uma", Some(&admin), &[]).await;
    assert!(
        !listing.to_string().contains("After the downgrade"),
        "{listing}"
    );
    assert_eq!(
        app_info(&s, &admin, "uma", &c.item).await["apiToken2Active"],
        false
    );
}
