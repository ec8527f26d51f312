//! The upstream HTTP server the proxy tests forward to: it records what it receives.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::Notify;

pub(crate) const MIB: usize = 1024 * 1024;
/// The `/big` answer: this many MiB, each filled with its index.
pub(crate) const BIG_CHUNKS: usize = 24;

/// What an upstream saw of one request.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: HeaderMap,
    /// The first 64 KiB of the body.
    pub(crate) body: Vec<u8>,
    pub(crate) body_len: usize,
    /// False when the body broke off.
    pub(crate) complete: bool,
}

#[derive(Clone, Default)]
pub(crate) struct UpstreamState {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Lets `/stream` send its second chunk.
    pub(crate) release: Arc<Notify>,
}

/// A real HTTP server on a free port, recording what it receives. Paths ending in `/redirect`
/// answer 302 to the query's `to` (recorded first), `/slow`
/// answer after 5 s, `/big` streams `BIG_CHUNKS` MiB, `/stream` sends one chunk and waits for
/// `release`, `/missing` is a 404; everything else answers 200 with what was received.
pub(crate) struct Upstream {
    pub(crate) url: String,
    pub(crate) state: UpstreamState,
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

    pub(crate) fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub(crate) fn last(&self) -> Seen {
        self.seen()
            .last()
            .cloned()
            .expect("the upstream saw a request")
    }
}

async fn upstream_handler(State(state): State<UpstreamState>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    if path.ends_with("/redirect") {
        let to = reqwest::Url::parse(&format!("http://upstream{}", request.uri()))
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "to")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        state.seen.lock().unwrap().push(Seen {
            method: request.method().to_string(),
            path: path.clone(),
            query: request.uri().query().unwrap_or("").to_string(),
            headers: request.headers().clone(),
            body: Vec::new(),
            body_len: 0,
            complete: true,
        });
        return (StatusCode::FOUND, [("location", to)], "moved").into_response();
    }
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
