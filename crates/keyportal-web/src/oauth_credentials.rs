//! Creating OAuth credentials in the portal: an application item with redirect URIs, for
//! signing users in.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
