//! Members of the organization: the list with search and filters, adding a member, and one
//! member's page with role, user type, disable/enable and delete.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::role::Role;
use keyportal_domain::user::{check_role_fits_user_type, UserProfile};
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_service::{NewUser, UserView};

use super::{needs_creator, status_of, user_type_summary, Admin};
use crate::html::{url_encode, Html};
use crate::layout::{date, dl, hidden_csrf, notice, org_tabs, OrgTab};
use crate::request::{error_page, forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St, Web};

/// More members than any organization this portal serves; the list is filtered in memory.
const ALL_MEMBERS: usize = 100_000;

pub(super) fn routes() -> Routes {
    Router::new()
        .route("/home/organization", get(members))
        .route(
            "/home/organization/members/new",
            get(new_member).post(create_member),
        )
        .route("/home/organization/members/{username}", get(member))
        .route(
            "/home/organization/members/{username}/role",
            post(change_role),
        )
        .route(
            "/home/organization/members/{username}/type",
            post(change_type),
        )
        .route("/home/organization/members/{username}/enable", post(enable))
        .route(
            "/home/organization/members/{username}/{action}",
            get(confirm).post(confirmed),
        )
}

fn member_path(username: &str) -> String {
    format!("/home/organization/members/{}", url_encode(username))
}

fn with_notice(path: &str, text: &str) -> Response {
    redirect(&format!("{path}?notice={}", url_encode(text)))
}

fn field<'a>(form: &'a HashMap<String, String>, name: &str) -> &'a str {
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

    fn keeps(&self, view: &UserView) -> bool {
        let user = &view.user;
        let q = self.q.to_lowercase();
        (q.is_empty()
            || [&user.username, &user.full_name, &user.email]
                .iter()
                .any(|f| f.to_lowercase().contains(&q)))
            && (self.role.is_empty() || view.role.id == self.role)
            && (self.user_type.is_empty() || user.user_type.id() == self.user_type)
            && match self.status.as_str() {
                "active" => !user.disabled,
                "disabled" => user.disabled,
                _ => true,
            }
    }
}

async fn members(
    State(web): St,
    Admin(session): Admin,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filter = MemberFilter::from_query(&query);
    let (all, error) = match web.portal.list_users(&session.caller, 0, ALL_MEMBERS).await {
        Ok((views, _)) => (views, None),
        Err(e) => (Vec::new(), Some(message(&e))),
    };
    let roles = web
        .portal
        .list_roles(&session.caller)
        .await
        .unwrap_or_default();
    let shown: Vec<&UserView> = all.iter().filter(|v| filter.keeps(v)).collect();
    let body = members_body(
        &session.username,
        &filter,
        &shown,
        all.len(),
        &roles,
        query.get("notice").map(String::as_str),
        error.as_deref(),
    );
    page(StatusCode::OK, session.layout("Organization").render(body))
}

fn select_option(h: &mut Html, value: &str, label: &str, selected: bool) {
    h.raw("<option value=\"")
        .text(value)
        .raw("\"")
        .raw(if selected { " selected" } else { "" })
        .raw(">")
        .text(label)
        .raw("</option>");
}

