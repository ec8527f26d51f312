//! What the wizard and the credential edit pages share: a form body with repeated fields, the
//! privilege picker (the catalog by category, only held privileges selectable; it searches on
//! the server with a submit button, so it works without JavaScript, and `portal.js` filters as
//! you type) and the referrer help. The item picker is `item_picker.rs`.

use keyportal_domain::privilege::{self, item_access_target, PrivilegeSet, CATALOG};

use crate::html::Html;

/// A urlencoded form body in order, with repeated names kept (checkbox groups), which the
/// `HashMap` form extractor would collapse.
#[derive(Debug, Default, Clone)]
pub(crate) struct FormList(pub Vec<(String, String)>);

impl FormList {
    pub fn parse(body: &[u8]) -> FormList {
        FormList(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }

    /// Every non-empty value of `name`, trimmed, without repeats, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (_, v) in self.0.iter().filter(|(k, _)| k == name) {
            let v = v.trim();
            if !v.is_empty() && !out.iter().any(|o| o == v) {
                out.push(v.to_string());
            }
        }
        out
    }
}

/// Case-insensitive "every word of the query appears somewhere in the haystack".
pub(crate) fn matches_query(query: &str, haystack: &[&str]) -> bool {
    let text = haystack.join(" ").to_lowercase();
    query
        .split_whitespace()
        .all(|word| text.contains(&word.to_lowercase()))
}

pub(crate) fn hidden(h: &mut Html, name: &'static str, value: &str) {
    h.raw("<input type=\"hidden\" name=\"")
        .raw(name)
        .raw("\" value=\"")
        .text(value)
        .raw("\">");
}

/// A search field and its button; `filter` names the list `portal.js` filters as you type
/// (only for lists shown whole).
pub(crate) fn search_box(
    h: &mut Html,
    id: &'static str,
    label: &'static str,
    placeholder: &'static str,
    q: &str,
    filter: Option<&'static str>,
) {
    h.raw("<div class=\"picker-search\" role=\"search\"><label for=\"")
        .raw(id)
        .raw("\" class=\"visually-hidden\">")
        .raw(label)
        .raw("</label><input id=\"")
        .raw(id)
        .raw("\" name=\"q\" type=\"search\" placeholder=\"")
        .raw(placeholder)
        .raw("\"");
    if let Some(target) = filter {
        h.raw(" data-filter=\"").raw(target).raw("\"");
    }
    h.raw(" value=\"")
        .text(q)
        .raw("\"><button type=\"submit\" name=\"go\" value=\"search\" formnovalidate class=\"button secondary\">Search</button></div>");
}

/// Catalog privileges of `selected` (item access left out), in catalog order.
pub(crate) fn catalog_privileges(selected: &[String]) -> Vec<&'static str> {
    CATALOG
        .iter()
        .map(|p| p.string)
        .filter(|p| selected.iter().any(|s| s == p))
        .collect()
}

/// Checks a privilege selection against the catalog and what the owner holds.
pub(crate) fn check_privilege_choice(selected: &[String], held: &PrivilegeSet) -> Vec<String> {
    let mut problems = Vec::new();
    for p in selected {
        match privilege::lookup(p) {
            None => problems.push(format!("'{p}' is not a privilege of this portal.")),
            Some(info) if !held.contains(info.string) => problems.push(format!(
                "\u{201c}{}\u{201d} ({}) is not one of your privileges, so a credential cannot receive it.",
                info.label, info.string
            )),
            Some(_) => {}
        }
    }
    problems
}

/// The privilege catalog grouped by category. Privileges not matching `q` are carried as
/// hidden fields when selected, so a search never loses a choice.
pub(crate) fn privilege_picker(h: &mut Html, selected: &[String], held: &PrivilegeSet, q: &str) {
    let q = q.trim();
    search_box(
        h,
        "privilege-q",
        "Search privileges",
        "Search privileges (e.g. geocode, items, basemaps)",
        q,
        Some("privileges"),
    );
    h.raw("<p class=\"counter\" aria-live=\"polite\"><span data-count=\"priv\">")
        .text(&selected.len().to_string())
        .raw("</span> selected</p>");
    let mut categories: Vec<&'static str> = Vec::new();
    for info in CATALOG {
        if !categories.contains(&info.category) {
            categories.push(info.category);
        }
    }
    let mut shown = 0;
    h.raw("<div class=\"picker\" data-filter-list=\"privileges\">");
    for category in categories {
        let entries: Vec<_> = CATALOG.iter().filter(|i| i.category == category).collect();
        let visible: Vec<_> = entries
            .iter()
            .filter(|i| {
                q.is_empty() || matches_query(q, &[i.category, i.label, i.string, i.description])
            })
            .collect();
        for i in &entries {
            let is_visible = visible.iter().any(|v| v.string == i.string);
            if !is_visible && selected.iter().any(|s| s == i.string) {
                hidden(h, "priv", i.string);
            }
        }
        if visible.is_empty() {
            continue;
        }
        shown += visible.len();
        let chosen = entries
            .iter()
            .filter(|i| selected.iter().any(|s| s == i.string))
            .count();
        let available = entries.iter().filter(|i| held.contains(i.string)).count();
        // Open when searching, when something in it is chosen, and for the first category.
        let open = !q.is_empty() || chosen > 0 || category == CATALOG[0].category;
        h.raw("<details class=\"category\" data-filter-group")
            .raw(if open { " open" } else { "" })
            .raw("><summary><span class=\"category-name\">")
            .text(category)
            .raw("</span> <span class=\"muted\">")
            .text(&format!(
                "{available} of {} available · {chosen} selected",
                entries.len()
            ))
            .raw("</span></summary><fieldset><legend class=\"visually-hidden\">")
            .text(category)
            .raw("</legend>");
        for info in visible {
            let id = format!("priv-{}", info.string.replace(':', "-"));
            let is_held = held.contains(info.string);
            let checked = is_held && selected.iter().any(|s| s == info.string);
            h.raw("<div class=\"pick")
                .raw(if is_held { "" } else { " unavailable" })
                .raw("\" data-filter-text=\"")
                .text(
                    &[info.category, info.label, info.string, info.description]
                        .join(" ")
                        .to_lowercase(),
                )
                .raw("\"><input type=\"checkbox\" name=\"priv\" data-counted=\"priv\" id=\"")
                .text(&id)
                .raw("\" value=\"")
                .text(info.string)
                .raw("\"")
                .raw(if checked { " checked" } else { "" })
                .raw(if is_held { "" } else { " disabled" })
                .raw(" aria-describedby=\"")
                .text(&id)
                .raw("-d\"><label for=\"")
                .text(&id)
                .raw("\">")
                .text(info.label)
                .raw(" <code>")
                .text(info.string)
                .raw("</code></label><p class=\"hint\" id=\"")
                .text(&id)
                .raw("-d\">")
                .text(info.description);
            if !is_held {
                h.raw(
                    " <strong>Not available: your role does not include this privilege.</strong>",
                );
            }
            h.raw("</p></div>");
        }
        h.raw("</fieldset></details>");
    }
    if shown == 0 {
        h.raw("<p class=\"empty\">No privilege matches your search.</p>");
    }
    h.raw("</div>");
}

