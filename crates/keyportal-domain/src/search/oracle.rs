//! Searches done in memory: the matcher over every document, the visibility rule, the sort and
//! the page. The store answers searches in SQL; these are the references its answers are
//! tested against (the differential tests in the store's conformance suite), and how search
//! worked before it moved into the database.

use super::groups::{GroupDoc, GroupField, GroupSort};
use super::items::{ItemDoc, ItemSort};
use super::users::{UserDoc, UserField, UserSort};
use super::Query;
use crate::error::DomainError;
use crate::group::Group;
use crate::item::Item;
use crate::user::User;
use crate::visibility::{can_view_group, can_view_item, can_view_user, Viewer};

/// An item with the groups it is shared with.
#[derive(Debug, Clone, Copy)]
pub struct Shared<'a> {
    pub item: &'a Item,
    pub group_ids: &'a [String],
}

/// The ids of one page (`offset` 0-based) of the items matching `query` that `viewer` may
/// see, and how many match in all. Refuses what item search refuses ([`Query::item_plan`]).
pub fn search_items(
    query: &Query,
    viewer: &Viewer,
    items: &[Shared<'_>],
    sort: ItemSort,
    offset: usize,
    limit: usize,
) -> Result<(Vec<String>, usize), DomainError> {
    query.item_plan()?;
    let mut found: Vec<&Item> = items
        .iter()
        .filter(|s| can_view_item(viewer, s.item, s.group_ids))
        .filter(|s| {
            query.matches(&ItemDoc {
                item: s.item,
                group_ids: s.group_ids,
            })
        })
        .map(|s| s.item)
        .collect();
    found.sort_by(|a, b| sort.compare(a, b));
    let total = found.len();
    let page = found
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|item| item.id.clone())
        .collect();
    Ok((page, total))
}

/// The ids of one page of the groups matching `query` that `viewer` may see, and how many
/// match in all. Refuses what group search refuses ([`Query::record_plan`]).
pub fn search_groups(
    query: &Query,
    viewer: &Viewer,
    groups: &[Group],
    sort: GroupSort,
    offset: usize,
    limit: usize,
) -> Result<(Vec<String>, usize), DomainError> {
    query.record_plan::<GroupField>()?;
    let mut found: Vec<&Group> = groups
        .iter()
        .filter(|g| can_view_group(viewer, g) && query.matches(&GroupDoc(g)))
        .collect();
    found.sort_by(|a, b| sort.compare(a, b));
    Ok(page(found.into_iter().map(|g| g.id.clone()), offset, limit))
}

/// The usernames of one page of the members matching `query` that `viewer` may see, and how
/// many match in all. Refuses what member search refuses ([`Query::record_plan`]).
pub fn search_users(
    query: &Query,
    viewer: &Viewer,
    users: &[User],
    sort: UserSort,
    offset: usize,
    limit: usize,
) -> Result<(Vec<String>, usize), DomainError> {
    query.record_plan::<UserField>()?;
    let mut found: Vec<&User> = users
        .iter()
        .filter(|u| can_view_user(viewer, &u.username, &u.org_id) && query.matches(&UserDoc(u)))
        .collect();
    found.sort_by(|a, b| sort.compare(a, b));
    Ok(page(
        found.into_iter().map(|u| u.username.clone()),
        offset,
        limit,
    ))
}

fn page(
    sorted: impl ExactSizeIterator<Item = String>,
    offset: usize,
    limit: usize,
) -> (Vec<String>, usize) {
    let total = sorted.len();
    (sorted.skip(offset).take(limit).collect(), total)
}
