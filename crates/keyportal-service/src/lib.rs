//! keyportal's operations. Each public method of [`Portal`] is one thing a person or a client
//! can do — sign in, add an item, share it, manage members — with the domain's rules applied
//! and the store updated. The REST API, the web UI and the CLI all call these, so every path
//! into keyportal obeys the same rules.

mod bootstrap;
mod caller;
mod clock;
mod content;
mod error;
mod groups;
mod items;
mod org;
mod roles;
mod search;
mod sharing;
mod tokens;
mod users;

use std::sync::{Arc, Mutex};

use keyportal_domain::signin_guard::{SigninGuard, SigninPolicy};
use keyportal_store::Store;

pub use bootstrap::Bootstrap;
pub use caller::{Caller, Member, RequestFacts};
pub use clock::{Clock, ManualClock, SystemClock};
pub use content::ContentPage;
pub use error::{ServiceError, ServiceResult};
pub use groups::{GroupView, NewGroupMembers};
pub use items::{ItemStatus, ItemView};
pub use search::{Page, SearchRequest, SortOrder};
pub use sharing::{ShareOutcome, ShareRequest};
pub use tokens::{IssuedToken, TokenClient};
pub use users::{NewUser, UserView};

/// Settings of the portal that callers see.
#[derive(Debug, Clone)]
pub struct PortalSettings {
    /// Shown as `name` and `portalName` in `portals/self`.
    pub portal_name: String,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            portal_name: "keyportal".to_string(),
        }
    }
}

/// The portal's operations over a store.
pub struct Portal {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: PortalSettings,
    username_guard: Mutex<SigninGuard>,
    address_guard: Mutex<SigninGuard>,
}

impl Portal {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, settings: PortalSettings) -> Portal {
        Portal {
            store,
            clock,
            settings,
            username_guard: Mutex::new(SigninGuard::new(SigninPolicy::FOR_USERNAMES)),
            address_guard: Mutex::new(SigninGuard::new(SigninPolicy::FOR_ADDRESSES)),
        }
    }

    pub fn settings(&self) -> &PortalSettings {
        &self.settings
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }
}
