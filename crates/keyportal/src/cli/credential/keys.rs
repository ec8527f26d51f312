//! `keyportal credential generate|regenerate|invalidate --slot N`: the `oauth2/token` and
//! `oauth2/revokeToken` key operations, authenticated with the credential's own secret as
//! its owner's tools are. The new key is printed once; only its hash is stored.

use keyportal_domain::api_key::KeySlot;
use keyportal_service::{Caller, Portal};
use serde_json::json;

use super::args::SlotArgs;
use super::create::key_json;
use super::resolve;
use crate::cli::outcome::{CommandResult, Failure, OutputArgs};

fn slot(args: &SlotArgs) -> Result<KeySlot, Failure> {
    KeySlot::from_number(args.slot).ok_or_else(|| Failure::from("the slot is 1 or 2"))
}

/// Generates (`regenerate` false: only into an empty or inactive slot) or regenerates a key.
pub(super) async fn mint(
    portal: &Portal,
    caller: &Caller,
    args: SlotArgs,
    regenerate: bool,
    out: OutputArgs,
) -> CommandResult {
    let slot = slot(&args)?;
    let (credential, view) = resolve(portal, caller, &args.id).await?;
    let minted = portal
        .mint_api_key(
            &caller.actor(),
            &view.app.client_id,
            view.client_secret.expose(),
            slot,
            Some(regenerate),
        )
        .await?;
    out.print(
        || {
            let mut value = key_json(&minted);
            if let Some(fields) = value.as_object_mut() {
                fields.insert("itemId".into(), json!(credential.app.item_id));
                fields.insert("client_id".into(), json!(credential.app.client_id));
            }
            value
        },
        || {
            vec![
                format!(
                    "API key {} of \u{201c}{}\u{201d} (shown once, store it now; expires in {} days):",
                    slot.number(),
                    credential.title,
                    minted.expires_in / 86_400
                ),
                minted.key.expose().to_string(),
            ]
        },
    );
    Ok(())
}

pub(super) async fn invalidate(
    portal: &Portal,
    caller: &Caller,
    args: SlotArgs,
    out: OutputArgs,
) -> CommandResult {
    let slot = slot(&args)?;
    let (credential, view) = resolve(portal, caller, &args.id).await?;
    portal
        .revoke_api_key(
            &caller.actor(),
            &view.app.client_id,
            view.client_secret.expose(),
            slot,
        )
        .await?;
    out.print(
        || {
            json!({
                "success": true,
                "itemId": credential.app.item_id,
                "client_id": credential.app.client_id,
                "slot": slot.number(),
            })
        },
        || {
            vec![format!(
                "API key {} of \u{201c}{}\u{201d} is invalidated.",
                slot.number(),
                credential.title
            )]
        },
    );
    Ok(())
}
