//! Family 6b: repeated parameters, unknown formats and bodies that carry no form are read one
//! fixed, documented way (the last value wins, JSON bodies carry nothing), so no ambiguity lets
//! a dead token or a second value slip through.

use serde_json::{json, Value};

use crate::harness::{error_code, REFERER};
use crate::support::{
    assert_refused, credential, item, key_code, mint, post_body, sqlite_server, verify,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_parameters_formats_and_bodies_are_read_one_fixed_way() {
    let (s, admin) = sqlite_server().await;
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let key1 = mint(&s, &c, "1").await;
    let key2 = mint(&s, &c, "2").await;

    // A repeated token: the last one decides, and a dead last one is not rescued.
    let answer = post_body(
        &s,
        "community/self",
        format!("f=json&token={admin}&token=AAPTdead"),
    )
    .await;
    assert_refused(&answer, 498, None, "token=valid&token=dead");
    // A repeated slot: the last one is the slot revoked; the other key lives.
    let revoked = post_body(
        &s,
        "oauth2/revokeToken",
        format!(
            "f=json&client_id={}&client_secret={}&apiToken=1&apiToken=2",
            c.client_id, c.secret
        ),
    )
    .await;
    assert_eq!(revoked["success"], true, "{revoked}");
    assert_eq!(
        key_code(&s, &key2, None).await,
        498,
        "slot 2 (the last value) was revoked"
    );
    assert_eq!(key_code(&s, &key1, None).await, 0, "slot 1 lives");
    // A repeated title: one value is stored, never both joined.
    let added = post_body(
        &s,
        "content/users/admin/addItem",
        format!("f=json&token={admin}&type=Web+Map&title=first&title=second"),
    )
    .await;
    let id = added["id"].as_str().unwrap_or_else(|| panic!("{added}"));
    assert_eq!(item(&s, &admin, id).await["title"], "second");

    // Unknown formats still answer JSON, never markup that echoes the request.
    for format in ["xml", "html", "<script>alert(1)</script>", ""] {
        let response = s
            .client
            .get(s.rest("community/self"))
            .query(&[("f", format), ("token", "not-a-token")])
            .send()
            .await
            .unwrap();
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(kind.starts_with("application/json"), "f={format}: {kind}");
        let body = response.text().await.unwrap();
        assert!(!body.contains("<script>"), "f={format}: {body}");
        assert_eq!(
            error_code(&serde_json::from_str(&body).unwrap()),
            498,
            "f={format}"
        );
    }
    // A JSON body carries no ArcGIS parameters: no token, nothing added.
    let before = s.get("content/users/admin", Some(&admin), &[]).await["total"].clone();
    let json_body: Value = s
        .client
        .post(s.rest("content/users/admin/addItem"))
        .json(&json!({ "token": admin, "title": "From JSON", "type": "Web Map", "f": "json" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_refused(&json_body, 499, Some("Token Required"), "a JSON body");
    // A malformed multipart body is refused as such.
    let multipart: Value = s
        .client
        .post(format!(
            "{}?f=json&token={admin}",
            s.rest("content/users/admin/addItem")
        ))
        .header("Referer", REFERER)
        .header("Content-Type", "multipart/form-data; boundary=XYZ")
        .body("--XYZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nbroken")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_refused(
        &multipart,
        400,
        Some("multipart"),
        "a truncated multipart body",
    );
    assert_eq!(
        s.get("content/users/admin", Some(&admin), &[]).await["total"],
        before
    );

    // `/verify` input: bad service names are 400, never a decision.
    for service in ["geo%20code", &"s".repeat(65), "%3Cscript%3E"] {
        let (status, body) = verify(&s, &format!("service={service}"), Some(&key1), &[]).await;
        assert_eq!(
            (status, body["reason"].clone()),
            (400, json!("bad_request")),
            "{service:.20}"
        );
    }
}
