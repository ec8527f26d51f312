//! Members as search documents (`community/users`): their fields, index rows and orders.
//!
//! The email address is not a search field: only the member and administrators may read it,
//! and a search must not reveal what a caller may not read.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::matcher::lower;
use super::records::{record_rows, RecordField, RecordRow};
use super::Searchable;
use crate::user::User;

/// A member as the matcher sees them.
#[derive(Debug, Clone, Copy)]
pub struct UserDoc<'a>(pub &'a User);

/// The fields a member query can name. The codes are stored: never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UserField {
    Username,
    FullName,
    FirstName,
    LastName,
    Description,
    OrgId,
    Role,
    UserLicenseType,
    Provider,
    Created,
    Modified,
}

impl RecordField for UserField {
    const ALL: &'static [UserField] = &[
        UserField::Username,
        UserField::FullName,
        UserField::FirstName,
        UserField::LastName,
        UserField::Description,
        UserField::OrgId,
        UserField::Role,
        UserField::UserLicenseType,
        UserField::Provider,
        UserField::Created,
        UserField::Modified,
    ];
    const DEFAULT_FIELDS: &'static [&'static str] = &[
        "username",
        "fullname",
        "firstname",
        "lastname",
        "description",
    ];

    fn name(self) -> &'static str {
        match self {
            UserField::Username => "username",
            UserField::FullName => "fullname",
            UserField::FirstName => "firstname",
            UserField::LastName => "lastname",
            UserField::Description => "description",
            UserField::OrgId => "orgid",
            UserField::Role => "role",
            UserField::UserLicenseType => "userlicensetype",
            UserField::Provider => "provider",
            UserField::Created => "created",
            UserField::Modified => "modified",
        }
    }

    fn code(self) -> i64 {
        match self {
            UserField::Username => 1,
            UserField::FullName => 2,
            UserField::FirstName => 3,
            UserField::LastName => 4,
            UserField::Description => 5,
            UserField::OrgId => 6,
            UserField::Role => 7,
            UserField::UserLicenseType => 8,
            UserField::Provider => 9,
            UserField::Created => 10,
            UserField::Modified => 11,
        }
    }
}

impl Searchable for UserDoc<'_> {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let u = self.0;
        let one = |value: &'_ str| vec![Cow::Owned(value.to_string())];
        match field {
            "username" => vec![Cow::Borrowed(u.username.as_str())],
            "fullname" => vec![Cow::Borrowed(u.full_name.as_str())],
            "firstname" => vec![Cow::Borrowed(u.first_name.as_str())],
            "lastname" => vec![Cow::Borrowed(u.last_name.as_str())],
            "description" => vec![Cow::Borrowed(u.description.as_str())],
            "orgid" => vec![Cow::Borrowed(u.org_id.as_str())],
            "role" => vec![Cow::Borrowed(u.role_id.as_str())],
            "userlicensetype" => one(u.user_type.id()),
            "provider" => vec![Cow::Borrowed(u.provider.as_str())],
            "created" => one(&u.created.to_string()),
            "modified" => one(&u.modified.to_string()),
            _ => Vec::new(),
        }
    }

    fn default_fields(&self) -> &'static [&'static str] {
        UserField::DEFAULT_FIELDS
    }
}

/// The index rows of a member.
pub fn user_rows(user: &User) -> Vec<RecordRow<UserField>> {
    record_rows(&UserDoc(user))
}

/// The lowered full name, stored for sorting by name.
pub fn user_full_name_key(user: &User) -> String {
    lower(&user.full_name)
}

/// What member results are ordered by; ties are broken by username in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSortKey {
    Username,
    /// The lowered full name.
    FullName,
    Created,
    Modified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserSort {
    pub key: UserSortKey,
    pub descending: bool,
}

impl UserSort {
    /// The `sortField` values member search accepts (lower case).
    pub const FIELDS: &'static [&'static str] = &["username", "fullname", "created", "modified"];

    /// The order of a checked `sortField` (one of [`UserSort::FIELDS`]); without one, by
    /// username.
    pub fn by_field(field: Option<&str>, descending: bool) -> UserSort {
        let key = match field {
            Some("fullname") => UserSortKey::FullName,
            Some("created") => UserSortKey::Created,
            Some("modified") => UserSortKey::Modified,
            _ => UserSortKey::Username,
        };
        UserSort { key, descending }
    }

    /// The in-memory order (the oracle of the database's `ORDER BY`).
    pub fn compare(&self, a: &User, b: &User) -> Ordering {
        let order = match self.key {
            UserSortKey::Username => Ordering::Equal,
            UserSortKey::FullName => lower(&a.full_name).cmp(&lower(&b.full_name)),
            UserSortKey::Created => a.created.cmp(&b.created),
            UserSortKey::Modified => a.modified.cmp(&b.modified),
        }
        .then_with(|| a.username.cmp(&b.username));
        if self.descending {
            order.reverse()
        } else {
            order
        }
    }
}
