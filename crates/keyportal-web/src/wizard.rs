//! The API key credentials wizard: New item → Developer credentials → API key credentials,
//! one step at a time. The draft travels in hidden fields of one CSRF-protected POST form, so
//! nothing is stored until the last step and every step works without JavaScript. The last
//! step creates the item, registers it with the privileges, item access and referrers, sets
//! key 1's expiration date and mints key 1, all through the same `Portal` methods as REST.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{check_referrers, APPLICATION_TYPE, MAX_KEY_LIFETIME_MS};
use keyportal_domain::item::{validate_folder_title, Folder, ItemChanges};
use keyportal_domain::privilege::{self, PrivilegeSet, ITEM_ACCESS_PREFIX};
use keyportal_domain::secret::random_hex;
use keyportal_domain::time::{civil_from_days, days_from_civil, iso_date, DAY_MS};
use keyportal_domain::DomainError;
use keyportal_service::{RegisterApp, ServiceError, SlotDates};

use crate::html::{url_encode, Html};
use crate::keys::key_result_body;
use crate::layout::{hidden_csrf, notice};
use crate::new_item::{eligibility, explain_missing};
use crate::pickers::{
    catalog_privileges, check_item_choice, check_privilege_choice, item_picker, own_items,
    privilege_picker, referrer_help, split_referrers, FormList, PickItem,
};
use crate::request::{error_page, forbidden_csrf, message, page, parse_date, redirect, Session};
use crate::session::csrf_ok;
use crate::{Routes, St, Web};

pub(crate) const WIZARD_PATH: &str = "/home/new/api-key-credentials";

pub(crate) fn routes() -> Routes {
    Router::new().route(WIZARD_PATH, get(start).post(step_post))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Usage,
    Items,
    Privileges,
    Expiration,
    Details,
    Summary,
    Generate,
}

const STEPS: [Step; 7] = [
    Step::Usage,
    Step::Items,
    Step::Privileges,
    Step::Expiration,
    Step::Details,
    Step::Summary,
    Step::Generate,
];

impl Step {
    pub fn number(self) -> usize {
        STEPS.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn from_number(text: &str) -> Option<Step> {
        let n: usize = text.trim().parse().ok()?;
        STEPS.get(n.checked_sub(1)?).copied()
    }

    fn label(self) -> &'static str {
        match self {
            Step::Usage => "Application type",
            Step::Items => "Item access",
            Step::Privileges => "Privileges",
            Step::Expiration => "Expiration and referrers",
            Step::Details => "Item details",
            Step::Summary => "Summary",
            Step::Generate => "Generate API key",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Step::Usage => "Where will you use these credentials?",
            Step::Items => "Item access",
            Step::Privileges => "Privileges",
            Step::Expiration => "Expiration date and referrers",
            Step::Details => "Item details",
            Step::Summary => "Summary",
            Step::Generate => "Generate API key",
        }
    }

    fn next(self) -> Step {
        STEPS.get(self.number()).copied().unwrap_or(self)
    }

    fn previous(self) -> Step {
        STEPS
            .get(self.number().saturating_sub(2))
            .copied()
            .unwrap_or(self)
    }
}

/// Everything the member chose so far, as typed (validated per step).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Draft {
    /// `private`: the only application type keyportal offers.
    pub usage: String,
    /// `none` or `items`.
    pub item_access: String,
    /// Item ids (lower case).
    pub items: Vec<String>,
    /// Catalog privilege strings.
    pub privileges: Vec<String>,
    /// `YYYY-MM-DD`.
    pub expiration: String,
    /// One pattern per line.
    pub referrers: String,
    pub title: String,
    /// Empty for the root folder, a folder id, or `new`.
    pub folder: String,
    pub new_folder: String,
    /// Comma-separated.
    pub tags: String,
    pub description: String,
    /// `now` or `later`.
    pub generate: String,
    /// Random, fixed when the wizard starts: a second "Create" of the same draft (a reload of
    /// the key page, a double click) finds the credentials made by the first instead of
    /// making another.
    pub draft_id: String,
}

