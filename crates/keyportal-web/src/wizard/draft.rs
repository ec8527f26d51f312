//! The wizard's steps and its draft: what the member chose so far, carried in hidden fields
//! from step to step, and the expiration date rules.

use keyportal_domain::credential::MAX_KEY_LIFETIME_MS;
use keyportal_domain::privilege::ITEM_ACCESS_PREFIX;
use keyportal_domain::secret::random_hex;
use keyportal_domain::time::{civil_from_days, days_from_civil, iso_date, DAY_MS};

use crate::html::Html;
use crate::pickers::FormList;
use crate::request::parse_date;

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

pub(super) const STEPS: [Step; 7] = [
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

    pub(super) fn label(self) -> &'static str {
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

    pub(super) fn heading(self) -> &'static str {
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

    pub(super) fn next(self) -> Step {
        STEPS.get(self.number()).copied().unwrap_or(self)
    }

    pub(super) fn previous(self) -> Step {
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
    /// Addresses and CIDR blocks, one per line (or commas).
    pub addresses: String,
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
            addresses: f.text("addresses"),
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
    pub(super) fn hidden_fields(&self, h: &mut Html, step: Step) {
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
        field("addresses", &self.addresses, &[Step::Expiration]);
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

    pub(super) fn tag_list(&self) -> Vec<String> {
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
    pub(super) fn all_privileges(&self) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::url_encode;
    use crate::pickers::FormList;
    use keyportal_domain::credential::MAX_KEY_LIFETIME_MS;
    use keyportal_domain::time::iso_date;

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
}
