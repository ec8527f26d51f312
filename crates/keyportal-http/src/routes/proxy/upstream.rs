//! The HTTP client of the upstream requests.

use std::sync::Arc;
use std::time::Duration;

/// Connecting to an upstream never takes longer than this, whatever the settings say.
const MAX_CONNECT_SECONDS: u64 = 600;

/// The HTTP client of the upstream requests: one per application (and so per runtime),
/// sharing its connection pool across requests. Redirects are handed back to the caller.
#[derive(Clone)]
pub(super) struct Upstream(pub(super) Arc<Result<reqwest::Client, String>>);

impl Upstream {
    pub(super) fn new() -> Upstream {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(MAX_CONNECT_SECONDS))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| e.to_string());
        Upstream(Arc::new(client))
    }
}