impl Draft {
    pub fn new(now: i64) -> Draft {
        Draft {
            usage: "private".into(),
            item_access: "none".into(),
            expiration: one_month_ahead(now),
            generate: "now".into(),
            draft_id: random_hex::<16>(),
            ..Draft::default()
        }
    }

    pub fn from_form(f: &FormList) -> Draft {
        Draft {
            usage: f.text("usage"),
            item_access: f.text("item_access"),
            items: f
                .all("item")
                .into_iter()
                .map(|i| i.to_ascii_lowercase())
                .collect(),
            privileges: f.all("priv"),
            expiration: f.text("expiration").trim().to_string(),
            referrers: f.text("referrers"),
            title: f.text("title"),
            folder: f.text("folder"),
            new_folder: f.text("new_folder"),
            tags: f.text("tags"),
            description: f.text("description"),
            generate: f.text("generate"),
            draft_id: f.text("draft_id"),
        }
    }

    /// The draft's fields that `step` does not show, as hidden inputs.
    fn hidden_fields(&self, h: &mut Html, step: Step) {
        let mut field = |name: &'static str, value: &str, on: &[Step]| {
            if !on.contains(&step) {
                h.raw("<input type=\"hidden\" name=\"")
                    .raw(name)
                    .raw("\" value=\"")
                    .text(value)
                    .raw("\">");
            }
        };
        field("usage", &self.usage, &[Step::Usage]);
        field("item_access", &self.item_access, &[Step::Items]);
        field("expiration", &self.expiration, &[Step::Expiration]);
        field("referrers", &self.referrers, &[Step::Expiration]);
        field("title", &self.title, &[Step::Details]);
        field("folder", &self.folder, &[Step::Details]);
        field("new_folder", &self.new_folder, &[Step::Details]);
        field("tags", &self.tags, &[Step::Details]);
        field("description", &self.description, &[Step::Details]);
        field("generate", &self.generate, &[Step::Generate]);
        field("draft_id", &self.draft_id, &[]);
        // The pickers carry their own selections on their steps.
        if step != Step::Items {
            for id in &self.items {
                field("item", id, &[]);
            }
        }
        if step != Step::Privileges {
            for p in &self.privileges {
                field("priv", p, &[]);
            }
        }
    }

    fn tag_list(&self) -> Vec<String> {
        let mut tags: Vec<String> = Vec::new();
        for t in self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
        tags
    }

    /// Catalog privileges plus item access, as `registerApp` takes them.
    fn all_privileges(&self) -> Vec<String> {
        let mut all: Vec<String> = self.privileges.clone();
        if self.item_access == "items" {
            all.extend(
                self.items
                    .iter()
                    .map(|id| format!("{ITEM_ACCESS_PREFIX}{id}")),
            );
        }
        all
    }
}

/// The same day of the next month (the last day when it is shorter), as `YYYY-MM-DD`.
pub(crate) fn one_month_ahead(now: i64) -> String {
    let (y, m, d) = civil_from_days(now.div_euclid(DAY_MS));
    let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let last = (28..=31)
        .rev()
        .find(|day| civil_from_days(days_from_civil(y, m, *day)) == (y, m, *day))
        .unwrap_or(28);
    format!("{y:04}-{m:02}-{:02}", d.min(last))
}

/// An expiration date typed as `YYYY-MM-DD` → epoch ms: the end of that day, after today and
/// at most one year ahead (the last allowed day ends exactly one year from now).
pub(crate) fn expiration_ms(text: &str, now: i64) -> Result<i64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Choose an expiration date.".into());
    }
    let Some(ms) = parse_date(text) else {
        return Err("Enter the expiration date as YYYY-MM-DD, e.g. 2026-07-31.".into());
    };
    if iso_date(ms) <= iso_date(now) {
        return Err("The expiration date must be after today.".into());
    }
    let latest = now + MAX_KEY_LIFETIME_MS;
    if ms > latest {
        if text == iso_date(latest) {
            return Ok(latest);
        }
        return Err(format!(
            "API keys are valid for at most one year: choose {} or earlier.",
            iso_date(latest)
        ));
    }
    Ok(ms)
}

