//! The usage pages against a real `Portal` on SQLite with a stepped clock: counts spread over
//! several days (some flushed, some still in memory) show in the table, the chart and the
//! CSV, which is the service's CSV byte for byte.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Response, StatusCode};
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::time::{days_from_civil, DAY_MS, HOUR_MS};
use keyportal_domain::usage::ReportPeriod;
use keyportal_service::{
    Caller, ManualClock, Portal, RegisterApp, RequestFacts, TokenClient, VerifyRequest,
};

use crate::harness::{body, get, portal_with_clock, send, PASSWORD};

fn facts() -> RequestFacts {
    RequestFacts {
        referer: None,
        client_ip: None,
    }
}

/// Noon (UTC) of a date.
fn noon(y: i64, m: i64, d: i64) -> i64 {
    days_from_civil(y, m, d) * DAY_MS + 12 * HOUR_MS
}

/// A page (or CSV) as the member with `cookie` sees it.
async fn open(portal: &Arc<Portal>, path: &str, cookie: &str) -> Response<Body> {
    send(portal, get(path, cookie)).await
}

/// An Application item registered as API key credentials, with key 1: (item id, caller, key).
async fn credential(portal: &Portal, caller: &Caller, title: &str) -> (String, String) {
    let item = portal
        .add_item(
            caller,
            "admin",
            None,
            ItemChanges {
                title: Some(title.into()),
                item_type: Some("Application".into()),
                ..ItemChanges::default()
            },
            None,
        )
        .await
        .expect("item");
    let app = portal
        .register_app(
            caller,
            RegisterApp {
                item_id: item.item.id.clone(),
                app_type: "multiple".into(),
                redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
                http_referrers: Vec::new(),
                privileges: vec!["premium:user:geocode:temporary".into()],
                is_personal: None,
                allowed_addresses: Vec::new(),
            },
        )
        .await
        .expect("registered");
    let minted = portal
        .mint_api_key(
            &keyportal_domain::events::Actor::system(),
            &app.app.client_id,
            app.client_secret.expose(),
            KeySlot::One,
            None,
        )
        .await
        .expect("key");
    (item.item.id, minted.key.expose().to_string())
}

fn use_key(portal: &Portal, key: &str, service: &str, times: usize) {
    for _ in 0..times {
        let verdict = portal
            .verify(&VerifyRequest {
                token: Some(key),
                service: Some(service),
                ..VerifyRequest::default()
            })
            .expect("verify");
        assert!(matches!(verdict, keyportal_service::Verdict::Allowed(_)));
    }
}

