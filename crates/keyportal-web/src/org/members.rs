//! The organization's member list: search and filters, searched, filtered and paged by the
//! database (`Portal::search_members`), with page links and totals. Adding a member is in
//! `new_member.rs`, one member's page in `member.rs`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::role::Role;
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_service::{MemberQuery, UserView};

use super::Admin;
use crate::html::{url_encode, Html};
use crate::layout::{date, notice, org_tabs, OrgTab};
use crate::paging::{pager_links, Pager};
use crate::request::{message, page, redirect};
use crate::{Routes, St};

/// Members on one page of the list.
pub(crate) const MEMBERS_PER_PAGE: usize = 25;

pub(super) fn routes() -> Routes {
    Router::new().route("/home/organization", get(members))
}

pub(super) fn member_path(username: &str) -> String {
    format!("/home/organization/members/{}", url_encode(username))
}

pub(super) fn with_notice(path: &str, text: &str) -> Response {
    redirect(&format!("{path}?notice={}", url_encode(text)))
}

pub(super) fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or_default()
}

// ------------------------------------------------------------------------------ the list

/// The list's search text and filters, as read from the query string.
#[derive(Default)]
pub(crate) struct MemberFilter {
    pub q: String,
    pub role: String,
    pub user_type: String,
    /// `active`, `disabled` or empty.
    pub status: String,
}

impl MemberFilter {
    fn from_query(query: &HashMap<String, String>) -> MemberFilter {
        let get = |k: &str| {
            query
                .get(k)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        MemberFilter {
            q: get("q"),
            role: get("role"),
            user_type: get("type"),
            status: get("status"),
        }
    }

    fn is_empty(&self) -> bool {
        self.q.is_empty()
            && self.role.is_empty()
            && self.user_type.is_empty()
            && self.status.is_empty()
    }

    /// What the database is asked; an unknown user type or status asks for nothing more.
    fn query(&self) -> MemberQuery {
        MemberQuery {
            text: self.q.clone(),
            role_id: Some(self.role.clone()).filter(|r| !r.is_empty()),
            user_type: UserType::parse(&self.user_type).ok(),
            disabled: match self.status.as_str() {
                "active" => Some(false),
                "disabled" => Some(true),
                _ => None,
            },
        }
    }

    /// This list's address on page `page`, filters kept.
    fn link(&self, page: usize) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("q", &self.q),
            ("role", &self.role),
            ("type", &self.user_type),
            ("status", &self.status),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", url_encode(value)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/home/organization".to_string()
        } else {
            format!("/home/organization?{}", parts.join("&"))
        }
    }
}

/// A page of the list as shown: its members, the pager, and how many members there are in all.
pub(crate) struct MemberList<'a> {
    pub shown: &'a [UserView],
    pub pager: Pager,
    pub everyone: usize,
}

async fn members(
    State(web): St,
    Admin(session): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = MemberFilter::from_query(&query);
    let pager = Pager::asked(query.get("page").map(String::as_str), MEMBERS_PER_PAGE);
    let portal = &web.portal;
    let found = portal
        .search_members(
            &session.caller,
            &filter.query(),
            pager.offset(),
            MEMBERS_PER_PAGE,
        )
        .await;
    // With a filter, also how many members there are at all (a count, no rows).
    let everyone = if filter.is_empty() {
        found.as_ref().map(|p| p.total).unwrap_or_default()
    } else {
        portal
            .search_members(&session.caller, &MemberQuery::default(), 0, 0)
            .await
            .map(|p| p.total)
            .unwrap_or_default()
    };
    let (shown, total, error) = match found {
        Ok(page) => (page.members, page.total, None),
        Err(e) => (Vec::new(), 0, Some(message(&e))),
    };
    let roles = portal.list_roles(&session.caller).await.unwrap_or_default();
    let list = MemberList {
        shown: &shown,
        pager: pager.with_total(total),
        everyone,
    };
    let body = members_body(
        &session.username,
        &filter,
        &list,
        &roles,
        query.get("notice").map(String::as_str),
        error.as_deref(),
    );
    page(StatusCode::OK, session.layout("Organization").render(body))
}

