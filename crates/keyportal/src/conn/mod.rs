//! Limits on client connections, so slow or numerous clients cannot exhaust the server:
//! how many may be open ([`gate`]), and how long each may take over its heads, bodies and
//! silences — in the `/verify` front (`keyportal_http::fast_verify`) and, once a connection
//! is handed to hyper, in the [`watchdog`] run beside it.

mod activity;
pub mod gate;
pub mod watchdog;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper_util::rt::TokioIo;
use keyportal_http::fast_verify::{Handover, Timeouts};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::watch;
use tower::Service;

use activity::{Activity, TrackedBody, Watched, WatchedBody};
use watchdog::Watchdog;

/// The connection knobs (`keyportal serve --help`; defaults in [`ConnectionLimits::default`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A connection with nothing moving between requests (or an answer its client does not
    /// read) is closed after this long.
    pub idle_timeout: Duration,
    /// A request head must arrive whole within this long of its first byte; a TLS handshake
    /// must end within this long of the connection.
    pub head_timeout: Duration,
    /// Bytes per second a request body must bring, averaged over each `body_rate_window`,
    /// while its handler waits for it (0: no minimum).
    pub min_body_rate: u64,
    pub body_rate_window: Duration,
    /// Connections open at once, in total and from one address (an IPv6 /64).
    pub max_connections: usize,
    pub max_connections_per_address: usize,
    /// How long a stopping server waits for requests under way before it closes the rest.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    /// 120 s idle: longer than nginx keeps idle upstream connections (60 s), so nginx never
    /// reuses one keyportal is closing. 30 s per head, as the front always had. 1 kB/s over
    /// 10 s windows: any real client uploads far faster; a trickle is cut within 20 s.
    /// 10,000 connections (a few KiB each idle, tens at most while reading) and 256 per
    /// address: browsers open 6 per host and nginx keeps 16 idle per worker, so a NAT or a
    /// proxy has ample room, while 40 addresses are needed to fill the server. 10 s of
    /// shutdown grace: far longer than any answer takes, well inside systemd's 90 s stop.
    fn default() -> Self {
        ConnectionLimits {
            idle_timeout: keyportal_http::fast_verify::IDLE_TIMEOUT,
            head_timeout: keyportal_http::fast_verify::HEAD_TIMEOUT,
            min_body_rate: 1024,
            body_rate_window: Duration::from_secs(10),
            max_connections: 10_000,
            max_connections_per_address: 256,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl ConnectionLimits {
    /// The front's share of the limits.
    pub fn front(&self) -> Timeouts {
        Timeouts {
            idle: self.idle_timeout,
            head: self.head_timeout,
        }
    }
}

/// The largest request head hyper reads (it answers 431 beyond): bounds what a connection
/// holds while its head arrives. Long ArcGIS query strings stay far below it.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Serves a connection the front handed over with hyper and the router, cut by the watchdog
/// when it breaks the limits. When `draining` turns true, hyper finishes the request under
/// way (if any) and closes the connection.
pub async fn serve_with_hyper<I, S>(
    handover: Handover<I>,
    peer: SocketAddr,
    service: S,
    limits: &ConnectionLimits,
    mut draining: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let activity = Arc::new(Activity::default());
    let watchdog = Watchdog::new(activity.clone(), limits, Some(handover.head_began));
    let io = Watched::new(handover.io, activity.clone());
    let hyper_service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let finished = activity.request_started();
            let body_activity = activity.clone();
            let mut request =
                request.map(|incoming| Body::new(WatchedBody::new(incoming, body_activity)));
            request.extensions_mut().insert(ConnectInfo(peer));
            let answer = service.clone().call(request);
            async move {
                let response = answer.await?;
                Ok::<_, Infallible>(
                    response.map(|body| Body::new(TrackedBody::new(body, finished))),
                )
            }
        });
    // hyper's own head timeout (which would count from the end of the previous answer) stays
    // off: the watchdog keeps every deadline.
    let connection = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(None)
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(io), hyper_service);
    tokio::pin!(connection, watchdog);
    let mut drain_asked = false;
    loop {
        tokio::select! {
            biased;
            served = connection.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            reason = watchdog.as_mut() => {
                tracing::debug!(%peer, reason = reason.describe(), "connection cut");
                return;
            }
            true = keyportal_http::fast_verify::stopping(&mut draining), if !drain_asked => {
                drain_asked = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
