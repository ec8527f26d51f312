//! The organization record.

use keyportal_domain::ids::shorten;
use keyportal_domain::org::Org;

use crate::error::{ServiceError, ServiceResult};
use crate::Portal;

impl Portal {
    /// The organization. Its record never changes once created (the store can only create
    /// it), so it is read once and then answered from memory — `portals/self` keeps working
    /// while the database is unreachable.
    pub async fn org(&self) -> ServiceResult<Org> {
        if let Some(org) = self.org.get() {
            return Ok(org.clone());
        }
        let org = self.store.get_org().await?.ok_or_else(|| {
            ServiceError::Internal("the organization has not been created".into())
        })?;
        Ok(self.org.get_or_init(|| org).clone())
    }

    /// Accepts `self` or this organization's id in `portals/{id}` URLs.
    pub async fn check_org_id(&self, id: &str) -> ServiceResult<()> {
        let org = self.org().await?;
        if id == "self" || id == org.id {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "Organization '{}' does not exist.",
                shorten(id)
            )))
        }
    }
}
