//! First start: create the organization and its first administrator.

use keyportal_domain::ids::{new_hex_id, new_short_id};
use keyportal_domain::org::Org;
use keyportal_domain::password::validate_new_password;
use keyportal_domain::role::ORG_ADMIN;
use keyportal_domain::secret::random_alphanumeric;
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;

use crate::error::ServiceResult;
use crate::Portal;

/// What happened at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bootstrap {
    /// The organization already existed.
    AlreadyInitialized { org_id: String },
    /// Created now; `generated_password` is set when no password was supplied (print it once).
    Created {
        org_id: String,
        generated_password: Option<String>,
    },
}

pub const ADMIN_USERNAME: &str = "admin";

impl Portal {
    /// Creates the organization and `admin` (Creator, Administrator) on an empty database.
    pub async fn bootstrap(
        &self,
        org_name: &str,
        admin_password: Option<String>,
    ) -> ServiceResult<Bootstrap> {
        if let Some(org) = self.store.get_org().await? {
            return Ok(Bootstrap::AlreadyInitialized { org_id: org.id });
        }
        let (password, generated) = match admin_password {
            Some(p) => {
                validate_new_password(&p)?;
                (p, false)
            }
            // Letters and digits from the CSPRNG; 24 characters ≈ 142 bits.
            None => (format!("{}7", random_alphanumeric(23)), true),
        };
        let now = self.now();
        let org = Org {
            id: new_short_id(),
            name: org_name.to_string(),
            created: now,
        };
        let hash = self.hashing.hash(password.clone()).await?;
        match self.store.create_org(&org).await {
            Ok(()) => {}
            // Another process initialized the database at the same moment.
            Err(keyportal_store::StoreError::Conflict(_)) => {
                let existing = self
                    .store
                    .get_org()
                    .await?
                    .map(|o| o.id)
                    .unwrap_or_default();
                return Ok(Bootstrap::AlreadyInitialized { org_id: existing });
            }
            Err(e) => return Err(e.into()),
        }
        let admin = User {
            id: new_hex_id(),
            username: ADMIN_USERNAME.to_string(),
            org_id: org.id.clone(),
            full_name: "Administrator".to_string(),
            first_name: "Administrator".to_string(),
            last_name: String::new(),
            email: String::new(),
            description: String::new(),
            user_type: UserType::Creator,
            role_id: ORG_ADMIN.to_string(),
            disabled: false,
            provider: "arcgis".to_string(),
            created: now,
            modified: now,
            last_login: -1,
        };
        self.store.create_user(&admin, &hash).await?;
        self.member_changed(ADMIN_USERNAME).await?;
        Ok(Bootstrap::Created {
            org_id: org.id,
            generated_password: generated.then_some(password),
        })
    }
}
