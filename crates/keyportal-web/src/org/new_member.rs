//! Adding a member: the form with user types and roles (marking the pairs the domain refuses)
//! and the list of which roles each user type permits; the role and user-type options are
//! shared with a member's page.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use keyportal_domain::role::Role;
use keyportal_domain::user::{check_role_fits_user_type, UserProfile};
use keyportal_domain::user_type::{UserType, ALL_USER_TYPES};
use keyportal_service::NewUser;

use super::members::{field, member_path, select_option, with_notice};
use super::{needs_creator, status_of, user_type_summary, Admin};
use crate::html::Html;
use crate::layout::{hidden_csrf, notice};
use crate::request::{error_page, forbidden_csrf, message, page, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St, Web};

pub(super) fn routes() -> Routes {
    Router::new().route(
        "/home/organization/members/new",
        get(new_member).post(create_member),
    )
}

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
pub(super) fn user_type_options(h: &mut Html, selected: &str, role: Option<&Role>) {
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
pub(super) fn role_options(
    h: &mut Html,
    roles: &[Role],
    selected: &str,
    user_type: Option<UserType>,
) {
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