pub(crate) fn members_body(
    me: &str,
    filter: &MemberFilter,
    shown: &[&UserView],
    total: usize,
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

    h.raw("<p class=\"hint\" role=\"status\">")
        .text(&if filter.is_empty() {
            format!("{total} member{}.", if total == 1 { "" } else { "s" })
        } else {
            format!("{} of {total} members match.", shown.len())
        })
        .raw("</p>");
    if shown.is_empty() {
        h.raw("<p class=\"empty\">No members match the search and filters.</p>");
    } else {
        h.raw("<table class=\"list org-members\"><caption class=\"visually-hidden\">Members</caption><thead><tr>")
            .raw("<th scope=\"col\">Username</th><th scope=\"col\">Full name</th><th scope=\"col\">User type</th>")
            .raw("<th scope=\"col\">Role</th><th scope=\"col\">Status</th><th scope=\"col\">Last sign-in</th></tr></thead><tbody>");
        for view in shown {
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
    h.raw("</section></div>");
    h
}

fn status_badge(h: &mut Html, disabled: bool) {
    h.raw(if disabled {
        "<span class=\"status inactive\">Disabled</span>"
    } else {
        "<span class=\"status active\">Active</span>"
    });
}

fn last_login(ms: i64) -> String {
    if ms > 0 {
        date(ms)
    } else {
        "Never".to_string()
    }
}

// ------------------------------------------------------------------------------ adding a member

/// What the add-member form shows again after a refusal (never the password).
#[derive(Default)]
pub(crate) struct NewMemberForm {
    pub username: String,
    pub full_name: String,
    pub email: String,
    pub user_type: String,
    pub role: String,
}

async fn new_member(State(web): St, Admin(session): Admin) -> Response {
    let form = NewMemberForm {
        user_type: UserType::Creator.id().to_string(),
        role: keyportal_domain::role::ORG_USER.to_string(),
        ..Default::default()
    };
    new_member_page(&web, &session, &form, None, StatusCode::OK).await
}

async fn new_member_page(
    web: &Web,
    session: &Session,
    form: &NewMemberForm,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let roles = match web.portal.list_roles(&session.caller).await {
        Ok(roles) => roles,
        Err(e) => return error_page(Some(session), status_of(&e), &message(&e)),
    };
    let body = new_member_body(&session.csrf, form, &roles, error);
    page(status, session.layout("Add member").render(body))
}

async fn create_member(State(web): St, Admin(session): Admin, Form(fields): Fields) -> Response {
    if !csrf_ok(&session.csrf, fields.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let form = NewMemberForm {
        username: field(&fields, "username").trim().to_string(),
        full_name: field(&fields, "fullname").trim().to_string(),
        email: field(&fields, "email").trim().to_string(),
        user_type: field(&fields, "type").to_string(),
        role: field(&fields, "role").to_string(),
    };
    let new = NewUser {
        username: form.username.clone(),
        password: field(&fields, "password").to_string(),
        profile: UserProfile {
            full_name: form.full_name.clone(),
            email: form.email.clone(),
            ..Default::default()
        },
        role: Some(form.role.clone()).filter(|r| !r.is_empty()),
        user_type: Some(form.user_type.clone()).filter(|t| !t.is_empty()),
    };
    match web.portal.create_user(&session.caller, new).await {
        Ok(view) => with_notice(
            &member_path(&view.user.username),
            &format!(
                "Member \u{201c}{}\u{201d} was added as {} with the {} role. They can sign in now.",
                view.user.username,
                view.user.user_type.label(),
                view.role.name
            ),
        ),
        Err(e) => {
            let text = format!("The member was not added: {}", message(&e));
            new_member_page(&web, &session, &form, Some(&text), status_of(&e)).await
        }
    }
}

/// Options of user types; those the role does not fit are marked (the service refuses them).
fn user_type_options(h: &mut Html, selected: &str, role: Option<&Role>) {
    for t in ALL_USER_TYPES {
        let misfit = role.is_some_and(|r| check_role_fits_user_type(r, t).is_err());
        let label = if misfit {
            format!(
                "{} \u{2014} not with the {} role",
                t.label(),
                role.map(|r| r.name.as_str()).unwrap_or_default()
            )
        } else {
            t.label().to_string()
        };
        select_option(h, t.id(), &label, selected == t.id());
    }
}

/// Options of roles, built-in then custom; those needing a Creator type are marked.
fn role_options(h: &mut Html, roles: &[Role], selected: &str, user_type: Option<UserType>) {
    for (built_in, group) in [(true, "Built-in roles"), (false, "Custom roles")] {
        let mut any = false;
        for role in roles.iter().filter(|r| r.built_in == built_in) {
            if !any {
                h.raw("<optgroup label=\"").raw(group).raw("\">");
                any = true;
            }
            let misfit = match user_type {
                Some(t) => check_role_fits_user_type(role, t).is_err(),
                None => needs_creator(role),
            };
            let label = if misfit {
                format!("{} \u{2014} needs Creator or higher", role.name)
            } else {
                role.name.clone()
            };
            select_option(h, &role.id, &label, selected == role.id);
        }
        if any {
            h.raw("</optgroup>");
        }
    }
}

/// Which roles each user type permits: user types grouped by what they can do and the roles
/// that fit them, so the list follows the domain rule whatever it is.
fn fit_list(h: &mut Html, roles: &[Role]) {
    struct Group<'a> {
        types: Vec<UserType>,
        summary: &'static str,
        fitting: Vec<&'a Role>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for t in ALL_USER_TYPES {
        let fitting: Vec<&Role> = roles
            .iter()
            .filter(|r| check_role_fits_user_type(r, t).is_ok())
            .collect();
        let summary = user_type_summary(t);
        let same = |g: &Group| {
            g.summary == summary
                && g.fitting.len() == fitting.len()
                && g.fitting.iter().zip(&fitting).all(|(a, b)| a.id == b.id)
        };
        match groups.iter_mut().find(|g| same(g)) {
            Some(group) => group.types.push(t),
            None => groups.push(Group {
                types: vec![t],
                summary,
                fitting,
            }),
        }
    }
    h.raw("<h2 id=\"fit-title\">Which roles each user type permits</h2><ul class=\"org-fit\" aria-labelledby=\"fit-title\">");
    for group in &groups {
        let names: Vec<&str> = group.types.iter().map(|t| t.label()).collect();
        let role_names: Vec<&str> = group.fitting.iter().map(|r| r.name.as_str()).collect();
        h.raw("<li><h3>")
            .text(&names.join(", "))
            .raw("</h3><p>Can ")
            .text(group.summary)
            .raw(".</p><p><span class=\"muted\">Roles:</span> ")
            .text(&if group.fitting.len() == roles.len() {
                "any role".to_string()
            } else {
                role_names.join(", ")
            })
            .raw("</p></li>");
    }
    h.raw("</ul>");
}

pub(crate) fn new_member_body(
    csrf: &str,
    form: &NewMemberForm,
    roles: &[Role],
    error: Option<&str>,
) -> Html {
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} Add member</nav>")
        .raw("<div class=\"org-columns\"><section class=\"card org-form\" aria-labelledby=\"add-title\"><h1 id=\"add-title\">Add member</h1>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" action=\"/home/organization/members/new\" class=\"stack\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"username\">Username</label>")
        .raw("<input id=\"username\" name=\"username\" required minlength=\"3\" maxlength=\"128\" autocomplete=\"off\" spellcheck=\"false\" pattern=\"[A-Za-z0-9_.@\\-]{3,128}\" aria-describedby=\"username-hint\" value=\"")
        .text(&form.username)
        .raw("\"><p id=\"username-hint\" class=\"hint\">3 to 128 letters, digits, \u{2018}_\u{2019}, \u{2018}.\u{2019}, \u{2018}@\u{2019} or \u{2018}-\u{2019}. Case-sensitive; it cannot be changed later.</p>")
        .raw("<label for=\"fullname\">Full name</label><input id=\"fullname\" name=\"fullname\" maxlength=\"256\" autocomplete=\"off\" value=\"")
        .text(&form.full_name)
        .raw("\"><label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" maxlength=\"256\" autocomplete=\"off\" value=\"")
        .text(&form.email)
        .raw("\"><label for=\"password\">Password</label>")
        .raw("<input id=\"password\" name=\"password\" type=\"password\" required autocomplete=\"new-password\" aria-describedby=\"password-hint\">")
        .raw("<p id=\"password-hint\" class=\"hint\">Give it to the member over a safe channel; they can sign in with it at once.</p>")
        .raw("<label for=\"type\">User type</label><select id=\"type\" name=\"type\" aria-describedby=\"fit-hint\" data-user-type>");
    user_type_options(&mut h, &form.user_type, None);
    h.raw("</select><label for=\"role\">Role</label><select id=\"role\" name=\"role\" aria-describedby=\"fit-hint\" data-role>");
    role_options(&mut h, roles, &form.role, None);
    h.raw("</select><p id=\"fit-hint\" class=\"hint\">Administrator and Publisher roles, and custom roles with administrative or publishing privileges, need a Creator or Professional user type.</p>")
        .raw("<div class=\"actions\"><button type=\"submit\" class=\"button\">Add member</button>")
        .raw("<a class=\"button secondary\" href=\"/home/organization\">Cancel</a></div></form></section>")
        .raw("<aside class=\"card org-aside\" aria-label=\"User types and roles\">");
    fit_list(&mut h, roles);
    h.raw("</aside></div></div>");
    h
}

// ------------------------------------------------------------------------------ one member

async fn member(
    State(web): St,
    Admin(session): Admin,
    Path(username): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    member_page(
        &web,
        &session,
        &username,
        query.get("notice").map(String::as_str),
        None,
        StatusCode::OK,
    )
    .await
}

async fn member_page(
    web: &Web,
    session: &Session,
    username: &str,
    ok: Option<&str>,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let view = match web.portal.get_user(&session.caller, username).await {
        Ok(view) => view,
        Err(e) => return error_page(Some(session), status_of(&e), &message(&e)),
    };
    let roles = web
        .portal
        .list_roles(&session.caller)
        .await
        .unwrap_or_default();
    let body = member_body(&session.csrf, &session.username, &view, &roles, ok, error);
    page(status, session.layout(&view.user.username).render(body))
}

pub(crate) fn member_body(
    csrf: &str,
    me: &str,
    view: &UserView,
    roles: &[Role],
    ok: Option<&str>,
    error: Option<&str>,
) -> Html {
    let user = &view.user;
    let path = member_path(&user.username);
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} ")
        .text(&user.username)
        .raw("</nav><div class=\"page-head\"><h1>")
        .text(if user.full_name.is_empty() {
            &user.username
        } else {
            &user.full_name
        })
        .raw("</h1>");
    status_badge(&mut h, user.disabled);
    h.raw("</div>");
    notice(&mut h, ok, "ok");
    notice(&mut h, error, "error");

    h.raw("<div class=\"org-columns\"><section class=\"card\" aria-labelledby=\"profile-title\"><h2 id=\"profile-title\">Profile</h2><dl class=\"facts\">");
    dl(&mut h, "Username", &user.username);
    dl(&mut h, "Full name", &user.full_name);
    dl(&mut h, "Email", &user.email);
    dl(&mut h, "User type", user.user_type.label());
    dl(&mut h, "Role", &view.role.name);
    dl(
        &mut h,
        "Status",
        if user.disabled { "Disabled" } else { "Active" },
    );
    dl(&mut h, "Member since", &date(user.created));
    dl(&mut h, "Last sign-in", &last_login(user.last_login));
    h.raw("</dl><details class=\"org-privileges\"><summary>")
        .text(&format!(
            "{} privilege{} in effect",
            view.privileges.len(),
            if view.privileges.len() == 1 { "" } else { "s" }
        ))
        .raw("</summary><p class=\"hint\">The role\u{2019}s privileges that the user type allows.</p><ul>");
    for p in view.privileges.iter() {
        h.raw("<li>");
        match keyportal_domain::privilege::lookup(p) {
            Some(info) => h.text(info.label).raw(" <code>").text(p).raw("</code>"),
            None => h.raw("<code>").text(p).raw("</code>"),
        };
        h.raw("</li>");
    }
    h.raw("</ul></details></section><div class=\"org-stack\">");

    // Role
    h.raw("<section class=\"card\" aria-labelledby=\"role-title\"><h2 id=\"role-title\">Role</h2><form method=\"post\" action=\"")
        .text(&format!("{path}/role"))
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"role\" class=\"visually-hidden\">Role</label><div class=\"row\"><select id=\"role\" name=\"role\" aria-describedby=\"role-hint\">");
    role_options(&mut h, roles, &view.role.id, Some(user.user_type));
    h.raw("</select><button type=\"submit\" class=\"button secondary\">Change role</button></div>")
        .raw("<p id=\"role-hint\" class=\"hint\">")
        .text(&format!(
            "As {}, this member can {}.",
            user.user_type.label(),
            user_type_summary(user.user_type)
        ))
        .raw("</p></form></section>");

    // User type
    h.raw("<section class=\"card\" aria-labelledby=\"type-title\"><h2 id=\"type-title\">User type</h2><form method=\"post\" action=\"")
        .text(&format!("{path}/type"))
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<label for=\"type\" class=\"visually-hidden\">User type</label><div class=\"row\"><select id=\"type\" name=\"type\" aria-describedby=\"type-hint\">");
    user_type_options(&mut h, user.user_type.id(), Some(&view.role));
    h.raw("</select><button type=\"submit\" class=\"button secondary\">Change user type</button></div>")
        .raw("<p id=\"type-hint\" class=\"hint\">The user type limits what the role allows.")
        .raw(if needs_creator(&view.role) {
            " This member\u{2019}s role needs a Creator or Professional user type."
        } else {
            ""
        })
        .raw("</p></form></section>");

    // Account
    h.raw("<section class=\"card\" aria-labelledby=\"account-title\"><h2 id=\"account-title\">Account</h2>");
    if user.username == me {
        h.raw("<p class=\"hint\">This is your own account: you cannot disable or delete it.</p>");
    } else {
        h.raw("<div class=\"actions\">");
        if user.disabled {
            h.raw("<form method=\"post\" class=\"inline\" action=\"")
                .text(&format!("{path}/enable"))
                .raw("\">");
            hidden_csrf(&mut h, csrf);
            h.raw(
                "<button type=\"submit\" class=\"button secondary\">Enable member</button></form>",
            );
        } else {
            h.raw("<a class=\"button danger\" href=\"")
                .text(&format!("{path}/disable"))
                .raw("\">Disable member</a>");
        }
        h.raw("<a class=\"button danger\" href=\"")
            .text(&format!("{path}/delete"))
            .raw("\">Delete member</a></div><p class=\"hint\">")
            .raw(if user.disabled {
                "A disabled member cannot sign in and their API keys do not work."
            } else {
                "Disabling signs the member out; their API keys stop working until they are enabled again."
            })
            .raw("</p>");
    }
    h.raw("</section></div></div></div>");
    h
}

