//! Developer credentials: an `Application` item registered as an app, with two API key slots.
//! Every rule of design §2 lives here as a pure function of the registration and `now`.

use std::collections::HashMap;

use crate::api_key::{generate_api_key, key_hash, key_hint, KeySlot};
use crate::error::DomainError;
use crate::ids::shorten;
use crate::item::{Item, ItemAccess};
use crate::privilege::{self, item_access_target, names, PrivilegeScope, PrivilegeSet};
use crate::referrer::ReferrerPattern;
use crate::secret::SecretString;
use crate::time::{EpochMillis, DAY_MS, MINUTE_MS, SECOND_MS};
use crate::user_type::UserType;

/// Item access grants per credential (ArcGIS's limit).
pub const MAX_ITEM_ACCESS: usize = 100;
/// A slot's expiration date is at most this far ahead.
pub const MAX_KEY_LIFETIME_MS: EpochMillis = 365 * DAY_MS;
/// Lifetime given to a key minted into a slot that has no date (design §2.2).
pub const DEFAULT_KEY_LIFETIME_MS: EpochMillis = 30 * DAY_MS;
/// Clients compute "one year from now" on their own clock; this much skew is forgiven.
const CLOCK_SKEW_MS: EpochMillis = 5 * MINUTE_MS;
/// Redirect URI of API key credentials (no interactive sign-in).
pub const OUT_OF_BAND_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";
/// Type keywords the server maintains on credential items.
pub const REGISTERED_APP_KEYWORD: &str = "Registered App";
pub const API_TOKEN_KEYWORD: &str = "APIToken";
/// Item type of developer credentials.
pub const APPLICATION_TYPE: &str = "Application";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    Browser,
    Native,
    Server,
    Multiple,
}

impl AppType {
    pub fn as_str(self) -> &'static str {
        match self {
            AppType::Browser => "browser",
            AppType::Native => "native",
            AppType::Server => "server",
            AppType::Multiple => "multiple",
        }
    }

    /// `apikey` (legacy API keys) can no longer be created, as in ArcGIS since June 2024.
    pub fn parse(value: &str) -> Result<AppType, DomainError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "browser" => Ok(AppType::Browser),
            "native" => Ok(AppType::Native),
            "server" => Ok(AppType::Server),
            "multiple" => Ok(AppType::Multiple),
            "apikey" => Err(DomainError::invalid_with(
                "Legacy API keys can no longer be created.",
                vec![
                    "Register the item with appType=multiple to create API key credentials.".into(),
                ],
            )),
            _ => Err(DomainError::invalid(format!(
                "Invalid appType '{}': use browser, native, server or multiple.",
                shorten(value)
            ))),
        }
    }
}

/// The state of one key slot. The key itself is never kept: only its SHA-256 and a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotState {
    /// Epoch ms, or `-1` when no date is set.
    pub expiration: EpochMillis,
    pub active: bool,
    /// Hex SHA-256 of the current key.
    pub key_hash: Option<String>,
    /// The key's first and last characters, for people to recognise it.
    pub key_hint: Option<String>,
    /// When the current key was generated (`-1` when none).
    pub created: EpochMillis,
    /// When the current key was last used (`-1` when never).
    pub last_used: EpochMillis,
}

impl SlotState {
    pub fn empty() -> SlotState {
        SlotState {
            expiration: -1,
            active: false,
            key_hash: None,
            key_hint: None,
            created: -1,
            last_used: -1,
        }
    }

    /// Kills the current key (the date stays).
    fn deactivate(&mut self) {
        self.active = false;
        self.key_hash = None;
        self.key_hint = None;
        self.created = -1;
        self.last_used = -1;
    }

    /// Whether the slot's key authenticates at `now`.
    pub fn is_usable(&self, now: EpochMillis) -> bool {
        self.active && self.key_hash.is_some() && now < self.expiration
    }

    /// What clients read as `apiTokenNActive`: an expired key reads inactive, so the Python
    /// client's `generate_token` can refill the slot (spec §5.1a).
    pub fn reads_active(&self, now: EpochMillis) -> bool {
        self.is_usable(now)
    }
}

