//! The client's address (issue 14): the connection's peer, unless the peer is a trusted proxy
//! (`--trusted-proxies`), in which case the rightmost `X-Forwarded-For` entry that is not
//! itself trusted, else `X-Real-IP` (`keyportal_domain::address::TrustedProxies`). The layer
//! [`resolve`] decides once per routed request and files the answer as
//! [`ClientAddress`] in the request's extensions; the Sharing API, the proxy and the web
//! portal read it with [`client_ip`] (key address restrictions, token address bindings,
//! sign-in throttling). The `/verify` front applies the same rule to its borrowed headers.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::Extensions;
use axum::middleware::Next;
use axum::response::Response;
use keyportal_domain::address::canonical;
use keyportal_service::{ClientAddress, Portal};

use crate::routes::verify::VerifyHeaders;

/// The connection's peer address, when the accept loop recorded one.
pub fn peer(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| canonical(addr.ip()))
}

/// The client's address: the one [`resolve`] filed, else the peer.
pub fn client_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions
        .get::<ClientAddress>()
        .map(|c| c.0)
        .or_else(|| peer(extensions))
}

/// Middleware: files the request's [`ClientAddress`] by the trusted-proxy rule.
pub async fn resolve(
    State(portal): State<Arc<Portal>>,
    mut request: Request,
    next: Next,
) -> Response {
    let trusted = &portal.settings().trusted_proxies;
    let address = peer(request.extensions()).map(|peer| {
        if trusted.is_empty() {
            peer
        } else {
            VerifyHeaders::from_map(request.headers())
                .client_address(Some(peer), trusted)
                .unwrap_or(peer)
        }
    });
    if let Some(address) = address {
        request.extensions_mut().insert(ClientAddress(address));
    }
    next.run(request).await
}

/// Extractor of [`client_ip`].
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}