pub(super) fn select_option(h: &mut Html, value: &str, label: &str, selected: bool) {
    h.raw("<option value=\"")
        .text(value)
        .raw("\"")
        .raw(if selected { " selected" } else { "" })
        .raw(">")
        .text(label)
        .raw("</option>");
}

fn plural_members(n: usize) -> String {
    format!("{n} member{}", if n == 1 { "" } else { "s" })
}

pub(crate) fn members_body(
    me: &str,
    filter: &MemberFilter,
    list: &MemberList,
    roles: &[Role],
    ok: Option<&str>,
    error: Option<&str>,
) -> Html {
    let mut h = Html::new();
    h.raw("<div class=\"org\"><div class=\"page-head\"><h1>Organization</h1></div>");
    org_tabs(&mut h, OrgTab::Members);
    notice(&mut h, ok, "ok");
    notice(&mut h, error, "error");
    h.raw(
        "<section class=\"org-panel\" aria-labelledby=\"members-title\"><div class=\"org-head\">",
    )
    .raw("<h2 id=\"members-title\">Members</h2>")
    .raw("<a class=\"button\" href=\"/home/organization/members/new\">Add member</a></div>");

    h.raw("<form method=\"get\" action=\"/home/organization\" class=\"org-filters\" role=\"search\" aria-label=\"Filter members\">")
        .raw("<div class=\"org-field grow\"><label for=\"member-q\">Search</label>")
        .raw("<input id=\"member-q\" name=\"q\" type=\"search\" placeholder=\"Username, name or email\" value=\"")
        .text(&filter.q)
        .raw("\"></div><div class=\"org-field\"><label for=\"member-role\">Role</label><select id=\"member-role\" name=\"role\">");
    select_option(&mut h, "", "Any role", filter.role.is_empty());
    for role in roles {
        select_option(&mut h, &role.id, &role.name, filter.role == role.id);
    }
    h.raw("</select></div><div class=\"org-field\"><label for=\"member-type\">User type</label><select id=\"member-type\" name=\"type\">");
    select_option(&mut h, "", "Any user type", filter.user_type.is_empty());
    for t in ALL_USER_TYPES {
        select_option(&mut h, t.id(), t.label(), filter.user_type == t.id());
    }
    h.raw("</select></div><div class=\"org-field\"><label for=\"member-status\">Status</label><select id=\"member-status\" name=\"status\">");
    for (value, label) in [
        ("", "Any status"),
        ("active", "Active"),
        ("disabled", "Disabled"),
    ] {
        select_option(&mut h, value, label, filter.status == value);
    }
    h.raw("</select></div><div class=\"org-field buttons\"><button type=\"submit\" class=\"button secondary\">Filter</button>");
    if !filter.is_empty() {
        h.raw("<a class=\"button secondary\" href=\"/home/organization\">Clear</a>");
    }
    h.raw("</div></form>");

    let total = list.pager.total;
    h.raw("<p class=\"hint\" role=\"status\">")
        .text(&if filter.is_empty() {
            format!("{}.", plural_members(total))
        } else {
            format!("{total} of {} match.", plural_members(list.everyone))
        })
        .raw("</p>");
    let link = |page: usize| filter.link(page);
    if list.shown.is_empty() {
        h.raw("<p class=\"empty\">No members match the search and filters.</p>");
    } else {
        h.raw("<table class=\"list org-members\"><caption class=\"visually-hidden\">Members</caption><thead><tr>")
            .raw("<th scope=\"col\">Username</th><th scope=\"col\">Full name</th><th scope=\"col\">User type</th>")
            .raw("<th scope=\"col\">Role</th><th scope=\"col\">Status</th><th scope=\"col\">Last sign-in</th></tr></thead><tbody>");
        for view in list.shown {
            let user = &view.user;
            h.raw("<tr><td data-label=\"Username\"><a href=\"")
                .text(&member_path(&user.username))
                .raw("\">")
                .text(&user.username)
                .raw("</a>");
            if user.username == me {
                h.raw(" <span class=\"badge\">you</span>");
            }
            h.raw("</td><td data-label=\"Full name\">")
                .text(&user.full_name)
                .raw("</td><td data-label=\"User type\">")
                .text(user.user_type.label())
                .raw("</td><td data-label=\"Role\">")
                .text(&view.role.name)
                .raw("</td><td data-label=\"Status\">");
            status_badge(&mut h, user.disabled);
            h.raw("</td><td data-label=\"Last sign-in\">")
                .text(&last_login(user.last_login))
                .raw("</td></tr>");
        }
        h.raw("</tbody></table>");
    }
    pager_links(&mut h, &list.pager, list.shown.len(), link);
    h.raw("</section></div>");
    h
}

