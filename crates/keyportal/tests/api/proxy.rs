//! The service proxy: proxied items (`/sharing/servers/{itemId}/…`) and location services
//! (`/services/{name}/…`) against real upstream HTTP servers started by the tests — forwarding,
//! sealed upstream credentials, item access, sharing, referrers, privileges, rate limits,
//! upstream failures and timeouts, body limits, streaming, and usage counts.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::Notify;

use crate::harness::{error_code, key_with, TestServer, REFERER};
use crate::on_both_backends;

const MIB: usize = 1024 * 1024;
/// The `/big` answer: this many MiB, each filled with its index.
const BIG_CHUNKS: usize = 24;

/// What an upstream saw of one request.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    /// The first 64 KiB of the body.
    body: Vec<u8>,
    body_len: usize,
    /// False when the body broke off.
    complete: bool,
}

#[derive(Clone, Default)]
struct UpstreamState {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Lets `/stream` send its second chunk.
    release: Arc<Notify>,
}

/// A real HTTP server on a free port, recording what it receives. Paths ending in `/slow`
/// answer after 5 s, `/big` streams `BIG_CHUNKS` MiB, `/stream` sends one chunk and waits for
/// `release`, `/missing` is a 404; everything else answers 200 with what was received.
pub(crate) struct Upstream {
    pub(crate) url: String,
    state: UpstreamState,
}

impl Upstream {
    pub(crate) async fn start() -> Upstream {
        let state = UpstreamState::default();
        let app = Router::new()
            .fallback(upstream_handler)
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Upstream { url, state }
    }

    fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    fn last(&self) -> Seen {
        self.seen()
            .last()
            .cloned()
            .expect("the upstream saw a request")
    }
}

