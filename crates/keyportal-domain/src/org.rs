//! The organization: one per deployment, created on first start.

use crate::error::DomainError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// 16 alphanumerics, like ArcGIS organization ids.
    pub id: String,
    pub name: String,
    pub created: i64,
}

/// An organization name is 1–250 characters.
pub fn validate_org_name(name: &str) -> Result<(), DomainError> {
    let len = name.trim().chars().count();
    if (1..=250).contains(&len) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "An organization name has 1 to 250 characters.",
        ))
    }
}
