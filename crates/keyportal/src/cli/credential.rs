//! `keyportal credential list|show`: slot status per credential, never the keys themselves.

use keyportal_domain::api_key::KeySlot;
use keyportal_service::CredentialSummary;

use super::args::{CredentialArgs, CredentialCommand};
use super::dates::format_ms;
use super::user::{describe, open_portal};

fn slot_line(summary: &CredentialSummary, slot: KeySlot, now: i64) -> String {
    let state = summary.app.slot(slot);
    let status = if state.is_usable(now) {
        "active"
    } else if state.active {
        "expired"
    } else {
        "inactive"
    };
    format!(
        "key {}: {status:<8} expires {:<22} created {:<22} last used {:<22} {}",
        slot.number(),
        format_ms(state.expiration),
        format_ms(state.created),
        format_ms(state.last_used),
        state.key_hint.as_deref().unwrap_or("")
    )
}

pub async fn run(args: CredentialArgs) -> Result<(), String> {
    let (portal, caller) = open_portal(args.storage).await?;
    let now = portal.now();
    match args.command {
        CredentialCommand::List => {
            let all = portal.list_credentials(&caller).await.map_err(describe)?;
            println!(
                "{:<32}  {:<16}  {:<16}  {:<8}  {:<8}  TITLE",
                "ITEM ID", "CLIENT ID", "OWNER", "KEY 1", "KEY 2"
            );
            for c in &all {
                let status = |slot| {
                    if c.app.slot(slot).is_usable(now) {
                        "active"
                    } else {
                        "-"
                    }
                };
                println!(
                    "{:<32}  {:<16}  {:<16}  {:<8}  {:<8}  {}",
                    c.app.item_id,
                    c.app.client_id,
                    c.app.owner,
                    status(KeySlot::One),
                    status(KeySlot::Two),
                    c.title
                );
            }
            println!("{} credential(s)", all.len());
        }
        CredentialCommand::Show { id } => {
            let c = portal
                .find_credential(&caller, &id)
                .await
                .map_err(describe)?;
            println!("title:       {}", c.title);
            println!("item id:     {}", c.app.item_id);
            println!("client id:   {}", c.app.client_id);
            println!("owner:       {}", c.app.owner);
            println!("app type:    {}", c.app.app_type.as_str());
            println!("personal:    {}", c.app.is_personal);
            println!("registered:  {}", format_ms(c.app.registered));
            println!(
                "referrers:   {}",
                if c.app.http_referrers.is_empty() {
                    "(any)".to_string()
                } else {
                    c.app.http_referrers.join(", ")
                }
            );
            println!("privileges:");
            for p in &c.app.privileges {
                println!("  {p}");
            }
            println!("{}", slot_line(&c, KeySlot::One, now));
            println!("{}", slot_line(&c, KeySlot::Two, now));
        }
    }
    Ok(())
}