async fn upstream_handler(State(state): State<UpstreamState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if path.ends_with("/slow") {
        tokio::time::sleep(Duration::from_secs(5)).await;
        return "slow".into_response();
    }
    if path.ends_with("/big") {
        let chunks = futures_util::stream::iter(0..BIG_CHUNKS)
            .map(|i| Ok::<_, std::io::Error>(Bytes::from(vec![i as u8; MIB])));
        return Response::new(Body::from_stream(chunks));
    }
    if path.ends_with("/stream") {
        let release = state.release.clone();
        let chunks = futures_util::stream::unfold(0, move |step| {
            let release = release.clone();
            async move {
                match step {
                    0 => Some((Ok::<_, std::io::Error>(Bytes::from_static(b"first;")), 1)),
                    1 => {
                        release.notified().await;
                        Some((Ok(Bytes::from_static(b"second")), 2))
                    }
                    _ => None,
                }
            }
        });
        return Response::new(Body::from_stream(chunks));
    }
    let (parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let (mut kept, mut body_len, mut complete) = (Vec::new(), 0, true);
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            complete = false;
            break;
        };
        body_len += chunk.len();
        let room = (64 * 1024usize).saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    state.seen.lock().unwrap().push(Seen {
        method: parts.method.to_string(),
        path: path.clone(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers.clone(),
        body: kept,
        body_len,
        complete,
    });
    if path.ends_with("/missing") {
        return (StatusCode::NOT_FOUND, "no such thing").into_response();
    }
    (
        [
            ("x-upstream", "yes"),
            ("content-type", "application/json"),
            ("set-cookie", "upstream=1; Path=/"),
        ],
        json!({ "ok": true, "path": path, "received": body_len }).to_string(),
    )
        .into_response()
}

fn proxy_settings_path(owner: &str, item: &str) -> String {
    format!("content/users/{owner}/items/{item}/proxy")
}

/// Adds an item with `url` and enables proxying with `settings`; returns its id.
pub(crate) async fn proxied_item(
    s: &TestServer,
    token: &str,
    owner: &str,
    url: &str,
    settings: &[(&str, &str)],
) -> String {
    let item = s
        .add_item(
            token,
            owner,
            "Upstream",
            &[("url", url), ("type", "Map Service")],
        )
        .await;
    let mut form = vec![("enabled", "true")];
    form.extend_from_slice(settings);
    let answer = s
        .post(&proxy_settings_path(owner, &item), Some(token), &form)
        .await;
    assert_eq!(
        answer["success"], true,
        "enabling the proxy failed: {answer}"
    );
    item
}

fn servers(s: &TestServer, item: &str, rest: &str) -> String {
    format!("{}/sharing/servers/{item}{rest}", s.url)
}

/// GET with `token` (in the query) and the harness's referer; returns (status, body text).
async fn get_with(s: &TestServer, url: &str, token: Option<&str>) -> (u16, String) {
    get_from(s, url, token, Some(REFERER)).await
}

async fn get_from(
    s: &TestServer,
    url: &str,
    token: Option<&str>,
    referer: Option<&str>,
) -> (u16, String) {
    let mut request = s.client.get(url);
    if let Some(token) = token {
        request = request.query(&[("token", token)]);
    }
    if let Some(referer) = referer {
        request = request.header("Referer", referer);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The error code of a forwarding route's JSON error.
fn code_of(body: &str) -> i64 {
    serde_json::from_str::<Value>(body).unwrap_or_default()["error"]["code"]
        .as_i64()
        .unwrap_or(0)
}

async fn usage_totals(s: &TestServer, admin: &str, credential: &str) -> Value {
    let report = s
        .get(
            &format!("content/users/admin/items/{credential}/usage"),
            Some(admin),
            &[("period", "last30days")],
        )
        .await;
    report["totals"].clone()
}

/// Sends `path` as a raw request line (no client-side URL normalisation); returns the status.
async fn raw_status(base: &str, path: &str) -> u16 {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).unwrap().parse().unwrap()
}

on_both_backends!(
    items_are_forwarded_with_sealed_upstream_credentials,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        let base = format!("{}/arcgis/rest/services/Roads/MapServer", up.url);
        let item = s
            .add_item(
                &admin,
                "admin",
                "Roads",
                &[("url", &format!("{base}/")), ("type", "Map Service")],
            )
            .await;
        let settings = proxy_settings_path("admin", &item);

        // Not proxied yet; a bad change is refused whole and changes nothing.
        let (status, body) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!((status, code_of(&body)), (404, 404), "{body}");
        let refused = s
            .post(
                &settings,
                Some(&admin),
                &[
                    ("enabled", "true"),
                    ("timeoutSeconds", "0"),
                    ("upstreamHeaders", r#"{"Host":"evil.example.com"}"#),
                ],
            )
            .await;
        assert_eq!(error_code(&refused), 400, "{refused}");
        assert_eq!(refused["error"]["details"].as_array().unwrap().len(), 2);
        let shown = s.get(&settings, Some(&admin), &[]).await;
        assert_eq!(
            (shown["enabled"].clone(), shown["configured"].clone()),
            (json!(false), json!(false))
        );

        let enabled = s
            .post(
                &settings,
                Some(&admin),
                &[
                    ("enabled", "true"),
                    ("upstreamHeaders", r#"{"X-Api-Key":"hdr-s3cret"}"#),
                    ("upstreamQuery", r#"{"apiKey":"qry-s3cret"}"#),
                ],
            )
            .await;
        assert_eq!(enabled["success"], true, "{enabled}");
        let shown = s.get(&settings, Some(&admin), &[]).await;
        assert_eq!(shown["url"], base.as_str());
        assert_eq!(shown["upstreamHeaders"], json!(["X-Api-Key"]));
        assert_eq!(shown["upstreamQuery"], json!(["apiKey"]));
        assert_eq!(shown["timeoutSeconds"], 30);
        assert_eq!(shown["maxBodyBytes"], 10 * MIB);
        assert!(shown["proxyUrl"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/sharing/servers/{item}")));
        assert!(!shown.to_string().contains("s3cret"), "{shown}");
        assert!(!enabled.to_string().contains("s3cret"), "{enabled}");

        // GET: path suffix and query forwarded, token and client cookies dropped, the sealed
        // credentials added (and winning over a caller's same-named parameter).
        let response = s
            .client
            .get(servers(&s, &item, "/0/query"))
            .query(&[
                ("where", "1=1"),
                ("f", "json"),
                ("apiKey", "client-tries"),
                ("token", admin.as_str()),
            ])
            .header("Referer", REFERER)
            .header("Cookie", "session=abc")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["x-upstream"], "yes");
        assert!(
            response.headers().get("set-cookie").is_none(),
            "no upstream cookies"
        );
        assert_eq!(response.headers()["content-security-policy"], "sandbox");
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        assert!(response
            .headers()
            .iter()
            .all(|(_, v)| !v.to_str().unwrap_or("").contains("s3cret")));
        let text = response.text().await.unwrap();
        assert!(!text.contains("s3cret"));
        let seen = up.last();
        assert_eq!(seen.method, "GET");
        assert_eq!(seen.path, "/arcgis/rest/services/Roads/MapServer/0/query");
        assert!(seen.query.contains("where=1%3D1") && seen.query.contains("f=json"));
        assert!(seen.query.contains("apiKey=qry-s3cret"), "{}", seen.query);
        assert!(!seen.query.contains("client-tries") && !seen.query.contains("token"));
        assert_eq!(seen.headers["x-api-key"], "hdr-s3cret");
        assert_eq!(seen.headers["referer"], REFERER);
        assert!(seen.headers.get("cookie").is_none());
        assert!(seen.headers.get("authorization").is_none());
        assert!(seen.headers.contains_key("x-forwarded-for"));

        // POST with a JSON body and the token in `Authorization: Bearer`.
        let body = json!({ "features": [{ "attributes": { "name": "x" } }] }).to_string();
        let response = s
            .client
            .post(servers(&s, &item, "/0/applyEdits"))
            .header("Authorization", format!("Bearer {admin}"))
            .header("Referer", REFERER)
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let seen = up.last();
        assert_eq!(
            (seen.method.as_str(), seen.path.as_str()),
            ("POST", "/arcgis/rest/services/Roads/MapServer/0/applyEdits")
        );
        assert_eq!(seen.body, body.as_bytes());
        assert_eq!(seen.headers["content-type"], "application/json");
        assert!(seen.headers.get("authorization").is_none());

        // A form body carrying the token (as ArcGIS clients send it): the token stays here.
        let response = s
            .client
            .post(servers(&s, &item, "/0/query"))
            .header("Referer", REFERER)
            .form(&[("where", "1=1"), ("token", admin.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(String::from_utf8(up.last().body).unwrap(), "where=1%3D1");

        // Upstream statuses and bodies pass through as they are.
        let (status, body) = get_with(&s, &servers(&s, &item, "/missing"), Some(&admin)).await;
        assert_eq!((status, body.as_str()), (404, "no such thing"));

        // Tokens: none on a private item, an invalid one.
        let (status, body) = get_with(&s, &servers(&s, &item, "/0"), None).await;
        assert_eq!((status, code_of(&body)), (401, 401), "{body}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some("not-a-token")).await;
        assert_eq!(status, 401);
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some("AAPTbogus")).await;
        assert_eq!(status, 401);

        // Dot segments never climb out of the upstream path.
        let before = up.seen().len();
        let climb = format!("/sharing/servers/{item}/a/%2e%2e/%2E%2e/%2e%2e/Secret/MapServer");
        assert_eq!(raw_status(&s.url, &climb).await, 400);
        let encoded = format!("/sharing/servers/{item}/a%2F..%2F..%2FSecret");
        assert_eq!(raw_status(&s.url, &encoded).await, 400);
        assert_eq!(up.seen().len(), before);

        // The item's URL changes: credentials do not follow it unasked.
        let moved = s
            .post(
                &format!("content/users/admin/items/{item}/update"),
                Some(&admin),
                &[("url", "https://elsewhere.example.com/svc")],
            )
            .await;
        assert_eq!(moved["success"], true, "{moved}");
        let resave = s
            .post(&settings, Some(&admin), &[("rateLimitPerKey", "5")])
            .await;
        assert_eq!(error_code(&resave), 400, "{resave}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!(
            status, 200,
            "still forwarding to the URL the credentials were set for"
        );

        // Disabled: not proxied any more.
        let disabled = s
            .post(&settings, Some(&admin), &[("enabled", "false")])
            .await;
        assert_eq!(disabled["enabled"], false, "{disabled}");
        let (status, _) = get_with(&s, &servers(&s, &item, "/0"), Some(&admin)).await;
        assert_eq!(status, 404);

        // Only the owner and administrators see or change the settings.
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let theirs = s.get(&settings, Some(&ursula), &[]).await;
        assert!(error_code(&theirs) != 0, "{theirs}");
        let theirs = s
            .post(&settings, Some(&ursula), &[("enabled", "true")])
            .await;
        assert!(error_code(&theirs) != 0, "{theirs}");
    }
);

on_both_backends!(
    keys_reach_granted_items_and_members_follow_sharing,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        let granted = proxied_item(&s, &admin, "admin", &format!("{}/granted", up.url), &[]).await;
        let other = proxied_item(&s, &admin, "admin", &format!("{}/other", up.url), &[]).await;
        let public = proxied_item(&s, &admin, "admin", &format!("{}/public", up.url), &[]).await;
        let shared = s
            .post(
                &format!("content/users/admin/items/{public}/share"),
                Some(&admin),
                &[("everyone", "true")],
            )
            .await;
        assert!(shared.get("error").is_none(), "{shared}");
        let (credential, _, key) = key_with(
            &s,
            &admin,
            &[format!("portal:app:access:item:{granted}")],
            &[],
        )
        .await;

        for _ in 0..2 {
            let (status, body) = get_with(&s, &servers(&s, &granted, "/info"), Some(&key)).await;
            assert_eq!(status, 200, "{body}");
        }
        assert_eq!(up.last().path, "/granted/info");
        let (status, body) = get_with(&s, &servers(&s, &other, "/info"), Some(&key)).await;
        assert_eq!((status, code_of(&body)), (403, 403), "{body}");
        let (status, _) = get_with(&s, &servers(&s, &public, "/info"), Some(&key)).await;
        assert_eq!(status, 200, "public items are open to every key");
        let (status, _) = get_with(&s, &servers(&s, &credential, "/info"), Some(&key)).await;
        assert_eq!(status, 404, "not a proxied item");
        let (status, _) = get_with(&s, &servers(&s, "nothex", "/info"), Some(&key)).await;
        assert_eq!(status, 404);
        let response = s
            .client
            .get(servers(&s, &granted, "/info"))
            .header("X-Esri-Authorization", format!("Bearer {key}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "the key in X-Esri-Authorization");

        // Members: by the item's sharing.
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403);
        let shared = s
            .post(
                &format!("content/users/admin/items/{granted}/share"),
                Some(&admin),
                &[("org", "true")],
            )
            .await;
        assert!(shared.get("error").is_none(), "{shared}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 200, "shared with the organization");
        let (status, _) = get_with(&s, &servers(&s, &other, "/info"), Some(&admin)).await;
        assert_eq!(status, 200, "the owner");

        // The sharing check is made from a cached copy of the item: every sharing change
        // must reach it at once. Back to private, then a group ursula belongs to.
        let private = s
            .post(
                &format!("content/users/admin/items/{granted}/share"),
                Some(&admin),
                &[("everyone", "false"), ("org", "false")],
            )
            .await;
        assert!(private.get("error").is_none(), "{private}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "no longer shared with the organization");
        let group = s
            .post(
                "community/createGroup",
                Some(&admin),
                &[("title", "Proxy readers"), ("access", "org")],
            )
            .await;
        let group_id = group["group"]["id"].as_str().unwrap().to_string();
        let added = s
            .post(
                &format!("community/groups/{group_id}/addUsers"),
                Some(&admin),
                &[("users", "ursula")],
            )
            .await;
        assert!(added.get("error").is_none(), "{added}");
        let ursula = s.sign_in("ursula", "ursula-pass-1").await;
        s.post(
            &format!("content/users/admin/items/{granted}/share"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 200, "shared with ursula's group");
        s.post(
            &format!("content/users/admin/items/{granted}/unshare"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "unshared from the group");
        s.post(
            &format!("content/users/admin/items/{granted}/share"),
            Some(&admin),
            &[("groups", group_id.as_str())],
        )
        .await;
        let deleted = s
            .post(
                &format!("community/groups/{group_id}/delete"),
                Some(&admin),
                &[],
            )
            .await;
        assert!(deleted.get("error").is_none(), "{deleted}");
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), Some(&ursula)).await;
        assert_eq!(status, 403, "the group and its shares are gone");

        // Anonymous callers: public items only.
        let (status, _) = get_with(&s, &servers(&s, &public, "/info"), None).await;
        assert_eq!(status, 200);
        let (status, _) = get_with(&s, &servers(&s, &granted, "/info"), None).await;
        assert_eq!(status, 401);

        // Key requests are counted under the item id; refused ones are not.
        let mut expected = Map::new();
        expected.insert(granted.clone(), json!(3));
        expected.insert(public.clone(), json!(1));
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            Value::Object(expected)
        );
    }
);

on_both_backends!(
    referrers_and_the_rate_per_key_are_enforced,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/limited", up.url),
            &[
                ("allowedReferrers", r#"["https://app.example.com"]"#),
                ("rateLimitPerKey", "2"),
            ],
        )
        .await;
        let shown = s
            .get(&proxy_settings_path("admin", &item), Some(&admin), &[])
            .await;
        assert_eq!(
            shown["allowedReferrers"],
            json!(["https://app.example.com"])
        );
        assert_eq!(shown["rateLimitPerKey"], 2);
        let (credential, _, key) =
            key_with(&s, &admin, &[format!("portal:app:access:item:{item}")], &[]).await;
        let url = servers(&s, &item, "/tile/1/2/3");

        for referer in [None, Some("https://evil.example.com/page")] {
            let (status, body) = get_from(&s, &url, Some(&key), referer).await;
            assert_eq!((status, code_of(&body)), (403, 403), "{referer:?}: {body}");
        }
        let site = Some("https://app.example.com/map.html");
        for _ in 0..2 {
            let (status, body) = get_from(&s, &url, Some(&key), site).await;
            assert_eq!(status, 200, "{body}");
        }
        let limited = s
            .client
            .get(&url)
            .query(&[("token", key.as_str())])
            .header("Referer", "https://app.example.com/map.html")
            .send()
            .await
            .unwrap();
        assert_eq!(limited.status(), 429);
        let retry: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=2).contains(&retry), "Retry-After {retry}");
        let body: Value = limited.json().await.unwrap();
        assert_eq!(body["error"]["code"], 429);

        tokio::time::sleep(Duration::from_millis(1100)).await;
        let (status, _) = get_from(&s, &url, Some(&key), site).await;
        assert_eq!(status, 200, "the bucket refills");

        let mut expected = Map::new();
        expected.insert(item.clone(), json!(3));
        expected.insert("throttled".into(), json!(1));
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            Value::Object(expected)
        );

        // Clearing the settings' limits and referrers opens the item again.
        let cleared = s
            .post(
                &proxy_settings_path("admin", &item),
                Some(&admin),
                &[("allowedReferrers", "[]"), ("rateLimitPerKey", "")],
            )
            .await;
        assert_eq!(cleared["rateLimitPerKey"], Value::Null, "{cleared}");
        for _ in 0..4 {
            let (status, _) = get_from(&s, &url, Some(&key), None).await;
            assert_eq!(status, 200);
        }
    }
);

on_both_backends!(
    location_services_require_their_privilege,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        let path = "portals/self/locationServices/GeoCode";
        let created = s
            .post(
                path,
                Some(&admin),
                &[
                    ("url", &format!("{}/geocode", up.url)),
                    ("upstreamQuery", r#"{"apiKey":"geo-s3cret"}"#),
                ],
            )
            .await;
        assert_eq!(created["success"], true, "{created}");
        assert_eq!(created["name"], "geocode");
        assert_eq!(created["enabled"], true);
        assert_eq!(
            created["privileges"][0], "premium:user:geocode:temporary",
            "{created}"
        );
        let listed = s
            .get("portals/self/locationServices", Some(&admin), &[])
            .await;
        assert_eq!(listed["services"].as_array().unwrap().len(), 1, "{listed}");
        assert_eq!(listed["services"][0]["upstreamQuery"], json!(["apiKey"]));
        assert!(!listed.to_string().contains("s3cret"));

        let (credential, _, geokey) = key_with(
            &s,
            &admin,
            &["premium:user:geocode:temporary".to_string()],
            &[],
        )
        .await;
        let (_, _, basemapkey) =
            key_with(&s, &admin, &["premium:user:basemaps".to_string()], &[]).await;
        let url = format!(
            "{}/services/geocode/findAddressCandidates?SingleLine=Main%20St&f=json",
            s.url
        );

        let (status, body) = get_with(&s, &url, Some(&geokey)).await;
        assert_eq!(status, 200, "{body}");
        let seen = up.last();
        assert_eq!(seen.path, "/geocode/findAddressCandidates");
        assert!(
            seen.query.contains("SingleLine=Main%20St") && seen.query.contains("apiKey=geo-s3cret")
        );
        let (status, body) = get_with(&s, &url, Some(&basemapkey)).await;
        assert_eq!((status, code_of(&body)), (403, 403));
        assert!(body.contains("premium:user:geocode:temporary"), "{body}");
        let (status, _) = get_with(&s, &url, None).await;
        assert_eq!(status, 401);

        // Members by their own privileges.
        let (status, _) = get_with(&s, &url, Some(&admin)).await;
        assert_eq!(status, 200);
        let viewer = s.member(&admin, "vera", "viewer", "viewerUT").await;
        let (status, _) = get_with(&s, &url, Some(&viewer)).await;
        assert_eq!(status, 403);

        // Unknown services, custom ones, and who may configure them.
        let (status, body) = get_with(
            &s,
            &format!("{}/services/routing/solve", s.url),
            Some(&geokey),
        )
        .await;
        assert_eq!((status, code_of(&body)), (404, 404));
        let custom = s
            .post(
                "portals/self/locationServices/weather",
                Some(&admin),
                &[("url", &format!("{}/weather", up.url))],
            )
            .await;
        assert_eq!(error_code(&custom), 400, "{custom}");
        let custom = s
            .post(
                "portals/self/locationServices/weather",
                Some(&admin),
                &[
                    ("url", &format!("{}/weather", up.url)),
                    ("privilege", "premium:user:elevation"),
                ],
            )
            .await;
        assert_eq!(custom["privileges"], json!(["premium:user:elevation"]));
        let (status, _) = get_with(
            &s,
            &format!("{}/services/weather/forecast", s.url),
            Some(&geokey),
        )
        .await;
        assert_eq!(status, 403);
        let ursula = s.member(&admin, "ursula", "org_user", "creatorUT").await;
        let theirs = s
            .post(
                "portals/self/locationServices/places",
                Some(&ursula),
                &[("url", &format!("{}/places", up.url))],
            )
            .await;
        assert_eq!(error_code(&theirs), 403, "{theirs}");
        let theirs = s
            .get("portals/self/locationServices", Some(&ursula), &[])
            .await;
        assert_eq!(error_code(&theirs), 403);

        // Counted under the service name.
        assert_eq!(
            usage_totals(&s, &admin, &credential).await,
            json!({ "geocode": 1 })
        );

        let deleted = s
            .post(
                "portals/self/locationServices/geocode/delete",
                Some(&admin),
                &[],
            )
            .await;
        assert_eq!(deleted["success"], true, "{deleted}");
        let (status, _) = get_with(&s, &url, Some(&geokey)).await;
        assert_eq!(status, 404);
        let gone = s
            .get("portals/self/locationServices/geocode", Some(&admin), &[])
            .await;
        assert_eq!(error_code(&gone), 400, "{gone}");
    }
);

on_both_backends!(
    upstream_failures_timeouts_and_oversize_bodies,
    false,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;

        // Nothing listens there.
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap()
        };
        let down = proxied_item(&s, &admin, "admin", &format!("http://{dead}/svc"), &[]).await;
        let (status, body) = get_with(&s, &servers(&s, &down, "/info"), Some(&admin)).await;
        assert_eq!((status, code_of(&body)), (502, 502), "{body}");
        assert!(
            !body.contains(&dead.port().to_string()),
            "no upstream address in errors"
        );

        // A slow upstream times out without holding up anything else.
        let slow = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/svc", up.url),
            &[("timeoutSeconds", "2")],
        )
        .await;
        let fast = proxied_item(&s, &admin, "admin", &format!("{}/fast", up.url), &[]).await;
        let started = Instant::now();
        let slow_request = {
            let request = s
                .client
                .get(servers(&s, &slow, "/slow"))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER);
            tokio::spawn(async move { request.send().await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let fast_started = Instant::now();
        let (status, _) = get_with(&s, &servers(&s, &fast, "/ping"), Some(&admin)).await;
        assert_eq!(status, 200);
        assert!(
            fast_started.elapsed() < Duration::from_millis(1500),
            "the fast request took {:?}",
            fast_started.elapsed()
        );
        assert!(!slow_request.is_finished(), "the slow one is still waiting");
        let slow_response = slow_request.await.unwrap();
        assert_eq!(slow_response.status(), 504);
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(1900) && waited < Duration::from_millis(4500),
            "answered after {waited:?}"
        );
        let body: Value = slow_response.json().await.unwrap();
        assert_eq!(body["error"]["code"], 504);

        // Bodies over the item's limit: declared, and streamed without a length.
        let small = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/small", up.url),
            &[("maxBodyBytes", "1000")],
        )
        .await;
        let post = |body: reqwest::Body| {
            s.client
                .post(servers(&s, &small, "/upload"))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER)
                .header("Content-Type", "application/octet-stream")
                .body(body)
                .send()
        };
        let declared = post(reqwest::Body::from(vec![7u8; 2000])).await.unwrap();
        assert_eq!(declared.status(), 413);
        let body: Value = declared.json().await.unwrap();
        assert_eq!(body["error"]["code"], 413);
        let chunks = futures_util::stream::iter(0..4)
            .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![1u8; 500])));
        let streamed = post(reqwest::Body::wrap_stream(chunks)).await.unwrap();
        assert_eq!(streamed.status(), 413);
        assert!(
            up.seen()
                .iter()
                .all(|seen| !(seen.path == "/small/upload" && seen.complete)),
            "no oversize body reached the upstream whole"
        );
        let fits = post(reqwest::Body::from(vec![7u8; 1000])).await.unwrap();
        assert_eq!(fits.status(), 200);
        assert_eq!(up.last().body_len, 1000);

        let refused = s
            .post(
                &proxy_settings_path("admin", &small),
                Some(&admin),
                &[("maxBodyBytes", "-1"), ("timeoutSeconds", "9999")],
            )
            .await;
        assert_eq!(error_code(&refused), 400);
        assert_eq!(refused["error"]["details"].as_array().unwrap().len(), 2);
    }
);