async fn change_role(
    State(web): St,
    Admin(session): Admin,
    Path(username): Path<String>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let role = field(&form, "role");
    match web
        .portal
        .set_user_role(&session.caller, &username, role)
        .await
    {
        Ok(()) => {
            let name = web
                .portal
                .resolve_role(role)
                .await
                .map(|r| r.name)
                .unwrap_or_else(|_| role.to_string());
            with_notice(&member_path(&username), &format!("The role is now {name}."))
        }
        Err(e) => {
            let text = format!("The role was not changed: {}", message(&e));
            member_page(&web, &session, &username, None, Some(&text), status_of(&e)).await
        }
    }
}

async fn change_type(
    State(web): St,
    Admin(session): Admin,
    Path(username): Path<String>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let user_type = field(&form, "type");
    match web
        .portal
        .set_user_type(&session.caller, std::slice::from_ref(&username), user_type)
        .await
    {
        Ok(()) => with_notice(
            &member_path(&username),
            &format!(
                "The user type is now {}.",
                UserType::parse(user_type)
                    .map(UserType::label)
                    .unwrap_or(user_type)
            ),
        ),
        Err(e) => {
            let text = format!("The user type was not changed: {}", message(&e));
            member_page(&web, &session, &username, None, Some(&text), status_of(&e)).await
        }
    }
}

