//! Shared by the service test binaries that run several `Portal`s (nodes) on one database.

use std::sync::Arc;

use keyportal_service::{ManualClock, Portal, PortalSettings, Sealer};
use keyportal_store::{DatabaseUrl, SqlStore};

/// A node on the SQLite database in `dir`, with the test's clock and a fixed server key (so
/// every node opens the secrets another sealed).
pub async fn portal_on(dir: &std::path::Path, clock: Arc<ManualClock>) -> Portal {
    let store = SqlStore::connect(&DatabaseUrl::sqlite_in(dir))
        .await
        .expect("store");
    Portal::new(
        Arc::new(store),
        clock,
        PortalSettings::default(),
        Sealer::new([7u8; 32]),
    )
}
