//! API key credentials over REST: registration, slots, keys on every request, and the rules of
//! design §2, against both backends.

use serde_json::{json, Value};

use crate::harness::{error_code, TestServer, REFERER};
use crate::on_both_backends;

const DAY: i64 = 86_400_000;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Creates an Application item and registers it; returns (item id, client id, client secret).
async fn credentials(
    s: &TestServer,
    token: &str,
    owner: &str,
    privileges: &[String],
    referrers: &[&str],
) -> (String, String, String) {
    let item = s
        .add_item(token, owner, "My keys", &[("type", "Application")])
        .await;
    let registered = s
        .post(
            "oauth2/registerApp",
            Some(token),
            &[
                ("itemId", &item),
                ("appType", "multiple"),
                ("redirect_uris", r#"["urn:ietf:wg:oauth:2.0:oob"]"#),
                ("httpReferrers", &json!(referrers).to_string()),
                ("privileges", &json!(privileges).to_string()),
            ],
        )
        .await;
    assert!(
        registered.get("error").is_none(),
        "registerApp: {registered}"
    );
    (
        item,
        registered["client_id"].as_str().unwrap().to_string(),
        registered["client_secret"].as_str().unwrap().to_string(),
    )
}

/// `oauth2/token` with `apiToken=slot` (no user token, as the clients do).
async fn mint(
    s: &TestServer,
    client_id: &str,
    secret: &str,
    slot: &str,
    regenerate: &str,
) -> Value {
    s.post(
        "oauth2/token",
        None,
        &[
            ("client_id", client_id),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
            ("apiToken", slot),
            ("regenerateApiToken", regenerate),
        ],
    )
    .await
}

/// A GET with a key and an explicit (or no) Referer.
async fn with_key(s: &TestServer, path: &str, key: &str, referer: Option<&str>) -> Value {
    s.get_with_key(path, key, referer).await
}

on_both_backends!(
    api_keys_live_through_their_whole_lifecycle,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let granted = s.add_item(&admin, "admin", "Granted", &[]).await;
        let other = s.add_item(&admin, "admin", "Not granted", &[]).await;
        let privileges = vec![
            "premium:user:geocode:temporary".to_string(),
            format!("portal:app:access:item:{granted}"),
        ];
        let (item, client_id, secret) = credentials(&s, &admin, "admin", &privileges, &[]).await;
        assert_eq!(secret.len(), 32);

        let info = s
            .post(
                &format!("content/users/admin/items/{item}/registeredAppInfo"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(info["client_id"], client_id.as_str());
        assert_eq!(info["apiToken1Active"], false);
        assert_eq!(info["appType"], "multiple");
        let item_json = s
            .get(&format!("content/items/{item}"), Some(&admin), &[])
            .await;
        assert!(item_json["typeKeywords"]
            .as_array()
            .unwrap()
            .contains(&json!("Registered App")));
        assert_eq!(item_json["apiToken1ExpirationDate"], -1);

        let date = now() + 10 * DAY;
        let dated = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[
                    ("apiToken1ExpirationDate", &date.to_string()),
                    ("apiToken2ExpirationDate", "-1"),
                ],
            )
            .await;
        assert_eq!(dated["success"], true, "{dated}");
        let item_json = s
            .get(&format!("content/items/{item}"), Some(&admin), &[])
            .await;
        assert_eq!(item_json["apiToken1ExpirationDate"], date);
        assert!(item_json["typeKeywords"]
            .as_array()
            .unwrap()
            .contains(&json!("APIToken")));

        let minted = mint(&s, &client_id, &secret, "1", "false").await;
        let key1 = minted["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("{minted}"))
            .to_string();
        assert!(key1.starts_with("AAPT"));
        assert_eq!(
            &key1[key1.len() - 10..key1.len() - 9],
            "1",
            "REST JS slotForKey"
        );
        let expires_in = minted["expires_in"].as_i64().unwrap();
        assert!(
            (10 * 86_400 - 60..=10 * 86_400).contains(&expires_in),
            "{expires_in}"
        );

        let info = s
            .get(
                &format!("content/users/admin/items/{item}/registeredAppInfo"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(info["apiToken1Active"], true);
        let hint = info["apiKeys"][0]["keyHint"].as_str().unwrap();
        assert!(
            key1.starts_with(&hint[..8]) && !info.to_string().contains(&key1),
            "the key is never shown again"
        );

        // The key reads what it was granted and nothing else.
        assert_eq!(
            with_key(&s, &format!("content/items/{granted}"), &key1, None).await["title"],
            "Granted"
        );
        assert_eq!(
            with_key(&s, &format!("content/items/{other}"), &key1, None).await["error"]
                ["messageCode"],
            "CONT_0001"
        );
        let portal = with_key(&s, "portals/self", &key1, None).await;
        assert!(
            portal.get("user").is_none(),
            "a standard key acts as an application"
        );
        assert_eq!(portal["appInfo"]["appId"], client_id.as_str());
        assert_eq!(portal["appInfo"]["itemId"], item.as_str());
        let me = with_key(&s, "community/self", &key1, None).await;
        assert_eq!(error_code(&me), 403);
        let add = s
            .post(
                "content/users/admin/addItem",
                Some(&key1),
                &[("title", "x"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(
            error_code(&add),
            403,
            "a key without createItem cannot add items"
        );
        assert_eq!(add["error"]["messageCode"], "GWM_0003");
        let header: Value = s
            .client
            .get(s.rest(&format!("content/items/{granted}")))
            .header("X-Esri-Authorization", format!("Bearer {key1}"))
            .query(&[("f", "json")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(header["id"], granted.as_str());

        // Regenerating kills the old value at once; regenerate=false on an active slot is refused.
        let refused = mint(&s, &client_id, &secret, "1", "false").await;
        assert_eq!(error_code(&refused), 400);
        let key1b = mint(&s, &client_id, &secret, "1", "true").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            error_code(&with_key(&s, &format!("content/items/{granted}"), &key1, None).await),
            498
        );
        assert_eq!(
            with_key(&s, &format!("content/items/{granted}"), &key1b, None).await["id"],
            granted.as_str()
        );

        // A secondary key works alongside; invalidating one slot leaves the other.
        let key2 = mint(&s, &client_id, &secret, "2", "false").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(&key2[key2.len() - 10..key2.len() - 9], "2");
        let revoked = s
            .post(
                "oauth2/revokeToken",
                None,
                &[
                    ("client_id", &client_id),
                    ("client_secret", &secret),
                    ("apiToken", "1"),
                    ("regenerateApiToken", "true"),
                    ("grant_type", "client_credentials"),
                ],
            )
            .await;
        assert_eq!(revoked["success"], true, "{revoked}");
        assert_eq!(
            error_code(&with_key(&s, &format!("content/items/{granted}"), &key1b, None).await),
            498
        );
        assert_eq!(
            with_key(&s, &format!("content/items/{granted}"), &key2, None).await["id"],
            granted.as_str()
        );
        let info = s
            .get(
                &format!("content/users/admin/items/{item}/registeredAppInfo"),
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(
            (
                info["apiToken1Active"].clone(),
                info["apiToken2Active"].clone()
            ),
            (json!(false), json!(true))
        );
        assert_eq!(
            s.get(&format!("content/items/{item}"), Some(&admin), &[])
                .await["apiToken1ExpirationDate"],
            -1
        );

        // A referrer-only change keeps the keys; requests must then come from a matching page.
        let update = s
            .post(
                &format!("oauth2/apps/{client_id}/update"),
                Some(&admin),
                &[
                    ("httpReferrers", r#"["https://*.example.com"]"#),
                    ("privileges", &json!(privileges).to_string()),
                ],
            )
            .await;
        assert_eq!(update["apiToken2Active"], true, "{update}");
        let path = format!("content/items/{granted}");
        assert_eq!(
            with_key(&s, &path, &key2, Some("https://dev.example.com/app")).await["id"],
            granted.as_str()
        );
        assert_eq!(
            with_key(&s, &path, &key2, Some("https://example.com")).await["id"],
            granted.as_str()
        );
        assert_eq!(
            error_code(&with_key(&s, &path, &key2, Some("https://evil.com/")).await),
            498
        );
        assert_eq!(error_code(&with_key(&s, &path, &key2, None).await), 498);

        // A changed privilege set deactivates both slots.
        let changed = s
            .post(
                &format!("oauth2/apps/{client_id}/update"),
                Some(&admin),
                &[("privileges", r#"["premium:user:basemaps"]"#)],
            )
            .await;
        assert_eq!(
            (
                changed["apiToken1Active"].clone(),
                changed["apiToken2Active"].clone()
            ),
            (json!(false), json!(false))
        );
        assert_eq!(
            error_code(&with_key(&s, &path, &key2, Some("https://dev.example.com")).await),
            498
        );

        // Deleting the item kills the credential.
        let key = mint(&s, &client_id, &secret, "1", "true").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(
            with_key(&s, "portals/self", &key, Some("https://a.example.com")).await["appInfo"]
                ["appId"],
            client_id.as_str()
        );
        s.post(
            &format!("content/users/admin/items/{item}/delete"),
            Some(&admin),
            &[],
        )
        .await;
        assert_eq!(
            error_code(&with_key(&s, "portals/self", &key, Some("https://a.example.com")).await),
            498
        );
        assert_eq!(
            error_code(
                &s.get(&format!("oauth2/apps/{client_id}"), Some(&admin), &[])
                    .await
            ),
            400
        );
        assert_eq!(
            error_code(&mint(&s, &client_id, &secret, "1", "true").await),
            400
        );
    }
);

on_both_backends!(
    only_creators_with_both_privileges_create_api_keys,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let user = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let item = s
            .add_item(&user, "ursula", "Keys", &[("type", "Application")])
            .await;
        let refused = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[
                    ("itemId", &item),
                    ("appType", "multiple"),
                    ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ],
            )
            .await;
        assert_eq!(error_code(&refused), 403);
        let details = refused["error"]["details"].to_string();
        assert!(
            details.contains("portal:user:generateApiTokens")
                && details.contains("portal:user:assignPrivilegesToApps"),
            "{details}"
        );
        assert!(
            !s.get(&format!("content/items/{item}"), Some(&user), &[])
                .await["typeKeywords"]
                .to_string()
                .contains("Registered App"),
            "nothing changed"
        );

        let role = s
            .post(
                "portals/self/createRole",
                Some(&admin),
                &[("name", "Key makers")],
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let privileges = json!({"privileges": ["portal:user:createItem", "portal:user:generateApiTokens", "portal:user:assignPrivilegesToApps", "premium:user:geocode:temporary"]}).to_string();
        s.post(
            &format!("portals/self/roles/{role}/setPrivileges"),
            Some(&admin),
            &[("privileges", &privileges)],
        )
        .await;
        s.post(
            "portals/self/updateuserrole",
            Some(&admin),
            &[("user", "ursula"), ("role", &role)],
        )
        .await;
        let ok = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[
                    ("itemId", &item),
                    ("appType", "multiple"),
                    ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ],
            )
            .await;
        assert!(ok.get("error").is_none(), "{ok}");

        // Privileges the owner does not hold are refused, naming them.
        let item2 = s
            .add_item(&user, "ursula", "More keys", &[("type", "Application")])
            .await;
        let beyond = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[
                    ("itemId", &item2),
                    ("privileges", r#"["premium:user:basemaps"]"#),
                ],
            )
            .await;
        assert_eq!(error_code(&beyond), 403);
        assert!(beyond["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains("premium:user:basemaps"));
        let legacy = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[
                    ("itemId", &item2),
                    ("appType", "apikey"),
                    ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ],
            )
            .await;
        assert_eq!(error_code(&legacy), 400);
        let not_app = s.add_item(&user, "ursula", "Map", &[]).await;
        let wrong_type = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[("itemId", &not_app), ("privileges", "[]")],
            )
            .await;
        assert_eq!(error_code(&wrong_type), 400);
        let again = s
            .post(
                "oauth2/registerApp",
                Some(&user),
                &[
                    ("itemId", &item),
                    ("privileges", r#"["premium:user:geocode:temporary"]"#),
                ],
            )
            .await;
        assert_eq!(error_code(&again), 400, "already registered");
    }
);

on_both_backends!(
    item_access_is_limited_to_own_non_public_items_at_most_100,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let bob = s.member(&admin, "bob", "org_publisher", "creatorUT").await;
        let bobs = s.add_item(&bob, "bob", "Bob's", &[]).await;
        let public = s.add_item(&admin, "admin", "Public", &[]).await;
        s.post(
            &format!("content/users/admin/items/{public}/share"),
            Some(&admin),
            &[("everyone", "true")],
        )
        .await;
        let item = s
            .add_item(&admin, "admin", "Keys", &[("type", "Application")])
            .await;
        for (target, what) in [(&bobs, "someone else's item"), (&public, "a public item")] {
            let refused = s
                .post(
                    "oauth2/registerApp",
                    Some(&admin),
                    &[
                        ("itemId", &item),
                        (
                            "privileges",
                            &json!([format!("portal:app:access:item:{target}")]).to_string(),
                        ),
                    ],
                )
                .await;
            assert_eq!(error_code(&refused), 400, "{what}: {refused}");
        }
        let many: Vec<String> = (0..101)
            .map(|i| format!("portal:app:access:item:{i:032x}"))
            .collect();
        let too_many = s
            .post(
                "oauth2/registerApp",
                Some(&admin),
                &[("itemId", &item), ("privileges", &json!(many).to_string())],
            )
            .await;
        assert_eq!(error_code(&too_many), 400);
        assert!(too_many["error"]["details"][0]
            .as_str()
            .unwrap()
            .contains("100"));
    }
);

on_both_backends!(
    slot_dates_are_checked_and_changing_one_kills_only_that_key,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, secret) = credentials(
            &s,
            &admin,
            "admin",
            &["premium:user:basemaps".to_string()],
            &[],
        )
        .await;
        let too_far = (now() + 400 * DAY).to_string();
        let refused = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[("apiToken1ExpirationDate", &too_far), ("title", "renamed")],
            )
            .await;
        assert_eq!(error_code(&refused), 400);
        assert_eq!(
            s.get(&format!("content/items/{item}"), Some(&admin), &[])
                .await["title"],
            "My keys",
            "a refused update changes nothing"
        );
        let past = (now() - DAY).to_string();
        assert_eq!(
            error_code(
                &s.post(
                    &format!("content/users/admin/items/{item}/update"),
                    Some(&admin),
                    &[("apiToken2ExpirationDate", &past)]
                )
                .await
            ),
            400
        );

        // Minting into an undated slot gives the default 30 days.
        let key1 = mint(&s, &client_id, &secret, "1", "true").await;
        assert!(
            (30 * 86_400 - 60..=30 * 86_400).contains(&key1["expires_in"].as_i64().unwrap()),
            "{key1}"
        );
        let key2 = mint(&s, &client_id, &secret, "2", "true").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let key1 = key1["access_token"].as_str().unwrap().to_string();
        let same = s
            .get(&format!("content/items/{item}"), Some(&admin), &[])
            .await["apiToken1ExpirationDate"]
            .as_i64()
            .unwrap()
            .to_string();
        s.post(
            &format!("content/users/admin/items/{item}/update"),
            Some(&admin),
            &[("apiToken1ExpirationDate", &same)],
        )
        .await;
        assert!(
            with_key(&s, "portals/self", &key1, None)
                .await
                .get("error")
                .is_none(),
            "re-sending the same date changes nothing"
        );
        let new_date = (now() + 5 * DAY).to_string();
        s.post(
            &format!("content/users/admin/items/{item}/update"),
            Some(&admin),
            &[("apiToken1ExpirationDate", &new_date)],
        )
        .await;
        assert_eq!(
            error_code(&with_key(&s, "portals/self", &key1, None).await),
            498
        );
        assert!(with_key(&s, "portals/self", &key2, None)
            .await
            .get("error")
            .is_none());
    }
);

on_both_backends!(
    keys_never_exceed_their_owner,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let pat = s.member(&admin, "pat", "org_publisher", "creatorUT").await;
        let (_, client_id, secret) = credentials(
            &s,
            &pat,
            "pat",
            &["portal:user:createItem".to_string()],
            &[],
        )
        .await;
        let key = mint(&s, &client_id, &secret, "1", "true").await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        // A personal key acts as its owner within its privileges.
        let me = with_key(&s, "community/self", &key, Some(REFERER)).await;
        assert_eq!(me["username"], "pat");
        assert_eq!(
            with_key(&s, "portals/self", &key, None).await["user"]["username"],
            "pat"
        );
        let added = s
            .post(
                "content/users/pat/addItem",
                Some(&key),
                &[("title", "By key"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(added["success"], true, "{added}");
        // Demoting the owner takes effect at once.
        s.post(
            "portals/self/updateuserrole",
            Some(&admin),
            &[("user", "pat"), ("role", "viewer")],
        )
        .await;
        let refused = s
            .post(
                "content/users/pat/addItem",
                Some(&key),
                &[("title", "Again"), ("type", "Web Map")],
            )
            .await;
        assert_eq!(error_code(&refused), 403, "{refused}");
        // Disabling the owner stops the key.
        s.post(
            "portals/self/updateuserrole",
            Some(&admin),
            &[("user", "pat"), ("role", "org_publisher")],
        )
        .await;
        s.post("community/users/pat/disable", Some(&admin), &[])
            .await;
        assert_eq!(
            error_code(&with_key(&s, "portals/self", &key, None).await),
            498
        );
        s.post("community/users/pat/enable", Some(&admin), &[])
            .await;
        assert!(with_key(&s, "portals/self", &key, None)
            .await
            .get("error")
            .is_none());
    }
);

on_both_backends!(app_tokens_and_bad_keys, false, |s: TestServer| async move {
    let admin = s.admin_token().await;
    let granted = s.add_item(&admin, "admin", "Granted", &[]).await;
    let (_, client_id, secret) = credentials(
        &s,
        &admin,
        "admin",
        &[format!("portal:app:access:item:{granted}")],
        &[],
    )
    .await;
    let issued = s
        .post(
            "oauth2/token/",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("grant_type", "client_credentials"),
                ("expiration", "7200"),
            ],
        )
        .await;
    let app_token = issued["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{issued}"))
        .to_string();
    assert_eq!(issued["expires_in"], 7200 * 60);
    assert_eq!(
        with_key(&s, &format!("content/items/{granted}"), &app_token, None).await["id"],
        granted.as_str()
    );
    let wrong = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", &client_id),
                ("client_secret", "0123456789abcdef0123456789abcdef"),
                ("grant_type", "client_credentials"),
                ("apiToken", "1"),
            ],
        )
        .await;
    assert_eq!(error_code(&wrong), 400);
    assert_eq!(wrong["error"]["error"], "invalid_client");
    // Invented, mistyped and legacy-shaped strings are refused without a lookup.
    let key = mint(&s, &client_id, &secret, "1", "true").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let mut typo = key.clone().into_bytes();
    typo[10] = if typo[10] == b'A' { b'B' } else { b'A' };
    for bad in [
        String::from_utf8(typo).unwrap(),
        format!("{key}x"),
        "AAPT".to_string(),
        format!("AAPK{}", "a".repeat(60)),
    ] {
        assert_eq!(
            error_code(&with_key(&s, "portals/self", &bad, None).await),
            498,
            "{bad}"
        );
    }
});

on_both_backends!(
    minting_both_slots_at_once_keeps_both_keys,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (item, client_id, secret) = credentials(
            &s,
            &admin,
            "admin",
            &["premium:user:basemaps".to_string()],
            &[],
        )
        .await;
        for round in 0..6 {
            let (one, two) = tokio::join!(
                mint(&s, &client_id, &secret, "1", "true"),
                mint(&s, &client_id, &secret, "2", "true")
            );
            let (one, two) = (
                one["access_token"].as_str().unwrap().to_string(),
                two["access_token"].as_str().unwrap().to_string(),
            );
            assert!(
                with_key(&s, "portals/self", &one, None)
                    .await
                    .get("error")
                    .is_none(),
                "round {round}: key 1 lost"
            );
            assert!(
                with_key(&s, "portals/self", &two, None)
                    .await
                    .get("error")
                    .is_none(),
                "round {round}: key 2 lost"
            );
            let info = s
                .get(
                    &format!("content/users/admin/items/{item}/registeredAppInfo"),
                    Some(&admin),
                    &[],
                )
                .await;
            assert_eq!(
                (
                    info["apiToken1Active"].clone(),
                    info["apiToken2Active"].clone()
                ),
                (json!(true), json!(true)),
                "round {round}"
            );
        }
    }
);

on_both_backends!(
    repeated_form_fields_are_list_entries,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let (_, client_id, _) = credentials(
            &s,
            &admin,
            "admin",
            &["premium:user:basemaps".to_string()],
            &[],
        )
        .await;
        let body = format!(
        "httpReferrers=https%3A%2F%2Fone.example.com&httpReferrers=https%3A%2F%2Ftwo.example.com&f=json&token={admin}"
    );
        let updated: Value = s
            .client
            .post(s.rest(&format!("oauth2/apps/{client_id}/update")))
            .header("Referer", REFERER)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            updated["httpReferrers"],
            json!(["https://one.example.com", "https://two.example.com"])
        );
    }
);
