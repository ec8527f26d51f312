//! Groups as search documents (`community/groups`): their fields, index rows and orders.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::matcher::lower;
use super::records::{record_rows, RecordField, RecordRow};
use super::Searchable;
use crate::group::Group;

/// A group as the matcher sees it.
#[derive(Debug, Clone, Copy)]
pub struct GroupDoc<'a>(pub &'a Group);

/// The fields a group query can name. The codes are stored: never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupField {
    Id,
    Title,
    Owner,
    OrgId,
    Access,
    Tags,
    Description,
    Snippet,
    Created,
    Modified,
}

impl RecordField for GroupField {
    const ALL: &'static [GroupField] = &[
        GroupField::Id,
        GroupField::Title,
        GroupField::Owner,
        GroupField::OrgId,
        GroupField::Access,
        GroupField::Tags,
        GroupField::Description,
        GroupField::Snippet,
        GroupField::Created,
        GroupField::Modified,
    ];
    const DEFAULT_FIELDS: &'static [&'static str] =
        &["title", "tags", "description", "snippet", "owner"];

    fn name(self) -> &'static str {
        match self {
            GroupField::Id => "id",
            GroupField::Title => "title",
            GroupField::Owner => "owner",
            GroupField::OrgId => "orgid",
            GroupField::Access => "access",
            GroupField::Tags => "tags",
            GroupField::Description => "description",
            GroupField::Snippet => "snippet",
            GroupField::Created => "created",
            GroupField::Modified => "modified",
        }
    }

    fn code(self) -> i64 {
        match self {
            GroupField::Id => 1,
            GroupField::Title => 2,
            GroupField::Owner => 3,
            GroupField::OrgId => 4,
            GroupField::Access => 5,
            GroupField::Tags => 6,
            GroupField::Description => 7,
            GroupField::Snippet => 8,
            GroupField::Created => 9,
            GroupField::Modified => 10,
        }
    }
}

impl Searchable for GroupDoc<'_> {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let g = self.0;
        match field {
            "id" => vec![Cow::Borrowed(g.id.as_str())],
            "title" => vec![Cow::Borrowed(g.title.as_str())],
            "owner" => vec![Cow::Borrowed(g.owner.as_str())],
            "orgid" => vec![Cow::Borrowed(g.org_id.as_str())],
            "access" => vec![Cow::Borrowed(g.access.as_str())],
            "tags" => g.tags.iter().map(|t| Cow::Borrowed(t.as_str())).collect(),
            "description" => vec![Cow::Borrowed(g.description.as_str())],
            "snippet" => vec![Cow::Borrowed(g.snippet.as_str())],
            "created" => vec![Cow::Owned(g.created.to_string())],
            "modified" => vec![Cow::Owned(g.modified.to_string())],
            _ => Vec::new(),
        }
    }

    fn default_fields(&self) -> &'static [&'static str] {
        GroupField::DEFAULT_FIELDS
    }
}

/// The index rows of a group.
pub fn group_rows(group: &Group) -> Vec<RecordRow<GroupField>> {
    record_rows(&GroupDoc(group))
}

/// The lowered title, stored for sorting by title.
pub fn group_title_key(group: &Group) -> String {
    lower(&group.title)
}

/// What group results are ordered by; ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSortKey {
    /// The lowered title.
    Title,
    Owner,
    Created,
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSort {
    pub key: GroupSortKey,
    pub descending: bool,
}

impl GroupSort {
    /// The `sortField` values group search accepts (lower case).
    pub const FIELDS: &'static [&'static str] = &["title", "owner", "created", "modified"];

    /// The order of a checked `sortField` (one of [`GroupSort::FIELDS`]); without one, by
    /// title.
    pub fn by_field(field: Option<&str>, descending: bool) -> GroupSort {
        let key = match field {
            Some("owner") => GroupSortKey::Owner,
            Some("created") => GroupSortKey::Created,
            Some("modified") => GroupSortKey::Modified,
            _ => GroupSortKey::Title,
        };
        GroupSort { key, descending }
    }

    /// The in-memory order (the oracle of the database's `ORDER BY`).
    pub fn compare(&self, a: &Group, b: &Group) -> Ordering {
        let order = match self.key {
            GroupSortKey::Title => lower(&a.title).cmp(&lower(&b.title)),
            GroupSortKey::Owner => a.owner.cmp(&b.owner),
            GroupSortKey::Created => a.created.cmp(&b.created),
            GroupSortKey::Modified => a.modified.cmp(&b.modified),
        }
        .then_with(|| a.id.cmp(&b.id));
        if self.descending {
            order.reverse()
        } else {
            order
        }
    }
}
