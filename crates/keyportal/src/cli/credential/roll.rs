//! `keyportal credential roll ID --slot N [--grace 24h] [--expires DATE]`: `rollApiKey`
//! through the same `Portal::roll_api_key` — a new key in the other slot, printed once, and
//! the old key kept for the grace.

use keyportal_domain::api_key::KeySlot;
use keyportal_domain::time::iso_date;
use keyportal_service::{Caller, Portal, RollRequest};
use serde_json::json;

use super::args::RollArgs;
use super::resolve;
use crate::cli::dates::parse_date;
use crate::cli::outcome::{CommandResult, Failure, OutputArgs};

/// `3600`, `90s`, `90m`, `24h`, `7d` → seconds.
pub(super) fn parse_grace(text: &str) -> Result<i64, Failure> {
    let text = text.trim();
    let bad = || Failure::from(format!("--grace '{text}': use seconds or 90m, 24h, 7d"));
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let number: i64 = number.parse().map_err(|_| bad())?;
    let scale = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    number.checked_mul(scale).ok_or_else(bad)
}

pub(super) async fn run(
    portal: &Portal,
    caller: &Caller,
    args: RollArgs,
    out: OutputArgs,
) -> CommandResult {
    let slot =
        KeySlot::from_number(args.slot.slot).ok_or_else(|| Failure::from("the slot is 1 or 2"))?;
    let grace_seconds = parse_grace(&args.grace)?;
    let expiration = args.expires.as_deref().map(parse_date).transpose()?;
    let (credential, _) = resolve(portal, caller, &args.slot.id).await?;
    let rolled = portal
        .roll_api_key(
            caller,
            &credential.app.item_id,
            RollRequest {
                slot,
                grace_seconds,
                expiration,
            },
        )
        .await?;
    out.print(
        || {
            json!({
                "itemId": credential.app.item_id,
                "client_id": credential.app.client_id,
                "apiKey": rolled.key.expose(),
                "slot": rolled.slot.number(),
                "expires": rolled.expires,
                "previousSlot": rolled.previous_slot.number(),
                "previousExpires": rolled.previous_expires,
            })
        },
        || {
            vec![
                format!(
                    "API key {} of \u{201c}{}\u{201d} (shown once, store it now; expires {}):",
                    rolled.slot.number(),
                    credential.title,
                    iso_date(rolled.expires)
                ),
                rolled.key.expose().to_string(),
                format!(
                    "API key {} keeps working until {} (epoch ms {}).",
                    rolled.previous_slot.number(),
                    keyportal_domain::time::iso_date(rolled.previous_expires),
                    rolled.previous_expires
                ),
            ]
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_takes_seconds_or_a_unit() {
        assert_eq!(parse_grace("0").unwrap(), 0);
        assert_eq!(parse_grace("90m").unwrap(), 5400);
        assert_eq!(parse_grace("24h").unwrap(), 86_400);
        assert_eq!(parse_grace("7d").unwrap(), 604_800);
        assert!(parse_grace("1w").is_err());
        assert!(parse_grace("h").is_err());
        assert!(parse_grace("-5").is_err());
    }
}
