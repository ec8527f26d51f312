//! The API key credentials wizard: New item → Developer credentials → API key credentials,
//! one step at a time.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