#[tokio::test]
async fn usage_over_several_days_in_the_table_chart_and_csv() {
    let clock = Arc::new(ManualClock::new(noon(2026, 3, 2)));
    let (portal, _dir) = portal_with_clock(clock.clone()).await;
    let token = portal
        .generate_token(
            "admin",
            PASSWORD,
            TokenClient::RequestIp,
            Some(24 * 60 * 7),
            &facts(),
        )
        .await
        .expect("token");
    let token = token.token.expose().to_string();
    let cookie = format!("kp_session={token}");
    let caller = portal
        .authenticate(Some(&token), &facts())
        .await
        .expect("caller");
    let (item, key) = credential(&portal, &caller, "Clocked keys").await;

    // Mar 2: 4 geocode requests, flushed; Mar 4: 9 geocode and 2 to "reports", a service the
    // organization does not know (counted as "other"), still in memory.
    use_key(&portal, &key, "geocode", 4);
    portal.flush_usage().await.expect("flush");
    clock.set(noon(2026, 3, 4));
    use_key(&portal, &key, "geocode", 9);
    use_key(&portal, &key, "reports", 2);

    let path = format!("/home/item/{item}/usage?period=custom&from=2026-03-01&to=2026-03-04");
    let page = open(&portal, &path, &cookie).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = body(page).await;
    assert!(html.contains("Mar 1 – Mar 4, 2026"), "{html}");
    assert!(
        html.contains("data-label=\"Requests\">15</td>"),
        "total of 4 + 9 + 2"
    );
    assert!(html.contains("data-day=\"2026-03-02\" data-value=\"4\""));
    assert!(html.contains("data-day=\"2026-03-04\" data-value=\"11\""));
    assert!(
        !html.contains("data-day=\"2026-03-03\""),
        "no bar without use"
    );
    assert!(html.contains("Today, Mar 4, 2026: 11 requests so far."));

    // The chart of one service.
    let one = open(&portal, &format!("{path}&service=other"), &cookie).await;
    let html = body(one).await;
    assert!(html.contains("Requests per day: other"));
    assert!(html.contains("data-day=\"2026-03-04\" data-value=\"2\""));
    assert!(!html.contains("data-day=\"2026-03-02\""));

    // The CSV is the service's, as a download named after the item and the dates.
    let csv = open(
        &portal,
        &format!("/home/item/{item}/usage.csv?period=custom&from=2026-03-01&to=2026-03-04"),
        &cookie,
    )
    .await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert_eq!(
        csv.headers()[header::CONTENT_TYPE],
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        csv.headers()[header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"usage-{item}-2026-03-01-to-2026-03-04.csv\"").as_str()
    );
    let expected = portal
        .credential_usage(
            &caller,
            &item,
            ReportPeriod::Custom {
                from: noon(2026, 3, 1),
                to: noon(2026, 3, 4),
            },
        )
        .await
        .expect("report")
        .csv();
    let text = body(csv).await;
    assert_eq!(text, expected);
    assert_eq!(text.lines().count(), 4, "{text}");

    // The previous billing cycle (February) had none; the selector names its dates.
    let previous = open(
        &portal,
        &format!("/home/item/{item}/usage?period=previousBillingCycle"),
        &cookie,
    )
    .await;
    let html = body(previous).await;
    assert!(html.contains("No requests in this period."));
    assert!(html.contains(
        "<option value=\"previousBillingCycle\" selected>Previous billing cycle (Feb 1 – Feb 28, 2026)</option>"
    ));
}

#[tokio::test]
async fn bad_periods_and_items_without_usage_are_explained() {
    let clock = Arc::new(ManualClock::new(noon(2026, 3, 2)));
    let (portal, _dir) = portal_with_clock(clock).await;
    let issued = portal
        .generate_token(
            "admin",
            PASSWORD,
            TokenClient::RequestIp,
            Some(60),
            &facts(),
        )
        .await
        .expect("token");
    let token = issued.token.expose().to_string();
    let cookie = format!("kp_session={token}");
    let caller = portal
        .authenticate(Some(&token), &facts())
        .await
        .expect("caller");
    let (item, _) = credential(&portal, &caller, "Keys").await;

    for (query, message) in [
        ("period=yesterday", "Unknown period"),
        (
            "period=custom&from=2026-03-01",
            "give a start and an end date",
        ),
        (
            "period=custom&from=2025-01-01&to=2026-03-01",
            "at most 366 days",
        ),
    ] {
        let page = open(
            &portal,
            &format!("/home/item/{item}/usage?{query}"),
            &cookie,
        )
        .await;
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{query}");
        let html = body(page).await;
        assert!(html.contains(message), "{query}: {html}");
        assert!(html.contains("name=\"period\""), "the selector stays");
        let csv = open(
            &portal,
            &format!("/home/item/{item}/usage.csv?{query}"),
            &cookie,
        )
        .await;
        assert_eq!(csv.status(), StatusCode::BAD_REQUEST, "{query}");
    }

    let map = portal
        .add_item(
            &caller,
            "admin",
            None,
            ItemChanges {
                title: Some("A map".into()),
                item_type: Some("Web Map".into()),
                ..ItemChanges::default()
            },
            None,
        )
        .await
        .expect("item");
    let page = open(
        &portal,
        &format!("/home/item/{}/usage", map.item.id),
        &cookie,
    )
    .await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(body(page).await.contains("developer credentials only"));
}