pub(super) fn status_badge(h: &mut Html, disabled: bool) {
    h.raw(if disabled {
        "<span class=\"status inactive\">Disabled</span>"
    } else {
        "<span class=\"status active\">Active</span>"
    });
}

pub(super) fn last_login(ms: i64) -> String {
    if ms > 0 {
        date(ms)
    } else {
        "Never".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::privilege::PrivilegeSet;
    use keyportal_domain::role::built_in_role;
    use keyportal_domain::user::User;

    fn view(username: &str, full_name: &str, disabled: bool) -> UserView {
        UserView {
            user: User {
                id: "0".repeat(32),
                username: username.into(),
                org_id: "org".into(),
                full_name: full_name.into(),
                first_name: String::new(),
                last_name: String::new(),
                email: format!("{username}@example.com"),
                description: String::new(),
                user_type: UserType::Creator,
                role_id: "org_user".into(),
                disabled,
                provider: "arcgis".into(),
                created: 1,
                modified: 1,
                last_login: -1,
            },
            role: built_in_role("org_user").expect("role"),
            privileges: PrivilegeSet::new(),
            groups: Vec::new(),
            full_profile: true,
        }
    }

    #[test]
    fn filters_become_the_database_query_and_links_keep_them() {
        let filter = MemberFilter {
            q: "DOE".into(),
            role: "org_user".into(),
            user_type: "viewerUT".into(),
            status: "disabled".into(),
        };
        assert_eq!(
            filter.query(),
            MemberQuery {
                text: "DOE".into(),
                role_id: Some("org_user".into()),
                user_type: Some(UserType::Viewer),
                disabled: Some(true),
            }
        );
        assert_eq!(
            filter.link(3),
            "/home/organization?q=DOE&role=org_user&type=viewerUT&status=disabled&page=3"
        );
        let odd = MemberFilter {
            user_type: "nope".into(),
            status: "whatever".into(),
            ..Default::default()
        };
        assert_eq!(odd.query(), MemberQuery::default());
        assert_eq!(MemberFilter::default().link(1), "/home/organization");
    }

    #[test]
    fn the_list_shows_its_page_and_the_totals() {
        let jane = view("jane", "Jane <Doe>", false);
        let filter = MemberFilter {
            q: "doe".into(),
            ..Default::default()
        };
        let shown = [jane];
        let list = MemberList {
            shown: &shown,
            pager: Pager::asked(Some("2"), 1).with_total(3),
            everyone: 40,
        };
        let html = members_body("jane", &filter, &list, &[], None, None).into_string();
        assert!(html.contains("Jane &lt;Doe&gt;"));
        assert!(html.contains("3 of 40 members match."));
        assert!(html.contains("href=\"/home/organization?q=doe&amp;page=3\""));
        assert!(html.contains("href=\"/home/organization?q=doe\""));
        assert!(html.contains("Page 2 of 3"));
    }
}