/// What the checks need besides the draft.
pub(crate) struct Context<'a> {
    pub now: i64,
    pub held: &'a PrivilegeSet,
    pub items: &'a [PickItem],
    pub folders: &'a [Folder],
}

/// A problem with one field (its element id) of a step.
pub(crate) type Problems = Vec<(&'static str, String)>;

pub(crate) fn check_step(step: Step, draft: &Draft, ctx: &Context) -> Problems {
    let mut p: Problems = Vec::new();
    match step {
        Step::Usage => {
            if draft.usage != "private" {
                p.push((
                    "usage-private",
                    "Choose where you will use these credentials.".into(),
                ));
            }
        }
        Step::Items => match draft.item_access.as_str() {
            "none" if !draft.items.is_empty() => p.push((
                "access-none",
                "You selected items but chose No item access. Choose Grant access to specific items, or clear the selection."
                    .into(),
            )),
            "none" => {}
            "items" if draft.items.is_empty() => p.push((
                "item-q",
                "Select at least one item, or choose No item access.".into(),
            )),
            "items" => {
                for m in check_item_choice(&draft.items, ctx.items) {
                    p.push(("item-q", m));
                }
            }
            _ => p.push(("access-none", "Choose whether the key gets item access.".into())),
        },
        Step::Privileges => {
            for m in check_privilege_choice(&draft.privileges, ctx.held) {
                p.push(("privilege-q", m));
            }
        }
        Step::Expiration => {
            if let Err(m) = expiration_ms(&draft.expiration, ctx.now) {
                p.push(("expiration", m));
            }
            if let Err(e) = check_referrers(&split_referrers(&draft.referrers)) {
                p.push(("referrers", domain_message(&e)));
            }
        }
        Step::Details => {
            let title = draft.title.trim();
            if title.is_empty() {
                p.push(("title", "Enter a title.".into()));
            } else if title.chars().count() > 250 {
                p.push(("title", "A title has at most 250 characters.".into()));
            }
            match draft.folder.as_str() {
                "" => {}
                "new" => {
                    if let Err(e) = validate_folder_title(&draft.new_folder) {
                        p.push(("new_folder", domain_message(&e)));
                    } else if ctx
                        .folders
                        .iter()
                        .any(|f| f.title.eq_ignore_ascii_case(draft.new_folder.trim()))
                    {
                        p.push((
                            "new_folder",
                            "A folder with this name already exists: choose it in the list."
                                .into(),
                        ));
                    }
                }
                id if ctx.folders.iter().any(|f| f.id == id) => {}
                _ => p.push(("folder", "Choose one of your folders.".into())),
            }
            let tags = draft.tag_list();
            if tags.len() > 128 || tags.iter().any(|t| t.chars().count() > 256) {
                p.push((
                    "tags",
                    "Use at most 128 tags of at most 256 characters each.".into(),
                ));
            }
            if draft.description.chars().count() > 64 * 1024 {
                p.push(("description", "The description is too long.".into()));
            }
        }
        Step::Summary => {}
        Step::Generate => {
            if draft.generate != "now" && draft.generate != "later" {
                p.push(("generate-now", "Choose whether to generate the API key now.".into()));
            }
        }
    }
    p
}

fn domain_message(error: &DomainError) -> String {
    message(&ServiceError::Domain(error.clone()))
}

/// What the wizard page shows besides the draft.
struct View<'a> {
    csrf: &'a str,
    step: Step,
    q: &'a str,
    problems: &'a Problems,
    error: Option<&'a str>,
}

