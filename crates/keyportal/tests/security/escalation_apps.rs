//! Family 3b: developer credentials as a way up. A credential never carries more than its
//! owner holds, members do not register or manage each other's credentials, item access only
//! names the owner's own non-public items, and a delegated content administrator cannot read
//! or widen the credentials of someone who holds more (the client secret mints keys).

use serde_json::json;

use crate::harness::{error_code, TestServer};
use crate::on_both_backends;
use crate::support::{
    app_info, assert_refused, credential, item, key_code, mint, now, role_with, sqlite_server, DAY,
};

const KEY_MAKER: [&str; 5] = [
    "portal:user:shareToPublic",
    "portal:user:createItem",
    "portal:user:generateApiTokens",
    "portal:user:assignPrivilegesToApps",
    "premium:user:geocode:temporary",
];

async fn register(
    s: &TestServer,
    token: &str,
    item: &str,
    privileges: &[String],
) -> serde_json::Value {
    s.post(
        "oauth2/registerApp",
        Some(token),
        &[
            ("itemId", item),
            ("privileges", &json!(privileges).to_string()),
        ],
    )
    .await
}

/// Whether the item carries the `Registered App` keyword (as the administrator sees it).
async fn registered(s: &TestServer, admin: &str, id: &str) -> bool {
    item(s, admin, id).await["typeKeywords"]
        .to_string()
        .contains("Registered App")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_carry_only_what_their_owner_holds_and_stay_with_their_owner() {
    let (s, admin) = sqlite_server().await;
    let makers = role_with(&s, &admin, "Key makers", &KEY_MAKER).await;
    let ursula = s.member(&admin, "ursula", &makers, "creatorUT").await;
    let app_item = s
        .add_item(
            &ursula,
            "ursula",
            "Ursula's keys",
            &[("type", "Application")],
        )
        .await;

    for (case, privilege) in [
        ("a location service ursula lacks", "premium:user:basemaps"),
        ("an administrative privilege", "portal:admin:manageSecurity"),
        ("an unknown privilege", "portal:admin:everything"),
    ] {
        let answer = register(&s, &ursula, &app_item, &[privilege.to_string()]).await;
        let code = if case.contains("unknown") { 400 } else { 403 };
        assert_refused(&answer, code, Some(privilege), case);
        assert!(!registered(&s, &admin, &app_item).await, "{case}");
    }

    // Another member's Application item: private (invisible), then shared with the org.
    let admins_app = s
        .add_item(&admin, "admin", "Admin's app", &[("type", "Application")])
        .await;
    let grab = register(
        &s,
        &ursula,
        &admins_app,
        &["premium:user:geocode:temporary".into()],
    )
    .await;
    assert_refused(
        &grab,
        400,
        Some("CONT_0001"),
        "registering a private item of another",
    );
    s.post(
        &format!("content/users/admin/items/{admins_app}/share"),
        Some(&admin),
        &[("org", "true")],
    )
    .await;
    let grab = register(
        &s,
        &ursula,
        &admins_app,
        &["premium:user:geocode:temporary".into()],
    )
    .await;
    assert_refused(
        &grab,
        403,
        Some("GWM_0003"),
        "registering an org item of another",
    );
    assert!(!registered(&s, &admin, &admins_app).await);

    // Item access: another member's item, the owner's public item, more than 100 items.
    let admins_map = s.add_item(&admin, "admin", "Org map", &[]).await;
    s.post(
        &format!("content/users/admin/items/{admins_map}/share"),
        Some(&admin),
        &[("org", "true")],
    )
    .await;
    let public_map = s.add_item(&ursula, "ursula", "Public map", &[]).await;
    let shared = s
        .post(
            &format!("content/users/ursula/items/{public_map}/share"),
            Some(&ursula),
            &[("everyone", "true")],
        )
        .await;
    assert_eq!(shared["notSharedWith"], json!([]), "{shared}");
    assert_eq!(item(&s, &admin, &public_map).await["access"], "public");
    let many: Vec<String> = (0..101)
        .map(|i| format!("portal:app:access:item:{i:032x}"))
        .collect();
    let cases = [
        (
            "another member's item",
            vec![format!("portal:app:access:item:{admins_map}")],
            "item",
        ),
        ("more than 100 items", many, "100"),
        (
            "a malformed item id",
            vec!["portal:app:access:item:../../x".to_string()],
            "item",
        ),
        (
            "the owner's public item",
            vec![format!("portal:app:access:item:{public_map}")],
            "public",
        ),
    ];
    for (case, privileges, fragment) in cases {
        let answer = register(&s, &ursula, &app_item, &privileges).await;
        assert_refused(&answer, 400, Some(fragment), case);
        assert!(!registered(&s, &admin, &app_item).await, "{case}");
    }

    // A registration within ursula's privileges works; widening it later does not.
    let ok = register(
        &s,
        &ursula,
        &app_item,
        &["premium:user:geocode:temporary".into()],
    )
    .await;
    let client_id = ok["client_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{ok}"))
        .to_string();
    let secret = ok["client_secret"].as_str().unwrap().to_string();
    let own = crate::support::Credential {
        item: app_item.clone(),
        client_id: client_id.clone(),
        secret,
    };
    let key = mint(&s, &own, "1").await;
    let widened = s
        .post(
            &format!("oauth2/apps/{client_id}/update"),
            Some(&ursula),
            &[(
                "privileges",
                r#"["premium:user:geocode:temporary","premium:user:basemaps"]"#,
            )],
        )
        .await;
    assert_refused(
        &widened,
        403,
        Some("premium:user:basemaps"),
        "widening the own credential",
    );
    let info = app_info(&s, &admin, "ursula", &app_item).await;
    assert_eq!(
        info["privileges"],
        json!(["premium:user:geocode:temporary"])
    );
    assert_eq!(
        key_code(&s, &key, None).await,
        0,
        "the key survived the refused change"
    );

    // The administrator's credential, shared with the org: ursula cannot read, change or
    // unregister it.
    let theirs = credential(
        &s,
        &admin,
        "admin",
        &["premium:user:geocode:temporary"],
        &[],
    )
    .await;
    s.post(
        &format!("content/users/admin/items/{}/share", theirs.item),
        Some(&admin),
        &[("org", "true")],
    )
    .await;
    let their_key = mint(&s, &theirs, "1").await;
    let attempts = [
        (
            "read the secret",
            format!(
                "content/users/admin/items/{}/registeredAppInfo",
                theirs.item
            ),
            vec![],
        ),
        (
            "read the app",
            format!("oauth2/apps/{}", theirs.client_id),
            vec![],
        ),
        (
            "change referrers",
            format!("oauth2/apps/{}/update", theirs.client_id),
            vec![("httpReferrers", r#"["https://evil.example.com"]"#)],
        ),
        (
            "unregister it",
            format!("oauth2/apps/{}/unregister", theirs.client_id),
            vec![],
        ),
    ];
    for (case, path, form) in &attempts {
        let answer = s.post(path, Some(&ursula), form).await;
        assert_refused(&answer, 403, Some("GWM_0003"), case);
        assert!(
            !answer.to_string().contains(&theirs.secret),
            "{case}: secret leaked"
        );
    }
    let info = app_info(&s, &admin, "admin", &theirs.item).await;
    assert_eq!(info["httpReferrers"], json!([]), "{info}");
    assert_eq!(key_code(&s, &their_key, None).await, 0);
}

on_both_backends!(
    a_delegated_content_administrator_cannot_take_over_higher_credentials,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let editors = role_with(
            &s,
            &admin,
            "Content editors",
            &[
                "portal:user:createItem",
                "portal:admin:viewUsers",
                "portal:admin:viewItems",
                "portal:admin:updateItems",
            ],
        )
        .await;
        let dave = s.member(&admin, "dave", &editors, "creatorUT").await;
        // The administrator's credential holds administrative privileges dave lacks.
        let high = credential(
            &s,
            &admin,
            "admin",
            &["portal:admin:viewUsers", "portal:admin:changeUserRoles"],
            &[],
        )
        .await;
        let high_key = mint(&s, &high, "1").await;

        for (case, path, form) in [
            (
                "read the client secret",
                format!("content/users/admin/items/{}/registeredAppInfo", high.item),
                vec![],
            ),
            (
                "read the app",
                format!("oauth2/apps/{}", high.client_id),
                vec![],
            ),
            (
                "widen it to every administrative privilege",
                format!("oauth2/apps/{}/update", high.client_id),
                vec![(
                    "privileges",
                    r#"["portal:admin:viewUsers","portal:admin:changeUserRoles","portal:admin:manageSecurity"]"#,
                )],
            ),
            (
                "unregister it",
                format!("oauth2/apps/{}/unregister", high.client_id),
                vec![],
            ),
        ] {
            let answer = s.post(&path, Some(&dave), &form).await;
            assert_refused(&answer, 403, Some("portal:admin:changeUserRoles"), case);
            assert!(
                !answer.to_string().contains(&high.secret),
                "{case}: the secret leaked"
            );
        }
        // Nor may he deactivate its keys by moving a slot date through an item update.
        let moved = s
            .post(
                &format!("content/users/admin/items/{}/update", high.item),
                Some(&dave),
                &[("apiToken1ExpirationDate", &(now() + 5 * DAY).to_string())],
            )
            .await;
        assert_refused(
            &moved,
            403,
            Some("portal:admin:changeUserRoles"),
            "moving a slot date",
        );
        let info = app_info(&s, &admin, "admin", &high.item).await;
        assert_eq!(
            info["privileges"],
            json!(["portal:admin:changeUserRoles", "portal:admin:viewUsers"]),
            "{info}"
        );
        assert_eq!(
            key_code(&s, &high_key, None).await,
            0,
            "the owner's key still works"
        );
        assert_eq!(
            s.get("community/users/dave", Some(&admin), &[]).await["roleId"],
            editors.as_str()
        );

        // Within dave's own privileges he still administers it, and cannot widen it.
        let low = credential(&s, &admin, "admin", &["portal:admin:viewUsers"], &[]).await;
        let seen = s
            .get(
                &format!("content/users/admin/items/{}/registeredAppInfo", low.item),
                Some(&dave),
                &[],
            )
            .await;
        assert_eq!(seen["client_id"], low.client_id.as_str(), "{seen}");
        let widened = s
            .post(
                &format!("oauth2/apps/{}/update", low.client_id),
                Some(&dave),
                &[(
                    "privileges",
                    r#"["portal:admin:viewUsers","portal:admin:manageSecurity"]"#,
                )],
            )
            .await;
        assert_refused(
            &widened,
            403,
            Some("portal:admin:manageSecurity"),
            "widening a credential beyond own",
        );
        let info = app_info(&s, &admin, "admin", &low.item).await;
        assert_eq!(info["privileges"], json!(["portal:admin:viewUsers"]));
        assert_eq!(error_code(&info), 0);
    }
);
