//! `keyportal credential list|show`: slot status per credential, never the keys themselves.

use keyportal_domain::api_key::KeySlot;
use keyportal_service::{Caller, CredentialSummary, Portal};
use serde_json::json;

use super::credential_json;
use crate::cli::dates::format_ms;
use crate::cli::outcome::{CommandResult, OutputArgs};

pub(super) fn slot_line(summary: &CredentialSummary, slot: KeySlot, now: i64) -> String {
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

pub(super) async fn list(portal: &Portal, caller: &Caller, out: OutputArgs) -> CommandResult {
    let all = portal.list_credentials(caller).await?;
    let now = portal.now();
    out.print(
        || {
            let credentials: Vec<_> = all
                .iter()
                .map(|c| credential_json(&c.title, &c.app, now))
                .collect();
            json!({ "total": all.len(), "credentials": credentials })
        },
        || {
            let mut lines = vec![format!(
                "{:<32}  {:<16}  {:<16}  {:<8}  {:<8}  TITLE",
                "ITEM ID", "CLIENT ID", "OWNER", "KEY 1", "KEY 2"
            )];
            for c in &all {
                let status = |slot| {
                    if c.app.slot(slot).is_usable(now) {
                        "active"
                    } else {
                        "-"
                    }
                };
                lines.push(format!(
                    "{:<32}  {:<16}  {:<16}  {:<8}  {:<8}  {}",
                    c.app.item_id,
                    c.app.client_id,
                    c.app.owner,
                    status(KeySlot::One),
                    status(KeySlot::Two),
                    c.title
                ));
            }
            lines.push(format!("{} credential(s)", all.len()));
            lines
        },
    );
    Ok(())
}

/// The lines `credential show` prints for one credential.
pub(super) fn describe_lines(c: &CredentialSummary, now: i64) -> Vec<String> {
    let mut lines = vec![
        format!("title:       {}", c.title),
        format!("item id:     {}", c.app.item_id),
        format!("client id:   {}", c.app.client_id),
        format!("owner:       {}", c.app.owner),
        format!("app type:    {}", c.app.app_type.as_str()),
        format!("personal:    {}", c.app.is_personal),
        format!("registered:  {}", format_ms(c.app.registered)),
        format!(
            "referrers:   {}",
            if c.app.http_referrers.is_empty() {
                "(any)".to_string()
            } else {
                c.app.http_referrers.join(", ")
            }
        ),
        format!(
            "addresses:   {}",
            if c.app.allowed_addresses.is_empty() {
                "(any)".to_string()
            } else {
                c.app.allowed_addresses.join(", ")
            }
        ),
        "privileges:".to_string(),
    ];
    lines.extend(c.app.privileges.iter().map(|p| format!("  {p}")));
    lines.push(slot_line(c, KeySlot::One, now));
    lines.push(slot_line(c, KeySlot::Two, now));
    lines
}

pub(super) async fn show(
    portal: &Portal,
    caller: &Caller,
    id: &str,
    out: OutputArgs,
) -> CommandResult {
    let (c, _) = super::resolve(portal, caller, id).await?;
    let now = portal.now();
    out.print(
        || credential_json(&c.title, &c.app, now),
        || describe_lines(&c, now),
    );
    Ok(())
}
