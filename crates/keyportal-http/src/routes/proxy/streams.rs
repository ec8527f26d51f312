//! The bodies on both sides: the caller's body streamed up (limited, its progress tracked for
//! the silence timeout) and the upstream's answer streamed back (cut when silent).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use futures_util::{Stream, StreamExt};
use keyportal_domain::proxy::ProxyTarget;

/// When anything last moved (a request body chunk went up), for the silence timeout.
pub(super) struct Progress {
    start: Instant,
    last_ms: AtomicU64,
}

impl Progress {
    pub(super) fn new() -> Progress {
        Progress {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    pub(super) fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Resolves once nothing has moved for `timeout`.
    pub(super) async fn silent_for(&self, timeout: Duration) {
        loop {
            let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}

/// The caller's body as a stream to the upstream, cut (and flagged) past `max` bytes.
pub(super) fn limited_body(
    body: Body,
    max: u64,
    exceeded: Arc<AtomicBool>,
    progress: Arc<Progress>,
) -> reqwest::Body {
    let mut sent: u64 = 0;
    let stream = body.into_data_stream().map(move |chunk| match chunk {
        Ok(bytes) => {
            sent = sent.saturating_add(bytes.len() as u64);
            progress.touch();
            if sent > max {
                exceeded.store(true, Ordering::Relaxed);
                Err(std::io::Error::other("request body too large"))
            } else {
                Ok(bytes)
            }
        }
        Err(error) => Err(std::io::Error::other(error)),
    });
    reqwest::Body::wrap_stream(stream)
}

/// The upstream's answer body, ended with an error if it stays silent for `timeout`.
pub(super) fn answer_body(
    response: reqwest::Response,
    timeout: Duration,
    target: ProxyTarget,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send {
    let stream = Box::pin(response.bytes_stream());
    futures_util::stream::unfold(Some(stream), move |state| {
        let target = target.clone();
        async move {
            let mut stream = state?;
            match tokio::time::timeout(timeout, stream.next()).await {
                Ok(Some(Ok(bytes))) => Some((Ok(bytes), Some(stream))),
                Ok(Some(Err(error))) => {
                    tracing::warn!(target_name = target.name(), error = %describe(error), "upstream answer broke off");
                    Some((
                        Err(std::io::Error::other("upstream answer broke off")),
                        None,
                    ))
                }
                Ok(None) => None,
                Err(_) => {
                    tracing::warn!(target_name = target.name(), "upstream answer went silent");
                    Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::TimedOut,
                            "upstream answer went silent",
                        )),
                        None,
                    ))
                }
            }
        }
    })
}

/// An upstream error for the log: its causes, never its URL (which carries the sealed query
/// credentials).
pub(super) fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
