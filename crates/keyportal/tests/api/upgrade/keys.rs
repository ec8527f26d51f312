//! After an upgrade: the fixture's keys and credentials still work, its usage counts are still
//! reported, and its organization settings are still in force.

use serde_json::{json, Value};

use super::{Fixture, DAY_MS};
use crate::harness::TestServer;

async fn sign_in(s: &TestServer, fixture: &Fixture, username: &str) -> String {
    s.sign_in(
        username,
        fixture.json["passwords"][username].as_str().unwrap(),
    )
    .await
}

/// `/verify` for `service` (or `item=`) with `key` and `referer`: status and body.
async fn verify(s: &TestServer, query: &str, key: &str, referer: Option<&str>) -> (u16, Value) {
    let mut request = s
        .client
        .get(format!("{}/verify?{query}", s.url))
        .header("X-Esri-Authorization", format!("Bearer {key}"));
    if let Some(referer) = referer {
        request = request.header("Referer", referer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn text<'a>(value: &'a Value, field: &str) -> &'a str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}

/// The credential's report and the organization's usage resource for the fixture's day give
/// what the old release reported.
pub async fn usage_reports_show_the_fixture_counts(
    s: &TestServer,
    fixture: &Fixture,
    part: &Value,
) {
    let usage = &part["usage"];
    let day = usage["day"].as_i64().unwrap();
    let (start, end) = (day.to_string(), (day + DAY_MS - 1).to_string());
    let range = [
        ("period", "custom"),
        ("startTime", start.as_str()),
        ("endTime", end.as_str()),
    ];
    let key = &part["apiKey"];
    let owner = sign_in(s, fixture, text(key, "owner")).await;
    let report = s
        .get(
            &format!(
                "content/users/{}/items/{}/usage",
                text(key, "owner"),
                text(key, "itemId")
            ),
            Some(&owner),
            &range,
        )
        .await;
    assert_eq!(report["totals"], usage["credential"], "{report}");
    assert!(
        usage["credential"]["geocode"].as_i64().unwrap() > 0,
        "the fixture recorded usage"
    );

    let admin = sign_in(s, fixture, "admin").await;
    let org = s
        .get(
            &format!("portals/{}/usage", text(usage, "orgId")),
            Some(&admin),
            &range,
        )
        .await;
    let mut data: Vec<Value> = org["data"]
        .as_array()
        .unwrap_or_else(|| panic!("{org}"))
        .iter()
        .map(|d| json!({"stype": d["stype"], "appId": d["appId"], "num": d["num"]}))
        .collect();
    data.sort_by_key(|d| (d["appId"].to_string(), d["stype"].to_string()));
    assert_eq!(json!(data), usage["org"], "organization usage: {org}");
}

/// The API key passes `/verify` for its services and its item, from its referrers only, and
/// reads its item over the Sharing API; its slot, date and limits are as set.
pub async fn api_key_still_decides(s: &TestServer, fixture: &Fixture, part: &Value, expires: i64) {
    let key = &part["apiKey"];
    let secret = text(key, "key");
    let allowed = Some(text(key, "allowedReferrer"));
    let (status, body) = verify(s, "service=geocode", secret, allowed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["clientId"], key["clientId"]);
    assert_eq!(body["itemId"], key["itemId"]);
    assert_eq!(body["owner"], key["owner"]);
    assert_eq!(body["slot"], key["slot"]);
    assert_eq!(body["expires"], expires);
    let (status, body) = verify(s, "service=basemaps", secret, allowed).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = verify(
        s,
        "service=geocode",
        secret,
        Some(text(key, "refusedReferrer")),
    )
    .await;
    assert_eq!(
        (status, body["reason"].clone()),
        (401, json!("referrer")),
        "{body}"
    );
    let (status, body) = verify(s, "service=routing", secret, allowed).await;
    assert_eq!(
        (status, body["reason"].clone()),
        (403, json!("service")),
        "{body}"
    );
    for item in key["itemAccess"].as_array().unwrap() {
        let item = item.as_str().unwrap();
        let (status, body) = verify(s, &format!("item={item}"), secret, allowed).await;
        assert_eq!(status, 200, "item access to {item}: {body}");
        let read = s
            .get_with_key(&format!("content/items/{item}"), secret, allowed)
            .await;
        assert_eq!(read["id"], item, "{read}");
    }

    let owner = sign_in(s, fixture, text(key, "owner")).await;
    let info = s
        .post(
            &format!(
                "content/users/{}/items/{}/registeredAppInfo",
                text(key, "owner"),
                text(key, "itemId")
            ),
            Some(&owner),
            &[],
        )
        .await;
    assert_eq!(info["client_id"], key["clientId"], "{info}");
    assert_eq!(info["apiToken1Active"], true, "{info}");
    let limits = s
        .get(
            &format!(
                "content/users/{}/items/{}/limits",
                text(key, "owner"),
                text(key, "itemId")
            ),
            Some(&owner),
            &[],
        )
        .await;
    for field in ["perSecond", "perDay"] {
        assert_eq!(limits[field], key["limits"][field], "{limits}");
    }
}

/// Each imported legacy key passes `/verify` for its service (from its referrer, when it has
/// one, and not from another), reads the item it was given, and is listed as before.
pub async fn legacy_keys_still_decide(s: &TestServer, fixture: &Fixture, part: &Value) {
    for legacy in part["legacyKeys"].as_array().unwrap() {
        let key = text(legacy, "key");
        let referrer = legacy["referrer"].as_str();
        let service = format!("service={}", text(legacy, "service"));
        let (status, body) = verify(s, &service, key, referrer).await;
        assert_eq!(status, 200, "legacy key of {}: {body}", legacy["owner"]);
        assert_eq!(body["owner"], legacy["owner"], "{body}");
        if let Some(refused) = legacy["refusedReferrer"].as_str() {
            let (status, body) = verify(s, &service, key, Some(refused)).await;
            assert_eq!(
                (status, body["reason"].clone()),
                (401, json!("referrer")),
                "{body}"
            );
        }
        for item in legacy["itemAccess"].as_array().into_iter().flatten() {
            let item = item.as_str().unwrap();
            let read = s
                .get_with_key(&format!("content/items/{item}"), key, referrer)
                .await;
            assert_eq!(read["id"], item, "{read}");
        }
    }
    let admin = sign_in(s, fixture, "admin").await;
    let listed = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
    let mut found: Vec<Value> = listed["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| json!({"itemId": k["itemId"], "owner": k["owner"]}))
        .collect();
    let mut expected = part["legacyItems"].as_array().unwrap().clone();
    found.sort_by_key(|k| k["itemId"].to_string());
    expected.sort_by_key(|k| k["itemId"].to_string());
    assert_eq!(found, expected, "{listed}");
}

/// The OAuth app's client credentials still mint an app token: its client secret, sealed by
/// the old release, unseals with the fixture's server key. Its owner sees the same secret and
/// redirect URIs.
pub async fn oauth_app_still_mints_tokens(s: &TestServer, fixture: &Fixture, part: &Value) {
    let app = &part["oauthApp"];
    let minted = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", text(app, "clientId")),
                ("client_secret", text(app, "clientSecret")),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert!(minted["access_token"].is_string(), "{minted}");
    let refused = s
        .post(
            "oauth2/token",
            None,
            &[
                ("client_id", text(app, "clientId")),
                ("client_secret", "not-the-secret"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await;
    assert!(refused["access_token"].is_null(), "{refused}");
    let owner = sign_in(s, fixture, text(app, "owner")).await;
    let info = s
        .post(
            &format!(
                "content/users/{}/items/{}/registeredAppInfo",
                text(app, "owner"),
                text(app, "itemId")
            ),
            Some(&owner),
            &[],
        )
        .await;
    assert_eq!(info["client_secret"], app["clientSecret"], "{info}");
    assert_eq!(info["redirect_uris"], app["redirectUris"], "{info}");
}

/// The billing cycle, the proxy allow-list, the location service (with its sealed upstream
/// credential) and the item proxy are as the fixture set them.
pub async fn settings_survive(s: &TestServer, fixture: &Fixture, part: &Value) {
    let settings = &part["settings"];
    let admin = sign_in(s, fixture, "admin").await;
    let usage = s.get("portals/self/usageSettings", Some(&admin), &[]).await;
    assert_eq!(
        usage["billingCycleStartDay"], settings["billingCycleStartDay"],
        "{usage}"
    );
    let allow = s
        .get("portals/self/proxyAllowList", Some(&admin), &[])
        .await;
    for host in settings["proxyAllowList"].as_array().unwrap() {
        assert!(
            allow["entries"]
                .to_string()
                .contains(host.as_str().unwrap()),
            "{allow}"
        );
    }
    let service = &settings["locationService"];
    let read = s
        .get(
            &format!("portals/self/locationServices/{}", text(service, "name")),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(read["url"], service["url"], "{read}");
    assert_eq!(read["upstreamQuery"], service["upstreamQuery"], "{read}");
    let proxy = &settings["itemProxy"];
    let item = text(proxy, "itemId");
    let owner_of = part["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == item)
        .map(|i| text(i, "owner").to_string())
        .unwrap();
    let read = s
        .get(
            &format!("content/users/{owner_of}/items/{item}/proxy"),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(read["enabled"], true, "{read}");
    assert_eq!(read["rateLimitPerKey"], proxy["rateLimitPerKey"], "{read}");
}
