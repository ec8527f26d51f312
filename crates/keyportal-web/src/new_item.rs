//! New item: the kinds of item a member can create, with Developer credentials (API key or
//! OAuth credentials) offered only to those allowed, and an explanation for those who are not.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
