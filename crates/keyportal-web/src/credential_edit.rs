//! Editing a credential from its item page: privileges and item access (which invalidate
//! its API keys, and say so first) and HTTP referrers.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
