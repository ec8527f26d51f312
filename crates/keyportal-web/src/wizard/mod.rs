//! The API key credentials wizard: New item → Developer credentials → API key credentials,
//! one step at a time. The draft travels in hidden fields of one CSRF-protected POST form, so
//! nothing is stored until the last step and every step works without JavaScript. The last
//! step creates the item, registers it with the privileges, item access and referrers, sets
//! key 1's expiration date and mints key 1, all through the same `Portal` methods as REST.
//!
//! `draft.rs` holds the steps and the draft, `check.rs` the checks of each step, `render.rs`
//! and `summary.rs` the page, `create.rs` the creation.

mod check;
mod create;
mod draft;
mod render;
mod summary;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::item::Folder;
use keyportal_domain::privilege::PrivilegeSet;
use keyportal_service::ServiceError;

pub(crate) use create::DraftLedger;

use crate::html::{url_encode, Html};
use crate::item_picker::{asked_page, items_by_id, search_page, Owner, PickItem};
use crate::new_item::{eligibility, explain_missing};
use crate::paging::Pager;
use crate::pickers::FormList;
use crate::request::{error_page, forbidden_csrf, message, page, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St, Web};
use check::{check_step, Context, Problems};
use create::{create, Claim};
use draft::{Draft, Step, STEPS};
use render::{wizard_body, View};

pub(crate) const WIZARD_PATH: &str = "/home/new/api-key-credentials";

pub(crate) fn routes() -> Routes {
    Router::new().route(WIZARD_PATH, get(start).post(step_post))
}

/// What every step needs besides the draft: the member's privileges and folders, and the
/// selected items that exist (found by id).
struct Loaded {
    held: PrivilegeSet,
    known: Vec<PickItem>,
    folders: Vec<Folder>,
}

impl Loaded {
    async fn of(web: &Web, session: &Session, draft: &Draft) -> Result<Loaded, ServiceError> {
        let held = session
            .caller
            .member()
            .map(|m| m.privileges.clone())
            .unwrap_or_default();
        let known =
            items_by_id(&web.portal, &session.caller, &owner(session), &draft.items).await?;
        let folders = web
            .portal
            .list_content(&session.caller, &session.username, None, 1, 1)
            .await?
            .folders;
        Ok(Loaded {
            held,
            known,
            folders,
        })
    }

    fn context(&self, now: i64) -> Context<'_> {
        Context {
            now,
            held: &self.held,
            known: &self.known,
            folders: &self.folders,
        }
    }
}

/// The wizard offers the member's own items.
fn owner(session: &Session) -> Owner<'_> {
    Owner {
        username: &session.username,
        exclude: None,
    }
}

fn not_allowed(session: &Session, missing: &[String]) -> Response {
    let mut h = Html::new();
    h.raw("<section class=\"card narrow-wide\"><h1>API key credentials</h1>");
    explain_missing(&mut h, "You cannot create API key credentials.", missing);
    h.raw("<p><a class=\"button secondary\" href=\"/home/new\">Back to New item</a></p></section>");
    page(
        StatusCode::FORBIDDEN,
        session.layout("API key credentials").render(h),
    )
}

/// The step to show, with what it says.
struct Shown {
    step: Step,
    /// The item or privilege search, kept when the step is shown again.
    q: String,
    /// The item picker's page.
    item_page: Pager,
    problems: Problems,
    error: Option<String>,
}

impl Shown {
    fn step(step: Step) -> Shown {
        Shown {
            step,
            q: String::new(),
            item_page: asked_page(None),
            problems: Vec::new(),
            error: None,
        }
    }
}

/// Renders a step; the item step reads its page of the member's items first.
async fn render(
    web: &Web,
    session: &Session,
    shown: Shown,
    draft: &Draft,
    ctx: &Context<'_>,
) -> Response {
    let (results, pager) = if shown.step == Step::Items {
        match search_page(
            &web.portal,
            &session.caller,
            &owner(session),
            &shown.q,
            shown.item_page,
        )
        .await
        {
            Ok(found) => found,
            Err(e) => return error_page(Some(session), StatusCode::BAD_REQUEST, &message(&e)),
        }
    } else {
        (Vec::new(), shown.item_page)
    };
    let status = if shown.problems.is_empty() && shown.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let view = View {
        csrf: &session.csrf,
        step: shown.step,
        q: &shown.q,
        problems: &shown.problems,
        error: shown.error.as_deref(),
        results: &results,
        item_page: pager,
    };
    let title = format!("{} · API key credentials", view.step.label());
    page(
        status,
        session
            .layout(&title)
            .render(wizard_body(&view, draft, ctx)),
    )
}