/// A registered app (design §1), without its client secret (kept encrypted by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRegistration {
    pub item_id: String,
    pub client_id: String,
    pub owner: String,
    pub app_type: AppType,
    pub redirect_uris: Vec<String>,
    /// Normalised referrer patterns.
    pub http_referrers: Vec<String>,
    /// Normalised addresses and CIDR blocks keys may be used from (empty: anywhere).
    pub allowed_addresses: Vec<String>,
    /// Sorted, without repeats; includes `portal:app:access:item:<id>` entries.
    pub privileges: Vec<String>,
    pub is_personal: bool,
    pub registered: EpochMillis,
    pub modified: EpochMillis,
    pub slots: [SlotState; 2],
    /// The stored version this copy was read at (optimistic concurrency in the store).
    pub revision: i64,
}

/// An app token (`client_credentials` without `apiToken`): opaque, stored by hash, carrying
/// the app's privileges until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppToken {
    pub hash: String,
    pub client_id: String,
    pub created: EpochMillis,
    pub expires: EpochMillis,
}

/// A freshly minted key: shown once, never stored.
#[derive(Debug)]
pub struct MintedKey {
    pub key: SecretString,
    pub slot: KeySlot,
    /// Whole seconds until the slot's expiration date (design §2.1).
    pub expires_in: i64,
}

fn slot_index(slot: KeySlot) -> usize {
    match slot {
        KeySlot::One => 0,
        KeySlot::Two => 1,
    }
}

impl AppRegistration {
    pub fn slot(&self, slot: KeySlot) -> &SlotState {
        &self.slots[slot_index(slot)]
    }

    fn slot_mut(&mut self, slot: KeySlot) -> &mut SlotState {
        &mut self.slots[slot_index(slot)]
    }

    /// API key credentials are the registrations that hand out keys (privileges or referrers
    /// without interactive redirect URIs).
    pub fn item_access(&self) -> impl Iterator<Item = &str> {
        self.privileges.iter().filter_map(|p| item_access_target(p))
    }

    /// Sets slot `slot`'s date. A different date kills that slot's key (design §2.6); the
    /// same date changes nothing. Returns whether anything changed.
    pub fn set_expiration(
        &mut self,
        slot: KeySlot,
        date: EpochMillis,
        now: EpochMillis,
    ) -> Result<bool, DomainError> {
        validate_expiration(slot, date, now)?;
        let state = self.slot_mut(slot);
        if state.expiration == date {
            return Ok(false);
        }
        state.expiration = date;
        state.deactivate();
        self.modified = now;
        Ok(true)
    }

    /// Generates a key into `slot` (design §2.2, §2.3). `regenerate` is the client's
    /// `regenerateApiToken`: `false` on an active slot is refused; absent acts as `true`.
    pub fn mint(
        &mut self,
        slot: KeySlot,
        regenerate: Option<bool>,
        now: EpochMillis,
        default_lifetime_ms: EpochMillis,
    ) -> Result<MintedKey, DomainError> {
        let state = self.slot_mut(slot);
        if regenerate == Some(false) && state.is_usable(now) {
            return Err(DomainError::invalid_with(
                format!("API key {} is already active.", slot.number()),
                vec!["Use regenerateApiToken=true to replace it; the current key then stops working.".into()],
            ));
        }
        if state.expiration < 0 {
            state.expiration = now + default_lifetime_ms.clamp(MINUTE_MS, MAX_KEY_LIFETIME_MS);
        } else if state.expiration <= now {
            return Err(DomainError::invalid_with(
                format!(
                    "The expiration date of API key {} has passed.",
                    slot.number()
                ),
                vec![format!(
                    "Set apiToken{}ExpirationDate to a date within a year, then generate the key.",
                    slot.number()
                )],
            ));
        }
        let key = generate_api_key(slot);
        state.key_hash = Some(hex_hash(key.expose()));
        state.key_hint = Some(key_hint(key.expose()));
        state.active = true;
        state.created = now;
        state.last_used = -1;
        let expires_in = (state.expiration - now) / SECOND_MS;
        self.modified = now;
        Ok(MintedKey {
            key,
            slot,
            expires_in,
        })
    }