async fn enable(
    State(web): St,
    Admin(session): Admin,
    Path(username): Path<String>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    match web
        .portal
        .set_user_disabled(&session.caller, &username, false)
        .await
    {
        Ok(()) => with_notice(
            &member_path(&username),
            "The member is enabled: they can sign in again and their API keys work.",
        ),
        Err(e) => {
            let text = format!("The member was not enabled: {}", message(&e));
            member_page(&web, &session, &username, None, Some(&text), status_of(&e)).await
        }
    }
}

/// The destructive actions, each behind a confirmation page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberAction {
    Disable,
    Delete,
}

impl MemberAction {
    fn parse(text: &str) -> Option<MemberAction> {
        match text {
            "disable" => Some(MemberAction::Disable),
            "delete" => Some(MemberAction::Delete),
            _ => None,
        }
    }

    fn title(self) -> &'static str {
        match self {
            MemberAction::Disable => "Disable member",
            MemberAction::Delete => "Delete member",
        }
    }
}

async fn confirm(
    State(web): St,
    Admin(session): Admin,
    Path((username, action)): Path<(String, String)>,
) -> Response {
    let Some(action) = MemberAction::parse(&action) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    confirm_page(&web, &session, &username, action, None, StatusCode::OK).await
}

async fn confirm_page(
    web: &Web,
    session: &Session,
    username: &str,
    action: MemberAction,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let view = match web.portal.get_user(&session.caller, username).await {
        Ok(view) => view,
        Err(e) => return error_page(Some(session), status_of(&e), &message(&e)),
    };
    let body = confirm_body(&session.csrf, &view, action, error);
    page(status, session.layout(action.title()).render(body))
}

