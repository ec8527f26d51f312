//! One entry of a legacy key import on its own, without the database: what is wrong with it
//! (under the limits the REST API applies to the same fields) and the rows it becomes. Both
//! run on every core, a batch at a time.

use keyportal_domain::api_key::{
    is_legacy_key, key_hash, key_hint, LEGACY_KEY_PREFIX, LEGACY_MAX_LEN,
};
use keyportal_domain::credential::{check_referrers, MAX_ITEM_ACCESS};
use keyportal_domain::ids::shorten;
use keyportal_domain::item::{Item, ItemAccess, ItemChanges};
use keyportal_domain::legacy_key::LegacyKey;
use keyportal_domain::privilege::{self, item_access_target};
use keyportal_domain::text::{self, Lines};
use keyportal_domain::DomainError;

use crate::legacy::{LegacyImport, LEGACY_ITEM_TYPE};

/// The problems of one entry that need no database, in the order they are reported.
#[derive(Debug)]
pub(crate) struct EntryCheck {
    /// The key's SHA-256 (then whether it is new is looked up), or what is wrong with it.
    pub key: Result<[u8; 32], String>,
    /// `None` when the owner's name is well-formed (then the member is looked up).
    pub owner: Option<String>,
    /// Title, privileges, item access and referrers.
    pub fields: Vec<String>,
}

pub(crate) fn check_entry(import: &LegacyImport) -> EntryCheck {
    let key = if is_legacy_key(&import.key) {
        Ok(key_hash(&import.key))
    } else {
        Err(format!(
            "'key' is not a legacy API key (AAPK, then 32 to {} letters, digits, '-' or '_').",
            LEGACY_MAX_LEN - LEGACY_KEY_PREFIX.len()
        ))
    };
    let owner = text::problem("owner", &import.owner, Lines::Single);
    let mut fields = Vec::new();
    if !import.title.trim().is_empty() {
        let title = ItemChanges {
            title: Some(import.title.clone()),
            ..ItemChanges::default()
        };
        if let Err(DomainError::Invalid { details, .. }) = title.validate(false) {
            fields.extend(details);
        }
    }
    for p in &import.privileges {
        if !privilege::is_known(p) {
            fields.push(format!(
                "'privileges': '{}' is not a privilege.",
                shorten(p)
            ));
        }
    }
    let item_access = import
        .privileges
        .iter()
        .filter(|p| item_access_target(p).is_some())
        .count();
    if item_access > MAX_ITEM_ACCESS {
        fields.push(format!(
            "'itemAccess': at most {MAX_ITEM_ACCESS} items, not {item_access}."
        ));
    }
    if let Err(DomainError::Invalid { details, .. }) = check_referrers(&import.http_referrers) {
        fields.extend(details.into_iter().map(|d| format!("'httpReferrers': {d}")));
    }
    EntryCheck { key, owner, fields }
}

/// The `API Key` item and the legacy key (its hash only) an entry becomes; `Err` when the
/// entry does not pass the checks (the file changed after it was checked).
pub(crate) fn entry_rows(
    import: &LegacyImport,
    id: String,
    org_id: &str,
    now: i64,
) -> Result<(Item, LegacyKey), DomainError> {
    if !is_legacy_key(&import.key) {
        return Err(DomainError::invalid("'key' is not a legacy API key."));
    }
    let item = Item {
        id,
        owner: import.owner.clone(),
        org_id: org_id.to_string(),
        folder_id: None,
        title: if import.title.trim().is_empty() {
            "Legacy API key".into()
        } else {
            import.title.trim().to_string()
        },
        item_type: LEGACY_ITEM_TYPE.into(),
        type_keywords: vec![LEGACY_ITEM_TYPE.into()],
        tags: vec!["legacy".into()],
        description: String::new(),
        snippet: "Imported legacy API key".into(),
        url: String::new(),
        access: ItemAccess::Private,
        properties: None,
        extra: Default::default(),
        created: now,
        modified: now,
    };
    let mut privileges = import.privileges.clone();
    privileges.sort();
    privileges.dedup();
    let key = LegacyKey {
        item_id: item.id.clone(),
        owner: import.owner.clone(),
        key_hash: hex::encode(key_hash(&import.key)),
        key_hint: key_hint(&import.key),
        privileges,
        http_referrers: check_referrers(&import.http_referrers)?,
        active: true,
        created: now,
        last_used: -1,
    };
    Ok((item, key))
}

/// `f` over `items` on every core, results in order. Small slices stay on this thread.
pub fn parallel_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads < 2 || items.len() < 64 {
        return items.iter().map(f).collect();
    }
    let per_thread = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for part in parts {
            match part.join() {
                Ok(done) => out.extend(done),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(key: &str) -> LegacyImport {
        LegacyImport {
            key: key.into(),
            owner: "admin".into(),
            title: String::new(),
            privileges: vec![
                "premium:user:basemaps".into(),
                "premium:user:basemaps".into(),
            ],
            http_referrers: vec![" https://a.example.com ".into()],
            line: Some(1),
        }
    }

    const KEY: &str = "AAPK0123456789abcdef0123456789abcdef";

    #[test]
    fn a_good_entry_has_no_problem_and_becomes_a_private_item_and_its_hash() {
        let entry = import(KEY);
        let check = check_entry(&entry);
        assert_eq!(check.key, Ok(key_hash(KEY)));
        assert!(
            check.owner.is_none() && check.fields.is_empty(),
            "{check:?}"
        );
        let (item, key) = entry_rows(&entry, "a".repeat(32), "org", 7).expect("rows");
        assert_eq!(item.title, "Legacy API key");
        assert_eq!(item.access, ItemAccess::Private);
        assert_eq!(key.item_id, item.id);
        assert_eq!(key.key_hash, hex::encode(key_hash(KEY)));
        assert_eq!(key.privileges, ["premium:user:basemaps"]);
        assert_eq!(key.http_referrers, ["https://a.example.com"]);
        assert!(!key.key_hint.contains(&KEY[8..30]), "a hint, not the key");
    }

    #[test]
    fn every_problem_of_an_entry_is_named() {
        let mut entry = import("AAPTshort");
        entry.owner = "two\nlines".into();
        entry.privileges = vec!["portal:user:fly".into()];
        entry.http_referrers = vec!["not a url at all ::".into()];
        let check = check_entry(&entry);
        assert!(check.key.is_err());
        assert!(check.owner.is_some());
        let fields = check.fields.join(" ");
        assert!(fields.contains("portal:user:fly"), "{fields}");
        assert!(fields.contains("'httpReferrers'"), "{fields}");
        assert!(entry_rows(&entry, "a".repeat(32), "org", 7).is_err());
    }

    #[test]
    fn parallel_map_keeps_the_order() {
        let numbers: Vec<u32> = (0..10_000).collect();
        let doubled = parallel_map(&numbers, |n| n * 2);
        assert_eq!(doubled.len(), numbers.len());
        assert!(doubled.iter().enumerate().all(|(i, d)| *d == 2 * i as u32));
    }
}
