//! The HTTP clients of the upstream requests, and the allow-list at connect time
//! (design §2.13).
//!
//! Every connection goes to an address the allow-list allows, checked after resolving and
//! never resolved twice: an upstream named by address is checked before the request; a host
//! name is resolved by `CheckedResolver`, which hands the connector only the addresses
//! `may_connect` allows, so a name that resolves (or is rebound) to loopback, link-local or
//! private addresses reaches them only if the list names them. Redirects are never followed
//! (they go back to the caller) and no system proxy is used, so nothing connects anywhere else.
//!
//! The resolver needs the port, which reqwest does not give it, so there is one client per
//! port — and one set per list: a changed list gets new clients, whose pools hold no
//! connection opened under the old one.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use keyportal_domain::proxy::allow_list::{may_connect, Refusal, UpstreamAllowList, UpstreamHost};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Connecting to an upstream never takes longer than this, whatever the settings say.
const MAX_CONNECT_SECONDS: u64 = 600;
/// Clients kept per list before the cache starts again (one per upstream port in use).
const MAX_CLIENTS: usize = 256;

/// Why the allow-list stopped a connection; found in a request error's causes.
#[derive(Debug)]
pub(super) struct Blocked(pub(super) Refusal);

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Blocked {}

/// Why no client could be had for an upstream URL.
pub(super) enum Unavailable {
    Blocked(Refusal),
    /// The client could not be built (the cause is for the log).
    Client(String),
}

/// Resolves host names for one port, keeping only the addresses the list allows.
struct CheckedResolver {
    list: Arc<UpstreamAllowList>,
    port: u16,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let list = Arc::clone(&self.list);
        let port = self.port;
        let name = name.as_str().to_string();
        Box::pin(async move {
            let host = UpstreamHost::parse(&name).map_err(|why| {
                Box::new(std::io::Error::other(why)) as Box<dyn std::error::Error + Send + Sync>
            })?;
            let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
                .await?
                .collect();
            let mut refusal = None;
            let mut allowed = Vec::new();
            for addr in resolved {
                match may_connect(&list, &host, port, addr.ip()) {
                    Ok(()) => allowed.push(addr),
                    Err(why) => {
                        tracing::warn!(host = %host, ip = %addr.ip(), "upstream address refused by the proxy allow-list");
                        refusal.get_or_insert(why);
                    }
                }
            }
            if allowed.is_empty() {
                let why = refusal.unwrap_or(Refusal::NotListed { host, port });
                return Err(Box::new(Blocked(why)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The clients built for one list, by port.
struct Clients {
    list: Arc<UpstreamAllowList>,
    by_port: HashMap<u16, reqwest::Client>,
}

/// The upstream clients of one application (and so one runtime), shared by its requests.
#[derive(Clone)]
pub(super) struct Upstream(Arc<Mutex<Clients>>);

impl Upstream {
    pub(super) fn new() -> Upstream {
        Upstream(Arc::new(Mutex::new(Clients {
            list: Arc::new(UpstreamAllowList::default()),
            by_port: HashMap::new(),
        })))
    }

    /// A client that connects to `url` only at addresses `list` allows; refused at once when
    /// the URL's host (or, for an address, the address) is not allowed.
    pub(super) fn client_for(
        &self,
        list: &Arc<UpstreamAllowList>,
        url: &Url,
    ) -> Result<reqwest::Client, Unavailable> {
        let port = url
            .port_or_known_default()
            .ok_or_else(|| Unavailable::Client("the upstream URL has no port".into()))?;
        // The host as the URL parser read it (IPv4 in dotted decimal, IPv6 in brackets).
        let text = url
            .host_str()
            .ok_or_else(|| Unavailable::Client("the upstream URL has no host".into()))?;
        let host = UpstreamHost::parse(text).map_err(|_| {
            Unavailable::Blocked(Refusal::NotListed {
                host: UpstreamHost::Name(text.to_string()),
                port,
            })
        })?;
        // Addresses are connected to as they are, without the resolver: check them here.
        let checked = match &host {
            UpstreamHost::Ip(ip) => may_connect(list, &host, port, *ip),
            UpstreamHost::Name(_) => list.check_host(&host, port),
        };
        checked.map_err(Unavailable::Blocked)?;

        let mut clients = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if !Arc::ptr_eq(&clients.list, list) || clients.by_port.len() >= MAX_CLIENTS {
            clients.list = Arc::clone(list);
            clients.by_port.clear();
        }
        if let Some(client) = clients.by_port.get(&port) {
            return Ok(client.clone());
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(CheckedResolver {
                list: Arc::clone(list),
                port,
            }))
            .connect_timeout(Duration::from_secs(MAX_CONNECT_SECONDS))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Unavailable::Client(e.to_string()))?;
        clients.by_port.insert(port, client.clone());
        Ok(client)
    }
}

/// The allow-list's refusal among an upstream error's causes, if that is what stopped it.
pub(super) fn blocked_by(error: &reqwest::Error) -> Option<&Refusal> {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(Blocked(refusal)) = cause.downcast_ref::<Blocked>() {
            return Some(refusal);
        }
        source = cause.source();
    }
    None
}
