//! Checking a step of the draft: each problem names the field it belongs to.

use keyportal_domain::address::check_addresses;
use keyportal_domain::credential::check_referrers;
use keyportal_domain::item::{validate_folder_title, Folder};
use keyportal_domain::privilege::PrivilegeSet;
use keyportal_domain::DomainError;
use keyportal_service::ServiceError;

use super::draft::{expiration_ms, Draft, Step};
use crate::item_picker::{check_item_choice, PickItem};
use crate::pickers::{check_privilege_choice, split_referrers};
use crate::request::message;

/// What the checks need besides the draft.
pub(super) struct Context<'a> {
    pub now: i64,
    pub held: &'a PrivilegeSet,
    /// The selected items that exist and are the member's (found by id).
    pub known: &'a [PickItem],
    pub folders: &'a [Folder],
}

/// A problem with one field (its element id) of a step.
pub(super) type Problems = Vec<(&'static str, String)>;

pub(super) fn check_step(step: Step, draft: &Draft, ctx: &Context) -> Problems {
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
                for m in check_item_choice(&draft.items, ctx.known) {
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
            if let Err(e) = check_addresses(&split_referrers(&draft.addresses)) {
                p.push(("addresses", domain_message(&e)));
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

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::time::{days_from_civil, DAY_MS};

    fn at(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + 12 * 3_600_000
    }

    fn ctx<'a>(
        held: &'a PrivilegeSet,
        known: &'a [PickItem],
        folders: &'a [Folder],
    ) -> Context<'a> {
        Context {
            now: at(2026, 3, 10),
            held,
            known,
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
}
