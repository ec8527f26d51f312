//! Sign in and sign out: the same accounts, lockout and messages as `generateToken`.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use keyportal_domain::secret::random_hex;
use keyportal_service::TokenClient;

use crate::html::Html;
use crate::layout::{hidden_csrf, notice, Layout};
use crate::request::{error_page, facts, forbidden_csrf, message, page, redirect, Peer, Session};
use crate::session::{
    cookie, csrf_ok, safe_next, set_cookie, SESSION_COOKIE, SESSION_MINUTES, SIGNIN_CSRF_COOKIE,
};
use crate::{Fields, Routes, St, Web};

pub(crate) fn routes() -> Routes {
    Router::new()
        .route("/home/signin", get(signin_page).post(signin))
        .route("/home/signout", post(signout))
}

async fn signin_page(
    State(web): St,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    signin_form(
        &web,
        &headers,
        query.get("next").map(String::as_str),
        None,
        "",
        StatusCode::OK,
    )
}

fn signin_form(
    web: &Web,
    headers: &HeaderMap,
    next: Option<&str>,
    error: Option<&str>,
    username: &str,
    status: StatusCode,
) -> Response {
    let csrf = cookie(headers, SIGNIN_CSRF_COOKIE).unwrap_or_else(random_hex::<16>);
    let next = safe_next(next);
    let body = signin_body(
        &web.portal.settings().portal_name,
        &csrf,
        &next,
        error,
        username,
    );
    let mut response = page(status, Layout::anonymous("Sign in").render(body));
    if let Ok(value) = HeaderValue::from_str(&set_cookie(
        SIGNIN_CSRF_COOKIE,
        &csrf,
        3600,
        "Strict",
        web.https,
    )) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

async fn signin(
    State(web): St,
    Peer(connect): Peer,
    headers: HeaderMap,
    Form(form): Fields,
) -> Response {
    let expected = cookie(&headers, SIGNIN_CSRF_COOKIE).unwrap_or_default();
    if !csrf_ok(&expected, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(None);
    }
    let facts = facts(&headers, connect);
    let username = form.get("username").map(|u| u.trim()).unwrap_or_default();
    let password = form.get("password").map(String::as_str).unwrap_or_default();
    let next = form.get("next").map(String::as_str);
    match web
        .portal
        .generate_token(
            username,
            password,
            TokenClient::RequestIp,
            Some(SESSION_MINUTES),
            &facts,
        )
        .await
    {
        Ok(issued) => {
            let mut response = redirect(&safe_next(next));
            let cookie = set_cookie(
                SESSION_COOKIE,
                issued.token.expose(),
                SESSION_MINUTES * 60,
                "Lax",
                web.https,
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            response
        }
        Err(error) => signin_form(
            &web,
            &headers,
            next,
            Some(&message(&error)),
            username,
            StatusCode::OK,
        ),
    }
}

async fn signout(State(web): St, session: Session, Form(form): Fields) -> Response {
    if !csrf_ok(&session.csrf, form.get("csrf").map(String::as_str)) {
        return forbidden_csrf(Some(&session));
    }
    if let Err(error) = web.portal.revoke_user_token(&session.token).await {
        return error_page(
            Some(&session),
            StatusCode::INTERNAL_SERVER_ERROR,
            &message(&error),
        );
    }
    let mut response = redirect("/home/signin");
    if let Ok(value) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, "Lax", web.https)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

pub(crate) fn signin_body(
    portal_name: &str,
    csrf: &str,
    next: &str,
    error: Option<&str>,
    username: &str,
) -> Html {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow signin\" aria-labelledby=\"signin-title\">")
        .raw("<h1 id=\"signin-title\">Sign in to ")
        .text(portal_name)
        .raw("</h1>");
    notice(&mut h, error, "error");
    h.raw("<form method=\"post\" action=\"/home/signin\">");
    hidden_csrf(&mut h, csrf);
    h.raw("<input type=\"hidden\" name=\"next\" value=\"")
        .text(next)
        .raw("\"><label for=\"username\">Username</label>")
        .raw("<input id=\"username\" name=\"username\" autocomplete=\"username\" required autofocus value=\"")
        .text(username)
        .raw("\"><label for=\"password\">Password</label>")
        .raw("<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>")
        .raw("<button type=\"submit\" class=\"button wide\">Sign in</button></form>")
        .raw("<p class=\"hint\">Use your organization account. After repeated failed attempts, sign-in is paused for a few minutes.</p></section>");
    h
}
