//! The wizard page: the progress bar, the form around the step, and the steps that ask for
//! something (the summary and the last step are in `summary.rs`).

use keyportal_domain::credential::MAX_KEY_LIFETIME_MS;
use keyportal_domain::time::{iso_date, DAY_MS};

use super::check::{Context, Problems};
use super::draft::{one_month_ahead, Draft, Step, STEPS};
use super::summary::{generate_step, summary_step};
use super::WIZARD_PATH;
use crate::html::Html;
use crate::item_picker::{item_picker, PickItem, PickerView};
use crate::layout::{hidden_csrf, notice};
use crate::paging::Pager;
use crate::pickers::{address_help, privilege_picker, referrer_help};

/// What the wizard page shows besides the draft.
pub(super) struct View<'a> {
    pub csrf: &'a str,
    pub step: Step,
    pub q: &'a str,
    pub problems: &'a Problems,
    pub error: Option<&'a str>,
    /// The item step's page of the member's items.
    pub results: &'a [PickItem],
    pub item_page: Pager,
}

pub(super) fn wizard_body(view: &View, draft: &Draft, ctx: &Context) -> Html {
    let step = view.step;
    let mut h = Html::new();
    h.raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/home/content\">My content</a> › <a href=\"/home/new\">New item</a> › <a href=\"/home/new/developer-credentials\">Developer credentials</a> › <span>API key credentials</span></nav>")
        .raw("<div class=\"page-head\"><h1>Create developer credentials</h1><span class=\"badge\">API key credentials</span></div>");
    progress(&mut h, step);
    h.raw("<form method=\"post\" action=\"")
        .raw(WIZARD_PATH)
        .raw("\" class=\"card wizard\" aria-labelledby=\"step-title\">");
    hidden_csrf(&mut h, view.csrf);
    h.raw("<input type=\"hidden\" name=\"step\" value=\"")
        .text(&step.number().to_string())
        .raw("\">");
    draft.hidden_fields(&mut h, step);
    h.raw("<h2 id=\"step-title\" tabindex=\"-1\"><span class=\"step-no\">")
        .text(&format!("Step {} of {}", step.number(), STEPS.len()))
        .raw("</span> ")
        .raw(step.heading())
        .raw("</h2>");
    notice(&mut h, view.error, "error");
    if !view.problems.is_empty() {
        h.raw("<div class=\"notice error\" role=\"alert\"><p><strong>Please correct the following:</strong></p><ul>");
        for (field, m) in view.problems {
            h.raw("<li><a href=\"#")
                .raw(field)
                .raw("\">")
                .text(m)
                .raw("</a></li>");
        }
        h.raw("</ul></div>");
    }
    match step {
        Step::Usage => usage_step(&mut h),
        Step::Items => items_step(&mut h, draft, ctx, view),
        Step::Privileges => privileges_step(&mut h, draft, ctx, view.q),
        Step::Expiration => expiration_step(&mut h, draft, ctx, view.problems),
        Step::Details => details_step(&mut h, draft, ctx, view.problems),
        Step::Summary => summary_step(&mut h, draft, ctx),
        Step::Generate => generate_step(&mut h, draft),
    }
    // Next comes first in the markup so that Enter in a text field means Next; CSS puts
    // Back on the left.
    h.raw("<div class=\"wizard-nav\">");
    if step == Step::Generate {
        h.raw("<button type=\"submit\" name=\"go\" value=\"create\" class=\"button\">Create credentials</button>");
    } else {
        h.raw("<button type=\"submit\" name=\"go\" value=\"next\" class=\"button\">Next</button>");
    }
    if step != Step::Usage {
        h.raw("<button type=\"submit\" name=\"go\" value=\"back\" formnovalidate class=\"button secondary\">Back</button>");
    }
    h.raw("<a class=\"cancel\" href=\"/home/new\">Cancel</a></div></form>");
    h
}

fn progress(h: &mut Html, current: Step) {
    h.raw("<ol class=\"steps\" aria-label=\"Progress\">");
    for s in STEPS {
        let state = if s == current {
            " class=\"current\" aria-current=\"step\""
        } else if s.number() < current.number() {
            " class=\"done\""
        } else {
            ""
        };
        h.raw("<li")
            .raw(state)
            .raw("><span class=\"dot\" aria-hidden=\"true\">")
            .text(&s.number().to_string())
            .raw("</span><span class=\"step-label\">")
            .raw(s.label())
            .raw(if s.number() < current.number() {
                "<span class=\"visually-hidden\"> (done)</span>"
            } else {
                ""
            })
            .raw("</span></li>");
    }
    h.raw("</ol>");
}

