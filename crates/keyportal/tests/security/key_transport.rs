//! Family 1c: keys are read only from `token`, `X-Esri-Authorization: Bearer` and
//! `Authorization: Bearer`, the same way by the Sharing API and `/verify`; a dead key is never
//! rescued by another place, other schemes carry nothing, and a key is not a web session.

use serde_json::json;

use crate::harness::REFERER;
use crate::support::{assert_refused, credential, get_with_headers, mint, sqlite_server, verify};

/// How a key travels: as the `token` parameter, or in a header with a scheme.
#[derive(Clone, Copy)]
enum Carrier {
    Token,
    Header(&'static str, &'static str),
}

const TRANSPORTS: [(&str, Carrier); 4] = [
    ("token=", Carrier::Token),
    (
        "X-Esri-Authorization",
        Carrier::Header("X-Esri-Authorization", "Bearer"),
    ),
    (
        "Authorization: Bearer",
        Carrier::Header("Authorization", "Bearer"),
    ),
    (
        "authorization: bearer (any case)",
        Carrier::Header("authorization", "bearer"),
    ),
];

type Owned = Vec<(&'static str, String)>;

/// The query and headers that carry `key` one way.
fn carried(carrier: Carrier, key: &str) -> (Owned, Owned) {
    match carrier {
        Carrier::Token => (vec![("token", key.to_string())], vec![]),
        Carrier::Header(name, scheme) => (vec![], vec![(name, format!("{scheme} {key}"))]),
    }
}

fn pairs(owned: &Owned) -> Vec<(&str, &str)> {
    owned.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_read_only_from_token_and_bearer_headers() {
    let (s, admin) = sqlite_server().await;
    let c = credential(&s, &admin, "admin", &["premium:user:basemaps"], &[]).await;
    let dead = mint(&s, &c, "1").await;
    let key = mint(&s, &c, "1").await;
    let bearer = |k: &str| format!("Bearer {k}");
    for (case, carrier) in TRANSPORTS {
        let sent = |k: &str| carried(carrier, k);
        let (query_dead, headers_dead) = sent(&dead);
        let answer = get_with_headers(
            &s,
            "portals/self",
            &pairs(&query_dead),
            &pairs(&headers_dead),
        )
        .await;
        assert_refused(
            &answer,
            498,
            None,
            &format!("a regenerated-away key in {case}"),
        );
        let (query_ok, headers_ok) = sent(&key);
        let answer =
            get_with_headers(&s, "portals/self", &pairs(&query_ok), &pairs(&headers_ok)).await;
        assert_eq!(
            answer["appInfo"]["appId"],
            c.client_id.as_str(),
            "{case}: {answer}"
        );
    }
    // `token=` decides alone: a dead key there is not rescued by a valid header.
    let mixed = get_with_headers(
        &s,
        "community/self",
        &[("token", &dead)],
        &[
            ("X-Esri-Authorization", &bearer(&admin)),
            ("Referer", REFERER),
        ],
    )
    .await;
    assert_refused(&mixed, 498, None, "dead token= beside a valid header");
    // The form body overrides the query string: a dead key in the body wins over a good one.
    let answer: serde_json::Value = s
        .client
        .post(format!("{}?token={key}&f=json", s.rest("portals/self")))
        .form(&[("token", dead.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_refused(
        &answer,
        498,
        None,
        "dead key in the body, good key in the query",
    );
    // Schemes other than Bearer carry no key: the caller is anonymous.
    for header in [format!("Basic {key}"), key.clone(), format!("Token {key}")] {
        let answer =
            get_with_headers(&s, "community/self", &[], &[("Authorization", &header)]).await;
        assert_refused(
            &answer,
            499,
            Some("Token Required"),
            &format!("Authorization: {header:.12}…"),
        );
    }
    // A key is not a web session.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/home/content", s.url))
        .header("Cookie", format!("kp_session={key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303, "an API key as the session cookie");
    assert!(page.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/home/signin"));
    // `/verify` reads the same places.
    for (name, value) in [
        ("X-Esri-Authorization", bearer(&dead)),
        ("Authorization", bearer(&dead)),
    ] {
        let (status, body) = verify(&s, "service=basemaps", None, &[(name, &value)]).await;
        assert_eq!(
            (status, body["reason"].clone()),
            (401, json!("unknown")),
            "{name}"
        );
    }
    let (status, body) = verify(&s, &format!("service=basemaps&token={dead}"), None, &[]).await;
    assert_eq!((status, body["reason"].clone()), (401, json!("unknown")));
    let (status, body) = verify(
        &s,
        "service=basemaps",
        None,
        &[("Authorization", &format!("Basic {key}"))],
    )
    .await;
    assert_eq!((status, body["reason"].clone()), (401, json!("missing")));
    assert_eq!(verify(&s, "service=basemaps", Some(&key), &[]).await.0, 200);
}