on_both_backends!(
    answers_and_bodies_stream_through,
    true,
    |s: TestServer| async move {
        let up = Upstream::start().await;
        let admin = s.admin_token().await;
        let limit = (64 * MIB).to_string();
        let item = proxied_item(
            &s,
            &admin,
            "admin",
            &format!("{}/files", up.url),
            &[("maxBodyBytes", &limit)],
        )
        .await;
        let get = |rest: &str| {
            s.client
                .get(servers(&s, &item, rest))
                .query(&[("token", admin.as_str())])
                .header("Referer", REFERER)
                .send()
        };

        // The first chunk arrives while the upstream still holds the rest.
        let mut streaming = tokio::time::timeout(Duration::from_secs(5), get("/stream"))
            .await
            .expect("the answer starts before the upstream finishes it")
            .unwrap();
        assert_eq!(streaming.status(), 200);
        let first = tokio::time::timeout(Duration::from_secs(5), streaming.chunk())
            .await
            .expect("the first chunk is forwarded before the answer ends")
            .unwrap()
            .unwrap();
        assert_eq!(&first[..], b"first;");
        up.state.release.notify_one();
        assert_eq!(&streaming.bytes().await.unwrap()[..], b"second");

        // A large answer, beyond any body limit, arrives whole and in order.
        let big = get("/big").await.unwrap();
        assert_eq!(big.status(), 200);
        let mut stream = big.bytes_stream();
        let mut total = 0usize;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.unwrap();
            for (i, byte) in chunk.iter().enumerate() {
                assert_eq!(usize::from(*byte), (total + i) / MIB);
            }
            total += chunk.len();
        }
        assert_eq!(total, BIG_CHUNKS * MIB);

        // A large upload, streamed without a length, over the default limit but under the
        // item's.
        let chunks = futures_util::stream::iter(0..20)
            .map(|_| Ok::<_, std::io::Error>(Bytes::from(vec![3u8; MIB])));
        let uploaded = s
            .client
            .post(servers(&s, &item, "/upload"))
            .query(&[("token", admin.as_str())])
            .header("Referer", REFERER)
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 200);
        let seen = up.last();
        assert_eq!(
            (seen.path.as_str(), seen.body_len),
            ("/files/upload", 20 * MIB)
        );
        assert!(seen.complete);
    }
);