fn wizard_body(view: &View, draft: &Draft, ctx: &Context) -> Html {
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
        Step::Items => items_step(&mut h, draft, ctx, view.q),
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

fn items_step(h: &mut Html, draft: &Draft, ctx: &Context, q: &str) {
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
    item_picker(h, ctx.items, &draft.items, q);
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

fn edit_button(h: &mut Html, step: Step, label: &'static str) {
    h.raw("<button type=\"submit\" name=\"go\" value=\"edit-")
        .text(&step.number().to_string())
        .raw("\" formnovalidate class=\"link-button\">Edit <span class=\"visually-hidden\">")
        .raw(label)
        .raw("</span></button>");
}

fn summary_section(h: &mut Html, step: Step, title: &'static str) {
    h.raw("<div class=\"summary-head\"><h3>")
        .raw(title)
        .raw("</h3>");
    edit_button(h, step, title);
    h.raw("</div>");
}

fn folder_name(draft: &Draft, ctx: &Context) -> String {
    match draft.folder.as_str() {
        "" => "My content (root folder)".to_string(),
        "new" => format!("{} (new folder)", draft.new_folder.trim()),
        id => ctx
            .folders
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.title.clone())
            .unwrap_or_else(|| id.to_string()),
    }
}

fn summary_step(h: &mut Html, draft: &Draft, ctx: &Context) {
    h.raw("<p>Review the properties, privileges and item access of your API key credentials. Nothing is saved until the next step.</p><div class=\"summary\">");
    summary_section(h, Step::Usage, "Application type");
    h.raw("<p>Private application with selected privileges and access</p>");

    summary_section(h, Step::Items, "Item access");
    if draft.item_access == "items" && !draft.items.is_empty() {
        h.raw("<p>")
            .text(&format!("{} item(s):", draft.items.len()))
            .raw("</p><ul class=\"summary-list\">");
        for id in &draft.items {
            let title = ctx
                .items
                .iter()
                .find(|i| &i.id == id)
                .map(|i| i.title.as_str())
                .unwrap_or(id);
            h.raw("<li>").text(title).raw("</li>");
        }
        h.raw("</ul>");
    } else {
        h.raw("<p>No item access</p>");
    }

    summary_section(h, Step::Privileges, "Privileges");
    let privileges = catalog_privileges(&draft.privileges);
    if privileges.is_empty() {
        h.raw("<p>No privileges. <span class=\"muted\">The key can then only read what it is granted in Item access and public content.</span></p>");
    } else {
        h.raw("<ul class=\"summary-list\">");
        for p in privileges {
            let label = privilege::lookup(p).map(|i| i.label).unwrap_or(p);
            h.raw("<li>")
                .text(label)
                .raw(" <code>")
                .text(p)
                .raw("</code></li>");
        }
        h.raw("</ul>");
    }

    summary_section(h, Step::Expiration, "Expiration and referrers");
    h.raw("<dl class=\"facts\"><dt>Expiration date</dt><dd>")
        .text(&draft.expiration)
        .raw("</dd><dt>Referrers</dt><dd>");
    let referrers = split_referrers(&draft.referrers);
    if referrers.is_empty() {
        h.raw("Any (no restriction)");
    }
    for r in referrers {
        h.raw("<code>").text(&r).raw("</code> ");
    }
    h.raw("</dd></dl>");

    summary_section(h, Step::Details, "Item details");
    h.raw("<dl class=\"facts\"><dt>Title</dt><dd>")
        .text(draft.title.trim())
        .raw("</dd><dt>Folder</dt><dd>")
        .text(&folder_name(draft, ctx))
        .raw("</dd><dt>Tags</dt><dd>");
    let tags = draft.tag_list();
    if tags.is_empty() {
        h.raw("<span class=\"muted\">None</span>");
    }
    for t in tags {
        h.raw("<span class=\"tag\">").text(&t).raw("</span> ");
    }
    h.raw("</dd><dt>Description</dt><dd>");
    if draft.description.trim().is_empty() {
        h.raw("<span class=\"muted\">None</span>");
    } else {
        h.text(&draft.description);
    }
    h.raw("</dd></dl></div>");
}

fn generate_step(h: &mut Html, draft: &Draft) {
    let later = draft.generate == "later";
    h.raw("<p>Creating the credentials saves the item. The API key is shown <strong>once</strong>, on the next page: copy it and keep it somewhere safe — you will not see it again.</p>")
        .raw("<fieldset class=\"choices\"><legend class=\"visually-hidden\">Generate API key</legend>")
        .raw("<div class=\"choice\"><input type=\"radio\" name=\"generate\" id=\"generate-now\" value=\"now\"")
        .raw(if later { "" } else { " checked" })
        .raw("><label for=\"generate-now\">Generate the API key and go to item details page. I am ready to copy and save the key.</label></div>")
        .raw("<div class=\"choice\"><input type=\"radio\" name=\"generate\" id=\"generate-later\" value=\"later\"")
        .raw(if later { " checked" } else { "" })
        .raw("><label for=\"generate-later\">Create the credentials without a key. I will generate it later from the item page.</label></div></fieldset>");
}

/// Loads what the checks need: the member's privileges, items and folders.
async fn load_context(
    web: &Web,
    session: &Session,
) -> Result<(PrivilegeSet, Vec<PickItem>, Vec<Folder>), ServiceError> {
    let held = session
        .caller
        .member()
        .map(|m| m.privileges.clone())
        .unwrap_or_default();
    let items = own_items(&web.portal, &session.caller, &session.username, None).await?;
    let folders = web
        .portal
        .list_content(&session.caller, &session.username, None, 1, 1)
        .await?
        .folders;
    Ok((held, items, folders))
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

fn render(
    session: &Session,
    status: StatusCode,
    view: &View,
    draft: &Draft,
    ctx: &Context,
) -> Response {
    let title = format!("{} · API key credentials", view.step.label());
    page(
        status,
        session.layout(&title).render(wizard_body(view, draft, ctx)),
    )
}

async fn start(State(web): St, session: Session) -> Response {
    let missing = session
        .caller
        .member()
        .map(|m| eligibility(m).api_keys)
        .unwrap_or_default();
    if !missing.is_empty() {
        return not_allowed(&session, &missing);
    }
    let (held, items, folders) = match load_context(&web, &session).await {
        Ok(c) => c,
        Err(e) => return error_page(Some(&session), StatusCode::BAD_REQUEST, &message(&e)),
    };
    let now = web.portal.now();
    let ctx = Context {
        now,
        held: &held,
        items: &items,
        folders: &folders,
    };
    let view = View {
        csrf: &session.csrf,
        step: Step::Usage,
        q: "",
        problems: &Vec::new(),
        error: None,
    };
    render(&session, StatusCode::OK, &view, &Draft::new(now), &ctx)
}

async fn step_post(State(web): St, session: Session, body: Bytes) -> Response {
    let form = FormList::parse(&body);
    if !csrf_ok(&session.csrf, form.get("csrf")) {
        return forbidden_csrf(Some(&session));
    }
    let missing = session
        .caller
        .member()
        .map(|m| eligibility(m).api_keys)
        .unwrap_or_default();
    if !missing.is_empty() {
        return not_allowed(&session, &missing);
    }
    let (held, items, folders) = match load_context(&web, &session).await {
        Ok(c) => c,
        Err(e) => return error_page(Some(&session), StatusCode::BAD_REQUEST, &message(&e)),
    };
    let ctx = Context {
        now: web.portal.now(),
        held: &held,
        items: &items,
        folders: &folders,
    };
    let mut draft = Draft::from_form(&form);
    let step = form
        .get("step")
        .and_then(Step::from_number)
        .unwrap_or(Step::Usage);
    let q = form.text("q");
    let go = form.text("go");
    let show = |step: Step, q: &str, problems: &Problems, error: Option<&str>, draft: &Draft| {
        let status = if problems.is_empty() && error.is_none() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        let view = View {
            csrf: &session.csrf,
            step,
            q,
            problems,
            error,
        };
        render(&session, status, &view, draft, &ctx)
    };
    let none = Vec::new();
    match go.as_str() {
        "back" => show(step.previous(), "", &none, None, &draft),
        "search" => show(step, &q, &none, None, &draft),
        "next" => {
            let problems = check_step(step, &draft, &ctx);
            if !problems.is_empty() {
                return show(step, &q, &problems, None, &draft);
            }
            if step == Step::Items && draft.item_access == "none" {
                draft.items.clear();
            }
            show(step.next(), "", &none, None, &draft)
        }
        "create" => {
            // A repeated "Create" of this draft is answered before anything is checked again
            // (its new folder, say, exists by now).
            let claim = match web.drafts.claim(&draft.draft_id, ctx.now) {
                Claim::First => draft.draft_id.clone(),
                Claim::Busy => {
                    return show(
                        Step::Summary,
                        "",
                        &none,
                        Some("These credentials are being created. Wait a moment, then open My content."),
                        &draft,
                    )
                }
                Claim::Done(item_id) => {
                    return redirect(&format!(
                        "/home/item/{}?notice={}",
                        url_encode(&item_id),
                        url_encode("These credentials were already created, and their key was shown once. If you did not copy it, regenerate it here.")
                    ))
                }
            };
            // Every step again: the hidden fields came back from the browser.
            for s in STEPS {
                let problems = check_step(s, &draft, &ctx);
                if !problems.is_empty() {
                    web.drafts.release(&claim);
                    return show(s, "", &problems, None, &draft);
                }
            }
            match create(&web, &session, &draft, &ctx).await {
                Ok((item_id, response)) => {
                    web.drafts.finish(&claim, &item_id);
                    response
                }
                Err((s, text)) => {
                    web.drafts.release(&claim);
                    show(s, "", &none, Some(&text), &draft)
                }
            }
        }
        other => match other.strip_prefix("edit-").and_then(Step::from_number) {
            Some(s) if s.number() <= step.number() => show(s, "", &none, None, &draft),
            _ => show(step, &q, &none, None, &draft),
        },
    }
}

/// What a draft's "Create" found.
pub(crate) enum Claim {
    /// This request creates the credentials.
    First,
    /// Another request of the same draft is creating them now.
    Busy,
    /// They were created: the item id.
    Done(String),
}

/// The drafts created recently on this node (an hour), so a repeated "Create" does not make a
/// second credential. Only this node's memory: the repeat comes from the same browser session.
#[derive(Default)]
pub(crate) struct DraftLedger {
    /// `draft id → (item id once created, when claimed)`.
    entries: std::sync::Mutex<HashMap<String, (Option<String>, i64)>>,
}

const DRAFT_MEMORY_MS: i64 = 3_600_000;

impl DraftLedger {
    pub(crate) fn claim(&self, draft_id: &str, now: i64) -> Claim {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (_, at)| now - *at < DRAFT_MEMORY_MS);
        if draft_id.is_empty() {
            return Claim::First;
        }
        match entries.get(draft_id) {
            Some((Some(item), _)) => Claim::Done(item.clone()),
            Some((None, _)) => Claim::Busy,
            None => {
                entries.insert(draft_id.to_string(), (None, now));
                Claim::First
            }
        }
    }

    pub(crate) fn finish(&self, draft_id: &str, item_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get_mut(draft_id) {
            entry.0 = Some(item_id.to_string());
        }
    }

    pub(crate) fn release(&self, draft_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.remove(draft_id);
    }
}

/// Creates the credentials. A failure after the item exists deletes it again, so a retry
/// starts clean; it answers the step to show with the reason.
async fn create(
    web: &Web,
    session: &Session,
    draft: &Draft,
    ctx: &Context<'_>,
) -> Result<(String, Response), (Step, String)> {
    let portal = &web.portal;
    let caller = &session.caller;
    let expires = expiration_ms(&draft.expiration, ctx.now).map_err(|m| (Step::Expiration, m))?;
    let folder = match draft.folder.as_str() {
        "" => None,
        "new" => Some(
            portal
                .create_folder(caller, &session.username, &draft.new_folder)
                .await
                .map_err(|e| (Step::Details, message(&e)))?
                .id,
        ),
        id => Some(id.to_string()),
    };
    let changes = ItemChanges {
        title: Some(draft.title.trim().to_string()),
        item_type: Some(APPLICATION_TYPE.to_string()),
        tags: Some(draft.tag_list()),
        description: Some(draft.description.clone()),
        ..ItemChanges::default()
    };
    let item = portal
        .add_item(caller, &session.username, folder.as_deref(), changes, None)
        .await
        .map_err(|e| (Step::Summary, message(&e)))?;
    let id = item.item.id.clone();
    let undo = |text: String| async move {
        if let Err(e) = portal.delete_item(caller, &id).await {
            tracing::warn!(error = %e, "could not remove a half-created credential");
        }
        (Step::Summary, text)
    };
    let registration = RegisterApp {
        item_id: item.item.id.clone(),
        app_type: "multiple".into(),
        redirect_uris: Vec::new(),
        http_referrers: split_referrers(&draft.referrers),
        privileges: draft.all_privileges(),
        is_personal: None,
    };
    let app = match portal.register_app(caller, registration).await {
        Ok(app) => app,
        Err(e) => return Err(undo(message(&e)).await),
    };
    let dates = SlotDates {
        slot1: Some(expires),
        slot2: None,
    };
    if let Err(e) = portal
        .update_item(caller, &item.item.id, ItemChanges::default(), dates)
        .await
    {
        return Err(undo(message(&e)).await);
    }
    let item_url = format!("/home/item/{}", url_encode(&item.item.id));
    if draft.generate == "later" {
        return Ok((
            item.item.id.clone(),
            redirect(&format!(
            "{item_url}?notice={}",
            url_encode(
                "API key credentials created. Generate an API key in Settings when you are ready."
            )
        )),
        ));
    }
    let secret = app.client_secret.expose().to_string();
    match portal
        .mint_api_key(&app.app.client_id, &secret, KeySlot::One, None)
        .await
    {
        Ok(minted) => {
            let mut h = Html::new();
            notice(
                &mut h,
                Some(&format!(
                    "API key credentials \u{201c}{}\u{201d} created.",
                    item.item.title
                )),
                "ok",
            );
            h.append(key_result_body(
                &item,
                KeySlot::One,
                minted.key.expose(),
                expires,
            ));
            Ok((
                item.item.id.clone(),
                page(StatusCode::OK, session.layout("Your new API key").render(h)),
            ))
        }
        // The credentials exist; the key can be generated from the item page.
        Err(e) => Ok((
            item.item.id.clone(),
            redirect(&format!(
                "{item_url}?notice={}",
                url_encode(&format!(
                    "API key credentials created, but the key was not generated: {}",
                    message(&e)
                ))
            )),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::time::days_from_civil;

    fn at(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + 12 * 3_600_000
    }

    #[test]
    fn steps_number_and_move() {
        assert_eq!(Step::from_number("1"), Some(Step::Usage));
        assert_eq!(Step::from_number("7"), Some(Step::Generate));
        assert_eq!(Step::from_number("0"), None);
        assert_eq!(Step::from_number("8"), None);
        assert_eq!(Step::from_number("x"), None);
        assert_eq!(Step::Usage.previous(), Step::Usage);
        assert_eq!(Step::Items.next(), Step::Privileges);
        assert_eq!(Step::Generate.next(), Step::Generate);
    }

    #[test]
    fn one_month_ahead_clamps_to_the_month_end() {
        assert_eq!(one_month_ahead(at(2026, 1, 31)), "2026-02-28");
        assert_eq!(one_month_ahead(at(2026, 12, 15)), "2027-01-15");
        assert_eq!(one_month_ahead(at(2028, 1, 30)), "2028-02-29");
    }

    #[test]
    fn expiration_dates_are_after_today_and_within_a_year() {
        let now = at(2026, 3, 10);
        assert!(expiration_ms("2026-04-10", now).is_ok());
        assert!(expiration_ms("2026-03-10", now).is_err());
        assert!(expiration_ms("", now).is_err());
        assert!(expiration_ms("10/04/2026", now).is_err());
        // The last day is allowed and ends exactly one year from now.
        let last = iso_date(now + MAX_KEY_LIFETIME_MS);
        assert_eq!(expiration_ms(&last, now), Ok(now + MAX_KEY_LIFETIME_MS));
        assert!(expiration_ms("2027-06-01", now)
            .unwrap_err()
            .contains("at most one year"));
    }

    #[test]
    fn the_draft_round_trips_through_hidden_fields() {
        let mut draft = Draft::new(at(2026, 3, 10));
        draft.item_access = "items".into();
        draft.items = vec!["a".repeat(32)];
        draft.privileges = vec!["premium:user:basemaps".into()];
        draft.referrers = "https://*.example.com\nhttp://x.test".into();
        draft.title = "Keys \"<b>\"".into();
        draft.tags = "a, b,a".into();
        let mut h = Html::new();
        draft.hidden_fields(&mut h, Step::Summary);
        let html = h.into_string();
        assert!(!html.contains("<b>"));
        // Read the hidden inputs back as a browser would submit them.
        let mut body = String::new();
        for chunk in html.split("<input type=\"hidden\" name=\"").skip(1) {
            let (name, rest) = chunk.split_once("\" value=\"").expect("value");
            let value = rest.split_once("\">").expect("end").0;
            let value = value
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&#39;", "'")
                .replace("&amp;", "&");
            body.push_str(&format!("{}={}&", url_encode(name), url_encode(&value)));
        }
        let back = Draft::from_form(&FormList::parse(body.as_bytes()));
        assert_eq!(back, draft);
        assert_eq!(back.tag_list(), vec!["a", "b"]);
        assert_eq!(
            back.all_privileges(),
            vec![
                "premium:user:basemaps".to_string(),
                format!("portal:app:access:item:{}", "a".repeat(32))
            ]
        );
    }

    fn ctx<'a>(
        held: &'a PrivilegeSet,
        items: &'a [PickItem],
        folders: &'a [Folder],
    ) -> Context<'a> {
        Context {
            now: at(2026, 3, 10),
            held,
            items,
            folders,
        }
    }

    #[test]
    fn steps_report_problems_per_field() {
        let held = PrivilegeSet::new();
        let folders = vec![Folder {
            id: "f".repeat(32),
            owner: "me".into(),
            title: "Developer credentials".into(),
            created: 0,
        }];
        let c = ctx(&held, &[], &folders);
        let mut d = Draft::new(c.now);
        assert!(check_step(Step::Usage, &d, &c).is_empty());
        d.usage = "public".into();
        assert_eq!(check_step(Step::Usage, &d, &c)[0].0, "usage-private");

        d.item_access = "items".into();
        assert_eq!(check_step(Step::Items, &d, &c)[0].0, "item-q");
        d.item_access = "none".into();
        d.items = vec!["a".repeat(32)];
        assert_eq!(check_step(Step::Items, &d, &c)[0].0, "access-none");

        d.privileges = vec!["portal:admin:viewUsers".into()];
        assert_eq!(check_step(Step::Privileges, &d, &c).len(), 1);

        d.expiration = "2030-01-01".into();
        d.referrers = "https://*.example.com\nftp://nope".into();
        let p = check_step(Step::Expiration, &d, &c);
        assert_eq!(
            p.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec!["expiration", "referrers"]
        );

        d.folder = "new".into();
        d.new_folder = "developer credentials".into();
        let p = check_step(Step::Details, &d, &c);
        assert_eq!(
            p.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec!["title", "new_folder"]
        );
        d.title = "My keys".into();
        d.folder = "f".repeat(32);
        assert!(check_step(Step::Details, &d, &c).is_empty());
        d.folder = "0".repeat(32);
        assert_eq!(check_step(Step::Details, &d, &c)[0].0, "folder");
    }

    #[test]
    fn the_progress_marks_the_current_step() {
        let mut h = Html::new();
        progress(&mut h, Step::Privileges);
        let html = h.into_string();
        assert_eq!(html.matches("aria-current=\"step\"").count(), 1);
        assert_eq!(html.matches("class=\"done\"").count(), 2);
    }
}

#[cfg(test)]
mod ledger_tests {
    use super::*;

    #[test]
    fn a_draft_is_created_once() {
        let ledger = DraftLedger::default();
        assert!(matches!(ledger.claim("d1", 0), Claim::First));
        assert!(matches!(ledger.claim("d1", 1), Claim::Busy));
        ledger.finish("d1", "item1");
        assert!(matches!(ledger.claim("d1", 2), Claim::Done(ref i) if i == "item1"));
        // A failed attempt gives the draft back.
        assert!(matches!(ledger.claim("d2", 3), Claim::First));
        ledger.release("d2");
        assert!(matches!(ledger.claim("d2", 4), Claim::First));
        // Forgotten after an hour.
        assert!(matches!(
            ledger.claim("d1", 2 + DRAFT_MEMORY_MS),
            Claim::First
        ));
    }
}