async fn confirmed(
    State(web): St,
    Admin(session): Admin,
    Path((username, action)): Path<(String, String)>,
    Form(form): Fields,
) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    let Some(action) = MemberAction::parse(&action) else {
        return error_page(
            Some(&session),
            StatusCode::NOT_FOUND,
            "There is no page here.",
        );
    };
    let portal = &web.portal;
    let done = match action {
        MemberAction::Disable => portal
            .set_user_disabled(&session.caller, &username, true)
            .await
            .map(|()| {
                with_notice(
                    &member_path(&username),
                    "The member is disabled: they are signed out, cannot sign in and their API keys stop working.",
                )
            }),
        MemberAction::Delete => portal
            .delete_user(&session.caller, &username)
            .await
            .map(|()| {
                with_notice(
                    "/home/organization",
                    &format!("Member \u{201c}{username}\u{201d} was deleted."),
                )
            }),
    };
    match done {
        Ok(answer) => answer,
        Err(e) => {
            let text = message(&e);
            confirm_page(
                &web,
                &session,
                &username,
                action,
                Some(&text),
                status_of(&e),
            )
            .await
        }
    }
}

fn confirm_body(csrf: &str, view: &UserView, action: MemberAction, error: Option<&str>) -> Html {
    let user = &view.user;
    let path = member_path(&user.username);
    let mut h = Html::new();
    h.raw("<div class=\"org\"><nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/organization\">Organization</a> \u{203a} <a href=\"")
        .text(&path)
        .raw("\">")
        .text(&user.username)
        .raw("</a></nav><section class=\"card narrow\" aria-labelledby=\"confirm-title\"><h1 id=\"confirm-title\">")
        .raw(action.title())
        .raw("</h1>");
    notice(&mut h, error, "error");
    match action {
        MemberAction::Disable => {
            h.raw("<p>This disables <strong>")
                .text(&user.username)
                .raw("</strong>. <strong>They are signed out at once</strong>, cannot sign in, and the API keys of their credentials stop working. Nothing is deleted: enable the member again to undo this.</p>");
        }
        MemberAction::Delete => {
            h.raw("<p>This deletes <strong>")
                .text(&user.username)
                .raw("</strong> for good. <strong>It cannot be undone.</strong> Members who still own items or groups cannot be deleted: delete or reassign those first. To keep the account but stop its use, disable it instead.</p>");
        }
    }
    h.raw("<form method=\"post\" action=\"")
        .text(&format!(
            "{path}/{}",
            match action {
                MemberAction::Disable => "disable",
                MemberAction::Delete => "delete",
            }
        ))
        .raw("\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<div class=\"actions\"><button type=\"submit\" class=\"button danger\">")
        .raw(action.title())
        .raw("</button><a class=\"button secondary\" href=\"")
        .text(&path)
        .raw("\">Cancel</a></div></form></section></div>");
    h
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
    fn filter_matches_text_and_status() {
        let jane = view("jane", "Jane <Doe>", false);
        let off = view("bob", "Bob", true);
        let by_text = MemberFilter {
            q: "DOE".into(),
            ..Default::default()
        };
        assert!(by_text.keeps(&jane) && !by_text.keeps(&off));
        let disabled = MemberFilter {
            status: "disabled".into(),
            ..Default::default()
        };
        assert!(!disabled.keeps(&jane) && disabled.keeps(&off));
        let html = members_body("jane", &by_text, &[&jane], 2, &[], None, None).into_string();
        assert!(html.contains("Jane &lt;Doe&gt;"));
        assert!(html.contains("1 of 2 members match."));
    }
}
