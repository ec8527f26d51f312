//! `keyportal serve`: open the store, create the organization on first start, and serve the
//! application over HTTP or HTTPS until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::response::Response;
use keyportal_http::http_metrics::HttpMetrics;
use keyportal_http::{app, AppState};
use keyportal_service::{Bootstrap, Portal, PortalSettings, SystemClock};
use keyportal_store::SqlStore;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;
use tower::{Layer, Service};
use tower_http::normalize_path::NormalizePathLayer;

use crate::background::keep_in_sync;
use crate::config::ServeConfig;
use crate::conn::gate::{Gate, Refusal};
use crate::conn::ConnectionLimits;
use crate::metrics::MetricsSources;
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
    #[error("cannot listen for metrics on {addr}: {reason}")]
    MetricsListen { addr: SocketAddr, reason: String },
}

/// A server that is accepting connections.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub https: bool,
    /// Set when this start created the organization without a given password.
    pub generated_admin_password: Option<String>,
    /// Where `GET /metrics` answers, when a metrics listener was configured.
    pub metrics_addr: Option<SocketAddr>,
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
            password_hashing: config.password_hashing,
            trusted_proxies: config.trusted_proxies.clone(),
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
    if let Some(path) = &config.secret_scanning_keys {
        let keys = crate::config::load_secret_scanning_keys(path)?;
        let (trusted, current) = keys.counts();
        tracing::info!(trusted, current, "secret scanning keys loaded");
        portal.set_secret_scanning_keys(Some(keys));
    }
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
    let public_url =
        crate::config::public_url_or_default(config.public_url.as_deref(), https, addr);
    if config.public_url.is_none() && addr.ip().is_unspecified() {
        tracing::warn!(%public_url, "set --public-url to the address clients use: sign-in redirects of the built-in clients go only there");
    }
    let http_metrics = Arc::new(HttpMetrics::new());
    let router = app(AppState {
        portal: portal.clone(),
        https,
        public_url,
    })
    .merge(keyportal_web::router(portal.clone(), https))
    .route_layer(axum::middleware::from_fn(
        keyportal_http::request_log::remember_route,
    ))
    .layer(axum::middleware::from_fn_with_state(
        portal.clone(),
        keyportal_http::client_address::resolve,
    ))
    .layer(axum::middleware::from_fn(
        keyportal_http::request_log::log_request,
    ))
    .layer(axum::middleware::from_fn_with_state(
        http_metrics.clone(),
        keyportal_http::http_metrics::count_request,
    ));
    let service = NormalizePathLayer::trim_trailing_slash().layer(router);
    let (shutdown, mut stop) = watch::channel(false);
    let metrics_addr = match config.metrics_listen {
        Some(addr) => Some(
            start_metrics(
                addr,
                MetricsSources {
                    portal: portal.clone(),
                    http: http_metrics.clone(),
                    store: store.clone(),
                },
                shutdown.subscribe(),
            )
            .await?,
        ),
        None => None,
    };
    // Stopping runs in order: accept no more, let requests under way finish (`draining`),
    // then write the last counts (`stop_background`), so nothing answered goes uncounted.
    let (drain, draining) = watch::channel(false);
    let (stop_background, background_stop) = watch::channel(false);
    let background = tokio::spawn(keep_in_sync(
        portal.clone(),
        store,
        config.events,
        background_stop,
    ));
    let acceptor = tls.map(TlsAcceptor::from);
    let limits = config.connections;
    let gate = Gate::new(
        crate::fd_limit::connections_allowed(limits.max_connections),
        limits.max_connections_per_address,
    );
    let portal_for_connections = portal.clone();
    let task = tokio::spawn(async move {
        let mut refusals = Refusals::default();
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                _ = stop.changed() => break,
            };
            let (stream, peer) = match accepted {
                Ok(pair) => pair,
                Err(error) if is_per_connection(&error) => continue,
                Err(error) => {
                    // Out of descriptors or memory: retrying at once would only spin.
                    tracing::warn!(%error, "accept failed; pausing 100 ms");
                    tokio::select! {
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => continue,
                        _ = stop.changed() => break,
                    }
                }
            };
            // At the bound, the connection is closed at once (dropped), so the loop keeps
            // accepting and everyone else keeps being served.
            let pass = match gate.admit(peer.ip()) {
                Ok(pass) => pass,
                Err(refusal) => {
                    refusals.count(refusal, &gate);
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
            let http_metrics = http_metrics.clone();
            let draining = draining.clone();
            tokio::spawn(async move {
                let _pass = pass;
                match acceptor {
                    Some(acceptor) => {
                        let handshake =
                            tokio::time::timeout(limits.head_timeout, acceptor.accept(stream));
                        match handshake.await {
                            Ok(Ok(tls_stream)) => {
                                let front = Front {
                                    portal,
                                    http_metrics,
                                    limits,
                                    draining,
                                };
                                serve_connection(tls_stream, peer, front, service).await
                            }
                            Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
                            Err(_) => tracing::debug!("TLS handshake did not end in time"),
                        }
                    }
                    None => {
                        let front = Front {
                            portal,
                            http_metrics,
                            limits,
                            draining,
                        };
                        serve_connection(stream, peer, front, service).await
                    }
                }
            });
        }
        drop(listener);
        let _ = drain.send(true);
        let open = gate.open();
        if open > 0 {
            tracing::info!(open, "waiting for requests under way");
            if tokio::time::timeout(limits.shutdown_grace, gate.closed())
                .await
                .is_err()
            {
                tracing::warn!(
                    open = gate.open(),
                    "shutdown grace over; closing the remaining connections"
                );
            }
        }
        let _ = stop_background.send(true);
        let _ = background.await;
    });
    Ok(RunningServer {
        addr,
        https,
        generated_admin_password,
        metrics_addr,
        portal,
        shutdown,
        task,
    })
}