    /// Invalidates slot `slot` (design §2.4): inactive, date reset, key dead.
    pub fn revoke(&mut self, slot: KeySlot, now: EpochMillis) {
        let state = self.slot_mut(slot);
        state.deactivate();
        state.expiration = -1;
        self.modified = now;
    }

    /// Replaces the privilege set. A different set deactivates both slots; the same set
    /// changes nothing (design §2.6). Returns whether the set changed.
    pub fn replace_privileges(&mut self, privileges: Vec<String>, now: EpochMillis) -> bool {
        if privileges == self.privileges {
            return false;
        }
        self.privileges = privileges;
        self.is_personal = self.is_personal || any_personal(&self.privileges);
        for state in &mut self.slots {
            state.deactivate();
        }
        self.modified = now;
        true
    }

    /// Whether the credential has ever had a dated slot or a key (for the `APIToken` keyword).
    pub fn uses_api_keys(&self) -> bool {
        self.slots
            .iter()
            .any(|s| s.expiration > 0 || s.key_hash.is_some())
    }
}

/// Hex SHA-256 of a key, the form slots store.
pub fn hex_hash(key: &str) -> String {
    hex::encode(key_hash(key))
}

/// `-1`, or a date after `now` and at most a year ahead.
pub fn validate_expiration(
    slot: KeySlot,
    date: EpochMillis,
    now: EpochMillis,
) -> Result<(), DomainError> {
    let name = format!("apiToken{}ExpirationDate", slot.number());
    if date == -1 {
        return Ok(());
    }
    if date <= now {
        return Err(DomainError::invalid_with(
            format!("Invalid {name}."),
            vec![format!(
                "'{name}' must be in the future (epoch milliseconds), or -1."
            )],
        ));
    }
    if date > now + MAX_KEY_LIFETIME_MS + CLOCK_SKEW_MS {
        return Err(DomainError::invalid_with(
            format!("Invalid {name}."),
            vec![format!("'{name}' can be at most one year from now.")],
        ));
    }
    Ok(())
}

/// Something a member lacks to create API key credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lacking {
    /// A Creator (or higher) user type; the member's is `current`.
    CreatorUserType { current: UserType },
    /// A privilege of the member's role.
    Privilege(&'static str),
}

/// Who may create API key credentials: Creator (or higher) user type with both "Generate API
/// keys" and "Assign privileges to OAuth 2.0 applications". Empty when nothing is missing; the
/// web portal explains the same list.
pub fn lacking_for_api_keys(user_type: UserType, privileges: &PrivilegeSet) -> Vec<Lacking> {
    let mut lacking = Vec::new();
    if !user_type.is_creator_or_higher() {
        lacking.push(Lacking::CreatorUserType { current: user_type });
    }
    for needed in [names::GENERATE_API_TOKENS, names::ASSIGN_PRIVILEGES_TO_APPS] {
        if !privileges.contains(needed) {
            lacking.push(Lacking::Privilege(needed));
        }
    }
    lacking
}

/// [`lacking_for_api_keys`] as a refusal that names what is missing.
pub fn check_may_create_api_keys(
    user_type: UserType,
    privileges: &PrivilegeSet,
) -> Result<(), DomainError> {
    let missing: Vec<String> = lacking_for_api_keys(user_type, privileges)
        .into_iter()
        .map(|lacking| match lacking {
            Lacking::CreatorUserType { current } => format!(
                "A Creator (or higher) user type is required; yours is {}.",
                current.label()
            ),
            Lacking::Privilege(needed) => format!("The privilege '{needed}' is required."),
        })
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Forbidden { details: missing })
    }
}

/// True when any privilege has personal scope: the key then acts as its owner (design §2.10).
pub fn any_personal(privileges: &[String]) -> bool {
    privileges
        .iter()
        .filter_map(|p| privilege::lookup(p))
        .any(|info| info.scope == PrivilegeScope::Personal)
}

