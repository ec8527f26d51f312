//! The wizard's summary (every choice, with an Edit button back to its step) and its last
//! step (generate the key now or later).

use keyportal_domain::privilege;

use super::check::Context;
use super::draft::{Draft, Step};
use crate::html::Html;
use crate::pickers::{catalog_privileges, split_referrers};

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

pub(super) fn summary_step(h: &mut Html, draft: &Draft, ctx: &Context) {
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
                .known
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
    h.raw("</dd><dt>Allowed addresses</dt><dd>");
    let addresses = split_referrers(&draft.addresses);
    if addresses.is_empty() {
        h.raw("Any (no restriction)");
    }
    for a in addresses {
        h.raw("<code>").text(&a).raw("</code> ");
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

pub(super) fn generate_step(h: &mut Html, draft: &Draft) {
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
