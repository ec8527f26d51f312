//! `keyportal serve`: open the store, create the organization on first start, and serve the
//! application over HTTP or HTTPS until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use keyportal_http::{app, AppState};
use keyportal_service::{Bootstrap, Portal, PortalSettings, SystemClock};
use keyportal_store::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::{Layer, Service};
use tower_http::cors::{Any, CorsLayer};
use tower_http::normalize_path::NormalizePathLayer;

use crate::background::keep_in_sync;
use crate::config::ServeConfig;
use crate::tls;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] keyportal_store::StoreError),
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: String },
    #[error("first start: {0}")]
    Bootstrap(String),
}

/// A server that is accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub https: bool,
    /// Set when this start created the organization without a given password.
    pub generated_admin_password: Option<String>,
    pub portal: Arc<Portal>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    /// The site root, e.g. `https://127.0.0.1:7443`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.addr
        )
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Runs until the accept loop ends (after a shutdown signal).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    pub fn shutdown_handle(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Logs method, path (never the query: it may hold tokens), status and time.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path = %path,
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// Browser applications call the Sharing API from other origins (REST JS in a web page).
/// Tokens travel in parameters or headers, never in cookies, so no credentials are allowed.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-esri-authorization"),
            HeaderName::from_static("x-requested-with"),
        ])
        .max_age(std::time::Duration::from_secs(3600))
}

/// Opens the store, bootstraps, binds and starts serving in the background.
pub async fn start(config: ServeConfig) -> Result<RunningServer, ServeError> {
    config.storage.prepare()?;
    let sealer = config.storage.sealer()?;
    let store = SqlStore::connect(&config.storage.database).await?;
    let portal = Arc::new(Portal::new(
        Arc::new(store.clone()),
        Arc::new(SystemClock),
        PortalSettings {
            portal_name: config.portal_name.clone(),
            default_key_lifetime_ms: config.default_key_lifetime_days
                * keyportal_domain::time::DAY_MS,
        },
        sealer,
    ));
    let generated_admin_password = match portal
        .bootstrap(&config.org_name, config.admin_password.clone())
        .await
        .map_err(|e| ServeError::Bootstrap(e.to_string()))?
    {
        Bootstrap::Created {
            generated_password, ..
        } => generated_password,
        Bootstrap::AlreadyInitialized { .. } => None,
    };
    portal
        .load_key_table()
        .await
        .map_err(|e| ServeError::Bootstrap(format!("loading the key table: {e}")))?;
    let tls = tls::server_config(&config.tls, &config.storage.data_dir)?;
    let https = tls.is_some();
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Listen {
            addr: config.listen,
            reason: e.to_string(),
        })?;
    let addr = listener.local_addr().map_err(|e| ServeError::Listen {
        addr: config.listen,
        reason: e.to_string(),
    })?;
    let router = app(AppState {
        portal: portal.clone(),
        https,
    })
    .layer(cors())
    .merge(keyportal_web::router(portal.clone(), https))
    .layer(axum::middleware::from_fn(log_request));
    let service = NormalizePathLayer::trim_trailing_slash().layer(router);
    let (shutdown, mut stop) = watch::channel(false);
    let background = tokio::spawn(keep_in_sync(portal.clone(), store, shutdown.subscribe()));
    let acceptor = tls.map(TlsAcceptor::from);
    let portal_for_connections = portal.clone();
    let task = tokio::spawn(async move {
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => break,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    continue;
                }
            };
            // Answers are written whole; Nagle's algorithm would only hold small ones back.
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "TCP_NODELAY not set");
            }
            let service = service.clone();
            let acceptor = acceptor.clone();
            let portal = portal_for_connections.clone();
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => match acceptor.accept(stream).await {
                        Ok(tls_stream) => serve_connection(tls_stream, peer, portal, service).await,
                        Err(error) => tracing::debug!(%error, "TLS handshake failed"),
                    },
                    None => serve_connection(stream, peer, portal, service).await,
                }
            });
        }
        let _ = background.await;
    });
    Ok(RunningServer {
        addr,
        https,
        generated_admin_password,
        portal,
        shutdown,
        task,
    })
}

/// Serves one connection: the `/verify` front first (it answers nginx's `GET /verify` itself,
/// see `keyportal_http::fast_verify`), then hyper and the router from the first other request.
async fn serve_connection<I, S>(io: I, peer: SocketAddr, portal: Arc<Portal>, service: S)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let Some(io) = keyportal_http::fast_verify::serve(io, &portal).await else {
        return;
    };
    let hyper_service =
        hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            service.clone().call(request)
        });
    if let Err(error) = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(io), hyper_service)
        .await
    {
        tracing::debug!(%error, "connection ended with an error");
    }
}
