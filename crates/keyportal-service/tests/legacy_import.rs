//! The bulk legacy import: every entry checked before any is stored, every problem reported,
//! all stored in one transaction, and every node told with one notice.

use std::sync::{Arc, Mutex};

use keyportal_service::{
    ImportEntry, LegacyImport, LegacyImportReader, LegacyImportSource, ManualClock, NoProgress,
    Portal, ServiceError,
};

mod support;
use support::portal_on;

const START: i64 = 1_750_000_000_000;

fn key(n: usize) -> String {
    format!("AAPK{n:040x}")
}

fn entry(n: usize, owner: &str) -> ImportEntry {
    ImportEntry {
        line: Some(n + 1),
        read: Ok(LegacyImport {
            key: key(n),
            owner: owner.into(),
            title: format!("k{n}"),
            privileges: vec!["premium:user:geocode:temporary".into()],
            http_referrers: vec![],
            line: Some(n + 1),
        }),
    }
}

/// One pass over entries held in memory.
struct Pass {
    entries: Vec<ImportEntry>,
    at: usize,
    fingerprint: u64,
}

impl LegacyImportReader for Pass {
    fn next_entries(&mut self, max: usize) -> Result<Vec<ImportEntry>, String> {
        let end = (self.at + max).min(self.entries.len());
        let batch = self.entries[self.at..end].to_vec();
        self.at = end;
        Ok(batch)
    }

    fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

/// A file in memory; `changed` makes the second pass read other bytes.
struct Source {
    entries: Vec<ImportEntry>,
    opened: Mutex<u64>,
    changed: bool,
}

impl Source {
    fn new(entries: Vec<ImportEntry>) -> Source {
        Source {
            entries,
            opened: Mutex::new(0),
            changed: false,
        }
    }
}

impl LegacyImportSource for Source {
    fn open(&self) -> Result<Box<dyn LegacyImportReader>, String> {
        let mut opened = self.opened.lock().expect("lock");
        *opened += 1;
        Ok(Box::new(Pass {
            entries: self.entries.clone(),
            at: 0,
            fingerprint: if self.changed { *opened } else { 1 },
        }))
    }
}

async fn node(dir: &std::path::Path, clock: &Arc<ManualClock>) -> Portal {
    let portal = portal_on(dir, clock.clone()).await;
    portal
        .bootstrap("Org", Some("admin-pass-1".into()))
        .await
        .expect("bootstrap");
    portal.load_key_table().await.expect("load");
    portal
}

fn honoured(portal: &Portal, key: &str) -> bool {
    portal.key_table().resolve(key, None, START).is_ok()
}

fn details(error: ServiceError) -> Vec<String> {
    match error {
        ServiceError::Domain(keyportal_domain::DomainError::Invalid { message, details }) => {
            assert!(message.contains("nothing was imported"), "{message}");
            details
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn an_import_is_stored_whole_and_every_node_learns_of_it_from_one_notice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = node(dir.path(), &clock).await;
    let b = node(dir.path(), &clock).await;
    let system = a.system_caller().await.expect("system");
    // More entries than one checking batch and several storing batches.
    let entries: Vec<ImportEntry> = (0..5_000).map(|n| entry(n, "admin")).collect();
    let before = a.store().latest_change().await.expect("latest");
    let imported = a
        .import_legacy_keys(&system, &Source::new(entries), &NoProgress)
        .await
        .expect("imported");
    assert_eq!(imported, 5_000);
    assert_eq!(
        a.legacy_keys_page(&system, "", 10_000)
            .await
            .expect("list")
            .keys
            .len(),
        5_000
    );
    let notices = a.store().changes_since(before, 100).await.expect("notices");
    assert_eq!(
        notices.len(),
        1,
        "one notice for the whole import: {notices:?}"
    );
    assert!(!honoured(&b, &key(4_321)));
    b.sync_changes().await.expect("sync b");
    assert!((0..5_000).step_by(97).all(|n| honoured(&b, &key(n))));
    a.sync_changes().await.expect("sync a");
    assert!(honoured(&a, &key(0)) && honoured(&a, &key(4_999)));
    assert!(!honoured(&a, &key(5_000)), "only imported keys");
}

#[tokio::test]
async fn every_problem_is_reported_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = node(dir.path(), &clock).await;
    let system = a.system_caller().await.expect("system");
    a.import_legacy_keys(&system, &Source::new(vec![entry(0, "admin")]), &NoProgress)
        .await
        .expect("first import");
    let mut entries: Vec<ImportEntry> = (1..5_000).map(|n| entry(n, "admin")).collect();
    entries[10].read = Err("invalid type: integer `5`, expected a string".into());
    entries[20] = entry(0, "admin");
    entries[4_500] = entry(30, "admin");
    entries[40] = entry(9_040, "nobody");
    if let Ok(import) = &mut entries[50].read {
        import.privileges.push("portal:user:fly".into());
        import.key = "AAPTnot-legacy".into();
    }
    let refused = a
        .import_legacy_keys(&system, &Source::new(entries), &NoProgress)
        .await
        .expect_err("refused");
    let details = details(refused);
    assert_eq!(
        details,
        [
            "entry 11 (line 12): invalid type: integer `5`, expected a string",
            "entry 21 (line 1): 'key' appears twice, or was imported before.",
            "entry 41 (line 9041): 'owner': no member named 'nobody'.",
            "entry 51 (line 52): 'key' is not a legacy API key (AAPK, then 32 to 508 letters, digits, '-' or '_').",
            "entry 51 (line 52): 'privileges': 'portal:user:fly' is not a privilege.",
            "entry 4501 (line 31): 'key' appears twice, or was imported before.",
        ]
        .map(String::from)
    );
    assert_eq!(
        a.legacy_keys_page(&system, "", 10_000)
            .await
            .expect("list")
            .keys
            .len(),
        1
    );
}

#[tokio::test]
async fn a_file_that_changes_between_the_passes_stores_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = node(dir.path(), &clock).await;
    let system = a.system_caller().await.expect("system");
    let mut source = Source::new((0..3_000).map(|n| entry(n, "admin")).collect());
    source.changed = true;
    let refused = a
        .import_legacy_keys(&system, &source, &NoProgress)
        .await
        .expect_err("refused");
    assert!(refused.to_string().contains("changed"), "{refused}");
    assert!(a
        .legacy_keys_page(&system, "", 10_000)
        .await
        .expect("list")
        .keys
        .is_empty());
    assert_eq!(
        a.store()
            .count_items_owned_by("admin")
            .await
            .expect("count"),
        0,
        "no item stays behind"
    );
}

#[tokio::test]
async fn legacy_keys_are_listed_a_page_at_a_time_and_members_see_their_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = node(dir.path(), &clock).await;
    let system = a.system_caller().await.expect("system");
    a.create_user(
        &system,
        keyportal_service::NewUser {
            username: "pat".into(),
            password: "pat-pass-1234".into(),
            profile: Default::default(),
            role: Some("org_user".into()),
            user_type: Some("creatorUT".into()),
        },
    )
    .await
    .expect("member");
    let entries: Vec<ImportEntry> = (0..40)
        .map(|n| entry(n, if n % 4 == 0 { "pat" } else { "admin" }))
        .collect();
    a.import_legacy_keys(&system, &Source::new(entries), &NoProgress)
        .await
        .expect("imported");

    let walk = |caller: keyportal_service::Caller| {
        let a = &a;
        async move {
            let mut ids = Vec::new();
            let mut after = String::new();
            loop {
                let page = a.legacy_keys_page(&caller, &after, 7).await.expect("page");
                assert!(page.keys.len() <= 7);
                // The owner filter is in the query: every page but the last is full, and
                // the last is never empty.
                assert!(page.keys.len() == 7 || page.next.is_none());
                assert!(!page.keys.is_empty() || after.is_empty());
                ids.extend(page.keys.into_iter().map(|k| (k.item_id, k.owner)));
                match page.next {
                    Some(next) => after = next,
                    None => return ids,
                }
            }
        }
    };
    let everything = walk(system.clone()).await;
    let mut expected: Vec<(String, String)> = a
        .store()
        .list_legacy_keys_after(None, "", 1_000)
        .await
        .expect("list")
        .into_iter()
        .map(|k| (k.item_id, k.owner))
        .collect();
    expected.sort();
    assert_eq!(everything, expected, "every key once, by item id");