fn missing_permissions(session: &Session) -> Vec<String> {
    session
        .caller
        .member()
        .map(|m| eligibility(m).api_keys)
        .unwrap_or_default()
}

async fn start(State(web): St, session: Session) -> Response {
    let missing = missing_permissions(&session);
    if !missing.is_empty() {
        return not_allowed(&session, &missing);
    }
    let now = web.portal.now();
    let draft = Draft::new(now);
    let loaded = match Loaded::of(&web, &session, &draft).await {
        Ok(c) => c,
        Err(e) => return error_page(Some(&session), StatusCode::BAD_REQUEST, &message(&e)),
    };
    let ctx = loaded.context(now);
    render(&web, &session, Shown::step(Step::Usage), &draft, &ctx).await
}

async fn step_post(State(web): St, session: Session, body: Bytes) -> Response {
    let form = FormList::parse(&body);
    if !csrf_ok(&session.csrf, form.get("csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let missing = missing_permissions(&session);
    if !missing.is_empty() {
        return not_allowed(&session, &missing);
    }
    let mut draft = Draft::from_form(&form);
    let loaded = match Loaded::of(&web, &session, &draft).await {
        Ok(c) => c,
        Err(e) => return error_page(Some(&session), StatusCode::BAD_REQUEST, &message(&e)),
    };
    let ctx = loaded.context(web.portal.now());
    let shown = match decide(&web, &session, &form, &mut draft, &ctx).await {
        Ok(shown) => shown,
        Err(done) => return done,
    };
    render(&web, &session, shown, &draft, &ctx).await
}

/// What a submission of the wizard's form leads to: a step to show, or (`Err`) the answer
/// when the credentials were created or already exist.
async fn decide(
    web: &Web,
    session: &Session,
    form: &FormList,
    draft: &mut Draft,
    ctx: &Context<'_>,
) -> Result<Shown, Response> {
    let step = form
        .get("step")
        .and_then(Step::from_number)
        .unwrap_or(Step::Usage);
    // The same step again, its search and picker page kept (a search, a page button).
    let again = |problems: Problems| Shown {
        step,
        q: form.text("q"),
        item_page: asked_page(form.get("item_page")),
        problems,
        error: None,
    };
    let with_error = |step: Step, problems: Problems, error: Option<String>| Shown {
        problems,
        error,
        ..Shown::step(step)
    };
    let shown = match form.text("go").as_str() {
        "back" => Shown::step(step.previous()),
        "search" => Shown {
            item_page: asked_page(None),
            ..again(Vec::new())
        },
        "next" => {
            let problems = check_step(step, draft, ctx);
            if !problems.is_empty() {
                return Ok(again(problems));
            }
            if step == Step::Items && draft.item_access == "none" {
                draft.items.clear();
            }
            Shown::step(step.next())
        }
        "create" => {
            // A repeated "Create" of this draft is answered before anything is checked again
            // (its new folder, say, exists by now).
            let claim = match web.drafts.claim(&draft.draft_id, ctx.now) {
                Claim::First => draft.draft_id.clone(),
                Claim::Busy => {
                    return Ok(with_error(
                        Step::Summary,
                        Vec::new(),
                        Some("These credentials are being created. Wait a moment, then open My content.".into()),
                    ))
                }
                Claim::Done(item_id) => {
                    return Err(redirect(&format!(
                        "/home/item/{}?notice={}",
                        url_encode(&item_id),
                        url_encode("These credentials were already created, and their key was shown once. If you did not copy it, regenerate it here.")
                    )))
                }
            };
            // Every step again: the hidden fields came back from the browser.
            for s in STEPS {
                let problems = check_step(s, draft, ctx);
                if !problems.is_empty() {
                    web.drafts.release(&claim);
                    return Ok(with_error(s, problems, None));
                }
            }
            match create(web, session, draft, ctx).await {
                Ok((item_id, response)) => {
                    web.drafts.finish(&claim, &item_id);
                    return Err(response);
                }
                Err((s, text)) => {
                    web.drafts.release(&claim);
                    with_error(s, Vec::new(), Some(text))
                }
            }
        }
        other => match other.strip_prefix("edit-").and_then(Step::from_number) {
            Some(s) if s.number() <= step.number() => Shown::step(s),
            _ => again(Vec::new()),
        },
    };
    Ok(shown)
}
