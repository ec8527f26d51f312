//! `keyportal credential limits`: shows a credential's rate limit and quotas, or changes the
//! ones given (`unlimited` removes one; the others stay as they are).

use keyportal_domain::rate_limit::Limits;
use keyportal_service::{Caller, Portal};
use serde_json::json;

use super::args::LimitsArgs;
use super::resolve;
use crate::cli::outcome::{CommandResult, Failure, OutputArgs};

/// `None`: not given; `Some(None)`: `unlimited`; `Some(Some(n))`: a number.
fn limit_value(name: &str, text: Option<&str>) -> Result<Option<Option<u64>>, Failure> {
    let Some(text) = text.map(str::trim) else {
        return Ok(None);
    };
    if text.eq_ignore_ascii_case("unlimited") || text == "-1" {
        return Ok(Some(None));
    }
    text.parse::<u64>().map(|n| Some(Some(n))).map_err(|_| {
        Failure::from(format!(
            "--{name} takes a number or 'unlimited', not '{text}'"
        ))
    })
}

fn changed(current: Limits, args: &LimitsArgs) -> Result<Option<Limits>, Failure> {
    let per_second = limit_value("per-second", args.per_second.as_deref())?;
    let per_day = limit_value("per-day", args.per_day.as_deref())?;
    let per_month = limit_value("per-month", args.per_month.as_deref())?;
    if per_second.is_none() && per_day.is_none() && per_month.is_none() {
        return Ok(None);
    }
    let per_second = match per_second {
        Some(Some(n)) => {
            Some(u32::try_from(n).map_err(|_| Failure::from("--per-second is too large"))?)
        }
        Some(None) => None,
        None => current.per_second,
    };
    Ok(Some(Limits {
        per_second,
        per_day: per_day.unwrap_or(current.per_day),
        per_month: per_month.unwrap_or(current.per_month),
    }))
}

fn text(limit: Option<u64>) -> String {
    limit.map_or("unlimited".to_string(), |n| n.to_string())
}

pub(super) async fn run(
    portal: &Portal,
    caller: &Caller,
    args: LimitsArgs,
    out: OutputArgs,
) -> CommandResult {
    let (credential, _) = resolve(portal, caller, &args.id).await?;
    let item_id = credential.app.item_id.clone();
    let current = portal.credential_limits(caller, &item_id).await?;
    let limits = match changed(current, &args)? {
        Some(wanted) => {
            portal
                .set_credential_limits(caller, &item_id, wanted)
                .await?
        }
        None => current,
    };
    out.print(
        || {
            json!({
                "itemId": item_id,
                "perSecond": limits.per_second,
                "perDay": limits.per_day,
                "perMonth": limits.per_month,
            })
        },
        || {
            vec![
                format!("limits of \u{201c}{}\u{201d}:", credential.title),
                format!("  per second: {}", text(limits.per_second.map(u64::from))),
                format!("  per day:    {}", text(limits.per_day)),
                format!("  per month:  {}", text(limits.per_month)),
            ]
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(second: Option<&str>, day: Option<&str>) -> LimitsArgs {
        LimitsArgs {
            id: "x".into(),
            per_second: second.map(String::from),
            per_day: day.map(String::from),
            per_month: None,
        }
    }

    #[test]
    fn only_the_limits_given_change() {
        let current = Limits {
            per_second: Some(5),
            per_day: Some(100),
            per_month: Some(1000),
        };
        assert_eq!(changed(current, &args(None, None)), Ok(None));
        assert_eq!(
            changed(current, &args(Some("unlimited"), Some("7"))),
            Ok(Some(Limits {
                per_second: None,
                per_day: Some(7),
                per_month: Some(1000),
            }))
        );
        assert!(changed(current, &args(Some("fast"), None)).is_err());
        assert!(changed(current, &args(Some("5000000000"), None)).is_err());
    }
}