/// Item ids of item-access privileges.
pub(crate) fn item_ids(privileges: &[String]) -> Vec<String> {
    privileges
        .iter()
        .filter_map(|p| item_access_target(p))
        .map(|id| id.to_ascii_lowercase())
        .collect()
}

/// Splits a referrer text area (one per line, commas also accepted) into patterns.
pub(crate) fn split_referrers(text: &str) -> Vec<String> {
    text.split(['\n', ',', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Help for the referrers field, with the wildcard example.
pub(crate) fn referrer_help(h: &mut Html) {
    h.raw("<div id=\"referrers-hint\" class=\"hint\"><p>One per line. A request with a key must come from a page whose address matches one of them (browsers send it in the <code>Referer</code> header). Leave empty to allow any referrer — not recommended for keys used in web pages.</p><ul class=\"examples\">")
        .raw("<li><code>https://your-app.com</code> — that site, on the default HTTPS port</li>")
        .raw("<li><code>https://*.example.com</code> — <code>example.com</code> and every subdomain, such as <code>https://dev.example.com</code></li>")
        .raw("<li><code>https://example.com/maps/</code> — only pages under <code>/maps/</code></li>")
        .raw("<li><code>http://localhost:8080</code> — local development</li></ul></div>");
}

/// Help for the allowed-addresses field.
pub(crate) fn address_help(h: &mut Html) {
    h.raw("<div id=\"addresses-hint\" class=\"hint\"><p>One per line. A request with a key must then come from one of these addresses (checked on the connection, or on what a trusted proxy forwards — a client cannot choose it, unlike a referrer). Leave empty to allow any address. When referrers are set too, both must match.</p><ul class=\"examples\">")
        .raw("<li><code>203.0.113.7</code> — one server</li>")
        .raw("<li><code>203.0.113.0/24</code> — a block of addresses</li>")
        .raw("<li><code>2001:db8::/48</code> — an IPv6 block</li></ul></div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_list_keeps_repeated_fields() {
        let f = FormList::parse(b"priv=a&priv=b&priv=a&priv=+&title=My+keys&q=");
        assert_eq!(f.all("priv"), vec!["a", "b"]);
        assert_eq!(f.get("title"), Some("My keys"));
        assert_eq!(f.text("q"), "");
        assert_eq!(f.text("missing"), "");
    }

    #[test]
    fn queries_match_every_word() {
        assert!(matches_query(
            "geo code",
            &["Geocoding", "premium:user:geocode"]
        ));
        assert!(matches_query("", &["anything"]));
        assert!(!matches_query("basemap", &["Geocoding"]));
    }

    #[test]
    fn privilege_choices_must_be_known_and_held() {
        let held: PrivilegeSet = ["premium:user:basemaps"].into_iter().collect();
        assert!(check_privilege_choice(&["premium:user:basemaps".into()], &held).is_empty());
        let problems = check_privilege_choice(
            &["portal:admin:viewUsers".into(), "nope:nope".into()],
            &held,
        );
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("not one of your privileges"));
    }

    #[test]
    fn referrers_split_on_lines_and_commas() {
        assert_eq!(
            split_referrers("https://a.com\r\n\n https://*.b.com , http://localhost:8080"),
            vec!["https://a.com", "https://*.b.com", "http://localhost:8080"]
        );
    }

    #[test]
    fn pickers_escape_and_carry_hidden_choices() {
        let held: PrivilegeSet = CATALOG.iter().map(|p| p.string).collect();
        let mut h = Html::new();
        privilege_picker(
            &mut h,
            &["premium:user:basemaps".into()],
            &held,
            "\"><script>",
        );
        let out = h.into_string();
        assert!(!out.contains("<script>"));
        assert!(out.contains("type=\"hidden\" name=\"priv\" value=\"premium:user:basemaps\""));
    }
}