/// Checks a requested privilege list and returns it sorted without repeats:
/// every string known; catalog privileges held by the owner; at most 100 item grants, each for
/// an item the owner owns whose access is private, group-shared or org (design §1, §2).
/// `items` maps each requested item id to the item, when it exists.
pub fn check_app_privileges(
    requested: &[String],
    owner: &str,
    owner_privileges: &PrivilegeSet,
    items: &HashMap<String, Item>,
) -> Result<Vec<String>, DomainError> {
    let mut list: Vec<String> = requested
        .iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    list.sort();
    list.dedup();
    let unknown: Vec<String> = list
        .iter()
        .filter(|p| !privilege::is_known(p))
        .map(|p| format!("'{}' is not a privilege.", shorten(p)))
        .collect();
    if !unknown.is_empty() {
        return Err(DomainError::invalid_with("Unknown privileges.", unknown));
    }
    let not_held: Vec<String> = list
        .iter()
        .filter(|p| item_access_target(p).is_none() && !owner_privileges.contains(p))
        .map(|p| format!("You do not hold '{p}', so a credential of yours cannot receive it."))
        .collect();
    if !not_held.is_empty() {
        return Err(DomainError::Forbidden { details: not_held });
    }
    let targets: Vec<&str> = list.iter().filter_map(|p| item_access_target(p)).collect();
    if targets.len() > MAX_ITEM_ACCESS {
        return Err(DomainError::invalid_with(
            "Too many items.",
            vec![format!(
                "A credential can access at most {MAX_ITEM_ACCESS} items; {} were given.",
                targets.len()
            )],
        ));
    }
    let mut problems = Vec::new();
    for id in targets {
        match items.get(id) {
            None => problems.push(format!("Item {id} does not exist or is inaccessible.")),
            Some(item) if item.owner != owner => problems.push(format!(
                "Item {id} belongs to someone else; only your own items can be granted."
            )),
            Some(item) if item.access == ItemAccess::Public => problems.push(format!(
                "Item {id} is public: every key can already read it, so it cannot be granted."
            )),
            Some(_) => {}
        }
    }
    if !problems.is_empty() {
        return Err(DomainError::invalid_with("Invalid item access.", problems));
    }
    Ok(list)
}

/// Parses and normalises referrer patterns; repeats are dropped.
pub fn check_referrers(values: &[String]) -> Result<Vec<String>, DomainError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    let mut problems = Vec::new();
    if values.len() > 100 {
        return Err(DomainError::invalid("At most 100 referrers can be set."));
    }
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        match ReferrerPattern::parse(value) {
            Ok(pattern) => {
                let text = pattern.as_str().to_string();
                if !out.contains(&text) {
                    out.push(text);
                }
            }
            Err(error) => problems.push(format!("'{}': {error}", shorten(value))),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(DomainError::invalid_with(
            "Invalid httpReferrers.",
            problems,
        ))
    }
}

/// Redirect URIs: absolute `http(s)://` URLs or the out-of-band URN, at most 50.
pub fn check_redirect_uris(values: &[String]) -> Result<Vec<String>, DomainError> {
    if values.len() > 50 {
        return Err(DomainError::invalid("At most 50 redirect URIs can be set."));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for value in values.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        let ok = value == OUT_OF_BAND_REDIRECT
            || ((value.starts_with("https://") || value.starts_with("http://"))
                && value.len() <= 2048
                && !value.contains(|c: char| c.is_whitespace() || c.is_control())
                && !value.contains('#'));
        if !ok {
            return Err(DomainError::invalid_with(
                "Invalid redirect_uris.",
                vec![format!(
                    "'{}' is not an absolute http(s) URL without a fragment, nor {OUT_OF_BAND_REDIRECT}.",
                    shorten(value)
                )],
            ));
        }
        if !out.iter().any(|o| o == value) {
            out.push(value.to_string());
        }
    }
    Ok(out)
}

mod roll;

pub use roll::{RolledKey, MAX_ROLL_GRACE_MS};

#[cfg(test)]
mod tests;
