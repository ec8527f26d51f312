//! The metrics listener: `GET /metrics` in the Prometheus text format on its own socket
//! (`--metrics-listen`), plain HTTP, off unless configured. It is apart from the portal's
//! listener so it can stay on a private address while the portal faces the world, and so
//! scrapes never count as portal traffic. Anything but `GET /metrics` is a 404.

mod process;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use keyportal_http::fast_verify::stopping;
use keyportal_http::http_metrics::HttpMetrics;
use keyportal_service::metrics::exposition::{Exposition, Kind, CONTENT_TYPE};
use keyportal_service::Portal;
use keyportal_store::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use process::ProcessMetrics;

/// A scraper's connection is closed after this long, answered or not (Prometheus reconnects
/// for its next scrape): nothing on this socket can hold a connection for good.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(60);

/// Everything a scrape reads.
pub struct MetricsSources {
    pub portal: Arc<Portal>,
    pub http: Arc<HttpMetrics>,
    pub store: SqlStore,
}

impl MetricsSources {
    /// The whole scrape.
    pub fn render(&self) -> String {
        let mut out = Exposition::new();
        out.family(
            "keyportal_build_info",
            "The running keyportal's version (always 1).",
            Kind::Gauge,
        );
        out.sample(
            "keyportal_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
        );
        self.http.write_metrics(&mut out);
        self.portal.write_metrics(&mut out);
        let pool = self.store.pool();
        let open = pool.size() as usize;
        let idle = pool.num_idle().min(open);
        out.family(
            "keyportal_db_pool_connections",
            "Database connections in the pool: idle, or in use by a request or a background task.",
            Kind::Gauge,
        );
        for (state, count) in [("idle", idle), ("in_use", open - idle)] {
            out.sample(
                "keyportal_db_pool_connections",
                &[("state", state)],
                count as f64,
            );
        }
        out.family(
            "keyportal_db_pool_max_connections",
            "The most connections the pool opens.",
            Kind::Gauge,
        );
        out.sample(
            "keyportal_db_pool_max_connections",
            &[],
            f64::from(pool.options().get_max_connections()),
        );
        if let Some(process) = ProcessMetrics::read() {
            process.write(&mut out);
        }
        out.finish()
    }
}

/// Binds the metrics listener (before the server reports itself started, so a bad address is
/// a start-up error).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}

/// Answers scrapes until `stop` turns true.
pub async fn serve(
    listener: TcpListener,
    sources: Arc<MetricsSources>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    tracing::debug!(%error, "metrics accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            true = stopping(&mut stop) => return,
        };
        let sources = sources.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let answer = answer(&sources, request.method(), request.uri().path());
                async move { Ok::<_, Infallible>(answer) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = tokio::time::timeout(CONNECTION_LIFETIME, connection) => {}
                true = stopping(&mut stop) => {}
            }
        });
    }
}

/// `GET /metrics` → the scrape; anything else → 404.
fn answer(sources: &MetricsSources, method: &Method, path: &str) -> Response<Body> {
    let (status, content_type, body) = if method == Method::GET && path == "/metrics" {
        (StatusCode::OK, CONTENT_TYPE, sources.render())
    } else {
        (
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "Not found: metrics are at GET /metrics\n".to_string(),
        )
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}
