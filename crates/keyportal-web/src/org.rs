//! Organization pages for administrators: members and custom roles.

use axum::Router;

use crate::Routes;

pub(crate) fn routes() -> Routes {
    Router::new()
}
