//! Usage pages: the Usage tab of a credential and the organization-wide usage page.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
