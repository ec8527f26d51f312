//! Groups: members share items with each other through them.

use crate::error::DomainError;
use crate::ids::shorten;
use crate::text::{self, Lines};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAccess {
    Private,
    Org,
    Public,
}

impl GroupAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupAccess::Private => "private",
            GroupAccess::Org => "org",
            GroupAccess::Public => "public",
        }
    }

    pub fn parse(value: &str) -> Result<GroupAccess, DomainError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "private" => Ok(GroupAccess::Private),
            "org" | "account" => Ok(GroupAccess::Org),
            "public" | "everyone" => Ok(GroupAccess::Public),
            _ => Err(DomainError::invalid(format!(
                "Invalid group access '{}': use private, org or public.",
                shorten(value)
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MemberType {
    Member,
    Admin,
    Owner,
}

impl MemberType {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::Owner => "owner",
            MemberType::Admin => "admin",
            MemberType::Member => "member",
        }
    }

    pub fn parse(value: &str) -> Option<MemberType> {
        match value {
            "owner" => Some(MemberType::Owner),
            "admin" => Some(MemberType::Admin),
            "member" => Some(MemberType::Member),
            _ => None,
        }
    }

    /// Owners and group managers may change the group and its membership.
    pub fn can_manage(self) -> bool {
        self >= MemberType::Admin
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub id: String,
    pub owner: String,
    pub org_id: String,
    pub title: String,
    pub access: GroupAccess,
    pub tags: Vec<String>,
    pub description: String,
    pub snippet: String,
    pub phone: String,
    pub sort_field: String,
    pub sort_order: String,
    pub is_invitation_only: bool,
    pub is_view_only: bool,
    pub auto_join: bool,
    pub created: i64,
    pub modified: i64,
}

/// Fields of `createGroup` and group `update`; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    pub title: Option<String>,
    pub access: Option<GroupAccess>,
    pub tags: Option<Vec<String>>,
    pub description: Option<String>,
    pub snippet: Option<String>,
    pub phone: Option<String>,
    pub sort_field: Option<String>,
    pub sort_order: Option<String>,
    pub is_invitation_only: Option<bool>,
    pub is_view_only: Option<bool>,
    pub auto_join: Option<bool>,
}

const SORT_FIELDS: &[&str] = &[
    "title",
    "owner",
    "avgrating",
    "numviews",
    "created",
    "modified",
];

impl GroupChanges {
    pub fn validate(&self, creating: bool) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        match self.title.as_deref().map(str::trim) {
            None if creating => problems.push("'title' is required.".to_string()),
            Some("") => problems.push("'title' cannot be empty.".to_string()),
            Some(t) if t.chars().count() > 250 => {
                problems.push("'title' has more than 250 characters.".to_string())
            }
            _ => {}
        }
        // What is stored: the title trimmed, the rest as sent.
        let title = self.title.as_deref().map(str::trim);
        for (name, value, lines) in [
            ("title", title, Lines::Single),
            ("description", self.description.as_deref(), Lines::Multi),
            ("snippet", self.snippet.as_deref(), Lines::Multi),
            ("phone", self.phone.as_deref(), Lines::Single),
        ] {
            problems.extend(text::problem(name, value.unwrap_or_default(), lines));
        }
        if let Some(tags) = &self.tags {
            let trimmed: Vec<String> = tags.iter().map(|t| t.trim().to_string()).collect();
            problems.extend(text::list_problem("tags", &trimmed));
        }
        if creating && self.access.is_none() {
            problems.push("'access' is required (private, org or public).".to_string());
        }
        if self
            .description
            .as_deref()
            .is_some_and(|d| d.chars().count() > 64 * 1024)
        {
            problems.push("'description' is too long.".to_string());
        }
        if self
            .snippet
            .as_deref()
            .is_some_and(|d| d.chars().count() > 2048)
        {
            problems.push("'snippet' has more than 2048 characters.".to_string());
        }
        if let Some(tags) = &self.tags {
            if tags.len() > 128 || tags.iter().any(|t| t.chars().count() > 256) {
                problems.push("'tags' has too many or too long entries.".to_string());
            }
        }
        if let Some(field) = &self.sort_field {
            if !field.is_empty() && !SORT_FIELDS.contains(&field.to_ascii_lowercase().as_str()) {
                problems.push(format!(
                    "'sortField' must be one of {}.",
                    SORT_FIELDS.join(", ")
                ));
            }
        }
        if let Some(order) = &self.sort_order {
            if !matches!(order.to_ascii_lowercase().as_str(), "" | "asc" | "desc") {
                problems.push("'sortOrder' must be asc or desc.".to_string());
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::invalid_with("Invalid group.", problems))
        }
    }

    pub fn apply_to(&self, group: &mut Group, now: i64) {
        if let Some(v) = &self.title {
            group.title = v.trim().to_string();
        }
        if let Some(v) = self.access {
            group.access = v;
        }
        if let Some(v) = &self.tags {
            group.tags = v
                .iter()
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect();
        }
        if let Some(v) = &self.description {
            group.description = v.clone();
        }
        if let Some(v) = &self.snippet {
            group.snippet = v.clone();
        }
        if let Some(v) = &self.phone {
            group.phone = v.clone();
        }
        if let Some(v) = &self.sort_field {
            group.sort_field = v.clone();
        }
        if let Some(v) = &self.sort_order {
            group.sort_order = v.clone();
        }
        if let Some(v) = self.is_invitation_only {
            group.is_invitation_only = v;
        }
        if let Some(v) = self.is_view_only {
            group.is_view_only = v;
        }
        if let Some(v) = self.auto_join {
            group.auto_join = v;
        }
        group.modified = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creating_needs_title_and_access() {
        assert!(GroupChanges::default().validate(true).is_err());
        let ok = GroupChanges {
            title: Some("Team".into()),
            access: Some(GroupAccess::Org),
            ..Default::default()
        };
        assert!(ok.validate(true).is_ok());
        let bad_sort = GroupChanges {
            sort_field: Some("drop table".into()),
            ..Default::default()
        };
        assert!(bad_sort.validate(false).is_err());
    }

    #[test]
    fn member_types_order_by_power() {
        assert!(MemberType::Owner.can_manage());
        assert!(MemberType::Admin.can_manage());
        assert!(!MemberType::Member.can_manage());
        assert_eq!(MemberType::parse("admin"), Some(MemberType::Admin));
        assert_eq!(GroupAccess::parse("account"), Ok(GroupAccess::Org));
    }

    #[test]
    fn control_characters_are_refused_and_named() {
        let refused = |changes: GroupChanges| match changes.validate(false) {
            Err(DomainError::Invalid { details, .. }) => details.join(" "),
            other => panic!("expected Invalid, got {other:?}"),
        };
        let title = GroupChanges {
            title: Some("T\0".into()),
            ..Default::default()
        };
        assert!(refused(title).contains("'title'"));
        let tags = GroupChanges {
            tags: Some(vec!["t\tx".into()]),
            ..Default::default()
        };
        assert!(refused(tags).contains("'tags'"));
        let phone = GroupChanges {
            phone: Some("1\u{85}".into()),
            ..Default::default()
        };
        assert!(refused(phone).contains("'phone'"));
        let fine = GroupChanges {
            description: Some("a\r\nb".into()),
            ..Default::default()
        };
        assert_eq!(fine.validate(false), Ok(()));
    }
}
