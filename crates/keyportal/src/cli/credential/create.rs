//! `keyportal credential create`: the web wizard's sequence (an `Application` item, its
//! registration, the slot dates, optionally key 1), done as the owner so the owner's rules
//! apply exactly as when they create credentials themselves.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::credential::{MintedKey, APPLICATION_TYPE};
use keyportal_domain::events::Actor;
use keyportal_domain::item::ItemChanges;
use keyportal_domain::privilege::ITEM_ACCESS_PREFIX;
use keyportal_service::{Caller, Portal, RegisterApp, ServiceError, SlotDates};
use serde_json::{json, Value};

use super::args::CreateArgs;
use super::credential_json;
use super::show::describe_lines;
use crate::cli::dates::parse_date;
use crate::cli::outcome::{CommandResult, Failure, OutputArgs};

/// The member the operator acts as; a missing member is "not found" (exit 3).
pub(super) async fn as_member(portal: &Portal, username: &str) -> Result<Caller, Failure> {
    match portal.load_member(username).await? {
        Some(member) => Ok(Caller::Member(Box::new(member))),
        None => Err(Failure::not_found(format!(
            "There is no member '{username}'."
        ))),
    }
}

/// Privileges followed by the item-access privileges for `items`.
pub(super) fn with_item_access(privileges: &[String], items: &[String]) -> Vec<String> {
    let mut all: Vec<String> = privileges.iter().map(|p| p.trim().to_string()).collect();
    all.extend(
        items
            .iter()
            .map(|id| format!("{ITEM_ACCESS_PREFIX}{}", id.trim())),
    );
    all
}

/// `{"slot", "access_token", "expires_in"}`: the key, shown this once.
pub(super) fn key_json(minted: &MintedKey) -> Value {
    json!({
        "slot": minted.slot.number(),
        "access_token": minted.key.expose(),
        "expires_in": minted.expires_in,
    })
}

fn dates(args: &CreateArgs) -> Result<SlotDates, Failure> {
    let date = |text: &Option<String>| text.as_deref().map(parse_date).transpose();
    Ok(SlotDates {
        slot1: date(&args.key1_expires)?,
        slot2: date(&args.key2_expires)?,
    })
}

/// Registers the item as credentials and dates the slots; the caller removes the item when
/// this fails, so a retry starts clean.
async fn register(
    portal: &Portal,
    owner: &Caller,
    item_id: &str,
    args: &CreateArgs,
    dates: SlotDates,
) -> Result<keyportal_service::AppView, ServiceError> {
    let view = portal
        .register_app(
            owner,
            RegisterApp {
                item_id: item_id.to_string(),
                app_type: "multiple".into(),
                redirect_uris: Vec::new(),
                http_referrers: args.referrers.clone(),
                privileges: with_item_access(&args.privileges, &args.items),
                is_personal: None,
                allowed_addresses: args.addresses.clone(),
            },
        )
        .await?;
    if !dates.is_empty() {
        portal
            .update_item(owner, item_id, ItemChanges::default(), dates)
            .await?;
    }
    Ok(view)
}

pub(super) async fn run(portal: &Portal, args: CreateArgs, out: OutputArgs) -> CommandResult {
    let dates = dates(&args)?;
    let owner = as_member(portal, &args.owner).await?;
    let changes = ItemChanges {
        title: Some(args.title.trim().to_string()),
        item_type: Some(APPLICATION_TYPE.to_string()),
        description: args.description.clone(),
        ..ItemChanges::default()
    };
    let item = portal
        .add_item(&owner, &args.owner, None, changes, None)
        .await?;
    let item_id = item.item.id.clone();
    let app = match register(portal, &owner, &item_id, &args, dates).await {
        Ok(app) => app,
        Err(error) => {
            if let Err(undo) = portal.delete_item(&owner, &item_id).await {
                eprintln!("keyportal: could not remove the half-created item {item_id}: {undo}");
            }
            return Err(error.into());
        }
    };
    // The credentials exist from here on; a refused key leaves them for `credential generate`.
    let minted = if args.generate {
        Some(
            portal
                .mint_api_key(
                    &Actor::system(),
                    &app.app.client_id,
                    app.client_secret.expose(),
                    KeySlot::One,
                    None,
                )
                .await
                .map_err(|e| {
                    Failure::from(format!(
                        "created credentials {item_id}, but key 1 was refused: {}",
                        Failure::from(e).message
                    ))
                })?,
        )
    } else {
        None
    };
    let system = portal.system_caller().await?;
    let (created, _) = super::resolve(portal, &system, &item_id).await?;
    let now = portal.now();
    out.print(
        || {
            let mut value = credential_json(&created.title, &created.app, now);
            if let (Some(fields), Some(minted)) = (value.as_object_mut(), &minted) {
                fields.insert("apiKey".into(), key_json(minted));
            }
            value
        },
        || {
            let mut lines = vec![format!(
                "Created credentials \u{201c}{}\u{201d}.",
                created.title
            )];
            lines.extend(describe_lines(&created, now));
            if let Some(minted) = &minted {
                lines.push(format!(
                    "API key 1 (shown once, store it now): {}",
                    minted.key.expose()
                ));
            }
            lines
        },
    );
    Ok(())
}
