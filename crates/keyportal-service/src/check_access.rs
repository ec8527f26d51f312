//! `checkAccess` (issue 14): "would a request like this pass?" for a credential's slot,
//! answered by the very decision `/verify` makes — the key table's rules for the slot's key
//! (found by the SHA-256 the slot stores, so no key is needed) and then the same service,
//! privilege and item checks (`usage::forbidden`) — with a sentence a person understands.
//! Nothing is counted: no use, no refusal, no rate.

use std::net::IpAddr;

use keyportal_domain::address::canonical;
use keyportal_domain::api_key::KeySlot;
use keyportal_domain::time::iso_date;
use keyportal_domain::usage::validate_service_name;
use keyportal_domain::DomainError;

use crate::caller::Caller;
use crate::credentials::not_registered;
use crate::error::ServiceResult;
use crate::key_table::{Denial, KeyRequest};
use crate::usage::{forbidden, Verdict, VerifyRequest};
use crate::Portal;

/// What a request would carry.
#[derive(Debug, Clone, Default)]
pub struct AccessQuestion {
    pub referer: Option<String>,
    /// The client address, as text (checked here: a bad one is a clear 400).
    pub address: Option<String>,
    pub service: Option<String>,
    pub privilege: Option<String>,
    pub item: Option<String>,
    /// Epoch ms; `None`: now.
    pub time: Option<i64>,
}

/// The answer: the `/verify` reason vocabulary plus `inactive` (an empty slot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessAnswer {
    pub allowed: bool,
    /// `None` when allowed.
    pub reason: Option<&'static str>,
    pub needed: Vec<String>,
    pub message: String,
}

fn refused(reason: &'static str, needed: Vec<String>, message: String) -> AccessAnswer {
    AccessAnswer {
        allowed: false,
        reason: Some(reason),
        needed,
        message,
    }
}

fn parse_address(text: &str) -> ServiceResult<IpAddr> {
    text.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .map(canonical)
        .map_err(|_| {
            DomainError::invalid_with(
                "Invalid address.",
                vec![format!(
                    "'{}' is not an IPv4 or IPv6 address.",
                    keyportal_domain::ids::shorten(text)
                )],
            )
            .into()
        })
}

impl Portal {
    /// Whether a request with `question`'s facts would pass with the key of `slot`.
    pub async fn check_access(
        &self,
        caller: &Caller,
        item_id: &str,
        slot: KeySlot,
        question: &AccessQuestion,
    ) -> ServiceResult<AccessAnswer> {
        let shared = self.visible_item(caller, item_id).await?;
        let stored = self
            .store
            .get_app_by_item(&shared.item.id)
            .await?
            .ok_or_else(not_registered)?;
        let (stored, _) = self.manageable_app(caller, stored).await?;
        let address = question
            .address
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(parse_address)
            .transpose()?;
        if let Some(service) = question.service.as_deref() {
            validate_service_name(service)?;
        }
        let number = slot.number();
        let state = stored.app.slot(slot);
        let digest = state
            .key_hash
            .as_deref()
            .filter(|_| state.active)
            .and_then(|hex_hash| {
                let mut digest = [0u8; 32];
                hex::decode_to_slice(hex_hash, &mut digest).ok()?;
                Some(digest)
            });
        let Some(digest) = digest else {
            return Ok(refused(
                "inactive",
                vec![],
                format!("API key {number} is not active: generate a key in this slot first."),
            ));
        };
        let referer = question.referer.as_deref().filter(|r| !r.is_empty());
        let request = KeyRequest {
            referer,
            address,
            service: question.service.as_deref(),
        };
        let now = question.time.unwrap_or_else(|| self.now());
        let resolved = match self.key_table.check_digest(&digest, &request, now) {
            Ok(resolved) => resolved,
            Err(denial) => {
                let message = match denial {
                    Denial::Expired => format!(
                        "API key {number} expired on {} (UTC).",
                        iso_date(state.expiration)
                    ),
                    Denial::Referrer => match referer {
                        Some(referer) => format!("The key's referrers do not include {referer}."),
                        None => "The key is restricted to referrers, and the request sends no Referer or Origin.".into(),
                    },
                    Denial::Address => match address {
                        Some(address) => {
                            format!("The key's allowed addresses do not include {address}.")
                        }
                        None => "The key is restricted to addresses, and the request's address is unknown.".into(),
                    },
                    Denial::OwnerInactive => format!(
                        "The credential's owner {} is disabled or no longer exists.",
                        stored.app.owner
                    ),
                    Denial::Unknown => format!(
                        "API key {number} is not known to this server yet; try again in a moment."
                    ),
                    Denial::Retired | Denial::Malformed(_) => {
                        "The key is not valid here.".to_string()
                    }
                };
                return Ok(refused(denial.reason(), vec![], message));
            }
        };
        let verify = VerifyRequest {
            token: None,
            referer,
            address,
            service: question.service.as_deref(),
            privilege: question.privilege.as_deref(),
            item: question.item.as_deref(),
        };
        if let Some(Verdict::Forbidden { reason, needed }) = forbidden(&resolved, &verify) {
            let message = match reason {
                "service" => format!(
                    "The key does not allow the {} service; it needs {}.",
                    question.service.as_deref().unwrap_or_default(),
                    needed.join(" or ")
                ),
                "privilege" => format!(
                    "The key does not hold {} (the credential or its owner lacks it).",
                    needed.join(", ")
                ),
                _ => format!(
                    "The key has no access to item {}.",
                    question.item.as_deref().unwrap_or_default()
                ),
            };
            return Ok(refused(reason, needed, message));
        }
        Ok(AccessAnswer {
            allowed: true,
            reason: None,
            needed: vec![],
            message: format!("A request like this with API key {number} would be allowed."),
        })
    }
}