fn field_error(h: &mut Html, problems: &Problems, field: &'static str) {
    for (f, m) in problems {
        if *f == field {
            h.raw("<p class=\"field-error\" id=\"")
                .raw(field)
                .raw("-error\">")
                .text(m)
                .raw("</p>");
        }
    }
}

/// `aria-invalid` and `aria-describedby` (the hint, and the field's error when there is one).
fn described(h: &mut Html, problems: &Problems, field: &'static str, hint: &'static str) {
    let has_error = problems.iter().any(|(f, _)| *f == field);
    if has_error {
        h.raw(" aria-invalid=\"true\"");
    }
    if has_error || !hint.is_empty() {
        h.raw(" aria-describedby=\"").raw(hint);
        if has_error {
            h.raw(if hint.is_empty() { "" } else { " " })
                .raw(field)
                .raw("-error");
        }
        h.raw("\"");
    }
}

fn usage_step(h: &mut Html) {
    h.raw("<p>This choice decides what the credentials can do and which privileges the next steps offer.</p>")
        .raw("<fieldset class=\"choices\"><legend class=\"visually-hidden\">Where will you use these credentials?</legend>")
        .raw("<div class=\"choice\"><input type=\"radio\" name=\"usage\" id=\"usage-private\" value=\"private\" checked aria-describedby=\"usage-private-d\"><label for=\"usage-private\">Private application with selected privileges and access</label>")
        .raw("<p class=\"hint\" id=\"usage-private-d\">For scripts, servers and apps that you and your team run. The API key gets exactly the privileges and items you choose in the next steps — and never more than your own account holds. Keep the key secret.</p></div>")
        .raw("<div class=\"choice unavailable\"><input type=\"radio\" name=\"usage\" id=\"usage-public\" value=\"public\" disabled aria-describedby=\"usage-public-d\"><label for=\"usage-public\">Public application with location services</label>")
        .raw("<p class=\"hint\" id=\"usage-public-d\">Not available in this portal: keys for public location-service apps are an ArcGIS Location Platform product. Use a private application restricted with referrers instead.</p></div>")
        .raw("<div class=\"choice unavailable\"><input type=\"radio\" name=\"usage\" id=\"usage-signin\" value=\"signin\" disabled aria-describedby=\"usage-signin-d\"><label for=\"usage-signin\">Application that signs users in</label>")
        .raw("<p class=\"hint\" id=\"usage-signin-d\">Not with API keys: apps that sign users in use <a href=\"/home/new/oauth-credentials\">OAuth credentials</a>.</p></div></fieldset>");
}

fn items_step(h: &mut Html, draft: &Draft, ctx: &Context, view: &View) {
    let items = draft.item_access == "items";
    h.raw("<p>If your application needs your private items, grant the key access to them here. It can read only the items you select — at most 100 of your own items shared privately, with groups or with the organization.</p>")
        .raw("<fieldset class=\"choices\"><legend class=\"visually-hidden\">Item access</legend>")
        .raw("<div class=\"choice\"><input type=\"radio\" name=\"item_access\" id=\"access-none\" value=\"none\"")
        .raw(if items { "" } else { " checked" })
        .raw("><label for=\"access-none\">No item access</label></div>")
        .raw("<div class=\"choice\"><input type=\"radio\" name=\"item_access\" id=\"access-items\" value=\"items\"")
        .raw(if items { " checked" } else { "" })
        .raw("><label for=\"access-items\">Grant access to specific items</label></div></fieldset>")
        .raw("<section class=\"picker-box\" aria-label=\"Your items\"><h3>Your items</h3>");
    item_picker(
        h,
        &PickerView {
            results: view.results,
            pager: view.item_page,
            selected: &draft.items,
            known: ctx.known,
            q: view.q,
        },
    );
    h.raw("</section>");
}

fn privileges_step(h: &mut Html, draft: &Draft, ctx: &Context, q: &str) {
    h.raw("<p>Choose the privileges your application needs. Only privileges your own account holds can be given to the key; the others are shown but cannot be selected. A key never does more than its owner may.</p>")
        .raw("<details class=\"help\"><summary>Don't see a privilege you need?</summary><p>Your role decides which privileges you can assign. An administrator of your organization can grant them with a custom role. Generating API keys also needs the privileges \u{201c}Generate API keys\u{201d} and \u{201c}Assign privileges to OAuth 2.0 applications\u{201d}.</p></details>");
    privilege_picker(h, &draft.privileges, ctx.held, q);
}

