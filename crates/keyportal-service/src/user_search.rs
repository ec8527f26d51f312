//! Member search (`community/users`), answered by the database a page at a time: the query,
//! the visibility rule (`ViewMember`: the caller's own account, and the members of their org
//! for callers who may view org users), the order and the total are SQL (the store's
//! `record_search.rs`). keyportal has no public profiles, so an anonymous caller finds nobody.

use keyportal_domain::search::users::{UserField, UserSort};
use keyportal_domain::visibility::VisibleUsers;
use keyportal_store::UserSearch;

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::search::{page_of, paging, required_query, sort_key, Page, SearchRequest, SortOrder};
use crate::users::UserView;
use crate::Portal;

impl Portal {
    /// `community/users`: members matching `q` that the caller may see, by username unless
    /// `sortField` says otherwise. Results show the public profile (no email, privileges or
    /// groups), whoever asks: `community/users/{u}` shows more to those who may see it.
    pub async fn search_users(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> ServiceResult<Page<UserView>> {
        let plan = required_query(&request.q)?.record_plan::<UserField>()?;
        let field = sort_key(request.sort_field.as_deref(), UserSort::FIELDS)?;
        let sort = UserSort::by_field(field.as_deref(), request.sort_order == SortOrder::Desc);
        let visible = VisibleUsers::of(&caller.viewer());
        let (start, num) = paging(request);
        let found = self
            .store
            .search_users(&UserSearch {
                plan: &plan,
                visible: Some(&visible),
                sort,
                offset: start - 1,
                limit: num,
            })
            .await?;
        let mut views = Vec::with_capacity(found.users.len());
        for user in found.users {
            let role = self.role_by_id(&user.role_id).await?;
            views.push(self.view_of(user, role, false, Vec::new()));
        }
        Ok(page_of(&request.q, views, found.total, start, num))
    }
}
