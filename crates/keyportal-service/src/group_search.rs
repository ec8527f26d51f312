//! Group search (`community/groups`) and group content (`content/groups/{id}`), both answered
//! by the database a page at a time: the query, the visibility rule, the order and the total
//! are SQL (see the store's `record_search.rs` and `item_search.rs`).

use keyportal_domain::search::groups::{GroupField, GroupSort};
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::plan::ItemPlan;
use keyportal_domain::visibility::{VisibleGroups, VisibleItems};
use keyportal_store::{GroupSearch, ItemSearch};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::groups::GroupView;
use crate::items::ItemView;
use crate::search::{page_of, paging, required_query, sort_key, Page, SearchRequest, SortOrder};
use crate::Portal;

impl Portal {
    /// `community/groups`: groups matching `q` that the caller may see (`ViewGroup`), by title
    /// unless `sortField` says otherwise.
    pub async fn search_groups(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> ServiceResult<Page<GroupView>> {
        let plan = required_query(&request.q)?.record_plan::<GroupField>()?;
        let field = sort_key(request.sort_field.as_deref(), GroupSort::FIELDS)?;
        let sort = GroupSort::by_field(field.as_deref(), request.sort_order == SortOrder::Desc);
        let visible = VisibleGroups::of(&caller.viewer());
        let (start, num) = paging(request);
        let found = self
            .store
            .search_groups(&GroupSearch {
                plan: &plan,
                visible: Some(&visible),
                sort,
                offset: start - 1,
                limit: num,
            })
            .await?;
        let views = found
            .groups
            .into_iter()
            .map(|group| self.view_group(caller, group))
            .collect();
        Ok(page_of(&request.q, views, found.total, start, num))
    }

    /// `content/groups/{id}`: the items shared with a group the caller may see, that the
    /// caller may see (`ViewItem`), oldest first like a member's content. The same items as
    /// the search `group:<id>`.
    pub async fn group_content(
        &self,
        caller: &Caller,
        group_id: &str,
        start: usize,
        num: usize,
    ) -> ServiceResult<Page<ItemView>> {
        let group = self.visible_group(caller, group_id).await?;
        let plan = ItemPlan::Group {
            id: group.id,
            prefix: false,
        };
        let visible = VisibleItems::of(&caller.viewer());
        let (start, num) = (start.max(1), num.min(100));
        let found = self
            .store
            .search_items(&ItemSearch {
                plan: &plan,
                visible: Some(&visible),
                sort: ItemSort {
                    descending: false,
                    ..ItemSort::NEWEST_FIRST
                },
                offset: start - 1,
                limit: num,
            })
            .await?;
        let mut items = Vec::with_capacity(found.items.len());
        for shared in found.items {
            items.push(self.with_slot_dates(self.view_item(caller, shared)).await?);
        }
        Ok(page_of("", items, found.total, start, num))
    }
}
