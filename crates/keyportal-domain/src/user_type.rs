//! User types (ArcGIS "user license types"): what kind of work a member may do at all. A user's
//! privileges are their role's privileges limited by what the user type allows.

use crate::error::DomainError;
use crate::privilege::names;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserType {
    Viewer,
    Contributor,
    FieldWorker,
    Creator,
    ProfessionalBasic,
    ProfessionalStandard,
    ProfessionalAdvanced,
}

pub const ALL_USER_TYPES: [UserType; 7] = [
    UserType::Viewer,
    UserType::Contributor,
    UserType::FieldWorker,
    UserType::Creator,
    UserType::ProfessionalBasic,
    UserType::ProfessionalStandard,
    UserType::ProfessionalAdvanced,
];

/// Privileges every user type allows: seeing the organization and joining groups.
const VIEW_PRIVILEGES: &[&str] = &[
    names::VIEW_ORG_USERS,
    names::VIEW_ORG_GROUPS,
    names::VIEW_ORG_ITEMS,
    names::JOIN_GROUP,
    "portal:user:joinNonOrgGroup",
    "portal:user:viewTracks",
    "portal:user:viewHostedFeatureServices",
    "portal:user:viewHostedTileServices",
    "portal:user:useAIAssistants",
];

/// What Contributor and Field Worker types add: editing data, owning and sharing content
/// (but not publishing, administering or creating developer credentials).
const CONTRIBUTOR_PRIVILEGES: &[&str] = &[
    "features:user:edit",
    "features:user:fullEdit",
    names::CREATE_ITEM,
    names::CREATE_GROUP,
    names::SHARE_TO_GROUP,
    names::SHARE_TO_ORG,
    names::SHARE_TO_PUBLIC,
    names::SHARE_GROUP_TO_ORG,
    names::SHARE_GROUP_TO_PUBLIC,
    "portal:user:addExternalMembersToGroup",
    "portal:user:invitePartneredCollaborationMembers",
    "portal:user:categorizeItems",
    "portal:user:reassignItems",
    "portal:user:receiveItems",
    "portal:user:runWebTool",
];

impl UserType {
    /// The wire id (`userLicenseTypeId`).
    pub fn id(self) -> &'static str {
        match self {
            UserType::Viewer => "viewerUT",
            UserType::Contributor => "editorUT",
            UserType::FieldWorker => "fieldWorkerUT",
            UserType::Creator => "creatorUT",
            UserType::ProfessionalBasic => "GISProfessionalBasicUT",
            UserType::ProfessionalStandard => "GISProfessionalStdUT",
            UserType::ProfessionalAdvanced => "GISProfessionalAdvUT",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            UserType::Viewer => "Viewer",
            UserType::Contributor => "Contributor",
            UserType::FieldWorker => "Mobile Worker",
            UserType::Creator => "Creator",
            UserType::ProfessionalBasic => "Professional Basic",
            UserType::ProfessionalStandard => "Professional Standard",
            UserType::ProfessionalAdvanced => "Professional Plus",
        }
    }

    /// Parses a wire id (case-insensitive; `contributorUT` is accepted for `editorUT`).
    pub fn parse(value: &str) -> Result<UserType, DomainError> {
        let lower = value.trim().to_ascii_lowercase();
        ALL_USER_TYPES
            .into_iter()
            .find(|t| t.id().to_ascii_lowercase() == lower)
            .or(match lower.as_str() {
                "contributorut" => Some(UserType::Contributor),
                _ => None,
            })
            .ok_or_else(|| {
                DomainError::invalid_with(
                    format!("Unknown user type '{}'.", crate::ids::shorten(value)),
                    vec![format!(
                        "Valid user types: {}.",
                        ALL_USER_TYPES.map(UserType::id).join(", ")
                    )],
                )
            })
    }

    /// Creator and the Professional types: full content creation, publishing, administration
    /// and developer credentials.
    pub fn is_creator_or_higher(self) -> bool {
        self >= UserType::Creator
    }

    /// Whether a member of this type may hold `privilege` at all.
    pub fn allows(self, privilege: &str) -> bool {
        if self.is_creator_or_higher() {
            return true;
        }
        if VIEW_PRIVILEGES.contains(&privilege) {
            return true;
        }
        match self {
            UserType::Contributor | UserType::FieldWorker => {
                CONTRIBUTOR_PRIVILEGES.contains(&privilege)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_ids_round_trip() {
        for t in ALL_USER_TYPES {
            assert_eq!(UserType::parse(t.id()), Ok(t));
        }
        assert_eq!(UserType::parse("CREATORUT"), Ok(UserType::Creator));
        assert!(UserType::parse("godUT").is_err());
    }

    #[test]
    fn viewers_only_view() {
        assert!(UserType::Viewer.allows(names::VIEW_ORG_ITEMS));
        assert!(!UserType::Viewer.allows(names::CREATE_ITEM));
        assert!(!UserType::Viewer.allows(names::ADMIN_VIEW_USERS));
    }

    #[test]
    fn only_creators_generate_api_keys() {
        assert!(!UserType::Contributor.allows(names::GENERATE_API_TOKENS));
        assert!(UserType::Contributor.allows(names::CREATE_ITEM));
        assert!(UserType::Creator.allows(names::GENERATE_API_TOKENS));
        assert!(UserType::ProfessionalAdvanced.allows(names::ADMIN_MANAGE_ROLES));
    }
}