/// Binds the metrics listener and serves it until `stop`; returns its address.
async fn start_metrics(
    addr: SocketAddr,
    sources: MetricsSources,
    stop: watch::Receiver<bool>,
) -> Result<SocketAddr, ServeError> {
    let refused = |e: std::io::Error| ServeError::MetricsListen {
        addr,
        reason: e.to_string(),
    };
    let listener = crate::metrics::bind(addr).await.map_err(refused)?;
    let bound = listener.local_addr().map_err(refused)?;
    tokio::spawn(crate::metrics::serve(listener, Arc::new(sources), stop));
    Ok(bound)
}

/// What the `/verify` front of a connection needs.
struct Front {
    portal: Arc<Portal>,
    http_metrics: Arc<HttpMetrics>,
    limits: ConnectionLimits,
    draining: watch::Receiver<bool>,
}

/// Serves one connection: the `/verify` front first (it answers nginx's `GET /verify` itself,
/// see `keyportal_http::fast_verify`), then hyper and the router from the first other request.
/// Both close connections that break the limits (`crate::conn`).
async fn serve_connection<I, S>(io: I, peer: SocketAddr, front: Front, service: S)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: Service<Request, Response = Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let Front {
        portal,
        http_metrics,
        limits,
        draining,
    } = front;
    let Some(handover) = keyportal_http::fast_verify::serve(
        io,
        Some(peer.ip()),
        &portal,
        &http_metrics,
        limits.front(),
        draining.clone(),
    )
    .await
    else {
        return;
    };
    drop(portal);
    drop(http_metrics);
    crate::conn::serve_with_hyper(handover, peer, service, &limits, draining).await;
}

const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Errors about one connection (the client gave up before it was accepted): accept the next.
fn is_per_connection(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

/// Connections refused at the bounds: logged at most once a minute, with the count.
#[derive(Default)]
struct Refusals {
    since_log: u64,
    logged: Option<Instant>,
}

impl Refusals {
    fn count(&mut self, refusal: Refusal, gate: &Gate) {
        self.since_log += 1;
        if self
            .logged
            .is_some_and(|at| at.elapsed() < Duration::from_secs(60))
        {
            return;
        }
        let bound = match refusal {
            Refusal::Full => "the maximum of connections (max_connections)",
            Refusal::AddressFull => {
                "a client's maximum of connections (max_connections_per_address)"
            }
        };
        tracing::warn!(
            refused = self.since_log,
            open = gate.open(),
            "refusing connections: {bound} is reached"
        );
        self.since_log = 0;
        self.logged = Some(Instant::now());
    }
}
