//! One member's page: profile, role, user type, and enabling, disabling (confirmed) and
//! deleting (confirmed) the account.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::role::Role;
use keyportal_domain::user_type::UserType;
use keyportal_service::UserView;

use super::members::{field, last_login, member_path, status_badge, with_notice};
use super::new_member::{role_options, user_type_options};
use super::{needs_creator, status_of, user_type_summary, Admin};
use crate::html::Html;
use crate::layout::{date, dl, hidden_csrf, notice};
use crate::request::{error_page, forbidden_csrf, message, page, Session};
use crate::session::csrf_ok;
use crate::{Fields, Routes, St, Web};

pub(super) fn routes() -> Routes {
    Router::new()
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
