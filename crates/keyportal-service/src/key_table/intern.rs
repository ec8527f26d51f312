//! Interning of what keys share: one [`Profile`] per distinct (owner, privileges, referrers,
//! addresses, personal), found from the stored lists without building anything when it already exists.

use std::sync::Arc;

use keyportal_domain::privilege::{item_access_target, PrivilegeSet};
use keyportal_domain::referrer::ReferrerPattern;

use super::grant::Profile;

/// The stored form a profile is built from, as the interner's key.
#[derive(Debug, PartialEq, Eq, Hash)]
struct ProfileKey {
    owner: String,
    privileges: Vec<String>,
    referrers: Vec<String>,
    addresses: Vec<String>,
    personal: bool,
}

/// A [`ProfileKey`] borrowed from a credential or a row. Same fields in the same order, so it
/// hashes as the key does (`String` as `str`, `Vec<String>` as `[String]`).
#[derive(Hash)]
struct ProfileProbe<'a> {
    owner: &'a str,
    privileges: &'a [String],
    referrers: &'a [String],
    addresses: &'a [String],
    personal: bool,
}

impl hashbrown::Equivalent<ProfileKey> for ProfileProbe<'_> {
    fn equivalent(&self, key: &ProfileKey) -> bool {
        self.personal == key.personal
            && self.owner == key.owner
            && self.privileges == key.privileges.as_slice()
            && self.referrers == key.referrers.as_slice()
            && self.addresses == key.addresses.as_slice()
    }
}

#[derive(Debug, Default)]
pub(super) struct Profiles {
    interned: hashbrown::HashMap<ProfileKey, Arc<Profile>, foldhash::fast::RandomState>,
    /// Owner names shared between profiles of one owner.
    owners: hashbrown::HashMap<Arc<str>, (), foldhash::fast::RandomState>,
}

impl Profiles {
    /// The profile of these stored lists, shared with every key that has the same.
    pub(super) fn intern(
        &mut self,
        owner: &str,
        privileges: &[String],
        referrers: &[String],
        addresses: &[String],
        personal: bool,
    ) -> Arc<Profile> {
        let probe = ProfileProbe {
            owner,
            privileges,
            referrers,
            addresses,
            personal,
        };
        if let Some(profile) = self.interned.get(&probe) {
            return Arc::clone(profile);
        }
        let owner_name = match self.owners.get_key_value(owner) {
            Some((name, ())) => Arc::clone(name),
            None => {
                let name: Arc<str> = Arc::from(owner);
                self.owners.insert(Arc::clone(&name), ());
                name
            }
        };
        let (catalog, item_access) = split_privileges(privileges);
        let profile = Arc::new(Profile {
            owner: owner_name,
            privileges: catalog,
            item_access,
            referrers: parse_referrers(referrers),
            addresses: keyportal_domain::address::parse_stored(addresses),
            personal,
        });
        self.interned.insert(
            ProfileKey {
                owner: owner.to_string(),
                privileges: privileges.to_vec(),
                referrers: referrers.to_vec(),
                addresses: addresses.to_vec(),
                personal,
            },
            Arc::clone(&profile),
        );
        profile
    }

    /// Forgets profiles no key holds any more (after edits and deletions).
    pub(super) fn prune(&mut self) {
        self.interned
            .retain(|_, profile| Arc::strong_count(profile) > 1);
        self.owners.retain(|name, ()| Arc::strong_count(name) > 1);
    }

    pub(super) fn len(&self) -> usize {
        self.interned.len()
    }
}

fn split_privileges(privileges: &[String]) -> (PrivilegeSet, Vec<String>) {
    let catalog = PrivilegeSet::without_item_access(privileges);
    let mut items: Vec<String> = privileges
        .iter()
        .filter_map(|p| item_access_target(p))
        .map(str::to_string)
        .collect();
    items.sort();
    items.dedup();
    (catalog, items)
}

fn parse_referrers(patterns: &[String]) -> Vec<ReferrerPattern> {
    // Stored patterns were validated when saved; one that no longer parses is dropped and
    // logged rather than silently widening access: with no parsable pattern the key
    // would be unrestricted, so an unparsable list keeps a pattern nothing matches.
    let parsed: Vec<ReferrerPattern> = patterns
        .iter()
        .filter_map(|p| match ReferrerPattern::parse(p) {
            Ok(pattern) => Some(pattern),
            Err(error) => {
                tracing::error!(%error, "stored referrer pattern no longer parses");
                None
            }
        })
        .collect();
    if parsed.is_empty() && !patterns.is_empty() {
        ReferrerPattern::parse("https://invalid.invalid")
            .into_iter()
            .collect()
    } else {
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn equal_lists_share_one_profile_and_unused_ones_are_pruned() {
        let mut profiles = Profiles::default();
        let privileges = strings(&["premium:user:geocode:temporary"]);
        let a = profiles.intern("ann", &privileges, &[], &[], false);
        let b = profiles.intern("ann", &privileges.clone(), &[], &[], false);
        assert!(Arc::ptr_eq(&a, &b));
        let personal = profiles.intern("ann", &privileges, &[], &[], true);
        assert!(!Arc::ptr_eq(&a, &personal));
        assert!(
            Arc::ptr_eq(&a.owner, &personal.owner),
            "owner names are shared"
        );
        assert_eq!(profiles.len(), 2);
        drop(personal);
        profiles.prune();
        assert_eq!(profiles.len(), 1);
    }

    #[test]
    fn item_access_is_split_out_and_unparsable_referrers_match_nothing() {
        let mut profiles = Profiles::default();
        let item = "0123456789abcdef0123456789abcdef";
        let p = profiles.intern(
            "ann",
            &strings(&[
                "premium:user:basemaps",
                &format!("portal:app:access:item:{item}"),
            ]),
            &strings(&["not a pattern"]),
            &[],
            false,
        );
        assert!(p.privileges.contains("premium:user:basemaps"));
        assert_eq!(p.item_access, vec![item.to_string()]);
        assert_eq!(p.referrers.len(), 1, "a pattern nothing matches, not none");
    }
}
