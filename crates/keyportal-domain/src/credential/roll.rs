//! One-step rotation with a grace period (issue 14): a new key is minted into the other slot
//! and the old key keeps working until now + grace — the one case where a slot's date
//! changes without deactivating it. Pure: the service stores the result, updates the key
//! table and announces the change.

use super::{slot_index, validate_expiration, AppRegistration, MintedKey};
use crate::api_key::KeySlot;
use crate::error::DomainError;
use crate::time::{EpochMillis, DAY_MS, SECOND_MS};

/// The longest grace an old key may keep.
pub const MAX_ROLL_GRACE_MS: EpochMillis = 30 * DAY_MS;

/// What a roll did: the new key (shown once) and the old slot's new end.
#[derive(Debug)]
pub struct RolledKey {
    pub minted: MintedKey,
    /// The new key's expiration date.
    pub expires: EpochMillis,
    pub previous_slot: KeySlot,
    /// When the old key stops working.
    pub previous_expires: EpochMillis,
}

fn other(slot: KeySlot) -> KeySlot {
    match slot {
        KeySlot::One => KeySlot::Two,
        KeySlot::Two => KeySlot::One,
    }
}

impl AppRegistration {
    /// Replaces the key of `slot`: a new key in the other slot (which must be inactive or
    /// expired), dated `expiration` or now + `default_lifetime_ms`; the old key's date becomes
    /// now + `grace_ms` (never later than it already was), and it stays active until then.
    pub fn roll(
        &mut self,
        slot: KeySlot,
        grace_ms: EpochMillis,
        expiration: Option<EpochMillis>,
        now: EpochMillis,
        default_lifetime_ms: EpochMillis,
    ) -> Result<RolledKey, DomainError> {
        if !(0..=MAX_ROLL_GRACE_MS).contains(&grace_ms) {
            return Err(DomainError::invalid_with(
                "Invalid grace.",
                vec![format!(
                    "'grace' is a number of seconds from 0 to {} (30 days).",
                    MAX_ROLL_GRACE_MS / SECOND_MS
                )],
            ));
        }
        if !self.slot(slot).is_usable(now) {
            return Err(DomainError::invalid_with(
                format!("API key {} is not active.", slot.number()),
                vec![format!(
                    "API key {} is not active: only an active key can be rolled; generate it instead.",
                    slot.number()
                )],
            ));
        }
        let target = other(slot);
        if self.slot(target).is_usable(now) {
            return Err(DomainError::invalid_with(
                format!(
                    "API key {} is active, so the new key has no free slot.",
                    target.number()
                ),
                vec![format!(
                    "API key {} is active: invalidate it (or wait until it expires), or roll API key {} instead.",
                    target.number(),
                    target.number()
                )],
            ));
        }
        if let Some(date) = expiration {
            validate_expiration(target, date, now).map_err(|_| {
                DomainError::invalid_with(
                    "Invalid expiration.",
                    vec!["'expiration' must be in the future and at most one year from now (epoch milliseconds).".into()],
                )
            })?;
            if date == -1 {
                return Err(DomainError::invalid_with(
                    "Invalid expiration.",
                    vec![
                        "'expiration' must be a date; leave it out for the default lifetime."
                            .into(),
                    ],
                ));
            }
        }
        let mut rolled = self.clone();
        // The free slot takes the new date (no date: the default lifetime, as when minting).
        let fresh = &mut rolled.slots[slot_index(target)];
        fresh.expiration = expiration.unwrap_or(-1);
        fresh.active = false;
        let minted = rolled.mint(target, Some(true), now, default_lifetime_ms)?;
        let old = &mut rolled.slots[slot_index(slot)];
        old.expiration = old.expiration.min(now + grace_ms);
        let result = RolledKey {
            expires: rolled.slot(target).expiration,
            previous_slot: slot,
            previous_expires: rolled.slot(slot).expiration,
            minted,
        };
        rolled.modified = now;
        *self = rolled;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_key::parse_api_key;
    use crate::credential::{hex_hash, AppType, SlotState, DEFAULT_KEY_LIFETIME_MS};
    use crate::time::HOUR_MS;

    const NOW: EpochMillis = 1_750_000_000_000;

    fn app_with_key_in_one() -> (AppRegistration, String) {
        let mut app = AppRegistration {
            item_id: "b".repeat(32),
            client_id: "client".into(),
            owner: "ann".into(),
            app_type: AppType::Multiple,
            redirect_uris: vec![],
            http_referrers: vec![],
            allowed_addresses: vec![],
            privileges: vec![],
            is_personal: false,
            registered: NOW,
            modified: NOW,
            slots: [SlotState::empty(), SlotState::empty()],
            revision: 0,
        };
        let key = app
            .mint(KeySlot::One, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .expect("mint");
        (app, key.key.expose().to_string())
    }

    #[test]
    fn a_roll_mints_into_the_other_slot_and_keeps_the_old_key_for_the_grace() {
        let (mut app, old_key) = app_with_key_in_one();
        let later = NOW + HOUR_MS;
        let rolled = app
            .roll(
                KeySlot::One,
                24 * HOUR_MS,
                None,
                later,
                DEFAULT_KEY_LIFETIME_MS,
            )
            .expect("roll");
        assert_eq!(rolled.minted.slot, KeySlot::Two);
        assert_eq!(
            parse_api_key(rolled.minted.key.expose()).unwrap().slot(),
            KeySlot::Two
        );
        assert_eq!(rolled.expires, later + DEFAULT_KEY_LIFETIME_MS);
        assert_eq!(rolled.previous_slot, KeySlot::One);
        assert_eq!(rolled.previous_expires, later + 24 * HOUR_MS);
        let one = app.slot(KeySlot::One);
        assert!(one.active, "the old key is not deactivated");
        assert_eq!(one.key_hash.as_deref(), Some(hex_hash(&old_key).as_str()));
        assert!(one.is_usable(later + 24 * HOUR_MS - 1));
        assert!(
            !one.is_usable(later + 24 * HOUR_MS),
            "dead at the end of the grace"
        );
        assert!(app.slot(KeySlot::Two).is_usable(later));
        assert_eq!(app.modified, later);
    }

    #[test]
    fn grace_zero_ends_the_old_key_at_once_and_grace_never_extends_it() {
        let (mut app, _) = app_with_key_in_one();
        let rolled = app
            .roll(KeySlot::One, 0, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .expect("roll");
        assert_eq!(rolled.previous_expires, NOW);
        assert!(!app.slot(KeySlot::One).is_usable(NOW));
        // Slot 2 now holds the live key; a long grace cannot outlive its date.
        let end = app.slot(KeySlot::Two).expiration;
        let rolled = app
            .roll(
                KeySlot::Two,
                MAX_ROLL_GRACE_MS,
                None,
                end - 1,
                DEFAULT_KEY_LIFETIME_MS,
            )
            .expect("roll back");
        assert_eq!(rolled.previous_expires, end);
    }

    #[test]
    fn the_other_slot_must_be_free_and_the_rolled_one_active() {
        let (mut app, _) = app_with_key_in_one();
        app.mint(KeySlot::Two, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .expect("mint two");
        let before = app.clone();
        let error = app
            .roll(KeySlot::One, 0, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .unwrap_err();
        assert!(
            format!("{error:?}").contains("API key 2 is active"),
            "{error:?}"
        );
        assert_eq!(app, before, "nothing changed");
        // An expired other slot is free.
        let expired_at = app.slot(KeySlot::Two).expiration;
        let mut later = app.clone();
        later.slots[0].expiration = expired_at + 10 * DAY_MS;
        later
            .roll(KeySlot::One, 0, None, expired_at, DEFAULT_KEY_LIFETIME_MS)
            .expect("expired slot is free");
        let (mut empty, _) = app_with_key_in_one();
        let error = empty
            .roll(KeySlot::Two, 0, None, NOW, DEFAULT_KEY_LIFETIME_MS)
            .unwrap_err();
        assert!(
            format!("{error:?}").contains("API key 2 is not active"),
            "{error:?}"
        );
    }

    #[test]
    fn grace_and_expiration_are_bounded() {
        let (mut app, _) = app_with_key_in_one();
        let before = app.clone();
        for grace in [-1, MAX_ROLL_GRACE_MS + 1] {
            assert!(app
                .roll(KeySlot::One, grace, None, NOW, DEFAULT_KEY_LIFETIME_MS)
                .is_err());
        }
        for date in [NOW, NOW + 400 * DAY_MS, -1] {
            assert!(app
                .roll(KeySlot::One, 0, Some(date), NOW, DEFAULT_KEY_LIFETIME_MS)
                .is_err());
        }
        assert_eq!(app, before);
        let rolled = app
            .roll(
                KeySlot::One,
                0,
                Some(NOW + 7 * DAY_MS),
                NOW,
                DEFAULT_KEY_LIFETIME_MS,
            )
            .expect("dated");
        assert_eq!(rolled.expires, NOW + 7 * DAY_MS);
    }
}