fn expiration_step(h: &mut Html, draft: &Draft, ctx: &Context, problems: &Problems) {
    let latest = iso_date(ctx.now + MAX_KEY_LIFETIME_MS);
    h.raw("<p>API keys are long-lived access tokens, valid for up to one year. The date applies to the first key, generated at the end of this wizard.</p>")
        .raw("<label for=\"expiration\">Expiration date</label><input id=\"expiration\" name=\"expiration\" type=\"date\" required min=\"")
        .text(&iso_date(ctx.now + DAY_MS))
        .raw("\" max=\"")
        .text(&latest)
        .raw("\" value=\"")
        .text(&draft.expiration)
        .raw("\"");
    described(h, problems, "expiration", "expiration-hint");
    h.raw("><p class=\"hint\" id=\"expiration-hint\">")
        .text(&format!(
            "Default: one month from today ({}). At the latest: {latest}. The key stops working at the end of that day (UTC).",
            one_month_ahead(ctx.now)
        ))
        .raw("</p>");
    field_error(h, problems, "expiration");
    h.raw("<label for=\"referrers\">Referrers <span class=\"muted\">(recommended)</span></label><textarea id=\"referrers\" name=\"referrers\" rows=\"4\" spellcheck=\"false\" autocomplete=\"off\" placeholder=\"https://*.example.com\"");
    described(h, problems, "referrers", "referrers-hint");
    h.raw(">").text(&draft.referrers).raw("</textarea>");
    field_error(h, problems, "referrers");
    referrer_help(h);
    h.raw("<label for=\"addresses\">Allowed addresses <span class=\"muted\">(optional; for keys used from servers)</span></label><textarea id=\"addresses\" name=\"addresses\" rows=\"3\" spellcheck=\"false\" autocomplete=\"off\" placeholder=\"203.0.113.0/24\"");
    described(h, problems, "addresses", "addresses-hint");
    h.raw(">").text(&draft.addresses).raw("</textarea>");
    field_error(h, problems, "addresses");
    address_help(h);
}

fn details_step(h: &mut Html, draft: &Draft, ctx: &Context, problems: &Problems) {
    h.raw("<p>The credentials are saved as an item in your content.</p>")
        .raw("<label for=\"title\">Title</label><input id=\"title\" name=\"title\" required maxlength=\"250\" placeholder=\"My API key credentials\" value=\"")
        .text(&draft.title)
        .raw("\"");
    described(h, problems, "title", "");
    h.raw(">");
    field_error(h, problems, "title");
    h.raw("<label for=\"folder\">Folder</label><select id=\"folder\" name=\"folder\"");
    described(h, problems, "folder", "");
    h.raw("><option value=\"\"")
        .raw(if draft.folder.is_empty() {
            " selected"
        } else {
            ""
        })
        .raw(">My content (root folder)</option>");
    for f in ctx.folders {
        h.raw("<option value=\"")
            .text(&f.id)
            .raw("\"")
            .raw(if draft.folder == f.id {
                " selected"
            } else {
                ""
            })
            .raw(">")
            .text(&f.title)
            .raw("</option>");
    }
    h.raw("<option value=\"new\"")
        .raw(if draft.folder == "new" {
            " selected"
        } else {
            ""
        })
        .raw(">New folder…</option></select>");
    field_error(h, problems, "folder");
    h.raw("<div class=\"new-folder\" data-show-when=\"folder=new\"><label for=\"new_folder\">New folder name <span class=\"muted\">(when \u{201c}New folder\u{201d} is chosen)</span></label><input id=\"new_folder\" name=\"new_folder\" maxlength=\"255\" placeholder=\"Developer credentials\" value=\"")
        .text(&draft.new_folder)
        .raw("\"");
    described(h, problems, "new_folder", "");
    h.raw(">");
    field_error(h, problems, "new_folder");
    h.raw("</div><label for=\"tags\">Tags</label><input id=\"tags\" name=\"tags\" placeholder=\"geocoding, routing\" value=\"")
        .text(&draft.tags)
        .raw("\"");
    described(h, problems, "tags", "tags-hint");
    h.raw("><p class=\"hint\" id=\"tags-hint\">Separate tags with commas, e.g. the privileges or the project.</p>");
    field_error(h, problems, "tags");
    h.raw("<label for=\"description\">Description</label><textarea id=\"description\" name=\"description\" rows=\"4\" placeholder=\"The application these credentials are for\"");
    described(h, problems, "description", "");
    h.raw(">").text(&draft.description).raw("</textarea>");
    field_error(h, problems, "description");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_marks_the_current_step() {
        let mut h = Html::new();
        progress(&mut h, Step::Privileges);
        let html = h.into_string();
        assert_eq!(html.matches("aria-current=\"step\"").count(), 1);
        assert_eq!(html.matches("class=\"done\"").count(), 2);
    }
}