    let token = a
        .generate_token(
            "pat",
            "pat-pass-1234",
            keyportal_service::TokenClient::RequestIp,
            Some(60),
            &keyportal_service::RequestFacts::default(),
        )
        .await
        .expect("token");
    let pat = a
        .authenticate(
            Some(token.token.expose()),
            &keyportal_service::RequestFacts::default(),
        )
        .await
        .expect("pat");
    let own = walk(pat).await;
    assert_eq!(own.len(), 10);
    assert!(own.iter().all(|(_, owner)| owner == "pat"));
}

/// The usage pages name only the keys a report holds: credentials by client id and legacy keys
/// by item id, each with its item's title; a member is told only the names of their own.
#[tokio::test]
async fn usage_keys_are_named_from_the_ids_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = Arc::new(ManualClock::new(START));
    let a = node(dir.path(), &clock).await;
    let system = a.system_caller().await.expect("system");
    a.create_user(
        &system,
        keyportal_service::NewUser {
            username: "pat".into(),
            password: "pat-pass-1234".into(),
            profile: Default::default(),
            role: Some("org_user".into()),
            user_type: Some("creatorUT".into()),
        },
    )
    .await
    .expect("member");
    let entries: Vec<ImportEntry> = (0..6)
        .map(|n| entry(n, if n % 3 == 0 { "pat" } else { "admin" }))
        .collect();
    a.import_legacy_keys(&system, &Source::new(entries), &NoProgress)
        .await
        .expect("imported");
    let legacy = a
        .store()
        .list_legacy_keys_after(None, "", 100)
        .await
        .expect("keys");
    let admin = signed_in(&a, "admin", "admin-pass-1").await;
    let item = a
        .add_item(
            &admin,
            "admin",
            None,
            keyportal_domain::item::ItemChanges {
                title: Some("Named app".into()),
                item_type: Some("Application".into()),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("item");
    let app = a
        .register_app(
            &admin,
            keyportal_service::RegisterApp {
                item_id: item.item.id.clone(),
                app_type: "multiple".into(),
                redirect_uris: vec![],
                http_referrers: vec![],
                privileges: vec!["premium:user:geocode:temporary".into()],
                is_personal: None,
                allowed_addresses: Vec::new(),
            },
        )
        .await
        .expect("app");
    let mut asked = vec![app.app.client_id.clone(), "nobody".to_string()];
    asked.extend(legacy.iter().skip(1).map(|k| k.item_id.clone()));

    let mut named = a.credential_names(&system, &asked).await.expect("names");
    named.sort_by(|x, y| x.key.cmp(&y.key));
    assert_eq!(named.len(), 1 + 5, "the asked-for keys only: {named:?}");
    let app_name = named
        .iter()
        .find(|n| n.key == app.app.client_id)
        .expect("the credential");
    assert_eq!(
        (app_name.title.as_str(), app_name.owner.as_str()),
        ("Named app", "admin")
    );
    assert_eq!(app_name.item_id, item.item.id);
    for key in legacy.iter().skip(1) {
        let name = named
            .iter()
            .find(|n| n.key == key.item_id)
            .expect("a legacy key");
        assert_eq!(name.owner, key.owner);
        assert!(name.title.starts_with('k'), "its item's title: {name:?}");
    }

    let pat = signed_in(&a, "pat", "pat-pass-1234").await;
    let theirs = a.credential_names(&pat, &asked).await.expect("names");
    let expected = legacy.iter().skip(1).filter(|k| k.owner == "pat").count();
    assert!(expected > 0);
    assert_eq!(theirs.len(), expected, "{theirs:?}");
    assert!(theirs.iter().all(|n| n.owner == "pat"));
}

async fn signed_in(portal: &Portal, username: &str, password: &str) -> keyportal_service::Caller {
    let facts = keyportal_service::RequestFacts::default();
    let token = portal
        .generate_token(
            username,
            password,
            keyportal_service::TokenClient::RequestIp,
            Some(60),
            &facts,
        )
        .await
        .expect("token");
    portal
        .authenticate(Some(token.token.expose()), &facts)
        .await
        .expect("caller")
}
