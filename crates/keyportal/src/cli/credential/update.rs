//! `keyportal credential update|delete`: `oauth2/apps/{client_id}/update` and the item's
//! `update` (title, slot dates) and `delete`, with the same rules as over REST.

use keyportal_domain::item::ItemChanges;
use keyportal_domain::privilege::item_access_target;
use keyportal_service::{AppChanges, Caller, Portal, SlotDates};
use serde_json::json;

use super::args::UpdateArgs;
use super::create::with_item_access;
use super::show::describe_lines;
use super::{credential_json, resolve};
use crate::cli::dates::parse_date;
use crate::cli::outcome::{CommandResult, OutputArgs};

/// The new privilege list when privileges or item access are given: the part not given is
/// kept as it is. `None` when neither is given.
fn new_privileges(current: &[String], args: &UpdateArgs) -> Option<Vec<String>> {
    let items_given = !args.items.is_empty() || args.no_items;
    if args.privileges.is_empty() && !items_given {
        return None;
    }
    let (held_items, held_privileges): (Vec<&String>, Vec<&String>) = current
        .iter()
        .partition(|p| item_access_target(p).is_some());
    let privileges: Vec<String> = if args.privileges.is_empty() {
        held_privileges.into_iter().cloned().collect()
    } else {
        args.privileges.clone()
    };
    let items: Vec<String> = if items_given {
        args.items.clone()
    } else {
        held_items
            .iter()
            .filter_map(|p| item_access_target(p))
            .map(String::from)
            .collect()
    };
    Some(with_item_access(&privileges, &items))
}

pub(super) async fn run(
    portal: &Portal,
    caller: &Caller,
    args: UpdateArgs,
    out: OutputArgs,
) -> CommandResult {
    let date = |text: &Option<String>| text.as_deref().map(parse_date).transpose();
    let dates = SlotDates {
        slot1: date(&args.key1_expires)?,
        slot2: date(&args.key2_expires)?,
    };
    let (credential, _) = resolve(portal, caller, &args.id).await?;
    let changes = AppChanges {
        http_referrers: if args.any_referrer {
            Some(Vec::new())
        } else if args.referrers.is_empty() {
            None
        } else {
            Some(args.referrers.clone())
        },
        allowed_addresses: if args.any_address {
            Some(Vec::new())
        } else if args.addresses.is_empty() {
            None
        } else {
            Some(args.addresses.clone())
        },
        privileges: new_privileges(&credential.app.privileges, &args),
        ..AppChanges::default()
    };
    if changes.http_referrers.is_some()
        || changes.allowed_addresses.is_some()
        || changes.privileges.is_some()
    {
        portal
            .update_app(caller, &credential.app.client_id, changes)
            .await?;
    }
    if args.title.is_some() || !dates.is_empty() {
        let item = ItemChanges {
            title: args.title.as_ref().map(|t| t.trim().to_string()),
            ..ItemChanges::default()
        };
        portal
            .update_item(caller, &credential.app.item_id, item, dates)
            .await?;
    }
    let (updated, _) = resolve(portal, caller, &credential.app.item_id).await?;
    let now = portal.now();
    out.print(
        || credential_json(&updated.title, &updated.app, now),
        || describe_lines(&updated, now),
    );
    Ok(())
}

pub(super) async fn delete(
    portal: &Portal,
    caller: &Caller,
    id: &str,
    out: OutputArgs,
) -> CommandResult {
    let (credential, _) = resolve(portal, caller, id).await?;
    let item_id = portal.delete_item(caller, &credential.app.item_id).await?;
    out.print(
        || json!({ "success": true, "itemId": item_id }),
        || {
            vec![format!(
                "Deleted \u{201c}{}\u{201d} ({item_id}) and its keys.",
                credential.title
            )]
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: UpdateArgs,
    }

    fn parsed(extra: &[&str]) -> UpdateArgs {
        let mut argv = vec!["update", "id"];
        argv.extend_from_slice(extra);
        Wrapper::parse_from(argv).args
    }

    #[test]
    fn privileges_and_item_access_change_separately() {
        let current = vec![
            "premium:user:geocode:temporary".to_string(),
            "portal:app:access:item:0123456789abcdef0123456789abcdef".to_string(),
        ];
        assert_eq!(new_privileges(&current, &parsed(&[])), None);
        assert_eq!(
            new_privileges(&current, &parsed(&["--privilege", "premium:user:basemaps"])),
            Some(vec![
                "premium:user:basemaps".to_string(),
                "portal:app:access:item:0123456789abcdef0123456789abcdef".to_string()
            ])
        );
        assert_eq!(
            new_privileges(&current, &parsed(&["--no-items"])),
            Some(vec!["premium:user:geocode:temporary".to_string()])
        );
    }
}
